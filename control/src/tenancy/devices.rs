//! Devices registered under an IoT subscription, counted against its
//! devices quota before anything is written. Members (not learners)
//! register, rotate, turn off and on, and remove them; the engine gives
//! each its own identity on the broker (`provisioning::devices`), whose
//! password is shown once.

use serde_json::json;
use uuid::Uuid;

use crate::{
    audit::AuditEvent,
    domain::{
        AuditAction, Device, DeviceChange, DeviceCredentials, DeviceDetails, DeviceName, DeviceStatus,
        FieldProblem, OrganizationState, Permission, QuotaKind, Refusal,
    },
    or_refuse,
    tenancy::{
        access::{self, Need},
        quotas::live_subscriptions,
    },
    Caller, Control, Error, Outcome,
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
        let (mut tx, org) = or_refuse!(self.begin_change(caller, slug, Permission::UseServices).await?);
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
        let taken = sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM devices WHERE subscription_id = $1 AND name = $2 AND removed_at IS NULL) AS "taken!""#,
            subscription,
            name.as_str(),
        )
        .fetch_one(&mut *tx)
        .await?;
        if taken {
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
        let (mut tx, org) = or_refuse!(self.begin_change(caller, slug, Permission::UseServices).await?);
        // Kept until the engine has removed its client from the broker.
        let removed = sqlx::query_scalar!(
            "UPDATE devices d SET removed_at = $4 FROM subscriptions s
              WHERE d.id = $1 AND d.subscription_id = $2 AND s.id = d.subscription_id AND s.organization_id = $3
                AND d.removed_at IS NULL
              RETURNING d.name",
            device,
            subscription,
            org.id,
            now,
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

    /// Rotates, disables or enables a device; the engine gives the broker
    /// the change (a rotation's new password is shown once, when applied).
    pub async fn change_device(
        &self,
        caller: &Caller,
        slug: &str,
        subscription: Uuid,
        device: Uuid,
        change: DeviceChange,
    ) -> Outcome<()> {
        let now = self.clock.now();
        let (mut tx, org) = or_refuse!(self.begin_change(caller, slug, Permission::UseServices).await?);
        let (rotate, enabled, action) = match change {
            DeviceChange::Rotate => (1, None, AuditAction::DeviceRotate),
            DeviceChange::Disable => (0, Some(false), AuditAction::DeviceDisable),
            DeviceChange::Enable => (0, Some(true), AuditAction::DeviceEnable),
        };
        let changed = sqlx::query!(
            r#"UPDATE devices d SET credentials_version = d.credentials_version + $4,
                                   enabled = coalesce($5, d.enabled)
                 FROM subscriptions s
                WHERE d.id = $1 AND d.subscription_id = $2 AND s.id = d.subscription_id AND s.organization_id = $3
                  AND d.removed_at IS NULL
                RETURNING d.name, d.credentials_version, d.enabled"#,
            device,
            subscription,
            org.id,
            rotate,
            enabled,
        )
        .fetch_optional(&mut *tx)
        .await?;
        let Some(changed) = changed else {
            return Ok(Err(Refusal::NotFound));
        };
        let event = AuditEvent::new(Some(org.id), action, format!("device:{}", changed.name)).after(json!({
            "subscription": subscription.to_string(),
            "name": changed.name,
            "enabled": changed.enabled,
            "credentials_version": changed.credentials_version,
        }));
        self.commit_change(tx, caller, now, event).await
    }

    /// A device's password and how it connects, shown once: once the
    /// broker has its current password, to the first member who asks;
    /// after that, only a rotation gives a new one to show.
    pub async fn device_credentials(
        &self,
        caller: &Caller,
        slug: &str,
        subscription: Uuid,
        device: Uuid,
    ) -> Outcome<DeviceCredentials> {
        let now = self.clock.now();
        let mut tx = self.db.pool().begin().await?;
        let org =
            or_refuse!(access::check(&mut tx, caller, slug, Need::write(Permission::UseServices)).await?);
        let devices = self
            .devices
            .as_ref()
            .ok_or(Error::NotConfigured("provisioning"))?;
        let found = sqlx::query!(
            r#"SELECT d.name, d.credentials_version, d.applied_version, d.shown_version
                 FROM devices d JOIN subscriptions s ON s.id = d.subscription_id
                WHERE d.id = $1 AND d.subscription_id = $2 AND s.organization_id = $3 AND d.removed_at IS NULL
                FOR UPDATE OF d"#,
            device,
            subscription,
            org.id,
        )
        .fetch_optional(&mut *tx)
        .await?;
        let Some(found) = found else {
            return Ok(Err(Refusal::NotFound));
        };
        let version = found.credentials_version;
        // Not yet on the broker, or shown already: nothing to show.
        if found.applied_version != Some(version) || found.shown_version == Some(version) {
            return Ok(Err(Refusal::WrongState));
        }
        let instance = crate::domain::instance_name(slug, crate::domain::OfferKind::Iot);
        let secret = devices
            .secrets
            .read_secret(&instance, &crate::domain::device_secret_name(device))
            .await
            .map_err(|error| Error::Backend {
                backend: "vault",
                detail: error.to_string(),
            })?;
        let password = secret
            .filter(|data| data.get("version").map(String::as_str) == Some(version.to_string().as_str()))
            .and_then(|mut data| data.remove("password"));
        let Some(password) = password else {
            return Ok(Err(Refusal::WrongState));
        };
        sqlx::query!(
            "UPDATE devices SET shown_version = $2 WHERE id = $1",
            device,
            version
        )
        .execute(&mut *tx)
        .await?;
        let (host, port, tls) = broker_address(&devices.broker_url);
        let (topic, commands_topic) = crate::backends::mqtt::device_topics(slug, &found.name);
        let credentials = DeviceCredentials {
            device: found.name.clone(),
            host,
            port,
            tls,
            username: crate::backends::mqtt::device_username(slug, &found.name),
            password,
            topic,
            commands_topic,
        };
        let event = AuditEvent::new(
            Some(org.id),
            AuditAction::DeviceCredentialsShow,
            format!("device:{}", found.name),
        )
        .after(json!({ "subscription": subscription.to_string(), "name": found.name, "credentials_version": version }));
        or_refuse!(self.commit_change(tx, caller, now, event).await?);
        Ok(Ok(credentials))
    }
}

impl Control {
    /// A device's page, for the organization's members who use its services.
    pub async fn device_details(
        &self,
        caller: &Caller,
        slug: &str,
        subscription: Uuid,
        device: Uuid,
    ) -> Outcome<DeviceDetails> {
        let mut conn = self.db.pool().acquire().await?;
        let org =
            or_refuse!(access::check(&mut conn, caller, slug, Need::read(Permission::UseServices)).await?);
        let found = sqlx::query!(
            r#"SELECT d.name, to_char(d.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS "registered_on!",
                      d.enabled, d.applied_version, d.credentials_version,
                      d.shown_version IS NOT DISTINCT FROM d.credentials_version AS "shown!"
                 FROM devices d JOIN subscriptions s ON s.id = d.subscription_id
                WHERE d.id = $1 AND d.subscription_id = $2 AND s.organization_id = $3 AND d.removed_at IS NULL"#,
            device,
            subscription,
            org.id,
        )
        .fetch_optional(&mut *conn)
        .await?;
        let Some(found) = found else {
            return Ok(Err(Refusal::NotFound));
        };
        let devices = self
            .devices
            .as_ref()
            .ok_or(Error::NotConfigured("provisioning"))?;
        let (host, port, tls) = broker_address(&devices.broker_url);
        let (topic, commands_topic) = crate::backends::mqtt::device_topics(slug, &found.name);
        Ok(Ok(DeviceDetails {
            subscription_id: subscription.to_string(),
            username: crate::backends::mqtt::device_username(slug, &found.name),
            device: Device {
                id: device.to_string(),
                name: found.name,
                registered_on: found.registered_on,
                status: DeviceStatus::of(found.enabled, found.applied_version, found.credentials_version),
                password_shown: found.shown,
            },
            host,
            port,
            tls,
            topic,
            commands_topic,
        }))
    }
}

/// Where devices reach the broker: its host, port (8883 for TLS, 1883
/// otherwise, when the address names none) and whether it is TLS.
fn broker_address(url: &str) -> (String, u16, bool) {
    let (host, port, tls) = crate::backends::mqtt::broker_address(url);
    (host, port.unwrap_or(if tls { 8883 } else { 1883 }), tls)
}

#[cfg(test)]
mod tests {
    use super::broker_address;

    #[test]
    fn a_broker_address_names_host_port_and_tls() {
        assert_eq!(
            broker_address("mqtts://mqtt.bibind.fr:8883"),
            ("mqtt.bibind.fr".into(), 8883, true)
        );
        assert_eq!(
            broker_address("mqtts://mqtt.bibind.fr"),
            ("mqtt.bibind.fr".into(), 8883, true)
        );
        assert_eq!(
            broker_address("mqtt://127.0.0.1:1883"),
            ("127.0.0.1".into(), 1883, false)
        );
        assert_eq!(
            broker_address("127.0.0.1:34591"),
            ("127.0.0.1".into(), 34591, false)
        );
    }
}
