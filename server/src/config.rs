//! Configuration: a TOML file overlaid by `BIBIND_…` environment variables
//! (`BIBIND_DATABASE__URL` sets `database.url`). Secrets are typed as such and
//! never printed. A missing or malformed value stops start-up with a message
//! naming the key and where the value came from.

use std::{net::SocketAddr, path::PathBuf};

use figment::{
    providers::{Env, Format, Serialized, Toml},
    Figment,
};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

mod provisioning;
mod sites;

pub use provisioning::{
    AwxConfig, BackupsConfig, GitlabConfig, KubernetesConfig, MqttAdminConfig, OdooConfig, OpenStackConfig,
    ProvisioningConfig, StorageConfig, STORAGE_TIMEOUT,
};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    #[serde(default)]
    pub site: SiteConfig,
    #[serde(default)]
    pub log: LogConfig,
    /// Each configured backend is checked by `/readyz`.
    #[serde(default)]
    pub vault: Option<VaultConfig>,
    #[serde(default)]
    pub mqtt: Option<EndpointConfig>,
    /// The SMTP relay for the portal's own mail (invitations).
    #[serde(default)]
    pub smtp: Option<SmtpConfig>,
    /// Ory Kratos: identities and self-service flows.
    #[serde(default)]
    pub kratos: Option<OryConfig>,
    /// Ory Hydra: OAuth2 and OpenID Connect.
    #[serde(default)]
    pub hydra: Option<OryConfig>,
    #[serde(default)]
    pub oidc: Option<OidcConfig>,
    #[serde(default)]
    pub session: SessionConfig,
    #[serde(default)]
    pub rate_limits: RateLimitsConfig,
    #[serde(default)]
    pub bootstrap: BootstrapConfig,
    #[serde(default)]
    pub tenancy: TenancyConfig,
    /// The provisioning engine; without it no job runs here.
    #[serde(default)]
    pub provisioning: Option<ProvisioningConfig>,
}

/// How organizations come to be, and the limits an operator sets against
/// abuse (each refusal names its numbers and is audited).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenancyConfig {
    /// New organizations wait for a platform admin's approval (subscriptions
    /// to plans that need it wait either way).
    #[serde(default)]
    pub approve_new_organizations: bool,
    /// Organizations one account may own.
    #[serde(default = "limit_defaults::organizations_per_account")]
    pub organizations_per_account: u32,
    /// Subscriptions of one organization that may wait for provisioning.
    #[serde(default = "limit_defaults::pending_subscriptions_per_organization")]
    pub pending_subscriptions_per_organization: u32,
    /// Subscriptions one client address may ask for in an hour.
    #[serde(default = "limit_defaults::subscriptions_per_address_per_hour")]
    pub subscriptions_per_address_per_hour: u32,
}

impl Default for TenancyConfig {
    fn default() -> Self {
        let limits = control::tenancy::limits::PlatformLimits::default();
        Self {
            approve_new_organizations: false,
            organizations_per_account: limits.organizations_per_account,
            pending_subscriptions_per_organization: limits.pending_subscriptions_per_organization,
            subscriptions_per_address_per_hour: limits.subscriptions_per_address_per_hour,
        }
    }
}

impl TenancyConfig {
    pub fn limits(&self) -> control::tenancy::limits::PlatformLimits {
        control::tenancy::limits::PlatformLimits {
            organizations_per_account: self.organizations_per_account,
            pending_subscriptions_per_organization: self.pending_subscriptions_per_organization,
            subscriptions_per_address_per_hour: self.subscriptions_per_address_per_hour,
        }
    }
}

/// serde's defaults for the limits: the control plane's own.
mod limit_defaults {
    use control::tenancy::limits::PlatformLimits;

    pub fn organizations_per_account() -> u32 {
        PlatformLimits::default().organizations_per_account
    }

    pub fn pending_subscriptions_per_organization() -> u32 {
        PlatformLimits::default().pending_subscriptions_per_organization
    }

    pub fn subscriptions_per_address_per_hour() -> u32 {
        PlatformLimits::default().subscriptions_per_address_per_hour
    }
}

/// The portal signs people in as an OpenID client of Hydra.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcConfig {
    /// The provider's issuer; defaults to Hydra's public URL with a trailing slash.
    #[serde(default)]
    pub issuer: Option<String>,
    pub client_id: String,
    pub client_secret: SecretString,
    /// Create or update this client, and the command line's public client
    /// (`bibind-cli`), in Hydra at start-up (development, tests).
    #[serde(default)]
    pub register: bool,
}

/// The portal's own session cookie.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionConfig {
    /// Signed out after this long without a request.
    #[serde(default = "default_idle_minutes")]
    pub idle_timeout_minutes: u32,
    /// Signed out this long after signing in, however active.
    #[serde(default = "default_absolute_hours")]
    pub absolute_timeout_hours: u32,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            idle_timeout_minutes: default_idle_minutes(),
            absolute_timeout_hours: default_absolute_hours(),
        }
    }
}

/// Attempts allowed per window at the self-service flows (`control::identity::throttle`):
/// `*_per_ip` per client address, `*_per_account` per account from one
/// address; past `account_slowdown_after` attempts at one account from every
/// address together, each attempt waits longer, up to
/// `account_slowdown_max_seconds` (0: no slowdown), and is never refused.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitsConfig {
    pub login_per_ip: u32,
    pub login_per_account: u32,
    pub login_window_minutes: u32,
    pub recovery_per_ip: u32,
    pub recovery_per_account: u32,
    pub recovery_window_minutes: u32,
    pub registration_per_ip: u32,
    pub registration_per_account: u32,
    pub registration_window_minutes: u32,
    pub verification_per_ip: u32,
    pub verification_per_account: u32,
    pub verification_window_minutes: u32,
    pub settings_per_ip: u32,
    pub settings_per_account: u32,
    pub settings_window_minutes: u32,
    pub account_slowdown_after: u32,
    pub account_slowdown_max_seconds: u32,
    /// Requests an API client (or a person's token) may make per minute,
    /// per replica.
    pub api_per_client_per_minute: u32,
}

impl Default for RateLimitsConfig {
    fn default() -> Self {
        use control::identity::throttle::{ActionLimits, Limit};
        let limits = control::identity::throttle::ThrottleLimits::default();
        let count = |limit: Limit| u32::try_from(limit.attempts).unwrap_or(u32::MAX);
        let minutes =
            |limits: ActionLimits| u32::try_from(limits.per_ip.window.whole_minutes()).unwrap_or(u32::MAX);
        Self {
            login_per_ip: count(limits.login.per_ip),
            login_per_account: count(limits.login.per_account),
            login_window_minutes: minutes(limits.login),
            recovery_per_ip: count(limits.recovery.per_ip),
            recovery_per_account: count(limits.recovery.per_account),
            recovery_window_minutes: minutes(limits.recovery),
            registration_per_ip: count(limits.registration.per_ip),
            registration_per_account: count(limits.registration.per_account),
            registration_window_minutes: minutes(limits.registration),
            verification_per_ip: count(limits.verification.per_ip),
            verification_per_account: count(limits.verification.per_account),
            verification_window_minutes: minutes(limits.verification),
            settings_per_ip: count(limits.settings.per_ip),
            settings_per_account: count(limits.settings.per_account),
            settings_window_minutes: minutes(limits.settings),
            account_slowdown_after: u32::try_from(limits.slowdown.after).unwrap_or(u32::MAX),
            account_slowdown_max_seconds: u32::try_from(limits.slowdown.max_delay.whole_seconds())
                .unwrap_or(u32::MAX),
            api_per_client_per_minute: 600,
        }
    }
}

impl RateLimitsConfig {
    pub fn limits(&self) -> control::identity::throttle::ThrottleLimits {
        use control::identity::throttle::{ActionLimits, Limit, Slowdown};
        let attempts = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
        let limits = |per_ip: u32, per_account: u32, minutes: u32| {
            let window = time::Duration::minutes(i64::from(minutes));
            ActionLimits {
                per_ip: Limit {
                    attempts: attempts(per_ip),
                    window,
                },
                per_account: Limit {
                    attempts: attempts(per_account),
                    window,
                },
            }
        };
        control::identity::throttle::ThrottleLimits {
            login: limits(
                self.login_per_ip,
                self.login_per_account,
                self.login_window_minutes,
            ),
            recovery: limits(
                self.recovery_per_ip,
                self.recovery_per_account,
                self.recovery_window_minutes,
            ),
            registration: limits(
                self.registration_per_ip,
                self.registration_per_account,
                self.registration_window_minutes,
            ),
            verification: limits(
                self.verification_per_ip,
                self.verification_per_account,
                self.verification_window_minutes,
            ),
            settings: limits(
                self.settings_per_ip,
                self.settings_per_account,
                self.settings_window_minutes,
            ),
            slowdown: Slowdown {
                after: attempts(self.account_slowdown_after),
                max_delay: time::Duration::seconds(i64::from(self.account_slowdown_max_seconds)),
            },
        }
    }
}

fn default_idle_minutes() -> u32 {
    30
}

fn default_absolute_hours() -> u32 {
    12
}

/// What start-up ensures exists (idempotent).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BootstrapConfig {
    /// E-mail addresses granted the platform-admin role at start-up, when an
    /// account has them (`cargo xtask dev` seeds its admin this way).
    #[serde(default)]
    pub platform_admins: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on; port 0 picks a free port (tests).
    pub listen: SocketAddr,
    /// The URL browsers use to reach the portal; `https` turns on HSTS and
    /// secure cookies.
    pub public_url: String,
    /// Proxies (CIDR: `10.0.0.0/8`, or one address) whose `X-Forwarded-For`
    /// is believed, for rate limits and the audit trail. Empty: the TCP peer
    /// is the client.
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
    /// Where `/readyz` and `/metrics` are served: an address of its own,
    /// loopback by default, never the public listener.
    #[serde(default = "default_operations_listen")]
    pub operations_listen: SocketAddr,
}

fn default_operations_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 9100))
}

impl ServerConfig {
    pub fn trusted_proxies(&self) -> Result<control::client_ip::TrustedProxies, ConfigError> {
        control::client_ip::TrustedProxies::parse(&self.trusted_proxies)
            .map_err(|error| ConfigError(format!("server.trusted_proxies: {error}")))
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// A PostgreSQL URL; may carry a password, hence secret.
    pub url: SecretString,
    #[serde(default = "default_max_connections")]
    pub max_connections: u32,
    /// Apply pending migrations at start-up.
    #[serde(default = "default_true")]
    pub migrate: bool,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    /// Where the built assets are (cargo-leptos' `site-root`).
    pub root: PathBuf,
    pub pkg_dir: String,
    pub output_name: String,
}

impl Default for SiteConfig {
    fn default() -> Self {
        Self {
            root: PathBuf::from("target/site"),
            pkg_dir: "pkg".to_owned(),
            output_name: "bibind".to_owned(),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Coloured, one line per event: for people.
    #[default]
    Human,
    /// One JSON object per line: for log collectors in production.
    Json,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    #[serde(default)]
    pub format: LogFormat,
    /// A tracing `EnvFilter` directive, e.g. `info,server=debug`.
    #[serde(default = "default_log_filter")]
    pub filter: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: LogFormat::Human,
            filter: default_log_filter(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VaultConfig {
    /// Base URL of Vault or OpenBao, e.g. `http://127.0.0.1:8200`.
    pub addr: String,
}

/// An Ory server: its public API (browsers) and its admin API (the portal only).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OryConfig {
    /// The public API as browsers reach it.
    pub public_url: String,
    pub admin_url: String,
    /// The public API as the portal reaches it, when that is not
    /// `public_url` (Kratos behind an ingress that refuses browsers'
    /// self-service posts: the portal relays them here).
    #[serde(default)]
    pub internal_url: Option<String>,
}

/// A backend reached over TCP at `host:port`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointConfig {
    pub address: String,
}

/// The SMTP relay, and who the portal's mail comes from.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub address: String,
    #[serde(default = "default_mail_from")]
    pub from: String,
    /// Where replies go (Reply-To): notices ask customers to reply.
    #[serde(default = "default_mail_support")]
    pub support: String,
}

fn default_mail_from() -> String {
    "Bibind <no-reply@bibind.localhost>".to_owned()
}

fn default_mail_support() -> String {
    "Bibind <support@bibind.localhost>".to_owned()
}

fn default_max_connections() -> u32 {
    10
}

fn default_true() -> bool {
    true
}

/// vaultrs logs every answer that is not a success at ERROR, a missing
/// secret included (the Vault backend handles and reports its errors itself).
fn default_log_filter() -> String {
    "info,vaultrs=off,rustify=off".to_owned()
}

/// Why the configuration could not be loaded, with the key and its source.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(String);

impl Config {
    /// Loads `path` (when given) and overlays the environment.
    pub fn load(path: Option<&std::path::Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::new()
            .merge(Serialized::default("site", SiteConfig::default()))
            .merge(Serialized::default("log", LogConfig::default()));
        if let Some(path) = path {
            if !path.is_file() {
                return Err(ConfigError(format!(
                    "configuration file {} does not exist",
                    path.display()
                )));
            }
            figment = figment.merge(Toml::file_exact(path));
        }
        // Configuration keys all sit in a section (`BIBIND_DATABASE__URL`);
        // other BIBIND_ variables (BIBIND_CONFIG, xtask's BIBIND_CACHE_DIR …)
        // are not configuration.
        let environment = Env::prefixed("BIBIND_")
            .filter(|key| key.as_str().contains("__"))
            .split("__");
        Self::from_figment(figment.merge(environment))
    }

    pub fn from_figment(figment: Figment) -> Result<Self, ConfigError> {
        let config: Self = figment.extract().map_err(|error| {
            // figment's errors name the key path and the provider (file or
            // environment variable); list each one.
            let details: Vec<String> = error.into_iter().map(|e| e.to_string()).collect();
            ConfigError(details.join("; "))
        })?;
        config.server.trusted_proxies()?;
        if let Some(provisioning) = &config.provisioning {
            sites::check_tenant_apps_are_another_site(
                &config.server.public_url,
                &[
                    ("provisioning.ecommerce_domain", &provisioning.ecommerce_domain),
                    ("provisioning.training_domain", &provisioning.training_domain),
                    ("provisioning.iot_domain", &provisioning.iot_domain),
                ],
            )
            .map_err(ConfigError)?;
        }
        Ok(config)
    }

    /// The OpenID issuer the portal signs in at, when it signs in at all.
    pub fn oidc_issuer(&self) -> Option<String> {
        let oidc = self.oidc.as_ref()?;
        oidc.issuer.clone().or_else(|| {
            Some(format!(
                "{}/",
                self.hydra.as_ref()?.public_url.trim_end_matches('/')
            ))
        })
    }

    pub fn uses_tls(&self) -> bool {
        self.server.public_url.starts_with("https://")
    }
}

#[cfg(test)]
// figment's Jail returns its own large error type.
#[allow(clippy::result_large_err)]
mod tests {
    use figment::Jail;
    use secrecy::ExposeSecret;

    use super::*;

    const MINIMAL: &str = r#"
        [server]
        listen = "127.0.0.1:3000"
        public_url = "http://127.0.0.1:3000"
        [database]
        url = "postgres://bibind:hunter2@127.0.0.1/bibind"
    "#;

    #[test]
    fn environment_overrides_the_file() {
        Jail::expect_with(|jail| {
            jail.create_file("bibind.toml", MINIMAL)?;
            jail.set_env("BIBIND_SERVER__LISTEN", "127.0.0.1:4000");
            jail.set_env("BIBIND_LOG__FORMAT", "json");
            jail.set_env("BIBIND_CONFIG", "bibind.toml");
            jail.set_env("BIBIND_CACHE_DIR", "/tmp/not-configuration");
            let config = Config::load(Some("bibind.toml".as_ref())).map_err(|e| e.to_string())?;
            assert_eq!(config.server.listen.port(), 4000);
            assert_eq!(config.log.format, LogFormat::Json);
            assert_eq!(config.database.max_connections, 10);
            assert_eq!(config.site.output_name, "bibind");
            assert!(config.database.url.expose_secret().contains("hunter2"));
            Ok(())
        });
    }

    #[test]
    fn a_malformed_value_names_its_key_and_source() {
        Jail::expect_with(|jail| {
            jail.create_file("bibind.toml", MINIMAL)?;
            jail.set_env("BIBIND_SERVER__LISTEN", "not-an-address");
            let error = Config::load(Some("bibind.toml".as_ref()))
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(error.to_lowercase().contains("server.listen"), "{error}");
            assert!(error.contains("BIBIND_"), "{error}");
            Ok(())
        });
    }

    #[test]
    fn a_missing_value_names_its_key() {
        Jail::expect_with(|jail| {
            jail.create_file(
                "bibind.toml",
                "[server]\nlisten = \"127.0.0.1:1\"\npublic_url = \"http://x\"\n",
            )?;
            let error = Config::load(Some("bibind.toml".as_ref()))
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(error.contains("database"), "{error}");
            Ok(())
        });
    }

    #[test]
    fn trusted_proxies_are_checked_and_the_operations_listener_is_loopback_by_default() {
        Jail::expect_with(|jail| {
            jail.create_file("bibind.toml", MINIMAL)?;
            let config = Config::load(Some("bibind.toml".as_ref())).map_err(|e| e.to_string())?;
            assert!(config.server.operations_listen.ip().is_loopback());
            assert!(config.server.trusted_proxies.is_empty());
            jail.set_env("BIBIND_SERVER__TRUSTED_PROXIES", "[\"10.0.0.0/33\"]");
            let error = Config::load(Some("bibind.toml".as_ref()))
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(
                error.contains("server.trusted_proxies") && error.contains("10.0.0.0/33"),
                "{error}"
            );
            Ok(())
        });
    }

    #[test]
    fn a_missing_file_is_named() {
        let error = Config::load(Some("/nonexistent/bibind.toml".as_ref()))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.contains("/nonexistent/bibind.toml"), "{error}");
    }

    #[test]
    fn secrets_do_not_leak_through_debug() {
        Jail::expect_with(|jail| {
            jail.create_file("bibind.toml", MINIMAL)?;
            let config = Config::load(Some("bibind.toml".as_ref())).map_err(|e| e.to_string())?;
            assert!(!format!("{config:?}").contains("hunter2"));
            Ok(())
        });
    }
}
