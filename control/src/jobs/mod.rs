//! The provisioning engine's queue, in PostgreSQL (ARCHITECTURE.md,
//! "Provisioning engine"). A job is an ordered list of idempotent steps.
//! Workers on any replica claim a runnable job with `FOR UPDATE SKIP LOCKED`
//! and hold a lease they renew while a step runs; a job whose lease ran out
//! (its worker died) is taken over by the next claim. Every change of a job
//! is announced on `job_progress` in the transaction that makes it.

pub mod metrics;
pub mod notices;
mod worker;

use sqlx::{PgConnection, Postgres, Transaction};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

pub use worker::{StepOutcome, StepRunner, Worker};

use crate::{
    domain::{CreatedResource, JobState, JobStatus, RetryPolicy, StepFailure, StepState, StepStatus},
    Control, Error, PageChange, Result,
};

/// The channel that announces each change of a job (JSON: `job`, `state`,
/// `step`, `subscription`).
pub const PROGRESS_CHANNEL: &str = "job_progress";

/// A job to queue: its kind (which workflow) and its steps, in order.
#[derive(Debug, Clone)]
pub struct NewJob<'a> {
    pub kind: &'a str,
    pub steps: &'a [&'a str],
    pub subscription_id: Option<Uuid>,
}

/// A job a worker holds the lease of, at its current step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedJob {
    pub id: Uuid,
    pub kind: String,
    pub step: u32,
    pub step_name: String,
    /// The subscription the job provisions, if any.
    pub subscription_id: Option<Uuid>,
    /// This attempt of the step, from 1.
    pub attempt: u32,
    pub worker: String,
}

/// What happened to a job after its step was reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterStep {
    /// The next step is this worker's to run (the lease is kept).
    Next(ClaimedJob),
    /// The job reached this state (done, waiting, failed, cancelled).
    Settled(JobState),
    /// The lease ran out meanwhile and another worker owns the job: this
    /// worker's result is dropped (the step is idempotent and runs again there).
    LeaseLost,
}

fn count(value: i32) -> u32 {
    u32::try_from(value).unwrap_or(0)
}

fn position(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

/// A uniform number in `[0, 1]` for the retry jitter.
fn jitter() -> f64 {
    let mut bytes = [0u8; 4];
    match getrandom::getrandom(&mut bytes) {
        Ok(()) => f64::from(u32::from_le_bytes(bytes)) / f64::from(u32::MAX),
        Err(_) => 0.5,
    }
}

async fn announce(tx: &mut PgConnection, job: Uuid, state: JobState, step: i32) -> Result<()> {
    // The subscription lets live pages pick their own jobs' announcements.
    sqlx::query!(
        "SELECT pg_notify($1, json_build_object('job', $2::uuid, 'state', $3::text, 'step', $4::int,
                                                'subscription', (SELECT subscription_id FROM jobs WHERE id = $2))::text)",
        PROGRESS_CHANNEL,
        job,
        state as JobState,
        step,
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// A claimed job as the queue's updates return it.
struct JobRow {
    id: Uuid,
    kind: String,
    current_step: i32,
    attempts: i32,
    subscription_id: Option<Uuid>,
}

/// Claims the job's current step for `worker` inside `tx`, the job row
/// being already updated to `running`: counts the attempt on the step.
async fn start_step(
    tx: &mut Transaction<'_, Postgres>,
    job: JobRow,
    worker: &str,
    now: OffsetDateTime,
) -> Result<ClaimedJob> {
    let JobRow {
        id,
        kind,
        current_step: step,
        attempts,
        subscription_id,
    } = job;
    let name = sqlx::query_scalar!(
        "UPDATE job_steps SET state = $5, attempts = attempts + 1, ran_by = $4,
                started_at = coalesce(started_at, $3), last_error = NULL
          WHERE job_id = $1 AND position = $2
          RETURNING name",
        id,
        step,
        now,
        worker,
        StepState::Running as StepState,
    )
    .fetch_one(&mut **tx)
    .await?;
    announce(tx, id, JobState::Running, step).await?;
    Ok(ClaimedJob {
        id,
        kind,
        step: count(step),
        step_name: name,
        subscription_id,
        attempt: count(attempts),
        worker: worker.to_owned(),
    })
}

/// Queues `job` inside `tx` (workers are woken when it commits).
pub(crate) async fn enqueue_in(tx: &mut PgConnection, job: &NewJob<'_>, now: OffsetDateTime) -> Result<Uuid> {
    let id = Uuid::new_v4();
    let step_count = i32::try_from(job.steps.len()).map_err(|_| Error::InvalidStoredData {
        table: "jobs",
        detail: "too many steps".into(),
    })?;
    sqlx::query!(
        "INSERT INTO jobs (id, kind, subscription_id, state, step_count, run_at, created_at, updated_at)
         VALUES ($1, $2, $3, $6, $4, $5, $5, $5)",
        id,
        job.kind,
        job.subscription_id,
        step_count,
        now,
        JobState::Queued as JobState,
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "INSERT INTO job_steps (job_id, position, name)
         SELECT $1, ordinality - 1, name FROM unnest($2::text[]) WITH ORDINALITY AS s(name, ordinality)",
        id,
        job.steps as &[&str],
    )
    .execute(&mut *tx)
    .await?;
    announce(tx, id, JobState::Queued, 0).await?;
    Ok(id)
}

pub(crate) async fn retry_job_in(tx: &mut PgConnection, job: Uuid, now: OffsetDateTime) -> Result<bool> {
    // A later job of the subscription superseded this one (a close after a
    // failed provisioning): running it again would undo that one.
    let step = sqlx::query_scalar!(
        "UPDATE jobs SET state = $3, attempts = 0, run_at = $2, updated_at = $2, finished_at = NULL
          WHERE id = $1 AND state = $4
            AND NOT EXISTS (SELECT 1 FROM jobs later
                             WHERE later.subscription_id = jobs.subscription_id AND later.seq > jobs.seq)
          RETURNING current_step",
        job,
        now,
        JobState::Queued as JobState,
        JobState::Failed as JobState,
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(step) = step else {
        return Ok(false);
    };
    sqlx::query!(
        "UPDATE job_steps SET state = $3, attempts = 0, finished_at = NULL, ran_by = NULL
          WHERE job_id = $1 AND position = $2",
        job,
        step,
        StepState::Pending as StepState,
    )
    .execute(&mut *tx)
    .await?;
    announce(tx, job, JobState::Queued, step).await?;
    Ok(true)
}

impl Control {
    /// Queues a job; workers are woken by the announcement.
    pub async fn enqueue_job(&self, job: &NewJob<'_>) -> Result<Uuid> {
        let mut tx = self.db.pool().begin().await?;
        let id = enqueue_in(&mut tx, job, self.clock.now()).await?;
        let touched = job.subscription_id.into_iter().collect();
        self.commit_page_change(tx, PageChange::Subscriptions(touched))
            .await?;
        Ok(id)
    }

    /// Claims the runnable job that has waited longest (or one whose lease
    /// ran out) for `worker`, with a lease of `lease`.
    pub async fn claim_job(&self, worker: &str, lease: Duration) -> Result<Option<ClaimedJob>> {
        let now = self.clock.now();
        let mut tx = self.db.pool().begin().await?;
        // The runnable states stay literals here: the partial index
        // `jobs_runnable_idx` is only used when the planner sees them.
        let claimed = sqlx::query_as!(
            JobRow,
            "UPDATE jobs SET state = 'running', lease_owner = $1, lease_expires_at = $3,
                    attempts = attempts + 1, updated_at = $2
              WHERE id = (SELECT id FROM jobs
                           WHERE (state IN ('queued', 'waiting') AND run_at <= $2)
                              OR (state = 'running' AND lease_expires_at < $2)
                           ORDER BY run_at, seq
                           LIMIT 1
                           FOR UPDATE SKIP LOCKED)
              RETURNING id, kind, current_step, attempts, subscription_id",
            worker,
            now,
            now + lease,
        )
        .fetch_optional(&mut *tx)
        .await?;
        let Some(job) = claimed else {
            return Ok(None);
        };
        let claimed = start_step(&mut tx, job, worker, now).await?;
        let touched = claimed.subscription_id.into_iter().collect();
        self.commit_page_change(tx, PageChange::Subscriptions(touched))
            .await?;
        Ok(Some(claimed))
    }

    /// Pushes the lease back; `false` when the job is no longer this worker's.
    pub async fn renew_lease(&self, job: &ClaimedJob, lease: Duration) -> Result<bool> {
        let now = self.clock.now();
        let renewed = sqlx::query!(
            "UPDATE jobs SET lease_expires_at = $3
              WHERE id = $1 AND lease_owner = $2 AND state = $5 AND lease_expires_at >= $4",
            job.id,
            job.worker,
            now + lease,
            now,
            JobState::Running as JobState,
        )
        .execute(self.db.pool())
        .await?
        .rows_affected();
        Ok(renewed == 1)
    }

    /// Locks the job if `claimed` still holds its lease at its step.
    async fn still_ours(
        tx: &mut PgConnection,
        claimed: &ClaimedJob,
        now: OffsetDateTime,
    ) -> Result<Option<(i32, bool)>> {
        let held = sqlx::query!(
            "SELECT step_count, cancel_requested FROM jobs
              WHERE id = $1 AND lease_owner = $2 AND state = $5
                AND current_step = $3 AND lease_expires_at >= $4
              FOR UPDATE",
            claimed.id,
            claimed.worker,
            position(claimed.step),
            now,
            JobState::Running as JobState,
        )
        .fetch_optional(&mut *tx)
        .await?;
        Ok(held.map(|job| (job.step_count, job.cancel_requested)))
    }

    /// Records the step as done with what it created, and moves on: the next
    /// step stays with this worker, unless it was the last one or the job
    /// was cancelled meanwhile.
    pub async fn finish_step(
        &self,
        claimed: &ClaimedJob,
        created: &[CreatedResource],
        lease: Duration,
    ) -> Result<AfterStep> {
        let now = self.clock.now();
        let step = position(claimed.step);
        let mut tx = self.db.pool().begin().await?;
        let Some((step_count, cancel_requested)) = Self::still_ours(&mut tx, claimed, now).await? else {
            return Ok(AfterStep::LeaseLost);
        };
        for resource in created {
            sqlx::query!(
                "INSERT INTO job_resources (job_id, position, backend, kind, external_id, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                claimed.id,
                step,
                resource.backend,
                resource.kind,
                resource.id,
                now,
            )
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query!(
            "UPDATE job_steps SET state = $4, finished_at = $3, last_error = NULL
              WHERE job_id = $1 AND position = $2",
            claimed.id,
            step,
            now,
            StepState::Done as StepState,
        )
        .execute(&mut *tx)
        .await?;
        let next = step + 1;
        let settled = if next >= step_count {
            Some(JobState::Succeeded)
        } else if cancel_requested {
            Some(JobState::Cancelled)
        } else {
            None
        };
        let after = match settled {
            Some(state) => {
                sqlx::query!(
                    "UPDATE jobs SET state = $2, current_step = $3, attempts = 0, last_error = NULL,
                            lease_owner = NULL, lease_expires_at = NULL, updated_at = $4, finished_at = $4
                      WHERE id = $1",
                    claimed.id,
                    state as JobState,
                    next,
                    now,
                )
                .execute(&mut *tx)
                .await?;
                announce(&mut tx, claimed.id, state, next).await?;
                AfterStep::Settled(state)
            }
            None => {
                let row = sqlx::query_as!(
                    JobRow,
                    "UPDATE jobs SET current_step = $2, attempts = 1, last_error = NULL,
                            lease_expires_at = $3, updated_at = $4
                      WHERE id = $1
                      RETURNING id, kind, current_step, attempts, subscription_id",
                    claimed.id,
                    next,
                    now + lease,
                    now,
                )
                .fetch_one(&mut *tx)
                .await?;
                AfterStep::Next(start_step(&mut tx, row, &claimed.worker, now).await?)
            }
        };
        let touched = claimed.subscription_id.into_iter().collect();
        self.commit_page_change(tx, PageChange::Subscriptions(touched))
            .await?;
        Ok(after)
    }

    /// Records a failed attempt: the job waits for a later attempt (exponential
    /// backoff with jitter) or, out of attempts or refused for good, fails
    /// with the backend's error kept for admins.
    pub async fn fail_step(
        &self,
        claimed: &ClaimedJob,
        failure: &StepFailure,
        policy: &RetryPolicy,
    ) -> Result<AfterStep> {
        let now = self.clock.now();
        let step = position(claimed.step);
        let mut tx = self.db.pool().begin().await?;
        let Some((_, cancel_requested)) = Self::still_ours(&mut tx, claimed, now).await? else {
            return Ok(AfterStep::LeaseLost);
        };
        let state = if cancel_requested {
            JobState::Cancelled
        } else if !failure.transient || policy.exhausted(claimed.attempt) {
            JobState::Failed
        } else {
            JobState::Waiting
        };
        let run_at = now + policy.delay(claimed.attempt, jitter());
        // A waiting job runs the step again: it is pending until then.
        let waits = state == JobState::Waiting;
        let step_state = if waits {
            StepState::Pending
        } else {
            StepState::Failed
        };
        sqlx::query!(
            "UPDATE job_steps SET state = $3, last_error = $4, finished_at = CASE WHEN $6 THEN NULL ELSE $5::timestamptz END
              WHERE job_id = $1 AND position = $2",
            claimed.id,
            step,
            step_state as StepState,
            failure.detail,
            now,
            waits,
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query!(
            "UPDATE jobs SET state = $2, last_error = $3, run_at = $4,
                    lease_owner = NULL, lease_expires_at = NULL, updated_at = $5,
                    finished_at = CASE WHEN $6 THEN NULL ELSE $5::timestamptz END
              WHERE id = $1",
            claimed.id,
            state as JobState,
            failure.detail,
            run_at,
            now,
            waits,
        )
        .execute(&mut *tx)
        .await?;
        announce(&mut tx, claimed.id, state, step).await?;
        if state == JobState::Failed {
            notices::queue_failed_setup(&mut tx, claimed, now).await?;
            notices::queue_backups_failing(&mut tx, claimed, now).await?;
        }
        let touched = claimed.subscription_id.into_iter().collect();
        self.commit_page_change(tx, PageChange::Subscriptions(touched))
            .await?;
        Ok(AfterStep::Settled(state))
    }

    /// An admin's retry of a failed job: from the step that failed, with its
    /// attempts counted afresh. `false` when the job is not failed, or is
    /// no longer its subscription's latest job.
    pub async fn retry_job(&self, job: Uuid) -> Result<bool> {
        let mut tx = self.db.pool().begin().await?;
        let retried = retry_job_in(&mut tx, job, self.clock.now()).await?;
        // Admins' actions, seldom: not worth finding the one page.
        self.commit_page_change(tx, PageChange::Everything).await?;
        Ok(retried)
    }

    /// Cancels a job: at once when no worker runs it, else after the step
    /// running now. `false` when it has already ended.
    pub async fn cancel_job(&self, job: Uuid) -> Result<bool> {
        let mut tx = self.db.pool().begin().await?;
        let cancelled = self.cancel_job_in(&mut tx, job, self.clock.now()).await?;
        self.commit_page_change(tx, PageChange::Everything).await?;
        Ok(cancelled)
    }

    pub(crate) async fn cancel_job_in(
        &self,
        tx: &mut PgConnection,
        job: Uuid,
        now: OffsetDateTime,
    ) -> Result<bool> {
        let cancellable = [
            JobState::Queued,
            JobState::Waiting,
            JobState::Running,
            JobState::Failed,
        ];
        // A running job is cancelled by its worker after the step it runs.
        let found = sqlx::query!(
            r#"UPDATE jobs SET cancel_requested = true,
                    state = CASE WHEN state = $3 THEN state ELSE $4 END,
                    finished_at = CASE WHEN state = $3 THEN NULL ELSE $2::timestamptz END,
                    updated_at = $2
              WHERE id = $1 AND state = ANY($5)
              RETURNING state AS "state: JobState", current_step"#,
            job,
            now,
            JobState::Running as JobState,
            JobState::Cancelled as JobState,
            &cancellable as &[JobState],
        )
        .fetch_optional(&mut *tx)
        .await?;
        let Some(found) = found else {
            return Ok(false);
        };
        announce(tx, job, found.state, found.current_step).await?;
        Ok(true)
    }

    /// Keeps what the step's remote run printed (the last 64 KiB), for admins.
    pub async fn record_step_output(&self, job: &ClaimedJob, output: &str) -> Result<()> {
        const KEPT: usize = 64 * 1024;
        let mut start = output.len().saturating_sub(KEPT);
        while !output.is_char_boundary(start) {
            start += 1;
        }
        sqlx::query!(
            "UPDATE job_steps SET output = $3 WHERE job_id = $1 AND position = $2",
            job.id,
            position(job.step),
            &output[start..],
        )
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// A job with its steps and what they created.
    pub async fn job_status(&self, job: Uuid) -> Result<Option<JobStatus>> {
        let mut conn = self.db.pool().acquire().await?;
        job_status_on(&mut conn, job).await
    }
}

/// A job with its steps and what they created, read on `conn`.
pub(crate) async fn job_status_on(conn: &mut PgConnection, job: Uuid) -> Result<Option<JobStatus>> {
    let row = sqlx::query!(
        r#"SELECT kind, state AS "state: JobState", current_step, last_error, run_at FROM jobs WHERE id = $1"#,
        job,
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let steps = sqlx::query!(
        r#"SELECT name, state AS "state: StepState", attempts, last_error, output, ran_by
             FROM job_steps WHERE job_id = $1 ORDER BY position"#,
        job,
    )
    .fetch_all(&mut *conn)
    .await?;
    let resources = sqlx::query_as!(
        CreatedResource,
        r#"SELECT backend, kind, external_id AS id FROM job_resources WHERE job_id = $1
              ORDER BY position, backend, kind, external_id"#,
        job,
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(Some(JobStatus {
        id: job.to_string(),
        kind: row.kind,
        state: row.state,
        current_step: count(row.current_step),
        steps: steps
            .into_iter()
            .map(|step| StepStatus {
                name: step.name,
                state: step.state,
                attempts: count(step.attempts),
                last_error: step.last_error,
                output: step.output,
                ran_by: step.ran_by,
            })
            .collect(),
        last_error: row.last_error,
        run_at: row.run_at,
        resources,
    }))
}
