//! The provisioning engine's own cost, run by `cargo xtask bench` against its
//! PostgreSQL: steps that do nothing but report one created resource, so
//! what is measured is the queue (claim, lease, step records, announcements).
//! Prints the engine's overhead per step (one worker, p50/p99) and complete
//! workflows per minute with several workers.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/stats.rs"]
mod stats;

use std::{
    future::Future,
    pin::Pin,
    sync::Arc,
    time::{Duration, Instant},
};

use stats::percentile;

use control::{
    clock::SystemClock,
    domain::{CreatedResource, StepFailure},
    infra::store::Db,
    jobs::{ClaimedJob, NewJob, StepRunner, Worker},
    Control,
};

const STEPS: &[&str] = &[
    "namespace",
    "resource_quota",
    "vault_policy",
    "odoo_database",
    "odoo_modules",
    "hydra_client",
    "odoo_sso_provider",
    "ingress",
];
const SEQUENTIAL_WORKFLOWS: usize = 300;
const PARALLEL_WORKFLOWS: usize = 1_200;
const WORKERS: usize = 4;

struct NoOp;

impl StepRunner for NoOp {
    fn run<'a>(
        &'a self,
        job: &'a ClaimedJob,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<CreatedResource>, StepFailure>> + Send + 'a>> {
        Box::pin(async move {
            Ok(vec![CreatedResource {
                backend: "kubernetes".into(),
                kind: job.step_name.clone(),
                id: job.id.simple().to_string(),
            }])
        })
    }
}

async fn enqueue(control: &Control, count: usize) {
    for _ in 0..count {
        control
            .enqueue_job(&NewJob {
                kind: "provision.ecommerce",
                steps: STEPS,
                subscription_id: None,
            })
            .await
            .unwrap();
    }
}

#[tokio::main]
async fn main() {
    let url = std::env::var("BENCH_DATABASE_URL").expect("BENCH_DATABASE_URL: `cargo xtask bench` sets it");
    let db = Db::connect_lazy(&url, 16).unwrap();
    db.migrate().await.unwrap();
    let control = Control::new(db, Arc::new(SystemClock));
    let runner: Arc<dyn StepRunner> = Arc::new(NoOp);

    // One worker, one workflow at a time: the time a workflow takes is the
    // engine's alone (claim, then per step: start, record, finish).
    enqueue(&control, SEQUENTIAL_WORKFLOWS).await;
    let worker = Worker::new(control.clone(), "bench-0", runner.clone());
    let mut per_step = Vec::with_capacity(SEQUENTIAL_WORKFLOWS);
    loop {
        let started = Instant::now();
        if worker.run_one().await.unwrap().is_none() {
            break;
        }
        per_step.push(started.elapsed().as_secs_f64() * 1000.0 / STEPS.len() as f64);
    }
    per_step.sort_by(f64::total_cmp);
    println!(
        "\nprovisioning engine, {}-step workflows of no-op steps, PostgreSQL on loopback:",
        STEPS.len()
    );
    println!(
        "engine overhead per step (one worker, {} workflows): p50 {:.2} ms, p99 {:.2} ms",
        per_step.len(),
        percentile(&per_step, 0.5),
        percentile(&per_step, 0.99)
    );

    // Several workers draining a backlog.
    enqueue(&control, PARALLEL_WORKFLOWS).await;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for index in 1..=WORKERS {
        let worker = Worker::new(control.clone(), format!("bench-{index}"), runner.clone());
        tasks.push(tokio::spawn(async move {
            let mut done = 0_usize;
            while worker.run_one().await.unwrap().is_some() {
                done += 1;
            }
            done
        }));
    }
    let mut done = 0;
    for task in tasks {
        done += task.await.unwrap();
    }
    let elapsed = started.elapsed().max(Duration::from_millis(1));
    println!(
        "throughput ({WORKERS} workers, {done} workflows in {:.1} s): {:.0} complete workflows per minute",
        elapsed.as_secs_f64(),
        done as f64 * 60.0 / elapsed.as_secs_f64()
    );
}
