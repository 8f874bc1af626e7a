//! Backups as owners and admins see them (pure: the front end shows them).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Who asked for a backup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BackupOrigin {
    /// The daily schedule (at the subscription's backup time).
    Scheduled,
    /// An owner or admin, from the portal, the API or the command line.
    OnDemand,
}

impl BackupOrigin {
    pub fn code(self) -> &'static str {
        match self {
            BackupOrigin::Scheduled => "scheduled",
            BackupOrigin::OnDemand => "on_demand",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [BackupOrigin::Scheduled, BackupOrigin::OnDemand]
            .into_iter()
            .find(|origin| origin.code() == code)
    }
}

/// Where a backup stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BackupState {
    /// Its job is queued, running, or waiting to try again.
    InProgress,
    /// Its job failed (an admin sees why).
    Failed,
    /// Stored in the primary storage (the off-site copy may follow).
    Stored,
    /// Past its retention: removed from both storages.
    Expired,
}

/// The off-site copy of a backup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OffsiteState {
    Copied,
    /// Not copied yet, less than `OFFSITE_LATE_AFTER` after it was stored.
    Pending,
    /// Not copied, and later than it should be.
    Late,
}

/// An off-site copy still missing this long after the backup was stored is late.
pub const OFFSITE_LATE_AFTER: time::Duration = time::Duration::hours(1);

/// One backup of a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupView {
    pub id: String,
    pub subscription_id: String,
    pub origin: BackupOrigin,
    pub state: BackupState,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub stored_at: Option<OffsetDateTime>,
    /// The plaintext's size (what a download gives).
    pub size_bytes: Option<u64>,
    /// Its SHA-256, recorded when stored and checked on every read.
    pub sha256: Option<String>,
    pub offsite: Option<OffsiteState>,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// The last restore drill of this backup that opened it.
    #[serde(with = "time::serde::rfc3339::option")]
    pub verified_at: Option<OffsetDateTime>,
    /// The job taking it (its progress).
    pub job_id: String,
}
