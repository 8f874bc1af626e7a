//! Two portal replicas on one database, both running the provisioning
//! engine: every step runs once whichever replica's worker takes it, and a
//! subscription's live progress stream on either replica hears every
//! change, whichever replica's worker made it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use control::domain::{JobState, SubscriptionProgress, SubscriptionState};
use support::{backends::SimulatedBackends, browser::Person, TestApp};
use uuid::Uuid;

/// The `progress` events of a stream until the subscription is active.
async fn events_until_active(response: reqwest::Response) -> Vec<SubscriptionProgress> {
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
    tokio::time::timeout(Duration::from_secs(60), read)
        .await
        .expect("the stream reports the subscription active within a minute");
    events
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_run_each_step_once_and_both_streams_hear_every_change() {
    let stack = SimulatedBackends::start().await;
    let tuning = [
        ("WORKERS", "2".to_owned()),
        ("RETRY_FIRST_DELAY_MS", "100".to_owned()),
    ];
    let first = TestApp::builder()
        .oidc()
        .provisioning(stack.provisioning_config(&tuning))
        .spawn()
        .await;
    let second = TestApp::builder()
        .database(&first.database)
        .provisioning(stack.provisioning_config(&tuning))
        .spawn()
        .await;
    let owner = Person::signed_in(&first.base_url, "owner").await;
    let caller = owner.caller();
    let cookies = owner.browser.cookie_header(&first.base_url).unwrap();

    // Several tenants at once, so that both replicas' workers have work.
    let mut slugs = Vec::new();
    for index in 0..6 {
        let slug = format!("r{index}{}", &Uuid::new_v4().simple().to_string()[..8]);
        let new =
            control::domain::NewOrganization::parse("Replica", &slug, "FR", "billing@example.com").unwrap();
        first
            .control
            .create_organization(&caller, &new)
            .await
            .unwrap()
            .unwrap();
        slugs.push(slug);
    }
    // The watched subscription is requested before its streams open, with
    // the others, so that the engines start at once.
    let watched = slugs[0].clone();
    first
        .control
        .subscribe(&caller, &watched, "iot-lab")
        .await
        .unwrap()
        .unwrap();
    let subscription: Uuid = sqlx::query_scalar(
        "SELECT s.id FROM subscriptions s JOIN organizations o ON o.id = s.organization_id WHERE o.slug = $1",
    )
    .bind(&watched)
    .fetch_one(&first.pool)
    .await
    .unwrap();
    let path = format!("/orgs/{watched}/subscriptions/{subscription}/progress");
    let open = |app: &TestApp| {
        let request = app
            .client
            .get(app.url(&path))
            .header("Cookie", cookies.clone())
            .send();
        async move {
            let response = request.await.unwrap();
            assert_eq!(response.status(), 200);
            assert_eq!(response.headers()["content-type"], "text/event-stream");
            response
        }
    };
    let (on_first, on_second) = (open(&first).await, open(&second).await);
    for (index, slug) in slugs.iter().enumerate().skip(1) {
        let plan = ["shop-starter", "learn-class", "iot-lab"][index % 3];
        first
            .control
            .subscribe(&caller, slug, plan)
            .await
            .unwrap()
            .unwrap();
    }
    let (heard_first, heard_second) =
        tokio::join!(events_until_active(on_first), events_until_active(on_second));

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
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let open: i64 = sqlx::query_scalar("SELECT count(*) FROM jobs WHERE state <> 'succeeded'")
            .fetch_one(&first.pool)
            .await
            .unwrap();
        if open == 0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{open} jobs did not succeed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (jobs, most_attempts): (i64, i32) =
        sqlx::query_as("SELECT count(DISTINCT job_id), max(attempts) FROM job_steps")
            .fetch_one(&first.pool)
            .await
            .unwrap();
    assert_eq!(jobs, 6);
    assert_eq!(most_attempts, 1, "a step ran twice");
    let namespaces: i64 = {
        let mut found = 0;
        for slug in &slugs {
            for offer in ["ecommerce", "training", "iot"] {
                if stack
                    .backends
                    .kubernetes
                    .observe(&format!("{slug}-{offer}"))
                    .await
                    .unwrap()
                    .is_some()
                {
                    found += 1;
                }
            }
        }
        found
    };
    assert_eq!(namespaces, 6, "one namespace per subscription, none twice");
}
