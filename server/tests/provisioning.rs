//! The provisioning engine end to end: for each offer, a subscription is
//! provisioned, suspended, resumed and closed through the real operations
//! (subscribe, an admin's suspension and resumption, the customer's
//! cancellation), its jobs run by the real workflows on the real backends
//! that run here (OpenBao, Hydra, Mosquitto, Keystone) and the simulators
//! of the others; at the end every backend is clean.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::{sync::Arc, time::Duration};

use control::{
    audit::Caller,
    domain::{JobState, NewOrganization, OfferKind, RetryPolicy, SignedInUser, SubscriptionState},
    jobs::Worker,
    provisioning::ProvisioningRunner,
    tenant_admin::Reason,
    Control,
};
use support::{backends::SimulatedBackends, TestApp};
use uuid::Uuid;

fn person(name: &str) -> Caller {
    Caller {
        identity_id: Uuid::new_v4().to_string(),
        email: format!("{name}.{}@example.com", Uuid::new_v4().simple()),
        request_id: None,
        ip: None,
    }
}

struct Harness {
    app: TestApp,
    stack: SimulatedBackends,
    worker: Worker,
    admin: (SignedInUser, Caller),
}

impl Harness {
    async fn start() -> Self {
        let app = TestApp::spawn().await;
        let stack = SimulatedBackends::start().await;
        let runner = ProvisioningRunner::new(
            app.control.clone(),
            stack.backends.clone(),
            stack.settings.clone(),
        );
        let worker =
            Worker::new(app.control.clone(), "test-worker", Arc::new(runner)).with_policy(RetryPolicy {
                max_attempts: 20,
                first_delay: time::Duration::milliseconds(50),
                max_delay: time::Duration::milliseconds(300),
            });
        let operator = person("operator");
        sqlx::query("INSERT INTO platform_admins (identity_id, email, granted_at, granted_by) VALUES ($1::uuid, $2, now(), 'test')")
            .bind(&operator.identity_id)
            .bind(&operator.email)
            .execute(&app.pool)
            .await
            .unwrap();
        let user = SignedInUser {
            identity_id: operator.identity_id.clone(),
            email: operator.email.clone(),
            display_name: "Operator".into(),
            assurance_level: "aal2".into(),
        };
        Self {
            app,
            stack,
            worker,
            admin: (user, operator),
        }
    }

    fn control(&self) -> &Control {
        &self.app.control
    }

    /// Dispatches and runs jobs until nothing is left to do.
    async fn settle(&self) {
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

    async fn subscription(&self, slug: &str) -> (Uuid, String, String) {
        sqlx::query_as(
            "SELECT s.id, s.state, s.applied_state FROM subscriptions s JOIN organizations o ON o.id = s.organization_id
              WHERE o.slug = $1 ORDER BY s.created_at DESC LIMIT 1",
        )
        .bind(slug)
        .fetch_one(&self.app.pool)
        .await
        .unwrap()
    }

    async fn tenant_version(&self, slug: &str) -> i32 {
        sqlx::query_scalar("SELECT version FROM organizations WHERE slug = $1")
            .bind(slug)
            .fetch_one(&self.app.pool)
            .await
            .unwrap()
    }

    async fn failed_jobs(&self) -> Vec<(String, Option<String>)> {
        sqlx::query_as("SELECT kind, last_error FROM jobs WHERE state IN ('failed', 'cancelled')")
            .fetch_all(&self.app.pool)
            .await
            .unwrap()
    }
}

/// A fresh organization owned by a new person; its slug.
async fn organization(harness: &Harness, owner: &Caller) -> String {
    let slug = format!("t{}", &Uuid::new_v4().simple().to_string()[..10]);
    let new = NewOrganization::parse("Tenant", &slug, "FR", "billing@example.com").unwrap();
    harness
        .control()
        .create_organization(owner, &new)
        .await
        .unwrap()
        .unwrap();
    slug
}

/// What the backends hold of one subscription.
#[derive(Debug, PartialEq)]
struct Found {
    namespace: bool,
    replicas: Vec<i32>,
    vault_policy: bool,
    vault_secrets: usize,
    oauth_client: Option<bool>,
    odoo_database: bool,
    mqtt_clients: Option<Vec<bool>>,
    gitlab_group: bool,
    openstack_project: Option<bool>,
}

async fn found(harness: &Harness, slug: &str, offer: OfferKind) -> Found {
    let backends = &harness.stack.backends;
    let instance = format!("{slug}-{}", offer.code());
    let namespace = backends.kubernetes.observe(&instance).await.unwrap();
    let vault = backends.vault.observe(&instance).await.unwrap();
    let client = backends
        .oauth_clients
        .observe(&format!("odoo-{instance}"))
        .await
        .unwrap();
    let odoo = backends
        .odoo
        .observe(&control::backends::odoo::OdooInstance {
            url: harness.stack.settings.odoo_url.clone(),
            database: instance.clone(),
            admin_login: "admin".into(),
            admin_password: String::new(),
            lang: "fr_FR".into(),
        })
        .await;
    let mqtt = backends.mqtt.observe(slug).await.unwrap();
    let gitlab = backends.gitlab.observe(&instance).await.unwrap();
    let project = backends.openstack.observe(&instance).await.unwrap();
    Found {
        namespace: namespace.as_ref().is_some_and(|found| !found.terminating),
        replicas: namespace
            .map(|found| found.workloads.iter().map(|w| w.replicas).collect())
            .unwrap_or_default(),
        vault_policy: vault.policy_matches,
        vault_secrets: vault.secrets.len(),
        oauth_client: client.map(|client| client.enabled),
        odoo_database: harness.stack.odoo.database_names().contains(&instance)
            || odoo.is_ok_and(|o| o.is_some()),
        mqtt_clients: mqtt.map(|tenant| tenant.clients.iter().map(|(_, disabled)| *disabled).collect()),
        gitlab_group: gitlab.is_some_and(|group| !group.marked_for_deletion),
        openstack_project: project.map(|project| project.enabled),
    }
}

/// Provision, suspend, resume and close one offer's subscription.
async fn life_cycle(offer: OfferKind, plan: &str, cloud: bool) {
    let harness = Harness::start().await;
    let owner = person("owner");
    let slug = organization(&harness, &owner).await;
    let control = harness.control();
    let (user, operator) = &harness.admin;
    let odoo = offer != OfferKind::Iot;

    control.subscribe(&owner, &slug, plan).await.unwrap().unwrap();
    harness.settle().await;
    assert_eq!(harness.failed_jobs().await, vec![]);
    let (subscription, state, applied) = harness.subscription(&slug).await;
    assert_eq!((state.as_str(), applied.as_str()), ("active", "running"));
    let running = found(&harness, &slug, offer).await;
    assert!(running.namespace && running.vault_policy, "{running:?}");
    assert_eq!(running.replicas, vec![1]);
    assert_eq!(running.oauth_client, odoo.then_some(true));
    assert_eq!(running.odoo_database, odoo);
    assert_eq!(running.mqtt_clients, (!odoo).then(|| vec![false]));
    assert_eq!(running.gitlab_group, !odoo);
    assert_eq!(running.openstack_project, cloud.then_some(true));
    // The customer's page shows no job once it is done, and the audit trail names the engine.
    let overview = control
        .organization_overview(&owner, &slug)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(overview.subscriptions[0].state, SubscriptionState::Active);
    assert_eq!(overview.subscriptions[0].progress, None);
    let engine_events: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE actor = 'system' AND action = 'subscription.provisioning' AND target = $1",
    )
    .bind(format!("subscription:{subscription}"))
    .fetch_one(&harness.app.pool)
    .await
    .unwrap();
    assert_eq!(engine_events, 2, "requested → provisioning → active");

    // Running provisioning again (as the reconciler would) changes nothing.
    let provisioned_twice = found(&harness, &slug, offer).await;
    assert_eq!(provisioned_twice, running);

    let reason = Reason::parse("Unpaid invoice").unwrap();
    let version = harness.tenant_version(&slug).await;
    control
        .suspend_tenant(Some(user), operator, &slug, version, &reason)
        .await
        .unwrap()
        .unwrap();
    harness.settle().await;
    let (_, state, applied) = harness.subscription(&slug).await;
    assert_eq!((state.as_str(), applied.as_str()), ("suspended", "suspended"));
    let suspended = found(&harness, &slug, offer).await;
    assert_eq!(suspended.replicas, vec![0]);
    assert_eq!(suspended.oauth_client, odoo.then_some(false));
    assert_eq!(suspended.mqtt_clients, (!odoo).then(|| vec![true]));
    assert_eq!(suspended.openstack_project, cloud.then_some(false));

    let version = harness.tenant_version(&slug).await;
    control
        .resume_tenant(Some(user), operator, &slug, version)
        .await
        .unwrap()
        .unwrap();
    harness.settle().await;
    let (_, state, applied) = harness.subscription(&slug).await;
    assert_eq!((state.as_str(), applied.as_str()), ("active", "running"));
    assert_eq!(found(&harness, &slug, offer).await, running);

    let version: i32 = sqlx::query_scalar("SELECT version FROM subscriptions WHERE id = $1")
        .bind(subscription)
        .fetch_one(&harness.app.pool)
        .await
        .unwrap();
    control
        .cancel_subscription(&owner, &slug, subscription, version)
        .await
        .unwrap()
        .unwrap();
    harness.settle().await;
    let (_, state, applied) = harness.subscription(&slug).await;
    assert_eq!((state.as_str(), applied.as_str()), ("closed", "none"));
    assert_eq!(
        found(&harness, &slug, offer).await,
        Found {
            namespace: false,
            replicas: vec![],
            vault_policy: false,
            vault_secrets: 0,
            oauth_client: None,
            odoo_database: false,
            mqtt_clients: None,
            gitlab_group: false,
            openstack_project: None,
        }
    );
    assert_eq!(harness.failed_jobs().await, vec![]);
    let kinds: Vec<(String, String)> =
        sqlx::query_as("SELECT kind, state FROM jobs WHERE subscription_id = $1 ORDER BY seq")
            .bind(subscription)
            .fetch_all(&harness.app.pool)
            .await
            .unwrap();
    let expected: Vec<(String, String)> = ["provision", "suspend", "resume", "close"]
        .iter()
        .map(|action| {
            (
                format!("{action}.{}", offer.code()),
                JobState::Succeeded.as_str().to_owned(),
            )
        })
        .collect();
    assert_eq!(kinds, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_online_shop_is_provisioned_suspended_resumed_and_closed() {
    life_cycle(OfferKind::Ecommerce, "shop-business", true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_training_space_is_provisioned_suspended_resumed_and_closed() {
    life_cycle(OfferKind::Training, "learn-class", false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_iot_platform_is_provisioned_suspended_resumed_and_closed() {
    life_cycle(OfferKind::Iot, "iot-lab", false).await;
}
