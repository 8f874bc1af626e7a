"""OdooRPC and Python's xmlrpc.client against `sim odoo`, for every call the
portal's Odoo client makes (`control/src/backends/odoo.rs`: databases with
the master password, version, authenticate, modules, the OAuth provider,
users with their OAuth subject, `ir.model.data`), the web session the
external clients sign in with, and one error of each kind in the shape
each client parses."""

import base64
import datetime
import hashlib
import io
import itertools
import json
import re
import urllib.error
import urllib.parse
import urllib.request
import xmlrpc.client
import zipfile

import odoorpc
import pytest

from conftest import ODOO_MASTER_PASSWORD

ADMIN_LOGIN = "admin@acme.example"
ADMIN_PASSWORD = "admin-secret"
PROVIDER = {
    "name": "Bibind",
    "client_id": "odoo-acme",
    "auth_endpoint": "https://auth.bibind.example/oauth2/auth",
    "validation_endpoint": "https://auth.bibind.example/userinfo",
    "data_endpoint": False,
    "scope": "openid email profile",
    "body": "Sign in with Bibind",
    "enabled": True,
}
PROVIDER_FIELDS = list(PROVIDER)
USER_FIELDS = ["login", "name", "email", "active", "oauth_provider_id", "oauth_uid"]
MODULES = ["website_sale", "website_slides", "auth_oauth"]
names = itertools.count(1)


@pytest.fixture(scope="module")
def sim(start_sim):
    return start_sim("odoo", SIM_ODOO_MASTER_PASSWORD=ODOO_MASTER_PASSWORD)


@pytest.fixture
def odoo(sim):
    return odoorpc.ODOO("127.0.0.1", port=sim.port)


def rpc(odoo, service, method, *args):
    """A `/jsonrpc` call with exactly the arguments the portal's client sends."""
    return odoo.json("/jsonrpc", {"service": service, "method": method, "args": list(args)})["result"]


@pytest.fixture
def database(odoo):
    """A database created as the portal creates it (admin login, language, no country)."""
    name = f"acme{next(names)}"
    assert rpc(odoo, "db", "create_database", ODOO_MASTER_PASSWORD, name, False, "fr_FR", ADMIN_PASSWORD, ADMIN_LOGIN, None, None)
    yield name
    rpc(odoo, "db", "drop", ODOO_MASTER_PASSWORD, name)


@pytest.fixture
def admin(odoo, database):
    odoo.login(database, ADMIN_LOGIN, ADMIN_PASSWORD)
    return odoo


def install(odoo, modules):
    """The portal's `ensure_modules`: look the modules up, install those missing, read their states."""
    found = odoo.execute_kw(
        "ir.module.module", "search_read", [[["name", "in", modules]]],
        {"fields": ["name", "state"], "context": {"active_test": False}},
    )
    missing = [module["id"] for module in found if module["state"] != "installed"]
    odoo.env["ir.module.module"].browse(missing).button_immediate_install()
    return {module["name"]: module["state"] for module in odoo.env["ir.module.module"].search_read([["name", "in", modules]], ["name", "state"])}


def create_provider(odoo):
    install(odoo, ["auth_oauth"])
    return odoo.env["auth.oauth.provider"].create(PROVIDER)


def internal_group(odoo):
    found = odoo.execute_kw(
        "ir.model.data", "search_read", [[["module", "=", "base"], ["name", "=", "group_user"]]],
        {"fields": ["res_id"], "context": {"active_test": False}},
    )
    return found[0]["res_id"]


def user_values(login, subject, provider):
    return {
        "login": login, "name": "Ann Example", "email": login, "active": True,
        "oauth_provider_id": provider, "oauth_uid": subject,
    }


def error_name(raised):
    return raised.value.info["data"]["name"]


def set_fault(sim, operation, fault):
    request = urllib.request.Request(
        f"{sim.url}/_sim/faults/{operation}", data=json.dumps(fault).encode(), method="PUT",
        headers={"Content-Type": "application/json"},
    )
    urllib.request.urlopen(request).close()


def test_the_client_connects_reading_the_version_first(odoo):
    assert odoo.version == "17.0"
    version = rpc(odoo, "common", "version")
    assert version["server_version_info"][:2] == [17, 0]
    assert version["protocol_version"] == 1
    assert rpc(odoo, "db", "server_version") == "17.0"


def test_a_database_is_created_listed_found_and_dropped_with_the_master_password(odoo):
    name = f"shop{next(names)}"
    assert rpc(odoo, "db", "db_exist", name) is False
    odoo.db.create(ODOO_MASTER_PASSWORD, name, False, "fr_FR", "secret")
    assert name in odoo.db.list()
    assert name in odoo.json("/web/database/list", {})["result"]
    assert rpc(odoo, "db", "db_exist", name) is True
    odoo.login(name, "admin", "secret")
    assert odoo.env.lang == "fr_FR"
    with pytest.raises(odoorpc.error.RPCError) as exists:
        odoo.db.create(ODOO_MASTER_PASSWORD, name, False, "fr_FR", "secret")
    assert error_name(exists) == "odoo.service.db.DatabaseExists"
    assert str(exists.value) == f"database '{name}' already exists!"
    assert odoo.db.drop(ODOO_MASTER_PASSWORD, name) is True
    assert name not in odoo.db.list()
    assert odoo.db.drop(ODOO_MASTER_PASSWORD, name) is False, "an absent database is not an error"


def test_a_wrong_master_password_is_access_denied(odoo, database):
    with pytest.raises(odoorpc.error.RPCError) as refused:
        odoo.db.create("not-the-master", "other", False, "en_US", "secret")
    assert error_name(refused) == "odoo.exceptions.AccessDenied"
    assert str(refused.value) == "Access Denied"
    with pytest.raises(odoorpc.error.RPCError) as refused:
        odoo.db.drop("not-the-master", database)
    assert error_name(refused) == "odoo.exceptions.AccessDenied"
    assert database in odoo.db.list()


def test_a_server_without_database_listing_refuses_listing_and_management(start_sim):
    hidden = start_sim("odoo", "--no-list-db", SIM_ODOO_MASTER_PASSWORD=ODOO_MASTER_PASSWORD)
    odoo = odoorpc.ODOO("127.0.0.1", port=hidden.port)
    with pytest.raises(odoorpc.error.RPCError) as refused:
        odoo.db.list()
    assert error_name(refused) == "odoo.exceptions.AccessDenied"
    with pytest.raises(odoorpc.error.RPCError) as refused:
        odoo.db.create(ODOO_MASTER_PASSWORD, "acme", False, "en_US", "secret")
    assert error_name(refused) == "odoo.exceptions.AccessDenied"
    assert rpc(odoo, "db", "db_exist", "acme") is False


def test_login_gives_the_uid_and_the_users_context(odoo, database):
    assert rpc(odoo, "common", "authenticate", database, ADMIN_LOGIN, ADMIN_PASSWORD, {}) == 2
    odoo.login(database, ADMIN_LOGIN, ADMIN_PASSWORD)
    assert odoo.env.uid == 2
    assert odoo.env.context == {"lang": "fr_FR", "tz": False, "uid": 2}
    user = odoo.env.user
    assert (user.login, user.name, user.email) == (ADMIN_LOGIN, "Administrator", ADMIN_LOGIN)
    assert [group.name for group in user.groups_id] == ["Internal User", "Settings"]
    assert odoo.logout() is True


def test_a_bad_password_is_refused_by_every_entry_point(odoo, database):
    assert rpc(odoo, "common", "authenticate", database, ADMIN_LOGIN, "wrong", {}) is False
    with pytest.raises(odoorpc.error.RPCError) as refused:
        odoo.login(database, ADMIN_LOGIN, "wrong")
    assert str(refused.value) == "Wrong login ID or password"
    with pytest.raises(odoorpc.error.RPCError) as refused:
        rpc(odoo, "object", "execute_kw", database, 2, "wrong", "res.users", "search", [[]])
    assert error_name(refused) == "odoo.exceptions.AccessDenied"
    with pytest.raises(odoorpc.error.RPCError) as refused:
        odoo.json("/web/session/authenticate", {"db": database, "login": ADMIN_LOGIN, "password": "wrong"})
    assert error_name(refused) == "odoo.exceptions.AccessDenied"
    assert refused.value.info["message"] == "Odoo Server Error"


def test_an_unknown_database_is_refused_as_postgresql_does(odoo):
    assert rpc(odoo, "db", "db_exist", "nope") is False
    with pytest.raises(odoorpc.error.RPCError) as refused:
        odoo.login("nope", ADMIN_LOGIN, ADMIN_PASSWORD)
    assert error_name(refused) == "psycopg2.OperationalError"
    assert 'database "nope" does not exist' in str(refused.value)


def test_modules_are_installed_with_their_dependencies_once(admin):
    assert install(admin, MODULES) == {name: "installed" for name in MODULES}
    installed = admin.execute_kw(
        "ir.module.module", "search_read", [[["state", "=", "installed"]]],
        {"fields": ["name"], "context": {"active_test": False}},
    )
    names_installed = {module["name"] for module in installed}
    assert {"website", "sale", "portal", "auth_signup", "base"} <= names_installed
    assert install(admin, MODULES) == {name: "installed" for name in MODULES}
    # auth_oauth's data: its stock providers, in the model's order (sequence, name).
    providers = admin.execute_kw("auth.oauth.provider", "search_read", [[]], {"fields": ["name"], "context": {"active_test": False}})
    assert [provider["name"] for provider in providers] == ["Facebook Graph", "Google OAuth2", "Odoo.com Accounts"]


def test_a_model_of_a_module_not_installed_does_not_exist(admin):
    with pytest.raises(odoorpc.error.RPCError) as refused:
        admin.execute_kw("auth.oauth.provider", "search_read", [[]], {"fields": ["name"]})
    assert error_name(refused) == "odoo.exceptions.UserError"
    assert str(refused.value) == "Object auth.oauth.provider doesn't exist"


def test_the_oauth_provider_is_created_found_and_corrected(admin):
    provider_id = create_provider(admin)
    found = admin.execute_kw(
        "auth.oauth.provider", "search_read", [[["name", "=", "Bibind"]]],
        {"fields": PROVIDER_FIELDS, "context": {"active_test": False}},
    )
    assert found == [{"id": provider_id, **PROVIDER}]
    admin.execute_kw("auth.oauth.provider", "write", [[provider_id], {"body": "Edited", "enabled": False}])
    provider = admin.env["auth.oauth.provider"].browse(provider_id)
    assert (provider.body, provider.enabled) == ("Edited", False)
    provider.body = "Sign in with Bibind"
    provider.enabled = True
    assert admin.execute_kw("auth.oauth.provider", "read", [[provider_id], ["body", "enabled", "data_endpoint"]]) == [
        {"id": provider_id, "body": "Sign in with Bibind", "enabled": True, "data_endpoint": False}
    ]


def test_users_with_their_oauth_subject_are_created_found_counted_archived_and_unlinked(admin):
    provider_id = create_provider(admin)
    group = internal_group(admin)
    assert admin.env.ref("base.group_user").id == group
    assert len(admin.env.user.oauth_provider_id) == 0, "the administrator signs in with a password"
    found = admin.execute_kw(
        "res.users", "search_read", [[["login", "=", "ann@acme.example"]]],
        {"fields": USER_FIELDS, "context": {"active_test": False}},
    )
    assert found == []
    values = {**user_values("ann@acme.example", "subject-ann", provider_id), "groups_id": [[4, group]]}
    user_id = admin.execute_kw("res.users", "create", [values])
    Users = admin.env["res.users"]
    assert Users.search([("login", "=", "ann@acme.example")]) == [user_id]
    user = Users.browse(user_id)
    assert (user.oauth_uid, user.oauth_provider_id.id, user.oauth_provider_id.name) == ("subject-ann", provider_id, "Bibind")
    assert user.share is False and [group.id for group in user.groups_id] == [group]
    assert admin.execute_kw("res.users", "search_count", [[["share", "=", False]]]) == 2

    admin.execute_kw("res.users", "write", [[user_id], {"name": "Ann Renamed", "active": False}])
    assert admin.execute_kw("res.users", "search_count", [[["share", "=", False]]]) == 1
    assert Users.search([("login", "=", "ann@acme.example")]) == [], "archived users are hidden"
    archived = admin.execute_kw(
        "res.users", "search_read", [[["login", "=", "ann@acme.example"]]],
        {"fields": USER_FIELDS, "context": {"active_test": False}},
    )
    assert archived[0]["name"] == "Ann Renamed" and archived[0]["active"] is False
    assert archived[0]["oauth_provider_id"] == [provider_id, "Bibind"]
    Users.browse(user_id).write({"active": True})
    assert Users.search([("share", "=", False)], order="login desc") == [user_id, 2]

    Users.browse(user_id).unlink()
    assert Users.with_context(active_test=False).search([("login", "=", "ann@acme.example")]) == []
    with pytest.raises(ValueError, match=f"There is no 'res.users' record with IDs \\[{user_id}\\]"):
        Users.browse(user_id)


def test_a_taken_login_or_subject_is_a_validation_error(admin):
    provider_id = create_provider(admin)
    Users = admin.env["res.users"]
    Users.create(user_values("ann@acme.example", "subject-ann", provider_id))
    with pytest.raises(odoorpc.error.RPCError) as taken:
        Users.create(user_values("ann@acme.example", "subject-other", provider_id))
    assert error_name(taken) == "odoo.exceptions.ValidationError"
    assert str(taken.value) == "The operation cannot be completed: You can not have two users with the same login !"
    with pytest.raises(odoorpc.error.RPCError) as taken:
        Users.create(user_values("bob@acme.example", "subject-ann", provider_id))
    assert error_name(taken) == "odoo.exceptions.ValidationError"
    assert str(taken.value) == "The operation cannot be completed: OAuth UID must be unique per provider"


def test_a_deleted_user_is_a_missing_error(admin):
    Users = admin.env["res.users"]
    user_id = Users.create({"login": "gone@acme.example", "name": "Gone"})
    admin.execute_kw("res.users", "unlink", [[user_id]])
    assert admin.execute_kw("res.users", "read", [[user_id], ["name"]]) == [], "read leaves deleted records out"
    for method, args in (("write", [[user_id], {"name": "Back"}]), ("unlink", [[user_id]])):
        with pytest.raises(odoorpc.error.RPCError) as missing:
            admin.execute_kw("res.users", method, args)
        assert error_name(missing) == "odoo.exceptions.MissingError"
        assert str(missing.value) == f"Record does not exist or has been deleted.\n(Record: res.users({user_id},), User: 2)"


def test_a_user_without_the_rights_gets_access_errors(admin, sim, database):
    admin.env["res.users"].create({"login": "clerk", "name": "Clerk", "password": "clerk-secret"})
    clerk = odoorpc.ODOO("127.0.0.1", port=sim.port)
    clerk.login(database, "clerk", "clerk-secret")
    assert clerk.env["res.users"].search_count([("login", "=", "clerk")]) == 1, "users may read users"
    with pytest.raises(odoorpc.error.RPCError) as denied:
        clerk.env["res.users"].create({"login": "other", "name": "Other"})
    assert error_name(denied) == "odoo.exceptions.AccessError"
    assert str(denied.value) == (
        "You are not allowed to create 'User' (res.users) records.\n\n"
        "This operation is allowed for the following groups:\n\t- Administration/Access Rights\n\n"
        "Contact your administrator to request access if necessary."
    )
    assert clerk.env["res.users"].check_access_rights("write", raise_exception=False) is False
    module = clerk.env["ir.module.module"].search([("name", "=", "auth_oauth")])
    with pytest.raises(odoorpc.error.RPCError) as denied:
        clerk.env["ir.module.module"].browse(module).button_immediate_install()
    assert error_name(denied) == "odoo.exceptions.AccessDenied", "module installation is for administrators"
    with pytest.raises(odoorpc.error.RPCError) as private:
        admin.execute_kw("res.users", "_compute_share", [[2]])
    assert error_name(private) == "odoo.exceptions.AccessError"
    assert str(private.value) == "Private methods (such as _compute_share) cannot be called remotely."


def test_a_web_session_signs_in_calls_the_orm_and_signs_out(odoo, database):
    info = odoo.json("/web/session/authenticate", {"db": database, "login": ADMIN_LOGIN, "password": ADMIN_PASSWORD})["result"]
    assert (info["uid"], info["db"], info["username"], info["name"]) == (2, database, ADMIN_LOGIN, "Administrator")
    assert info["user_context"] == {"lang": "fr_FR", "tz": False, "uid": 2}
    assert info["server_version_info"][0] == 17 and info["is_system"] is True
    cookie_jar = next(
        handler.cookiejar for handler in odoo._connector._opener.handlers
        if isinstance(handler, urllib.request.HTTPCookieProcessor)
    )
    assert [cookie.name for cookie in cookie_jar] == ["session_id"]

    counted = odoo.json("/web/dataset/call_kw/res.users/search_count", {
        "model": "res.users", "method": "search_count", "args": [[["share", "=", False]]], "kwargs": {},
    })
    assert counted["result"] == 1
    assert odoo.json("/web/session/get_session_info", {})["result"]["uid"] == 2
    destroyed = odoo.json("/web/session/destroy", {})
    assert "result" not in destroyed, "the route returns None"
    with pytest.raises(odoorpc.error.RPCError) as expired:
        odoo.json("/web/dataset/call_kw", {"model": "res.users", "method": "search_count", "args": [[]], "kwargs": {}})
    assert expired.value.info["code"] == 100
    assert expired.value.info["message"] == "Odoo Session Expired"
    assert error_name(expired) == "odoo.http.SessionExpiredException"


def test_a_password_change_ends_the_users_web_sessions(admin, sim, database):
    admin.env["res.users"].create({"login": "clerk", "name": "Clerk", "password": "clerk-secret"})
    web = odoorpc.ODOO("127.0.0.1", port=sim.port)
    web.json("/web/session/authenticate", {"db": database, "login": "clerk", "password": "clerk-secret"})
    clerk_id = admin.env["res.users"].search([("login", "=", "clerk")])[0]
    admin.execute_kw("res.users", "write", [[clerk_id], {"password": "changed"}])
    with pytest.raises(odoorpc.error.RPCError) as expired:
        web.json("/web/session/get_session_info", {})
    assert error_name(expired) == "odoo.http.SessionExpiredException"


def test_xmlrpc_reaches_the_same_services_and_state(sim, admin, database):
    common = xmlrpc.client.ServerProxy(f"{sim.url}/xmlrpc/2/common")
    assert common.version()["server_version"] == "17.0"
    uid = common.authenticate(database, ADMIN_LOGIN, ADMIN_PASSWORD, {})
    assert uid == 2
    assert common.authenticate(database, ADMIN_LOGIN, "wrong", {}) is False
    db = xmlrpc.client.ServerProxy(f"{sim.url}/xmlrpc/2/db")
    assert db.db_exist(database) is True and database in db.list()
    models = xmlrpc.client.ServerProxy(f"{sim.url}/xmlrpc/2/object")
    # The external API documentation's sequence.
    assert models.execute_kw(database, uid, ADMIN_PASSWORD, "res.partner", "check_access_rights", ["read"], {"raise_exception": False}) is True
    attributes = {"attributes": ["string", "type", "relation"]}
    fields = models.execute_kw(database, uid, ADMIN_PASSWORD, "res.users", "fields_get", [], attributes)
    assert fields["login"] == {"string": "Login", "type": "char"}
    assert "oauth_uid" not in fields, "auth_oauth adds it"

    provider_id = create_provider(admin)
    fields = models.execute_kw(database, uid, ADMIN_PASSWORD, "res.users", "fields_get", [["oauth_provider_id"]], attributes)
    assert fields == {"oauth_provider_id": {"string": "OAuth Provider", "type": "many2one", "relation": "auth.oauth.provider"}}
    created = models.execute_kw(database, uid, ADMIN_PASSWORD, "res.users", "create", [user_values("xml@acme.example", "subject-xml", provider_id)])
    assert admin.env["res.users"].search([("oauth_uid", "=", "subject-xml")]) == [created], "OdooRPC sees what XML-RPC wrote"
    read = models.execute_kw(database, uid, ADMIN_PASSWORD, "res.users", "search_read", [[["login", "=", "xml@acme.example"]]], {"fields": USER_FIELDS, "limit": 1})
    assert read == [{"id": created, **user_values("xml@acme.example", "subject-xml", [provider_id, "Bibind"])}]
    assert models.execute_kw(database, uid, ADMIN_PASSWORD, "res.users", "write", [[created], {"name": "Ann X"}]) is True
    assert admin.env["res.users"].browse(created).name == "Ann X"
    assert models.execute_kw(database, uid, ADMIN_PASSWORD, "res.users", "unlink", [[created]]) is True


def test_xmlrpc_creates_and_drops_a_database(sim):
    db = xmlrpc.client.ServerProxy(f"{sim.url}/xmlrpc/2/db")
    name = f"xml{next(names)}"
    assert db.create_database(ODOO_MASTER_PASSWORD, name, False, "en_US", ADMIN_PASSWORD, ADMIN_LOGIN) is True
    common = xmlrpc.client.ServerProxy(f"{sim.url}/xmlrpc/2/common")
    assert common.authenticate(name, ADMIN_LOGIN, ADMIN_PASSWORD, {}) == 2
    with pytest.raises(xmlrpc.client.Fault) as denied:
        db.drop("not-the-master", name)
    assert (denied.value.faultCode, denied.value.faultString) == (3, "Access Denied")
    assert db.drop(ODOO_MASTER_PASSWORD, name) is True
    assert db.drop(ODOO_MASTER_PASSWORD, name) is False


def test_xmlrpc_faults_carry_odoos_integer_codes(sim, admin, database):
    models = xmlrpc.client.ServerProxy(f"{sim.url}/xmlrpc/2/object")
    user_id = admin.env["res.users"].create({"login": "gone@acme.example", "name": "Gone"})
    admin.env["res.users"].browse(user_id).unlink()
    cases = [
        # (call, faultCode, faultString or what it contains)
        (lambda: models.execute_kw(database, 2, "wrong", "res.users", "search", [[]]), 3, "Access Denied"),
        (lambda: models.execute_kw(database, 2, ADMIN_PASSWORD, "res.users", "_compute_share", [[2]]), 4,
         "Private methods (such as _compute_share) cannot be called remotely."),
        (lambda: models.execute_kw(database, 2, ADMIN_PASSWORD, "no.such.model", "search", [[]]), 2, "Object no.such.model doesn't exist"),
        (lambda: models.execute_kw(database, 2, ADMIN_PASSWORD, "res.users", "create", [{"login": ADMIN_LOGIN, "name": "Twin"}]), 2,
         "The operation cannot be completed: You can not have two users with the same login !"),
        (lambda: models.execute_kw(database, 2, ADMIN_PASSWORD, "res.users", "write", [[user_id], {"name": "Back"}]), 2,
         f"Record does not exist or has been deleted.\n(Record: res.users({user_id},), User: 2)"),
    ]
    for call, code, text in cases:
        with pytest.raises(xmlrpc.client.Fault) as fault:
            call()
        assert (fault.value.faultCode, fault.value.faultString) == (code, text)
    # Anything that is not one of Odoo's own exceptions: code 1, the traceback as the string.
    with pytest.raises(xmlrpc.client.Fault) as fault:
        xmlrpc.client.ServerProxy(f"{sim.url}/xmlrpc/2/common").authenticate("nope", ADMIN_LOGIN, ADMIN_PASSWORD, {})
    assert fault.value.faultCode == 1
    assert fault.value.faultString.startswith("Traceback (most recent call last):")
    assert 'psycopg2.OperationalError: connection to server on socket "/var/run/postgresql/.s.PGSQL.5432" failed: FATAL:  database "nope" does not exist' in fault.value.faultString
    with pytest.raises(xmlrpc.client.Fault) as fault:
        xmlrpc.client.ServerProxy(f"{sim.url}/xmlrpc/2/nope").version()
    assert fault.value.faultCode == 1 and fault.value.faultString.endswith("KeyError: 'nope'\n")


def test_the_legacy_xmlrpc_route_words_its_faults_as_text(sim, admin, database):
    models = xmlrpc.client.ServerProxy(f"{sim.url}/xmlrpc/object")
    user_id = admin.env["res.users"].create({"login": "gone@acme.example", "name": "Gone"})
    admin.env["res.users"].browse(user_id).unlink()
    with pytest.raises(xmlrpc.client.Fault) as fault:
        models.execute_kw(database, 2, "wrong", "res.users", "search", [[]])
    assert (fault.value.faultCode, fault.value.faultString) == ("AccessDenied", "Access Denied")
    with pytest.raises(xmlrpc.client.Fault) as fault:
        models.execute_kw(database, 2, ADMIN_PASSWORD, "res.users", "unlink", [[user_id]])
    assert fault.value.faultCode == f"warning -- MissingError\n\nRecord does not exist or has been deleted.\n(Record: res.users({user_id},), User: 2)"
    assert fault.value.faultString == ""
    with pytest.raises(xmlrpc.client.Fault) as fault:
        models.execute_kw(database, 2, ADMIN_PASSWORD, "no.such.model", "search", [[]])
    assert fault.value.faultCode == "warning -- UserError\n\nObject no.such.model doesn't exist"
    with pytest.raises(xmlrpc.client.Fault) as fault:
        models.execute_kw(database, 2, ADMIN_PASSWORD, "res.users", "_compute_share", [[2]])
    assert fault.value.faultCode.startswith("warning -- AccessError\n\nPrivate methods")
    assert xmlrpc.client.ServerProxy(f"{sim.url}/xmlrpc/common").version()["server_serie"] == "17.0"


def test_a_course_and_its_attendees_are_read_through_odoorpc(admin):
    """website_slides as Odoo 17 has it: the course's counters and URL,
    its contents, a membership granted through the public method, and the
    completion that follows the progress written for the attendee."""
    install(admin, ["website_slides"])
    Channel, Slide = admin.env["slide.channel"], admin.env["slide.slide"]
    channel_id = Channel.create({"name": "Python basics", "is_published": True, "visibility": "connected"})
    slide_ids = [
        Slide.create({"name": f"Lesson {n}", "channel_id": channel_id, "is_published": True, "sequence": n})
        for n in range(1, 5)
    ]
    partner_id = admin.env["res.partner"].create({"name": "Ann Learner", "email": "ann@acme.example"})
    assert Channel.browse(channel_id).action_grant_access(partner_id) is None
    channel = Channel.browse(channel_id)
    assert (channel.name, channel.total_slides, channel.members_count) == ("Python basics", 4, 2), "the creator attends it too"
    assert (channel.visibility, channel.enroll, channel.is_published) == ("connected", "public", True)
    assert channel.website_url == f"http://localhost:8069/slides/python-basics-{channel_id}"
    assert [slide.id for slide in channel.slide_ids] == slide_ids

    Memberships = admin.env["slide.channel.partner"]
    [membership_id] = Memberships.search([("channel_id", "=", channel_id), ("partner_id", "=", partner_id)])
    assert membership_id in [member.id for member in channel.channel_partner_ids]
    membership = Memberships.browse(membership_id)
    assert (membership.partner_id.name, membership.member_status, membership.completion) == ("Ann Learner", "joined", 0)
    assert isinstance(membership.write_date, datetime.datetime)

    admin.env["slide.slide.partner"].create({"slide_id": slide_ids[0], "partner_id": partner_id, "completed": True})
    membership = Memberships.browse(membership_id)
    assert (membership.completion, membership.completed_slides_count, membership.member_status) == (25, 1, "ongoing")
    with pytest.raises(odoorpc.error.RPCError) as private:
        admin.execute_kw("slide.channel", "_action_add_members", [[channel_id], [partner_id]])
    assert str(private.value) == "Private methods (such as _action_add_members) cannot be called remotely."


def test_an_injected_fault_is_the_proxys_error_page_on_every_protocol(sim, odoo):
    set_fault(sim, "common.version", {"status": 502, "times": 2})
    with pytest.raises(xmlrpc.client.ProtocolError) as failed:
        xmlrpc.client.ServerProxy(f"{sim.url}/xmlrpc/2/common").version()
    assert failed.value.errcode == 502
    with pytest.raises(urllib.error.HTTPError) as failed:
        rpc(odoo, "common", "version")
    assert failed.value.code == 502
    assert rpc(odoo, "common", "version")["server_serie"] == "17.0"


def test_a_dump_taken_with_odoorpc_is_restored_as_a_copy_with_the_same_data(sim, admin, database):
    """`odoo.db.dump` and `odoo.db.restore` (the `db` service's `dump` and
    `restore`, base64 over /jsonrpc): Odoo's zip as Python's zipfile reads
    it, restored under another name, a copy with its own database.uuid."""
    odoo = admin
    partner_ids = [odoo.env["res.partner"].create({"name": name}) for name in ("Ann Backup", "Bob Backup")]
    content = b"Hello from the filestore\n"
    attachment_id = odoo.env["ir.attachment"].create({"name": "notes.txt", "datas": base64.b64encode(content).decode()})
    uuid = odoo.execute("ir.config_parameter", "get_param", "database.uuid")

    dump = odoo.db.dump(ODOO_MASTER_PASSWORD, database)
    checksum = hashlib.sha1(content).hexdigest()
    with zipfile.ZipFile(dump) as archive:
        assert archive.testzip() is None, "every member's CRC-32 checks"
        assert archive.namelist() == ["dump.sql", "manifest.json", f"filestore/{checksum[:2]}/{checksum}"]
        assert {info.compress_type for info in archive.infolist()} == {zipfile.ZIP_DEFLATED}
        manifest = json.loads(archive.read("manifest.json"))
        assert list(manifest) == ["odoo_dump", "db_name", "version", "version_info", "major_version", "pg_version", "modules"]
        assert (manifest["odoo_dump"], manifest["db_name"], manifest["version"]) == ("1", database, "17.0")
        assert manifest["version_info"] == [17, 0, 0, "final", 0, ""]
        assert manifest["modules"]["base"] == "17.0.1.3"
        assert archive.read(f"filestore/{checksum[:2]}/{checksum}") == content
        assert b"Ann Backup" in archive.read("dump.sql")
    odoo.env["res.partner"].browse(partner_ids[0]).write({"name": "Ann Changed"})

    restored = f"{database}-restored"
    dump.seek(0)
    assert odoo.db.restore(ODOO_MASTER_PASSWORD, restored, dump, copy=True) is None
    try:
        assert restored in odoo.db.list()
        copy = odoorpc.ODOO("127.0.0.1", port=sim.port)
        copy.login(restored, ADMIN_LOGIN, ADMIN_PASSWORD)
        assert [partner.name for partner in copy.env["res.partner"].browse(partner_ids)] == ["Ann Backup", "Bob Backup"]
        assert base64.b64decode(copy.env["ir.attachment"].browse(attachment_id).datas) == content
        assert copy.execute("ir.config_parameter", "get_param", "database.uuid") not in (False, uuid)
        assert [partner.name for partner in odoo.env["res.partner"].browse(partner_ids)] == ["Ann Changed", "Bob Backup"]

        dump.seek(0)
        with pytest.raises(odoorpc.error.RPCError) as exists:
            odoo.db.restore(ODOO_MASTER_PASSWORD, restored, dump)
        assert error_name(exists) == "builtins.Exception"
        assert str(exists.value) == "Database already exists"
    finally:
        odoo.db.drop(ODOO_MASTER_PASSWORD, restored)
    with pytest.raises(odoorpc.error.RPCError) as refused:
        odoo.db.dump("not-the-master", database)
    assert error_name(refused) == "odoo.exceptions.AccessDenied"


def test_a_backup_zipped_by_python_is_restored_and_one_without_dump_sql_refused(odoo, database):
    with zipfile.ZipFile(odoo.db.dump(ODOO_MASTER_PASSWORD, database)) as archive:
        sql, manifest = archive.read("dump.sql"), archive.read("manifest.json")
    rezipped = io.BytesIO()
    with zipfile.ZipFile(rezipped, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("dump.sql", sql)
        archive.writestr("manifest.json", manifest)
    rezipped.seek(0)
    moved = f"{database}-moved"
    odoo.db.restore(ODOO_MASTER_PASSWORD, moved, rezipped)
    try:
        assert odoo.json("/web/session/authenticate", {"db": moved, "login": ADMIN_LOGIN, "password": ADMIN_PASSWORD})["result"]["uid"] == 2
    finally:
        odoo.db.drop(ODOO_MASTER_PASSWORD, moved)

    incomplete = io.BytesIO()
    with zipfile.ZipFile(incomplete, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", manifest)
    incomplete.seek(0)
    with pytest.raises(odoorpc.error.RPCError) as refused:
        odoo.db.restore(ODOO_MASTER_PASSWORD, f"{database}-incomplete", incomplete)
    assert error_name(refused) == "builtins.KeyError"
    assert str(refused.value) == "\"There is no item named 'dump.sql' in the archive\""
    assert f"{database}-incomplete" in odoo.db.list(), "restore_db created it before reading the zip"
    assert odoo.db.drop(ODOO_MASTER_PASSWORD, f"{database}-incomplete") is True


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_the_database_manager_backs_up_and_restores_through_its_forms(sim, database):
    """The manager's own forms: the backup an attachment named after the
    database and the time, the restore a multipart upload answered with a
    redirect to the manager, and an error the manager page again."""
    form = urllib.parse.urlencode({"master_pwd": ODOO_MASTER_PASSWORD, "name": database, "backup_format": "zip"}).encode()
    with urllib.request.urlopen(f"{sim.url}/web/database/backup", data=form) as answer:
        assert answer.headers["Content-Type"] == "application/octet-stream; charset=binary"
        disposition = answer.headers["Content-Disposition"]
        backup = answer.read()
    assert re.fullmatch(rf"attachment; filename\*=UTF-8''{database}_\d{{4}}-\d\d-\d\d_\d\d-\d\d-\d\d\.zip", disposition), disposition
    assert zipfile.ZipFile(io.BytesIO(backup)).testzip() is None

    boundary = "odoo-real-client-boundary"
    restored = f"{database}-web"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in (("master_pwd", ODOO_MASTER_PASSWORD), ("name", restored), ("copy", "true"))
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="backup_file"; filename="backup.zip"\r\n'
        "Content-Type: application/zip\r\n\r\n".encode() + backup + b"\r\n"
    )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    request = urllib.request.Request(
        f"{sim.url}/web/database/restore", data=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    with pytest.raises(urllib.error.HTTPError) as redirected:
        urllib.request.build_opener(_NoRedirect).open(request)
    assert (redirected.value.code, redirected.value.headers["Location"]) == (303, "/web/database/manager")
    odoo = odoorpc.ODOO("127.0.0.1", port=sim.port)
    assert restored in odoo.db.list()
    odoo.db.drop(ODOO_MASTER_PASSWORD, restored)

    form = urllib.parse.urlencode({"master_pwd": "not-the-master", "name": database}).encode()
    with urllib.request.urlopen(f"{sim.url}/web/database/backup", data=form) as answer:
        assert answer.status == 200
        page = answer.read().decode()
    assert '<div class="alert alert-danger">Database backup error: Access Denied</div>' in page
