"""State-transition tests of the bibind charm (ops.testing, Scenario 8)."""

from __future__ import annotations

import dataclasses
import json
import stat
import sys
import tomllib

import ops
import pytest
from ops import pebble, testing

import charm
from charm import (
    BINARY,
    CANDIDATE_PATH,
    CONFIG_DIR,
    CONFIG_PATH,
    DATABASE_CA_PATH,
    BibindCharm,
)

DB_PASSWORD = "s3cr3t-Pa$$word"
DB_USER = "relation_7"
DB_HOST = "postgresql-k8s-primary.db.svc.cluster.local:5432"
DB_URL = f"postgres://{DB_USER}:s3cr3t-Pa%24%24word@{DB_HOST}/bibind"
OIDC_SECRET = "oidc-client-secret-value-0123"
CHECK_CONFIG = [BINARY, "--config", CANDIDATE_PATH, "check-config"]
VALID = testing.Exec(CHECK_CONFIG, stdout="configuration is valid\n")
PUBLIC_URL = "https://portal.bibind.fr"


# Scenario wipes a container's filesystem before each run: /etc/bibind is
# mounted from a directory of the test so that what the charm pushed in one
# run is still there in the next (as in a real container).
ETC_BIBIND = None


@pytest.fixture(autouse=True)
def etc_bibind(tmp_path, monkeypatch):
    directory = tmp_path / "etc-bibind"
    directory.mkdir()
    monkeypatch.setattr(sys.modules[__name__], "ETC_BIBIND", directory)
    return directory


@pytest.fixture
def ctx() -> testing.Context:
    return testing.Context(BibindCharm)


def db_secret() -> testing.Secret:
    return testing.Secret({"username": DB_USER, "password": DB_PASSWORD})


def db_relation(secret: testing.Secret | None, **extra: str) -> testing.Relation:
    data = {"database": "bibind", "endpoints": f"{DB_HOST},replica:5432", **extra}
    if secret is not None:
        data["secret-user"] = secret.id
    return testing.Relation("database", remote_app_name="postgresql-k8s", remote_app_data=data)


def kratos_relation() -> testing.Relation:
    return testing.Relation(
        "kratos",
        remote_app_name="kratos",
        remote_app_data={
            "admin_endpoint": "http://kratos.iam.svc.cluster.local:4434",
            "public_endpoint": "http://kratos.iam.svc.cluster.local:4433",
            "login_browser_endpoint": "https://id.bibind.fr/self-service/login/browser",
            "sessions_endpoint": "http://kratos.iam.svc.cluster.local:4433/sessions/whoami",
            "providers_configmap_name": "providers",
            "schemas_configmap_name": "identity-schemas",
            "configmaps_namespace": "iam",
            "mfa_enabled": "True",
            "oidc_webauthn_sequencing_enabled": "False",
        },
    )


def hydra_relation() -> testing.Relation:
    return testing.Relation(
        "hydra",
        remote_app_name="hydra",
        remote_app_data={
            "admin_endpoint": "http://hydra.iam.svc.cluster.local:4445",
            "public_endpoint": "http://hydra.iam.svc.cluster.local:4444",
        },
    )


def portal(*execs: testing.Exec) -> testing.Container:
    return testing.Container(
        "portal",
        can_connect=True,
        execs=set(execs) or {VALID},
        mounts={"etc-bibind": testing.Mount(location=CONFIG_DIR, source=ETC_BIBIND)},
    )


def full_state(
    *,
    config: dict | None = None,
    execs: tuple[testing.Exec, ...] = (),
    relations: tuple | None = None,
    secrets: tuple = (),
    leader: bool = True,
    secret: testing.Secret | None = None,
) -> testing.State:
    secret = secret or db_secret()
    if relations is None:
        relations = (db_relation(secret), kratos_relation(), hydra_relation())
    return testing.State(
        leader=leader,
        config={"public-url": PUBLIC_URL, **(config or {})},
        containers={portal(*execs)},
        relations=set(relations),
        secrets={secret, *secrets},
    )


def config_file(ctx: testing.Context, state: testing.State, path: str = CONFIG_PATH):
    root = state.get_container("portal").get_filesystem(ctx)
    return root / path.lstrip("/")


def rendered(ctx: testing.Context, state: testing.State) -> tuple[str, dict]:
    text = config_file(ctx, state).read_text()
    return text, tomllib.loads(text)


def service(state: testing.State) -> pebble.Service:
    return state.get_container("portal").plan.services["bibind"]


def configured(ctx: testing.Context, **kwargs) -> testing.State:
    """A state in which the portal is configured and running."""
    state = ctx.run(ctx.on.config_changed(), full_state(**kwargs))
    assert state.unit_status == testing.ActiveStatus(), state.unit_status
    return state


# Blocked and waiting ------------------------------------------------------------------


def test_blocked_without_database_relation(ctx):
    state = full_state(relations=(kratos_relation(), hydra_relation()))
    out = ctx.run(ctx.on.config_changed(), state)
    assert out.unit_status.name == "blocked"
    assert "missing the database relation" in out.unit_status.message
    assert "juju integrate bibind postgresql-k8s" in out.unit_status.message
    assert "bibind" not in out.get_container("portal").plan.services
    assert not config_file(ctx, out).exists()
    assert ctx.exec_history.get("portal", []) == []


def test_removing_the_database_relation_stops_the_service(ctx):
    state = configured(ctx)
    assert state.get_container("portal").services["bibind"].is_running()
    database = next(iter(state.get_relations("database")))
    out = ctx.run(ctx.on.relation_broken(database), state)
    assert out.unit_status.name == "blocked"
    assert "database relation" in out.unit_status.message
    assert not out.get_container("portal").services["bibind"].is_running()


def test_waiting_for_database_credentials(ctx):
    state = full_state(
        relations=(db_relation(None), kratos_relation(), hydra_relation()),
    )
    out = ctx.run(ctx.on.relation_changed(next(iter(state.get_relations("database")))), state)
    assert out.unit_status == testing.WaitingStatus("waiting for the database credentials")


def test_blocked_without_public_url(ctx):
    state = dataclasses.replace(full_state(), config={})
    out = ctx.run(ctx.on.config_changed(), state)
    assert out.unit_status.name == "blocked"
    assert "public-url" in out.unit_status.message


def test_blocked_without_kratos_and_hydra(ctx):
    secret = db_secret()
    out = ctx.run(
        ctx.on.config_changed(), full_state(relations=(db_relation(secret),), secret=secret)
    )
    assert out.unit_status.name == "blocked"
    assert "missing Kratos" in out.unit_status.message
    assert "kratos-public-url" in out.unit_status.message

    out = ctx.run(
        ctx.on.config_changed(),
        full_state(relations=(db_relation(secret), kratos_relation()), secret=secret),
    )
    assert out.unit_status.name == "blocked"
    assert "missing Hydra" in out.unit_status.message


def test_waiting_for_pebble(ctx):
    state = dataclasses.replace(
        full_state(), containers={testing.Container("portal", can_connect=False)}
    )
    out = ctx.run(ctx.on.config_changed(), state)
    assert out.unit_status.name == "waiting"
    assert "Pebble" in out.unit_status.message


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("trusted-proxies", "10.0.0.0/8, 10.0.0.0/33", "invalid trusted-proxies: '10.0.0.0/33'"),
        ("log-format", "xml", "invalid log-format: must be one of human, json"),
        ("log-level", "loud", "invalid log-level"),
        ("public-url", "portal.bibind.fr", "invalid public-url"),
        ("port", 70000, "invalid port"),
        ("operations-port", 3000, "invalid operations-port: must differ from port"),
        ("rate-limits", "login_per_ip=30,logins=3", "invalid rate-limits: 'logins=3'"),
        ("rate-limits", "login_per_ip=many", "invalid rate-limits: login_per_ip"),
        ("platform-admins", "ops@bibind.fr,nobody", "invalid platform-admins: 'nobody'"),
        ("vault-url", "openbao:8200", "invalid vault-url"),
        ("database-max-connections", 0, "invalid database-max-connections"),
    ],
)
def test_an_invalid_option_blocks_with_its_name(ctx, option, value, message):
    out = ctx.run(ctx.on.config_changed(), full_state(config={option: value}))
    assert out.unit_status.name == "blocked"
    assert message in out.unit_status.message
    # Nothing was written nor started with it.
    assert not config_file(ctx, out).exists()
    assert "bibind" not in out.get_container("portal").plan.services


def test_an_invalid_option_keeps_the_last_valid_configuration_running(ctx):
    state = configured(ctx)
    before = config_file(ctx, state).read_text()
    bad = dataclasses.replace(state, config={**state.config, "log-format": "xml"})
    out = ctx.run(ctx.on.config_changed(), bad)
    assert out.unit_status.name == "blocked"
    assert "still running the last valid configuration" in out.unit_status.message
    assert config_file(ctx, out).read_text() == before
    assert out.get_container("portal").services["bibind"].is_running()


def test_a_configuration_check_config_refuses_blocks_without_leaking_secrets(ctx):
    refusal = testing.Exec(
        CHECK_CONFIG,
        return_code=2,
        stderr=f"bibind: invalid configuration: database.url {DB_URL} is not valid\n",
    )
    out = ctx.run(ctx.on.config_changed(), full_state(execs=(refusal,)))
    assert out.unit_status.name == "blocked"
    assert out.unit_status.message.startswith("check-config: bibind: invalid configuration")
    assert DB_PASSWORD not in out.unit_status.message
    assert "***" in out.unit_status.message
    assert not config_file(ctx, out).exists()
    assert not config_file(ctx, out, CANDIDATE_PATH).exists()
    assert "bibind" not in out.get_container("portal").plan.services


# Rendering --------------------------------------------------------------------------------


def test_database_request_is_published_by_the_leader(ctx):
    database = db_relation(None)
    state = full_state(relations=(database,), config={"database-name": "portal"})
    out = ctx.run(ctx.on.relation_created(database), state)
    local = out.get_relation(database.id).local_app_data
    assert local["database"] == "portal"
    assert {"username", "password", "tls-ca"} <= set(json.loads(local["requested-secrets"]))


def test_a_follower_does_not_write_the_application_databag(ctx):
    database = db_relation(None)
    out = ctx.run(
        ctx.on.relation_created(database), full_state(relations=(database,), leader=False)
    )
    assert "database" not in out.get_relation(database.id).local_app_data


def test_configuration_is_rendered_from_options_and_relations(ctx):
    state = configured(
        ctx,
        config={
            "trusted-proxies": "10.0.0.0/8, 192.168.1.1",
            "approve-new-organizations": True,
            "organizations-per-account": 2,
            "rate-limits": "login_per_ip=40, api-per-client-per-minute=900",
            "platform-admins": "ops@bibind.fr",
            "vault-url": "http://openbao.vault.svc:8200",
            "smtp-address": "smtp.bibind.fr:587",
            "smtp-from": "Bibind <no-reply@bibind.fr>",
        },
    )
    text, config = rendered(ctx, state)
    assert config["server"] == {
        "listen": "0.0.0.0:3000",
        "public_url": PUBLIC_URL,
        "trusted_proxies": ["10.0.0.0/8", "192.168.1.1"],
        "operations_listen": "0.0.0.0:9100",
    }
    assert config["log"] == {"format": "json", "filter": "info,vaultrs=off,rustify=off"}
    assert config["database"] == {"migrate": True}
    assert config["tenancy"] == {"approve_new_organizations": True, "organizations_per_account": 2}
    assert config["rate_limits"] == {"login_per_ip": 40, "api_per_client_per_minute": 900}
    assert config["bootstrap"] == {"platform_admins": ["ops@bibind.fr"]}
    assert config["vault"] == {"addr": "http://openbao.vault.svc:8200"}
    assert config["smtp"] == {
        "address": "smtp.bibind.fr:587",
        "from": "Bibind <no-reply@bibind.fr>",
    }
    # Kratos: browsers reach its public API at the URL of the login browser
    # endpoint, the portal relays to the in-cluster public endpoint.
    assert config["kratos"] == {
        "public_url": "https://id.bibind.fr",
        "admin_url": "http://kratos.iam.svc.cluster.local:4434",
        "internal_url": "http://kratos.iam.svc.cluster.local:4433",
    }
    assert config["hydra"] == {
        "public_url": "http://hydra.iam.svc.cluster.local:4444",
        "admin_url": "http://hydra.iam.svc.cluster.local:4445",
    }
    # Sections the operator did not configure are left to the portal.
    for section in ("provisioning", "oidc", "mqtt", "session", "site"):
        assert section not in config
    path = config_file(ctx, state)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert not config_file(ctx, state, CANDIDATE_PATH).exists()
    assert text.startswith("# Written by the bibind charm")


def test_options_override_relation_urls_and_replace_missing_relations(ctx):
    secret = db_secret()
    state = configured(
        ctx,
        relations=(db_relation(secret), hydra_relation()),
        secret=secret,
        config={
            "kratos-public-url": "https://auth.bibind.fr",
            "kratos-admin-url": "http://kratos-admin:4434",
            "hydra-public-url": "https://login.bibind.fr",
        },
    )
    _, config = rendered(ctx, state)
    assert config["kratos"] == {
        "public_url": "https://auth.bibind.fr",
        "admin_url": "http://kratos-admin:4434",
    }
    assert config["hydra"]["public_url"] == "https://login.bibind.fr"
    assert config["hydra"]["admin_url"] == "http://hydra.iam.svc.cluster.local:4445"


def test_secrets_are_in_the_environment_only(ctx):
    credentials = testing.Secret({"oidc-client-secret": OIDC_SECRET})
    state = configured(
        ctx,
        config={"oidc-client-id": "bibind-portal", "credentials": credentials.id},
        secrets=(credentials,),
    )
    text, config = rendered(ctx, state)
    for secret in (DB_PASSWORD, "Pa%24%24word", OIDC_SECRET, DB_USER):
        assert secret not in text
    assert "url" not in config["database"]
    assert config["oidc"] == {"client_id": "bibind-portal", "register": False}
    environment = service(state).environment
    # Quoted: figment reads the value as a string, whatever it looks like.
    assert environment["BIBIND_DATABASE__URL"] == f'"{DB_URL}"'
    assert environment["BIBIND_OIDC__CLIENT_SECRET"] == f'"{OIDC_SECRET}"'
    assert not any(
        DB_PASSWORD in line.message or OIDC_SECRET in line.message for line in ctx.juju_log
    )


def test_a_secret_that_looks_like_a_number_is_still_a_string(ctx):
    credentials = testing.Secret({"oidc-client-secret": '12345"\\'})
    state = configured(
        ctx,
        config={"oidc-client-id": "bibind-portal", "credentials": credentials.id},
        secrets=(credentials,),
    )
    assert service(state).environment["BIBIND_OIDC__CLIENT_SECRET"] == '"12345\\"\\\\"'


def test_an_oidc_client_without_its_secret_blocks(ctx):
    out = ctx.run(ctx.on.config_changed(), full_state(config={"oidc-client-id": "bibind-portal"}))
    assert out.unit_status.name == "blocked"
    assert "oidc-client-secret" in out.unit_status.message


def test_an_unknown_credentials_key_blocks(ctx):
    credentials = testing.Secret({"vault-tokn": "x"})
    out = ctx.run(
        ctx.on.config_changed(),
        full_state(config={"credentials": credentials.id}, secrets=(credentials,)),
    )
    assert out.unit_status.name == "blocked"
    assert "unknown key(s) vault-tokn" in out.unit_status.message


def test_database_credentials_in_the_databag_and_tls(ctx):
    ca = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    database = testing.Relation(
        "database",
        remote_app_name="postgresql-k8s",
        remote_app_data={
            "database": "bibind",
            "endpoints": DB_HOST,
            "username": DB_USER,
            "password": "12345",
            "tls": "true",
            "tls-ca": ca,
        },
    )
    state = configured(ctx, relations=(database, kratos_relation(), hydra_relation()))
    url = service(state).environment["BIBIND_DATABASE__URL"]
    assert url == (
        f'"postgres://{DB_USER}:12345@{DB_HOST}/bibind'
        f'?sslmode=verify-ca&sslrootcert={DATABASE_CA_PATH}"'
    )
    assert config_file(ctx, state, DATABASE_CA_PATH).read_text() == ca


def test_provisioning_needs_its_options_and_credentials(ctx):
    out = ctx.run(ctx.on.config_changed(), full_state(config={"provisioning": True}))
    assert out.unit_status.name == "blocked"
    for option in (
        "provisioning-ecommerce-domain",
        "provisioning-awx-url",
        "vault-url",
        "mqtt-address",
    ):
        assert option in out.unit_status.message
    assert "provisioning-kubernetes-api-url" not in out.unit_status.message  # has a default


def provisioning_options(credentials: testing.Secret) -> dict:
    return {
        "provisioning": True,
        "credentials": credentials.id,
        "vault-url": "http://openbao:8200",
        "mqtt-address": "mqtts://mqtt.bibind.fr:8883",
        "provisioning-ecommerce-domain": "shop.bibind-apps.fr",
        "provisioning-training-domain": "learn.bibind-apps.fr",
        "provisioning-iot-domain": "iot.bibind-apps.fr",
        "provisioning-odoo-image": "odoo:18.0",
        "provisioning-ingest-image": "registry.bibind.fr/iot/ingest:1",
        "provisioning-odoo-url": "http://odoo.{namespace}.svc:8069",
        "provisioning-awx-url": "https://awx.bibind.fr",
        "provisioning-awx-database-template": "db",
        "provisioning-awx-drop-database-template": "db-drop",
        "provisioning-gitlab-url": "https://gitlab.bibind.fr",
        "provisioning-openstack-keystone-url": "https://keystone.bibind.fr/v3",
        "provisioning-openstack-username": "bibind-control",
        "provisioning-openstack-project": "admin",
        "provisioning-mqtt-admin-username": "admin",
    }


def test_provisioning_is_rendered_with_its_secrets_in_the_environment(ctx):
    secrets = {key: f"{key}-value" for key in charm.PROVISIONING_CREDENTIALS}
    credentials = testing.Secret(secrets)
    options = provisioning_options(credentials) | {
        "provisioning-gitlab-parent-group": 42,
        "provisioning-workers": 2,
    }
    state = configured(ctx, config=options, secrets=(credentials,))
    text, config = rendered(ctx, state)
    provisioning = config["provisioning"]
    assert provisioning["ecommerce_domain"] == "shop.bibind-apps.fr"
    assert provisioning["workers"] == 2
    assert provisioning["run_engine"] is True
    assert provisioning["kubernetes"] == {
        "api_url": "https://kubernetes.default.svc",
        "token_file": "/var/run/secrets/kubernetes.io/serviceaccount/token",
        "ca_file": "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt",
    }
    assert provisioning["gitlab"] == {"url": "https://gitlab.bibind.fr", "parent_group": 42}
    assert provisioning["mqtt"] == {"admin_username": "admin", "ingest": True}
    assert config["mqtt"] == {"address": "mqtts://mqtt.bibind.fr:8883"}
    environment = service(state).environment
    assert environment["BIBIND_PROVISIONING__VAULT_TOKEN"] == '"vault-token-value"'
    assert environment["BIBIND_PROVISIONING__OPENSTACK__PASSWORD"] == '"openstack-password-value"'
    assert environment["BIBIND_PROVISIONING__MQTT__ADMIN_PASSWORD"] == '"mqtt-admin-password-value"'
    for value in secrets.values():
        assert value not in text


BACKUPS = {
    "backups-primary-url": "https://s3.gra.bibind.fr",
    "backups-primary-bucket": "bibind-backups",
    "backups-primary-access-key": "bibind-portal",
    "backups-offsite-url": "https://s3.rbx.bibind.fr",
    "backups-offsite-bucket": "bibind-backups-offsite",
    "backups-offsite-region": "eu-central-1",
    "backups-offsite-access-key": "bibind-portal-offsite",
    "backups-drill-days": 14,
}


def test_backups_are_rendered_with_their_secret_keys_in_the_environment_only(ctx):
    secrets = {key: f"{key}-value" for key in charm.PROVISIONING_CREDENTIALS + charm.BACKUPS_CREDENTIALS}
    credentials = testing.Secret(secrets)
    state = configured(ctx, config=provisioning_options(credentials) | BACKUPS, secrets=(credentials,))
    text, config = rendered(ctx, state)
    assert config["provisioning"]["backups"] == {
        "primary": {"url": "https://s3.gra.bibind.fr", "bucket": "bibind-backups", "access_key": "bibind-portal"},
        "offsite": {
            "url": "https://s3.rbx.bibind.fr",
            "bucket": "bibind-backups-offsite",
            "region": "eu-central-1",
            "access_key": "bibind-portal-offsite",
        },
        "drill_days": 14,
    }
    environment = service(state).environment
    assert environment["BIBIND_PROVISIONING__BACKUPS__PRIMARY__SECRET_KEY"] == '"s3-primary-secret-key-value"'
    assert environment["BIBIND_PROVISIONING__BACKUPS__OFFSITE__SECRET_KEY"] == '"s3-offsite-secret-key-value"'
    for value in secrets.values():
        assert value not in text


def test_backups_half_configured_block_and_secret_keys_alone_are_not_passed(ctx):
    secrets = {key: f"{key}-value" for key in charm.PROVISIONING_CREDENTIALS + charm.BACKUPS_CREDENTIALS}
    credentials = testing.Secret(secrets)
    partial = {"backups-primary-url": "https://s3.gra.bibind.fr"}
    out = ctx.run(
        ctx.on.config_changed(),
        full_state(config=provisioning_options(credentials) | partial, secrets=(credentials,)),
    )
    assert out.unit_status.name == "blocked"
    assert "backups-offsite-url" in out.unit_status.message
    assert "backups-primary-bucket" in out.unit_status.message
    # Without the backups' options, their secret keys stay out of the environment.
    state = configured(ctx, config=provisioning_options(credentials), secrets=(credentials,))
    _, config = rendered(ctx, state)
    assert "backups" not in config["provisioning"]
    environment = service(state).environment
    assert "BIBIND_PROVISIONING__BACKUPS__PRIMARY__SECRET_KEY" not in environment
    # Backups on without their secret keys: blocked, naming them.
    without = testing.Secret({key: f"{key}-value" for key in charm.PROVISIONING_CREDENTIALS})
    out = ctx.run(
        ctx.on.config_changed(),
        full_state(config=provisioning_options(without) | BACKUPS, secrets=(without,)),
    )
    assert out.unit_status.name == "blocked"
    assert "s3-primary-secret-key" in out.unit_status.message


# Pebble ----------------------------------------------------------------------------------


def test_pebble_layer_and_checks(ctx):
    state = configured(ctx)
    container = state.get_container("portal")
    bibind = service(state)
    assert bibind.command == f"{BINARY} --config {CONFIG_PATH} serve"
    assert bibind.startup == "enabled"
    assert bibind.user_id == 65532
    assert bibind.group_id == 65532
    assert bibind.on_check_failure == {"alive": "restart"}
    checks = container.plan.checks
    assert checks["ready"].level == pebble.CheckLevel.READY
    assert checks["ready"].http == {"url": "http://127.0.0.1:9100/readyz"}
    assert checks["alive"].level == pebble.CheckLevel.ALIVE
    assert checks["alive"].http == {"url": "http://127.0.0.1:9100/healthz"}
    assert container.services["bibind"].is_running()
    assert state.opened_ports == {testing.TCPPort(3000)}


def test_checks_follow_a_loopback_operations_listener(ctx):
    state = configured(ctx, config={"operations-address": "127.0.0.1", "operations-port": 9200})
    _, config = rendered(ctx, state)
    assert config["server"]["operations_listen"] == "127.0.0.1:9200"
    assert state.get_container("portal").plan.checks["ready"].http == {
        "url": "http://127.0.0.1:9200/readyz"
    }


def test_check_config_validates_a_candidate_as_the_workload_user(ctx):
    configured(ctx)
    (run,) = ctx.exec_history["portal"]
    assert run.command == CHECK_CONFIG
    assert run.user_id == 65532
    assert run.group_id == 65532
    assert run.environment["BIBIND_DATABASE__URL"] == f'"{DB_URL}"'


def test_a_failing_readiness_check_is_reported(ctx):
    state = configured(ctx)
    container = state.get_container("portal")
    ready = container.get_check_info("ready")
    down = dataclasses.replace(ready, status=pebble.CheckStatus.DOWN, failures=3)
    container = dataclasses.replace(
        container, check_infos={down, container.get_check_info("alive")}
    )
    out = ctx.run(
        ctx.on.pebble_check_failed(container, down),
        dataclasses.replace(state, containers={container}),
    )
    assert out.unit_status.name == "active"
    assert "/readyz" in out.unit_status.message


def test_a_config_change_rerenders_and_replans(ctx, monkeypatch):
    replans = []
    original = ops.Container.replan

    def replan(self):
        replans.append(self.name)
        return original(self)

    monkeypatch.setattr(ops.Container, "replan", replan)
    state = configured(ctx)
    digest = service(state).environment[charm.DIGEST_VARIABLE]
    assert replans == ["portal"]

    changed = dataclasses.replace(
        state, config={**state.config, "port": 8080, "log-format": "human", "log-level": "debug"}
    )
    out = ctx.run(ctx.on.config_changed(), changed)
    assert out.unit_status == testing.ActiveStatus()
    _, config = rendered(ctx, out)
    assert config["server"]["listen"] == "0.0.0.0:8080"
    assert config["log"] == {"format": "human", "filter": "debug,vaultrs=off,rustify=off"}
    # The files' digest is in the service's environment: the new layer
    # differs, so the replan restarts the service on the new file.
    assert service(out).environment[charm.DIGEST_VARIABLE] != digest
    assert replans == ["portal", "portal"]
    assert out.get_container("portal").services["bibind"].is_running()
    assert out.opened_ports == {testing.TCPPort(8080)}


def test_a_service_exiting_at_start_up_is_waited_for(ctx, monkeypatch):
    def replan(self):
        raise pebble.ChangeError("cannot start service: exited quickly with code 1", None)

    monkeypatch.setattr(ops.Container, "replan", replan)
    out = ctx.run(ctx.on.config_changed(), full_state())
    assert out.unit_status.name == "waiting"
    assert "exited at start-up" in out.unit_status.message
    assert "bibind" in out.get_container("portal").plan.services


def test_an_unchanged_configuration_keeps_the_same_layer(ctx):
    state = configured(ctx)
    out = ctx.run(ctx.on.update_status(), state)
    assert service(out).environment == service(state).environment
    assert out.unit_status == testing.ActiveStatus()


# Actions ---------------------------------------------------------------------------------


def grant(return_code: int = 0, stdout: str = "", stderr: str = "") -> testing.Exec:
    return testing.Exec(
        [BINARY, "--config", CONFIG_PATH, "admin", "grant"],
        return_code=return_code,
        stdout=stdout,
        stderr=stderr,
    )


def check(return_code: int = 0, stdout: str = "", stderr: str = "") -> testing.Exec:
    return testing.Exec(
        [BINARY, "--config", CONFIG_PATH, "check-config"],
        return_code=return_code,
        stdout=stdout,
        stderr=stderr,
    )


def test_grant_admin(ctx):
    state = configured(
        ctx, execs=(VALID, grant(stdout="alice@example.com is now a platform admin\n"))
    )
    ctx.run(ctx.on.action("grant-admin", params={"email": "alice@example.com"}), state)
    assert ctx.action_results == {"message": "alice@example.com is now a platform admin"}
    run = ctx.exec_history["portal"][-1]
    assert run.command == [BINARY, "--config", CONFIG_PATH, "admin", "grant", "alice@example.com"]
    assert run.user_id == 65532
    assert run.environment == service(state).environment


def test_grant_admin_failure(ctx):
    state = configured(
        ctx,
        execs=(
            VALID,
            grant(1, stderr="bibind: no account has the e-mail address bob@example.com\n"),
        ),
    )
    with pytest.raises(testing.ActionFailed) as failure:
        ctx.run(ctx.on.action("grant-admin", params={"email": "bob@example.com"}), state)
    assert failure.value.message == (
        "admin grant failed (exit code 1): "
        "bibind: no account has the e-mail address bob@example.com"
    )


def test_grant_admin_refuses_a_malformed_address(ctx):
    state = configured(ctx, execs=(VALID, grant()))
    runs = len(ctx.exec_history["portal"])
    with pytest.raises(testing.ActionFailed) as failure:
        ctx.run(ctx.on.action("grant-admin", params={"email": "not an address"}), state)
    assert "is not an e-mail address" in failure.value.message
    assert len(ctx.exec_history["portal"]) == runs


def test_actions_fail_before_the_portal_is_configured(ctx):
    state = full_state(execs=(grant(), check()))
    with pytest.raises(testing.ActionFailed) as failure:
        ctx.run(ctx.on.action("grant-admin", params={"email": "alice@example.com"}), state)
    assert failure.value.message.startswith("the portal is not configured yet")
    with pytest.raises(testing.ActionFailed):
        ctx.run(ctx.on.action("check-config"), state)
    assert ctx.exec_history.get("portal", []) == []


def test_check_config_action_valid(ctx):
    state = configured(ctx, execs=(VALID, check(stdout="configuration is valid\n")))
    ctx.run(ctx.on.action("check-config"), state)
    assert ctx.action_results == {"result": "valid", "message": "configuration is valid"}
    run = ctx.exec_history["portal"][-1]
    assert run.command == [BINARY, "--config", CONFIG_PATH, "check-config"]
    assert run.environment["BIBIND_DATABASE__URL"] == f'"{DB_URL}"'


def test_check_config_action_invalid(ctx):
    error = f"bibind: invalid configuration: database.url: cannot parse {DB_URL}"
    state = configured(ctx, execs=(VALID, check(2, stderr=error + "\n")))
    with pytest.raises(testing.ActionFailed) as failure:
        ctx.run(ctx.on.action("check-config"), state)
    assert failure.value.message.startswith(
        "the configuration is invalid: bibind: invalid configuration"
    )
    assert ctx.action_results["result"] == "invalid"
    assert ctx.action_results["error"].startswith("bibind: invalid configuration: database.url")
    assert DB_PASSWORD not in ctx.action_results["error"]
    assert DB_PASSWORD not in failure.value.message


# Relation data on its way ----------------------------------------------------------------


def test_waiting_for_a_database_secret_not_yet_granted(ctx):
    not_granted = testing.Secret({"username": DB_USER, "password": DB_PASSWORD})
    state = full_state(relations=(db_relation(not_granted), kratos_relation(), hydra_relation()))
    out = ctx.run(ctx.on.config_changed(), state)
    assert out.unit_status == testing.WaitingStatus(
        "waiting for access to the database user secret"
    )


def test_waiting_for_kratos_endpoints_on_a_new_relation(ctx):
    secret = db_secret()
    kratos = testing.Relation("kratos", remote_app_name="kratos")
    state = full_state(relations=(db_relation(secret), kratos, hydra_relation()), secret=secret)
    out = ctx.run(ctx.on.relation_created(kratos), state)
    assert out.unit_status == testing.WaitingStatus(
        "waiting for Kratos' endpoints on the kratos relation"
    )


def test_a_credentials_secret_not_granted_blocks(ctx):
    out = ctx.run(
        ctx.on.config_changed(),
        full_state(config={"credentials": "secret:0123456789abcdefghij"}),
    )
    assert out.unit_status.name == "blocked"
    assert "juju grant-secret" in out.unit_status.message
    assert "bibind" not in out.get_container("portal").plan.services
