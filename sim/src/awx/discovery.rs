//! What clients read before anything else (awx/api/views/root.py): the API
//! root `/api/` (its versions; awxkit's `Api` page and the `awx` CLI start
//! there), the version root `/api/v2/` (the resources the CLI turns into
//! commands: only those the simulator serves), `ping/`, `config/`, and who
//! the token belongs to (`me/`, `users/{id}/`).

use serde_json::{json, Value};
use time::OffsetDateTime;

use super::jobs::{drf_time, NODE};

pub const PRODUCT_VERSION: &str = "24.6.1";
const INSTALL_UUID: &str = "00000000-0000-4000-8000-000000000000";

/// The user every token belongs to: AWX's default administrator.
pub const USER_ID: i64 = 1;
pub const USERNAME: &str = "admin";
/// When the administrator was created (`date_joined`, shown as `created`).
const USER_CREATED: &str = "2024-01-01T00:00:00.000000Z";

pub fn user_url() -> String {
    format!("/api/v2/users/{USER_ID}/")
}

/// `SUMMARIZABLE_FK_FIELDS['user']`, for `created_by` and the like.
pub fn user_summary() -> Value {
    json!({"id": USER_ID, "username": USERNAME, "first_name": "", "last_name": ""})
}

/// `GET /api/v2/users/{id}/` (`UserSerializer`).
pub fn user() -> Value {
    json!({
        "id": USER_ID,
        "type": "user",
        "url": user_url(),
        "related": {},
        "summary_fields": {},
        "created": USER_CREATED,
        // AWX shows `last_login` here; a token does not log in.
        "modified": null,
        "username": USERNAME,
        "first_name": "",
        "last_name": "",
        "email": "admin@example.com",
        "is_superuser": true,
        "is_system_auditor": false,
        "password": "$encrypted$",
        "ldap_dn": "",
        "last_login": null,
        "external_account": null,
        "auth": [],
    })
}

/// `GET /api/` (`ApiRootView`).
pub fn api_root() -> Value {
    json!({
        "description": "AWX REST API",
        "current_version": "/api/v2/",
        "available_versions": {"v2": "/api/v2/"},
        "oauth2": "/api/o/",
        "custom_logo": "",
        "custom_login_info": "",
        "login_redirect_override": "",
    })
}

/// `GET /api/v2/` (`ApiV2RootView`): AWX lists ~50 resources; these are the
/// ones served here, so the CLI offers no command that could only 404.
pub fn version_root() -> Value {
    json!({
        "ping": "/api/v2/ping/",
        "config": "/api/v2/config/",
        "me": "/api/v2/me/",
        "job_templates": "/api/v2/job_templates/",
        "jobs": "/api/v2/jobs/",
    })
}

/// `GET /api/v2/ping/` (`ApiV2PingView`, public): one hybrid node.
pub fn ping() -> Value {
    json!({
        "ha": false,
        "version": PRODUCT_VERSION,
        "active_node": NODE,
        "install_uuid": INSTALL_UUID,
        "instances": [{
            "node": NODE,
            "node_type": "hybrid",
            "uuid": INSTALL_UUID,
            "heartbeat": drf_time(OffsetDateTime::now_utc()),
            "capacity": 100,
            "version": PRODUCT_VERSION,
        }],
        "instance_groups": [
            {"name": "controlplane", "capacity": 100, "instances": [NODE]},
            {"name": "default", "capacity": 100, "instances": [NODE]},
        ],
    })
}

/// `GET /api/v2/config/` (`ApiV2ConfigView`) as AWX answers a superuser:
/// the open license, no analytics.
pub fn config() -> Value {
    let become_methods: Vec<Value> = [
        ("sudo", "Sudo"),
        ("su", "Su"),
        ("pbrun", "Pbrun"),
        ("pfexec", "Pfexec"),
        ("dzdo", "DZDO"),
        ("pmrun", "Pmrun"),
        ("runas", "Runas"),
        ("enable", "Enable"),
        ("doas", "Doas"),
        ("ksu", "Ksu"),
        ("machinectl", "Machinectl"),
        ("sesu", "Sesu"),
    ]
    .iter()
    .map(|(method, label)| json!([method, label]))
    .collect();
    json!({
        "time_zone": "UTC",
        "license_info": {"license_type": "open", "valid_key": true, "subscription_name": "OPEN", "product_name": "AWX"},
        "version": PRODUCT_VERSION,
        "eula": "",
        "analytics_status": "off",
        "analytics_collectors": {},
        "become_methods": become_methods,
        "ui_next": false,
        "project_base_dir": "/var/lib/awx/projects",
        "project_local_paths": [],
        "custom_virtualenvs": [],
    })
}
