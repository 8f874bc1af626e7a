//! Each workflow step on its backend. Every step is idempotent (the
//! backends' `ensure_*` and `remove_*` are) and reports what it created.

use std::collections::BTreeMap;

use serde_json::json;

use super::{context::SubscriptionContext, marks::Mark, ProvisioningRunner};
use crate::{
    backends::{
        kubernetes::{NamespaceQuota, NamespaceRemoval, TenantNamespace, Workload},
        oauth_clients::OAuthClientSpec,
        odoo::{OdooInstance, OdooOAuthProvider, OdooSignIn, OdooUser},
        openstack::ProjectQuota,
    },
    domain::{CreatedResource, OdooModule, OfferKind, QuotaKind, Role, Step, StepFailure},
    jobs::ClaimedJob,
};

type StepResult = Result<Vec<CreatedResource>, StepFailure>;

/// Odoo's database manager (create, copy, drop, back up any database with
/// the master password), by page and by RPC: never published.
const ODOO_DATABASE_MANAGER: [&str; 3] = ["/web/database", "/xmlrpc/db", "/xmlrpc/2/db"];

/// The Vault secret holding an instance's generated credentials.
pub(super) const SERVICE_SECRET: &str = "service";
/// The Vault secret holding its registry's deploy token.
const REGISTRY_SECRET: &str = "registry";
/// The Kubernetes Secret its workload reads its environment from.
pub(super) const SERVICE_ENV: &str = "service-env";
const REGISTRY_TOKEN_NAME: &str = "registry";

fn created(backend: &str, kind: &str, id: impl Into<String>) -> CreatedResource {
    CreatedResource {
        backend: backend.into(),
        kind: kind.into(),
        id: id.into(),
    }
}

pub(super) fn database_failure(error: crate::Error) -> StepFailure {
    StepFailure::transient(format!("portal database: {error}"))
}

/// The generated credentials an offer's services need.
fn generated_keys(offer: OfferKind) -> &'static [&'static str] {
    match offer {
        OfferKind::Ecommerce | OfferKind::Training => {
            &["odoo_admin_password", "db_password", "oauth_client_secret"]
        }
        OfferKind::Iot => &["mqtt_ingest_password"],
    }
}

/// What every shop or training space has, whatever its plan.
fn odoo_modules(offer: OfferKind) -> &'static [&'static str] {
    match offer {
        OfferKind::Training => &["website_slides", "auth_oidc"],
        _ => &["website_sale", "auth_oidc"],
    }
}

impl ProvisioningRunner {
    pub(super) async fn run_step(
        &self,
        step: Step,
        job: &ClaimedJob,
        ctx: &SubscriptionContext,
    ) -> StepResult {
        let instance = ctx.instance();
        match step {
            Step::Begin => self.mark(job, ctx, Mark::Begun).await,
            Step::BackupOdoo
            | Step::BackupTelemetry
            | Step::BackupOffsite
            | Step::RestoreOdooStage
            | Step::RestoreOdooSwap
            | Step::RestoreTelemetry
            | Step::DrillRestore => self.run_backup_step(step, job, ctx).await,
            Step::MarkRunning => self.mark(job, ctx, Mark::Running).await,
            Step::MarkSuspended => self.mark(job, ctx, Mark::Suspended).await,
            Step::MarkClosed => self.mark(job, ctx, Mark::Closed).await,
            Step::VaultTenant => {
                let tenant = self.backends.vault.ensure_tenant(&instance).await?;
                Ok(vec![
                    created("vault", "policy", tenant.policy),
                    created("vault", "approle", crate::backends::vault::policy_name(&instance)),
                ])
            }
            Step::VaultSecrets => {
                self.backends
                    .vault
                    .ensure_generated_secret(&instance, ctx.id, SERVICE_SECRET, generated_keys(ctx.offer))
                    .await?;
                Ok(vec![created(
                    "vault",
                    "secret",
                    format!("tenants/{instance}/{SERVICE_SECRET}"),
                )])
            }
            Step::KubeNamespace => {
                let namespace = TenantNamespace {
                    name: instance.clone(),
                    tenant_slug: ctx.slug.clone(),
                    offer: ctx.offer.code().into(),
                    subscription_id: ctx.id,
                };
                self.backends.kubernetes.ensure_namespace(&namespace).await?;
                Ok(vec![created("kubernetes", "namespace", instance)])
            }
            Step::KubeQuota => {
                self.backends
                    .kubernetes
                    .apply_quota(&instance, &namespace_quota(ctx))
                    .await?;
                Ok(vec![created(
                    "kubernetes",
                    "resourcequota",
                    format!("{instance}/bibind-quota"),
                )])
            }
            Step::KubeNetworkPolicy => {
                self.backends.kubernetes.ensure_network_policy(&instance).await?;
                Ok(vec![created(
                    "kubernetes",
                    "networkpolicy",
                    format!("{instance}/default-deny"),
                )])
            }
            Step::OpenstackProject => self.openstack_project(ctx).await,
            Step::AwxDatabase => {
                let template = self.settings.awx_database_template.clone();
                self.follow_awx(job, &template, &awx_vars(ctx)).await?;
                Ok(vec![created("awx", "database", instance)])
            }
            Step::AwxDropDatabase => {
                let template = self.settings.awx_drop_database_template.clone();
                self.follow_awx(job, &template, &awx_vars(ctx)).await?;
                Ok(Vec::new())
            }
            Step::GitlabRegistry => self.gitlab_registry(ctx).await,
            Step::MqttTenant => {
                let secrets = self.service_secret(&instance).await?;
                let username = mqtt_ingest_username(ctx);
                let password = secret_value(&secrets, "mqtt_ingest_password")?;
                self.backends.mqtt.ensure_tenant_role(&ctx.slug, ctx.id).await?;
                self.backends
                    .mqtt
                    .ensure_client(&ctx.slug, ctx.id, &username, password)
                    .await?;
                Ok(vec![
                    created("mqtt", "role", format!("tenant-{}", ctx.slug)),
                    created("mqtt", "client", username),
                ])
            }
            Step::KubeSecrets => {
                let secrets = self.service_secret(&instance).await?;
                let environment: BTreeMap<String, String> = secrets
                    .iter()
                    .map(|(key, value)| (key.to_uppercase(), value.clone()))
                    .collect();
                self.backends
                    .kubernetes
                    .put_secret(&instance, SERVICE_ENV, &environment)
                    .await?;
                let mut resources = vec![created(
                    "kubernetes",
                    "secret",
                    format!("{instance}/{SERVICE_ENV}"),
                )];
                if let Some(registry) = self
                    .backends
                    .vault
                    .read_secret(&instance, REGISTRY_SECRET)
                    .await?
                {
                    self.backends
                        .kubernetes
                        .put_secret(&instance, "registry-credentials", &registry)
                        .await?;
                    resources.push(created(
                        "kubernetes",
                        "secret",
                        format!("{instance}/registry-credentials"),
                    ));
                }
                Ok(resources)
            }
            Step::KubeMigrate => {
                self.follow_kube_job(job, ctx).await?;
                Ok(vec![created(
                    "kubernetes",
                    "job",
                    format!("{instance}/ingest-migrate"),
                )])
            }
            Step::KubeWorkload => {
                let workload = self.workload(ctx);
                self.backends
                    .kubernetes
                    .ensure_workload(&instance, &workload)
                    .await?;
                Ok(vec![created(
                    "kubernetes",
                    "workload",
                    format!("{instance}/{}", workload.name),
                )])
            }
            Step::OdooDatabase => {
                self.backends
                    .odoo
                    .ensure_database(&self.odoo_instance(ctx).await?)
                    .await?;
                Ok(vec![created("odoo", "database", instance)])
            }
            Step::OdooModules => self.odoo_modules(ctx).await,
            Step::OdooWebsite => {
                self.backends
                    .odoo
                    .ensure_website(
                        &self.odoo_instance(ctx).await?,
                        &ctx.name,
                        ctx.custom_domain.as_deref(),
                    )
                    .await?;
                self.control
                    .record_domain_applied(ctx.id, ctx.domain_version)
                    .await
                    .map_err(database_failure)?;
                Ok(Vec::new())
            }
            Step::HydraClient => {
                let secrets = self.service_secret(&instance).await?;
                let secret = secret_value(&secrets, "oauth_client_secret")?;
                self.backends
                    .oauth_clients
                    .ensure_client(&self.oauth_client(ctx), secret)
                    .await?;
                Ok(vec![created("hydra", "oauth2_client", oauth_client_id(ctx))])
            }
            Step::OdooSso => {
                let (_, sign_in) = self.odoo_with_provider(ctx).await?;
                // The portal's "Open back office" starts sign-ins as Odoo's page would.
                self.control
                    .record_odoo_sign_in(ctx.id, &sign_in)
                    .await
                    .map_err(database_failure)?;
                Ok(vec![created(
                    "odoo",
                    "oauth_provider",
                    format!("{instance}/{}", sign_in.provider_id),
                )])
            }
            Step::OdooUsers => self.odoo_users(ctx).await,
            Step::OdooCourses => self.odoo_courses(ctx).await,
            Step::KubeScaleDown => {
                match self.backends.kubernetes.observe(&instance).await? {
                    Some(found) if !found.terminating => {
                        self.backends.kubernetes.scale_workloads(&instance, false).await?
                    }
                    _ => {}
                }
                Ok(Vec::new())
            }
            Step::KubeScaleUp => {
                self.backends.kubernetes.scale_workloads(&instance, true).await?;
                Ok(Vec::new())
            }
            Step::HydraDisable | Step::HydraEnable => {
                let enabled = step == Step::HydraEnable;
                let client = oauth_client_id(ctx);
                if self.backends.oauth_clients.observe(&client).await?.is_some() {
                    self.backends
                        .oauth_clients
                        .set_client_enabled(&client, enabled)
                        .await?;
                }
                Ok(Vec::new())
            }
            Step::MqttDevices => {
                let suspending = crate::domain::parse_job_kind(&job.kind)
                    .is_some_and(|(action, _)| action == crate::domain::Action::Suspend);
                self.mqtt_devices(ctx, !suspending).await
            }
            Step::MqttDisable | Step::MqttEnable => {
                self.backends
                    .mqtt
                    .set_tenant_enabled(&ctx.slug, step == Step::MqttEnable)
                    .await?;
                Ok(Vec::new())
            }
            Step::OpenstackDisable | Step::OpenstackEnable => {
                if let Some(project) = self.backends.openstack.observe(&instance).await? {
                    self.backends
                        .openstack
                        .set_project_enabled(&project.id, step == Step::OpenstackEnable)
                        .await?;
                }
                Ok(Vec::new())
            }
            Step::OdooDrop => {
                // The admin password may be gone already (Vault is removed
                // last, but a previous close may have got that far).
                let odoo = self.odoo_instance_for_removal(ctx).await?;
                self.backends.odoo.drop_database(&odoo).await?;
                Ok(Vec::new())
            }
            Step::HydraRemove => {
                self.backends
                    .oauth_clients
                    .remove_client(&oauth_client_id(ctx))
                    .await?;
                Ok(Vec::new())
            }
            Step::MqttRemove => {
                self.backends.mqtt.remove_tenant(&ctx.slug, ctx.id).await?;
                Ok(Vec::new())
            }
            Step::GitlabRemove => {
                self.backends.gitlab.remove_group(&instance, ctx.id).await?;
                Ok(Vec::new())
            }
            Step::OpenstackRemove => {
                self.backends.openstack.remove_project(&instance, ctx.id).await?;
                Ok(Vec::new())
            }
            Step::KubeRemove => match self.backends.kubernetes.remove_namespace(&instance).await? {
                NamespaceRemoval::Gone => Ok(Vec::new()),
                NamespaceRemoval::Terminating => Err(StepFailure::transient(
                    "kubernetes is still removing the namespace's content",
                )),
            },
            Step::VaultRemove => {
                self.backends.vault.remove_tenant(&instance, ctx.id).await?;
                Ok(Vec::new())
            }
        }
    }

    async fn mark(&self, job: &ClaimedJob, ctx: &SubscriptionContext, mark: Mark) -> StepResult {
        if mark == Mark::Running {
            self.first_measure(ctx).await;
        }
        self.control
            .mark_subscription(ctx.id, job.id, mark)
            .await
            .map_err(database_failure)?;
        Ok(Vec::new())
    }

    /// What the new service reserves, measured as it starts rather than at
    /// the reconciler's next round: its page shows it at once. Best effort;
    /// the reconciler measures again.
    async fn first_measure(&self, ctx: &SubscriptionContext) {
        match self.backends.kubernetes.observe(&ctx.instance()).await {
            Ok(Some(namespace)) => {
                if let Err(error) = self.control.record_observed_usage(ctx.id, &namespace).await {
                    tracing::warn!(%error, subscription = %ctx.id, "cannot keep the observed usage");
                }
            }
            Ok(None) => {}
            Err(error) => tracing::warn!(%error, subscription = %ctx.id, "cannot measure the new service"),
        }
    }

    async fn service_secret(&self, instance: &str) -> Result<BTreeMap<String, String>, StepFailure> {
        self.backends
            .vault
            .read_secret(instance, SERVICE_SECRET)
            .await?
            .ok_or_else(|| {
                StepFailure::permanent(format!("vault: tenants/{instance}/{SERVICE_SECRET} is missing"))
            })
    }

    async fn openstack_project(&self, ctx: &SubscriptionContext) -> StepResult {
        let Some(quota) = project_quota(ctx) else {
            return Ok(Vec::new());
        };
        let description = format!("Bibind {} of {}", ctx.offer.code(), ctx.slug);
        let project = self
            .backends
            .openstack
            .ensure_project(&ctx.instance(), ctx.id, &description)
            .await?;
        self.backends.openstack.set_quota(&project, &quota).await?;
        Ok(vec![created("openstack", "project", project)])
    }

    /// The group and its registry's deploy token; the token can be read only
    /// when created, so it goes to Vault at once, and a token whose value
    /// was lost is replaced.
    async fn gitlab_registry(&self, ctx: &SubscriptionContext) -> StepResult {
        let instance = ctx.instance();
        let group = self
            .backends
            .gitlab
            .ensure_group(&instance, ctx.id, &format!("{} ({})", ctx.slug, ctx.offer.code()))
            .await?;
        let stored = self
            .backends
            .vault
            .read_secret(&instance, REGISTRY_SECRET)
            .await?;
        let mut token = self
            .backends
            .gitlab
            .ensure_deploy_token(group.id, REGISTRY_TOKEN_NAME)
            .await?;
        if token.is_none() && stored.is_none() {
            self.backends
                .gitlab
                .revoke_deploy_token(group.id, REGISTRY_TOKEN_NAME)
                .await?;
            token = self
                .backends
                .gitlab
                .ensure_deploy_token(group.id, REGISTRY_TOKEN_NAME)
                .await?;
        }
        if let Some(token) = token {
            let secret = BTreeMap::from([
                ("username".to_owned(), token.username),
                ("token".to_owned(), token.token),
            ]);
            self.backends
                .vault
                .put_secret(&instance, ctx.id, REGISTRY_SECRET, &secret)
                .await?;
        }
        Ok(vec![
            created("gitlab", "group", group.full_path),
            created(
                "gitlab",
                "deploy_token",
                format!("{}/{REGISTRY_TOKEN_NAME}", group.id),
            ),
        ])
    }

    pub(super) fn workload(&self, ctx: &SubscriptionContext) -> Workload {
        // Half of the quota: a rolling update runs two pods side by side.
        let cpu_millicores = (ctx.limit(QuotaKind::CpuMillicores) / 2).max(100);
        let memory_mib = (ctx.limit(QuotaKind::MemoryMib) / 2).max(128);
        match ctx.offer {
            OfferKind::Iot => Workload {
                name: "ingest".into(),
                image: self.settings.ingest_image.clone(),
                replicas: 1,
                port: 8080,
                host: Some(format!("{}.{}", ctx.slug, self.settings.iot_domain)),
                custom_host: None,
                closed_paths: Vec::new(),
                env_secret: Some(SERVICE_ENV.into()),
                storage_gib: None,
                cpu_millicores,
                memory_mib,
            },
            OfferKind::Ecommerce | OfferKind::Training => Workload {
                name: "odoo".into(),
                image: self.settings.odoo_image.clone(),
                replicas: 1,
                port: 8069,
                host: Some(self.host(ctx)),
                custom_host: ctx.custom_domain.clone(),
                closed_paths: ODOO_DATABASE_MANAGER.iter().map(|p| (*p).to_owned()).collect(),
                env_secret: Some(SERVICE_ENV.into()),
                storage_gib: Some(ctx.limit(QuotaKind::StorageGib).max(1)),
                cpu_millicores,
                memory_mib,
            },
        }
    }

    fn host(&self, ctx: &SubscriptionContext) -> String {
        self.settings.sites().host(&ctx.slug, ctx.offer)
    }

    pub(super) async fn odoo_instance(&self, ctx: &SubscriptionContext) -> Result<OdooInstance, StepFailure> {
        let secrets = self.service_secret(&ctx.instance()).await?;
        Ok(self.odoo_instance_with(ctx, secret_value(&secrets, "odoo_admin_password")?))
    }

    async fn odoo_instance_for_removal(
        &self,
        ctx: &SubscriptionContext,
    ) -> Result<OdooInstance, StepFailure> {
        let secrets = self
            .backends
            .vault
            .read_secret(&ctx.instance(), SERVICE_SECRET)
            .await?;
        let password = secrets
            .as_ref()
            .and_then(|secrets| secrets.get("odoo_admin_password"))
            .map_or("", String::as_str);
        Ok(self.odoo_instance_with(ctx, password))
    }

    pub(super) fn odoo_instance_with(&self, ctx: &SubscriptionContext, admin_password: &str) -> OdooInstance {
        let instance = ctx.instance();
        OdooInstance {
            url: self.settings.odoo_url.replace("{namespace}", &instance),
            database: instance,
            admin_login: "admin".into(),
            admin_password: admin_password.into(),
            lang: if ctx.country == "FR" { "fr_FR" } else { "en_US" }.into(),
        }
    }

    fn oauth_client(&self, ctx: &SubscriptionContext) -> OAuthClientSpec {
        let sites = self.settings.sites();
        let base = sites.url(&ctx.slug, ctx.offer);
        OAuthClientSpec {
            client_id: oauth_client_id(ctx),
            name: format!("Odoo {} ({})", ctx.slug, ctx.offer.code()),
            redirect_uris: vec![sites.odoo_callback(&ctx.slug, ctx.offer)],
            post_logout_redirect_uris: vec![format!("{base}/web/login")],
            backchannel_logout_uri: None,
            organization_id: ctx.organization_id,
            subscription_id: ctx.id,
        }
    }

    /// The tenant's Odoo and the id of its sign-in through Bibind, made sure
    /// of: the SSO step sets it up, the users step signs people in by it.
    async fn odoo_with_provider(
        &self,
        ctx: &SubscriptionContext,
    ) -> Result<(OdooInstance, OdooSignIn), StepFailure> {
        let secrets = self.service_secret(&ctx.instance()).await?;
        let odoo = self.odoo_instance_with(ctx, secret_value(&secrets, "odoo_admin_password")?);
        let provider = self.odoo_provider(ctx, secret_value(&secrets, "oauth_client_secret")?);
        let provider = self.backends.odoo.ensure_oauth_provider(&odoo, &provider).await?;
        Ok((odoo, provider))
    }

    /// Hydra as Odoo's OpenID provider, for the client the engine registered.
    fn odoo_provider(&self, ctx: &SubscriptionContext, client_secret: &str) -> OdooOAuthProvider {
        let hydra = &self.settings.hydra_public_url;
        OdooOAuthProvider {
            name: ODOO_PROVIDER.into(),
            client_id: oauth_client_id(ctx),
            client_secret: client_secret.into(),
            auth_endpoint: format!("{hydra}/oauth2/auth"),
            token_endpoint: format!("{hydra}/oauth2/token"),
            jwks_uri: format!("{hydra}/.well-known/jwks.json"),
            validation_endpoint: format!("{hydra}/userinfo"),
            scope: crate::domain::ODOO_SIGN_IN_SCOPE.into(),
            label: "Bibind".into(),
        }
    }

    /// The organization's people as Odoo users signing in through Bibind:
    /// owners and admins for a shop, everyone up to the seat limit for training.
    /// Everyone entitled gets an active user with their role's groups
    /// (created, reactivated or regrouped), and anyone else who signed in
    /// through Bibind is archived; then what was applied is recorded, so
    /// that the dispatcher knows the members are in line.
    async fn odoo_users(&self, ctx: &SubscriptionContext) -> StepResult {
        let (odoo, sign_in) = self.odoo_with_provider(ctx).await?;
        let provider = sign_in.provider_id;
        let people = odoo_people(ctx);
        let mut resources = Vec::new();
        for user in &people {
            let id = self.backends.odoo.ensure_user(&odoo, provider, user).await?;
            resources.push(created("odoo", "user", format!("{}/{id}", ctx.instance())));
        }
        let keep: Vec<String> = people.iter().filter_map(|user| user.oauth_uid.clone()).collect();
        self.backends
            .odoo
            .archive_other_users(&odoo, provider, &keep)
            .await?;
        // A training space's members are applied once their courses are too.
        if ctx.offer != OfferKind::Training {
            self.control
                .record_members_applied(ctx.id, &ctx.members_fingerprint)
                .await
                .map_err(database_failure)?;
        }
        Ok(resources)
    }

    /// The courses trainers put people in, in Odoo: each learner with a
    /// user enrolled in their courses, the memberships trainers took away
    /// archived (those people took in Odoo themselves are left alone);
    /// then the courses and everyone's progress read back for the portal,
    /// and the members recorded as applied.
    async fn odoo_courses(&self, ctx: &SubscriptionContext) -> StepResult {
        let (odoo, sign_in) = self.odoo_with_provider(ctx).await?;
        let observed = self
            .backends
            .odoo
            .observe_training(&odoo)
            .await?
            .ok_or_else(|| StepFailure::permanent("odoo: website_slides is not installed"))?;
        let with_user: Vec<String> = odoo_people(ctx)
            .into_iter()
            .filter_map(|person| person.oauth_uid)
            .collect();
        let mut changed = false;
        for course in &observed.courses {
            let enrolled = |identity: &str| {
                observed.enrolments.iter().any(|enrolment| {
                    enrolment.course_id == course.id
                        && enrolment.provider == ODOO_PROVIDER
                        && enrolment.oauth_uid == identity
                        && enrolment.active
                })
            };
            let (mut enrol, mut end) = (Vec::new(), Vec::new());
            for (_, identity, assigned) in ctx.assignments.iter().filter(|(id, _, _)| *id == course.id) {
                let identity = identity.to_string();
                match (*assigned, enrolled(&identity)) {
                    (true, false) if with_user.contains(&identity) => enrol.push(identity),
                    (false, true) => end.push(identity),
                    _ => {}
                }
            }
            if !enrol.is_empty() || !end.is_empty() {
                changed = true;
                self.backends
                    .odoo
                    .set_enrolments(&odoo, sign_in.provider_id, course.id, &enrol, &end)
                    .await?;
            }
        }
        let observed = if changed {
            self.backends
                .odoo
                .observe_training(&odoo)
                .await?
                .unwrap_or_default()
        } else {
            observed
        };
        self.control
            .record_training(ctx.id, &observed, ODOO_PROVIDER)
            .await
            .map_err(database_failure)?;
        self.control
            .record_members_applied(ctx.id, &ctx.members_fingerprint)
            .await
            .map_err(database_failure)?;
        Ok(Vec::new())
    }
}

pub(super) fn namespace_quota(ctx: &SubscriptionContext) -> NamespaceQuota {
    NamespaceQuota {
        cpu_millicores: ctx.limit(QuotaKind::CpuMillicores),
        memory_mib: ctx.limit(QuotaKind::MemoryMib),
        storage_gib: ctx.limit(QuotaKind::StorageGib),
    }
}

/// The Odoo provider record people sign in with.
pub(super) const ODOO_PROVIDER: &str = "Bibind";

/// The members who get an Odoo user, as such: a training space's up to
/// its seats; a shop's but its learners (who have no back office), up to
/// its seats.
pub(super) fn odoo_people(ctx: &SubscriptionContext) -> Vec<OdooUser> {
    let seats = usize::try_from(ctx.limit(QuotaKind::Seats)).unwrap_or(usize::MAX);
    ctx.members
        .iter()
        .filter(|member| ctx.offer == OfferKind::Training || member.role != Role::Learner)
        .take(seats)
        .map(|member| OdooUser {
            login: member.email.clone(),
            name: member.email.clone(),
            email: member.email.clone(),
            oauth_uid: Some(member.identity_id.to_string()),
            groups: odoo_groups(ctx.offer, member.role),
        })
        .collect()
}

/// A member's Odoo groups by portal role: owners and admins administer
/// the Odoo (a training space's also write its courses: eLearning's
/// Manager, which Settings does not imply); a shop's members sell; a
/// training space's others learn.
fn odoo_groups(offer: OfferKind, role: Role) -> Vec<&'static str> {
    match (role, offer) {
        (Role::Owner | Role::Admin, OfferKind::Training) => vec![
            "base.group_user",
            "base.group_system",
            "website_slides.group_website_slides_manager",
        ],
        (Role::Owner | Role::Admin, _) => vec!["base.group_user", "base.group_system"],
        (_, OfferKind::Ecommerce) => vec!["base.group_user", "sales_team.group_sale_salesman"],
        _ => vec!["base.group_user"],
    }
}

pub(super) fn oauth_client_id(ctx: &SubscriptionContext) -> String {
    crate::domain::odoo_client_id(&ctx.slug, ctx.offer)
}

pub(super) fn mqtt_ingest_username(ctx: &SubscriptionContext) -> String {
    format!("{}-ingest", ctx.slug)
}

/// The tenant's OpenStack project limits; `None` when the plan gives no
/// cloud servers (then there is no project).
pub(super) fn project_quota(ctx: &SubscriptionContext) -> Option<ProjectQuota> {
    let quota = ProjectQuota {
        vcpus: ctx.limit(QuotaKind::OpenstackVcpus),
        ram_mib: ctx.limit(QuotaKind::OpenstackRamMib),
        instances: ctx.limit(QuotaKind::OpenstackInstances),
        volumes: ctx.limit(QuotaKind::OpenstackInstances),
        gigabytes: ctx.limit(QuotaKind::StorageGib),
        networks: 1,
    };
    (quota.vcpus > 0 || quota.instances > 0).then_some(quota)
}

fn awx_vars(ctx: &SubscriptionContext) -> serde_json::Value {
    json!({
        "bibind_instance": ctx.instance(),
        "bibind_namespace": ctx.instance(),
        "bibind_vault_path": format!("secret/tenants/{}/{SERVICE_SECRET}", ctx.instance()),
    })
}

fn secret_value<'a>(secrets: &'a BTreeMap<String, String>, key: &str) -> Result<&'a str, StepFailure> {
    secrets
        .get(key)
        .map(String::as_str)
        .ok_or_else(|| StepFailure::permanent(format!("vault: the service secret has no {key}")))
}

impl ProvisioningRunner {
    /// Installs what every such service has, the plan's modules and those
    /// added; uninstalls Bibind's modules no longer wanted; records what
    /// the Odoo now has and which change of modules that applied.
    async fn odoo_modules(&self, ctx: &SubscriptionContext) -> StepResult {
        let odoo = self.odoo_instance(ctx).await?;
        let wanted: Vec<&str> = odoo_modules(ctx.offer)
            .iter()
            .copied()
            .chain(ctx.modules.iter().map(|module| module.technical_name()))
            .collect();
        self.backends.odoo.ensure_modules(&odoo, &wanted).await?;
        let unwanted: Vec<&str> = OdooModule::of(ctx.offer)
            .filter(|module| !ctx.modules.contains(module))
            .map(OdooModule::technical_name)
            .collect();
        self.backends.odoo.uninstall_modules(&odoo, &unwanted).await?;
        let states: Vec<(OdooModule, bool)> = OdooModule::of(ctx.offer)
            .map(|module| (module, ctx.modules.contains(&module)))
            .collect();
        self.control
            .record_modules_applied(ctx.id, &states, Some(ctx.modules_version))
            .await
            .map_err(database_failure)?;
        Ok(Vec::new())
    }
}
