//! The audit trail: every state change writes one event, in the same
//! transaction as the change, naming who, what, on what, before and after,
//! and the request it came from.

use std::net::IpAddr;

use sqlx::{Postgres, Transaction};
use time::OffsetDateTime;

use crate::Result;

/// Who is asking, and from where: every operation that changes something
/// takes one, and its audit event records it.
#[derive(Debug, Clone, PartialEq)]
pub struct Caller {
    /// The Kratos identity id.
    pub identity_id: String,
    pub email: String,
    pub request_id: Option<String>,
    pub ip: Option<IpAddr>,
}

/// One change, as the audit trail keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent<'a> {
    pub organization_id: Option<uuid::Uuid>,
    /// `organization.create`, `membership.role_change`, …
    pub action: &'a str,
    /// What changed: `organization:<slug>`, `member:<email>`, …
    pub target: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// Writes `event` by `caller` at `at` inside `tx`.
pub(crate) async fn record(
    tx: &mut Transaction<'_, Postgres>,
    caller: &Caller,
    at: OffsetDateTime,
    event: AuditEvent<'_>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_events
           (at, actor, actor_email, organization_id, action, target, before, after, request_id, ip)
         VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9, $10::inet)",
    )
    .bind(at)
    .bind(&caller.identity_id)
    .bind(&caller.email)
    .bind(event.organization_id)
    .bind(event.action)
    .bind(&event.target)
    .bind(event.before.map(|v| v.to_string()))
    .bind(event.after.map(|v| v.to_string()))
    .bind(&caller.request_id)
    .bind(caller.ip.map(|ip| ip.to_string()))
    .execute(&mut **tx)
    .await?;
    Ok(())
}
