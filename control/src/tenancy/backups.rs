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
    backups::{
        records::{idle_running, queue_backup, queue_restore},
        Downloadable,
    },
    domain::{
        Action, AuditAction, BackupOrigin, BackupState, BackupView, BackupsPage, FieldProblem, JobState,
        OffsiteState, Permission, Refusal, OFFSITE_LATE_AFTER,
    },
    infra::format::rfc3339,
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
            created_at: rfc3339(self.created_at),
            stored_at: self.stored_at.map(rfc3339),
            size_bytes: self.size_bytes.and_then(|size| u64::try_from(size).ok()),
            sha256: self.sha256,
            offsite,
            expires_at: rfc3339(self.expires_at),
            verified_at: self.verified_at.map(rfc3339),
            job_id: self.job_id.to_string(),
        })
    }
}

/// How long a download link works.
pub const DOWNLOAD_LINK_LIFETIME: time::Duration = time::Duration::minutes(15);

/// A link's secret part (shown once) and when it stops working.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadLink {
    pub token: String,
    /// RFC 3339.
    pub expires_at: String,
}

/// What is kept of a link's token: the invitations' hash, in hex.
fn token_digest(token: &str) -> String {
    hex::encode(super::members::token_hash(token))
}

impl Control {
    /// The backups of the organization's `subscription`, newest first.
    pub async fn backups(&self, caller: &Caller, slug: &str, subscription: Uuid) -> Outcome<Vec<BackupView>> {
        Ok(self
            .backups_page(caller, slug, subscription)
            .await?
            .map(|page| page.backups))
    }

    /// The page of the backups of the organization's `subscription`.
    pub async fn backups_page(
        &self,
        caller: &Caller,
        slug: &str,
        subscription: Uuid,
    ) -> Outcome<BackupsPage> {
        let mut conn = self.db.pool().acquire().await?;
        let org = or_refuse!(check(&mut conn, caller, slug, Need::read(Permission::ManageBackups)).await?);
        let found = sqlx::query!(
            r#"SELECT s.offer_kind, s.backup_time, p.backup_retention_days,
                      s.state = 'active' AND s.applied_state = 'running'
                      AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.subscription_id = s.id
                                        AND j.state IN ('queued', 'waiting', 'running')) AS "idle!"
                 FROM subscriptions s JOIN plans p ON p.id = s.plan_id
                WHERE s.id = $1 AND s.organization_id = $2 AND s.state <> 'closed'"#,
            subscription,
            org.id,
        )
        .fetch_optional(&mut *conn)
        .await?;
        let Some(found) = found else {
            return Ok(Err(Refusal::NotFound));
        };
        let offer = crate::domain::OfferKind::from_code(&found.offer_kind).ok_or_else(|| {
            Error::InvalidStoredData {
                table: "subscriptions",
                detail: format!("unknown offer {:?}", found.offer_kind),
            }
        })?;
        let rows = sqlx::query_as!(
            BackupRow,
            r#"SELECT b.id, b.subscription_id, b.job_id, b.origin, b.created_at, b.stored_at, b.size_bytes, b.sha256,
                      b.offsite_at, b.expires_at, b.pruned_at, j.state AS "job_state: JobState",
                      (SELECT max(r.checked_at) FROM backup_restores r
                        WHERE r.backup_id = b.id AND r.kind = 'drill' AND r.check_error IS NULL) AS verified_at
                 FROM backups b JOIN jobs j ON j.id = b.job_id
                WHERE b.organization_id = $1
                  AND (b.subscription_id = $2
                       -- An earlier service of the same offer, closed: its
                       -- backups kept may be restored into this one.
                       OR (b.stored_at IS NOT NULL AND b.pruned_at IS NULL
                           AND b.subscription_id IN (SELECT e.id FROM subscriptions e
                                                      WHERE e.organization_id = $1 AND e.offer_kind = $3
                                                        AND e.state = 'closed')))
                ORDER BY b.created_at DESC
                LIMIT 500"#,
            org.id,
            subscription,
            found.offer_kind,
        )
        .fetch_all(&mut *conn)
        .await?;
        let now = self.clock.now();
        let backups = rows
            .into_iter()
            .map(|row| row.view(now))
            .collect::<crate::Result<_>>()?;
        Ok(Ok(BackupsPage {
            subscription_id: subscription.to_string(),
            offer,
            idle: found.idle,
            backup_time: format!(
                "{:02}:{:02}",
                found.backup_time.hour(),
                found.backup_time.minute()
            ),
            retention_days: u32::try_from(found.backup_retention_days).unwrap_or(0),
            backups,
        }))
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

    /// Restores `backup` into `into` (by default its own service), which is
    /// stopped meanwhile: its own service, or, when that one was closed,
    /// the organization's new service of the same offer. `confirmation`
    /// must repeat the organization's slug: this replaces the service's
    /// data with the backup's. The restore job's id.
    pub async fn restore_backup(
        &self,
        caller: &Caller,
        slug: &str,
        backup: Uuid,
        confirmation: &str,
        into: Option<Uuid>,
    ) -> Outcome<Uuid> {
        let now = self.clock.now();
        let (mut tx, org) = or_refuse!(self.begin_change(caller, slug, Permission::ManageBackups).await?);
        let found = sqlx::query!(
            r#"SELECT b.subscription_id, b.stored_at IS NOT NULL AND b.pruned_at IS NULL AS "restorable!",
                      s.offer_kind, s.state = 'closed' AS "closed!"
                 FROM backups b JOIN subscriptions s ON s.id = b.subscription_id
                WHERE b.id = $1 AND b.organization_id = $2"#,
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
        let target_id = into.unwrap_or(found.subscription_id);
        let Some(target) = idle_running(&mut tx, org.id, target_id).await? else {
            return Ok(Err(self.why_not_idle(&mut tx, org.id, target_id).await?));
        };
        // Into another service: only a closed one's backup, of the same offer.
        if target_id != found.subscription_id && (!found.closed || target.offer.code() != found.offer_kind) {
            return Ok(Err(Refusal::WrongState));
        }
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
        .after(json!({
            "subscription": target_id.to_string(),
            "from_subscription": found.subscription_id.to_string(),
            "job": job.to_string(),
        }));
        or_refuse!(self.commit_change(tx, caller, now, event).await?);
        Ok(Ok(job))
    }

    /// A link through which `backup` downloads for `DOWNLOAD_LINK_LIFETIME`
    /// (its token is shown once; only its digest is kept).
    pub async fn backup_download_link(
        &self,
        caller: &Caller,
        slug: &str,
        backup: Uuid,
    ) -> Outcome<DownloadLink> {
        let now = self.clock.now();
        let (mut tx, org) = or_refuse!(self.begin_change(caller, slug, Permission::ManageBackups).await?);
        let found = sqlx::query_scalar!(
            r#"SELECT stored_at IS NOT NULL AND pruned_at IS NULL AS "downloadable!"
                 FROM backups WHERE id = $1 AND organization_id = $2"#,
            backup,
            org.id,
        )
        .fetch_optional(&mut *tx)
        .await?;
        match found {
            None => return Ok(Err(Refusal::NotFound)),
            Some(false) => return Ok(Err(Refusal::WrongState)),
            Some(true) => {}
        }
        let token = super::members::new_token()?;
        let expires_at = now + DOWNLOAD_LINK_LIFETIME;
        sqlx::query!(
            "INSERT INTO backup_downloads (token_sha256, backup_id, created_by, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5)",
            token_digest(&token),
            backup,
            org.caller_id,
            now,
            expires_at,
        )
        .execute(&mut *tx)
        .await?;
        let event = AuditEvent::new(
            Some(org.id),
            AuditAction::BackupDownload,
            format!("backup:{backup}"),
        );
        or_refuse!(self.commit_change(tx, caller, now, event).await?);
        Ok(Ok(DownloadLink {
            token,
            expires_at: rfc3339(expires_at),
        }))
    }

    /// The backup a download link's `token` opens, while it works (the
    /// token is the credential: whoever holds it may download, as with a
    /// presigned URL); `None` for an unknown or expired one, or a backup
    /// pruned since.
    pub async fn backup_download(&self, token: &str) -> crate::Result<Option<Downloadable>> {
        if token.len() != 64 || !token.bytes().all(|byte| byte.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let row = sqlx::query!(
            r#"SELECT b.id, b.organization_id, b.object_key, b.sha256 AS "sha256!", b.size_bytes AS "size_bytes!",
                      b.created_at, s.offer_kind, o.slug
                 FROM backup_downloads d JOIN backups b ON b.id = d.backup_id
                 JOIN subscriptions s ON s.id = b.subscription_id JOIN organizations o ON o.id = b.organization_id
                WHERE d.token_sha256 = $1 AND d.expires_at > $2 AND b.stored_at IS NOT NULL AND b.pruned_at IS NULL"#,
            token_digest(&token.to_ascii_lowercase()),
            self.clock.now(),
        )
        .fetch_optional(self.db.pool())
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let offer =
            crate::domain::OfferKind::from_code(&row.offer_kind).ok_or_else(|| Error::InvalidStoredData {
                table: "subscriptions",
                detail: format!("unknown offer {:?}", row.offer_kind),
            })?;
        let extension = if offer == crate::domain::OfferKind::Iot {
            "jsonl"
        } else {
            "zip"
        };
        let day = crate::infra::format::day(row.created_at);
        Ok(Some(Downloadable {
            backup: row.id,
            organization: row.organization_id,
            object_key: row.object_key,
            sha256: row.sha256,
            size: u64::try_from(row.size_bytes).unwrap_or(0),
            file_name: format!(
                "{}-{day}.{extension}",
                crate::domain::instance_name(&row.slug, offer)
            ),
        }))
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
