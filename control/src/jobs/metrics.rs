//! What this process's job workers did, for `/metrics`: step durations by
//! step, failed attempts by backend (counted since the process started),
//! and the queue's depth by state (read from the database when asked, the
//! same on every replica).

use std::{collections::BTreeMap, sync::Mutex};

use crate::{domain::JobState, Control, Result};

/// Upper bounds (seconds) of the step-duration buckets: a Vault write to an
/// Odoo database creation.
pub const STEP_BUCKETS: [f64; 10] = [0.05, 0.25, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0];

/// One step's durations: how many fell at or below each bound (not
/// cumulative), and their count and sum.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StepDurations {
    pub buckets: [u64; STEP_BUCKETS.len()],
    pub count: u64,
    pub sum_seconds: f64,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct JobMetrics {
    pub steps: BTreeMap<String, StepDurations>,
    pub failures_by_backend: BTreeMap<String, u64>,
}

static RECORDED: Mutex<JobMetrics> = Mutex::new(JobMetrics {
    steps: BTreeMap::new(),
    failures_by_backend: BTreeMap::new(),
});

fn recorded() -> std::sync::MutexGuard<'static, JobMetrics> {
    // Counters stay usable after a panic elsewhere held the lock.
    RECORDED.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// One attempt of step `step` took `seconds`, whatever its outcome.
pub fn record_step(step: &str, seconds: f64) {
    let mut metrics = recorded();
    let durations = metrics.steps.entry(step.to_owned()).or_default();
    if let Some(bucket) = STEP_BUCKETS.iter().position(|bound| seconds <= *bound) {
        if let Some(count) = durations.buckets.get_mut(bucket) {
            *count += 1;
        }
    }
    durations.count += 1;
    durations.sum_seconds += seconds;
}

/// One attempt failed because of `backend` (`control` when no backend did).
pub fn record_failure(backend: &str) {
    *recorded()
        .failures_by_backend
        .entry(backend.to_owned())
        .or_default() += 1;
}

/// Everything recorded so far.
pub fn snapshot() -> JobMetrics {
    recorded().clone()
}

impl Control {
    /// Jobs not settled yet, by state (every such state listed, 0 included).
    pub async fn job_queue_depth(&self) -> Result<Vec<(JobState, i64)>> {
        // The states stay literals: the planner uses the partial indexes on
        // them (`jobs_runnable_idx`, `jobs_lease_idx`) only when it sees them.
        let counted = sqlx::query!(
            r#"SELECT state AS "state: JobState", count(*) AS "count!"
                 FROM jobs WHERE state IN ('queued', 'running', 'waiting') GROUP BY state"#,
        )
        .fetch_all(self.db.pool())
        .await?;
        Ok([JobState::Queued, JobState::Running, JobState::Waiting]
            .into_iter()
            .map(|state| {
                let count = counted
                    .iter()
                    .find(|row| row.state == state)
                    .map_or(0, |row| row.count);
                (state, count)
            })
            .collect())
    }
}
