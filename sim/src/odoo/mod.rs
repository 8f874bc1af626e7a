//! `sim odoo`: an Odoo 17 server reached through its external API, holding
//! any number of databases in memory. Three protocols reach the same
//! services (`db`, `common`, `object`) through one dispatch
//! ([`Simulator::dispatch`]): JSON-RPC (`POST /jsonrpc`, `jsonrpc.rs`),
//! XML-RPC (`POST /xmlrpc/2/<service>` and `/xmlrpc/<service>`,
//! `xmlrpc.rs`), and the web client's JSON routes with a session cookie
//! (`/web/session/authenticate`, `/web/dataset/call_kw`, ..., `session.rs`).
//! Errors come back as Odoo sends them: JSON-RPC with HTTP 200 and
//! `error.data.name` the exception's class, XML-RPC as faults.
//!
//! The web side a browser meets (`web.rs`, `oidc.rs`, `slides_web.rs`): the
//! storefront, eLearning's courses, the sign-in page, the back office and
//! OpenID Connect sign-in as OCA `auth_oidc` does it, each request's
//! database found by `dbfilter` on its host (`dbfilter.rs`), or, for a host
//! no filter maps to a database, by the `website.domain` of the one
//! database that has it (`Server::databases_for`). The eLearning models'
//! own behaviour (computed values, record rules, overrides) is `slides.rs`.
//!
//! Backups (`backup.rs`, `database_manager.rs`): the `db` service's `dump`
//! and `restore` (base64), and the database manager's
//! `/web/database/backup` and `/web/database/restore`, with Odoo's zip
//! (`dump.sql`, `manifest.json`, `filestore/`, `zip.rs`); the filestore
//! holds `ir.attachment`'s files (`attachment.rs`).
//!
//! Fault operations (`/_sim/faults/{operation}`): `db.<method>` (e.g.
//! `db.dump`, `db.restore`), `common.<method>`, `object.<model>.<method>`
//! (e.g. `object.res.users.create`), whatever the protocol; `web.home`
//! (`GET /`) and `web.shop` (`GET /shop`) for the storefront;
//! `web.database.backup` and `web.database.restore` for the database
//! manager's. An injected status is answered as the reverse proxy in front
//! of Odoo would: that status with an HTML page.

mod attachment;
mod backup;
mod database;
mod database_manager;
mod dbfilter;
mod domain;
mod error;
mod jsonrpc;
mod modules;
mod oidc;
mod orm;
mod schema;
mod service;
mod session;
mod slides;
mod slides_web;
mod web;
mod xmlrpc;
mod zip;

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex, MutexGuard},
    time::Duration,
};

use axum::{
    extract::DefaultBodyLimit,
    http::header,
    response::{Html, IntoResponse, Response},
    routing::post,
    Router,
};
use http::StatusCode;
use serde_json::Value;

pub use self::dbfilter::DbFilter;
use self::{dbfilter::DbFilters, error::OdooError, service::Server};
use crate::faults::Faults;

#[derive(clap::Args)]
pub struct Options {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8069")]
    listen: SocketAddr,
    /// The master password (`admin_passwd`) the `db` service asks for.
    #[arg(long, env = "SIM_ODOO_MASTER_PASSWORD")]
    master_password: String,
    /// As Odoo's `list_db = False`: database listing and management refused.
    #[arg(long)]
    no_list_db: bool,
    /// Odoo's `--db-filter` (`%h` the host, `%d` its first label), or
    /// `DOMAIN=PATTERN` for the hosts under a domain; repeatable.
    #[arg(long = "db-filter")]
    db_filters: Vec<DbFilter>,
    /// As Odoo's `--proxy-mode`: trust `X-Forwarded-Host` and `-Proto`.
    #[arg(long)]
    proxy_mode: bool,
}

pub async fn run(options: Options) -> Result<(), String> {
    let simulator = Simulator::new(options.master_password);
    simulator.set_web(options.db_filters, options.proxy_mode);
    simulator.lock().list_db = !options.no_list_db;
    crate::serve_forever(simulator.router(), options.listen).await
}

/// The simulated server; clones share its state.
#[derive(Clone)]
pub struct Simulator {
    state: Arc<Mutex<Server>>,
    pub faults: Faults,
    /// Odoo's own calls to the OpenID provider (token endpoint, JWKS).
    http: reqwest::Client,
    /// The JWKS by URL, kept for the process as auth_oidc's `ormcache`.
    jwks: Arc<Mutex<HashMap<String, Vec<Value>>>>,
}

/// Why a call got no answer from the services.
pub(crate) enum Failure {
    /// Odoo raised: answered in the protocol's error shape.
    Odoo(OdooError),
    /// An injected fault: the proxy in front of Odoo answers this status.
    Proxy(StatusCode),
}

impl Simulator {
    pub fn new(master_password: impl Into<String>) -> Self {
        Self {
            state: Arc::new(Mutex::new(Server::new(master_password.into()))),
            faults: Faults::default(),
            // auth_oidc's `timeout=10`.
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap_or_default(),
            jwks: Arc::default(),
        }
    }

    /// The web side's `dbfilter` and `proxy_mode`.
    pub fn set_web(&self, db_filters: Vec<DbFilter>, proxy_mode: bool) {
        let mut server = self.lock();
        server.db_filters = DbFilters::new(db_filters);
        server.proxy_mode = proxy_mode;
    }

    pub fn router(&self) -> Router {
        Router::new()
            .route("/jsonrpc", post(jsonrpc::jsonrpc))
            .merge(xmlrpc::routes())
            .merge(session::routes())
            .merge(web::routes())
            .layer(DefaultBodyLimit::max(
                database_manager::DEFAULT_MAX_CONTENT_LENGTH,
            ))
            .merge(database_manager::routes())
            .with_state(self.clone())
            .merge(self.faults.routes())
            .fallback(not_found)
    }

    /// As Odoo's `list_db`: without it, database listing and management
    /// are refused.
    pub fn set_list_db(&self, list_db: bool) {
        self.lock().list_db = list_db;
    }

    /// The databases held, for tests.
    pub fn database_names(&self) -> Vec<String> {
        self.lock().databases.keys().cloned().collect()
    }

    /// A database's language at creation, for tests.
    pub fn database_lang(&self, name: &str) -> Option<String> {
        self.lock()
            .databases
            .get(name)
            .map(|database| database.lang.clone())
    }

    fn lock(&self) -> MutexGuard<'_, Server> {
        crate::locked(&self.state)
    }

    /// The keys of the JWKS at `uri`, fetched once.
    async fn jwks(&self, uri: &str) -> Result<Vec<Value>, String> {
        if let Some(keys) = crate::locked(&self.jwks).get(uri) {
            return Ok(keys.clone());
        }
        let failed = |error: reqwest::Error| format!("JWKS {uri}: {error}");
        let set: Value = self
            .http
            .get(uri)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(failed)?
            .json()
            .await
            .map_err(failed)?;
        let keys = set["keys"].as_array().cloned().unwrap_or_default();
        crate::locked(&self.jwks).insert(uri.to_owned(), keys.clone());
        Ok(keys)
    }

    /// The fault set for `operation`, if any.
    async fn injected(&self, operation: &str) -> Result<(), Failure> {
        match self.faults.failure(operation).await {
            Some(status) => Err(Failure::Proxy(status)),
            None => Ok(()),
        }
    }

    /// `dispatch_rpc(service, method, args)`, for every protocol.
    async fn dispatch(&self, service: &str, method: &str, args: &[Value]) -> Result<Value, Failure> {
        self.injected(&service::fault_operation(service, method, args))
            .await?;
        self.lock().dispatch(service, method, args).map_err(Failure::Odoo)
    }
}

/// The members of a zip archive (a backup's `dump.sql`, `manifest.json`,
/// `filestore/…`) in its order, read as Odoo's restore reads them with
/// Python's `zipfile`, for tests; the refusal in `zipfile`'s words.
pub fn zip_members(archive: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
    let opened = zip::Archive::open(archive).map_err(|error| error.argument())?;
    let names: Vec<String> = opened.names().map(str::to_owned).collect();
    names
        .into_iter()
        .map(|name| {
            let data = opened.read(&name).map_err(|error| error.argument())?;
            Ok((name, data))
        })
        .collect()
}

/// What nginx in front of Odoo answers when Odoo cannot.
fn proxy_error(status: StatusCode) -> Response {
    let title = format!(
        "{} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error")
    );
    let page = format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    );
    (status, Html(page)).into_response()
}

/// An HTTP error as werkzeug renders it (Odoo's `type='http'` errors).
fn werkzeug_error(status: StatusCode, description: &str) -> Response {
    let reason = status.canonical_reason().unwrap_or("Error");
    let description = crate::escape_html(description);
    let page = format!(
        "<!doctype html>\n<html lang=en>\n<title>{} {reason}</title>\n<h1>{reason}</h1>\n<p>{description}</p>\n",
        status.as_u16()
    );
    (status, Html(page)).into_response()
}

/// A 303 as werkzeug's `redirect` writes it.
fn werkzeug_redirect(target: &str) -> Response {
    werkzeug_redirect_with(StatusCode::SEE_OTHER, target)
}

/// werkzeug's `redirect` with another status (`request.redirect(url, 302)`).
fn werkzeug_redirect_with(status: StatusCode, target: &str) -> Response {
    let escaped = target.replace('&', "&amp;").replace('"', "&quot;");
    let page = format!(
        "<!doctype html>\n<html lang=en>\n<title>Redirecting...</title>\n<h1>Redirecting...</h1>\n<p>You should be redirected automatically to the target URL: <a href=\"{escaped}\">{escaped}</a>. If not, click the link.\n"
    );
    (status, [(header::LOCATION, target.to_owned())], Html(page)).into_response()
}

async fn not_found() -> Response {
    not_found_page()
}

/// werkzeug's 404, for a path no route serves.
fn not_found_page() -> Response {
    werkzeug_error(
        StatusCode::NOT_FOUND,
        "The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.",
    )
}
