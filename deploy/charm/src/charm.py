#!/usr/bin/env python3
"""Juju Kubernetes (sidecar) charm for the Bibind portal.

One reconciliation runs on every event: it validates the config options,
reads the relations (PostgreSQL, Kratos, Hydra) and the credentials secret,
renders /etc/bibind/bibind.toml (no secret in it) and the environment that
carries the secrets (`BIBIND_DATABASE__URL`, …), has `bibind-server
check-config` validate a candidate copy, and only then pushes the file and
replans Pebble. An invalid option or a configuration the binary refuses
leaves the running service on its last valid configuration and sets Blocked.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import quote, urlsplit

import ops
from ops import pebble

logger = logging.getLogger(__name__)

CONTAINER = "portal"
SERVICE = "bibind"
BINARY = "/usr/local/bin/bibind-server"
CONFIG_DIR = "/etc/bibind"
CONFIG_PATH = f"{CONFIG_DIR}/bibind.toml"
CANDIDATE_PATH = f"{CONFIG_DIR}/bibind.toml.candidate"
DATABASE_CA_PATH = f"{CONFIG_DIR}/postgresql-ca.pem"
WORKLOAD_UID = 65532
WORKLOAD_GID = 65532
# Not a configuration key for the portal (only BIBIND_ variables with a
# double underscore are): it changes with the files the charm pushes, so
# that a replan restarts the service when only a file changed.
DIGEST_VARIABLE = "BIBIND_CHARM_FILES_SHA256"

DATABASE_RELATION = "database"
KRATOS_RELATION = "kratos"
HYDRA_RELATION = "hydra"
# Fields the requirer asks the PostgreSQL charm to send through Juju
# secrets (charms.data_platform_libs data_interfaces: `requested-secrets`).
REQUESTED_SECRETS = ["username", "password", "tls", "tls-ca", "uris", "read-only-uris"]
KRATOS_LOGIN_BROWSER_SUFFIX = "/self-service/login/browser"

# Keys of the `credentials` Juju secret and the configuration key each sets
# through the environment.
CREDENTIALS = {
    "oidc-client-secret": ("oidc", "client_secret"),
    "vault-token": ("provisioning", "vault_token"),
    "odoo-master-password": ("provisioning", "odoo", "master_password"),
    "awx-token": ("provisioning", "awx", "token"),
    "gitlab-token": ("provisioning", "gitlab", "token"),
    "openstack-password": ("provisioning", "openstack", "password"),
    "mqtt-admin-password": ("provisioning", "mqtt", "admin_password"),
    "s3-primary-secret-key": ("provisioning", "backups", "primary", "secret_key"),
    "s3-offsite-secret-key": ("provisioning", "backups", "offsite", "secret_key"),
}
# Needed once the backups' options are set (the backups are optional).
BACKUPS_CREDENTIALS = ["s3-primary-secret-key", "s3-offsite-secret-key"]
PROVISIONING_CREDENTIALS = [
    key
    for key, path in CREDENTIALS.items()
    if path[0] == "provisioning" and key not in BACKUPS_CREDENTIALS
]

LOG_LEVELS = ("error", "warn", "info", "debug", "trace")
LOG_FORMATS = ("human", "json")
RATE_LIMIT_KEYS = frozenset(
    [
        f"{flow}_{what}"
        for flow in ("login", "recovery", "registration", "verification", "settings")
        for what in ("per_ip", "per_account", "window_minutes")
    ]
    + ["account_slowdown_after", "account_slowdown_max_seconds", "api_per_client_per_minute"]
)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
HOST_PORT = re.compile(r"^[A-Za-z0-9.\-\[\]:]+:\d{1,5}$")

# Simple options: (option, configuration key path, kind). Written only when
# set, so an unset option leaves the portal's own default.
SIMPLE_OPTIONS: list[tuple[str, tuple[str, ...], str]] = [
    ("database-max-connections", ("database", "max_connections"), "positive"),
    ("database-migrate", ("database", "migrate"), "bool"),
    ("session-idle-timeout-minutes", ("session", "idle_timeout_minutes"), "positive"),
    ("session-absolute-timeout-hours", ("session", "absolute_timeout_hours"), "positive"),
    ("approve-new-organizations", ("tenancy", "approve_new_organizations"), "bool"),
    ("organizations-per-account", ("tenancy", "organizations_per_account"), "count"),
    (
        "pending-subscriptions-per-organization",
        ("tenancy", "pending_subscriptions_per_organization"),
        "count",
    ),
    (
        "subscriptions-per-address-per-hour",
        ("tenancy", "subscriptions_per_address_per_hour"),
        "count",
    ),
    ("vault-url", ("vault", "addr"), "url"),
    ("mqtt-address", ("mqtt", "address"), "mqtt"),
    ("oidc-issuer", ("oidc", "issuer"), "url"),
]

# [provisioning]: (option, key path under [provisioning], kind, required).
PROVISIONING_OPTIONS: list[tuple[str, tuple[str, ...], str, bool]] = [
    ("provisioning-run-engine", ("run_engine",), "bool", False),
    ("provisioning-workers", ("workers",), "positive", False),
    ("provisioning-reconcile-seconds", ("reconcile_seconds",), "positive", False),
    ("provisioning-ecommerce-domain", ("ecommerce_domain",), "domain", True),
    ("provisioning-training-domain", ("training_domain",), "domain", True),
    ("provisioning-iot-domain", ("iot_domain",), "domain", True),
    ("provisioning-site-url", ("site_url",), "str", False),
    ("provisioning-ingress-url", ("ingress_url",), "url", False),
    ("provisioning-dns-resolver", ("dns_resolver",), "socket", False),
    ("provisioning-odoo-image", ("odoo_image",), "str", True),
    ("provisioning-ingest-image", ("ingest_image",), "str", True),
    ("provisioning-kubernetes-api-url", ("kubernetes", "api_url"), "url", True),
    ("provisioning-kubernetes-token-file", ("kubernetes", "token_file"), "path", False),
    ("provisioning-kubernetes-ca-file", ("kubernetes", "ca_file"), "path", False),
    ("provisioning-odoo-url", ("odoo", "url"), "url", True),
    ("provisioning-awx-url", ("awx", "url"), "url", True),
    ("provisioning-awx-database-template", ("awx", "database_template"), "str", True),
    ("provisioning-awx-drop-database-template", ("awx", "drop_database_template"), "str", True),
    ("provisioning-gitlab-url", ("gitlab", "url"), "url", True),
    ("provisioning-gitlab-parent-group", ("gitlab", "parent_group"), "positive", False),
    ("provisioning-openstack-keystone-url", ("openstack", "keystone_url"), "url", True),
    ("provisioning-openstack-username", ("openstack", "username"), "str", True),
    ("provisioning-openstack-project", ("openstack", "project"), "str", True),
    ("provisioning-openstack-user-domain", ("openstack", "user_domain"), "str", False),
    ("provisioning-openstack-project-domain", ("openstack", "project_domain"), "str", False),
    ("provisioning-openstack-region", ("openstack", "region"), "str", False),
    ("provisioning-mqtt-admin-username", ("mqtt", "admin_username"), "str", True),
    ("provisioning-mqtt-device-url", ("mqtt", "device_url"), "str", False),
    ("provisioning-mqtt-ingest", ("mqtt", "ingest"), "bool", False),
    ("provisioning-mqtt-ingest-group", ("mqtt", "ingest_group"), "group", False),
]


# [provisioning.backups]: (option, key path under it, kind, required once
# any of them is set). None set: no backups.
BACKUPS_OPTIONS: list[tuple[str, tuple[str, ...], str, bool]] = [
    (f"backups-{site}-{name.replace('_', '-')}", (site, name), kind, required)
    for site in ("primary", "offsite")
    for name, kind, required in (
        ("url", "url", True),
        ("bucket", "str", True),
        ("region", "str", False),
        ("access_key", "str", True),
    )
] + [
    ("backups-drill-days", ("drill_days",), "positive", False),
    ("backups-database-retention-days", ("database_retention_days",), "positive", False),
]


class InvalidConfig(Exception):
    """A config option has a value the portal cannot take (Blocked; the
    running service keeps its last valid configuration)."""


class Missing(Exception):
    """A required relation, option or credential is missing (Blocked).

    With `stop`, the running service is stopped too: without its database
    relation the portal's credentials are revoked and it cannot serve."""

    def __init__(self, message: str, *, stop: bool = False):
        super().__init__(message)
        self.stop = stop


class NotYet(Exception):
    """Something is on its way: relation data, a secret's grant (Waiting)."""


@dataclass
class Desired:
    """What the workload should run with."""

    config: dict[str, Any]
    environment: dict[str, str]
    files: dict[str, str] = field(default_factory=dict)
    public_port: int = 3000
    operations_port: int = 9100
    operations_host: str = "127.0.0.1"

    @property
    def toml(self) -> str:
        return render_toml(self.config)


def _has(config: dict[str, Any], path: tuple[str, ...]) -> bool:
    """Whether the tables of `path` are all in `config`."""
    table: Any = config
    for key in path:
        if not isinstance(table, dict) or key not in table:
            return False
        table = table[key]
    return True


# TOML and environment rendering ------------------------------------------------


def _quoted(value: str) -> str:
    """A TOML basic string; figment reads the same syntax in environment
    variables, so a quoted secret is taken as a string whatever it looks like
    (a numeric password, one starting with `[`)."""
    out = []
    for char in value:
        if char == '"':
            out.append('\\"')
        elif char == "\\":
            out.append("\\\\")
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif char == "\r":
            out.append("\\r")
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return _quoted(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    raise TypeError(f"cannot render {type(value).__name__} as TOML")


def render_toml(config: dict[str, Any]) -> str:
    """Renders nested sections (`{"server": {"listen": …}}`) as TOML."""
    lines = ["# Written by the bibind charm: change the charm's config, not this file.", ""]

    def section(path: list[str], table: dict[str, Any]) -> None:
        scalars = {k: v for k, v in table.items() if not isinstance(v, dict)}
        tables = {k: v for k, v in table.items() if isinstance(v, dict)}
        lines.append(f"[{'.'.join(path)}]")
        for key, value in scalars.items():
            lines.append(f"{key} = {_toml_value(value)}")
        lines.append("")
        for key, value in tables.items():
            section(path + [key], value)

    for name, table in config.items():
        section([name], table)
    return "\n".join(lines)


def environment_variable(path: tuple[str, ...]) -> str:
    """`("database", "url")` → `BIBIND_DATABASE__URL`."""
    return "BIBIND_" + "__".join(part.upper() for part in path)


def _set(config: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    table = config
    for part in path[:-1]:
        table = table.setdefault(part, {})
    table[path[-1]] = value


def _socket(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _is_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _split_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


# The charm -------------------------------------------------------------------------


class BibindCharm(ops.CharmBase):
    """Runs the Bibind portal in the `portal` container."""

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.container = self.unit.get_container(CONTAINER)
        self._secret_values: set[str] = set()
        on = self.on
        for event in (
            on.config_changed,
            on.upgrade_charm,
            on.leader_elected,
            on.update_status,
            on.secret_changed,
            on[CONTAINER].pebble_ready,
            on[CONTAINER].pebble_check_failed,
            on[CONTAINER].pebble_check_recovered,
        ):
            framework.observe(event, self._reconcile)
        for relation in (DATABASE_RELATION, KRATOS_RELATION, HYDRA_RELATION):
            framework.observe(on[relation].relation_created, self._reconcile)
            framework.observe(on[relation].relation_changed, self._reconcile)
            framework.observe(on[relation].relation_broken, self._reconcile)
        framework.observe(on["grant-admin"].action, self._on_grant_admin)
        framework.observe(on["check-config"].action, self._on_check_config)

    # Reconciliation ------------------------------------------------------------------

    def _reconcile(self, _event: ops.EventBase) -> None:
        self._request_database()
        if not self.container.can_connect():
            self.unit.status = ops.WaitingStatus("waiting for Pebble in the portal container")
            return
        try:
            desired = self._desired()
        except InvalidConfig as error:
            self.unit.status = ops.BlockedStatus(self._keeping(str(error)))
            return
        except Missing as error:
            if error.stop:
                self._stop()
                self.unit.status = ops.BlockedStatus(str(error))
            else:
                self.unit.status = ops.BlockedStatus(self._keeping(str(error)))
            return
        except NotYet as error:
            self.unit.status = ops.WaitingStatus(str(error))
            return

        refusal = self._check_candidate(desired)
        if refusal is not None:
            self.unit.status = ops.BlockedStatus(self._keeping(f"check-config: {refusal}"))
            return

        self._push_files(desired)
        self.container.add_layer(SERVICE, self._layer(desired), combine=True)
        self.unit.set_ports(desired.public_port)
        try:
            self.container.replan()
        except pebble.ChangeError:
            # The service exited right after starting (Pebble restarts it
            # with a back-off); its reason is in its log, not here.
            logger.warning("the portal exited at start-up")
            self.unit.status = ops.WaitingStatus(
                "the portal exited at start-up; Pebble restarts it (kubectl logs -c portal)"
            )
            return
        self._set_running_status()

    def _keeping(self, message: str) -> str:
        if self._running():
            return f"{message} (still running the last valid configuration)"
        return message

    def _running(self) -> bool:
        if SERVICE not in self.container.get_plan().services:
            return False
        service = self.container.get_services(SERVICE).get(SERVICE)
        return service is not None and service.is_running()

    def _stop(self) -> None:
        if self._running():
            logger.info("stopping the portal: a required relation or setting is missing")
            self.container.stop(SERVICE)

    def _set_running_status(self) -> None:
        service = self.container.get_services(SERVICE).get(SERVICE)
        if service is None or not service.is_running():
            self.unit.status = ops.MaintenanceStatus("starting the portal")
            return
        ready = self.container.get_checks("ready").get("ready")
        if ready is not None and ready.status == pebble.CheckStatus.DOWN:
            self.unit.status = ops.ActiveStatus(
                "running, but /readyz reports a backend down (see the portal's log)"
            )
            return
        self.unit.status = ops.ActiveStatus()

    # The database relation -----------------------------------------------------------

    def _request_database(self) -> None:
        """The requirer's side of postgresql_client: the database name, and
        which fields to send through Juju secrets (leader only)."""
        relation = self.model.get_relation(DATABASE_RELATION)
        if relation is None or not self.unit.is_leader():
            return
        wanted = {
            "database": str(self.config.get("database-name") or "bibind"),
            "requested-secrets": json.dumps(REQUESTED_SECRETS),
        }
        databag = relation.data[self.app]
        for key, value in wanted.items():
            if databag.get(key) != value:
                databag[key] = value

    def _remote_secret(self, uri: str, what: str) -> dict[str, str]:
        try:
            return self.model.get_secret(id=uri).get_content(refresh=True)
        except (ops.SecretNotFoundError, ops.ModelError):
            raise NotYet(f"waiting for access to the {what} secret") from None

    def _database(self, files: dict[str, str]) -> str:
        relation = self.model.get_relation(DATABASE_RELATION)
        if relation is None:
            raise Missing(
                f"missing the database relation: juju integrate {self.app.name} postgresql-k8s",
                stop=True,
            )
        data = relation.data[relation.app] if relation.app else {}
        endpoints = data.get("endpoints", "")
        user = dict(data)
        if uri := data.get("secret-user"):
            user.update(self._remote_secret(uri, "database user"))
        tls = dict(data)
        if uri := data.get("secret-tls"):
            tls.update(self._remote_secret(uri, "database TLS"))
        username, password = user.get("username"), user.get("password")
        if not (endpoints and username and password):
            raise NotYet("waiting for the database credentials")
        self._secret_values.update([password, quote(password, safe="")])
        host_port = endpoints.split(",")[0].strip()
        name = data.get("database") or str(self.config.get("database-name") or "bibind")
        url = (
            f"postgres://{quote(username, safe='')}:{quote(password, safe='')}"
            f"@{host_port}/{quote(name, safe='')}"
        )
        if tls.get("tls", "").lower() == "true":
            if ca := tls.get("tls-ca"):
                files[DATABASE_CA_PATH] = ca
                url += f"?sslmode=verify-ca&sslrootcert={quote(DATABASE_CA_PATH)}"
            else:
                url += "?sslmode=require"
        self._secret_values.add(url)
        return url

    # Kratos and Hydra --------------------------------------------------------------------

    def _remote_app_data(self, name: str) -> dict[str, str] | None:
        relation = self.model.get_relation(name)
        if relation is None:
            return None
        return dict(relation.data[relation.app]) if relation.app else {}

    def _kratos(self) -> dict[str, str]:
        data = self._remote_app_data(KRATOS_RELATION)
        relation_public = relation_browser = relation_admin = ""
        if data:
            relation_admin = data.get("admin_endpoint", "")
            relation_public = data.get("public_endpoint", "")
            login = data.get("login_browser_endpoint", "").rstrip("/")
            if login.endswith(KRATOS_LOGIN_BROWSER_SUFFIX):
                relation_browser = login[: -len(KRATOS_LOGIN_BROWSER_SUFFIX)]
        public = self._option("kratos-public-url") or relation_browser or relation_public
        admin = self._option("kratos-admin-url") or relation_admin
        internal = self._option("kratos-internal-url") or relation_public
        if not (public and admin):
            if data is not None:
                raise NotYet("waiting for Kratos' endpoints on the kratos relation")
            raise Missing(
                f"missing Kratos: juju integrate {self.app.name}:kratos kratos:kratos-info, "
                "or set kratos-public-url and kratos-admin-url"
            )
        kratos = {"public_url": public, "admin_url": admin}
        if internal and internal.rstrip("/") != public.rstrip("/"):
            kratos["internal_url"] = internal
        return kratos

    def _hydra(self) -> dict[str, str]:
        data = self._remote_app_data(HYDRA_RELATION)
        public = self._option("hydra-public-url") or (data or {}).get("public_endpoint", "")
        admin = self._option("hydra-admin-url") or (data or {}).get("admin_endpoint", "")
        if not (public and admin):
            if data is not None:
                raise NotYet("waiting for Hydra's endpoints on the hydra relation")
            raise Missing(
                f"missing Hydra: juju integrate {self.app.name}:hydra hydra:hydra-endpoint-info, "
                "or set hydra-public-url and hydra-admin-url"
            )
        return {"public_url": public, "admin_url": admin}

    # Config options ---------------------------------------------------------------------

    def _option(self, name: str) -> Any:
        """An option's value; None when unset (an empty string is unset)."""
        value = self.config.get(name)
        if isinstance(value, str):
            value = value.strip()
            return value or None
        return value

    def _checked(self, name: str, kind: str) -> Any:
        value = self._option(name)
        if value is None:
            return None
        checks: dict[str, tuple[Callable[[Any], bool], str]] = {
            "str": (lambda v: True, ""),
            "path": (lambda v: v.startswith("/"), "must be an absolute path"),
            "bool": (lambda v: isinstance(v, bool), "must be true or false"),
            "positive": (lambda v: isinstance(v, int) and v > 0, "must be a positive integer"),
            "count": (lambda v: isinstance(v, int) and v >= 0, "must be zero or more"),
            "url": (_is_url, "must be an http:// or https:// URL"),
            "mqtt": (
                lambda v: (
                    bool(HOST_PORT.match(v))
                    or (urlsplit(v).scheme in ("mqtt", "mqtts") and bool(urlsplit(v).port))
                ),
                "must be host:port, mqtt://host:port or mqtts://host:port",
            ),
            "socket": (lambda v: _is_socket_address(v), "must be address:port, e.g. 10.0.0.10:53"),
            "domain": (
                lambda v: bool(re.fullmatch(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9-]+)+", v)),
                "must be a lowercase domain name, e.g. shop.bibind-apps.fr",
            ),
            "group": (
                lambda v: bool(re.fullmatch(r"[a-z0-9-]+", v)),
                "must be lowercase letters, digits and dashes",
            ),
        }
        check, message = checks[kind]
        if not check(value):
            raise InvalidConfig(f"invalid {name}: {message}")
        return value

    def _port(self, name: str) -> int:
        value = self.config.get(name)
        if not isinstance(value, int) or not 1 <= value <= 65535:
            raise InvalidConfig(f"invalid {name}: must be a port between 1 and 65535")
        return value

    def _options(self) -> tuple[dict[str, Any], int, int, str]:
        """The configuration from the options alone; raises InvalidConfig or
        Missing."""
        config: dict[str, Any] = {}
        public_url = self._option("public-url")
        if public_url is None:
            raise Missing("set public-url: the URL browsers use to reach the portal")
        if not _is_url(public_url):
            raise InvalidConfig("invalid public-url: must be an http:// or https:// URL")
        port = self._port("port")
        operations_port = self._port("operations-port")
        if port == operations_port:
            raise InvalidConfig("invalid operations-port: must differ from port")
        operations_address = self._option("operations-address") or "0.0.0.0"
        try:
            operations_ip = ipaddress.ip_address(operations_address)
        except ValueError:
            raise InvalidConfig("invalid operations-address: must be an IP address") from None
        proxies = _split_list(self._option("trusted-proxies") or "")
        for proxy in proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise InvalidConfig(
                    f"invalid trusted-proxies: {proxy!r} is not a CIDR or an address"
                ) from None
        config["server"] = {
            "listen": _socket("0.0.0.0", port),
            "public_url": public_url,
            "trusted_proxies": proxies,
            "operations_listen": _socket(str(operations_ip), operations_port),
        }
        config["database"] = {}

        log_format = self._option("log-format") or "json"
        if log_format not in LOG_FORMATS:
            raise InvalidConfig(f"invalid log-format: must be one of {', '.join(LOG_FORMATS)}")
        log_level = self._option("log-level") or "info"
        if log_level not in LOG_LEVELS:
            raise InvalidConfig(f"invalid log-level: must be one of {', '.join(LOG_LEVELS)}")
        config["log"] = {"format": log_format, "filter": f"{log_level},vaultrs=off,rustify=off"}

        for name, path, kind in SIMPLE_OPTIONS:
            value = self._checked(name, kind)
            if value is not None:
                _set(config, path, value)

        limits = {}
        for item in _split_list(self._option("rate-limits") or ""):
            key, sep, raw = item.partition("=")
            key = key.strip().replace("-", "_")
            if not sep or key not in RATE_LIMIT_KEYS:
                raise InvalidConfig(
                    f"invalid rate-limits: {item!r} is not key=value with a [rate_limits] key"
                )
            if not raw.strip().isdigit():
                raise InvalidConfig(f"invalid rate-limits: {key} must be zero or more")
            limits[key] = int(raw.strip())
        if limits:
            config["rate_limits"] = limits

        admins = _split_list(self._option("platform-admins") or "")
        for admin in admins:
            if not EMAIL.match(admin):
                raise InvalidConfig(f"invalid platform-admins: {admin!r} is not an e-mail address")
        if admins:
            config["bootstrap"] = {"platform_admins": admins}

        smtp_address = self._option("smtp-address")
        if smtp_address is not None:
            if not HOST_PORT.match(smtp_address):
                raise InvalidConfig("invalid smtp-address: must be host:port")
            config["smtp"] = {"address": smtp_address}
            for name in ("smtp-from", "smtp-support"):
                if (value := self._option(name)) is not None:
                    config["smtp"][name.removeprefix("smtp-")] = value
        return config, port, operations_port, str(operations_ip)

    def _provisioning(self, config: dict[str, Any]) -> dict[str, Any]:
        provisioning: dict[str, Any] = {}
        missing = []
        for name, path, kind, required in PROVISIONING_OPTIONS:
            value = self._checked(name, kind)
            if value is None:
                if required:
                    missing.append(name)
                continue
            _set(provisioning, path, value)
        for section, option in (("vault", "vault-url"), ("mqtt", "mqtt-address")):
            if section not in config:
                missing.append(option)
        if missing:
            raise Missing(f"provisioning is on: set {', '.join(missing)}")
        backups: dict[str, Any] = {}
        unset = []
        for name, path, kind, required in BACKUPS_OPTIONS:
            value = self._checked(name, kind)
            if value is None:
                if required:
                    unset.append(name)
                continue
            _set(backups, path, value)
        if backups:
            if unset:
                raise Missing(f"backups are on: set {', '.join(unset)}")
            provisioning["backups"] = backups
        return provisioning

    def _credentials(self) -> dict[str, str]:
        uri = self._option("credentials")
        if uri is None:
            return {}
        try:
            content = self.model.get_secret(id=uri).get_content(refresh=True)
        except ops.SecretNotFoundError:
            raise Missing(
                f"credentials: secret not found or not granted (juju grant-secret <secret> "
                f"{self.app.name})"
            ) from None
        except ops.ModelError:
            raise Missing(
                f"credentials: cannot read the secret (juju grant-secret <secret> {self.app.name})"
            ) from None
        unknown = sorted(set(content) - set(CREDENTIALS))
        if unknown:
            raise InvalidConfig(f"invalid credentials: unknown key(s) {', '.join(unknown)}")
        self._secret_values.update(v for v in content.values() if v)
        return content

    # The whole desired state ------------------------------------------------------------

    def _desired(self) -> Desired:
        config, port, operations_port, operations_address = self._options()
        credentials = self._credentials()
        environment: dict[str, str] = {}
        files: dict[str, str] = {}

        oidc_client = self._option("oidc-client-id")
        if oidc_client is not None:
            if "oidc-client-secret" not in credentials:
                raise Missing(
                    "oidc-client-id is set: add oidc-client-secret to the credentials secret"
                )
            config.setdefault("oidc", {})
            config["oidc"]["client_id"] = oidc_client
            config["oidc"]["register"] = bool(self.config.get("oidc-register"))
        elif "oidc" in config:
            raise InvalidConfig("invalid oidc-issuer: set oidc-client-id too")

        if self.config.get("provisioning"):
            config["provisioning"] = self._provisioning(config)
            needed = PROVISIONING_CREDENTIALS + (
                BACKUPS_CREDENTIALS if "backups" in config["provisioning"] else []
            )
            absent = [key for key in needed if key not in credentials]
            if absent:
                raise Missing(
                    f"provisioning is on: add {', '.join(absent)} to the credentials secret"
                )

        database_url = self._database(files)
        config["kratos"] = self._kratos()
        config["hydra"] = self._hydra()

        environment[environment_variable(("database", "url"))] = _quoted(database_url)
        for key, path in CREDENTIALS.items():
            # Only into a section the file has: a lone secret would make the
            # portal read an incomplete section.
            if key in credentials and _has(config, path[:-1]):
                environment[environment_variable(path)] = _quoted(credentials[key])

        desired = Desired(
            config=config,
            environment=environment,
            files=files,
            public_port=port,
            operations_port=operations_port,
            operations_host=(
                "127.0.0.1"
                if ipaddress.ip_address(operations_address).is_unspecified
                else operations_address
            ),
        )
        digest = hashlib.sha256()
        for path, content in sorted({CONFIG_PATH: desired.toml, **files}.items()):
            digest.update(path.encode() + b"\0" + content.encode() + b"\0")
        environment[DIGEST_VARIABLE] = digest.hexdigest()
        return desired

    # Pushing, checking, the layer -------------------------------------------------------

    def _push(self, path: str, content: str) -> None:
        self.container.push(
            path,
            content,
            make_dirs=True,
            permissions=0o640,
            user_id=WORKLOAD_UID,
            group_id=WORKLOAD_GID,
        )

    def _push_files(self, desired: Desired) -> None:
        for path, content in {CONFIG_PATH: desired.toml, **desired.files}.items():
            self._push(path, content)
        if DATABASE_CA_PATH not in desired.files and self.container.exists(DATABASE_CA_PATH):
            self.container.remove_path(DATABASE_CA_PATH)

    def _check_candidate(self, desired: Desired) -> str | None:
        """Runs check-config on a candidate copy; the refusal, or None."""
        self._push(CANDIDATE_PATH, desired.toml)
        try:
            code, _stdout, stderr = self._run(
                ["--config", CANDIDATE_PATH, "check-config"], desired.environment
            )
        except (pebble.APIError, pebble.ChangeError) as error:
            return f"cannot run {BINARY}: {type(error).__name__}"
        finally:
            if self.container.exists(CANDIDATE_PATH):
                self.container.remove_path(CANDIDATE_PATH)
        if code == 0:
            return None
        logger.warning("bibind-server check-config refused the configuration (exit %d)", code)
        return self._first_line(stderr) or f"exit code {code}"

    def _layer(self, desired: Desired) -> pebble.LayerDict:
        base = f"http://{_socket(desired.operations_host, desired.operations_port)}"
        return {
            "summary": "Bibind portal",
            "description": "The Bibind control plane and web portal.",
            "services": {
                SERVICE: {
                    "override": "replace",
                    "summary": "bibind-server serve",
                    "command": f"{BINARY} --config {CONFIG_PATH} serve",
                    "startup": "enabled",
                    "user-id": WORKLOAD_UID,
                    "group-id": WORKLOAD_GID,
                    "environment": dict(desired.environment),
                    "on-check-failure": {"alive": "restart"},
                }
            },
            "checks": {
                # /healthz: the process answers (operations and public listeners).
                "alive": {
                    "override": "replace",
                    "level": "alive",
                    "period": "10s",
                    "timeout": "3s",
                    "threshold": 3,
                    "http": {"url": f"{base}/healthz"},
                },
                # /readyz (operations listener only): the database and every
                # configured backend answer; 503 when one is down.
                "ready": {
                    "override": "replace",
                    "level": "ready",
                    "period": "10s",
                    "timeout": "5s",
                    "threshold": 3,
                    "http": {"url": f"{base}/readyz"},
                },
            },
        }

    # Running the binary -----------------------------------------------------------------

    def _run(self, args: list[str], environment: dict[str, str]) -> tuple[int, str, str]:
        """Runs bibind-server as the workload's user; (exit code, stdout, stderr)."""
        process = self.container.exec(
            [BINARY, *args],
            environment=environment,
            user_id=WORKLOAD_UID,
            group_id=WORKLOAD_GID,
            timeout=120,
        )
        try:
            stdout, stderr = process.wait_output()
            return 0, stdout or "", stderr or ""
        except pebble.ExecError as error:
            return error.exit_code, str(error.stdout or ""), str(error.stderr or "")

    def _redact(self, text: str) -> str:
        for secret in sorted(self._secret_values, key=len, reverse=True):
            if secret:
                text = text.replace(secret, "***")
        return text

    def _first_line(self, text: str) -> str:
        lines = [line.strip() for line in self._redact(text).splitlines() if line.strip()]
        line = lines[0] if lines else ""
        return line if len(line) <= 300 else line[:297] + "..."

    def _service_environment(self) -> dict[str, str] | None:
        """The environment the service runs with (its secrets included), for
        running the binary as the service would."""
        if not self.container.can_connect():
            return None
        service = self.container.get_plan().services.get(SERVICE)
        if service is None:
            return None
        environment = dict(service.environment)
        # What the running configuration's secrets are, to redact them.
        for value in environment.values():
            self._secret_values.add(value)
            if value.startswith('"') and value.endswith('"'):
                self._secret_values.add(value[1:-1])
        self._secret_values.discard(environment.get(DIGEST_VARIABLE, ""))
        return environment

    def _action_environment(self, event: ops.ActionEvent) -> dict[str, str] | None:
        # The layer is added only after the file is pushed (and a restarted
        # container loses both), so a planned service has its file.
        environment = self._service_environment()
        if environment is None:
            status = self.unit.status.message
            event.fail("the portal is not configured yet" + (f": {status}" if status else ""))
            return None
        return environment

    # Actions ----------------------------------------------------------------------------

    def _on_grant_admin(self, event: ops.ActionEvent) -> None:
        email = str(event.params.get("email", "")).strip()
        if not EMAIL.match(email):
            event.fail(f"email: {email!r} is not an e-mail address")
            return
        environment = self._action_environment(event)
        if environment is None:
            return
        try:
            code, stdout, stderr = self._run(
                ["--config", CONFIG_PATH, "admin", "grant", email], environment
            )
        except (pebble.APIError, pebble.ChangeError) as error:
            event.fail(f"cannot run {BINARY}: {type(error).__name__}")
            return
        if code != 0:
            reason = self._first_line(stderr) or self._first_line(stdout)
            event.fail(f"admin grant failed (exit code {code}): {reason}")
            return
        event.set_results({"message": self._redact(stdout.strip())})

    def _on_check_config(self, event: ops.ActionEvent) -> None:
        environment = self._action_environment(event)
        if environment is None:
            return
        try:
            code, stdout, stderr = self._run(["--config", CONFIG_PATH, "check-config"], environment)
        except (pebble.APIError, pebble.ChangeError) as error:
            event.fail(f"cannot run {BINARY}: {type(error).__name__}")
            return
        if code == 0:
            event.set_results({"result": "valid", "message": self._redact(stdout.strip())})
            return
        error_text = self._redact(stderr.strip()) or f"exit code {code}"
        event.set_results({"result": "invalid", "error": error_text})
        event.fail(f"the configuration is invalid: {self._first_line(error_text)}")


def _is_socket_address(value: str) -> bool:
    host, _, port = value.rpartition(":")
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return port.isdigit() and 0 < int(port) < 65536


if __name__ == "__main__":  # pragma: nocover
    ops.main(BibindCharm)
