//! Owners' and admins' backups of their services: seeing them, taking
//! one, restoring one (typed confirmation), and choosing when the daily
//! one is taken. Members and learners see none of it
//! (`Permission::ManageBackups`); another organization's backups are not
//! found.

use serde_json::json;
use time::{OffsetDateTime, Time};
use uuid::Uuid;

use super::access::{check, Need};
use crate::{
    audit::AuditEvent,
    backups::records::{idle_running, queue_backup, queue_restore},
    domain::{
        Action, AuditAction, BackupOrigin, BackupState, BackupView, FieldProblem, JobState, OffsiteState,
        Permission, Refusal, OFFSITE_LATE_AFTER,
    },
    or_refuse, Caller, Control, Error, Outcome,
};

struct BackupRow {
    id: Uuid,
    subscription_id: Uuid,
    job_id: Uuid,
    origin: String,
    created_at: OffsetDateTime,
    stored_at: Option<OffsetDateTime>,
    size_bytes: Option<i64>,
    sha256: Option<String>,
    offsite_at: Option<OffsetDateTime>,
    expires_at: OffsetDateTime,
    pruned_at: Option<OffsetDateTime>,
    job_state: JobState,
    verified_at: Option<OffsetDateTime>,
}

impl BackupRow {
    fn view(self, now: OffsetDateTime) -> crate::Result<BackupView> {
        let origin = BackupOrigin::parse(&self.origin).ok_or_else(|| Error::InvalidStoredData {
            table: "backups",
            detail: format!("unknown origin {:?}", self.origin),
        })?;
        let state = if self.pruned_at.is_some() {
            BackupState::Expired
        } else if self.stored_at.is_some() {
            BackupState::Stored
        } else if matches!(self.job_state, JobState::Failed | JobState::Cancelled) {
            BackupState::Failed
        } else {
            BackupState::InProgress
        };
        let offsite = match (self.stored_at, self.offsite_at, self.pruned_at) {
            (_, _, Some(_)) | (None, _, _) => None,
            (Some(_), Some(_), None) => Some(OffsiteState::Copied),
            (Some(stored), None, None) if now - stored > OFFSITE_LATE_AFTER => Some(OffsiteState::Late),
            (Some(_), None, None) => Some(OffsiteState::Pending),
        };
        Ok(BackupView {
            id: self.id.to_string(),
            subscription_id: self.subscription_id.to_string(),
            origin,
            state,
            created_at: self.created_at,
            stored_at: self.stored_at,
            size_bytes: self.size_bytes.and_then(|size| u64::try_from(size).ok()),
            sha256: self.sha256,
            offsite,
            expires_at: self.expires_at,
            verified_at: self.verified_at,
            job_id: self.job_id.to_string(),
        })
    }
}

impl Control {
    /// The backups of the organization's `subscription`, newest first.
    pub async fn backups(&self, caller: &Caller, slug: &str, subscription: Uuid) -> Outcome<Vec<BackupView>> {
        let mut conn = self.db.pool().acquire().await?;
        let org = or_refuse!(check(&mut conn, caller, slug, Need::read(Permission::ManageBackups)).await?);
        let rows = sqlx::query_as!(
            BackupRow,
            r#"SELECT b.id, b.subscription_id, b.job_id, b.origin, b.created_at, b.stored_at, b.size_bytes, b.sha256,
                      b.offsite_at, b.expires_at, b.pruned_at, j.state AS "job_state: JobState",
                      (SELECT max(r.checked_at) FROM backup_restores r
                        WHERE r.backup_id = b.id AND r.kind = 'drill' AND r.check_error IS NULL) AS verified_at
                 FROM backups b JOIN jobs j ON j.id = b.job_id
                WHERE b.organization_id = $1 AND b.subscription_id = $2
                ORDER BY b.created_at DESC
                LIMIT 500"#,
            org.id,
            subscription,
        )
        .fetch_all(&mut *conn)
        .await?;
        let now = self.clock.now();
        let views = rows
            .into_iter()
            .map(|row| row.view(now))
            .collect::<crate::Result<_>>()?;
        Ok(Ok(views))
    }

    /// Takes a backup of the running `subscription` now: its id and its
    /// job's. Refused while another job of the service is under way.
    pub async fn take_backup(
        &self,
        caller: &Caller,
        slug: &str,
        subscription: Uuid,
    ) -> Outcome<(Uuid, Uuid)> {
        let now = self.clock.now();
        let (mut tx, org) = or_refuse!(self.begin_change(caller, slug, Permission::ManageBackups).await?);
        let Some(target) = idle_running(&mut tx, org.id, subscription).await? else {
            return Ok(Err(self.why_not_idle(&mut tx, org.id, subscription).await?));
        };
        let (backup, job) =
            queue_backup(&mut tx, &target, BackupOrigin::OnDemand, Some(org.caller_id), now).await?;
        let event = AuditEvent::new(Some(org.id), AuditAction::BackupTake, format!("backup:{backup}"))
            .after(json!({ "subscription": subscription.to_string(), "job": job.to_string() }));
        or_refuse!(self.commit_change(tx, caller, now, event).await?);
        Ok(Ok((backup, job)))
    }

    /// Restores `backup` into its own service, which is stopped meanwhile.
    /// `confirmation` must repeat the organization's slug: this replaces
    /// the service's data with the backup's. The restore job's id.
    pub async fn restore_backup(
        &self,
        caller: &Caller,
        slug: &str,
        backup: Uuid,
        confirmation: &str,
    ) -> Outcome<Uuid> {
        let now = self.clock.now();
        let (mut tx, org) = or_refuse!(self.begin_change(caller, slug, Permission::ManageBackups).await?);
        let found = sqlx::query!(
            "SELECT subscription_id, stored_at IS NOT NULL AND pruned_at IS NULL AS \"restorable!\"
               FROM backups WHERE id = $1 AND organization_id = $2",
            backup,
            org.id,
        )
        .fetch_optional(&mut *tx)
        .await?;
        let Some(found) = found else {
            return Ok(Err(Refusal::NotFound));
        };
        if confirmation.trim() != slug {
            return Ok(Err(Refusal::field("confirmation", FieldProblem::Mismatch)));
        }
        if !found.restorable {
            return Ok(Err(Refusal::WrongState));
        }
        let Some(target) = idle_running(&mut tx, org.id, found.subscription_id).await? else {
            return Ok(Err(self
                .why_not_idle(&mut tx, org.id, found.subscription_id)
                .await?));
        };
        let job = queue_restore(
            &mut tx,
            &target,
            backup,
            Action::Restore,
            Some(org.caller_id),
            now,
        )
        .await?;
        let event = AuditEvent::new(
            Some(org.id),
            AuditAction::BackupRestore,
            format!("backup:{backup}"),
        )
        .after(json!({ "subscription": found.subscription_id.to_string(), "job": job.to_string() }));
        or_refuse!(self.commit_change(tx, caller, now, event).await?);
        Ok(Ok(job))
    }

    /// When the daily backup of `subscription` is taken (UTC).
    pub async fn set_backup_time(
        &self,
        caller: &Caller,
        slug: &str,
        subscription: Uuid,
        at: Time,
    ) -> Outcome<()> {
        let now = self.clock.now();
        let (mut tx, org) = or_refuse!(self.begin_change(caller, slug, Permission::ManageBackups).await?);
        let before = sqlx::query_scalar!(
            "SELECT backup_time FROM subscriptions WHERE id = $1 AND organization_id = $2 AND state <> 'closed'",
            subscription,
            org.id,
        )
        .fetch_optional(&mut *tx)
        .await?;
        let Some(before) = before else {
            return Ok(Err(Refusal::NotFound));
        };
        sqlx::query!(
            "UPDATE subscriptions SET backup_time = $2 WHERE id = $1",
            subscription,
            at
        )
        .execute(&mut *tx)
        .await?;
        let event = AuditEvent::new(
            Some(org.id),
            AuditAction::BackupSchedule,
            format!("subscription:{subscription}"),
        )
        .before(json!({ "backup_time": before.to_string() }))
        .after(json!({ "backup_time": at.to_string() }));
        self.commit_change(tx, caller, now, event).await
    }

    /// Why `subscription` cannot take a backup or restore now: not the
    /// organization's, not running, or busy with another job.
    async fn why_not_idle(
        &self,
        tx: &mut sqlx::PgConnection,
        organization: Uuid,
        subscription: Uuid,
    ) -> crate::Result<Refusal> {
        let exists = sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM subscriptions WHERE id = $1 AND organization_id = $2) AS "exists!""#,
            subscription,
            organization,
        )
        .fetch_one(&mut *tx)
        .await?;
        Ok(if exists {
            Refusal::WrongState
        } else {
            Refusal::NotFound
        })
    }
}
