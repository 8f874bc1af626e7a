//! Keeps the day partitions of `device_messages` ahead of time and
//! deletes what the plans no longer keep: inside the days older than the
//! shortest retention, each subscription's messages older than its plan's
//! retention; a whole day older than the longest retention is dropped.
//! Counters per minute are kept two days, commands thirty.

use std::time::Duration;

use time::OffsetDateTime;

use crate::{Control, Result};

/// Days of partitions made ahead (today included).
const DAYS_AHEAD: i32 = 3;

pub(super) async fn run(control: Control, every: Duration) {
    loop {
        if let Err(error) = control.keep_device_messages().await {
            tracing::warn!(%error, "device messages' retention not applied; trying again later");
        }
        tokio::time::sleep(every).await;
    }
}

impl Control {
    /// Makes the coming days' partitions and deletes what expired.
    pub async fn keep_device_messages(&self) -> Result<()> {
        let now = self.clock.now();
        let pool = self.db.pool();
        sqlx::query!(
            "SELECT ensure_device_message_partitions(($1::timestamptz AT TIME ZONE 'UTC')::date, $2)",
            now,
            DAYS_AHEAD,
        )
        .execute(pool)
        .await?;
        let bounds = sqlx::query!(
            r#"SELECT min(telemetry_retention_days) AS shortest, max(telemetry_retention_days) AS longest
                 FROM plans WHERE telemetry_retention_days IS NOT NULL"#
        )
        .fetch_one(pool)
        .await?;
        let (Some(shortest), Some(longest)) = (bounds.shortest, bounds.longest) else {
            return Ok(());
        };
        let days = |n: i32| now - time::Duration::days(i64::from(n));
        sqlx::query!(
            "DELETE FROM device_messages m USING subscriptions s, plans p
              WHERE m.received_at < $1 AND s.id = m.subscription_id AND p.id = s.plan_id
                AND m.received_at < $2::timestamptz - make_interval(days => coalesce(p.telemetry_retention_days, $3))",
            days(shortest),
            now,
            longest,
        )
        .execute(pool)
        .await?;
        drop_days_before(self, days(longest)).await?;
        sqlx::query!("DELETE FROM device_minutes WHERE minute < $1", days(2))
            .execute(pool)
            .await?;
        sqlx::query!("DELETE FROM organization_minutes WHERE minute < $1", days(2))
            .execute(pool)
            .await?;
        sqlx::query!("DELETE FROM device_commands WHERE sent_at < $1", days(30))
            .execute(pool)
            .await?;
        Ok(())
    }
}

/// Drops the day partitions that end before `before` (the default one,
/// holding what arrived before its day was made, is emptied by the
/// deletion instead).
async fn drop_days_before(control: &Control, before: OffsetDateTime) -> Result<()> {
    let pool = control.db.pool();
    let cutoff = (before.date() - time::Duration::days(1))
        .to_string()
        .replace('-', "");
    let expired = sqlx::query_scalar!(
        r#"SELECT c.relname AS "name!" FROM pg_inherits i
             JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'device_messages'::regclass
              AND c.relname ~ '^device_messages_[0-9]{8}$' AND substring(c.relname FROM 17) < $1"#,
        cutoff,
    )
    .fetch_all(pool)
    .await?;
    for name in expired {
        // The name was just read from the catalog and matches the pattern.
        let statement = format!("DROP TABLE IF EXISTS \"{name}\"");
        sqlx::query(&statement).execute(pool).await?;
    }
    Ok(())
}
