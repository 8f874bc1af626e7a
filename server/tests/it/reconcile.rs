//! The reconciler end to end: subscriptions are provisioned by the real
//! workflows on the real backends that run here and the simulators of the
//! others, then something is changed behind the engine's back (a namespace
//! deleted, a quota changed by an admin, a Vault policy deleted, a suspended
//! workload scaled up); the reconciler audits the drift and queues the job
//! that repairs it, and the backends are as they should be once it has run.

use crate::support;
use std::{sync::Arc, time::Duration};

use control::{
    admin::decisions::Reason,
    clock::SystemClock,
    domain::{OfferKind, QuotaKind},
    infra::store::Db,
    provisioning::{Engine, ProvisioningRunner, ReconcileReport},
    Control,
};
use serde_json::{json, Value};
use sim::faults::Fault;
use support::{
    database_url, env,
    provisioning::{organization, person, Harness},
};
use uuid::Uuid;

/// A subscription provisioned and running.
struct Provisioned {
    owner: control::Caller,
    slug: String,
    subscription: Uuid,
    instance: String,
}

async fn provisioned(harness: &Harness, plan: &str, offer: &str) -> Provisioned {
    let owner = person("owner");
    let slug = organization(harness, &owner).await;
    let subscription = harness.active_subscription(&owner, &slug, plan).await;
    Provisioned {
        instance: control::domain::instance_name(&slug, OfferKind::from_code(offer).unwrap()),
        owner,
        slug,
        subscription,
    }
}

/// CPU, memory and storage as the subscription's page reads them: (quota, reserved, consumed).
async fn cluster_usage(
    harness: &Harness,
    subscription: &Provisioned,
) -> Vec<(QuotaKind, Option<u32>, Option<u64>)> {
    let overview = harness
        .control()
        .organization_overview(&subscription.owner, &subscription.slug)
        .await
        .unwrap()
        .unwrap();
    overview.subscriptions[0]
        .quotas
        .iter()
        .filter(|usage| usage.quota.is_reservation())
        .map(|usage| (usage.quota, usage.reserved, usage.consumed))
        .collect()
}

/// The drift events of a subscription: actor, before, after.
async fn drift_events(harness: &Harness, subscription: Uuid) -> Vec<(String, Value, Value)> {
    let rows: Vec<(String, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT actor, before::text, after::text FROM audit_events
          WHERE action = 'subscription.drift' AND target = $1 ORDER BY at, id",
    )
    .bind(format!("subscription:{subscription}"))
    .fetch_all(&harness.app.pool)
    .await
    .unwrap();
    let parse = |text: Option<String>| serde_json::from_str(&text.unwrap()).unwrap();
    rows.into_iter()
        .map(|(actor, before, after)| (actor, parse(before), parse(after)))
        .collect()
}

/// The kinds of the subscription's unfinished jobs.
async fn open_jobs(harness: &Harness, subscription: Uuid) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT kind FROM jobs WHERE subscription_id = $1 AND state IN ('queued', 'running', 'waiting')",
    )
    .bind(subscription)
    .fetch_all(&harness.app.pool)
    .await
    .unwrap()
}

/// Deletes the namespace as someone with cluster access would, and waits
/// until the cluster has finished removing it.
async fn delete_namespace(harness: &Harness, instance: &str) {
    let kubernetes = &harness.stack.backends.kubernetes;
    kubernetes.remove_namespace(instance).await.unwrap();
    for _ in 0..200 {
        if kubernetes.observe(instance).await.unwrap().is_none() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the namespace {instance} was not removed");
}

async fn replicas(harness: &Harness, instance: &str) -> Vec<i32> {
    let namespace = harness
        .stack
        .backends
        .kubernetes
        .observe(instance)
        .await
        .unwrap()
        .unwrap();
    assert!(!namespace.terminating);
    namespace
        .workloads
        .iter()
        .map(|workload| workload.replicas)
        .collect()
}

fn report(examined: usize, drifted: usize, repairs_queued: usize, unobservable: usize) -> ReconcileReport {
    ReconcileReport {
        examined,
        drifted,
        repairs_queued,
        unobservable,
    }
}

async fn suspend(harness: &Harness, slug: &str) {
    let (user, operator) = &harness.admin;
    let version = harness.tenant_version(slug).await;
    harness
        .control()
        .suspend_organization(
            Some(user),
            operator,
            slug,
            version,
            &Reason::parse("Unpaid invoice").unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    harness.settle().await;
    let (_, state, applied) = harness.subscription(slug).await;
    assert_eq!((state.as_str(), applied.as_str()), ("suspended", "suspended"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn services_as_provisioned_have_not_drifted() {
    let harness = Harness::start().await;
    // Every backend: Odoo, Hydra and OpenStack for the shop; MQTT and GitLab for IoT.
    let shop = provisioned(&harness, "shop-business", "ecommerce").await;
    let iot = provisioned(&harness, "iot-lab", "iot").await;
    suspend(&harness, &iot.slug).await;

    assert_eq!(harness.reconcile().await, report(2, 0, 0, 0));
    for subscription in [shop.subscription, iot.subscription] {
        assert_eq!(drift_events(&harness, subscription).await, vec![]);
        assert_eq!(open_jobs(&harness, subscription).await, Vec::<String>::new());
    }
    // What the shop's namespace reserves and really consumes reaches its
    // page, beside the plan's limits: Odoo runs with half the plan's CPU and
    // memory (2000 m, 4096 MiB) and a volume of the plan's storage (100 GiB);
    // the cluster's metrics say it uses 5 % of that CPU, 30 % of that memory
    // and 2 % of its volume (the simulator's quiet default).
    assert_eq!(
        cluster_usage(&harness, &shop).await,
        vec![
            (QuotaKind::CpuMillicores, Some(1000), Some(50)),
            (QuotaKind::MemoryMib, Some(2048), Some(615)),
            (QuotaKind::StorageGib, Some(100), Some(2048)),
        ]
    );
    // Suspended, the IoT service consumes nothing, and no running pod mounts a volume to measure.
    assert_eq!(
        cluster_usage(&harness, &iot).await,
        vec![
            (QuotaKind::CpuMillicores, Some(0), Some(0)),
            (QuotaKind::MemoryMib, Some(0), Some(0)),
            (QuotaKind::StorageGib, Some(0), None),
        ]
    );
    // Under load, the next round's measure follows; the reservations do not move.
    let status = reqwest::Client::new()
        .put(format!(
            "{}/_sim/consumption/{}",
            harness.stack.urls.kubernetes, shop.instance
        ))
        .json(&json!({ "cpu_percent": 95, "memory_percent": 50, "storage_percent": 10 }))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 204);
    assert_eq!(harness.reconcile().await, report(2, 0, 0, 0));
    assert_eq!(
        cluster_usage(&harness, &shop).await,
        vec![
            (QuotaKind::CpuMillicores, Some(1000), Some(950)),
            (QuotaKind::MemoryMib, Some(2048), Some(1024)),
            (QuotaKind::StorageGib, Some(100), Some(10240)),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_namespace_is_audited_and_provisioned_again() {
    let harness = Harness::start().await;
    let shop = provisioned(&harness, "shop-starter", "ecommerce").await;
    delete_namespace(&harness, &shop.instance).await;

    assert_eq!(harness.reconcile().await, report(1, 1, 1, 0));
    assert_eq!(
        open_jobs(&harness, shop.subscription).await,
        vec!["provision.ecommerce"]
    );
    let events = drift_events(&harness, shop.subscription).await;
    assert_eq!(events.len(), 1);
    let (actor, before, after) = &events[0];
    assert_eq!(actor, "system");
    assert_eq!(before, &json!({ "kubernetes": { "namespace": "missing" } }));
    assert_eq!(after["kubernetes"], json!({ "namespace": "present" }));
    assert_eq!(after["repair"]["kind"], "provision.ecommerce");
    // A second round while the repair is queued leaves it to the job.
    assert_eq!(harness.reconcile().await, report(0, 0, 0, 0));

    harness.settle().await;
    assert_eq!(harness.failed_jobs().await, vec![]);
    let (_, state, applied) = harness.subscription(&shop.slug).await;
    assert_eq!((state.as_str(), applied.as_str()), ("active", "running"));
    assert_eq!(replicas(&harness, &shop.instance).await, vec![1]);
    assert_eq!(harness.reconcile().await, report(1, 0, 0, 0));
    assert_eq!(drift_events(&harness, shop.subscription).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quota_an_admin_changed_reaches_the_namespace() {
    let harness = Harness::start().await;
    let iot = provisioned(&harness, "iot-lab", "iot").await;
    let (user, operator) = &harness.admin;
    harness
        .control()
        .set_quota_override(
            Some(user),
            operator,
            iot.subscription,
            QuotaKind::CpuMillicores,
            Some(1000),
        )
        .await
        .unwrap()
        .unwrap();

    assert_eq!(harness.reconcile().await, report(1, 1, 1, 0));
    let events = drift_events(&harness, iot.subscription).await;
    let (_, before, after) = &events[0];
    assert_eq!(
        before["kubernetes"]["quota"],
        json!({ "cpu_millicores": 500, "memory_mib": 1024, "storage_gib": 5 })
    );
    assert_eq!(
        after["kubernetes"]["quota"],
        json!({ "cpu_millicores": 1000, "memory_mib": 1024, "storage_gib": 5 })
    );
    assert_eq!(after["repair"]["kind"], "provision.iot");

    harness.settle().await;
    assert_eq!(harness.failed_jobs().await, vec![]);
    let namespace = harness
        .stack
        .backends
        .kubernetes
        .observe(&iot.instance)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(namespace.quota.unwrap().cpu_millicores, 1000);
    assert_eq!(harness.reconcile().await, report(1, 0, 0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_vault_policy_is_written_again() {
    let harness = Harness::start().await;
    let iot = provisioned(&harness, "iot-lab", "iot").await;
    let deleted = reqwest::Client::new()
        .delete(format!(
            "{}/v1/sys/policies/acl/{}",
            env("TEST_VAULT_ADDR"),
            iot.instance
        ))
        .header("X-Vault-Token", "root")
        .send()
        .await
        .unwrap();
    assert!(deleted.status().is_success(), "{}", deleted.status());

    assert_eq!(harness.reconcile().await, report(1, 1, 1, 0));
    let events = drift_events(&harness, iot.subscription).await;
    let (_, before, after) = &events[0];
    assert_eq!(before["vault"]["policy"], "missing or changed");
    assert_eq!(after["vault"]["policy"], "present");

    harness.settle().await;
    assert_eq!(harness.failed_jobs().await, vec![]);
    let vault = harness.stack.backends.vault.observe(&iot.instance).await.unwrap();
    assert!(vault.policy_matches && vault.role, "{vault:?}");
    assert_eq!(harness.reconcile().await, report(1, 0, 0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_suspended_workload_scaled_up_is_suspended_again() {
    let harness = Harness::start().await;
    let iot = provisioned(&harness, "iot-lab", "iot").await;
    suspend(&harness, &iot.slug).await;
    harness
        .stack
        .backends
        .kubernetes
        .scale_workloads(&iot.instance, true)
        .await
        .unwrap();
    assert_eq!(replicas(&harness, &iot.instance).await, vec![1]);

    assert_eq!(harness.reconcile().await, report(1, 1, 1, 0));
    assert_eq!(open_jobs(&harness, iot.subscription).await, vec!["suspend.iot"]);
    let events = drift_events(&harness, iot.subscription).await;
    let (_, before, after) = &events[0];
    assert_eq!(
        before,
        &json!({ "kubernetes": { "workload ingest replicas": 1 } })
    );
    assert_eq!(after["kubernetes"], json!({ "workload ingest replicas": 0 }));

    harness.settle().await;
    assert_eq!(harness.failed_jobs().await, vec![]);
    let (_, state, applied) = harness.subscription(&iot.slug).await;
    assert_eq!((state.as_str(), applied.as_str()), ("suspended", "suspended"));
    assert_eq!(replicas(&harness, &iot.instance).await, vec![0]);
    assert_eq!(harness.reconcile().await, report(1, 0, 0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_suspended_subscription_missing_services_is_rebuilt_when_resumed() {
    let harness = Harness::start().await;
    let iot = provisioned(&harness, "iot-lab", "iot").await;
    suspend(&harness, &iot.slug).await;
    delete_namespace(&harness, &iot.instance).await;

    // Provisioning now would start a suspended service: it waits for the resumption.
    assert_eq!(harness.reconcile().await, report(1, 1, 0, 0));
    assert_eq!(open_jobs(&harness, iot.subscription).await, Vec::<String>::new());
    let (_, state, applied) = harness.subscription(&iot.slug).await;
    assert_eq!((state.as_str(), applied.as_str()), ("suspended", "partial"));
    let events = drift_events(&harness, iot.subscription).await;
    assert_eq!(events[0].2["repair"]["applied_state"], "partial");
    harness.settle().await;
    assert!(harness
        .stack
        .backends
        .kubernetes
        .observe(&iot.instance)
        .await
        .unwrap()
        .is_none());

    let (user, operator) = &harness.admin;
    let version = harness.tenant_version(&iot.slug).await;
    harness
        .control()
        .resume_organization(
            Some(user),
            operator,
            &iot.slug,
            version,
            &control::admin::decisions::Reason::parse("Invoice paid").unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    harness.settle().await;
    assert_eq!(harness.failed_jobs().await, vec![]);
    let (_, state, applied) = harness.subscription(&iot.slug).await;
    assert_eq!((state.as_str(), applied.as_str()), ("active", "running"));
    assert_eq!(replicas(&harness, &iot.instance).await, vec![1]);
    // Provisioning keeps a suspension it finds (the broker's clients stay
    // disabled): the next round resumes them.
    assert_eq!(harness.reconcile().await, report(1, 1, 1, 0));
    assert_eq!(open_jobs(&harness, iot.subscription).await, vec!["resume.iot"]);
    harness.settle().await;
    let tenant = harness
        .stack
        .backends
        .mqtt
        .observe(&iot.slug)
        .await
        .unwrap()
        .unwrap();
    assert!(tenant.clients.iter().all(|(_, disabled)| !disabled), "{tenant:?}");
    assert_eq!(harness.reconcile().await, report(1, 0, 0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscription_whose_last_job_failed_is_left_to_an_admin() {
    let harness = Harness::start().await;
    let iot = provisioned(&harness, "iot-lab", "iot").await;
    // Forged: the service ran, yet its last provision failed. A refused step
    // (a 403 fault) fails a job at once, but then the service never ran.
    sqlx::query("UPDATE jobs SET state = 'failed', last_error = 'test' WHERE subscription_id = $1")
        .bind(iot.subscription)
        .execute(&harness.app.pool)
        .await
        .unwrap();
    delete_namespace(&harness, &iot.instance).await;

    assert_eq!(harness.reconcile().await, report(0, 0, 0, 0));
    assert_eq!(open_jobs(&harness, iot.subscription).await, Vec::<String>::new());
    assert_eq!(drift_events(&harness, iot.subscription).await, vec![]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backend_that_cannot_be_observed_is_not_a_drift() {
    let harness = Harness::start().await;
    let iot = provisioned(&harness, "iot-lab", "iot").await;
    delete_namespace(&harness, &iot.instance).await;
    let faults = &harness.stack.kubernetes_faults;

    faults.set(
        "get_namespace",
        Fault {
            status: Some(503),
            ..Fault::default()
        },
    );
    assert_eq!(harness.reconcile().await, report(1, 0, 0, 1));
    faults.clear();
    // A hang ends with the client's timeout: still not a drift.
    faults.set(
        "get_namespace",
        Fault {
            hang: true,
            times: Some(1),
            ..Fault::default()
        },
    );
    assert_eq!(harness.reconcile().await, report(1, 0, 0, 1));
    assert_eq!(drift_events(&harness, iot.subscription).await, vec![]);
    assert_eq!(open_jobs(&harness, iot.subscription).await, Vec::<String>::new());

    // Once the backend answers, the drift is seen.
    assert_eq!(harness.reconcile().await, report(1, 1, 1, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_replica_reconciles_at_a_time() {
    let harness = Harness::start().await;
    let mut other_replica = harness.app.pool.acquire().await.unwrap();
    let locked: bool =
        sqlx::query_scalar("SELECT pg_try_advisory_lock(hashtext('bibind.provisioning.reconcile'))")
            .fetch_one(&mut *other_replica)
            .await
            .unwrap();
    assert!(locked);
    assert_eq!(harness.runner.reconcile_exclusively().await.unwrap(), None);
    sqlx::query("SELECT pg_advisory_unlock(hashtext('bibind.provisioning.reconcile'))")
        .execute(&mut *other_replica)
        .await
        .unwrap();
    assert_eq!(harness.reconcile().await, report(0, 0, 0, 0));
    // The round released the lock.
    assert_eq!(harness.reconcile().await, report(0, 0, 0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_engine_reconciles_on_its_schedule() {
    let harness = Harness::start().await;
    let iot = provisioned(&harness, "iot-lab", "iot").await;
    // A replica of its own: the test server's small pool has no room for
    // the engine's listeners.
    let replica = Control::new(
        Db::connect_lazy(&database_url(&harness.app.database), 8).unwrap(),
        Arc::new(SystemClock),
    );
    let runner = ProvisioningRunner::new(
        replica.clone(),
        harness.stack.backends.clone(),
        harness.stack.settings.clone(),
    );
    let engine = Engine::new(replica, runner, 1, "reconciling-replica")
        .with_reconcile_interval(Duration::from_secs(1));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let engine = tokio::spawn(engine.run(async move {
        let _ = stopped.await;
    }));
    delete_namespace(&harness, &iot.instance).await;

    let kubernetes = &harness.stack.backends.kubernetes;
    let mut repaired = false;
    for _ in 0..300 {
        let namespace = kubernetes.observe(&iot.instance).await.unwrap();
        if namespace.is_some_and(|found| found.workloads.iter().map(|w| w.replicas).eq([1])) {
            repaired = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = stop.send(());
    engine.await.unwrap();
    let jobs: Vec<(String, String, Option<String>)> =
        sqlx::query_as("SELECT kind, state, last_error FROM jobs WHERE subscription_id = $1 ORDER BY seq")
            .bind(iot.subscription)
            .fetch_all(&harness.app.pool)
            .await
            .unwrap();
    assert!(
        repaired,
        "the engine did not repair the namespace: {jobs:?} {:?}",
        drift_events(&harness, iot.subscription).await
    );
    assert_eq!(drift_events(&harness, iot.subscription).await.len(), 1);
}
