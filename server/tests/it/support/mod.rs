//! `TestApp`: the real server on a free port, with a fresh database cloned
//! from a migrated template, talking to the real services `cargo xtask test`
//! started (their addresses come in `TEST_*` variables).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod backends;
pub mod browser;
pub mod mail;
pub mod odoo;
pub mod process;
pub mod provisioning;
pub mod proxy;
pub mod tenancy;

use std::{net::SocketAddr, path::PathBuf, sync::Arc};

use control::clock::Clock;

use secrecy::SecretString;
use server::{
    config::{
        Config, DatabaseConfig, EndpointConfig, LogConfig, OidcConfig, OryConfig, ServerConfig,
        SessionConfig, SiteConfig, SmtpConfig, VaultConfig,
    },
    Application,
};
use sqlx::{Connection, Executor, PgConnection, PgPool};

pub fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!(
            "{name} is not set: run the tests with `cargo xtask test`, which starts the services they need"
        )
    })
}

/// What to change in the default test configuration.
#[derive(Default)]
pub struct TestAppBuilder {
    mqtt_address: Option<String>,
    site_root: Option<PathBuf>,
    listen: Option<SocketAddr>,
    /// The socket `bind_now` bound, handed to the portal as it starts.
    socket: Option<std::net::TcpListener>,
    bootstrap_admins: Vec<String>,
    oidc: bool,
    session: Option<SessionConfig>,
    public_url: Option<String>,
    approve_new_organizations: bool,
    tenancy: Option<server::config::TenancyConfig>,
    provisioning: Option<server::config::ProvisioningConfig>,
    database: Option<String>,
    trusted_proxies: Vec<String>,
    clock: Option<Arc<dyn Clock>>,
    api_rate: Option<u32>,
}

impl TestAppBuilder {
    /// API requests each client may make per minute (600 by default).
    pub fn api_rate(mut self, per_minute: u32) -> Self {
        self.api_rate = Some(per_minute);
        self
    }

    /// Reads the time from `clock` (a `FixedClock` the test moves) instead
    /// of the wall clock.
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// Believes `X-Forwarded-For` from these networks (CIDR).
    pub fn trusted_proxies(mut self, networks: &[&str]) -> Self {
        self.trusted_proxies = networks.iter().map(|n| (*n).to_owned()).collect();
        self
    }

    /// Serves on this database (another replica's) instead of a fresh one.
    pub fn database(mut self, database: &str) -> Self {
        self.database = Some(database.to_owned());
        self
    }

    /// Runs the provisioning engine against these backends.
    pub fn provisioning(mut self, provisioning: server::config::ProvisioningConfig) -> Self {
        self.provisioning = Some(provisioning);
        self
    }

    pub fn mqtt_address(mut self, address: &str) -> Self {
        self.mqtt_address = Some(address.to_owned());
        self
    }

    pub fn site_root(mut self, root: PathBuf) -> Self {
        self.site_root = Some(root);
        self
    }

    pub fn bootstrap_admins(mut self, emails: &[&str]) -> Self {
        self.bootstrap_admins = emails.iter().map(|e| (*e).to_owned()).collect();
        self
    }

    /// Signs in as an OpenID client of Hydra, registered there under a
    /// client id of its own (on a port bound now, so that its redirect URI
    /// is known before it starts).
    pub fn oidc(mut self) -> Self {
        self.oidc = true;
        self.bind_now()
    }

    /// Binds the portal's socket now, so that its port is known before the
    /// portal starts, and nobody else takes it in between.
    pub fn bind_now(mut self) -> Self {
        if self.listen.is_none() {
            let socket = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            self.listen = Some(socket.local_addr().unwrap());
            self.socket = Some(socket);
        }
        self
    }

    /// The port `bind_now` or `listen` chose.
    pub fn port(&self) -> u16 {
        self.listen.expect("bind_now or listen chose a port").port()
    }

    pub fn session(mut self, session: SessionConfig) -> Self {
        self.session = Some(session);
        self
    }

    /// The URL browsers would use (by default `http://localhost:<port>`).
    pub fn public_url(mut self, url: &str) -> Self {
        self.public_url = Some(url.to_owned());
        self
    }

    /// Tenancy settings (limits); `approve_new_organizations` still comes
    /// from its own method.
    pub fn tenancy(mut self, tenancy: server::config::TenancyConfig) -> Self {
        self.tenancy = Some(tenancy);
        self
    }

    /// New organizations wait for a platform admin's approval.
    pub fn approve_new_organizations(mut self) -> Self {
        self.approve_new_organizations = true;
        self
    }

    pub fn listen(mut self, address: SocketAddr) -> Self {
        self.listen = Some(address);
        self.socket = None;
        self
    }

    pub async fn config(&self) -> (Config, String) {
        let database = match &self.database {
            Some(database) => database.clone(),
            None => fresh_database().await,
        };
        let listen = self.listen.unwrap_or_else(|| "127.0.0.1:0".parse().unwrap());
        let config = Config {
            server: ServerConfig {
                listen,
                public_url: if let Some(url) = &self.public_url {
                    url.clone()
                } else if listen.port() == 0 {
                    "http://127.0.0.1".to_owned()
                } else {
                    // Browsers reach the portal by name, as Kratos and Hydra do.
                    format!("http://localhost:{}", listen.port())
                },
                trusted_proxies: self.trusted_proxies.clone(),
                operations_listen: "127.0.0.1:0".parse().unwrap(),
            },
            database: DatabaseConfig {
                url: SecretString::from(database_url(&database)),
                // The engine holds connections for its listeners and workers.
                // Two of them listen for announcements (the caches of copies, job progress).
                max_connections: if self.provisioning.is_some() { 14 } else { 6 },
                migrate: true,
            },
            site: SiteConfig {
                root: self
                    .site_root
                    .clone()
                    .unwrap_or_else(|| PathBuf::from("/nonexistent-site")),
                ..SiteConfig::default()
            },
            log: LogConfig::default(),
            vault: Some(VaultConfig {
                addr: env("TEST_VAULT_ADDR"),
            }),
            mqtt: Some(EndpointConfig {
                address: self
                    .mqtt_address
                    .clone()
                    .unwrap_or_else(|| env("TEST_MQTT_ADDRESS")),
            }),
            smtp: Some(SmtpConfig {
                address: env("TEST_SMTP_ADDRESS"),
                from: "Bibind tests <no-reply@bibind.localhost>".to_owned(),
                support: "Bibind support <support@bibind.localhost>".to_owned(),
            }),
            kratos: Some(OryConfig {
                public_url: env("TEST_KRATOS_PUBLIC_URL"),
                admin_url: env("TEST_KRATOS_ADMIN_URL"),
                internal_url: None,
            }),
            oidc: self.oidc.then(|| OidcConfig {
                issuer: None,
                client_id: format!("portal-{database}"),
                client_secret: SecretString::from(format!("secret-{}", uuid::Uuid::new_v4().simple())),
                register: true,
            }),
            session: self.session.clone().unwrap_or_default(),
            rate_limits: server::config::RateLimitsConfig {
                api_per_client_per_minute: self.api_rate.unwrap_or(600),
                ..Default::default()
            },
            bootstrap: server::config::BootstrapConfig {
                platform_admins: self.bootstrap_admins.clone(),
            },
            tenancy: server::config::TenancyConfig {
                approve_new_organizations: self.approve_new_organizations,
                ..self.tenancy.clone().unwrap_or_default()
            },
            provisioning: self.provisioning.clone(),
            hydra: Some(OryConfig {
                public_url: env("TEST_HYDRA_PUBLIC_URL"),
                admin_url: env("TEST_HYDRA_ADMIN_URL"),
                internal_url: None,
            }),
        };
        (config, database)
    }

    pub async fn spawn(mut self) -> TestApp {
        let (config, database) = self.config().await;
        let app = match (self.clock.take(), self.socket.take()) {
            (Some(clock), socket) => Application::build_with_clock(config, socket, clock).await,
            (None, Some(socket)) => Application::build_on(config, socket).await,
            (None, None) => Application::build(config).await,
        }
        .expect("the application starts");
        let address = app.local_addr();
        let route_paths = app.route_paths();
        let operations = app.operations_addr();
        let pool = app.control().db().pool().clone();
        let control = app.control().clone();
        tokio::spawn(app.run_until_stopped(std::future::pending()));
        TestApp {
            base_url: format!("http://localhost:{}", address.port()),
            operations_url: format!("http://{operations}"),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            pool,
            control,
            database,
            route_paths,
        }
    }
}

pub struct TestApp {
    pub base_url: String,
    /// The operations listener (`/readyz`, `/metrics`).
    pub operations_url: String,
    pub client: reqwest::Client,
    /// The test's own database, for arranging data directly.
    pub pool: PgPool,
    /// The server's control plane, for tests of its operations.
    pub control: control::Control,
    pub database: String,
    /// Every path the portal routes, as its router names them.
    pub route_paths: Vec<String>,
}

impl TestApp {
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder::default()
    }

    pub async fn spawn() -> TestApp {
        Self::builder().spawn().await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// A GET on the operations listener.
    pub async fn get_operations(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.operations_url))
            .send()
            .await
            .expect("request sent")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
        let mut request = self.client.get(self.url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send().await.expect("request sent")
    }
}

pub fn database_url(database: &str) -> String {
    let admin = env("TEST_DATABASE_URL");
    let base = admin.rsplit_once('/').map(|(base, _)| base).unwrap_or(&admin);
    format!("{base}/{database}")
}

/// Creates a database for one test, cloned from a template that has every
/// migration applied (created once per set of migrations).
pub async fn fresh_database() -> String {
    let mut admin = PgConnection::connect(&env("TEST_DATABASE_URL"))
        .await
        .expect("admin connection");
    let template = template_name();
    // Tests run in parallel threads (and test binaries side by side): one
    // creates the template.
    admin.execute("SELECT pg_advisory_lock(7264519)").await.unwrap();
    let exists: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(&template)
        .fetch_optional(&mut admin)
        .await
        .unwrap();
    if exists.is_none() {
        admin
            .execute(format!("CREATE DATABASE \"{template}\"").as_str())
            .await
            .unwrap();
        let mut conn = PgConnection::connect(&database_url(&template)).await.unwrap();
        control::infra::store::MIGRATOR
            .run(&mut conn)
            .await
            .expect("migrations apply");
        conn.close().await.unwrap();
    }
    let database = format!("test_{}", uuid::Uuid::new_v4().simple());
    admin
        .execute(format!("CREATE DATABASE \"{database}\" TEMPLATE \"{template}\"").as_str())
        .await
        .unwrap();
    admin.execute("SELECT pg_advisory_unlock(7264519)").await.unwrap();
    database
}

fn template_name() -> String {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for migration in control::infra::store::MIGRATOR.iter() {
        migration.version.hash(&mut hasher);
        migration.checksum.hash(&mut hasher);
    }
    format!("bibind_template_{:016x}", hasher.finish())
}

/// Someone the control plane sees calling: a fresh identity with a unique,
/// verified address, from no particular request or address (set `ip`,
/// `request_id` or `email_verified` with struct update syntax).
pub fn person(name: &str) -> control::Caller {
    control::Caller {
        identity_id: uuid::Uuid::new_v4().to_string(),
        email: browser::unique_email(name),
        email_verified: true,
        request_id: None,
        ip: None,
        token: None,
    }
}
