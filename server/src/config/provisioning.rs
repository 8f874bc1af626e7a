//! `[provisioning]`: the engine that turns subscriptions into services, and
//! the backends it drives. Without this section no job runs (a portal may
//! run without provisioning, e.g. a read-only replica).

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use control::{
    backends::{
        awx::AwxClient,
        gitlab::GitlabClient,
        kubernetes::{ApiServerCredentials, KubernetesClient},
        mqtt::{MqttAdminClient, PortalClient},
        oauth_clients::HydraClients,
        object_storage::{Endpoint, ObjectStorage},
        odoo::OdooClient,
        openstack::{OpenStackClient, OpenStackSettings},
        vault::VaultClient,
        BackendError, CALL_TIMEOUT,
    },
    domain::RetryPolicy,
    provisioning::{Backends, ProvisioningSettings},
};

/// How long one request to the backups' storage (a part of 8 MiB) may take.
pub const STORAGE_TIMEOUT: Duration = Duration::from_secs(120);

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvisioningConfig {
    /// Jobs this replica runs at once.
    #[serde(default = "default_workers")]
    pub workers: usize,
    /// Whether this replica runs the engine (workers and reconciler). A
    /// replica that only serves pages sets `false`: it still links the
    /// tenants' sites and starts sign-ins into their back offices.
    #[serde(default = "default_run_engine")]
    pub run_engine: bool,
    /// How often one replica compares the backends with what they should
    /// hold and queues repairs.
    #[serde(default = "default_reconcile_seconds")]
    pub reconcile_seconds: u64,
    /// How long a job stays a worker's without its heartbeat: a replica that
    /// died has its jobs taken over this long after.
    #[serde(default = "default_lease_seconds")]
    pub lease_seconds: u32,
    /// The wait before a failed step's second attempt (doubling after).
    #[serde(default = "default_retry_first_delay_ms")]
    pub retry_first_delay_ms: u64,
    /// Attempts of one step before its job fails.
    #[serde(default = "default_retry_max_attempts")]
    pub retry_max_attempts: u32,
    /// Host names are `<slug>.<domain>` for each offer.
    pub ecommerce_domain: String,
    pub training_domain: String,
    pub iot_domain: String,
    /// Where browsers reach a tenant's host, `{host}` replaced.
    #[serde(default = "default_site_url")]
    pub site_url: String,
    /// Where the control plane checks that the sites answer, the site's
    /// host in the `Host` header (the ingress's address, when the control
    /// plane cannot reach the sites' public addresses); none: the site's
    /// address itself.
    #[serde(default)]
    pub ingress_url: Option<String>,
    /// The name server (`address:port`) that checks owners' own domains;
    /// none: the system's resolvers (`/etc/resolv.conf`).
    #[serde(default)]
    pub dns_resolver: Option<std::net::SocketAddr>,
    pub odoo_image: String,
    pub ingest_image: String,
    /// Vault's token for the control plane (the address is `[vault] addr`).
    pub vault_token: SecretString,
    pub kubernetes: KubernetesConfig,
    pub odoo: OdooConfig,
    pub awx: AwxConfig,
    pub gitlab: GitlabConfig,
    pub openstack: OpenStackConfig,
    /// The broker's dynamic-security admin (the address is `[mqtt] address`).
    pub mqtt: MqttAdminConfig,
    /// Where backups are kept; without it, backups are not taken (and a
    /// backup asked for fails for an admin to see).
    #[serde(default)]
    pub backups: Option<BackupsConfig>,
}

/// `[provisioning.backups]`: the primary storage and the off-site copy.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupsConfig {
    pub primary: StorageConfig,
    pub offsite: StorageConfig,
    /// How often each service's latest backup is restored in a drill.
    #[serde(default = "default_drill_days")]
    pub drill_days: u32,
    /// How long the portal's own database backups are kept
    /// (`bibind-server backup-database` removes older ones).
    #[serde(default = "default_database_retention_days")]
    pub database_retention_days: u32,
    /// The `pg_dump` and `pg_restore` to run (of the server's major version or later).
    #[serde(default = "default_pg_dump")]
    pub pg_dump: String,
    #[serde(default = "default_pg_restore")]
    pub pg_restore: String,
}

fn default_database_retention_days() -> u32 {
    30
}

fn default_pg_dump() -> String {
    "pg_dump".into()
}

fn default_pg_restore() -> String {
    "pg_restore".into()
}

fn default_drill_days() -> u32 {
    7
}

/// An S3-compatible endpoint and bucket.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageConfig {
    pub url: String,
    pub bucket: String,
    #[serde(default = "default_storage_region")]
    pub region: String,
    pub access_key: String,
    pub secret_key: SecretString,
}

fn default_storage_region() -> String {
    "eu-west-3".into()
}

impl StorageConfig {
    fn endpoint(&self) -> Endpoint {
        Endpoint {
            url: self.url.clone(),
            bucket: self.bucket.clone(),
            region: self.region.clone(),
            access_key: self.access_key.clone(),
            secret_key: self.secret_key.expose_secret().to_owned(),
        }
    }
}

impl BackupsConfig {
    /// The storage's client; requests time out after `timeout` of silence.
    pub fn storage(&self, timeout: Duration) -> Result<ObjectStorage, BackendError> {
        ObjectStorage::new(&self.primary.endpoint(), &self.offsite.endpoint(), timeout)
    }

    pub fn drill_interval(&self) -> Duration {
        Duration::from_secs(u64::from(self.drill_days.max(1)) * 24 * 3600)
    }
}

fn default_run_engine() -> bool {
    true
}

fn default_workers() -> usize {
    4
}

fn default_reconcile_seconds() -> u64 {
    control::provisioning::RECONCILE_EVERY.as_secs()
}

fn default_lease_seconds() -> u32 {
    30
}

fn default_retry_first_delay_ms() -> u64 {
    2_000
}

fn default_retry_max_attempts() -> u32 {
    RetryPolicy::default().max_attempts
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KubernetesConfig {
    pub api_url: String,
    /// The service account's token, read again as the kubelet rotates it
    /// (in a pod: `/var/run/secrets/kubernetes.io/serviceaccount/token`).
    /// Unset: no authentication (the simulator).
    #[serde(default)]
    pub token_file: Option<std::path::PathBuf>,
    /// The CA that signed the API server's certificate (in a pod:
    /// `…/serviceaccount/ca.crt`). Unset: the system's roots.
    #[serde(default)]
    pub ca_file: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OdooConfig {
    /// How the control plane reaches an instance; `{namespace}` is replaced.
    pub url: String,
    pub master_password: SecretString,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwxConfig {
    pub url: String,
    pub token: SecretString,
    pub database_template: String,
    pub drop_database_template: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GitlabConfig {
    pub url: String,
    pub token: SecretString,
    /// The group tenants' groups are created under.
    #[serde(default)]
    pub parent_group: Option<i64>,
}

/// `[provisioning.openstack]`: Keystone and the admin the portal signs in
/// as. Nova, Cinder and Neutron are found in the token's service catalog,
/// as the `openstack` CLI finds them: the `public` endpoints of `compute`,
/// `block-storage` (or `volumev3`, `volume`) and `network` in `region`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenStackConfig {
    /// Keystone's Identity endpoint (`…/v3`).
    pub keystone_url: String,
    pub username: String,
    pub password: SecretString,
    #[serde(default = "default_domain")]
    pub user_domain: String,
    /// The admin project the token is scoped to; tenant projects are
    /// created in its domain.
    pub project: String,
    #[serde(default = "default_domain")]
    pub project_domain: String,
    /// The catalog region (`OS_REGION_NAME`); `RegionOne` when absent.
    #[serde(default)]
    pub region: Option<String>,
    /// Overrides, only for a cloud whose catalog lacks a service or gives
    /// an endpoint the portal cannot reach: Nova's versioned endpoint
    /// (`…/v2.1`).
    #[serde(default)]
    pub compute_url: Option<String>,
    /// Cinder's `…/v3` (or `…/v3/%(project_id)s`).
    #[serde(default)]
    pub volume_url: Option<String>,
    /// Neutron's root, without `/v2.0`.
    #[serde(default)]
    pub network_url: Option<String>,
}

fn default_site_url() -> String {
    "https://{host}".to_owned()
}

fn default_domain() -> String {
    "Default".to_owned()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MqttAdminConfig {
    pub admin_username: String,
    pub admin_password: SecretString,
    /// PEM CA certificates the broker's certificate must chain to, for an
    /// `mqtts://` address (`[mqtt] address`); without it, the system's
    /// roots. Production must use `mqtts://`: the admin's password crosses
    /// this connection.
    #[serde(default)]
    pub ca_file: Option<std::path::PathBuf>,
    /// The broker as devices reach it (`mqtts://mqtt.example.fr:8883`),
    /// shown in their connection details; by default `[mqtt] address`.
    #[serde(default)]
    pub device_url: Option<String>,
    /// Whether this replica consumes and stores devices' messages.
    #[serde(default = "default_ingest")]
    pub ingest: bool,
    /// The shared subscription's group: the replicas of one portal share
    /// one (each message is stored by one of them); two portals on one
    /// broker need two. Lowercase letters, digits and dashes.
    #[serde(default = "default_ingest_group")]
    pub ingest_group: String,
}

fn default_ingest() -> bool {
    true
}

fn default_ingest_group() -> String {
    "bibind".to_owned()
}

impl MqttAdminConfig {
    /// The portal's own client of the broker at `address`, for its
    /// ingestion group.
    pub fn portal_client(&self, address: &str, timeout: Duration) -> Result<PortalClient, BackendError> {
        let group = &self.ingest_group;
        let valid = (1..=40).contains(&group.len())
            && group
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !valid {
            return Err(BackendError::refused(
                "mqtt",
                format!(
                    "provisioning.mqtt.ingest_group `{group}`: 1 to 40 lowercase letters, digits and dashes"
                ),
            ));
        }
        Ok(self.client(address, timeout)?.portal_client(group))
    }

    /// The dynamic-security admin client for the broker at `address`: TLS
    /// for `mqtts://`, trusting `ca_file` when given.
    pub fn client(&self, address: &str, timeout: Duration) -> Result<MqttAdminClient, BackendError> {
        let client = MqttAdminClient::new(
            address,
            &self.admin_username,
            self.admin_password.expose_secret(),
            timeout,
        )?;
        match &self.ca_file {
            None => Ok(client),
            Some(path) => {
                let pem = std::fs::read(path).map_err(|e| {
                    BackendError::refused(
                        "mqtt",
                        format!("cannot read provisioning.mqtt.ca_file {}: {e}", path.display()),
                    )
                })?;
                client.with_ca_pem(&pem)
            }
        }
    }
}

impl ProvisioningConfig {
    /// The backends' clients. `vault_addr`, `hydra_admin_url` and
    /// `mqtt_address` come from the sections the readiness checks use.
    pub fn backends(
        &self,
        vault_addr: &str,
        hydra_admin_url: &str,
        mqtt_address: &str,
    ) -> Result<Backends, BackendError> {
        let timeout = CALL_TIMEOUT;
        let openstack = &self.openstack;
        Ok(Backends {
            kubernetes: std::sync::Arc::new(KubernetesClient::with_credentials(
                &self.kubernetes.api_url,
                &ApiServerCredentials {
                    token_file: self.kubernetes.token_file.clone(),
                    ca_file: self.kubernetes.ca_file.clone(),
                },
                timeout,
            )?),
            vault: std::sync::Arc::new(VaultClient::new(
                vault_addr,
                self.vault_token.expose_secret(),
                timeout,
            )?),
            oauth_clients: std::sync::Arc::new(HydraClients::new(hydra_admin_url, timeout)?),
            odoo: std::sync::Arc::new(OdooClient::new(
                self.odoo.master_password.expose_secret(),
                timeout,
            )?),
            awx: std::sync::Arc::new(AwxClient::new(
                &self.awx.url,
                self.awx.token.expose_secret(),
                timeout,
            )?),
            openstack: std::sync::Arc::new(OpenStackClient::new(OpenStackSettings {
                keystone_url: openstack.keystone_url.clone(),
                username: openstack.username.clone(),
                password: openstack.password.expose_secret().to_owned(),
                user_domain: openstack.user_domain.clone(),
                project: openstack.project.clone(),
                project_domain: openstack.project_domain.clone(),
                region: openstack.region.clone(),
                compute_url: openstack.compute_url.clone(),
                volume_url: openstack.volume_url.clone(),
                network_url: openstack.network_url.clone(),
                timeout,
            })?),
            gitlab: std::sync::Arc::new(GitlabClient::new(
                &self.gitlab.url,
                self.gitlab.token.expose_secret(),
                self.gitlab.parent_group,
                timeout,
            )?),
            mqtt: std::sync::Arc::new(self.mqtt.client(mqtt_address, timeout)?),
            // A part of a backup takes longer than a call.
            storage: self
                .backups
                .as_ref()
                .map(|backups| backups.storage(STORAGE_TIMEOUT))
                .transpose()?,
        })
    }

    pub fn reconcile_interval(&self) -> Duration {
        Duration::from_secs(self.reconcile_seconds.max(1))
    }

    pub fn lease(&self) -> time::Duration {
        time::Duration::seconds(i64::from(self.lease_seconds.max(1)))
    }

    pub fn retry_policy(&self) -> RetryPolicy {
        RetryPolicy {
            max_attempts: self.retry_max_attempts.max(1),
            first_delay: time::Duration::milliseconds(
                i64::try_from(self.retry_first_delay_ms).unwrap_or(i64::MAX),
            ),
            ..RetryPolicy::default()
        }
    }

    /// How owners' own domains are checked.
    pub fn dns_checker(&self) -> control::Result<control::infra::dns::DnsChecker> {
        match self.dns_resolver {
            Some(address) => control::infra::dns::DnsChecker::with_name_server(address),
            None => control::infra::dns::DnsChecker::system(),
        }
    }

    pub fn settings(&self, hydra_public_url: &str) -> ProvisioningSettings {
        ProvisioningSettings {
            ecommerce_domain: self.ecommerce_domain.clone(),
            training_domain: self.training_domain.clone(),
            iot_domain: self.iot_domain.clone(),
            site_url: self.site_url.clone(),
            ingress_url: self.ingress_url.clone(),
            odoo_image: self.odoo_image.clone(),
            ingest_image: self.ingest_image.clone(),
            awx_database_template: self.awx.database_template.clone(),
            awx_drop_database_template: self.awx.drop_database_template.clone(),
            awx_poll: Duration::from_secs(2),
            awx_patience: Duration::from_secs(600),
            ..ProvisioningSettings::local(&self.odoo.url, hydra_public_url)
        }
    }
}

#[cfg(test)]
mod tests {
    use figment::{
        providers::{Format, Toml},
        Figment,
    };

    use super::*;

    const CA: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../control/tests/fixtures/public-ca.pem"
    );

    fn mqtt(toml: &str) -> MqttAdminConfig {
        Figment::from(Toml::string(toml)).extract().unwrap()
    }

    #[test]
    fn the_mqtt_admin_connection_uses_tls_with_the_configured_ca() {
        let config = mqtt(&format!(
            "admin_username = \"bibind\"\nadmin_password = \"pw\"\nca_file = \"{CA}\"\n"
        ));
        let client = config
            .client("mqtts://broker.internal:8883", CALL_TIMEOUT)
            .unwrap();
        assert!(client.uses_tls());
        // A CA beside a plain address is refused rather than ignored.
        let error = config
            .client("mqtt://broker.internal:1883", CALL_TIMEOUT)
            .unwrap_err();
        assert!(error.to_string().contains("mqtts://"), "{error}");
        // mqtts:// without a CA file of its own: the system's roots, still TLS.
        let system = mqtt("admin_username = \"bibind\"\nadmin_password = \"pw\"\n");
        assert!(system
            .client("mqtts://broker.internal:8883", CALL_TIMEOUT)
            .unwrap()
            .uses_tls());
        assert!(!system.client("127.0.0.1:1883", CALL_TIMEOUT).unwrap().uses_tls());
    }

    #[test]
    fn an_unreadable_mqtt_ca_file_is_named() {
        let config =
            mqtt("admin_username = \"bibind\"\nadmin_password = \"pw\"\nca_file = \"/nonexistent/ca.pem\"\n");
        let error = config
            .client("mqtts://broker.internal:8883", CALL_TIMEOUT)
            .unwrap_err();
        assert!(error.to_string().contains("provisioning.mqtt.ca_file"), "{error}");
    }
}
