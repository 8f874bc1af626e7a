//! Backups as owners and admins see them (pure: the front end shows them).

use serde::{Deserialize, Serialize};

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
    /// RFC 3339, as every instant here.
    pub created_at: String,
    pub stored_at: Option<String>,
    /// The plaintext's size (what a download gives).
    pub size_bytes: Option<u64>,
    /// Its SHA-256, recorded when stored and checked on every read.
    pub sha256: Option<String>,
    pub offsite: Option<OffsiteState>,
    pub expires_at: String,
    /// The last restore drill of this backup that opened it.
    pub verified_at: Option<String>,
    /// The job taking it (its progress).
    pub job_id: String,
}

/// A service's backups page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupsPage {
    pub subscription_id: String,
    pub offer: super::OfferKind,
    /// Running with no job under way: a backup or restore may start.
    pub idle: bool,
    /// When its daily backup is taken, `HH:MM` UTC.
    pub backup_time: String,
    /// How many days its plan keeps a backup.
    pub retention_days: u32,
    /// Newest first.
    pub backups: Vec<BackupView>,
}

/// A daily backup time as people write it, `HH:MM` (UTC), on the quarter
/// hour or any minute.
pub fn parse_backup_time(text: &str) -> Result<time::Time, super::FieldProblem> {
    let text = text.trim();
    if text.is_empty() {
        return Err(super::FieldProblem::Missing);
    }
    let (hour, minute) = text.split_once(':').ok_or(super::FieldProblem::OutOfRange)?;
    let number = |part: &str| {
        (part.len() == 2 && part.bytes().all(|b| b.is_ascii_digit()))
            .then(|| part.parse::<u8>().ok())
            .flatten()
    };
    let (Some(hour), Some(minute)) = (number(hour), number(minute)) else {
        return Err(super::FieldProblem::OutOfRange);
    };
    time::Time::from_hms(hour, minute, 0).map_err(|_| super::FieldProblem::OutOfRange)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_backup_time_is_hours_and_minutes_of_a_day() {
        assert_eq!(
            parse_backup_time(" 02:30 ").map(|t| (t.hour(), t.minute())),
            Ok((2, 30))
        );
        assert_eq!(
            parse_backup_time("23:59").map(|t| (t.hour(), t.minute())),
            Ok((23, 59))
        );
        assert_eq!(parse_backup_time(""), Err(super::super::FieldProblem::Missing));
        for wrong in ["24:00", "2:30", "12:60", "noon", "12:3a", "-1:00"] {
            assert_eq!(
                parse_backup_time(wrong),
                Err(super::super::FieldProblem::OutOfRange),
                "{wrong}"
            );
        }
    }
}

/// How one running service's backups stand, as admins see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceBackups {
    pub organization_slug: String,
    pub organization_name: String,
    pub subscription_id: String,
    pub offer: super::OfferKind,
    /// The newest backup stored (RFC 3339).
    pub last_stored_at: Option<String>,
    /// No backup stored for more than a day and a bit (the schedule's
    /// day plus its margin), the service older than that.
    pub missing: bool,
    /// Its latest backups that failed, after the last that did not.
    pub failed_in_a_row: u32,
    /// Stored backups whose off-site copy is later than `OFFSITE_LATE_AFTER`.
    pub offsite_late: u32,
    /// The last restore drill that opened a backup (RFC 3339).
    pub last_verified_restore: Option<String>,
    /// Why the last drill failed, when it did.
    pub last_drill_error: Option<String>,
}

impl ServiceBackups {
    /// Something an admin should look at.
    pub fn needs_attention(&self) -> bool {
        self.missing || self.failed_in_a_row > 0 || self.offsite_late > 0 || self.last_drill_error.is_some()
    }
}
