//! The provisioning engine end to end: for each offer, a subscription is
//! provisioned, suspended, resumed and closed through the real operations
//! (subscribe, an admin's suspension and resumption, the customer's
//! cancellation), its jobs run by the real workflows on the real backends
//! that run here (OpenBao, Hydra, Mosquitto, Keystone) and the simulators
//! of the others; at the end every backend is clean.

use crate::support;
use control::{
    admin::decisions::Reason,
    domain::{Backend, JobState, OfferKind, SignedInUser, SubscriptionState},
};
use sim::faults::{Fault, Faults};
use support::{
    backends::SimulatedBackends,
    provisioning::{organization, person, Harness},
};
use uuid::Uuid;

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
    let instance = control::domain::instance_name(slug, offer);
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
    life_cycle_on(Harness::start().await, offer, plan, cloud).await;
}

async fn life_cycle_on(harness: Harness, offer: OfferKind, plan: &str, cloud: bool) {
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
    let namespace = harness
        .stack
        .backends
        .kubernetes
        .observe(&control::domain::instance_name(&slug, offer))
        .await
        .unwrap()
        .unwrap();
    assert!(
        namespace.quota.is_some() && namespace.default_deny,
        "{namespace:?}"
    );
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
    // What it reserves is measured as it starts, not at the reconciler's next round.
    assert!(overview.subscriptions[0].measured_at.is_some());
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
        .suspend_organization(Some(user), operator, &slug, version, &reason)
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
        .resume_organization(
            Some(user),
            operator,
            &slug,
            version,
            &control::admin::decisions::Reason::parse("Invoice paid").unwrap(),
        )
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

/// The same story on the real kube-apiserver (with its controller manager):
/// the namespace, its quota, limits and network policy, the workload, its
/// Service and Ingress are made through the portal's service account, the
/// workload scaled down and up, the namespace emptied and deleted by the
/// cluster's own controllers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_online_shop_is_provisioned_suspended_resumed_and_closed_on_a_real_api_server() {
    let harness = Harness::start_with(SimulatedBackends::start_on_real_kubernetes().await).await;
    life_cycle_on(harness, OfferKind::Ecommerce, "shop-business", true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_training_space_is_provisioned_suspended_resumed_and_closed() {
    life_cycle(OfferKind::Training, "learn-class", false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_iot_platform_is_provisioned_suspended_resumed_and_closed() {
    life_cycle(OfferKind::Iot, "iot-lab", false).await;
}

/// Each simulated backend failing or hanging for a while: the job waits and
/// retries, the customer reads what it waits for, the admin reads the
/// backend's error, and the job then finishes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_or_hanging_backend_makes_the_job_wait_then_finish() {
    let harness = Harness::start().await;
    let stack = &harness.stack;
    let failing = |status: u16, times: u32| Fault {
        status: Some(status),
        times: Some(times),
        ..Fault::default()
    };
    let hanging = Fault {
        hang: true,
        times: Some(1),
        ..Fault::default()
    };
    let cases: Vec<(OfferKind, &str, Backend, &Faults, &str, Fault)> = vec![
        (
            OfferKind::Ecommerce,
            "shop-starter",
            Backend::Kubernetes,
            &stack.kubernetes_faults,
            "create_namespace",
            failing(503, 3),
        ),
        (
            OfferKind::Iot,
            "iot-lab",
            Backend::Kubernetes,
            &stack.kubernetes_faults,
            "get_namespace",
            hanging.clone(),
        ),
        (
            OfferKind::Training,
            "learn-class",
            Backend::Odoo,
            &stack.odoo.faults,
            "db.create_database",
            failing(502, 2),
        ),
        (
            OfferKind::Ecommerce,
            "shop-starter",
            Backend::Awx,
            &stack.awx.faults,
            "job_outcome",
            failing(500, 1),
        ),
        (
            OfferKind::Iot,
            "iot-lab",
            Backend::Gitlab,
            &stack.gitlab.faults,
            "create_group",
            failing(429, 2),
        ),
        (
            OfferKind::Ecommerce,
            "shop-business",
            Backend::OpenStack,
            stack.openstack.faults(),
            "nova_update_quota",
            failing(503, 2),
        ),
    ];
    for (_offer, plan, backend, faults, operation, fault) in cases {
        let owner = person("owner");
        let slug = organization(&harness, &owner).await;
        faults.set(operation, fault);
        let waiting = harness
            .subscribe_until_waiting(&owner, &slug, plan, backend, operation)
            .await;
        let error = waiting.admin_error;
        // OpenStack's errors name the service (nova, cinder, neutron, keystone).
        let named =
            error.contains(backend.code()) || (backend == Backend::OpenStack && error.contains("nova"));
        assert!(named, "{operation}: the admin reads {error:?}");
        harness.assert_recovered(&slug, None, operation).await;
    }
    assert_eq!(harness.failed_jobs().await, vec![]);
    // One database run per shop or training space, and AWX's failed run
    // relaunched under a new run key: 1 + 1 + 2 + 1.
    assert_eq!(harness.stack.awx.job_count(), 5);
    let outputs: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM job_steps WHERE name = 'awx_database' AND output IS NOT NULL",
    )
    .fetch_one(&harness.app.pool)
    .await
    .unwrap();
    assert_eq!(outputs, 4, "each AWX run's output is kept for admins");
}

/// An admin retries a job that failed for good from its failed step, or
/// cancels it; both are audited, and a superseded job cannot be retried.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_retries_a_failed_job_from_its_failed_step() {
    let harness = Harness::start().await;
    let (user, operator) = &harness.admin;
    let owner = person("owner");
    let slug = organization(&harness, &owner).await;
    // Refused for good (403): no retry, the job fails at once.
    harness.stack.kubernetes_faults.set(
        "create_namespace",
        Fault {
            status: Some(403),
            times: Some(1),
            ..Fault::default()
        },
    );
    harness
        .control()
        .subscribe(&owner, &slug, "iot-lab")
        .await
        .unwrap()
        .unwrap();
    harness.settle().await;
    let failed = harness.failed_jobs().await;
    assert_eq!(failed.len(), 1, "{failed:?}");
    let job: Uuid = sqlx::query_scalar("SELECT id FROM jobs WHERE state = 'failed'")
        .fetch_one(&harness.app.pool)
        .await
        .unwrap();
    // The dispatcher does not queue the same job again and again.
    assert_eq!(harness.control().dispatch_provisioning().await.unwrap(), 0);
    let page = harness
        .control()
        .organization_overview(&owner, &slug)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        page.subscriptions[0].progress.as_ref().map(|p| p.state),
        Some(JobState::Failed)
    );
    // The owner is told by e-mail, with the way back to the portal.
    let told = support::mail::latest_about(&owner.email, "failed").await;
    assert_eq!(told.subject, "Setting up your IoT service for Tenant failed");
    assert!(told.text.contains("reply to this message"), "{}", told.text);

    let customer = SignedInUser {
        identity_id: owner.identity_id.clone(),
        email: owner.email.clone(),
        email_verified: true,
        display_name: "Owner".into(),
        assurance_level: "aal2".into(),
    };
    assert_eq!(
        harness
            .control()
            .admin_job_action(Some(&customer), &owner, job, control::domain::JobAction::Retry)
            .await
            .unwrap(),
        Err(control::domain::Refusal::Forbidden)
    );
    harness
        .control()
        .admin_job_action(Some(user), operator, job, control::domain::JobAction::Retry)
        .await
        .unwrap()
        .unwrap();
    harness.settle().await;
    let (_, state, applied) = harness.subscription(&slug).await;
    assert_eq!((state.as_str(), applied.as_str()), ("active", "running"));
    let steps: Vec<(String, i32)> =
        sqlx::query_as("SELECT name, attempts FROM job_steps WHERE job_id = $1 ORDER BY position")
            .bind(job)
            .fetch_all(&harness.app.pool)
            .await
            .unwrap();
    // Steps before the failed one were not run again.
    assert_eq!(steps[0], ("begin".to_owned(), 1));
    assert_eq!(
        steps
            .iter()
            .find(|(name, _)| name == "kube_namespace")
            .map(|(_, n)| *n),
        Some(1),
        "attempts counted afresh"
    );
    // Done: neither retried nor cancelled again.
    assert_eq!(
        harness
            .control()
            .admin_job_action(Some(user), operator, job, control::domain::JobAction::Retry)
            .await
            .unwrap(),
        Err(control::domain::Refusal::WrongState)
    );
    let audited: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_events WHERE action = 'job.retry' AND target = $1")
            .bind(format!("job:{job}"))
            .fetch_one(&harness.app.pool)
            .await
            .unwrap();
    assert_eq!(audited, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_change_reviewed_while_the_service_was_set_up_still_holds() {
    let harness = Harness::start().await;
    let owner = person("owner");
    let slug = organization(&harness, &owner).await;
    let control = harness.control();
    control
        .subscribe(&owner, &slug, "iot-lab")
        .await
        .unwrap()
        .unwrap();
    // The owner reviews a larger plan while the engine has not run yet…
    let seen = control
        .organization_overview(&owner, &slug)
        .await
        .unwrap()
        .unwrap();
    let (id, version) = (&seen.subscriptions[0].id, seen.subscriptions[0].version);
    // …the engine sets the service up meanwhile…
    harness.settle().await;
    let (_, state, _) = harness.subscription(&slug).await;
    assert_eq!(state, "active");
    // …and "Confirm" still changes the plan: the engine's progress is no one's conflicting edit.
    let id = Uuid::parse_str(id).unwrap();
    assert_eq!(
        control
            .change_plan(&owner, &slug, id, "iot-fleet", version)
            .await
            .unwrap(),
        Ok(())
    );
    // A person's change meanwhile is one: the same form again is stale.
    assert_eq!(
        control
            .change_plan(&owner, &slug, id, "iot-lab", version)
            .await
            .unwrap(),
        Err(control::domain::Refusal::Stale)
    );
}
