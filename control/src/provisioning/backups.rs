//! The steps of backup, restore and drill jobs (ARCHITECTURE.md,
//! "Backups"). Each is idempotent: a backup's object name is its id, so an
//! upload run again replaces what an earlier attempt may have completed; a
//! restore stages the backup beside the live database before it swaps it
//! in, and each half of the swap looks at what is there first.

use std::collections::BTreeMap;

use uuid::Uuid;

use super::{context::SubscriptionContext, steps::database_failure, ProvisioningRunner};
use crate::{
    backends::{
        object_storage::{ByteStream, ObjectStorage, Site},
        odoo::OdooInstance,
    },
    backups::{self, BackupKey, Stored},
    domain::{CreatedResource, Step, StepFailure},
    jobs::ClaimedJob,
};

type StepResult = Result<Vec<CreatedResource>, StepFailure>;

/// The live database's name with this suffix holds a restore being staged.
const STAGING_SUFFIX: &str = "-restoring";
/// A drill restores the backup under the live name with this suffix.
const DRILL_SUFFIX: &str = "-drill";
/// What a backup's Vault secret holds (`backup-<id>`, the organization's).
const ADMIN_PASSWORD: &str = "odoo_admin_password";

/// The organization's Vault secret of a backup.
pub(super) fn backup_secret_name(backup: Uuid) -> String {
    format!("backup-{backup}")
}

/// A backup as the steps need it.
struct BackupRow {
    id: Uuid,
    organization_id: Uuid,
    /// The service it was taken of.
    subscription_id: Uuid,
    object_key: String,
    sha256: Option<String>,
    sealed_bytes: Option<i64>,
}

impl BackupRow {
    fn sha256(&self) -> Result<&str, StepFailure> {
        self.sha256
            .as_deref()
            .ok_or_else(|| StepFailure::permanent(format!("backup {} was never stored", self.id)))
    }
}

fn created(kind: &str, id: impl Into<String>) -> CreatedResource {
    CreatedResource {
        backend: "storage".into(),
        kind: kind.into(),
        id: id.into(),
    }
}

impl ProvisioningRunner {
    pub(super) async fn run_backup_step(
        &self,
        step: Step,
        job: &ClaimedJob,
        ctx: &SubscriptionContext,
    ) -> StepResult {
        match step {
            Step::BackupOdoo => {
                let backup = self.backup_of(job).await?;
                let instance = self.odoo_instance(ctx).await?;
                let source = self.backends.odoo.backup(&instance).await?;
                let key = self.backup_key(backup.organization_id).await?;
                let stored =
                    backups::store_sealed(self.storage()?, &backup.object_key, &key, backup.id, source)
                        .await?;
                // Restored into a later service (this one closed, its
                // secrets gone), the backup's administrator signs in with this.
                let signs_in = BTreeMap::from([(ADMIN_PASSWORD.to_owned(), instance.admin_password.clone())]);
                self.backends
                    .vault
                    .put_organization_secret(
                        backup.organization_id,
                        &backup_secret_name(backup.id),
                        &signs_in,
                    )
                    .await?;
                self.record_stored(&backup, &stored).await?;
                Ok(vec![created("object", backup.object_key)])
            }
            Step::BackupTelemetry => {
                let backup = self.backup_of(job).await?;
                let source = self.control.telemetry_export(ctx.id);
                let key = self.backup_key(backup.organization_id).await?;
                let stored =
                    backups::store_sealed(self.storage()?, &backup.object_key, &key, backup.id, source)
                        .await?;
                self.record_stored(&backup, &stored).await?;
                Ok(vec![created("object", backup.object_key)])
            }
            Step::BackupOffsite => {
                let backup = self.backup_of(job).await?;
                let storage = self.storage()?;
                let copied = storage.copy_offsite(&backup.object_key).await?;
                let expected = backup.sealed_bytes.and_then(|size| u64::try_from(size).ok());
                if Some(copied) != expected {
                    return Err(StepFailure::transient(format!(
                        "storage: the off-site copy of {} has {copied} bytes, {expected:?} were stored",
                        backup.object_key
                    )));
                }
                self.control
                    .record_backup_offsite(backup.id)
                    .await
                    .map_err(database_failure)?;
                Ok(vec![created("offsite-object", backup.object_key)])
            }
            Step::RestoreOdooStage => {
                let backup = self.restored_backup(job).await?;
                let live = self.odoo_instance(ctx).await?;
                let staging = renamed(&live, STAGING_SUFFIX);
                self.restore_odoo_as(&backup, &staging).await?;
                if backup.subscription_id != ctx.id {
                    // Another service's backup: its administrator's password
                    // becomes this service's before it goes live.
                    let taken_with = self.backup_admin_password(&backup).await?;
                    let restored = OdooInstance {
                        admin_password: taken_with,
                        ..staging.clone()
                    };
                    self.backends
                        .odoo
                        .set_admin_password(&restored, &live.admin_password)
                        .await?;
                }
                Ok(Vec::new())
            }
            Step::RestoreOdooSwap => {
                let live = self.odoo_instance(ctx).await?;
                let staging = renamed(&live, STAGING_SUFFIX);
                let odoo = self.backends.odoo.as_ref();
                if odoo.database_exists(&staging).await? {
                    odoo.drop_database(&live).await?;
                    odoo.rename_database(&staging, &live.database).await?;
                } else if !odoo.database_exists(&live).await? {
                    return Err(StepFailure::permanent(format!(
                        "odoo: neither {} nor its restored copy exists",
                        live.database
                    )));
                }
                Ok(Vec::new())
            }
            Step::RestoreTelemetry => {
                let backup = self.restored_backup(job).await?;
                let plain = self.open_backup(&backup, Site::Primary).await?;
                self.control.telemetry_import(ctx.id, plain).await?;
                Ok(Vec::new())
            }
            Step::DrillRestore => {
                let backup = self.restored_backup(job).await?;
                let outcome = self.drill(&backup, ctx).await;
                let error = outcome.as_ref().err().map(|failure| failure.detail.clone());
                self.control
                    .record_drill(job.id, error.as_deref())
                    .await
                    .map_err(database_failure)?;
                outcome.map(|()| Vec::new())
            }
            other => Err(StepFailure::permanent(format!(
                "{} is not a backup step",
                other.name()
            ))),
        }
    }

    /// Restores the backup aside (from the off-site copy: the one a disaster
    /// would leave), checks it opens, and tears it down whatever happened.
    async fn drill(&self, backup: &BackupRow, ctx: &SubscriptionContext) -> Result<(), StepFailure> {
        if ctx.offer == crate::domain::OfferKind::Iot {
            let plain = self.open_backup(backup, Site::Offsite).await?;
            return crate::backups::telemetry::check_export(plain)
                .await
                .map(|_| ())
                .map_err(Into::into);
        }
        let live = self.odoo_instance(ctx).await?;
        let scratch = renamed(&live, DRILL_SUFFIX);
        let odoo = self.backends.odoo.as_ref();
        if odoo.database_exists(&scratch).await? {
            odoo.drop_database(&scratch).await?;
        }
        let plain = self.open_backup(backup, Site::Offsite).await?;
        let restored = odoo.restore(&scratch, plain).await;
        // It opens: the administrator signs in and its users can be counted.
        let checked = match restored {
            Ok(()) => odoo.count_users(&scratch).await.map(|_| ()),
            Err(error) => Err(error),
        };
        let torn_down = odoo.drop_database(&scratch).await;
        checked?;
        torn_down?;
        Ok(())
    }

    /// Drops what an earlier attempt left under `target`'s name, then
    /// restores the backup there.
    async fn restore_odoo_as(&self, backup: &BackupRow, target: &OdooInstance) -> Result<(), StepFailure> {
        let odoo = self.backends.odoo.as_ref();
        if odoo.database_exists(target).await? {
            odoo.drop_database(target).await?;
        }
        let plain = self.open_backup(backup, Site::Primary).await?;
        odoo.restore(target, plain).await?;
        Ok(())
    }

    /// The backup's plaintext from `site`, opened with its organization's key.
    async fn open_backup(&self, backup: &BackupRow, site: Site) -> Result<ByteStream, StepFailure> {
        let key = self.backup_key(backup.organization_id).await?;
        let plain = backups::open_stored(
            self.storage()?,
            site,
            &backup.object_key,
            &key,
            backup.id,
            backup.sha256()?,
        )
        .await?;
        Ok(plain)
    }

    /// The password the backup's Odoo administrator had when it was taken.
    async fn backup_admin_password(&self, backup: &BackupRow) -> Result<String, StepFailure> {
        let secret = self
            .backends
            .vault
            .read_organization_secret(backup.organization_id, &backup_secret_name(backup.id))
            .await?;
        secret
            .and_then(|mut secret| secret.remove(ADMIN_PASSWORD))
            .ok_or_else(|| {
                StepFailure::permanent(format!(
                    "vault: backup {} has no administrator password",
                    backup.id
                ))
            })
    }

    fn storage(&self) -> Result<&ObjectStorage, StepFailure> {
        self.backends
            .storage
            .as_ref()
            .ok_or_else(|| StepFailure::permanent("backups: no storage is configured ([backups])"))
    }

    async fn backup_key(&self, organization: Uuid) -> Result<BackupKey, StepFailure> {
        let text = self
            .backends
            .vault
            .ensure_organization_key(organization, backups::KEY_NAME)
            .await?;
        BackupKey::parse_hex(&text).map_err(|error| StepFailure::permanent(format!("vault: {error}")))
    }

    /// The backup a backup job takes.
    async fn backup_of(&self, job: &ClaimedJob) -> Result<BackupRow, StepFailure> {
        let row = sqlx::query_as!(
            BackupRow,
            "SELECT id, organization_id, subscription_id, object_key, sha256, sealed_bytes FROM backups WHERE job_id = $1",
            job.id,
        )
        .fetch_optional(self.control.db.pool())
        .await
        .map_err(|error| database_failure(error.into()))?;
        row.ok_or_else(|| StepFailure::permanent("a backup job without its backup"))
    }

    /// The backup a restore or drill job puts back.
    async fn restored_backup(&self, job: &ClaimedJob) -> Result<BackupRow, StepFailure> {
        let row = sqlx::query_as!(
            BackupRow,
            "SELECT b.id, b.organization_id, b.subscription_id, b.object_key, b.sha256, b.sealed_bytes
               FROM backup_restores r JOIN backups b ON b.id = r.backup_id
              WHERE r.job_id = $1",
            job.id,
        )
        .fetch_optional(self.control.db.pool())
        .await
        .map_err(|error| database_failure(error.into()))?;
        row.ok_or_else(|| StepFailure::permanent("a restore job without its backup"))
    }

    async fn record_stored(&self, backup: &BackupRow, stored: &Stored) -> Result<(), StepFailure> {
        self.control
            .record_backup_stored(backup.id, stored)
            .await
            .map_err(database_failure)
    }
}

/// How often the schedule, the drills and the retention are looked at.
const ROUND_EVERY: std::time::Duration = std::time::Duration::from_secs(60);
/// Expired backups removed per round.
const PRUNED_PER_ROUND: i64 = 500;

/// The backups' rounds, on every replica (each round's queries lock what
/// they queue, so replicas do not queue twice): the daily backups due, the
/// drills due, and the backups past their retention removed.
pub(super) async fn backup_rounds(
    runner: std::sync::Arc<ProvisioningRunner>,
    drill_every: std::time::Duration,
) {
    // Without storage nothing is backed up: no job is queued to fail.
    if runner.backends.storage.is_none() {
        return;
    }
    let drill_every = time::Duration::try_from(drill_every).unwrap_or(time::Duration::WEEK);
    let mut rounds = tokio::time::interval(ROUND_EVERY);
    rounds.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        rounds.tick().await;
        match runner.control.queue_scheduled_backups().await {
            Ok(0) => {}
            Ok(queued) => tracing::info!(queued, "scheduled backups queued"),
            Err(error) => tracing::warn!(%error, "cannot queue the scheduled backups"),
        }
        match runner.control.queue_due_drills(drill_every).await {
            Ok(0) => {}
            Ok(queued) => tracing::info!(queued, "restore drills queued"),
            Err(error) => tracing::warn!(%error, "cannot queue the restore drills"),
        }
        match runner.prune_expired_backups().await {
            Ok(0) => {}
            Ok(pruned) => tracing::info!(pruned, "expired backups removed"),
            Err(error) => tracing::warn!(error = %error.detail, "cannot remove the expired backups"),
        }
    }
}

impl ProvisioningRunner {
    /// Removes the backups past their retention from both storages, then
    /// records them removed; how many.
    pub async fn prune_expired_backups(&self) -> Result<usize, StepFailure> {
        let Some(storage) = self.backends.storage.as_ref() else {
            return Ok(0);
        };
        let expired = self
            .control
            .expired_backups(PRUNED_PER_ROUND)
            .await
            .map_err(database_failure)?;
        for (backup, organization, object) in &expired {
            storage.remove(object).await?;
            self.backends
                .vault
                .remove_organization_secret(*organization, &backup_secret_name(*backup))
                .await?;
            self.control
                .record_backup_pruned(*backup)
                .await
                .map_err(database_failure)?;
        }
        Ok(expired.len())
    }
}

/// The same Odoo server and administrator, another database.
fn renamed(live: &OdooInstance, suffix: &str) -> OdooInstance {
    OdooInstance {
        database: format!("{}{suffix}", live.database),
        ..live.clone()
    }
}
