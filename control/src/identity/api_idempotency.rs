//! `Idempotency-Key` for the API's POSTs: the first request with a key is
//! run and its answer kept 24 hours; the same key with the same request
//! gets that answer again, with another request a refusal, and while the
//! first still runs, "in flight". Keys are the client's own: two clients
//! never share one.
//!
//! A kept answer holds no secret: an answer that shows one (a new API
//! client's) is kept without it (the server says which part to keep).

use sha2::{Digest, Sha256};
use time::Duration;

use crate::{Control, Result};

/// How long an answer is kept.
pub const KEPT_FOR: Duration = Duration::hours(24);
/// How long a first request may run before its key is free again (its
/// server stopped while it ran).
const IN_FLIGHT_AT_MOST: Duration = Duration::minutes(5);
/// The longest key accepted.
pub const MAX_KEY: usize = 255;

/// What the first request with a key answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAnswer {
    pub status: u16,
    pub content_type: Option<String>,
    pub location: Option<String>,
    pub etag: Option<String>,
    pub body: Vec<u8>,
}

/// The key, claimed by this request: run it, then keep or release its answer.
#[derive(Debug)]
pub struct Claimed {
    client: String,
    key: String,
}

/// What a request with a key is to do.
#[derive(Debug)]
pub enum Claim {
    /// The first with this key: run it.
    First(Claimed),
    /// Answered already: this is the answer.
    Answered(StoredAnswer),
    /// The key was used with another request.
    Reused,
    /// The first request with this key still runs.
    InFlight,
    /// Not a key: empty, too long, or not printable.
    Invalid,
}

fn fingerprint(request: &str, body: &[u8]) -> Vec<u8> {
    let mut hash = Sha256::new();
    hash.update(request.as_bytes());
    hash.update([0]);
    hash.update(body);
    hash.finalize().to_vec()
}

impl Control {
    /// Claims `key` of `client` for `request` (method and path) with `body`.
    pub async fn claim_idempotency_key(
        &self,
        client: &str,
        key: &str,
        request: &str,
        body: &[u8],
    ) -> Result<Claim> {
        if key.is_empty() || key.len() > MAX_KEY || !key.chars().all(|c| c.is_ascii_graphic() || c == ' ') {
            return Ok(Claim::Invalid);
        }
        let now = self.clock.now();
        let fingerprint = fingerprint(request, body);
        // A first claim, or one whose answer expired or whose request died.
        let claimed = sqlx::query_scalar!(
            r#"INSERT INTO api_idempotency (client, key, fingerprint, claimed_at)
               VALUES ($1, $2, $3, $4)
               ON CONFLICT (client, key) DO UPDATE
                  SET fingerprint = EXCLUDED.fingerprint, claimed_at = EXCLUDED.claimed_at,
                      status = NULL, content_type = NULL, location = NULL, etag = NULL, body = NULL
                WHERE api_idempotency.claimed_at < $5
                   OR (api_idempotency.status IS NULL AND api_idempotency.claimed_at < $6)
               RETURNING 1 AS "claimed!""#,
            client,
            key,
            fingerprint,
            now,
            now - KEPT_FOR,
            now - IN_FLIGHT_AT_MOST,
        )
        .fetch_optional(self.db.pool())
        .await?;
        if claimed.is_some() {
            return Ok(Claim::First(Claimed {
                client: client.to_owned(),
                key: key.to_owned(),
            }));
        }
        let Some(kept) = sqlx::query!(
            "SELECT fingerprint, status, content_type, location, etag, body
               FROM api_idempotency WHERE client = $1 AND key = $2",
            client,
            key,
        )
        .fetch_optional(self.db.pool())
        .await?
        else {
            // Released meanwhile: the caller may try again.
            return Ok(Claim::InFlight);
        };
        if kept.fingerprint != fingerprint {
            return Ok(Claim::Reused);
        }
        Ok(match kept.status {
            None => Claim::InFlight,
            Some(status) => Claim::Answered(StoredAnswer {
                status: u16::try_from(status).unwrap_or(500),
                content_type: kept.content_type,
                location: kept.location,
                etag: kept.etag,
                body: kept.body.unwrap_or_default(),
            }),
        })
    }

    /// Keeps the answer to a claimed key.
    pub async fn keep_idempotent_answer(&self, claimed: Claimed, answer: &StoredAnswer) -> Result<()> {
        sqlx::query!(
            "UPDATE api_idempotency SET status = $3, content_type = $4, location = $5, etag = $6, body = $7
              WHERE client = $1 AND key = $2",
            claimed.client,
            claimed.key,
            i32::from(answer.status),
            answer.content_type,
            answer.location,
            answer.etag,
            answer.body,
        )
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// Frees a claimed key whose request failed: it may be tried again.
    pub async fn release_idempotency_key(&self, claimed: Claimed) -> Result<()> {
        sqlx::query!(
            "DELETE FROM api_idempotency WHERE client = $1 AND key = $2 AND status IS NULL",
            claimed.client,
            claimed.key,
        )
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// Deletes answers past their 24 hours; how many.
    pub async fn prune_idempotency_keys(&self) -> Result<u64> {
        let pruned = sqlx::query!(
            "DELETE FROM api_idempotency WHERE claimed_at < $1",
            self.clock.now() - KEPT_FOR,
        )
        .execute(self.db.pool())
        .await?;
        Ok(pruned.rows_affected())
    }
}
