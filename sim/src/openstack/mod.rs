//! Nova, Cinder and Neutron quota APIs in one simulator, behind the REAL
//! Keystone: every call's `X-Auth-Token` is validated against Keystone
//! (`GET /v3/auth/tokens`), as keystonemiddleware does in front of the
//! real services.
//!
//! Paths (the layout devstack puts behind one host; the catalog entries
//! are `compute` → `…/compute/v2.1`, `block-storage`/`volumev3` →
//! `…/volume/v3`, `network` → `…/network`):
//! - Version discovery: `/compute/`, `/compute/v2.1/`, `/volume/`,
//!   `/volume/v3/`, `/network/`, `/network/v2.0/` ([`versions`]).
//! - Nova: `/compute/v2.1/os-quota-sets/{project}` (`GET`, `PUT`, `DELETE`),
//!   `…/detail`, `…/defaults`; microversions from `OpenStack-API-Version`.
//! - Cinder: `/volume/v3[/{admin project}]/os-quota-sets/{project}`
//!   (`GET [?usage=True]`, `PUT`, `DELETE`), `…/defaults`.
//! - Neutron: `/network/v2.0/quotas/{project}[.json]` (`GET`, `PUT`,
//!   `DELETE`), `…/default`, `…/details`.
//! - Any other path: 404 in the service's fault shape.
//! - Test hook: `PUT /_sim/usage/{compute|volume|network}/{project}` with
//!   `{"<resource>": in_use}` sets what a project uses, so that limits
//!   below the usage can be refused as the real services do.
//!
//! Fault operations: `nova_show_quota`, `nova_update_quota`,
//! `nova_delete_quota`, `nova_detail_quota`, `nova_default_quota`, and the
//! same with `cinder_` and `neutron_`.

/// The value of an `Ok`, or the handler answers the `Err`'s response: every
/// handler starts with a `prelude` (token, fault, microversion) that may answer.
macro_rules! or_answer {
    ($result:expr) => {
        match $result {
            Ok(value) => value,
            Err(response) => return response,
        }
    };
}

mod auth;
mod book;
pub mod catalog;
mod cinder;
mod faults;
mod neutron;
mod nova;
mod versions;

use std::{
    collections::BTreeMap,
    net::SocketAddr,
    sync::{Arc, Mutex, MutexGuard},
};

use axum::{
    extract::{Path, State},
    response::Response,
    routing::{get, put},
    Json, Router,
};
use http::{HeaderMap, StatusCode};

use crate::faults::Faults;
use auth::TokenValidator;
use book::QuotaBook;

#[derive(clap::Args)]
pub struct Options {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8774")]
    listen: SocketAddr,
    /// Keystone's Identity endpoint, where tokens are validated.
    #[arg(long, env = "SIM_KEYSTONE_URL")]
    keystone_url: String,
    /// Register the simulated services' public endpoints in Keystone's
    /// catalog, in this region, at start-up (idempotent).
    #[arg(long, requires = "admin_password")]
    register_region: Option<String>,
    /// The simulator's URL in the catalog; `http://<listen>` by default.
    #[arg(long)]
    public_url: Option<String>,
    /// The Keystone admin that registers the endpoints.
    #[arg(long, default_value = "admin")]
    admin_user: String,
    /// Its password (from the environment, so that it is in no process list).
    #[arg(long, env = "SIM_KEYSTONE_ADMIN_PASSWORD", hide_env_values = true)]
    admin_password: Option<String>,
    /// The project its token is scoped to.
    #[arg(long, default_value = "admin")]
    admin_project: String,
    /// The admin's and its project's domain.
    #[arg(long, default_value = "Default")]
    admin_domain: String,
}

pub async fn run(options: Options) -> Result<(), String> {
    let simulator = OpenStackSim::new(&options.keystone_url).map_err(|error| error.to_string())?;
    if let Some(region) = &options.register_region {
        let Some(password) = &options.admin_password else {
            return Err(
                "--register-region needs Keystone's admin password (SIM_KEYSTONE_ADMIN_PASSWORD)".to_owned(),
            );
        };
        let admin = catalog::Admin {
            user: options.admin_user.clone(),
            password: password.clone(),
            project: options.admin_project.clone(),
            domain: options.admin_domain.clone(),
        };
        let public_url = options
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", options.listen));
        let registered = catalog::register(&options.keystone_url, &admin, region, &public_url).await?;
        for endpoint in registered {
            tracing::info!(service_type = endpoint.service_type, url = %endpoint.url, %region, "registered in Keystone's catalog");
        }
    }
    crate::serve_forever(simulator.router(), options.listen).await
}

/// The simulator's state; clones share it.
#[derive(Clone)]
pub struct OpenStackSim {
    inner: Arc<Inner>,
}

struct Inner {
    keystone: TokenValidator,
    faults: Faults,
    nova: Mutex<QuotaBook>,
    cinder: Mutex<QuotaBook>,
    neutron: Mutex<QuotaBook>,
}

impl OpenStackSim {
    /// A simulator that validates tokens at `keystone_url` (with or without
    /// its `/v3` suffix).
    pub fn new(keystone_url: &str) -> Result<Self, reqwest::Error> {
        Ok(Self {
            inner: Arc::new(Inner {
                keystone: TokenValidator::new(keystone_url)?,
                faults: Faults::default(),
                nova: Mutex::new(QuotaBook::new(nova::DEFAULTS)),
                cinder: Mutex::new(QuotaBook::new(cinder::DEFAULTS)),
                neutron: Mutex::new(QuotaBook::new(neutron::DEFAULTS)),
            }),
        })
    }

    pub fn faults(&self) -> &Faults {
        &self.inner.faults
    }

    pub fn router(&self) -> Router {
        Router::new()
            .route("/compute", get(versions::nova_versions))
            .route("/compute/", get(versions::nova_versions))
            .route("/compute/v2.1", get(versions::nova_version))
            .route("/compute/v2.1/", get(versions::nova_version))
            .route("/volume", get(versions::cinder_versions))
            .route("/volume/", get(versions::cinder_versions))
            .route("/volume/v3", get(versions::cinder_version))
            .route("/volume/v3/", get(versions::cinder_version))
            .route("/network", get(versions::neutron_versions))
            .route("/network/", get(versions::neutron_versions))
            .route("/network/v2.0/", get(versions::neutron_resources))
            .route(
                "/compute/v2.1/os-quota-sets/{project_id}",
                get(nova::show).put(nova::update).delete(nova::delete),
            )
            .route(
                "/compute/v2.1/os-quota-sets/{project_id}/detail",
                get(nova::detail),
            )
            .route(
                "/compute/v2.1/os-quota-sets/{project_id}/defaults",
                get(nova::defaults),
            )
            .route(
                "/volume/v3/{admin_project_id}/os-quota-sets/{project_id}",
                get(cinder::show).put(cinder::update).delete(cinder::delete),
            )
            .route(
                "/volume/v3/{admin_project_id}/os-quota-sets/{project_id}/defaults",
                get(cinder::defaults),
            )
            .route(
                "/volume/v3/os-quota-sets/{project_id}",
                get(cinder::show).put(cinder::update).delete(cinder::delete),
            )
            .route(
                "/volume/v3/os-quota-sets/{project_id}/defaults",
                get(cinder::defaults),
            )
            .route(
                "/network/v2.0/quotas/{project_id}",
                get(neutron::show).put(neutron::update).delete(neutron::delete),
            )
            .route("/network/v2.0/quotas/{project_id}/{action}", get(neutron::action))
            .route("/_sim/usage/{service}/{project_id}", put(set_usage))
            .fallback(not_found)
            .with_state(self.clone())
            .merge(self.inner.faults.routes())
    }

    fn book(&self, service: Service) -> MutexGuard<'_, QuotaBook> {
        let book = match service {
            Service::Compute => &self.inner.nova,
            Service::Volume => &self.inner.cinder,
            Service::Network => &self.inner.neutron,
        };
        crate::locked(book)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Service {
    Compute,
    Volume,
    Network,
}

/// The API roots keystonemiddleware guards: a token is checked before
/// the service looks at the path.
const GUARDED_ROOTS: [&str; 3] = ["/compute/v2.1/", "/volume/v3/", "/network/v2.0"];

/// A path no service has: Neutron's or Nova's and Cinder's 404 (after
/// keystonemiddleware's 401 under a guarded root).
async fn not_found(State(sim): State<OpenStackSim>, uri: http::Uri, headers: HeaderMap) -> Response {
    if GUARDED_ROOTS.iter().any(|root| uri.path().starts_with(root)) {
        or_answer!(sim.inner.keystone.authenticate(&headers).await);
    }
    let message = "The resource could not be found.";
    if uri.path().starts_with("/network") {
        faults::neutron_fault(
            StatusCode::NOT_FOUND,
            faults::neutron_kind(StatusCode::NOT_FOUND),
            message,
        )
    } else {
        faults::compute_fault(StatusCode::NOT_FOUND, message)
    }
}

/// `PUT /_sim/usage/{service}/{project_id}`: what the project uses.
async fn set_usage(
    State(sim): State<OpenStackSim>,
    Path((service, project_id)): Path<(String, String)>,
    Json(usage): Json<BTreeMap<String, i64>>,
) -> StatusCode {
    let service = match service.as_str() {
        "compute" => Service::Compute,
        "volume" => Service::Volume,
        "network" => Service::Network,
        _ => return StatusCode::NOT_FOUND,
    };
    let mut book = sim.book(service);
    for (resource, in_use) in usage {
        book.set_usage(&project_id, &resource, in_use);
    }
    StatusCode::NO_CONTENT
}

/// A quota value as the services accept it: a JSON integer or a string of
/// digits (with an optional minus sign).
fn integer_value(value: &serde_json::Value) -> Option<i64> {
    match value {
        serde_json::Value::Number(number) => number.as_i64(),
        serde_json::Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

/// The largest limit the three services accept (a 32-bit signed integer).
const MAX_LIMIT: i64 = 2_147_483_647;

/// Why a requested limit is refused; each service words it its own way.
enum BadLimit {
    NotInteger,
    TooSmall(i64),
    TooLarge(i64),
}

/// A requested limit: an integer value from -1 (unlimited) to [`MAX_LIMIT`].
fn requested_limit(value: &serde_json::Value) -> Result<i64, BadLimit> {
    match integer_value(value) {
        None => Err(BadLimit::NotInteger),
        Some(limit) if limit < -1 => Err(BadLimit::TooSmall(limit)),
        Some(limit) if limit > MAX_LIMIT => Err(BadLimit::TooLarge(limit)),
        Some(limit) => Ok(limit),
    }
}

/// `true`/`false` as oslo's `bool_from_string` reads them.
fn truthy(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::Bool(flag) => *flag,
        serde_json::Value::String(text) => {
            matches!(
                text.trim().to_ascii_lowercase().as_str(),
                "1" | "t" | "true" | "on" | "y" | "yes"
            )
        }
        serde_json::Value::Number(number) => number.as_i64() == Some(1),
        _ => false,
    }
}
