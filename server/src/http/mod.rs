//! The HTTP application: the portal (Leptos), probes, metrics, static assets,
//! and the layers every response goes through.

mod admin_actions;
mod admin_forms;
mod announcements;
mod answers;
mod api;
mod assets;
pub(crate) mod audit_csv;
mod auth;
mod backups;
mod challenges;
mod client_ip;
mod courses;
mod cross_site;
mod csv;
mod device_live;
mod kept_documents;
mod locale;
mod metrics;
mod org_forms;
mod organizations;
mod probes;
mod progress;
mod security;
mod session;
mod session_store;
mod signin;
mod throttled;

use std::{future::Future, net::SocketAddr, sync::Arc};

use app::{shell, App, ShellOptions};
use axum::{extract::FromRef, routing::get, serve::ListenerExt, Router};
use control::{
    clock::{Clock, SystemClock},
    Control,
};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tokio::net::TcpListener;

use crate::config::Config;

/// Why the server could not start. Each message names what to fix.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {address}: {source} (is another process using this port?)")]
    Bind {
        address: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot use the database: {0}")]
    Database(#[from] control::Error),
    #[error("server error: {0}")]
    Serve(#[from] std::io::Error),
    #[error("cannot set up provisioning: {0}")]
    Provisioning(String),
    #[error("{0}")]
    Config(#[from] crate::config::ConfigError),
}

/// Everything a request handler may need; cloned for every request, so one
/// reference count.
#[derive(Clone)]
pub(crate) struct AppState(Arc<AppParts>);

impl std::ops::Deref for AppState {
    type Target = AppParts;

    fn deref(&self) -> &AppParts {
        &self.0
    }
}

pub(crate) struct AppParts {
    pub leptos: LeptosOptions,
    pub shell: ShellOptions,
    pub control: Control,
    pub metrics: Arc<metrics::HttpMetrics>,
    pub readiness: Arc<probes::Readiness>,
    pub relying_party: Option<control::identity::RelyingParty>,
    pub session: crate::config::SessionConfig,
    /// Where sessions live; ending one here forgets it at once.
    pub sessions: session_store::CachedSessionStore,
    /// Renders an app page for a request: the status pages of refused posts.
    pub pages: answers::PageRenderer,
    /// What the database announces (jobs' progress, devices' messages),
    /// for the pages' event streams.
    pub announcements: announcements::Announcements,
    /// Requests per minute each API client may make (per replica).
    pub api_rate_quota: u32,
    /// Reads backups back for their download links (`[provisioning.backups]`).
    pub backups: Option<control::backups::BackupReader>,
    /// The busiest pages' documents, kept rendered whole.
    kept_documents: kept_documents::KeptDocuments,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}

/// A bound, not yet serving, application.
pub struct Application {
    listener: TcpListener,
    router: Router,
    /// `/healthz`, `/readyz` and `/metrics`, on an address of their own.
    operations_listener: TcpListener,
    operations_router: Router,
    control: Control,
    background: BackgroundTask,
    engine: Option<control::provisioning::Engine>,
    /// Consumes and stores devices' messages.
    ingest: Option<control::ingest::Ingest>,
}

/// The listeners that keep the in-memory sessions true to the database and
/// relay job announcements to the pages' event streams.
type BackgroundTask = std::pin::Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

impl Application {
    /// Connects to the database (applying migrations when configured), binds
    /// the listening socket and assembles the router.
    pub async fn build(config: Config) -> Result<Self, StartError> {
        Self::assemble(config, None, Arc::new(SystemClock)).await
    }

    /// As `build`, serving on a socket bound beforehand: whoever needed the
    /// port first (a redirect URI registered with Hydra) keeps it, rather
    /// than freeing it for another process to take before the portal binds.
    pub async fn build_on(config: Config, socket: std::net::TcpListener) -> Result<Self, StartError> {
        Self::assemble(config, Some(socket), Arc::new(SystemClock)).await
    }

    /// As `build` (or `build_on`, given a socket), reading the time from
    /// `clock`: tests move it instead of forging dates in the database.
    pub async fn build_with_clock(
        config: Config,
        socket: Option<std::net::TcpListener>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, StartError> {
        Self::assemble(config, socket, clock).await
    }

    async fn assemble(
        config: Config,
        socket: Option<std::net::TcpListener>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, StartError> {
        let control = crate::wiring::control_plane_on(&config, clock).await?;
        crate::wiring::bootstrap(&config, &control).await;
        let relying_party = crate::wiring::relying_party(&config, &control).await?;
        let replica = crate::wiring::replica_name();
        let engine = crate::wiring::provisioning_engine(&config, &control, &replica)?;
        let ingest = crate::wiring::ingest(&config, &control, &replica)?;
        let listener = match socket {
            // Already bound: only handing it to tokio can fail, not the port.
            Some(socket) => {
                socket.set_nonblocking(true)?;
                TcpListener::from_std(socket)?
            }
            None => {
                let address = config.server.listen;
                TcpListener::bind(address)
                    .await
                    .map_err(|source| StartError::Bind { address, source })?
            }
        };
        let operations_address = config.server.operations_listen;
        let operations_listener =
            TcpListener::bind(operations_address)
                .await
                .map_err(|source| StartError::Bind {
                    address: operations_address,
                    source,
                })?;
        let trusted_proxies = config.server.trusted_proxies()?;
        let (router, operations_router, background) =
            router(&config, control.clone(), relying_party, trusted_proxies);
        Ok(Self {
            listener,
            router,
            operations_listener,
            operations_router,
            control,
            background,
            engine,
            ingest,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// Where `/readyz` and `/metrics` answer.
    pub fn operations_addr(&self) -> SocketAddr {
        self.operations_listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    pub fn control(&self) -> &Control {
        &self.control
    }

    /// Every path the public listener routes (pages, server functions,
    /// forms, streams, assets), read from the router itself: axum has no
    /// listing API, but its `Debug` names each path. The cross-tenant matrix
    /// test fails on a route it has no entry for.
    pub fn route_paths(&self) -> Vec<String> {
        paths_named_in(&format!("{:?}", self.router))
    }

    /// Serves until `shutdown` resolves, then lets in-flight requests finish.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartError> {
        // Streamed pages go out in several writes: without TCP_NODELAY, Nagle's
        // algorithm and delayed ACKs hold the later ones back ~40 ms.
        let listener = self.listener.tap_io(|tcp| {
            if let Err(error) = tcp.set_nodelay(true) {
                tracing::debug!(%error, "cannot set TCP_NODELAY");
            }
        });
        let janitor = tokio::spawn(prune_sessions_periodically(self.control.clone()));
        let background = tokio::spawn(self.background);
        let (stop_engine, engine_stopped) = tokio::sync::oneshot::channel::<()>();
        let engine = self.engine.map(|engine| {
            tokio::spawn(engine.run(async move {
                let _ = engine_stopped.await;
            }))
        });
        let ingest = self.ingest.map(|ingest| tokio::spawn(ingest.run()));
        let operations_router = self.operations_router;
        let operations_listener = self.operations_listener;
        let operations = tokio::spawn(async move {
            if let Err(error) = axum::serve(operations_listener, operations_router).await {
                tracing::error!(%error, "the operations listener stopped");
            }
        });
        let served = axum::serve(
            listener,
            self.router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await;
        operations.abort();
        janitor.abort();
        background.abort();
        if let Some(ingest) = ingest {
            ingest.abort();
        }
        let _ = stop_engine.send(());
        if let Some(engine) = engine {
            let _ = engine.await;
        }
        served?;
        Ok(())
    }
}

/// Expired portal sessions and old attempt counts are deleted every ten minutes.
async fn prune_sessions_periodically(control: Control) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(600));
    loop {
        every.tick().await;
        match control.prune_expired_portal_sessions().await {
            Ok(0) => {}
            Ok(pruned) => tracing::info!(pruned, "expired portal sessions deleted"),
            Err(error) => tracing::warn!(%error, "cannot delete expired portal sessions"),
        }
        if let Err(error) = control.prune_auth_attempts().await {
            tracing::warn!(%error, "cannot delete old sign-in attempt counts");
        }
        if let Err(error) = control.prune_idempotency_keys().await {
            tracing::warn!(%error, "cannot delete the API's old idempotent answers");
        }
    }
}

fn leptos_options(config: &Config) -> LeptosOptions {
    // Under `cargo leptos watch` the options come from cargo-leptos' environment,
    // which also carries the live-reload port.
    if std::env::var_os("LEPTOS_OUTPUT_NAME").is_some() {
        if let Ok(conf) = leptos::config::get_configuration(None) {
            return conf.leptos_options;
        }
    }
    LeptosOptions::builder()
        .output_name(config.site.output_name.as_str())
        .site_root(config.site.root.to_string_lossy().as_ref())
        .site_pkg_dir(config.site.pkg_dir.as_str())
        .site_addr(config.server.listen)
        .build()
}

/// The app's routes, generated once per process. Generating them sets a
/// process-wide flag that makes any resource first polled meanwhile hang
/// forever (leptos-rs/leptos#4773): a second application built in the same
/// process (as the tests do) while another renders would hit it.
fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// The paths in a router's `Debug` (`RouteId(3): "/orgs/{slug}"`), sorted.
fn paths_named_in(debug: &str) -> Vec<String> {
    let mut paths: Vec<String> = debug
        .split("RouteId(")
        .skip(1)
        .filter_map(|entry| {
            let (_, rest) = entry.split_once("): \"")?;
            Some(rest.split('"').next()?.to_owned())
        })
        .collect();
    paths.sort();
    paths.dedup();
    paths
}

/// `scheme://host[:port]` of a URL, as CSP source lists want it.
fn origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split('/').next().filter(|h| !h.is_empty())?;
    Some(format!("{scheme}://{host}"))
}

fn router(
    config: &Config,
    control: Control,
    relying_party: Option<control::identity::RelyingParty>,
    trusted_proxies: control::client_ip::TrustedProxies,
) -> (Router, Router, BackgroundTask) {
    let leptos = leptos_options(config);
    // The header's sign-out form posts to the portal, which sends the
    // browser through Kratos' and Hydra's logout: Chromium applies
    // form-action to each of those redirects.
    let form_targets = config
        .kratos
        .iter()
        .chain(config.hydra.iter())
        .map(|ory| ory.public_url.clone())
        .chain(config.oidc_issuer())
        .filter_map(|url| origin(&url))
        .fold(Vec::new(), |mut targets, target| {
            if !targets.contains(&target) {
                targets.push(target);
            }
            targets
        });
    let shell_options = ShellOptions::new(
        leptos.clone(),
        &assets::asset_version(&leptos),
        config.uses_tls(),
        &form_targets,
    );
    let context = {
        let control = control.clone();
        move || {
            // Islands: the page is not hydrated, so resources outside an
            // island must not be serialized into it (an island marks its own
            // part as hydrating). Leptos' `HydrationScripts islands=true`
            // says so; our own island loader replaces it, so it is said here,
            // before anything renders. Serializing every page's data cost
            // the dashboard ~2 KB of HTML and a JSON encoding per request.
            if let Some(shared) = leptos::reactive::owner::Owner::current_shared_context() {
                shared.set_is_hydrating(false);
            }
            provide_context(control.clone())
        }
    };
    // Axum clones a route's handler, with everything it captured, for every
    // request: the options are one reference count.
    let render_shell = {
        let options = shell_options.clone();
        move || shell(options.clone())
    };
    let not_found = leptos_axum::render_app_to_stream_with_context(context.clone(), render_shell.clone());
    let pages: answers::PageRenderer = {
        let render = not_found.clone();
        Arc::new(move |request| Box::pin(render(request)))
    };
    let sessions = session_store::CachedSessionStore::new(control.db().pool().clone());
    let (announcements, relay) = announcements::Announcements::new(
        control.db().pool().clone(),
        vec![progress::channel(&control), device_live::channel()],
    );
    // One connection listens for the changes of every cache of copies.
    let changes = sessions
        .listened_by(control.change_listener())
        .listen(control.db().pool().clone());
    let background: BackgroundTask = Box::pin(async move {
        tokio::join!(changes, relay);
    });
    let state = AppState(Arc::new(AppParts {
        announcements,
        sessions: sessions.clone(),
        pages,
        leptos,
        shell: shell_options,
        control,
        metrics: Arc::new(metrics::HttpMetrics::default()),
        readiness: Arc::new(probes::Readiness::from_config(config)),
        relying_party,
        session: config.session.clone(),
        api_rate_quota: config.rate_limits.api_per_client_per_minute,
        backups: crate::wiring::backup_reader(config),
        kept_documents: kept_documents::KeptDocuments::default(),
    }));

    let routes = route_list();

    // Pages and identity endpoints know who is signed in; assets and
    // probes never touch the session.
    let tls = config.uses_tls();
    let portal = Router::new()
        .leptos_routes_with_context(&state, routes, context, render_shell)
        .merge(locale::routes())
        .merge(auth::routes())
        .merge(signin::routes())
        .merge(throttled::routes())
        .merge(organizations::routes())
        .merge(courses::routes())
        .merge(progress::routes())
        .merge(device_live::routes())
        .merge(org_forms::routes())
        .merge(backups::routes())
        .merge(admin_forms::routes())
        .fallback(not_found)
        // Innermost: after the session resolved who reads the page.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            kept_documents::serve,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            challenges::answer,
        ))
        .layer(axum::middleware::from_fn_with_state(
            cross_site::CrossSitePolicy {
                state: state.clone(),
                public_origin: origin(&config.server.public_url).unwrap_or_default(),
            },
            cross_site::refuse_cross_site_posts,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            session::resolve_user,
        ))
        .layer(session::layer(sessions, &config.session, tls))
        .layer(security::no_store())
        .merge(assets::routes(&state.leptos));

    // Readiness and metrics tell an outsider which backends exist and how
    // busy they are: they answer on the operations listener only. Liveness
    // says nothing and stays public too (load balancers probe it there).
    let operations = Router::new()
        .route("/healthz", get(probes::healthz))
        .route("/readyz", get(probes::readyz))
        .route("/metrics", get(metrics::export))
        .with_state(state.clone());
    // The API: tokens, not cookies (no session, no CSRF); never stored.
    let public = Router::new()
        .route("/healthz", get(probes::healthz))
        .nest(api::BASE, api::router(&state).layer(security::no_store()));

    let metrics_state = state.metrics.clone();
    let router = security::layers(
        metrics::layer(metrics_state, portal.merge(public).with_state(state)),
        tls,
    )
    // Outermost: every handler and layer sees the same client address.
    .layer(axum::middleware::from_fn_with_state(
        Arc::new(trusted_proxies),
        client_ip::resolve,
    ));
    (router, operations, background)
}
