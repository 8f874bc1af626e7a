//! Every backend the provisioning engine drives, for tests: the real
//! servers that run here (OpenBao, Hydra, Mosquitto, Keystone) and the
//! simulators of the others, served in-process on free ports.

use std::{collections::BTreeSet, sync::Arc, time::Duration};

use control::{
    backends::{
        awx::AwxClient,
        gitlab::GitlabClient,
        kubernetes::{ApiServerCredentials, KubernetesClient},
        mqtt::MqttAdminClient,
        oauth_clients::HydraClients,
        object_storage::{Endpoint, ObjectStorage},
        odoo::OdooClient,
        openstack::OpenStackClient,
        vault::VaultClient,
    },
    provisioning::{Backends, ProvisioningSettings},
};
use sim::{faults::Faults, Served};

use super::env;

#[path = "openstack_settings.rs"]
mod openstack_settings;
use openstack_settings::simulated_openstack;

/// Short, so that a hung backend fails the attempt quickly.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(2);
pub const ODOO_MASTER: &str = "odoo-master-password";
pub const AWX_TOKEN: &str = "awx-test-token";
pub const GITLAB_TOKEN: &str = "gitlab-test-token";

/// Where each simulator is served, for a worker in another process.
#[derive(Clone, Debug)]
pub struct SimulatorUrls {
    pub kubernetes: String,
    pub odoo: String,
    pub awx: String,
    pub gitlab: String,
    pub openstack: String,
}

pub struct SimulatedBackends {
    pub kubernetes: Served,
    pub kubernetes_faults: Faults,
    /// The engine drives the real kube-apiserver of `cargo xtask test`
    /// instead of the simulator (`start_on_real_kubernetes`).
    pub kubernetes_is_real: bool,
    pub odoo: sim::odoo::Simulator,
    pub awx: sim::awx::Simulator,
    pub gitlab: sim::gitlab::Simulator,
    pub openstack: sim::openstack::OpenStackSim,
    pub urls: SimulatorUrls,
    /// The GitLab group tenants' groups are created under.
    pub gitlab_parent_group: i64,
    /// The portals of this stack consume devices' messages as this group
    /// (one per stack: tests share the broker).
    pub ingest_group: String,
    pub backends: Backends,
    pub settings: ProvisioningSettings,
    /// The authoritative DNS server owners' own domains are checked against.
    pub dns: sim::dns::DnsServer,
    // Kept alive as long as the backends are used.
    _served: Vec<Served>,
}

/// Where the portal's clients reach the real servers: directly, or
/// through a test's proxies (see `proxy`).
#[derive(Clone, Debug)]
pub struct RealServers {
    pub vault: String,
    pub hydra_admin: String,
    /// `host:port` of Mosquitto.
    pub mqtt: String,
    pub keystone: String,
}

impl RealServers {
    /// The servers `cargo xtask test` started, reached directly.
    pub fn from_env() -> Self {
        Self {
            vault: env("TEST_VAULT_ADDR"),
            hydra_admin: env("TEST_HYDRA_ADMIN_URL"),
            mqtt: env("TEST_MQTT_ADDRESS"),
            keystone: env("TEST_KEYSTONE_URL"),
        }
    }
}

impl SimulatedBackends {
    pub async fn start() -> Self {
        Self::start_with(Duration::ZERO).await
    }

    /// The same, with Kubernetes the real API server `cargo xtask test`
    /// starts, reached as the portal in a pod: its service account's token
    /// (under `deploy/kubernetes/clusterrole.yaml`) and the cluster's CA.
    pub async fn start_on_real_kubernetes() -> Self {
        let mut stack = Self::start().await;
        stack.urls.kubernetes = env("TEST_KUBE_API_URL");
        stack.backends.kubernetes = Arc::new(
            KubernetesClient::with_credentials(
                &stack.urls.kubernetes,
                &Self::real_kubernetes_credentials(),
                // etcd's writes and admission take longer than the simulator's answers.
                CALL_TIMEOUT * 5,
            )
            .unwrap(),
        );
        stack.kubernetes_is_real = true;
        stack
    }

    fn real_kubernetes_credentials() -> ApiServerCredentials {
        ApiServerCredentials {
            token_file: Some(env("TEST_KUBE_PORTAL_TOKEN_FILE").into()),
            ca_file: Some(env("TEST_KUBE_CA_FILE").into()),
        }
    }

    /// With AWX jobs that take `awx_job_duration` from launch to end.
    pub async fn start_with(awx_job_duration: Duration) -> Self {
        Self::start_reaching(awx_job_duration, RealServers::from_env()).await
    }

    /// With the portal's clients reaching the real servers at `real` (the
    /// OpenStack simulator still checks tokens with Keystone directly).
    pub async fn start_reaching(awx_job_duration: Duration, real: RealServers) -> Self {
        let kubernetes_faults = Faults::default();
        let kubernetes = sim::serve(sim::kubernetes::router_with(
            kubernetes_faults.clone(),
            sim::kubernetes::Settings {
                termination_delay: Duration::from_millis(200),
            },
        ))
        .await
        .unwrap();
        let odoo = sim::odoo::Simulator::new(ODOO_MASTER);
        let awx = sim::awx::Simulator::new(AWX_TOKEN, awx_job_duration);
        let settings = ProvisioningSettings {
            awx_poll: Duration::from_millis(20),
            awx_patience: Duration::from_secs(10),
            ..ProvisioningSettings::local("", &env("TEST_HYDRA_PUBLIC_URL"))
        };
        awx.add_template(sim::awx::TemplateSpec::named(&settings.awx_database_template));
        awx.add_template(sim::awx::TemplateSpec::named(
            &settings.awx_drop_database_template,
        ));
        let gitlab = sim::gitlab::Simulator::new(GITLAB_TOKEN);
        // Tenants' groups live under Bibind's own, as in production: a
        // subgroup is removed for good, a top-level one only marked.
        let parent_group = gitlab.add_group("bibind", None);
        let openstack = sim::openstack::OpenStackSim::new(&env("TEST_KEYSTONE_URL")).unwrap();
        // One Odoo behind the ingress for every tenant: a shop's host
        // reaches its shop's database, a training space's its own.
        let db_filter = |domain: &str, offer| {
            let database = control::domain::instance_name("%d", offer);
            format!("{domain}=^{database}$").parse().unwrap()
        };
        odoo.set_web(
            vec![
                db_filter(&settings.ecommerce_domain, control::domain::OfferKind::Ecommerce),
                db_filter(&settings.training_domain, control::domain::OfferKind::Training),
            ],
            true,
        );
        let odoo_served = sim::serve(odoo.router()).await.unwrap();
        let awx_served = sim::serve(awx.router()).await.unwrap();
        let gitlab_served = sim::serve(gitlab.router()).await.unwrap();
        let openstack_served = sim::serve(openstack.router()).await.unwrap();
        let base = openstack_served.url();
        let backends = Backends {
            kubernetes: Arc::new(KubernetesClient::new(&kubernetes.url(), CALL_TIMEOUT).unwrap()),
            vault: Arc::new(VaultClient::new(&real.vault, "root", CALL_TIMEOUT).unwrap()),
            oauth_clients: Arc::new(HydraClients::new(&real.hydra_admin, CALL_TIMEOUT).unwrap()),
            odoo: Arc::new(OdooClient::new(ODOO_MASTER, CALL_TIMEOUT).unwrap()),
            awx: Arc::new(AwxClient::new(&awx_served.url(), AWX_TOKEN, CALL_TIMEOUT).unwrap()),
            openstack: Arc::new(
                OpenStackClient::new(simulated_openstack(&real.keystone, &base, CALL_TIMEOUT)).unwrap(),
            ),
            gitlab: Arc::new(
                GitlabClient::new(
                    &gitlab_served.url(),
                    GITLAB_TOKEN,
                    Some(parent_group),
                    CALL_TIMEOUT,
                )
                .unwrap(),
            ),
            mqtt: Arc::new(
                MqttAdminClient::new(
                    &real.mqtt,
                    &env("TEST_MQTT_ADMIN_USERNAME"),
                    &env("TEST_MQTT_ADMIN_PASSWORD"),
                    CALL_TIMEOUT,
                )
                .unwrap(),
            ),
            storage: Some(test_storage()),
        };
        let settings = ProvisioningSettings {
            odoo_url: odoo_served.url(),
            // The simulated Odoo is the ingress: the sites are checked there.
            ingress_url: Some(odoo_served.url()),
            ..settings
        };
        let urls = SimulatorUrls {
            kubernetes: kubernetes.url(),
            odoo: odoo_served.url(),
            awx: awx_served.url(),
            gitlab: gitlab_served.url(),
            openstack: base,
        };
        Self {
            kubernetes,
            kubernetes_faults,
            kubernetes_is_real: false,
            odoo,
            awx,
            gitlab,
            openstack,
            urls,
            gitlab_parent_group: parent_group,
            ingest_group: format!("t{}", &uuid::Uuid::new_v4().simple().to_string()[..12]),
            backends,
            settings,
            dns: sim::dns::DnsServer::start().await.unwrap(),
            _served: vec![odoo_served, awx_served, gitlab_served, openstack_served],
        }
    }
}

impl SimulatedBackends {
    /// `[provisioning]` for a portal driving these backends, as the
    /// configuration's keys (`KUBERNETES__API_URL`, …): `tuning` first
    /// (workers, lease, retries), then every backend's address and token.
    pub fn provisioning_settings(&self, tuning: &[(&str, String)]) -> Vec<(String, String)> {
        let (urls, settings) = (&self.urls, &self.settings);
        let backends: Vec<(&str, String)> = vec![
            ("ECOMMERCE_DOMAIN", settings.ecommerce_domain.clone()),
            ("TRAINING_DOMAIN", settings.training_domain.clone()),
            ("IOT_DOMAIN", settings.iot_domain.clone()),
            ("ODOO_IMAGE", settings.odoo_image.clone()),
            ("INGEST_IMAGE", settings.ingest_image.clone()),
            ("VAULT_TOKEN", "root".into()),
            ("KUBERNETES__API_URL", urls.kubernetes.clone()),
            ("ODOO__URL", urls.odoo.clone()),
            ("ODOO__MASTER_PASSWORD", ODOO_MASTER.into()),
            ("AWX__URL", urls.awx.clone()),
            ("AWX__TOKEN", AWX_TOKEN.into()),
            ("AWX__DATABASE_TEMPLATE", settings.awx_database_template.clone()),
            (
                "AWX__DROP_DATABASE_TEMPLATE",
                settings.awx_drop_database_template.clone(),
            ),
            ("GITLAB__URL", urls.gitlab.clone()),
            ("GITLAB__TOKEN", GITLAB_TOKEN.into()),
            ("GITLAB__PARENT_GROUP", self.gitlab_parent_group.to_string()),
            ("OPENSTACK__KEYSTONE_URL", env("TEST_KEYSTONE_URL")),
            ("OPENSTACK__USERNAME", env("TEST_KEYSTONE_ADMIN_USER")),
            ("OPENSTACK__PASSWORD", env("TEST_KEYSTONE_ADMIN_PASSWORD")),
            ("OPENSTACK__USER_DOMAIN", env("TEST_KEYSTONE_DOMAIN")),
            ("OPENSTACK__PROJECT", env("TEST_KEYSTONE_ADMIN_PROJECT")),
            ("OPENSTACK__PROJECT_DOMAIN", env("TEST_KEYSTONE_DOMAIN")),
            (
                "OPENSTACK__COMPUTE_URL",
                format!("{}/compute/v2.1", urls.openstack),
            ),
            (
                "OPENSTACK__VOLUME_URL",
                format!("{}/volume/v3/%(project_id)s", urls.openstack),
            ),
            ("OPENSTACK__NETWORK_URL", format!("{}/network", urls.openstack)),
            ("MQTT__ADMIN_USERNAME", env("TEST_MQTT_ADMIN_USERNAME")),
            ("MQTT__ADMIN_PASSWORD", env("TEST_MQTT_ADMIN_PASSWORD")),
            ("MQTT__INGEST_GROUP", self.ingest_group.clone()),
            ("DNS_RESOLVER", self.dns.addr().to_string()),
            ("INGRESS_URL", urls.odoo.clone()),
            ("BACKUPS__PRIMARY__URL", env("TEST_S3_PRIMARY_URL")),
            ("BACKUPS__PRIMARY__BUCKET", env("TEST_S3_PRIMARY_BUCKET")),
            ("BACKUPS__PRIMARY__REGION", env("TEST_S3_REGION")),
            ("BACKUPS__PRIMARY__ACCESS_KEY", env("TEST_S3_PRIMARY_ACCESS_KEY")),
            ("BACKUPS__PRIMARY__SECRET_KEY", env("TEST_S3_PRIMARY_SECRET_KEY")),
            ("BACKUPS__OFFSITE__URL", env("TEST_S3_OFFSITE_URL")),
            ("BACKUPS__OFFSITE__BUCKET", env("TEST_S3_OFFSITE_BUCKET")),
            ("BACKUPS__OFFSITE__REGION", env("TEST_S3_REGION")),
            ("BACKUPS__OFFSITE__ACCESS_KEY", env("TEST_S3_OFFSITE_ACCESS_KEY")),
            ("BACKUPS__OFFSITE__SECRET_KEY", env("TEST_S3_OFFSITE_SECRET_KEY")),
        ];
        let credentials: Vec<(&str, String)> = if self.kubernetes_is_real {
            let ApiServerCredentials { token_file, ca_file } = Self::real_kubernetes_credentials();
            [
                ("KUBERNETES__TOKEN_FILE", token_file),
                ("KUBERNETES__CA_FILE", ca_file),
            ]
            .into_iter()
            .filter_map(|(key, file)| file.map(|file| (key, file.display().to_string())))
            .collect()
        } else {
            Vec::new()
        };
        tuning
            .iter()
            .cloned()
            .chain(backends)
            .chain(credentials)
            .map(|(key, value)| (key.to_owned(), value))
            .collect()
    }

    /// The same as a `[provisioning]` section, for an in-process portal.
    pub fn provisioning_config(&self, tuning: &[(&str, String)]) -> server::config::ProvisioningConfig {
        let mut section = serde_json::Map::new();
        for (key, value) in self.provisioning_settings(tuning) {
            let mut table = &mut section;
            let mut path: Vec<String> = key.split("__").map(str::to_lowercase).collect();
            let leaf = path.pop().unwrap();
            for part in path {
                table = table
                    .entry(part)
                    .or_insert_with(|| serde_json::Value::Object(Default::default()))
                    .as_object_mut()
                    .unwrap();
            }
            // Numbers stay numbers for the typed fields.
            let value = value
                .parse::<i64>()
                .map(serde_json::Value::from)
                .or_else(|_| value.parse::<bool>().map(serde_json::Value::from))
                .unwrap_or(serde_json::Value::String(value));
            table.insert(leaf, value);
        }
        serde_json::from_value(serde_json::Value::Object(section)).unwrap()
    }
}

/// The real versitygw pair of the test services (primary and off-site).
pub fn storage_endpoint(site: &str) -> Endpoint {
    Endpoint {
        url: env(&format!("TEST_S3_{site}_URL")),
        bucket: env(&format!("TEST_S3_{site}_BUCKET")),
        region: env("TEST_S3_REGION"),
        access_key: env(&format!("TEST_S3_{site}_ACCESS_KEY")),
        secret_key: env(&format!("TEST_S3_{site}_SECRET_KEY")),
    }
}

pub fn test_storage() -> ObjectStorage {
    ObjectStorage::new(
        &storage_endpoint("PRIMARY"),
        &storage_endpoint("OFFSITE"),
        std::time::Duration::from_secs(30),
    )
    .unwrap()
}

/// Namespaces the Kubernetes simulator starts with, as a cluster does.
const SYSTEM_NAMESPACES: [&str; 4] = ["default", "kube-system", "kube-public", "kube-node-lease"];

impl SimulatedBackends {
    /// The namespaces the simulated cluster holds besides its own.
    pub async fn tenant_namespaces(&self) -> BTreeSet<String> {
        let list: serde_json::Value = reqwest::Client::new()
            .get(format!("{}/api/v1/namespaces", self.urls.kubernetes))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item["metadata"]["name"].as_str().unwrap().to_owned())
            .filter(|name| !SYSTEM_NAMESPACES.contains(&name.as_str()))
            .collect()
    }
}
