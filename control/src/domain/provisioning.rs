//! The provisioning workflows: for each action on a subscription of each
//! offer, the ordered steps a job runs. Pure, so that the front end names
//! the steps and the backend a waiting job waits for.

use serde::{Deserialize, Serialize};

use super::{JobState, OfferKind, SubscriptionState};

/// What a job does to a subscription's services.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Action {
    Provision,
    Suspend,
    Resume,
    Close,
    /// The organization's members changed: their users in the service
    /// (Odoo) created, regrouped or archived to match.
    SyncMembers,
    /// The modules its customer wants (or its plan includes) changed:
    /// installed or uninstalled in the service (Odoo) to match.
    ChangeModules,
    /// The owner's own domain was verified or removed: the ingress and
    /// Odoo's website set to answer it, or no longer.
    ApplyDomain,
    /// Devices were registered, rotated, disabled, enabled or removed:
    /// their own clients on the broker made to match.
    SyncDevices,
    /// A backup of the service's data, sealed and stored twice (primary
    /// and off-site); the service keeps running.
    Backup,
    /// A backup put back in place of the service's data, the service
    /// stopped meanwhile.
    Restore,
    /// A restore drill: the latest backup restored aside, checked to
    /// open, and torn down; the service is not touched.
    Drill,
}

impl Action {
    pub const ALL: [Action; 11] = [
        Action::Provision,
        Action::Suspend,
        Action::Resume,
        Action::Close,
        Action::SyncMembers,
        Action::ChangeModules,
        Action::ApplyDomain,
        Action::SyncDevices,
        Action::Backup,
        Action::Restore,
        Action::Drill,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Action::Provision => "provision",
            Action::Suspend => "suspend",
            Action::Resume => "resume",
            Action::Close => "close",
            Action::SyncMembers => "sync_members",
            Action::ChangeModules => "change_modules",
            Action::ApplyDomain => "apply_domain",
            Action::SyncDevices => "sync_devices",
            Action::Backup => "backup",
            Action::Restore => "restore",
            Action::Drill => "drill",
        }
    }

    /// Backups, restores and drills: queued by people and schedules, not
    /// by the dispatcher; one that failed leaves the service as it was, so
    /// it does not hold the reconciler back.
    pub fn protects_data(self) -> bool {
        matches!(self, Action::Backup | Action::Restore | Action::Drill)
    }
}

/// What a subscription's services on the backends reflect
/// (`subscriptions.applied_state`); the engine's marks move it, the
/// dispatcher compares it with the subscription's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AppliedState {
    /// Nothing provisioned (yet, or any more).
    None,
    /// A provisioning began and has not finished.
    Partial,
    Running,
    Suspended,
}

impl AppliedState {
    pub const ALL: [AppliedState; 4] = [
        AppliedState::None,
        AppliedState::Partial,
        AppliedState::Running,
        AppliedState::Suspended,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AppliedState::None => "none",
            AppliedState::Partial => "partial",
            AppliedState::Running => "running",
            AppliedState::Suspended => "suspended",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|state| state.as_str() == text)
    }
}

#[cfg(feature = "server")]
super::jobs::stored_as_text!(AppliedState);

/// A system a step acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Backend {
    Portal,
    Kubernetes,
    Vault,
    Hydra,
    Odoo,
    Awx,
    OpenStack,
    Gitlab,
    Mqtt,
    /// The S3-compatible storage backups are kept in.
    Storage,
}

impl Backend {
    pub fn code(self) -> &'static str {
        match self {
            Backend::Portal => "portal",
            Backend::Kubernetes => "kubernetes",
            Backend::Vault => "vault",
            Backend::Hydra => "hydra",
            Backend::Odoo => "odoo",
            Backend::Awx => "awx",
            Backend::OpenStack => "openstack",
            Backend::Gitlab => "gitlab",
            Backend::Mqtt => "mqtt",
            Backend::Storage => "storage",
        }
    }
}

macro_rules! steps {
    ($($step:ident => $name:literal, $backend:ident;)+) => {
        /// One idempotent step of a workflow.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum Step { $($step),+ }

        impl Step {
            pub const ALL: &'static [Step] = &[$(Step::$step),+];

            /// The name stored in `job_steps` and used as an i18n key.
            pub fn name(self) -> &'static str {
                match self { $(Step::$step => $name),+ }
            }

            pub fn backend(self) -> Backend {
                match self { $(Step::$step => Backend::$backend),+ }
            }
        }
    };
}

steps! {
    Begin => "begin", Portal;
    VaultTenant => "vault_tenant", Vault;
    VaultSecrets => "vault_secrets", Vault;
    KubeNamespace => "kube_namespace", Kubernetes;
    KubeQuota => "kube_quota", Kubernetes;
    KubeNetworkPolicy => "kube_network_policy", Kubernetes;
    OpenstackProject => "openstack_project", OpenStack;
    AwxDatabase => "awx_database", Awx;
    GitlabRegistry => "gitlab_registry", Gitlab;
    MqttTenant => "mqtt_tenant", Mqtt;
    MqttDevices => "mqtt_devices", Mqtt;
    KubeSecrets => "kube_secrets", Kubernetes;
    KubeMigrate => "kube_migrate", Kubernetes;
    KubeWorkload => "kube_workload", Kubernetes;
    OdooDatabase => "odoo_database", Odoo;
    OdooModules => "odoo_modules", Odoo;
    OdooWebsite => "odoo_website", Odoo;
    HydraClient => "hydra_client", Hydra;
    OdooSso => "odoo_sso", Odoo;
    OdooUsers => "odoo_users", Odoo;
    OdooCourses => "odoo_courses", Odoo;
    MarkRunning => "mark_running", Portal;
    KubeScaleDown => "kube_scale_down", Kubernetes;
    HydraDisable => "hydra_disable", Hydra;
    MqttDisable => "mqtt_disable", Mqtt;
    OpenstackDisable => "openstack_disable", OpenStack;
    MarkSuspended => "mark_suspended", Portal;
    KubeScaleUp => "kube_scale_up", Kubernetes;
    HydraEnable => "hydra_enable", Hydra;
    MqttEnable => "mqtt_enable", Mqtt;
    OpenstackEnable => "openstack_enable", OpenStack;
    OdooDrop => "odoo_drop", Odoo;
    AwxDropDatabase => "awx_drop_database", Awx;
    HydraRemove => "hydra_remove", Hydra;
    MqttRemove => "mqtt_remove", Mqtt;
    GitlabRemove => "gitlab_remove", Gitlab;
    OpenstackRemove => "openstack_remove", OpenStack;
    KubeRemove => "kube_remove", Kubernetes;
    VaultRemove => "vault_remove", Vault;
    MarkClosed => "mark_closed", Portal;
    BackupOdoo => "backup_odoo", Odoo;
    BackupTelemetry => "backup_telemetry", Portal;
    BackupOffsite => "backup_offsite", Storage;
    RestoreOdooStage => "restore_odoo_stage", Odoo;
    RestoreOdooSwap => "restore_odoo_swap", Odoo;
    RestoreTelemetry => "restore_telemetry", Portal;
    DrillRestore => "drill_restore", Storage;
}

impl Step {
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|step| step.name() == name)
    }
}

/// What every tenant service's name starts with on every backend
/// (namespace, Vault tenant, Odoo database, OpenStack project, GitLab
/// group): no infrastructure namespace, database, project or group does, so
/// a tenant named like one (`kube`, `postgres`) never meets it.
pub const TENANT_PREFIX: &str = "tenant-";

/// The name of a subscription's services on every backend:
/// `tenant-<slug>-<offer>`.
pub fn instance_name(slug: &str, offer: OfferKind) -> String {
    format!("{TENANT_PREFIX}{slug}-{}", offer.code())
}

/// The Hydra client a subscription's Odoo signs people in with.
pub fn odoo_client_id(slug: &str, offer: OfferKind) -> String {
    format!("odoo-{}", instance_name(slug, offer))
}

/// What Odoo asks Hydra for when it signs someone in.
pub const ODOO_SIGN_IN_SCOPE: &str = "openid email profile";

/// The job kind of `action` on a subscription to `offer`: `provision.iot`.
pub fn job_kind(action: Action, offer: OfferKind) -> String {
    format!("{}.{}", action.code(), offer.code())
}

/// The action and offer a job kind names.
pub fn parse_job_kind(kind: &str) -> Option<(Action, OfferKind)> {
    let (action, offer) = kind.split_once('.')?;
    let action = Action::ALL.into_iter().find(|a| a.code() == action)?;
    Some((action, OfferKind::from_code(offer)?))
}

/// The steps of `action` on a subscription to `offer`, in order.
pub fn workflow(action: Action, offer: OfferKind) -> &'static [Step] {
    use Step::*;
    match (action, offer) {
        // The shop: its own database (an AWX playbook), Odoo in Kubernetes,
        // signing in through the portal's Hydra.
        (Action::Provision, OfferKind::Ecommerce) => &[
            Begin,
            VaultTenant,
            VaultSecrets,
            KubeNamespace,
            KubeQuota,
            KubeNetworkPolicy,
            OpenstackProject,
            AwxDatabase,
            KubeSecrets,
            KubeWorkload,
            OdooDatabase,
            OdooModules,
            OdooWebsite,
            HydraClient,
            OdooSso,
            OdooUsers,
            MarkRunning,
        ],
        // Training is the same stack with eLearning instead of the shop, a
        // user per seat, and the courses trainers put them in.
        (Action::Provision, OfferKind::Training) => &[
            Begin,
            VaultTenant,
            VaultSecrets,
            KubeNamespace,
            KubeQuota,
            KubeNetworkPolicy,
            OpenstackProject,
            AwxDatabase,
            KubeSecrets,
            KubeWorkload,
            OdooDatabase,
            OdooModules,
            OdooWebsite,
            HydraClient,
            OdooSso,
            OdooUsers,
            OdooCourses,
            MarkRunning,
        ],
        // IoT: the broker's role for the tenant's topics, and an ingestion
        // workload pulled from the tenant's registry.
        (Action::Provision, OfferKind::Iot) => &[
            Begin,
            VaultTenant,
            VaultSecrets,
            KubeNamespace,
            KubeQuota,
            KubeNetworkPolicy,
            OpenstackProject,
            MqttTenant,
            MqttDevices,
            GitlabRegistry,
            KubeSecrets,
            KubeMigrate,
            KubeWorkload,
            MarkRunning,
        ],
        // Queued only for a running shop or training space; the mark keeps
        // it running (and records nothing else).
        (Action::SyncMembers, OfferKind::Ecommerce) => &[OdooUsers, MarkRunning],
        (Action::SyncMembers, OfferKind::Training) => &[OdooUsers, OdooCourses, MarkRunning],
        (Action::SyncMembers, OfferKind::Iot) => &[MarkRunning],
        (Action::ChangeModules, OfferKind::Ecommerce | OfferKind::Training) => &[OdooModules, MarkRunning],
        (Action::ChangeModules, OfferKind::Iot) => &[MarkRunning],
        (Action::ApplyDomain, OfferKind::Ecommerce | OfferKind::Training) => {
            &[KubeWorkload, OdooWebsite, MarkRunning]
        }
        (Action::ApplyDomain, OfferKind::Iot) => &[MarkRunning],
        // Queued only for a running IoT space (others have no device).
        (Action::SyncDevices, OfferKind::Iot) => &[MqttDevices, MarkRunning],
        (Action::SyncDevices, _) => &[MarkRunning],
        // The service's data sealed into the primary storage, then copied
        // off site.
        (Action::Backup, OfferKind::Ecommerce | OfferKind::Training) => &[BackupOdoo, BackupOffsite],
        (Action::Backup, OfferKind::Iot) => &[BackupTelemetry, BackupOffsite],
        // Odoo stopped, the backup restored beside the live database and
        // swapped in, then the sign-in and users made current again (the
        // backup holds them as they were).
        (Action::Restore, OfferKind::Ecommerce | OfferKind::Training) => &[
            KubeScaleDown,
            RestoreOdooStage,
            RestoreOdooSwap,
            OdooSso,
            OdooUsers,
            KubeScaleUp,
            MarkRunning,
        ],
        (Action::Restore, OfferKind::Iot) => &[KubeScaleDown, RestoreTelemetry, KubeScaleUp, MarkRunning],
        (Action::Drill, _) => &[DrillRestore],
        // Devices follow their space: out while it is suspended, back as
        // their owner left them.
        (Action::Suspend, OfferKind::Iot) => &[
            KubeScaleDown,
            MqttDisable,
            MqttDevices,
            OpenstackDisable,
            MarkSuspended,
        ],
        (Action::Suspend, _) => &[KubeScaleDown, HydraDisable, OpenstackDisable, MarkSuspended],
        (Action::Resume, OfferKind::Iot) => {
            &[OpenstackEnable, MqttEnable, MqttDevices, KubeScaleUp, MarkRunning]
        }
        (Action::Resume, _) => &[OpenstackEnable, HydraEnable, KubeScaleUp, MarkRunning],
        (Action::Close, OfferKind::Iot) => &[
            KubeScaleDown,
            MqttRemove,
            GitlabRemove,
            OpenstackRemove,
            KubeRemove,
            VaultRemove,
            MarkClosed,
        ],
        (Action::Close, _) => &[
            KubeScaleDown,
            HydraRemove,
            OdooDrop,
            AwxDropDatabase,
            OpenstackRemove,
            KubeRemove,
            VaultRemove,
            MarkClosed,
        ],
    }
}

/// What a subscription's live page hears: its state, and its job's progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscriptionProgress {
    pub state: SubscriptionState,
    pub progress: Option<ProvisioningProgress>,
}

/// Whether a subscription in `state` with this job is between two states
/// (or its job may still be retried), so that its page follows it live. A
/// settled one is plain HTML: a dashboard of settled subscriptions
/// downloads no JavaScript, and is the same for everyone until it changes.
pub fn may_change_soon(state: SubscriptionState, progress: Option<&ProvisioningProgress>) -> bool {
    let transitional = matches!(
        state,
        SubscriptionState::Requested
            | SubscriptionState::AwaitingApproval
            | SubscriptionState::Provisioning
            | SubscriptionState::Deprovisioning
    );
    let job_open =
        progress.is_some_and(|progress| !matches!(progress.state, JobState::Succeeded | JobState::Cancelled));
    transitional || job_open
}

/// A subscription's job under way (or stopped), as its page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvisioningProgress {
    pub job_id: String,
    pub action: Action,
    pub state: JobState,
    pub steps: Vec<StepProgress>,
    /// The backend the current step waits for (after a failed attempt, or
    /// for good when the job failed).
    pub blocked_on: Option<Backend>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepProgress {
    pub step: Step,
    pub done: bool,
}

impl ProvisioningProgress {
    /// Steps done, out of 100.
    pub fn percent(&self) -> u32 {
        let total = self.steps.len().max(1);
        let done = self.steps.iter().filter(|step| step.done).count();
        u32::try_from(done * 100 / total).unwrap_or(100)
    }

    /// The step being run or waited on.
    pub fn current(&self) -> Option<Step> {
        self.steps.iter().find(|step| !step.done).map(|step| step.step)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applied_states_read_back_what_they_write() {
        for state in AppliedState::ALL {
            assert_eq!(AppliedState::parse(state.as_str()), Some(state));
        }
        assert_eq!(AppliedState::parse("active"), None);
    }

    #[test]
    fn step_names_fit_the_queue_and_round_trip() {
        for step in Step::ALL {
            let name = step.name();
            assert!(name.len() <= 64 && name.chars().all(|c| c.is_ascii_lowercase() || c == '_'));
            assert_eq!(Step::parse(name), Some(*step));
        }
    }

    #[test]
    fn every_workflow_ends_by_recording_what_the_backends_now_reflect() {
        for action in Action::ALL {
            for offer in OfferKind::ALL {
                let steps = workflow(action, offer);
                let last = steps.last().copied();
                let expected = match action {
                    Action::Provision
                    | Action::Resume
                    | Action::SyncMembers
                    | Action::ChangeModules
                    | Action::ApplyDomain
                    | Action::SyncDevices
                    | Action::Restore => Step::MarkRunning,
                    Action::Suspend => Step::MarkSuspended,
                    Action::Close => Step::MarkClosed,
                    // The service's state is not theirs to record.
                    Action::Backup => Step::BackupOffsite,
                    Action::Drill => Step::DrillRestore,
                };
                assert_eq!(last, Some(expected), "{action:?} {offer:?}");
                assert_eq!(parse_job_kind(&job_kind(action, offer)), Some((action, offer)));
            }
        }
    }

    #[test]
    fn closing_removes_what_provisioning_creates() {
        for offer in OfferKind::ALL {
            let created: Vec<Backend> = workflow(Action::Provision, offer)
                .iter()
                .map(|step| step.backend())
                .filter(|backend| *backend != Backend::Portal)
                .collect();
            let removed: Vec<Backend> = workflow(Action::Close, offer)
                .iter()
                .map(|s| s.backend())
                .collect();
            for backend in created {
                assert!(
                    removed.contains(&backend),
                    "{offer:?}: nothing removes {backend:?}"
                );
            }
        }
    }
}
