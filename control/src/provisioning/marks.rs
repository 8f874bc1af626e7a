//! The steps that record in the portal's database what the backends now
//! reflect: the first and last steps of every workflow. Each is idempotent
//! and audited (actor `system`) when it changes the subscription's state.

use serde_json::json;
use uuid::Uuid;

use crate::{
    audit::{self, AuditEvent},
    Caller, Control, PageChange, Result,
};

/// The provisioning engine, as the audit trail names it.
pub(crate) fn engine() -> Caller {
    Caller {
        identity_id: "system".into(),
        email: "provisioning".into(),
        email_verified: false,
        request_id: None,
        ip: None,
    }
}

/// What a mark step records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mark {
    /// Something may now exist on the backends; a requested subscription is provisioning.
    Begun,
    /// The service runs: a provisioning subscription is active.
    Running,
    Suspended,
    /// Nothing is left: a deprovisioning subscription is closed.
    Closed,
}

impl Control {
    pub(crate) async fn mark_subscription(&self, subscription: Uuid, job: Uuid, mark: Mark) -> Result<()> {
        let now = self.clock.now();
        let mut tx = self.db.pool().begin().await?;
        let before: Option<(Uuid, String, Option<String>, String)> = sqlx::query_as(
            "SELECT organization_id, state, suspended_from, applied_state FROM subscriptions WHERE id = $1 FOR UPDATE",
        )
        .bind(subscription)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((organization, state, suspended_from, applied)) = before else {
            return Ok(());
        };
        let (applied_after, state_after, suspended_from_after) = match mark {
            Mark::Begun => (
                if applied == "none" {
                    "partial"
                } else {
                    applied.as_str()
                },
                if state == "requested" {
                    "provisioning"
                } else {
                    state.as_str()
                },
                match suspended_from.as_deref() {
                    Some("requested") => Some("provisioning"),
                    other => other,
                },
            ),
            Mark::Running => (
                "running",
                if matches!(state.as_str(), "requested" | "provisioning") {
                    "active"
                } else {
                    state.as_str()
                },
                match suspended_from.as_deref() {
                    Some("requested" | "provisioning") => Some("active"),
                    other => other,
                },
            ),
            Mark::Suspended => ("suspended", state.as_str(), suspended_from.as_deref()),
            Mark::Closed => (
                "none",
                if state == "deprovisioning" {
                    "closed"
                } else {
                    state.as_str()
                },
                suspended_from.as_deref(),
            ),
        };
        let state_changes = state_after != state;
        sqlx::query(
            "UPDATE subscriptions
                SET applied_state = $2, state = $3, suspended_from = $4,
                    state_reason = CASE WHEN $5 THEN NULL ELSE state_reason END,
                    version = version + CASE WHEN $5 THEN 1 ELSE 0 END,
                    updated_at = CASE WHEN $5 THEN $6 ELSE updated_at END
              WHERE id = $1",
        )
        .bind(subscription)
        .bind(applied_after)
        .bind(state_after)
        .bind(suspended_from_after)
        .bind(state_changes)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if state_changes {
            audit::record(
                &mut tx,
                &engine(),
                now,
                AuditEvent {
                    organization_id: Some(organization),
                    action: "subscription.provisioning",
                    target: format!("subscription:{subscription}"),
                    before: Some(json!({ "state": state })),
                    after: Some(json!({ "state": state_after, "job": job })),
                },
            )
            .await?;
        }
        self.commit_page_change(tx, PageChange::Organization(organization))
            .await
    }
}
