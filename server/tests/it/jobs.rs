//! The provisioning engine's queue against a real PostgreSQL: steps run in
//! order and once, a dead worker's job is taken over when its lease runs
//! out, failures wait with backoff then fail with the backend's error, an
//! admin retries from the failed step or cancels, and every change is
//! announced.

use crate::support;
use std::{
    collections::{HashMap, HashSet, VecDeque},
    future::Future,
    pin::Pin,
    sync::{Arc, Mutex},
};

use control::{
    clock::FixedClock,
    domain::{CreatedResource, JobState, RetryPolicy, StepFailure, StepState},
    infra::store::Db,
    jobs::{AfterStep, ClaimedJob, NewJob, StepRunner, Worker, PROGRESS_CHANNEL},
    Control,
};
use sqlx::postgres::PgListener;
use time::{macros::datetime, Duration};
use uuid::Uuid;

const STEPS: &[&str] = &["namespace", "vault_policy", "odoo_database"];
const LEASE: Duration = Duration::seconds(30);

struct Queue {
    control: Control,
    clock: FixedClock,
    database: String,
}

async fn queue() -> Queue {
    let database = support::database_url(&support::fresh_database().await);
    let clock = FixedClock::new(datetime!(2026-11-26 12:00 UTC));
    Queue {
        control: control_on(&database, &clock),
        clock,
        database,
    }
}

/// Another replica's control plane on the same database.
fn control_on(database: &str, clock: &FixedClock) -> Control {
    Control::new(Db::connect_lazy(database, 4).unwrap(), Arc::new(clock.clone()))
}

fn new_job() -> NewJob<'static> {
    NewJob {
        kind: "provision.ecommerce",
        steps: STEPS,
        subscription_id: None,
    }
}

/// A scripted backend: records every step it runs; fails as told.
#[derive(Default)]
struct Script {
    runs: Mutex<Vec<(Uuid, String, u32)>>,
    failures: Mutex<HashMap<String, VecDeque<StepFailure>>>,
}

impl Script {
    fn failing(step: &str, failures: Vec<StepFailure>) -> Arc<Self> {
        let script = Self::default();
        script
            .failures
            .lock()
            .unwrap()
            .insert(step.to_owned(), failures.into());
        Arc::new(script)
    }

    fn runs_of(&self, step: &str) -> usize {
        self.runs
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, name, _)| name == step)
            .count()
    }
}

impl StepRunner for Script {
    fn run<'a>(
        &'a self,
        job: &'a ClaimedJob,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<CreatedResource>, StepFailure>> + Send + 'a>> {
        Box::pin(async move {
            self.runs
                .lock()
                .unwrap()
                .push((job.id, job.step_name.clone(), job.attempt));
            let failure = self
                .failures
                .lock()
                .unwrap()
                .get_mut(&job.step_name)
                .and_then(VecDeque::pop_front);
            match failure {
                Some(failure) => Err(failure),
                None => Ok(vec![CreatedResource {
                    backend: "kubernetes".into(),
                    kind: job.step_name.clone(),
                    id: format!("tenant-{}", &job.id.simple().to_string()[..8]),
                }]),
            }
        })
    }
}

fn worker(control: &Control, name: &str, script: &Arc<Script>, policy: RetryPolicy) -> Worker {
    Worker::new(control.clone(), name, script.clone())
        .with_lease(LEASE)
        .with_policy(policy)
}

/// Runs the next job as far as it goes now; asserts it was `job` and returns where it settled.
async fn settles(worker: &Worker, job: Uuid) -> JobState {
    match worker.run_one().await.unwrap() {
        Some((ran, AfterStep::Settled(state))) if ran == job => state,
        other => panic!("expected job {job} to settle, got {other:?}"),
    }
}

fn policy(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        first_delay: Duration::seconds(2),
        max_delay: Duration::seconds(60),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_runs_its_steps_in_order_records_what_they_created_and_announces_each_change() {
    let q = queue().await;
    let mut listener = PgListener::connect(&q.database).await.unwrap();
    listener.listen(PROGRESS_CHANNEL).await.unwrap();
    let script = Arc::new(Script::default());

    let job = q.control.enqueue_job(&new_job()).await.unwrap();
    let ran = worker(&q.control, "w1", &script, policy(3))
        .run_one()
        .await
        .unwrap();
    assert_eq!(ran, Some((job, AfterStep::Settled(JobState::Succeeded))));

    let steps: Vec<String> = script
        .runs
        .lock()
        .unwrap()
        .iter()
        .map(|(_, s, _)| s.clone())
        .collect();
    assert_eq!(steps, STEPS);
    let status = q.control.job_status(job).await.unwrap().unwrap();
    assert_eq!(status.state, JobState::Succeeded);
    assert_eq!(status.current_step, 3);
    assert!(status
        .steps
        .iter()
        .all(|s| s.state == StepState::Done && s.attempts == 1));
    assert_eq!(status.resources.len(), 3);
    assert!(status.resources.iter().any(|r| r.kind == "vault_policy"));

    let mut announced = Vec::new();
    while announced.len() < 5 {
        let notice = tokio::time::timeout(std::time::Duration::from_secs(5), listener.recv())
            .await
            .expect("every change is announced")
            .unwrap();
        let body: serde_json::Value = serde_json::from_str(notice.payload()).unwrap();
        assert_eq!(body["job"], job.to_string());
        announced.push(format!("{}:{}", body["state"].as_str().unwrap(), body["step"]));
    }
    assert_eq!(
        announced,
        ["queued:0", "running:0", "running:1", "running:2", "succeeded:3"]
    );
    assert_eq!(
        worker(&q.control, "w1", &script, policy(3))
            .run_one()
            .await
            .unwrap(),
        None
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_on_two_replicas_never_run_a_step_twice() {
    let q = queue().await;
    let other_replica = control_on(&q.database, &q.clock);
    let script = Arc::new(Script::default());
    let mut jobs = HashSet::new();
    for _ in 0..30 {
        jobs.insert(q.control.enqueue_job(&new_job()).await.unwrap());
    }
    let mut workers = Vec::new();
    for (index, control) in [&q.control, &q.control, &other_replica, &other_replica]
        .into_iter()
        .enumerate()
    {
        let worker = worker(control, &format!("w{index}"), &script, policy(3));
        workers.push(tokio::spawn(async move {
            let mut finished = Vec::new();
            while let Some((job, after)) = worker.run_one().await.unwrap() {
                assert_eq!(after, AfterStep::Settled(JobState::Succeeded));
                finished.push(job);
            }
            finished
        }));
    }
    let mut finished = Vec::new();
    for worker in workers {
        finished.extend(worker.await.unwrap());
    }
    assert_eq!(finished.len(), 30, "each job finished once");
    assert_eq!(finished.into_iter().collect::<HashSet<_>>(), jobs);
    let runs = script.runs.lock().unwrap().clone();
    assert_eq!(runs.len(), 90);
    let distinct: HashSet<_> = runs.iter().map(|(job, step, _)| (*job, step.clone())).collect();
    assert_eq!(distinct.len(), 90, "no step ran twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_workers_job_is_taken_over_when_its_lease_runs_out() {
    let q = queue().await;
    let script = Arc::new(Script::default());
    let job = q.control.enqueue_job(&new_job()).await.unwrap();
    // Worker "dead" claims the job, then is killed before reporting.
    let abandoned = q.control.claim_job("dead", LEASE).await.unwrap().unwrap();
    assert_eq!((abandoned.step, abandoned.attempt), (0, 1));

    let survivor = worker(&q.control, "survivor", &script, policy(3));
    assert_eq!(survivor.run_one().await.unwrap(), None, "the lease still holds");
    q.clock.advance(LEASE + Duration::seconds(1));
    assert_eq!(settles(&survivor, job).await, JobState::Succeeded);
    assert_eq!(script.runs.lock().unwrap()[0], (job, "namespace".to_owned(), 2));
    // Each step names the worker that ran it last, after the lease is gone.
    let status = q.control.job_status(job).await.unwrap().unwrap();
    let ran_by: Vec<_> = status.steps.iter().map(|step| step.ran_by.as_deref()).collect();
    assert_eq!(ran_by, vec![Some("survivor"); status.steps.len()]);

    // The dead worker's late report is dropped.
    let late = q.control.finish_step(&abandoned, &[], LEASE).await.unwrap();
    assert_eq!(late, AfterStep::LeaseLost);
    assert_eq!(
        q.control.job_status(job).await.unwrap().unwrap().state,
        JobState::Succeeded
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transient_failure_waits_with_growing_jittered_delays_then_goes_on() {
    let q = queue().await;
    let script = Script::failing(
        "vault_policy",
        vec![
            StepFailure::transient("vault: 503 Service Unavailable"),
            StepFailure::transient("vault: connection refused"),
        ],
    );
    let job = q.control.enqueue_job(&new_job()).await.unwrap();
    let worker = worker(&q.control, "w1", &script, policy(5));

    assert_eq!(settles(&worker, job).await, JobState::Waiting);
    let waiting = q.control.job_status(job).await.unwrap().unwrap();
    assert_eq!(waiting.current_step, 1);
    assert_eq!(
        waiting.last_error.as_deref(),
        Some("vault: 503 Service Unavailable")
    );
    let delay = waiting.run_at - q.clock_now();
    assert!(
        delay >= Duration::seconds(1) && delay <= Duration::seconds(2),
        "{delay}"
    );
    assert_eq!(worker.run_one().await.unwrap(), None, "not before its time");

    q.clock.advance(delay);
    assert_eq!(settles(&worker, job).await, JobState::Waiting);
    let second = q.control.job_status(job).await.unwrap().unwrap();
    let delay = second.run_at - q.clock_now();
    assert!(
        delay >= Duration::seconds(2) && delay <= Duration::seconds(4),
        "{delay}"
    );

    q.clock.advance(delay);
    assert_eq!(settles(&worker, job).await, JobState::Succeeded);
    assert_eq!(script.runs_of("namespace"), 1, "a finished step is not run again");
    assert_eq!(script.runs_of("vault_policy"), 3);
    let done = q.control.job_status(job).await.unwrap().unwrap();
    assert_eq!(done.steps[1].attempts, 3);
    assert_eq!(done.last_error, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_attempts_the_job_fails_with_the_backends_error_and_an_admin_retries_from_that_step() {
    let q = queue().await;
    let script = Script::failing(
        "odoo_database",
        vec![
            StepFailure::transient("odoo: timeout"),
            StepFailure::transient("odoo: timeout"),
            StepFailure::transient("odoo: 502 Bad Gateway"),
        ],
    );
    let job = q.control.enqueue_job(&new_job()).await.unwrap();
    let worker = worker(&q.control, "w1", &script, policy(3));
    let mut last = None;
    for _ in 0..3 {
        last = worker.run_one().await.unwrap();
        q.clock.advance(Duration::minutes(1));
    }
    assert_eq!(last, Some((job, AfterStep::Settled(JobState::Failed))));
    let failed = q.control.job_status(job).await.unwrap().unwrap();
    assert_eq!(failed.last_error.as_deref(), Some("odoo: 502 Bad Gateway"));
    assert_eq!(failed.steps[2].state, StepState::Failed);
    assert_eq!(
        worker.run_one().await.unwrap(),
        None,
        "a failed job waits for an admin"
    );

    assert_eq!(failed.steps[2].ran_by.as_deref(), Some("w1"));
    assert!(q.control.retry_job(job).await.unwrap());
    assert!(
        !q.control.retry_job(job).await.unwrap(),
        "only a failed job is retried"
    );
    // Counted afresh: no attempt yet, so no worker either.
    let retried = q.control.job_status(job).await.unwrap().unwrap().steps[2].clone();
    assert_eq!((retried.attempts, retried.ran_by), (0, None));
    assert_eq!(settles(&worker, job).await, JobState::Succeeded);
    assert_eq!(script.runs_of("namespace"), 1);
    assert_eq!(script.runs_of("vault_policy"), 1);
    assert_eq!(script.runs_of("odoo_database"), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_permanent_failure_fails_the_job_at_once() {
    let q = queue().await;
    let script = Script::failing(
        "namespace",
        vec![StepFailure::permanent("kubernetes: 422 namespace name invalid")],
    );
    let job = q.control.enqueue_job(&new_job()).await.unwrap();
    assert_eq!(
        worker(&q.control, "w1", &script, policy(8))
            .run_one()
            .await
            .unwrap(),
        Some((job, AfterStep::Settled(JobState::Failed)))
    );
    assert_eq!(script.runs_of("namespace"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_stops_a_queued_job_at_once_and_a_running_one_after_its_step() {
    let q = queue().await;
    let script = Arc::new(Script::default());
    let queued = q.control.enqueue_job(&new_job()).await.unwrap();
    assert!(q.control.cancel_job(queued).await.unwrap());
    assert_eq!(
        q.control.job_status(queued).await.unwrap().unwrap().state,
        JobState::Cancelled
    );
    assert_eq!(
        worker(&q.control, "w1", &script, policy(3))
            .run_one()
            .await
            .unwrap(),
        None
    );
    assert!(!q.control.cancel_job(queued).await.unwrap(), "already ended");

    let running = q.control.enqueue_job(&new_job()).await.unwrap();
    let claimed = q.control.claim_job("w2", LEASE).await.unwrap().unwrap();
    assert!(q.control.cancel_job(running).await.unwrap());
    assert_eq!(
        q.control.job_status(running).await.unwrap().unwrap().state,
        JobState::Running,
        "the step under way finishes"
    );
    assert_eq!(
        q.control.finish_step(&claimed, &[], LEASE).await.unwrap(),
        AfterStep::Settled(JobState::Cancelled)
    );
    let status = q.control.job_status(running).await.unwrap().unwrap();
    assert_eq!(status.current_step, 1);
    assert_eq!(status.steps[1].state, StepState::Pending);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_worker_takes_queued_jobs_until_it_is_stopped() {
    let q = queue().await;
    let script = Arc::new(Script::default());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = worker(&q.control, "w1", &script, policy(3));
    let running = tokio::spawn(worker.run(async {
        let _ = stopped.await;
    }));
    let mut jobs = Vec::new();
    for _ in 0..3 {
        jobs.push(q.control.enqueue_job(&new_job()).await.unwrap());
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    for job in jobs {
        let mut state = JobState::Queued;
        for _ in 0..100 {
            state = q.control.job_status(job).await.unwrap().unwrap().state;
            if state.is_final() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(state, JobState::Succeeded);
    }
    stop.send(()).unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(5), running)
        .await
        .expect("the worker stops when told")
        .unwrap();
    assert_eq!(script.runs.lock().unwrap().len(), 9);
}

/// A step that runs until it is let go.
#[derive(Default)]
struct Gate {
    open: tokio::sync::Notify,
}

impl StepRunner for Gate {
    fn run<'a>(
        &'a self,
        _job: &'a ClaimedJob,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<CreatedResource>, StepFailure>> + Send + 'a>> {
        Box::pin(async move {
            self.open.notified().await;
            Ok(Vec::new())
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_step_keeps_its_lease_through_heartbeats() {
    let q = queue().await;
    let gate = Arc::new(Gate::default());
    let job = q
        .control
        .enqueue_job(&NewJob {
            kind: "provision.iot",
            steps: &["ingestion_workload"],
            subscription_id: None,
        })
        .await
        .unwrap();
    // A lease of 600 ms renewed every 200 ms, while the clock moves 300 ms
    // for every 450 ms that pass: the step outlives its first lease many times.
    let lease = Duration::milliseconds(600);
    let worker = Worker::new(q.control.clone(), "slow", gate.clone()).with_lease(lease);
    let running = tokio::spawn(async move { worker.run_one().await.unwrap() });
    for _ in 0..6 {
        tokio::time::sleep(std::time::Duration::from_millis(450)).await;
        q.clock.advance(Duration::milliseconds(300));
        assert_eq!(q.control.claim_job("other", lease).await.unwrap(), None);
    }
    gate.open.notify_one();
    assert_eq!(
        running.await.unwrap(),
        Some((job, AfterStep::Settled(JobState::Succeeded)))
    );
}

impl Queue {
    fn clock_now(&self) -> time::OffsetDateTime {
        use control::clock::Clock;
        self.clock.now()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_metrics_show_the_queue_step_durations_and_failures_by_backend() {
    let app = support::TestApp::spawn().await;
    let failure = StepFailure {
        backend: Some("gitlab"),
        ..StepFailure::transient("gitlab is unavailable: 502")
    };
    let script = Script::failing("metrics_probe", vec![failure]);
    let steps: &[&str] = &["metrics_probe"];
    let waiting = app
        .control
        .enqueue_job(&NewJob {
            kind: "provision.ecommerce",
            steps,
            subscription_id: None,
        })
        .await
        .unwrap();
    assert_eq!(
        settles(&worker(&app.control, "w1", &script, policy(3)), waiting).await,
        JobState::Waiting
    );
    app.control
        .enqueue_job(&NewJob {
            kind: "provision.ecommerce",
            steps,
            subscription_id: None,
        })
        .await
        .unwrap();

    let text = app.get_operations("/metrics").await.text().await.unwrap();
    for line in [
        r#"jobs_queue_depth{state="queued"} 1"#,
        r#"jobs_queue_depth{state="waiting"} 1"#,
        r#"jobs_queue_depth{state="running"} 0"#,
    ] {
        assert!(text.lines().any(|l| l == line), "{line} in {text}");
    }
    assert!(
        text.lines()
            .any(|l| l.starts_with(r#"job_step_duration_seconds_count{step="metrics_probe"} "#)),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with(r#"job_step_duration_seconds_bucket{le="+Inf",step="metrics_probe"} "#)),
        "{text}"
    );
    let failures: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix(r#"job_step_failures_total{backend="gitlab"} "#))
        .unwrap_or_else(|| panic!("failures by backend in {text}"))
        .parse()
        .unwrap();
    assert!(failures >= 1);
}
