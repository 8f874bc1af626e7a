//! The engine's step that brings each device's own broker identity level
//! with what its owner wants (`tenancy::devices`): a new credentials
//! version gets a new password, written to Vault (the only place it is
//! kept) before the broker gets it; a device disabled by its owner, or in
//! a suspended space, is kept out; a removed one loses its client, its
//! role and its secret, then its row. Each device is recorded as applied
//! as soon as it is, so a failure halfway redoes only the rest.

use std::collections::BTreeMap;

use uuid::Uuid;

use super::{context::SubscriptionContext, runner::ProvisioningRunner, steps::database_failure};
use crate::{
    domain::{device_secret_name, CreatedResource, StepFailure},
    Control, Result,
};

/// A device whose broker identity lags behind what is wanted.
pub(crate) struct PendingDevice {
    pub id: Uuid,
    pub name: String,
    pub removed: bool,
    /// Wanted on the broker now: enabled by its owner, in a live space.
    pub enabled: bool,
    pub version: i32,
    /// The broker has this version's password.
    pub version_applied: bool,
}

impl Control {
    /// The devices of `subscription` whose broker identity differs from
    /// what is wanted; `live`: the space runs (else every device is out).
    pub(crate) async fn pending_devices(&self, subscription: Uuid, live: bool) -> Result<Vec<PendingDevice>> {
        let rows = sqlx::query!(
            r#"SELECT id, name, removed_at IS NOT NULL AS "removed!", enabled AND $2 AS "enabled!",
                      credentials_version, applied_version IS NOT DISTINCT FROM credentials_version AS "version_applied!"
                 FROM devices
                WHERE subscription_id = $1
                  AND (removed_at IS NOT NULL OR applied_version IS DISTINCT FROM credentials_version
                       OR applied_enabled IS DISTINCT FROM (enabled AND $2))
                ORDER BY removed_at IS NULL, created_at, id"#,
            subscription,
            live,
        )
        .fetch_all(self.db.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| PendingDevice {
                id: row.id,
                name: row.name,
                removed: row.removed,
                enabled: row.enabled,
                version: row.credentials_version,
                version_applied: row.version_applied,
            })
            .collect())
    }

    /// Records what the broker now has of `device` (unless its owner
    /// rotated it again meanwhile: the next sync applies that).
    pub(crate) async fn record_device_applied(
        &self,
        device: Uuid,
        version: i32,
        enabled: bool,
    ) -> Result<()> {
        sqlx::query!(
            "UPDATE devices SET applied_version = $2, applied_enabled = $3 WHERE id = $1",
            device,
            version,
            enabled,
        )
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// A removed device whose client is gone: its row goes too.
    pub(crate) async fn forget_device(&self, device: Uuid) -> Result<()> {
        sqlx::query!(
            "DELETE FROM devices WHERE id = $1 AND removed_at IS NOT NULL",
            device
        )
        .execute(self.db.pool())
        .await?;
        Ok(())
    }
}

impl ProvisioningRunner {
    /// `live`: the space runs (a suspension's step passes `false`).
    pub(super) async fn mqtt_devices(
        &self,
        ctx: &SubscriptionContext,
        live: bool,
    ) -> std::result::Result<Vec<CreatedResource>, StepFailure> {
        let instance = ctx.instance();
        let pending = self
            .control
            .pending_devices(ctx.id, live)
            .await
            .map_err(database_failure)?;
        for device in pending {
            let secret = device_secret_name(device.id);
            if device.removed {
                self.backends
                    .mqtt
                    .remove_device(&ctx.slug, ctx.id, &device.name)
                    .await?;
                self.backends
                    .vault
                    .remove_secret(&instance, ctx.id, &secret)
                    .await?;
                self.control
                    .forget_device(device.id)
                    .await
                    .map_err(database_failure)?;
                continue;
            }
            if device.version_applied {
                self.backends
                    .mqtt
                    .set_device_enabled(&ctx.slug, ctx.id, &device.name, device.enabled)
                    .await?;
            } else {
                // Vault first: a password the broker has is always one Vault keeps.
                let password = crate::tenancy::members::new_token()
                    .map_err(|error| StepFailure::transient(error.to_string()))?;
                let data = BTreeMap::from([
                    ("password".to_owned(), password.clone()),
                    ("version".to_owned(), device.version.to_string()),
                ]);
                self.backends
                    .vault
                    .put_secret(&instance, ctx.id, &secret, &data)
                    .await?;
                self.backends
                    .mqtt
                    .ensure_device(&ctx.slug, ctx.id, &device.name, &password, device.enabled)
                    .await?;
            }
            self.control
                .record_device_applied(device.id, device.version, device.enabled)
                .await
                .map_err(database_failure)?;
        }
        Ok(Vec::new())
    }
}
