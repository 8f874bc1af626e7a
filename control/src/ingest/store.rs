//! One batch of device messages stored in one transaction, with the rate
//! limits decided there. Counters per minute (`device_minutes`, then
//! `organization_minutes`) are incremented first and their rows stay
//! locked until the commit, so replicas storing at once count in turn;
//! rows are always locked in id order, devices before organizations,
//! so two batches never wait on each other in a circle. Over a limit, the
//! last messages of the batch are the ones dropped, and counted.

use std::collections::{BTreeMap, BTreeSet};

use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::Result;

/// Where a stored device's messages are announced (its id as payload).
pub const DEVICE_MESSAGES_CHANNEL: &str = "device_messages";

/// A registered device, as the ingestion needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Target {
    pub device: Uuid,
    pub subscription: Uuid,
    pub organization: Uuid,
    pub device_limit: Option<i32>,
    pub organization_limit: Option<i32>,
}

/// A message to store.
pub(super) struct Arrival {
    pub target: Target,
    pub topic: String,
    pub payload: String,
    pub numbers: Option<BTreeMap<String, f64>>,
}

/// The devices named `(slug, device)` that may publish (registered, not
/// removed, in a subscription that is not closed).
pub(super) async fn targets(
    pool: &PgPool,
    names: &BTreeSet<(String, String)>,
) -> Result<BTreeMap<(String, String), Target>> {
    let (slugs, devices): (Vec<String>, Vec<String>) = names.iter().cloned().unzip();
    let rows = sqlx::query!(
        r#"SELECT k.slug AS "slug!", k.name AS "name!", d.id, d.subscription_id, s.organization_id,
                  p.device_messages_per_minute, p.organization_messages_per_minute
             FROM unnest($1::text[], $2::text[]) AS k (slug, name)
             JOIN organizations o ON o.slug = k.slug
             JOIN subscriptions s ON s.organization_id = o.id AND s.state <> 'closed'
             JOIN devices d ON d.subscription_id = s.id AND d.name = k.name AND d.removed_at IS NULL
             JOIN plans p ON p.id = s.plan_id"#,
        &slugs,
        &devices,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let target = Target {
                device: row.id,
                subscription: row.subscription_id,
                organization: row.organization_id,
                device_limit: row.device_messages_per_minute,
                organization_limit: row.organization_messages_per_minute,
            };
            ((row.slug, row.name), target)
        })
        .collect())
}

/// How many of `arrived` messages pass a limit of `limit` a minute when
/// `total` arrived this minute, these included.
fn allowed(limit: Option<i32>, total: i32, arrived: i32) -> i32 {
    match limit {
        None => arrived,
        Some(limit) => (limit - (total - arrived)).clamp(0, arrived),
    }
}

pub(super) async fn store(pool: &PgPool, now: OffsetDateTime, arrivals: &[Arrival]) -> Result<()> {
    let minute = now
        .replace_second(0)
        .and_then(|t| t.replace_nanosecond(0))
        .unwrap_or(now);
    let mut tx = pool.begin().await?;

    // Per device, in id order: how many arrived, and how many pass its limit.
    let mut per_device: BTreeMap<Uuid, (i32, Option<i32>)> = BTreeMap::new();
    for arrival in arrivals {
        let entry = per_device
            .entry(arrival.target.device)
            .or_insert((0, arrival.target.device_limit));
        entry.0 += 1;
    }
    let (ids, counts): (Vec<Uuid>, Vec<i32>) = per_device.iter().map(|(id, (n, _))| (*id, *n)).unzip();
    let totals = sqlx::query!(
        "INSERT INTO device_minutes (device_id, minute, received)
         SELECT id, $2, n FROM unnest($1::uuid[], $3::int[]) AS t (id, n)
         ON CONFLICT (device_id, minute) DO UPDATE SET received = device_minutes.received + EXCLUDED.received
         RETURNING device_id, received",
        &ids,
        minute,
        &counts,
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut device_allowance: BTreeMap<Uuid, i32> = totals
        .into_iter()
        .filter_map(|row| {
            let (arrived, limit) = per_device.get(&row.device_id)?;
            Some((row.device_id, allowed(*limit, row.received, *arrived)))
        })
        .collect();
    let mut kept: Vec<bool> = arrivals
        .iter()
        .map(|arrival| match device_allowance.get_mut(&arrival.target.device) {
            Some(left) if *left > 0 => {
                *left -= 1;
                true
            }
            _ => false,
        })
        .collect();

    // Per organization, what passed its devices' limits.
    let mut per_organization: BTreeMap<Uuid, (i32, Option<i32>)> = BTreeMap::new();
    for (arrival, _) in arrivals.iter().zip(&kept).filter(|(_, kept)| **kept) {
        let entry = per_organization
            .entry(arrival.target.organization)
            .or_insert((0, arrival.target.organization_limit));
        entry.0 += 1;
    }
    let mut organization_dropped: BTreeMap<Uuid, i32> = BTreeMap::new();
    if !per_organization.is_empty() {
        let (ids, counts): (Vec<Uuid>, Vec<i32>) =
            per_organization.iter().map(|(id, (n, _))| (*id, *n)).unzip();
        let totals = sqlx::query!(
            "INSERT INTO organization_minutes (organization_id, minute, received)
             SELECT id, $2, n FROM unnest($1::uuid[], $3::int[]) AS t (id, n)
             ON CONFLICT (organization_id, minute)
             DO UPDATE SET received = organization_minutes.received + EXCLUDED.received
             RETURNING organization_id, received",
            &ids,
            minute,
            &counts,
        )
        .fetch_all(&mut *tx)
        .await?;
        let mut allowance: BTreeMap<Uuid, i32> = totals
            .into_iter()
            .filter_map(|row| {
                let (arrived, limit) = per_organization.get(&row.organization_id)?;
                Some((row.organization_id, allowed(*limit, row.received, *arrived)))
            })
            .collect();
        for (arrival, kept) in arrivals.iter().zip(kept.iter_mut()).filter(|(_, kept)| **kept) {
            let organization = arrival.target.organization;
            match allowance.get_mut(&organization) {
                Some(left) if *left > 0 => *left -= 1,
                _ => {
                    *kept = false;
                    *organization_dropped.entry(organization).or_default() += 1;
                }
            }
        }
    }

    // The drops, counted where they were decided.
    let mut dropped: BTreeMap<Uuid, i32> = BTreeMap::new();
    for (arrival, _) in arrivals.iter().zip(&kept).filter(|(_, kept)| !**kept) {
        *dropped.entry(arrival.target.device).or_default() += 1;
    }
    if !dropped.is_empty() {
        let (ids, counts): (Vec<Uuid>, Vec<i32>) = dropped.into_iter().unzip();
        sqlx::query!(
            "UPDATE device_minutes m SET dropped = m.dropped + t.n
               FROM unnest($1::uuid[], $3::int[]) AS t (id, n)
              WHERE m.device_id = t.id AND m.minute = $2",
            &ids,
            minute,
            &counts,
        )
        .execute(&mut *tx)
        .await?;
    }
    if !organization_dropped.is_empty() {
        let (ids, counts): (Vec<Uuid>, Vec<i32>) = organization_dropped.into_iter().unzip();
        sqlx::query!(
            "UPDATE organization_minutes m SET dropped = m.dropped + t.n
               FROM unnest($1::uuid[], $3::int[]) AS t (id, n)
              WHERE m.organization_id = t.id AND m.minute = $2",
            &ids,
            minute,
            &counts,
        )
        .execute(&mut *tx)
        .await?;
    }

    // The messages kept, a microsecond apart in the order they came, so
    // that "the latest" is well defined.
    let mut times = Vec::new();
    let mut subscriptions = Vec::new();
    let mut devices = Vec::new();
    let mut topics = Vec::new();
    let mut payloads = Vec::new();
    let mut numbers = Vec::new();
    for (index, (arrival, _)) in arrivals.iter().zip(&kept).filter(|(_, kept)| **kept).enumerate() {
        times.push(now + time::Duration::microseconds(i64::try_from(index).unwrap_or(i64::MAX)));
        subscriptions.push(arrival.target.subscription);
        devices.push(arrival.target.device);
        topics.push(arrival.topic.clone());
        payloads.push(arrival.payload.clone());
        numbers.push(arrival.numbers.as_ref().map(|numbers| serde_json::json!(numbers)));
    }
    if !devices.is_empty() {
        sqlx::query!(
            "INSERT INTO device_messages (subscription_id, device_id, received_at, topic, payload, numbers)
             SELECT s, d, r, t, p, n
               FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[], $4::text[], $5::text[], $6::jsonb[])
                    AS m (s, d, r, t, p, n)",
            &subscriptions,
            &devices,
            &times,
            &topics,
            &payloads,
            &numbers as &[Option<serde_json::Value>],
        )
        .execute(&mut *tx)
        .await?;
    }

    // Heard, even when dropped; and announced to the pages that follow it.
    sqlx::query!(
        "INSERT INTO device_activity (device_id, last_seen_at) SELECT unnest($1::uuid[]), $2
         ON CONFLICT (device_id) DO UPDATE SET last_seen_at = greatest(device_activity.last_seen_at, EXCLUDED.last_seen_at)",
        &ids,
        now,
    )
    .execute(&mut *tx)
    .await?;
    let announced: Vec<String> = ids.iter().map(Uuid::to_string).collect();
    sqlx::query!(
        "SELECT pg_notify($1, id) FROM unnest($2::text[]) AS t (id)",
        DEVICE_MESSAGES_CHANNEL,
        &announced,
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::allowed;

    #[test]
    fn a_limit_lets_through_what_is_left_of_the_minute() {
        assert_eq!(allowed(None, 500, 100), 100);
        assert_eq!(allowed(Some(60), 10, 10), 10);
        assert_eq!(allowed(Some(60), 70, 20), 10);
        assert_eq!(allowed(Some(60), 90, 20), 0);
    }
}
