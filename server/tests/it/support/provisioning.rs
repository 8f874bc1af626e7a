//! The provisioning engine under test: a server, every backend (real or
//! simulated), a worker running jobs one at a time, and a platform admin.

use std::{sync::Arc, time::Duration};

use control::{
    admin::decisions::Decision,
    domain::{
        AdminAccess, Backend, JobState, NewOrganization, OrganizationOverview, ProvisioningProgress,
        RetryPolicy, SignedInUser,
    },
    jobs::Worker,
    provisioning::ProvisioningRunner,
    Caller, Control,
};
use uuid::Uuid;

use super::{backends::SimulatedBackends, TestApp};

pub use super::person;

pub struct Harness {
    pub app: TestApp,
    pub stack: SimulatedBackends,
    /// What the worker runs jobs with; the reconciler too.
    pub runner: Arc<ProvisioningRunner>,
    pub worker: Worker,
    pub admin: (SignedInUser, Caller),
}

impl Harness {
    pub async fn start() -> Self {
        Self::start_with(SimulatedBackends::start().await).await
    }

    /// For a browser: the portal signs in through Hydra and knows where the
    /// tenants' sites are (its `[provisioning]`, without an engine of its
    /// own: the harness's worker runs the jobs).
    pub async fn for_browsers() -> Self {
        let stack = SimulatedBackends::start().await;
        let portal = stack.provisioning_config(&[("RUN_ENGINE", "false".to_owned())]);
        let app = TestApp::builder().oidc().provisioning(portal).spawn().await;
        Self::start_on(app, stack).await
    }

    /// On backends started by the test (some behind its proxies, say).
    pub async fn start_with(stack: SimulatedBackends) -> Self {
        Self::start_on(TestApp::spawn().await, stack).await
    }

    async fn start_on(app: TestApp, stack: SimulatedBackends) -> Self {
        let runner = Arc::new(ProvisioningRunner::new(
            app.control.clone(),
            stack.backends.clone(),
            stack.settings.clone(),
        ));
        // A real API server empties a deleted namespace in seconds, not at once.
        let patience = if stack.kubernetes_is_real {
            RetryPolicy {
                max_attempts: 60,
                first_delay: time::Duration::milliseconds(100),
                max_delay: time::Duration::seconds(1),
            }
        } else {
            RetryPolicy {
                max_attempts: 20,
                first_delay: time::Duration::milliseconds(50),
                max_delay: time::Duration::milliseconds(300),
            }
        };
        let worker = Worker::new(app.control.clone(), "test-worker", runner.clone()).with_policy(patience);
        let operator = person("operator");
        let user = super::tenancy::platform_admin(&app, &operator).await;
        Self {
            app,
            stack,
            runner,
            worker,
            admin: (user, operator),
        }
    }

    pub fn control(&self) -> &Control {
        &self.app.control
    }

    /// Someone signed in through the portal who owns an organization named
    /// `name` with an active starter shop: them, its slug, the shop's id.
    pub async fn shop_owner(&self, name: &str) -> (Caller, String, Uuid) {
        let owner = super::browser::Person::signed_in(&self.app.base_url, "owner")
            .await
            .caller();
        let slug = organization_named(self, &owner, name).await;
        let shop = self.active_subscription(&owner, &slug, "shop-starter").await;
        (owner, slug, shop)
    }

    /// A round of the reconciler (no other replica runs one here).
    pub async fn reconcile(&self) -> control::provisioning::ReconcileReport {
        self.runner
            .reconcile_exclusively()
            .await
            .unwrap()
            .expect("no other replica holds the reconciler's lock")
    }

    /// Dispatches and runs jobs until nothing is left to do.
    pub async fn settle(&self) {
        for _ in 0..2000 {
            let queued = self.control().dispatch_provisioning().await.unwrap();
            let mut ran = false;
            while self.worker.run_one().await.unwrap().is_some() {
                ran = true;
            }
            let open: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM jobs WHERE state IN ('queued', 'running', 'waiting')",
            )
            .fetch_one(&self.app.pool)
            .await
            .unwrap();
            if queued == 0 && !ran && open == 0 {
                return;
            }
            if !ran {
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
        }
        panic!("the jobs did not settle");
    }

    /// `owner` subscribes `slug` to `plan` (approved by the platform admin
    /// when the plan asks for it) and its jobs run: the subscription is
    /// active, its service running. Returns its id.
    pub async fn active_subscription(&self, owner: &Caller, slug: &str, plan: &str) -> Uuid {
        self.control()
            .subscribe(owner, slug, plan)
            .await
            .unwrap()
            .unwrap();
        let (id, state, _) = self.subscription(slug).await;
        if state == "awaiting_approval" {
            let version: i32 = sqlx::query_scalar("SELECT version FROM subscriptions WHERE id = $1")
                .bind(id)
                .fetch_one(&self.app.pool)
                .await
                .unwrap();
            let (user, operator) = &self.admin;
            self.control()
                .decide_subscription(Some(user), operator, id, version, &Decision::Approve)
                .await
                .unwrap()
                .unwrap();
        }
        self.settle().await;
        assert_eq!(self.failed_jobs().await, vec![], "{slug} on {plan}");
        let (_, state, applied) = self.subscription(slug).await;
        assert_eq!(
            (state.as_str(), applied.as_str()),
            ("active", "running"),
            "{slug} on {plan}"
        );
        id
    }

    /// The organization's latest subscription: id, state, applied state.
    pub async fn subscription(&self, slug: &str) -> (Uuid, String, String) {
        sqlx::query_as(
            "SELECT s.id, s.state, s.applied_state FROM subscriptions s JOIN organizations o ON o.id = s.organization_id
              WHERE o.slug = $1 ORDER BY s.created_at DESC LIMIT 1",
        )
        .bind(slug)
        .fetch_one(&self.app.pool)
        .await
        .unwrap()
    }

    pub async fn tenant_version(&self, slug: &str) -> i32 {
        sqlx::query_scalar("SELECT version FROM organizations WHERE slug = $1")
            .bind(slug)
            .fetch_one(&self.app.pool)
            .await
            .unwrap()
    }

    pub async fn failed_jobs(&self) -> Vec<(String, Option<String>)> {
        sqlx::query_as("SELECT kind, last_error FROM jobs WHERE state IN ('failed', 'cancelled')")
            .fetch_all(&self.app.pool)
            .await
            .unwrap()
    }
}

/// Runs jobs until one waits after a failed attempt (or none is left).
pub async fn run_until_waiting(harness: &Harness) -> bool {
    for _ in 0..200 {
        harness.control().dispatch_provisioning().await.unwrap();
        match harness.worker.run_one().await.unwrap() {
            Some((_, control::jobs::AfterStep::Settled(control::domain::JobState::Waiting))) => return true,
            Some(_) => {}
            None => return false,
        }
    }
    false
}

/// What people see of a job waiting after a failed attempt.
pub struct Waiting {
    /// The customer's page.
    pub page: OrganizationOverview,
    /// Its subscription's job, as that page shows it.
    pub progress: ProvisioningProgress,
    /// The error the admin reads on the tenant's page.
    pub admin_error: String,
}

impl Harness {
    /// Subscribes `slug` to `plan` and runs jobs until one waits after a
    /// failed attempt; the customer's page must then show the job waiting
    /// on `backend`.
    pub async fn subscribe_until_waiting(
        &self,
        owner: &Caller,
        slug: &str,
        plan: &str,
        backend: Backend,
        label: &str,
    ) -> Waiting {
        self.control()
            .subscribe(owner, slug, plan)
            .await
            .unwrap()
            .unwrap();
        assert!(run_until_waiting(self).await, "{label}: no attempt failed");
        let page = self
            .control()
            .organization_overview(owner, slug)
            .await
            .unwrap()
            .unwrap();
        let progress = page.subscriptions[0]
            .progress
            .clone()
            .expect("the page shows the job");
        assert_eq!(progress.state, JobState::Waiting, "{label}");
        assert_eq!(progress.blocked_on, Some(backend), "{label}");
        let AdminAccess::Granted(Some(tenant)) = self
            .control()
            .organization_detail(Some(&self.admin.0), slug)
            .await
            .unwrap()
        else {
            panic!("the admin sees the tenant");
        };
        let admin_error = tenant.jobs[0].last_error.clone().unwrap_or_default();
        Waiting {
            page,
            progress,
            admin_error,
        }
    }

    /// Runs everything left; the subscription must end active and running,
    /// its step `step` (any step, if `None`) attempted more than once.
    pub async fn assert_recovered(&self, slug: &str, step: Option<&str>, label: &str) {
        self.settle().await;
        let (_, state, applied) = self.subscription(slug).await;
        assert_eq!(
            (state.as_str(), applied.as_str()),
            ("active", "running"),
            "{label}"
        );
        let attempts: i32 = sqlx::query_scalar(
            "SELECT max(st.attempts) FROM job_steps st JOIN jobs j ON j.id = st.job_id
               JOIN subscriptions s ON s.id = j.subscription_id JOIN organizations o ON o.id = s.organization_id
              WHERE o.slug = $1 AND ($2::text IS NULL OR st.name = $2)",
        )
        .bind(slug)
        .bind(step)
        .fetch_one(&self.app.pool)
        .await
        .unwrap();
        assert!(attempts >= 2, "{label}: the failing step ran {attempts} times");
    }
}

/// A fresh organization owned by `owner`; its slug.
pub async fn organization(harness: &Harness, owner: &Caller) -> String {
    organization_named(harness, owner, "Tenant").await
}

/// A fresh organization called `name`, owned by `owner`; its slug.
pub async fn organization_named(harness: &Harness, owner: &Caller, name: &str) -> String {
    let slug = format!("t{}", &Uuid::new_v4().simple().to_string()[..10]);
    let new = NewOrganization::parse(name, &slug, "FR", "billing@example.com").unwrap();
    harness
        .control()
        .create_organization(owner, &new)
        .await
        .unwrap()
        .unwrap();
    slug
}
