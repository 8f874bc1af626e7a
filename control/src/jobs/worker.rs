//! A worker: claims jobs, runs their steps through a [`StepRunner`] while a
//! heartbeat keeps the lease, and reports each outcome to the queue.

use std::{future::Future, pin::Pin, sync::Arc};

use time::Duration;
use uuid::Uuid;

use super::{AfterStep, ClaimedJob, PROGRESS_CHANNEL};
use crate::{
    domain::{CreatedResource, RetryPolicy, StepFailure},
    Control, Result,
};

/// What a step's outcome is: what it created, or why it did not finish.
pub type StepOutcome = std::result::Result<Vec<CreatedResource>, StepFailure>;

/// Runs one step of a job on the backends. Steps are idempotent: a step may
/// run again after a crash, a lost lease or a retry, and must then find what
/// it created the first time rather than create it twice.
pub trait StepRunner: Send + Sync + 'static {
    fn run<'a>(&'a self, job: &'a ClaimedJob) -> Pin<Box<dyn Future<Output = StepOutcome> + Send + 'a>>;
}

/// How long an idle worker waits for an announcement before looking again
/// (a job whose retry time came, or whose worker died, is not announced).
const IDLE_POLL: std::time::Duration = std::time::Duration::from_secs(1);

pub struct Worker {
    control: Control,
    name: String,
    lease: Duration,
    policy: RetryPolicy,
    runner: Arc<dyn StepRunner>,
}

enum StepEnd {
    Ran(StepOutcome),
    LeaseLost,
}

impl Worker {
    /// A worker named `name` (unique across replicas: the lease owner).
    pub fn new(control: Control, name: impl Into<String>, runner: Arc<dyn StepRunner>) -> Self {
        Self {
            control,
            name: name.into(),
            lease: Duration::seconds(30),
            policy: RetryPolicy::default(),
            runner,
        }
    }

    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    pub fn with_policy(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Claims one job and runs it as far as it goes now; `None` when nothing
    /// is runnable.
    pub async fn run_one(&self) -> Result<Option<(Uuid, AfterStep)>> {
        let Some(mut claimed) = self.control.claim_job(&self.name, self.lease).await? else {
            return Ok(None);
        };
        let id = claimed.id;
        loop {
            let after = if claimed.attempt > self.policy.max_attempts {
                // Taken over after its workers died this many times: the step
                // itself may be what kills them.
                let failure = StepFailure::permanent(format!(
                    "the step was started {} times without finishing",
                    claimed.attempt - 1
                ));
                self.control.fail_step(&claimed, &failure, &self.policy).await?
            } else {
                let started = std::time::Instant::now();
                let end = self.run_step(&claimed).await;
                super::metrics::record_step(&claimed.step_name, started.elapsed().as_secs_f64());
                match end {
                    StepEnd::Ran(Ok(created)) => {
                        self.control.finish_step(&claimed, &created, self.lease).await?
                    }
                    StepEnd::Ran(Err(failure)) => {
                        super::metrics::record_failure(failure.backend.unwrap_or("control"));
                        self.control.fail_step(&claimed, &failure, &self.policy).await?
                    }
                    StepEnd::LeaseLost => AfterStep::LeaseLost,
                }
            };
            match after {
                AfterStep::Next(next) => claimed = next,
                settled => return Ok(Some((id, settled))),
            }
        }
    }

    /// Runs the step while renewing the lease every third of it; gives the
    /// step up if the lease is lost (another worker has the job by then).
    async fn run_step(&self, claimed: &ClaimedJob) -> StepEnd {
        let beat = std::time::Duration::try_from(self.lease / 3).unwrap_or(std::time::Duration::from_secs(1));
        let heartbeat = async {
            loop {
                tokio::time::sleep(beat).await;
                match self.control.renew_lease(claimed, self.lease).await {
                    Ok(true) => {}
                    Ok(false) => return,
                    // The database is away: keep running; the report will tell.
                    Err(error) => tracing::warn!(%error, job = %claimed.id, "cannot renew a job's lease"),
                }
            }
        };
        tokio::select! {
            outcome = self.runner.run(claimed) => StepEnd::Ran(outcome),
            () = heartbeat => StepEnd::LeaseLost,
        }
    }

    /// Runs jobs until `shutdown` resolves, woken by the queue's
    /// announcements and looking again every second meanwhile.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let mut listener = match sqlx::postgres::PgListener::connect_with(self.control.db().pool()).await {
            Ok(listener) => Some(listener),
            Err(error) => {
                tracing::warn!(%error, "a worker cannot listen for job announcements; it polls");
                None
            }
        };
        if let Some(listener) = listener.as_mut() {
            if let Err(error) = listener.listen(PROGRESS_CHANNEL).await {
                tracing::warn!(%error, "a worker cannot listen for job announcements; it polls");
            }
        }
        tokio::pin!(shutdown);
        loop {
            let idle = match self.run_one().await {
                Ok(Some(_)) => false,
                Ok(None) => true,
                Err(error) => {
                    tracing::warn!(%error, worker = %self.name, "a job step could not be reported");
                    true
                }
            };
            if !idle {
                continue;
            }
            let woken = async {
                match listener.as_mut() {
                    Some(listener) => {
                        let _ = tokio::time::timeout(IDLE_POLL, listener.try_recv()).await;
                    }
                    None => tokio::time::sleep(IDLE_POLL).await,
                }
            };
            tokio::select! {
                () = &mut shutdown => return,
                () = woken => {}
            }
        }
    }
}
