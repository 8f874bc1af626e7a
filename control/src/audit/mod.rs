//! The audit trail: every state change writes one event, in the same
//! transaction as the change, naming who, what, on what, before and after,
//! and the request it came from.

use sqlx::{Postgres, Transaction};
use time::OffsetDateTime;

mod export;
mod search;

pub use export::{AuditExport, AUDIT_EXPORT_LIMIT, AUDIT_EXPORT_PAGE_SIZE};
pub use search::AUDIT_PAGE_SIZE;
pub(crate) use search::{list, ParsedFilter};

use crate::{domain::AuditAction, Caller, PageChange, Result};

/// Who reads an audit entry: Bibind's staff see all of it; a customer sees
/// what changed and which member did it, not the addresses and request
/// ids, nor the names of Bibind's staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reader {
    Staff,
    Customer,
}

/// `entry` as a customer reads it (see [`Reader`]).
pub(crate) fn customers_view(entry: &mut crate::domain::AuditEntry) {
    entry.ip = None;
    entry.request_id = None;
    if entry.kind().is_some_and(AuditAction::by_platform) {
        "Bibind".clone_into(&mut entry.actor);
    }
}

/// One change, as the audit trail keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    pub organization_id: Option<uuid::Uuid>,
    pub action: AuditAction,
    /// What changed: `organization:<slug>`, `member:<email>`, …
    pub target: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

impl AuditEvent {
    /// The event of `action` on `target`, with no state before or after
    /// until [`Self::before`] and [`Self::after`] give one: every change
    /// writes its event this way rather than spelling out each field.
    pub(crate) fn new(organization_id: Option<uuid::Uuid>, action: AuditAction, target: String) -> Self {
        Self {
            organization_id,
            action,
            target,
            before: None,
            after: None,
        }
    }

    pub(crate) fn before(self, state: serde_json::Value) -> Self {
        Self {
            before: Some(state),
            ..self
        }
    }

    pub(crate) fn after(self, state: serde_json::Value) -> Self {
        Self {
            after: Some(state),
            ..self
        }
    }
}

/// Writes `event` by `caller` at `at` inside `tx`.
pub(crate) async fn record(
    tx: &mut Transaction<'_, Postgres>,
    caller: &Caller,
    at: OffsetDateTime,
    event: AuditEvent,
) -> Result<()> {
    sqlx::query!(
        "INSERT INTO audit_events
           (at, actor, actor_email, actor_email_verified, organization_id, action, target, before, after, request_id, ip)
         VALUES ($1, $2, $3, $11, $4, $5, $6, $7::text::jsonb, $8::text::jsonb, $9, $10::text::inet)",
        at,
        caller.identity_id,
        caller.email,
        event.organization_id,
        event.action.as_str(),
        event.target,
        event.before.map(|v| v.to_string()),
        event.after.map(|v| v.to_string()),
        caller.request_id,
        caller.ip.map(|ip| ip.to_string()),
        caller.email_verified,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Writes `event` and commits `tx`: the last step of every change, so that
/// the change and its record land together or not at all.
impl crate::Control {
    pub(crate) async fn commit_with(
        &self,
        mut tx: Transaction<'_, Postgres>,
        caller: &Caller,
        at: OffsetDateTime,
        event: AuditEvent,
    ) -> Result<()> {
        let change = event
            .organization_id
            .map_or(PageChange::Everything, PageChange::Organization);
        record(&mut tx, caller, at, event).await?;
        self.commit_page_change(tx, change).await
    }

    /// [`Self::commit_with`] for the many changes that answer only whether
    /// they were made.
    pub(crate) async fn commit_change(
        &self,
        tx: Transaction<'_, Postgres>,
        caller: &Caller,
        at: OffsetDateTime,
        event: AuditEvent,
    ) -> crate::Outcome<()> {
        self.commit_with(tx, caller, at, event).await?;
        Ok(Ok(()))
    }
}
