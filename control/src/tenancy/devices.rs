//! Devices registered under an IoT subscription, counted against its
//! devices quota before anything is written. Members (not learners) register
//! and remove them.

use serde_json::json;
use uuid::Uuid;

use crate::{
    audit::AuditEvent,
    domain::{AuditAction, DeviceName, FieldProblem, OrganizationState, Permission, QuotaKind, Refusal},
    or_refuse,
    tenancy::{access, quotas::live_subscriptions},
    Caller, Control, Outcome,
};

impl Control {
    /// Registers device `name` under the organization's `subscription`.
    pub async fn register_device(
        &self,
        caller: &Caller,
        slug: &str,
        subscription: Uuid,
        name: &DeviceName,
    ) -> Outcome<()> {
        let now = self.clock.now();
        let mut tx = self.db.pool().begin().await?;
        let org = or_refuse!(access::check(&mut tx, caller, slug, Permission::UseServices, true).await?);
        let live = live_subscriptions(&mut tx, org.id).await?;
        let Some(current) = live.iter().find(|s| s.id == subscription) else {
            return Ok(Err(Refusal::NotFound));
        };
        let Some(limit) = current.limit(QuotaKind::Devices) else {
            return Ok(Err(Refusal::WrongState));
        };
        if org.state != OrganizationState::Active || !current.state.allows_devices() {
            return Ok(Err(Refusal::WrongState));
        }
        if current.devices.iter().any(|device| device.name == name.as_str()) {
            return Ok(Err(Refusal::field("name", FieldProblem::Taken)));
        }
        let requested = current.devices_used().saturating_add(1);
        if requested > limit {
            return Ok(Err(Refusal::Quota {
                quota: QuotaKind::Devices,
                limit,
                requested,
            }));
        }
        sqlx::query!(
            "INSERT INTO devices (id, subscription_id, name, created_at) VALUES ($1, $2, $3, $4)",
            Uuid::new_v4(),
            subscription,
            name.as_str(),
            now,
        )
        .execute(&mut *tx)
        .await?;
        let event = AuditEvent::new(
            Some(org.id),
            AuditAction::DeviceRegister,
            format!("device:{}", name.as_str()),
        )
        .after(json!({ "subscription": subscription.to_string(), "name": name.as_str() }));
        self.commit_change(tx, caller, now, event).await
    }

    /// Removes a device from the organization's `subscription`.
    pub async fn remove_device(
        &self,
        caller: &Caller,
        slug: &str,
        subscription: Uuid,
        device: Uuid,
    ) -> Outcome<()> {
        let now = self.clock.now();
        let mut tx = self.db.pool().begin().await?;
        let org = or_refuse!(access::check(&mut tx, caller, slug, Permission::UseServices, true).await?);
        let removed = sqlx::query_scalar!(
            "DELETE FROM devices d USING subscriptions s
              WHERE d.id = $1 AND d.subscription_id = $2 AND s.id = d.subscription_id AND s.organization_id = $3
              RETURNING d.name",
            device,
            subscription,
            org.id,
        )
        .fetch_optional(&mut *tx)
        .await?;
        let Some(name) = removed else {
            return Ok(Err(Refusal::NotFound));
        };
        let event = AuditEvent::new(Some(org.id), AuditAction::DeviceRemove, format!("device:{name}"))
            .before(json!({ "subscription": subscription.to_string(), "name": name }));
        self.commit_change(tx, caller, now, event).await
    }
}
