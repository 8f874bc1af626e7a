//! Every backend the provisioning engine drives, for tests: the real
//! servers that run here (OpenBao, Hydra, Mosquitto, Keystone) and the
//! simulators of the others, served in-process on free ports.

use std::{sync::Arc, time::Duration};

use control::{
    backends::{
        awx::AwxClient,
        gitlab::GitlabClient,
        kubernetes::KubernetesClient,
        mqtt::MqttAdminClient,
        oauth_clients::HydraClients,
        odoo::OdooClient,
        openstack::{OpenStackClient, OpenStackSettings},
        vault::VaultClient,
    },
    provisioning::{Backends, ProvisioningSettings},
};
use sim::{faults::Faults, Served};

use super::env;

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
    pub odoo: sim::odoo::Simulator,
    pub awx: sim::awx::Simulator,
    pub gitlab: sim::gitlab::Simulator,
    pub openstack: sim::openstack::OpenStackSim,
    pub urls: SimulatorUrls,
    /// The GitLab group tenants' groups are created under.
    pub gitlab_parent_group: i64,
    pub backends: Backends,
    pub settings: ProvisioningSettings,
    // Kept alive as long as the backends are used.
    _served: Vec<Served>,
}

impl SimulatedBackends {
    pub async fn start() -> Self {
        Self::start_with(Duration::ZERO).await
    }

    /// With AWX jobs that take `awx_job_duration` from launch to end.
    pub async fn start_with(awx_job_duration: Duration) -> Self {
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
        let odoo_served = sim::serve(odoo.router()).await.unwrap();
        let awx_served = sim::serve(awx.router()).await.unwrap();
        let gitlab_served = sim::serve(gitlab.router()).await.unwrap();
        let openstack_served = sim::serve(openstack.router()).await.unwrap();
        let base = openstack_served.url();
        let backends = Backends {
            kubernetes: Arc::new(KubernetesClient::new(&kubernetes.url(), CALL_TIMEOUT).unwrap()),
            vault: Arc::new(VaultClient::new(&env("TEST_VAULT_ADDR"), "root", CALL_TIMEOUT).unwrap()),
            oauth_clients: Arc::new(HydraClients::new(&env("TEST_HYDRA_ADMIN_URL"), CALL_TIMEOUT).unwrap()),
            odoo: Arc::new(OdooClient::new(ODOO_MASTER, CALL_TIMEOUT).unwrap()),
            awx: Arc::new(AwxClient::new(&awx_served.url(), AWX_TOKEN, CALL_TIMEOUT).unwrap()),
            openstack: Arc::new(
                OpenStackClient::new(OpenStackSettings {
                    keystone_url: env("TEST_KEYSTONE_URL"),
                    username: env("TEST_KEYSTONE_ADMIN_USER"),
                    password: env("TEST_KEYSTONE_ADMIN_PASSWORD"),
                    user_domain: env("TEST_KEYSTONE_DOMAIN"),
                    project: env("TEST_KEYSTONE_ADMIN_PROJECT"),
                    project_domain: env("TEST_KEYSTONE_DOMAIN"),
                    region: None,
                    compute_url: Some(format!("{base}/compute/v2.1")),
                    volume_url: Some(format!("{base}/volume/v3/%(project_id)s")),
                    network_url: Some(format!("{base}/network")),
                    timeout: CALL_TIMEOUT,
                })
                .unwrap(),
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
                    &env("TEST_MQTT_ADDRESS"),
                    &env("TEST_MQTT_ADMIN_USERNAME"),
                    &env("TEST_MQTT_ADMIN_PASSWORD"),
                    CALL_TIMEOUT,
                )
                .unwrap(),
            ),
        };
        let settings = ProvisioningSettings {
            odoo_url: odoo_served.url(),
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
            odoo,
            awx,
            gitlab,
            openstack,
            urls,
            gitlab_parent_group: parent_group,
            backends,
            settings,
            _served: vec![odoo_served, awx_served, gitlab_served, openstack_served],
        }
    }
}
