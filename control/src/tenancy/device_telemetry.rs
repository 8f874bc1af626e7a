//! What devices send, as their organization's members see it: a
//! subscription's devices page by page with how much each talks, a
//! device's chart of the last hour and latest messages, and the commands
//! sent to it from the portal (published by the portal's own broker
//! client, the broker's answer recorded and shown).

use std::collections::BTreeMap;

use serde_json::json;
use time::{macros::format_description, OffsetDateTime};
use uuid::Uuid;

use crate::{
    audit::AuditEvent,
    domain::{
        per_minute, AuditAction, CommandResult, Device, DeviceActivity, DeviceCommand, DeviceList,
        DeviceStatus, DeviceTelemetry, ListedDevice, Permission, RawMessage, Refusal, SentCommand, Series,
        SubscriptionState, DEVICES_PER_PAGE, ONLINE_WITHIN_SECONDS,
    },
    or_refuse,
    tenancy::access::{self, Need},
    Caller, Control, Error, Outcome,
};

/// The chart's window, and the width of one of its points.
const WINDOW_SECONDS: u32 = 3600;
const BUCKET_SECONDS: u32 = 30;
/// The chart draws at most this many fields.
const CHARTED_FIELDS: usize = 8;
/// Latest messages shown.
const RECENT_MESSAGES: i64 = 10;
/// Commands listed on a device's page.
const LISTED_COMMANDS: i64 = 10;

/// The activity of a device from its counters.
fn activity(
    now: OffsetDateTime,
    last_seen: Option<OffsetDateTime>,
    previous: i64,
    current: i64,
    dropped_last_hour: i64,
) -> DeviceActivity {
    DeviceActivity {
        last_seen: last_seen.map(crate::infra::format::rfc3339),
        online: last_seen.is_some_and(|seen| (now - seen).whole_seconds() <= ONLINE_WITHIN_SECONDS),
        per_minute: per_minute(previous, current, now.second()),
        dropped_last_hour: u32::try_from(dropped_last_hour.max(0)).unwrap_or(u32::MAX),
    }
}

/// The start of `now`'s minute.
fn minute_of(now: OffsetDateTime) -> OffsetDateTime {
    now.replace_second(0)
        .and_then(|t| t.replace_nanosecond(0))
        .unwrap_or(now)
}

impl Control {
    /// One page of the subscription's devices whose names begin with
    /// `search`, by name, with how much each talks.
    pub async fn device_list(
        &self,
        caller: &Caller,
        slug: &str,
        subscription: Uuid,
        page: u32,
        search: &str,
    ) -> Outcome<DeviceList> {
        let now = self.clock.now();
        let mut conn = self.db.pool().acquire().await?;
        let org =
            or_refuse!(access::check(&mut conn, caller, slug, Need::read(Permission::UseServices)).await?);
        let owned = sqlx::query_scalar!(
            "SELECT count(*) FROM subscriptions WHERE id = $1 AND organization_id = $2 AND offer_kind = 'iot'",
            subscription,
            org.id,
        )
        .fetch_one(&mut *conn)
        .await?;
        if owned != Some(1) {
            return Ok(Err(Refusal::NotFound));
        }
        let search = search.trim().to_lowercase();
        let prefix = format!(
            "{}%",
            search
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let total = sqlx::query_scalar!(
            r#"SELECT count(*) AS "n!" FROM devices
                WHERE subscription_id = $1 AND removed_at IS NULL AND name LIKE $2"#,
            subscription,
            prefix,
        )
        .fetch_one(&mut *conn)
        .await?;
        let total = u32::try_from(total).unwrap_or(u32::MAX);
        let pages = total.div_ceil(DEVICES_PER_PAGE).max(1);
        let page = page.clamp(1, pages);
        let minute = minute_of(now);
        let rows = sqlx::query!(
            r#"WITH page AS MATERIALIZED (
                 SELECT d.id, d.name, d.created_at, d.enabled, d.applied_version, d.credentials_version, d.shown_version
                   FROM devices d
                  WHERE d.subscription_id = $1 AND d.removed_at IS NULL AND d.name LIKE $2
                  ORDER BY d.name LIMIT $3 OFFSET $5)
               SELECT d.id AS "id!", d.name AS "name!", to_char(d.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS "registered_on!",
                      d.enabled AS "enabled!", d.applied_version, d.credentials_version AS "credentials_version!",
                      d.shown_version IS NOT DISTINCT FROM d.credentials_version AS "shown!",
                      a.last_seen_at AS "last_seen_at?",
                      coalesce(c.received - c.dropped, 0) AS "current!",
                      coalesce(p.received - p.dropped, 0) AS "previous!",
                      (SELECT coalesce(sum(x.dropped), 0) FROM device_minutes x
                        WHERE x.device_id = d.id AND x.minute > $4 - interval '1 hour') AS "dropped!"
                 FROM page d
                 LEFT JOIN device_activity a ON a.device_id = d.id
                 LEFT JOIN device_minutes c ON c.device_id = d.id AND c.minute = $4
                 LEFT JOIN device_minutes p ON p.device_id = d.id AND p.minute = $4 - interval '1 minute'
                ORDER BY d.name"#,
            subscription,
            prefix,
            i64::from(DEVICES_PER_PAGE),
            minute,
            i64::from((page - 1) * DEVICES_PER_PAGE),
        )
        .fetch_all(&mut *conn)
        .await?;
        let devices = rows
            .into_iter()
            .map(|row| ListedDevice {
                device: Device {
                    id: row.id.to_string(),
                    name: row.name,
                    registered_on: row.registered_on,
                    status: DeviceStatus::of(row.enabled, row.applied_version, row.credentials_version),
                    password_shown: row.shown,
                },
                activity: activity(
                    now,
                    row.last_seen_at,
                    i64::from(row.previous),
                    i64::from(row.current),
                    row.dropped,
                ),
            })
            .collect();
        Ok(Ok(DeviceList {
            subscription_id: subscription.to_string(),
            devices,
            total,
            page,
            pages,
            search,
        }))
    }

    /// A device's telemetry: its chart of the last hour, its latest
    /// messages and its activity.
    pub async fn device_telemetry(
        &self,
        caller: &Caller,
        slug: &str,
        subscription: Uuid,
        device: Uuid,
    ) -> Outcome<DeviceTelemetry> {
        let now = self.clock.now();
        let mut conn = self.db.pool().acquire().await?;
        let org =
            or_refuse!(access::check(&mut conn, caller, slug, Need::read(Permission::UseServices)).await?);
        let found = sqlx::query!(
            r#"SELECT p.device_messages_per_minute, a.last_seen_at AS "last_seen_at?"
                 FROM devices d JOIN subscriptions s ON s.id = d.subscription_id
                 JOIN plans p ON p.id = s.plan_id
                 LEFT JOIN device_activity a ON a.device_id = d.id
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
        let minute = minute_of(now);
        let counts = sqlx::query!(
            r#"SELECT coalesce(sum(received - dropped) FILTER (WHERE minute = $2), 0) AS "current!",
                      coalesce(sum(received - dropped) FILTER (WHERE minute = $2 - interval '1 minute'), 0) AS "previous!",
                      coalesce(sum(dropped), 0) AS "dropped!"
                 FROM device_minutes WHERE device_id = $1 AND minute > $2 - interval '1 hour'"#,
            device,
            minute,
        )
        .fetch_one(&mut *conn)
        .await?;
        let start = now - time::Duration::seconds(i64::from(WINDOW_SECONDS));
        let buckets = sqlx::query!(
            r#"SELECT f.key AS "field!",
                      floor(extract(epoch FROM (m.received_at - $3))::float8 / $4::float8)::int AS "bucket!",
                      avg((f.value::text)::float8) AS "mean!",
                      (array_agg((f.value::text)::float8 ORDER BY m.received_at DESC))[1] AS "latest!"
                 FROM device_messages m, jsonb_each(m.numbers) AS f
                WHERE m.subscription_id = $1 AND m.device_id = $2 AND m.received_at >= $3
                  AND jsonb_typeof(f.value) = 'number'
                GROUP BY 1, 2 ORDER BY 1, 2"#,
            subscription,
            device,
            start,
            f64::from(BUCKET_SECONDS),
        )
        .fetch_all(&mut *conn)
        .await?;
        let mut series: BTreeMap<String, Series> = BTreeMap::new();
        for bucket in buckets {
            if series.len() == CHARTED_FIELDS && !series.contains_key(&bucket.field) {
                continue;
            }
            let at = u32::try_from(bucket.bucket.max(0))
                .unwrap_or(0)
                .saturating_mul(BUCKET_SECONDS)
                .saturating_add(BUCKET_SECONDS / 2)
                .min(WINDOW_SECONDS);
            let entry = series.entry(bucket.field.clone()).or_insert_with(|| Series {
                field: bucket.field,
                points: Vec::new(),
                last: bucket.latest,
            });
            entry.points.push((at, bucket.mean));
            entry.last = bucket.latest;
        }
        let recent = sqlx::query!(
            r#"SELECT received_at, topic, payload, numbers IS NOT NULL AS "json!"
                 FROM device_messages
                WHERE subscription_id = $1 AND device_id = $2
                ORDER BY received_at DESC LIMIT $3"#,
            subscription,
            device,
            RECENT_MESSAGES,
        )
        .fetch_all(&mut *conn)
        .await?;
        let clock = format_description!("[hour]:[minute]:[second]");
        let recent = recent
            .into_iter()
            .map(|row| RawMessage {
                at: row.received_at.format(clock).unwrap_or_default(),
                topic: row.topic,
                payload: row.payload,
                json: row.json,
            })
            .collect();
        Ok(Ok(DeviceTelemetry {
            activity: activity(
                now,
                found.last_seen_at,
                counts.previous,
                counts.current,
                counts.dropped,
            ),
            limit_per_minute: found
                .device_messages_per_minute
                .and_then(|limit| u32::try_from(limit).ok()),
            window_seconds: WINDOW_SECONDS,
            window_end: now
                .format(format_description!("[hour]:[minute]"))
                .unwrap_or_default(),
            series: series
                .values()
                .map(|series| series.drawn(WINDOW_SECONDS))
                .collect(),
            recent,
        }))
    }

    /// The commands last sent to a device, newest first.
    pub async fn device_commands(
        &self,
        caller: &Caller,
        slug: &str,
        subscription: Uuid,
        device: Uuid,
    ) -> Outcome<Vec<SentCommand>> {
        let mut conn = self.db.pool().acquire().await?;
        let org =
            or_refuse!(access::check(&mut conn, caller, slug, Need::read(Permission::UseServices)).await?);
        let rows = sqlx::query!(
            r#"SELECT c.sent_at, c.payload, c.outcome
                 FROM device_commands c JOIN devices d ON d.id = c.device_id
                 JOIN subscriptions s ON s.id = d.subscription_id
                WHERE c.device_id = $1 AND d.subscription_id = $2 AND s.organization_id = $3
                ORDER BY c.sent_at DESC LIMIT $4"#,
            device,
            subscription,
            org.id,
            LISTED_COMMANDS,
        )
        .fetch_all(&mut *conn)
        .await?;
        let format = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
        Ok(Ok(rows
            .into_iter()
            .filter_map(|row| {
                Some(SentCommand {
                    at: row.sent_at.format(format).ok()?,
                    payload: row.payload,
                    result: CommandResult::parse(&row.outcome)?,
                })
            })
            .collect()))
    }

    /// Publishes `command` to the device's commands topic and records what
    /// the broker answered (an unreachable broker is an answer too).
    pub async fn send_device_command(
        &self,
        caller: &Caller,
        slug: &str,
        subscription: Uuid,
        device: Uuid,
        command: &DeviceCommand,
    ) -> Outcome<CommandResult> {
        let now = self.clock.now();
        let mut conn = self.db.pool().acquire().await?;
        let org =
            or_refuse!(access::check(&mut conn, caller, slug, Need::write(Permission::UseServices)).await?);
        let found = sqlx::query!(
            r#"SELECT d.name, d.enabled, d.applied_version, d.credentials_version, s.state AS "state: SubscriptionState"
                 FROM devices d JOIN subscriptions s ON s.id = d.subscription_id
                WHERE d.id = $1 AND d.subscription_id = $2 AND s.organization_id = $3 AND d.removed_at IS NULL"#,
            device,
            subscription,
            org.id,
        )
        .fetch_optional(&mut *conn)
        .await?;
        drop(conn);
        let Some(found) = found else {
            return Ok(Err(Refusal::NotFound));
        };
        let status = DeviceStatus::of(found.enabled, found.applied_version, found.credentials_version);
        if status == DeviceStatus::Disabled || found.state != SubscriptionState::Active {
            return Ok(Err(Refusal::WrongState));
        }
        let portal = self
            .devices
            .as_ref()
            .and_then(|access| access.commands.as_ref())
            .ok_or(Error::NotConfigured("mqtt"))?;
        let (_, topic) = crate::backends::mqtt::device_topics(slug, &found.name);
        let result = match portal
            .send_command(&topic, command.as_str().as_bytes().to_vec())
            .await
        {
            Ok(crate::backends::mqtt::CommandOutcome::Delivered) => CommandResult::Delivered,
            Ok(crate::backends::mqtt::CommandOutcome::NoListener) => CommandResult::NoListener,
            Ok(crate::backends::mqtt::CommandOutcome::Refused) => CommandResult::Refused,
            Err(error) => {
                tracing::warn!(%error, "a device command did not reach the broker");
                CommandResult::Unreachable
            }
        };
        let mut tx = self.db.pool().begin().await?;
        sqlx::query!(
            "INSERT INTO device_commands (id, device_id, sent_at, payload, outcome) VALUES ($1, $2, $3, $4, $5)",
            Uuid::new_v4(),
            device,
            now,
            command.as_str(),
            result.code(),
        )
        .execute(&mut *tx)
        .await?;
        let event = AuditEvent::new(
            Some(org.id),
            AuditAction::DeviceCommand,
            format!("device:{}", found.name),
        )
        .after(json!({
            "subscription": subscription.to_string(),
            "name": found.name,
            "bytes": command.as_str().len(),
            "result": result.code(),
        }));
        or_refuse!(self.commit_change(tx, caller, now, event).await?);
        Ok(Ok(result))
    }
}
