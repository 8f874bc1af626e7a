//! Provisioning: turning a subscription's state into running services.
//!
//! - The **dispatcher** ([`Control::dispatch_provisioning`]) compares each
//!   subscription's state with what its backends reflect (`applied_state`)
//!   and queues the job (`provision`, `suspend`, `resume`, `close`) that
//!   brings them together, one job at a time per subscription.
//! - The **reconciler** ([`ProvisioningRunner::reconcile`]) compares, on a
//!   schedule, what the backends hold with what they should, and queues the
//!   job that repairs a drift (a deleted namespace, a changed quota).
//! - The **runner** ([`ProvisioningRunner`]) runs a job's steps (the
//!   workflows of `domain::provisioning`) on the backends, and the notice
//!   jobs' e-mails (`notices`); the job queue (`crate::jobs`) retries,
//!   leases and records them.

mod admin;
mod backups;
mod context;
mod courses;
mod devices;
mod dispatch;
mod drift;
mod engine;
mod invitations;
mod marks;
mod notices;
mod reconcile;
mod runner;
mod runs;
mod site_check;
mod steps;
mod usage;

use std::{sync::Arc, time::Duration};

use crate::backends::{
    awx::Awx, gitlab::Gitlab, kubernetes::Kubernetes, mqtt::MqttAccess, oauth_clients::OAuthClients,
    object_storage::ObjectStorage, odoo::Odoo, openstack::OpenStack, vault::SecretStore,
};

pub(crate) use admin::organization_jobs;
pub use dispatch::SUBSCRIPTION_CHANNEL;
pub use drift::Drift;
pub use engine::{Engine, RECONCILE_EVERY};
pub use reconcile::ReconcileReport;
pub use runner::ProvisioningRunner;

/// Every backend a workflow acts on.
#[derive(Clone)]
pub struct Backends {
    pub kubernetes: Arc<dyn Kubernetes>,
    pub vault: Arc<dyn SecretStore>,
    pub oauth_clients: Arc<dyn OAuthClients>,
    pub odoo: Arc<dyn Odoo>,
    pub awx: Arc<dyn Awx>,
    pub openstack: Arc<dyn OpenStack>,
    pub gitlab: Arc<dyn Gitlab>,
    pub mqtt: Arc<dyn MqttAccess>,
    /// Where backups are kept; without it, backup jobs fail for an admin.
    pub storage: Option<ObjectStorage>,
}

/// What the workflows need to know besides the subscription.
#[derive(Clone, Debug)]
pub struct ProvisioningSettings {
    /// Host names are `<slug>.<domain>` for each offer.
    pub ecommerce_domain: String,
    pub training_domain: String,
    pub iot_domain: String,
    /// Where browsers reach a tenant's host: `{host}` replaced
    /// (`https://{host}`; a development stack adds a port).
    pub site_url: String,
    /// Where the reconciler sends its checks of the sites, the site's host
    /// in the `Host` header (the ingress's address); `None`: the site's
    /// address itself.
    pub ingress_url: Option<String>,
    /// The Odoo image run for the shop and training offers.
    pub odoo_image: String,
    /// The IoT ingestion image.
    pub ingest_image: String,
    /// How the control plane reaches an instance's Odoo: `{namespace}` is
    /// replaced by the subscription's namespace.
    pub odoo_url: String,
    /// Hydra's public URL: Odoo's sign-in button sends people there.
    pub hydra_public_url: String,
    /// The AWX job templates creating and dropping an instance's database.
    pub awx_database_template: String,
    pub awx_drop_database_template: String,
    /// How often a step following a remote job (AWX, a Kubernetes Job)
    /// asks how it is doing.
    pub awx_poll: Duration,
    /// How long a step follows a remote job before it lets the job wait and
    /// retry (the remote job goes on meanwhile and is found again).
    pub awx_patience: Duration,
}

impl ProvisioningSettings {
    /// Where browsers reach the tenants' applications these settings provision.
    pub fn sites(&self) -> crate::domain::Sites {
        crate::domain::Sites {
            ecommerce_domain: self.ecommerce_domain.clone(),
            training_domain: self.training_domain.clone(),
            iot_domain: self.iot_domain.clone(),
            url_template: self.site_url.clone(),
            hydra_public_url: self.hydra_public_url.clone(),
            ingress_url: self.ingress_url.clone(),
        }
    }

    /// The settings of a development or test stack (`*.localhost` hosts).
    pub fn local(odoo_url: &str, hydra_public_url: &str) -> Self {
        Self {
            ecommerce_domain: "shop.localhost".into(),
            training_domain: "learn.localhost".into(),
            iot_domain: "iot.localhost".into(),
            site_url: "https://{host}".into(),
            ingress_url: None,
            odoo_image: "odoo:18.0".into(),
            ingest_image: "registry.bibind.fr/iot/ingest:1".into(),
            odoo_url: odoo_url.into(),
            hydra_public_url: hydra_public_url.trim_end_matches('/').into(),
            awx_database_template: "bibind-instance-database".into(),
            awx_drop_database_template: "bibind-instance-database-drop".into(),
            awx_poll: Duration::from_millis(200),
            awx_patience: Duration::from_secs(120),
        }
    }
}
