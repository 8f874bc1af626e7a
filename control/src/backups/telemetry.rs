//! An IoT space's backup: the messages its devices sent (what the portal
//! keeps for it, `device_messages`), as JSON lines, one message a line.
//! Read through a cursor and restored in batches, so a space of any size
//! streams through in constant memory.

use bytes::Bytes;
use futures_util::{stream, StreamExt};
use serde::{Deserialize, Serialize};
use sqlx::{Postgres, Transaction};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{
    backends::{object_storage::ByteStream, BackendError},
    domain::StepFailure,
    Control,
};

const BACKEND: &str = "portal";
/// Messages read or written per round trip.
const BATCH: usize = 5_000;
/// The longest line a backup may hold (a payload is cut at 1 KiB).
const MAX_LINE: usize = 64 * 1024;

/// One message, as a line of the backup.
#[derive(Debug, Serialize, Deserialize)]
struct Line {
    device_id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    received_at: OffsetDateTime,
    topic: String,
    payload: String,
    numbers: Option<serde_json::Value>,
}

fn database(error: sqlx::Error) -> BackendError {
    BackendError::transient(BACKEND, format!("portal database: {error}"))
}

/// Splits a stream of bytes into lines, whatever the pieces.
struct Lines {
    source: ByteStream,
    pending: Vec<u8>,
    done: bool,
}

impl Lines {
    fn new(source: ByteStream) -> Self {
        Self {
            source,
            pending: Vec::new(),
            done: false,
        }
    }

    /// The next complete line (without its newline), `None` at the end.
    async fn next(&mut self) -> Result<Option<Line>, BackendError> {
        loop {
            if let Some(end) = self.pending.iter().position(|byte| *byte == b'\n') {
                let rest = self.pending.split_off(end + 1);
                let line = std::mem::replace(&mut self.pending, rest);
                return parse(&line[..end]).map(Some);
            }
            if self.pending.len() > MAX_LINE {
                return Err(BackendError::refused(
                    BACKEND,
                    "a telemetry backup line is too long",
                ));
            }
            if self.done {
                if self.pending.is_empty() {
                    return Ok(None);
                }
                let line = std::mem::take(&mut self.pending);
                return parse(&line).map(Some);
            }
            match self.source.next().await {
                Some(piece) => self.pending.extend_from_slice(&piece?),
                None => self.done = true,
            }
        }
    }
}

fn parse(line: &[u8]) -> Result<Line, BackendError> {
    serde_json::from_slice(line)
        .map_err(|error| BackendError::refused(BACKEND, format!("not a telemetry backup line: {error}")))
}

/// Checks that `plain` is a telemetry backup, line by line (a drill).
pub async fn check_export(plain: ByteStream) -> Result<u64, BackendError> {
    let mut lines = Lines::new(plain);
    let mut count = 0;
    while lines.next().await?.is_some() {
        count += 1;
    }
    Ok(count)
}

impl Control {
    /// The subscription's messages as JSON lines, in the order they came.
    pub fn telemetry_export(&self, subscription: Uuid) -> ByteStream {
        let state = Export::Start(self.db.pool().clone(), subscription);
        Box::pin(stream::unfold(state, |state| async move {
            let tx = match state {
                Export::Start(pool, subscription) => match declare(pool, subscription).await {
                    Ok(tx) => tx,
                    Err(error) => return Some((Err(error), Export::Done)),
                },
                Export::Reading(tx) => tx,
                Export::Done => return None,
            };
            match next_batch(tx).await {
                Ok(Some((bytes, tx))) => Some((Ok(bytes), Export::Reading(tx))),
                Ok(None) => None,
                Err(error) => Some((Err(error), Export::Done)),
            }
        }))
    }

    /// Puts the messages of a telemetry backup back in place of the
    /// subscription's, in one transaction: all of them or none.
    pub async fn telemetry_import(&self, subscription: Uuid, plain: ByteStream) -> Result<u64, StepFailure> {
        let mut tx = self.db.pool().begin().await.map_err(database)?;
        sqlx::query!(
            "DELETE FROM device_messages WHERE subscription_id = $1",
            subscription
        )
        .execute(&mut *tx)
        .await
        .map_err(database)?;
        let mut lines = Lines::new(plain);
        let mut restored = 0;
        let mut batch: Vec<Line> = Vec::new();
        loop {
            let line = lines.next().await?;
            let end = line.is_none();
            batch.extend(line);
            if batch.len() >= BATCH || (end && !batch.is_empty()) {
                restored += insert(&mut tx, subscription, std::mem::take(&mut batch)).await?;
            }
            if end {
                break;
            }
        }
        tx.commit().await.map_err(database)?;
        Ok(restored)
    }
}

async fn insert(
    tx: &mut Transaction<'static, Postgres>,
    subscription: Uuid,
    lines: Vec<Line>,
) -> Result<u64, BackendError> {
    let count = lines.len() as u64;
    let mut devices = Vec::with_capacity(lines.len());
    let mut received = Vec::with_capacity(lines.len());
    let mut topics = Vec::with_capacity(lines.len());
    let mut payloads = Vec::with_capacity(lines.len());
    let mut numbers = Vec::with_capacity(lines.len());
    for line in lines {
        devices.push(line.device_id);
        received.push(line.received_at);
        topics.push(line.topic);
        payloads.push(line.payload);
        numbers.push(line.numbers.map(|numbers| numbers.to_string()));
    }
    sqlx::query!(
        "INSERT INTO device_messages (subscription_id, device_id, received_at, topic, payload, numbers)
         SELECT $1, d, r, t, p, n::jsonb
           FROM unnest($2::uuid[], $3::timestamptz[], $4::text[], $5::text[], $6::text[]) AS u(d, r, t, p, n)",
        subscription,
        &devices,
        &received,
        &topics,
        &payloads,
        &numbers as &[Option<String>],
    )
    .execute(&mut **tx)
    .await
    .map_err(database)?;
    Ok(count)
}

/// Where an export stands.
enum Export {
    Start(sqlx::PgPool, Uuid),
    Reading(Transaction<'static, Postgres>),
    Done,
}

type Pending<'a, T> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, BackendError>> + Send + 'a>>;

/// Opens the transaction and its cursor: one consistent snapshot, read a
/// batch at a time.
fn declare(pool: sqlx::PgPool, subscription: Uuid) -> Pending<'static, Transaction<'static, Postgres>> {
    Box::pin(async move {
        let mut tx = pool.begin().await.map_err(database)?;
        // The id is a UUID's text: nothing else can reach the statement.
        let declare = format!(
            "DECLARE telemetry_backup NO SCROLL CURSOR FOR
             SELECT device_id, received_at, topic, payload, numbers::text FROM device_messages
              WHERE subscription_id = '{subscription}' ORDER BY received_at, device_id"
        );
        sqlx::Executor::execute(&mut *tx, declare.as_str())
            .await
            .map_err(database)?;
        Ok(tx)
    })
}

/// The cursor's next batch as JSON lines; `None` once it is exhausted.
fn next_batch(
    mut tx: Transaction<'static, Postgres>,
) -> Pending<'static, Option<(Bytes, Transaction<'static, Postgres>)>> {
    Box::pin(async move {
        // Not checked at compile time: the cursor exists only in this transaction.
        let rows = sqlx::query_as::<_, (Uuid, OffsetDateTime, String, String, Option<String>)>(
            "FETCH 5000 FROM telemetry_backup",
        )
        .persistent(false)
        .fetch_all(&mut *tx)
        .await
        .map_err(database)?;
        if rows.is_empty() {
            // Only read: ending the transaction changes nothing.
            let _ = tx.rollback().await;
            return Ok(None);
        }
        let mut out = Vec::new();
        for (device_id, received_at, topic, payload, numbers) in rows {
            let line = Line {
                device_id,
                received_at,
                topic,
                payload,
                numbers: numbers.and_then(|text| serde_json::from_str(&text).ok()),
            };
            serde_json::to_writer(&mut out, &line)
                .map_err(|error| BackendError::refused(BACKEND, error.to_string()))?;
            out.push(b'\n');
        }
        Ok(Some((Bytes::from(out), tx)))
    })
}
