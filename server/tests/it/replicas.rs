//! Two portal replicas on one database, each the real `bibind` binary in a
//! process of its own running the provisioning engine: every step runs once
//! whichever replica's worker takes it, both replicas do take work, and a
//! subscription's live progress stream on either replica hears every
//! change, whichever replica's worker made it.

use crate::support;
use std::{collections::BTreeSet, path::Path, time::Duration};

use control::domain::{
    instance_name, JobState, NewOrganization, OfferKind, SubscriptionProgress, SubscriptionState,
};
use sim::faults::Fault;
use support::{
    backends::SimulatedBackends,
    browser::Person,
    process::{portal_environment, provisioning_environment, tail, PortalProcess},
    TestApp,
};
use uuid::Uuid;

/// Tenants, each with one subscription: enough for both replicas' workers.
const TENANTS: usize = 6;
/// Each tenant's plan by index, and the offer code its namespace ends with.
const PLANS: [(&str, &str); 3] = [
    ("iot-lab", "iot"),
    ("shop-starter", "ecommerce"),
    ("learn-class", "training"),
];
/// Added to the Kubernetes writes, so that jobs overlap and a stream opened
/// just after its subscription was requested still hears the steps.
const WRITE_LATENCY_MS: u64 = 50;

/// The `progress` events of a stream until the subscription is active.
async fn events_until_active(response: reqwest::Response, log: &Path) -> Vec<SubscriptionProgress> {
    let mut response = response;
    let mut buffer = String::new();
    let mut events = Vec::new();
    let read = async {
        while let Some(chunk) = response.chunk().await.unwrap() {
            buffer.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buffer.find("\n\n") {
                let block: String = buffer.drain(..end + 2).collect();
                let Some(data) = block.lines().find_map(|line| line.strip_prefix("data: ")) else {
                    continue; // keep-alive comments
                };
                let event: SubscriptionProgress = serde_json::from_str(data).unwrap();
                let done = event.state == SubscriptionState::Active && event.progress.is_none();
                events.push(event);
                if done {
                    return;
                }
            }
        }
    };
    if tokio::time::timeout(Duration::from_secs(60), read).await.is_err() {
        panic!(
            "the stream did not report the subscription active within a minute:\n{}",
            tail(log)
        );
    }
    events
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_portal_processes_run_each_step_once_and_both_streams_hear_every_change() {
    let stack = SimulatedBackends::start().await;
    for operation in [
        "create_namespace",
        "create_resource_quota",
        "create_secret",
        "create_deployment",
    ] {
        stack.kubernetes_faults.set(
            operation,
            Fault {
                latency_ms: WRITE_LATENCY_MS,
                ..Fault::default()
            },
        );
    }
    // People sign in, and data is arranged, through a portal in this process
    // that runs no engine: only the two processes run jobs.
    // One owner of all the tenants: more than the default limit per account.
    let setup = TestApp::builder()
        .oidc()
        .tenancy(server::config::TenancyConfig {
            organizations_per_account: TENANTS as u32,
            ..Default::default()
        })
        .spawn()
        .await;
    let mut environment = portal_environment(&setup.database);
    // As many as an in-process portal with the engine gets (its listeners
    // and workers hold connections).
    environment.push(("BIBIND_DATABASE__MAX_CONNECTIONS".into(), "14".into()));
    environment.extend(provisioning_environment(
        &stack,
        &[("WORKERS", "2".into()), ("RETRY_FIRST_DELAY_MS", "100".into())],
    ));
    let logs: Vec<_> = (0..2)
        .map(|index| std::env::temp_dir().join(format!("bibind-replicas-{}-{index}.log", setup.database)))
        .collect();
    let mut replicas: Vec<PortalProcess> = logs
        .iter()
        .map(|log| PortalProcess::spawn(&environment, log))
        .collect();
    for replica in &mut replicas {
        replica.wait_until_serving().await;
    }
    let owner = Person::signed_in(&setup.base_url, "owner").await;
    let caller = owner.caller();
    // The portal session lives in the database: valid on every replica.
    let cookies = owner.browser.cookie_header(&setup.base_url).unwrap();

    let mut tenants = Vec::new();
    for index in 0..TENANTS {
        let slug = format!("r{index}{}", &Uuid::new_v4().simple().to_string()[..8]);
        let new = NewOrganization::parse("Replica", &slug, "FR", "billing@example.com").unwrap();
        setup
            .control
            .create_organization(&caller, &new)
            .await
            .unwrap()
            .unwrap();
        tenants.push((slug, PLANS[index % PLANS.len()]));
    }

    // The watched subscription is requested before its streams open, so
    // that the engines start at once; the others after.
    let (watched, (watched_plan, _)) = &tenants[0];
    setup
        .control
        .subscribe(&caller, watched, watched_plan)
        .await
        .unwrap()
        .unwrap();
    let subscription: Uuid = sqlx::query_scalar(
        "SELECT s.id FROM subscriptions s JOIN organizations o ON o.id = s.organization_id WHERE o.slug = $1",
    )
    .bind(watched)
    .fetch_one(&setup.pool)
    .await
    .unwrap();
    let path = format!("/orgs/{watched}/subscriptions/{subscription}/progress");
    let client = reqwest::Client::new();
    let mut streams = Vec::new();
    for replica in &replicas {
        let response = client
            .get(replica.url(&path))
            .header("Cookie", &cookies)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{}", replica.tail());
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        streams.push(response);
    }
    for (slug, (plan, _)) in &tenants[1..] {
        setup
            .control
            .subscribe(&caller, slug, plan)
            .await
            .unwrap()
            .unwrap();
    }
    let [on_first, on_second]: [reqwest::Response; 2] = streams.try_into().unwrap();
    let (heard_first, heard_second) = tokio::join!(
        events_until_active(on_first, &logs[0]),
        events_until_active(on_second, &logs[1])
    );

    // Each stream heard the job go through its steps, not only its end.
    for heard in [&heard_first, &heard_second] {
        let running: Vec<u32> = heard
            .iter()
            .filter_map(|event| event.progress.as_ref())
            .filter(|progress| progress.state == JobState::Running)
            .map(|progress| progress.percent())
            .collect();
        assert!(running.len() >= 5, "too few progress events: {heard:?}");
        assert!(
            running.windows(2).all(|pair| pair[0] <= pair[1]),
            "progress went back: {running:?}"
        );
    }

    // Every job done, and every step run exactly once although both
    // replicas' workers claimed from the same queue.
    all_jobs_settled(&setup.pool).await;
    let (jobs, unfinished): (i64, i64) =
        // Subscriptions' jobs: the notices the changes queued run besides.
        sqlx::query_as(
            "SELECT count(*) FILTER (WHERE subscription_id IS NOT NULL), count(*) FILTER (WHERE state <> 'succeeded')
               FROM jobs",
        )
            .fetch_one(&setup.pool)
            .await
            .unwrap();
    assert_eq!(
        (jobs, unfinished),
        (i64::try_from(TENANTS).unwrap(), 0),
        "one job per subscription, all succeeded"
    );
    let twice: Vec<(String, i32)> =
        sqlx::query_as("SELECT name, attempts FROM job_steps WHERE attempts <> 1 ORDER BY name")
            .fetch_all(&setup.pool)
            .await
            .unwrap();
    assert_eq!(twice, vec![], "a step ran twice (or never)");

    // Both processes' workers ran steps, and nobody else's: each step keeps
    // the worker of its latest attempt (`replica-{pid}-…`).
    let owners: BTreeSet<String> =
        sqlx::query_scalar("SELECT DISTINCT coalesce(ran_by, 'nobody') FROM job_steps")
            .fetch_all(&setup.pool)
            .await
            .unwrap()
            .into_iter()
            .collect();
    let replica_of = |owner: &String| {
        replicas
            .iter()
            .position(|replica| owner.starts_with(&format!("replica-{}-", replica.pid())))
    };
    assert!(
        owners.iter().all(|owner| replica_of(owner).is_some()),
        "a job ran elsewhere: {owners:?}"
    );
    let busy: BTreeSet<usize> = owners.iter().filter_map(replica_of).collect();
    println!(
        "streams heard {} and {} events; steps ran on {owners:?}",
        heard_first.len(),
        heard_second.len()
    );
    assert_eq!(busy, BTreeSet::from([0, 1]), "both replicas ran jobs: {owners:?}");

    // One namespace per subscription, none twice and none else.
    let namespaces = stack.tenant_namespaces().await;
    let expected: BTreeSet<String> = tenants
        .iter()
        .map(|(slug, (_, offer))| instance_name(slug, OfferKind::from_code(offer).unwrap()))
        .collect();
    assert_eq!(namespaces, expected, "kubernetes namespaces");

    for (replica, log) in replicas.into_iter().zip(&logs) {
        replica.kill();
        // Kept only when something failed.
        let _ = std::fs::remove_file(log);
    }
}

/// Waits until every job of the test has succeeded.
async fn all_jobs_settled(pool: &sqlx::PgPool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    loop {
        let settled: bool = sqlx::query_scalar(
            "SELECT count(*) FILTER (WHERE subscription_id IS NOT NULL) = $1
                    AND coalesce(bool_and(state = 'succeeded'), false) FROM jobs",
        )
        .bind(i64::try_from(TENANTS).unwrap())
        .fetch_one(pool)
        .await
        .unwrap();
        if settled {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the jobs did not all succeed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
