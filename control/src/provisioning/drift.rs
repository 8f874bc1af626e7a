//! What the reconciler compares: a subscription's services as the portal's
//! database wants them (its plan and overrides, whether it runs) and as each
//! backend its provisioning workflow touches holds them.

use serde_json::{json, Map, Value};

use super::{
    context::SubscriptionContext,
    steps::{
        mqtt_ingest_username, namespace_quota, oauth_client_id, odoo_people, project_quota, ODOO_PROVIDER,
        SERVICE_SECRET,
    },
    ProvisioningRunner,
};
use crate::{
    backends::{
        kubernetes::NamespaceQuota,
        odoo::{ObservedTraining, ObservedUser, OdooInstance},
        openstack::ProjectQuota,
        BackendError,
    },
    domain::{workflow, Action, Backend, OdooModule, OfferKind},
};

/// Whether a settled subscription's services run or are suspended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Applied {
    Running,
    Suspended,
}

/// One difference between what a backend should hold and what it holds.
#[derive(Clone, Debug, PartialEq)]
pub struct Drift {
    pub backend: Backend,
    /// What differs: `namespace`, `quota`, `policy`, `replicas`, …
    pub what: String,
    pub expected: Value,
    pub found: Value,
    pub nature: DriftNature,
}

/// What a drift is about, which decides the workflow that repairs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DriftNature {
    /// Something provisioning creates or sets (a namespace, a quota).
    Creation,
    /// Only whether the service runs (replicas, enabled clients): what the
    /// suspend and resume workflows set.
    Activity,
    /// Who may sign in, with which rights (Odoo users): what `sync_members` sets.
    Members,
    /// Which of Bibind's modules the Odoo has: what `change_modules` sets.
    Modules,
    /// The owner's own domain on the website: what `apply_domain` sets.
    Domain,
}

impl Drift {
    fn missing(backend: Backend, what: impl Into<String>, found: &str) -> Self {
        Self {
            backend,
            what: what.into(),
            expected: json!("present"),
            found: json!(found),
            nature: DriftNature::Creation,
        }
    }

    fn differs(backend: Backend, what: impl Into<String>, expected: Value, found: Value) -> Self {
        Self {
            backend,
            what: what.into(),
            expected,
            found,
            nature: DriftNature::Creation,
        }
    }

    fn activity(backend: Backend, what: impl Into<String>, expected: Value, found: Value) -> Self {
        Self {
            nature: DriftNature::Activity,
            ..Self::differs(backend, what, expected, found)
        }
    }

    fn members(what: impl Into<String>, expected: Value, found: Value) -> Self {
        Self {
            nature: DriftNature::Members,
            ..Self::differs(Backend::Odoo, what, expected, found)
        }
    }
}

/// The drifts as the audit trail keeps them: `{backend: {what: value}}`,
/// the found values (`before`) or the expected ones (`after`).
pub(super) fn by_backend(drifts: &[Drift], value: impl Fn(&Drift) -> &Value) -> Map<String, Value> {
    let mut backends = Map::new();
    for drift in drifts {
        let entry = backends
            .entry(drift.backend.code())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(fields) = entry {
            fields.insert(drift.what.clone(), value(drift).clone());
        }
    }
    backends
}

/// Which of Bibind's modules the Odoo has against which it should: the
/// installed ones for the subscription's page, and the drifts.
fn modules_drifts(
    ctx: &SubscriptionContext,
    installed: &[String],
    drifts: &mut Vec<Drift>,
) -> Vec<(OdooModule, bool)> {
    let states: Vec<(OdooModule, bool)> = OdooModule::of(ctx.offer)
        .map(|module| {
            (
                module,
                installed.iter().any(|name| name == module.technical_name()),
            )
        })
        .collect();
    for (module, installed) in &states {
        let wanted = ctx.modules.contains(module);
        if wanted != *installed {
            let state = |installed: bool| json!(if installed { "installed" } else { "uninstalled" });
            drifts.push(Drift {
                nature: DriftNature::Modules,
                ..Drift::differs(
                    Backend::Odoo,
                    format!("module {}", module.technical_name()),
                    state(wanted),
                    state(*installed),
                )
            });
        }
    }
    states
}

/// The website's own domain against the owner's verified one (compared by
/// host: Odoo keeps it with its scheme).
fn domain_drift(ctx: &SubscriptionContext, found: Option<&str>, drifts: &mut Vec<Drift>) {
    let found = found.map(|domain| domain.split_once("://").map_or(domain, |(_, host)| host));
    if found == ctx.custom_domain.as_deref() {
        return;
    }
    let value = |domain: Option<&str>| domain.map_or(Value::Null, |domain| json!(domain));
    drifts.push(Drift {
        nature: DriftNature::Domain,
        ..Drift::differs(
            Backend::Odoo,
            "website domain",
            value(ctx.custom_domain.as_deref()),
            value(found),
        )
    });
}

/// Who signs in to the Odoo through Bibind against who should: a member
/// without an active user or with other groups than their role's, a user
/// who is no longer entitled still active.
fn members_drifts(ctx: &SubscriptionContext, users: &[ObservedUser], drifts: &mut Vec<Drift>) {
    let ours: Vec<&ObservedUser> = users
        .iter()
        .filter(|user| user.provider == ODOO_PROVIDER)
        .collect();
    let people = odoo_people(ctx);
    for person in &people {
        let found = ours
            .iter()
            .find(|user| Some(&user.oauth_uid) == person.oauth_uid.as_ref());
        let what = format!("user {}", person.login);
        match found {
            None => drifts.push(Drift::members(what, json!("active"), json!("missing"))),
            Some(user) if !user.active => {
                drifts.push(Drift::members(what, json!("active"), json!("archived")))
            }
            Some(user) => {
                let mut wanted = person.groups.clone();
                wanted.sort_unstable();
                if user.groups != wanted {
                    drifts.push(Drift::members(
                        format!("{what} groups"),
                        json!(wanted),
                        json!(user.groups),
                    ));
                }
            }
        }
    }
    for user in ours {
        let entitled = people
            .iter()
            .any(|person| person.oauth_uid.as_ref() == Some(&user.oauth_uid));
        if user.active && !entitled {
            drifts.push(Drift::members(
                format!("user {}", user.login),
                json!("archived"),
                json!("active"),
            ));
        }
    }
}

/// Who is in which course in Odoo against where trainers put them: an
/// assigned learner with a user but no active membership, a membership
/// trainers took away still active. People who joined a course in Odoo
/// themselves are no drift.
fn enrolment_drifts(ctx: &SubscriptionContext, observed: &ObservedTraining, drifts: &mut Vec<Drift>) {
    let people = odoo_people(ctx);
    for (course, identity, assigned) in &ctx.assignments {
        let Some(course) = observed.courses.iter().find(|found| found.id == *course) else {
            continue;
        };
        let identity = identity.to_string();
        let Some(person) = people
            .iter()
            .find(|person| person.oauth_uid.as_deref() == Some(identity.as_str()))
        else {
            continue;
        };
        let enrolled = observed.enrolments.iter().any(|enrolment| {
            enrolment.course_id == course.id
                && enrolment.provider == ODOO_PROVIDER
                && enrolment.oauth_uid == identity
                && enrolment.active
        });
        if *assigned != enrolled {
            let state = |enrolled: bool| json!(if enrolled { "enrolled" } else { "not enrolled" });
            drifts.push(Drift::members(
                format!("{} in course {}", person.login, course.name),
                state(*assigned),
                state(enrolled),
            ));
        }
    }
}

fn namespace_quota_json(quota: Option<NamespaceQuota>) -> Value {
    quota.map_or(Value::Null, |quota| {
        json!({
            "cpu_millicores": quota.cpu_millicores,
            "memory_mib": quota.memory_mib,
            "storage_gib": quota.storage_gib,
        })
    })
}

fn project_quota_json(quota: &ProjectQuota) -> Value {
    json!({
        "vcpus": quota.vcpus,
        "ram_mib": quota.ram_mib,
        "instances": quota.instances,
        "volumes": quota.volumes,
        "gigabytes": quota.gigabytes,
        "networks": quota.networks,
    })
}

impl ProvisioningRunner {
    /// Every drift of the subscription's services; an error when a backend
    /// cannot be observed (then nothing is known of this subscription).
    pub(super) async fn drifts(
        &self,
        ctx: &SubscriptionContext,
        applied: Applied,
    ) -> Result<Vec<Drift>, BackendError> {
        let touched = |backend: Backend| {
            workflow(Action::Provision, ctx.offer)
                .iter()
                .any(|step| step.backend() == backend)
        };
        let mut drifts = Vec::new();
        if touched(Backend::Kubernetes) {
            self.kubernetes_drifts(ctx, applied, &mut drifts).await?;
        }
        let mut service_secret = None;
        if touched(Backend::Vault) {
            service_secret = self.vault_drifts(ctx, &mut drifts).await?;
        }
        if touched(Backend::Hydra) {
            self.hydra_drifts(ctx, applied, &mut drifts).await?;
        }
        if touched(Backend::Odoo) {
            // Odoo is observed as its admin, whose password is in Vault:
            // without it, the Vault drift already calls for a repair.
            if let Some(password) = service_secret.as_ref().and_then(|s| s.get("odoo_admin_password")) {
                let odoo = self.odoo_instance_with(ctx, password);
                match self.backends.odoo.observe(&odoo).await? {
                    None => drifts.push(Drift::missing(Backend::Odoo, "database", "missing")),
                    Some(observed) => {
                        members_drifts(ctx, &observed.provider_users, &mut drifts);
                        let states = modules_drifts(ctx, &observed.installed_modules, &mut drifts);
                        domain_drift(ctx, observed.website_domain.as_deref(), &mut drifts);
                        if ctx.offer == OfferKind::Training {
                            self.training_drifts(ctx, &odoo, &mut drifts).await?;
                        }
                        // What the Modules tab shows: seen now, whatever the repair.
                        if let Err(error) = self.control.record_modules_applied(ctx.id, &states, None).await {
                            tracing::warn!(subscription = %ctx.id, %error, "cannot record the modules observed");
                        }
                    }
                }
            }
        }
        if touched(Backend::Mqtt) {
            self.mqtt_drifts(ctx, applied, &mut drifts).await?;
        }
        if touched(Backend::Gitlab) {
            match self.backends.gitlab.observe(&ctx.instance()).await? {
                None => drifts.push(Drift::missing(Backend::Gitlab, "group", "missing")),
                Some(group) if group.marked_for_deletion => {
                    drifts.push(Drift::missing(Backend::Gitlab, "group", "marked for deletion"))
                }
                Some(_) => {}
            }
        }
        if touched(Backend::OpenStack) {
            self.openstack_drifts(ctx, applied, &mut drifts).await?;
        }
        Ok(drifts)
    }

    /// A training space's courses and progress, read and kept for the
    /// portal on every round (whatever the repair), and its enrolments'
    /// drifts.
    async fn training_drifts(
        &self,
        ctx: &SubscriptionContext,
        odoo: &OdooInstance,
        drifts: &mut Vec<Drift>,
    ) -> Result<(), BackendError> {
        let Some(observed) = self.backends.odoo.observe_training(odoo).await? else {
            return Ok(());
        };
        if let Err(error) = self
            .control
            .record_training(ctx.id, &observed, ODOO_PROVIDER)
            .await
        {
            tracing::warn!(subscription = %ctx.id, %error, "cannot record the courses observed");
        }
        enrolment_drifts(ctx, &observed, drifts);
        Ok(())
    }

    async fn kubernetes_drifts(
        &self,
        ctx: &SubscriptionContext,
        applied: Applied,
        drifts: &mut Vec<Drift>,
    ) -> Result<(), BackendError> {
        const K8S: Backend = Backend::Kubernetes;
        let Some(namespace) = self.backends.kubernetes.observe(&ctx.instance()).await? else {
            drifts.push(Drift::missing(K8S, "namespace", "missing"));
            return Ok(());
        };
        if namespace.terminating {
            drifts.push(Drift::missing(K8S, "namespace", "terminating"));
            return Ok(());
        }
        // Customers see what their services use beside their plan's limits.
        if let Err(error) = self.control.record_observed_usage(ctx.id, &namespace).await {
            tracing::warn!(%error, subscription = %ctx.id, "cannot keep the observed usage");
        }
        let quota = namespace_quota(ctx);
        if namespace.quota != Some(quota) {
            drifts.push(Drift::differs(
                K8S,
                "quota",
                namespace_quota_json(Some(quota)),
                namespace_quota_json(namespace.quota),
            ));
        }
        if !namespace.default_deny {
            drifts.push(Drift::missing(K8S, "network_policy", "missing or changed"));
        }
        let workload = self.workload(ctx);
        let replicas = match applied {
            Applied::Running => workload.replicas,
            Applied::Suspended => 0,
        };
        match namespace
            .workloads
            .iter()
            .find(|found| found.name == workload.name)
        {
            None => drifts.push(Drift::missing(
                K8S,
                format!("workload {}", workload.name),
                "missing",
            )),
            Some(found) if found.replicas != replicas => drifts.push(Drift::activity(
                K8S,
                format!("workload {} replicas", workload.name),
                json!(replicas),
                json!(found.replicas),
            )),
            Some(_) => {}
        }
        Ok(())
    }

    /// The Vault drifts, and the service secret when it is there.
    async fn vault_drifts(
        &self,
        ctx: &SubscriptionContext,
        drifts: &mut Vec<Drift>,
    ) -> Result<Option<std::collections::BTreeMap<String, String>>, BackendError> {
        let instance = ctx.instance();
        let found = self.backends.vault.observe(&instance).await?;
        if !found.policy_matches {
            drifts.push(Drift::missing(Backend::Vault, "policy", "missing or changed"));
        }
        if !found.role {
            drifts.push(Drift::missing(Backend::Vault, "approle", "missing or changed"));
        }
        if !found.secrets.iter().any(|name| name == SERVICE_SECRET) {
            drifts.push(Drift::missing(
                Backend::Vault,
                format!("secret {SERVICE_SECRET}"),
                "missing",
            ));
            return Ok(None);
        }
        self.backends.vault.read_secret(&instance, SERVICE_SECRET).await
    }

    async fn hydra_drifts(
        &self,
        ctx: &SubscriptionContext,
        applied: Applied,
        drifts: &mut Vec<Drift>,
    ) -> Result<(), BackendError> {
        let enabled = applied == Applied::Running;
        match self.backends.oauth_clients.observe(&oauth_client_id(ctx)).await? {
            None => drifts.push(Drift::missing(Backend::Hydra, "client", "missing")),
            Some(client) if client.enabled != enabled => drifts.push(Drift::activity(
                Backend::Hydra,
                "client enabled",
                json!(enabled),
                json!(client.enabled),
            )),
            Some(client) => {
                // A tenant's client is never first-party, and belongs to its
                // subscription: either drift is repaired by the client step,
                // which registers it as a tenant client.
                if client.first_party {
                    drifts.push(Drift::differs(
                        Backend::Hydra,
                        "client first-party",
                        json!(false),
                        json!(true),
                    ));
                }
                let owner = ctx.id.to_string();
                if client.subscription_id.as_deref() != Some(owner.as_str()) {
                    drifts.push(Drift::differs(
                        Backend::Hydra,
                        "client subscription",
                        json!(owner),
                        json!(client.subscription_id),
                    ));
                }
            }
        }
        Ok(())
    }

    async fn mqtt_drifts(
        &self,
        ctx: &SubscriptionContext,
        applied: Applied,
        drifts: &mut Vec<Drift>,
    ) -> Result<(), BackendError> {
        let Some(tenant) = self.backends.mqtt.observe(&ctx.slug).await? else {
            drifts.push(Drift::missing(Backend::Mqtt, "role", "missing"));
            return Ok(());
        };
        if !tenant.acls_match {
            drifts.push(Drift::missing(Backend::Mqtt, "role", "changed acls"));
        }
        let username = mqtt_ingest_username(ctx);
        if !tenant.clients.iter().any(|(name, _)| *name == username) {
            drifts.push(Drift::missing(
                Backend::Mqtt,
                format!("client {username}"),
                "missing",
            ));
        }
        let disabled = applied == Applied::Suspended;
        // The clients that are not as they should be, with what they are.
        let wrong: Map<String, Value> = tenant
            .clients
            .iter()
            .filter(|(_, found)| *found != disabled)
            .map(|(name, found)| (name.clone(), json!(found)))
            .collect();
        if !wrong.is_empty() {
            drifts.push(Drift::activity(
                Backend::Mqtt,
                "clients disabled",
                json!(disabled),
                Value::Object(wrong),
            ));
        }
        Ok(())
    }

    async fn openstack_drifts(
        &self,
        ctx: &SubscriptionContext,
        applied: Applied,
        drifts: &mut Vec<Drift>,
    ) -> Result<(), BackendError> {
        let Some(quota) = project_quota(ctx) else {
            return Ok(());
        };
        let Some(project) = self.backends.openstack.observe(&ctx.instance()).await? else {
            drifts.push(Drift::missing(Backend::OpenStack, "project", "missing"));
            return Ok(());
        };
        if project.quota != quota {
            drifts.push(Drift::differs(
                Backend::OpenStack,
                "quota",
                project_quota_json(&quota),
                project_quota_json(&project.quota),
            ));
        }
        let enabled = applied == Applied::Running;
        if project.enabled != enabled {
            drifts.push(Drift::activity(
                Backend::OpenStack,
                "project enabled",
                json!(enabled),
                json!(project.enabled),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_audit_trail_groups_drifts_by_backend() {
        let drifts = [
            Drift::missing(Backend::Kubernetes, "namespace", "missing"),
            Drift::missing(Backend::Vault, "policy", "missing or changed"),
            Drift::activity(Backend::Kubernetes, "workload odoo replicas", json!(0), json!(1)),
        ];
        assert_eq!(
            Value::Object(by_backend(&drifts, |drift| &drift.found)),
            json!({
                "kubernetes": { "namespace": "missing", "workload odoo replicas": 1 },
                "vault": { "policy": "missing or changed" },
            })
        );
        assert_eq!(
            Value::Object(by_backend(&drifts, |drift| &drift.expected)),
            json!({
                "kubernetes": { "namespace": "present", "workload odoo replicas": 0 },
                "vault": { "policy": "present" },
            })
        );
    }
}
