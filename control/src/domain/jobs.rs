//! Provisioning jobs: an ordered list of idempotent steps, their states, and
//! the retry policy. Pure types; the queue that stores them is
//! `control::jobs`.

use serde::{Deserialize, Serialize};
use time::Duration;

/// Stores a state enum as the text its `as_str` gives (the text the
/// column's CHECK constraint allows), read back through its `parse`: in
/// `query!`, `state as "state: JobState"` reads it and `state as JobState`
/// binds it, so a misspelt state does not compile.
#[cfg(feature = "server")]
macro_rules! stored_as_text {
    ($state:ty) => {
        impl sqlx::Type<sqlx::Postgres> for $state {
            fn type_info() -> sqlx::postgres::PgTypeInfo {
                <str as sqlx::Type<sqlx::Postgres>>::type_info()
            }

            fn compatible(ty: &sqlx::postgres::PgTypeInfo) -> bool {
                <str as sqlx::Type<sqlx::Postgres>>::compatible(ty)
            }
        }

        impl sqlx::Encode<'_, sqlx::Postgres> for $state {
            fn encode_by_ref(
                &self,
                buf: &mut sqlx::postgres::PgArgumentBuffer,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <&str as sqlx::Encode<sqlx::Postgres>>::encode(self.as_str(), buf)
            }
        }

        impl sqlx::postgres::PgHasArrayType for $state {
            fn array_type_info() -> sqlx::postgres::PgTypeInfo {
                <&str as sqlx::postgres::PgHasArrayType>::array_type_info()
            }

            fn array_compatible(ty: &sqlx::postgres::PgTypeInfo) -> bool {
                <&str as sqlx::postgres::PgHasArrayType>::array_compatible(ty)
            }
        }

        impl sqlx::Decode<'_, sqlx::Postgres> for $state {
            fn decode(value: sqlx::postgres::PgValueRef<'_>) -> Result<Self, sqlx::error::BoxDynError> {
                let text = <&str as sqlx::Decode<sqlx::Postgres>>::decode(value)?;
                Self::parse(text).ok_or_else(|| format!("unknown {} {text:?}", stringify!($state)).into())
            }
        }
    };
}
#[cfg(feature = "server")]
pub(crate) use stored_as_text;

/// What a platform admin does to a provisioning job (the last segment of
/// its form's path).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobAction {
    /// From its failed step.
    Retry,
    Cancel,
}

impl JobAction {
    pub const ALL: &[Self] = &[Self::Retry, Self::Cancel];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Retry => "retry",
            Self::Cancel => "cancel",
        }
    }

    pub fn parse(segment: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|action| action.as_str() == segment)
    }
}

impl std::fmt::Display for JobAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a job stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum JobState {
    /// Ready for any worker.
    Queued,
    /// A worker holds its lease and runs its current step.
    Running,
    /// Its current step failed for a reason that may pass; retried at `run_at`.
    Waiting,
    Succeeded,
    /// Out of attempts, or refused for good: an admin may retry or cancel it.
    Failed,
    Cancelled,
}

impl JobState {
    pub const ALL: [JobState; 6] = [
        JobState::Queued,
        JobState::Running,
        JobState::Waiting,
        JobState::Succeeded,
        JobState::Failed,
        JobState::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Waiting => "waiting",
            JobState::Succeeded => "succeeded",
            JobState::Failed => "failed",
            JobState::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|state| state.as_str() == text)
    }

    /// Whether nothing more will happen to the job without an admin.
    pub fn is_final(self) -> bool {
        matches!(self, JobState::Succeeded | JobState::Failed | JobState::Cancelled)
    }
}

#[cfg(feature = "server")]
stored_as_text!(JobState);

/// Where one step of a job stands (`job_steps.state`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StepState {
    /// Not run yet, or waiting for its next attempt.
    Pending,
    Running,
    Done,
    /// Its last attempt failed and the job failed or was cancelled with it.
    Failed,
}

impl StepState {
    pub const ALL: [StepState; 4] = [
        StepState::Pending,
        StepState::Running,
        StepState::Done,
        StepState::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StepState::Pending => "pending",
            StepState::Running => "running",
            StepState::Done => "done",
            StepState::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|state| state.as_str() == text)
    }
}

#[cfg(feature = "server")]
stored_as_text!(StepState);

/// Something a step created on a backend, so that deprovisioning and the
/// audit trail can find it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedResource {
    /// `kubernetes`, `vault`, `hydra`, `odoo`, `awx`, `openstack`, `gitlab`, `mqtt`.
    pub backend: String,
    /// What it is on that backend: `namespace`, `policy`, `oauth2_client`…
    pub kind: String,
    /// Its name or id there.
    pub id: String,
}

/// A job as admins see it: its steps, their errors and output, and what it created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobStatus {
    pub id: String,
    pub kind: String,
    pub state: JobState,
    pub current_step: u32,
    pub steps: Vec<StepStatus>,
    pub last_error: Option<String>,
    /// When it runs next (a waiting job), or ran.
    #[serde(with = "time::serde::rfc3339")]
    pub run_at: time::OffsetDateTime,
    pub resources: Vec<CreatedResource>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepStatus {
    pub name: String,
    pub state: StepState,
    pub attempts: u32,
    pub last_error: Option<String>,
    /// What its remote run printed (AWX), for admins.
    pub output: Option<String>,
    /// The worker that ran its latest attempt (`replica-<pid>-<id>-<n>`).
    pub ran_by: Option<String>,
}

/// Why a step did not finish.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepFailure {
    /// A timeout, a 5xx, a refused connection: worth another attempt.
    pub transient: bool,
    /// The backend's own words, kept for admins.
    pub detail: String,
    /// The backend that failed, when one did (for the failure metrics).
    pub backend: Option<&'static str>,
}

impl StepFailure {
    pub fn transient(detail: impl Into<String>) -> Self {
        Self {
            transient: true,
            detail: detail.into(),
            backend: None,
        }
    }

    pub fn permanent(detail: impl Into<String>) -> Self {
        Self {
            transient: false,
            detail: detail.into(),
            backend: None,
        }
    }
}

/// How often and how soon a failing step is tried again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts of one step before the job fails (the first one included).
    pub max_attempts: u32,
    /// The wait after the first failure; it doubles with each one after.
    pub first_delay: Duration,
    /// The longest wait.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            first_delay: Duration::seconds(2),
            max_delay: Duration::minutes(5),
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `failed_attempts + 1`: exponential, capped,
    /// and spread over its upper half by `jitter` (in `[0, 1]`) so that jobs
    /// failing together do not all come back together.
    pub fn delay(&self, failed_attempts: u32, jitter: f64) -> Duration {
        let doublings = failed_attempts.saturating_sub(1).min(30);
        let exponential = self
            .first_delay
            .checked_mul(1_i32 << doublings)
            .unwrap_or(self.max_delay)
            .min(self.max_delay);
        exponential * (0.5 + jitter.clamp(0.0, 1.0) / 2.0)
    }

    /// Whether the attempt that just failed was the last one allowed.
    pub fn exhausted(&self, attempt: u32) -> bool {
        attempt >= self.max_attempts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_cap_and_jitter_spreads_the_upper_half() {
        let policy = RetryPolicy {
            max_attempts: 10,
            first_delay: Duration::seconds(2),
            max_delay: Duration::seconds(60),
        };
        assert_eq!(policy.delay(1, 1.0), Duration::seconds(2));
        assert_eq!(policy.delay(2, 1.0), Duration::seconds(4));
        assert_eq!(policy.delay(3, 1.0), Duration::seconds(8));
        assert_eq!(policy.delay(3, 0.0), Duration::seconds(4));
        assert_eq!(policy.delay(9, 1.0), Duration::seconds(60));
        assert_eq!(policy.delay(u32::MAX, 0.5), Duration::seconds(45));
        assert!(!policy.exhausted(9));
        assert!(policy.exhausted(10));
    }

    #[test]
    fn states_read_back_what_they_write() {
        for state in JobState::ALL {
            assert_eq!(JobState::parse(state.as_str()), Some(state));
        }
        assert_eq!(JobState::parse("done"), None);
        assert!(JobState::Failed.is_final());
        assert!(!JobState::Waiting.is_final());
        for state in StepState::ALL {
            assert_eq!(StepState::parse(state.as_str()), Some(state));
        }
        assert_eq!(StepState::parse("queued"), None);
    }
}
