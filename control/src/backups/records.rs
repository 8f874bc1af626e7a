//! What the portal's database records of backups: the backups asked for
//! (each with its job, in one transaction), what the engine stored, the
//! schedule's and retention's rounds, and the restores and drills.

use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{object_key, Stored};
use crate::{
    domain::{job_kind, workflow, Action, BackupOrigin, OfferKind},
    jobs::{enqueue_in, NewJob},
    Control, Error, PageChange, Result,
};

/// A subscription whose data is backed up.
pub(crate) struct Protected {
    pub subscription: Uuid,
    pub organization: Uuid,
    pub offer: OfferKind,
    /// The plan's retention, in days.
    pub retention_days: i32,
}

impl Protected {
    /// From a subscription's row: its id, organization, offer code and plan's retention.
    fn read(subscription: Uuid, organization: Uuid, offer: &str, retention_days: i32) -> Result<Self> {
        let offer = OfferKind::from_code(offer).ok_or_else(|| Error::InvalidStoredData {
            table: "subscriptions",
            detail: format!("unknown offer {offer:?}"),
        })?;
        Ok(Self {
            subscription,
            organization,
            offer,
            retention_days,
        })
    }
}

/// Queues the job of `action` for `target` inside `tx`.
async fn queue(
    tx: &mut PgConnection,
    action: Action,
    target: &Protected,
    now: OffsetDateTime,
) -> Result<Uuid> {
    let kind = job_kind(action, target.offer);
    let steps: Vec<&str> = workflow(action, target.offer)
        .iter()
        .map(|step| step.name())
        .collect();
    enqueue_in(
        tx,
        &NewJob {
            kind: &kind,
            steps: &steps,
            subscription_id: Some(target.subscription),
        },
        now,
    )
    .await
}

/// Records a backup of `target` and queues its job, inside `tx`; the caller
/// has checked that the subscription has no job under way.
pub(crate) async fn queue_backup(
    tx: &mut PgConnection,
    target: &Protected,
    origin: BackupOrigin,
    requested_by: Option<Uuid>,
    now: OffsetDateTime,
) -> Result<(Uuid, Uuid)> {
    let job = queue(tx, Action::Backup, target, now).await?;
    let backup = Uuid::new_v4();
    sqlx::query!(
        "INSERT INTO backups (id, organization_id, subscription_id, job_id, origin, requested_by, created_at,
                              object_key, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7::timestamptz, $8, $7::timestamptz + make_interval(days => $9::int))",
        backup,
        target.organization,
        target.subscription,
        job,
        origin.code(),
        requested_by,
        now,
        object_key(target.organization, target.subscription, backup),
        target.retention_days,
    )
    .execute(&mut *tx)
    .await?;
    Ok((backup, job))
}

/// Records a restore (or drill) of `backup` and queues its job inside `tx`.
pub(crate) async fn queue_restore(
    tx: &mut PgConnection,
    target: &Protected,
    backup: Uuid,
    action: Action,
    requested_by: Option<Uuid>,
    now: OffsetDateTime,
) -> Result<Uuid> {
    let job = queue(tx, action, target, now).await?;
    let kind = if action == Action::Drill {
        "drill"
    } else {
        "restore"
    };
    sqlx::query!(
        "INSERT INTO backup_restores (job_id, backup_id, kind, requested_by, created_at) VALUES ($1, $2, $3, $4, $5)",
        job,
        backup,
        kind,
        requested_by,
        now,
    )
    .execute(&mut *tx)
    .await?;
    Ok(job)
}

/// The subscription `id` if it is running with no job under way (locked
/// until `tx` ends, so two requests cannot both queue one).
pub(crate) async fn idle_running(
    tx: &mut PgConnection,
    organization: Uuid,
    id: Uuid,
) -> Result<Option<Protected>> {
    let row = sqlx::query!(
        "SELECT s.id, s.organization_id, s.offer_kind, p.backup_retention_days
           FROM subscriptions s JOIN plans p ON p.id = s.plan_id
          WHERE s.id = $1 AND s.organization_id = $2 AND s.state = 'active' AND s.applied_state = 'running'
            AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.subscription_id = s.id
                              AND j.state IN ('queued', 'waiting', 'running'))
          FOR UPDATE OF s",
        id,
        organization,
    )
    .fetch_optional(&mut *tx)
    .await?;
    row.map(|row| {
        Protected::read(
            row.id,
            row.organization_id,
            &row.offer_kind,
            row.backup_retention_days,
        )
    })
    .transpose()
}

impl Control {
    /// The engine stored a backup in the primary storage.
    pub async fn record_backup_stored(&self, backup: Uuid, stored: &Stored) -> Result<()> {
        let size = i64::try_from(stored.digested.size).unwrap_or(i64::MAX);
        let sealed = i64::try_from(stored.sealed_bytes).unwrap_or(i64::MAX);
        sqlx::query!(
            "UPDATE backups SET stored_at = $2, size_bytes = $3, sealed_bytes = $4, sha256 = $5, offsite_at = NULL
              WHERE id = $1",
            backup,
            self.clock.now(),
            size,
            sealed,
            stored.digested.sha256,
        )
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// The engine copied a backup off site.
    pub async fn record_backup_offsite(&self, backup: Uuid) -> Result<()> {
        sqlx::query!(
            "UPDATE backups SET offsite_at = $2 WHERE id = $1",
            backup,
            self.clock.now()
        )
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// A drill's outcome: `None` when the backup opened.
    pub async fn record_drill(&self, job: Uuid, error: Option<&str>) -> Result<()> {
        sqlx::query!(
            "UPDATE backup_restores SET checked_at = $2, check_error = $3 WHERE job_id = $1",
            job,
            self.clock.now(),
            error,
        )
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// Queues today's backup of every running service whose backup time
    /// has passed and that has none since; returns how many were queued.
    /// Level-triggered like the dispatcher: any replica, any time.
    pub async fn queue_scheduled_backups(&self) -> Result<usize> {
        let now = self.clock.now();
        let mut tx = self.db.pool().begin().await?;
        // The latest moment the schedule asked for: today's backup time, or
        // yesterday's when today's is still to come.
        let due = sqlx::query!(
            r#"SELECT s.id, s.organization_id, s.offer_kind, p.backup_retention_days
                 FROM subscriptions s JOIN plans p ON p.id = s.plan_id
                 CROSS JOIN LATERAL (SELECT CASE WHEN ($1::timestamptz AT TIME ZONE 'UTC')::time >= s.backup_time
                                                 THEN date_trunc('day', $1::timestamptz AT TIME ZONE 'UTC') + s.backup_time
                                                 ELSE date_trunc('day', $1::timestamptz AT TIME ZONE 'UTC') - interval '1 day' + s.backup_time
                                            END AT TIME ZONE 'UTC' AS at) slot
                WHERE s.state = 'active' AND s.applied_state = 'running' AND p.backup_retention_days > 0
                  -- A service's first backup is at its first slot after it was subscribed.
                  AND slot.at > s.created_at
                  AND NOT EXISTS (SELECT 1 FROM backups b WHERE b.subscription_id = s.id AND b.created_at >= slot.at)
                  AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.subscription_id = s.id
                                    AND j.state IN ('queued', 'waiting', 'running'))
                FOR UPDATE OF s SKIP LOCKED"#,
            now,
        )
        .fetch_all(&mut *tx)
        .await?;
        let mut queued = Vec::with_capacity(due.len());
        for row in due {
            let target = Protected::read(
                row.id,
                row.organization_id,
                &row.offer_kind,
                row.backup_retention_days,
            )?;
            queue_backup(&mut tx, &target, BackupOrigin::Scheduled, None, now).await?;
            queued.push(row.id);
        }
        let count = queued.len();
        self.commit_page_change(tx, PageChange::Subscriptions(queued))
            .await?;
        Ok(count)
    }

    /// Backups past their retention that are still stored:
    /// `(id, organization, object key)`.
    pub async fn expired_backups(&self, limit: i64) -> Result<Vec<(Uuid, Uuid, String)>> {
        let rows = sqlx::query!(
            "SELECT id, organization_id, object_key FROM backups WHERE pruned_at IS NULL AND expires_at <= $1
              ORDER BY expires_at LIMIT $2",
            self.clock.now(),
            limit,
        )
        .fetch_all(self.db.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| (row.id, row.organization_id, row.object_key))
            .collect())
    }

    /// A backup's objects were removed from both storages.
    pub async fn record_backup_pruned(&self, backup: Uuid) -> Result<()> {
        sqlx::query!(
            "UPDATE backups SET pruned_at = $2 WHERE id = $1 AND pruned_at IS NULL",
            backup,
            self.clock.now()
        )
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// Queues a drill of the latest stored backup of every running service
    /// whose last drill is older than `every` (or never ran); how many.
    pub async fn queue_due_drills(&self, every: time::Duration) -> Result<usize> {
        let now = self.clock.now();
        let mut tx = self.db.pool().begin().await?;
        let due = sqlx::query!(
            r#"SELECT s.id, s.organization_id, s.offer_kind, p.backup_retention_days, latest.id AS backup
                 FROM subscriptions s JOIN plans p ON p.id = s.plan_id
                 JOIN LATERAL (SELECT b.id FROM backups b
                                WHERE b.subscription_id = s.id AND b.offsite_at IS NOT NULL AND b.pruned_at IS NULL
                                ORDER BY b.created_at DESC LIMIT 1) latest ON true
                WHERE s.state = 'active' AND s.applied_state = 'running'
                  AND NOT EXISTS (SELECT 1 FROM backup_restores r JOIN backups b ON b.id = r.backup_id
                                   WHERE b.subscription_id = s.id AND r.kind = 'drill' AND r.created_at > $1)
                  AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.subscription_id = s.id
                                    AND j.state IN ('queued', 'waiting', 'running'))
                FOR UPDATE OF s SKIP LOCKED"#,
            now - every,
        )
        .fetch_all(&mut *tx)
        .await?;
        let mut queued = Vec::with_capacity(due.len());
        for row in due {
            let target = Protected::read(
                row.id,
                row.organization_id,
                &row.offer_kind,
                row.backup_retention_days,
            )?;
            queue_restore(&mut tx, &target, row.backup, Action::Drill, None, now).await?;
            queued.push(row.id);
        }
        let count = queued.len();
        self.commit_page_change(tx, PageChange::Subscriptions(queued))
            .await?;
        Ok(count)
    }
}
