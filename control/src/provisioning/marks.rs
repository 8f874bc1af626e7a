//! The steps that record in the portal's database what the backends now
//! reflect: the first and last steps of every workflow. Each is idempotent
//! and audited (actor `system`) when it changes the subscription's state.

use serde_json::json;
use uuid::Uuid;

use crate::{
    audit::{self, AuditEvent},
    domain::{AppliedState, AuditAction, NoticeKind, SubscriptionState},
    jobs::notices::{queue_notice, Notice},
    Caller, Control, PageChange, Result,
};

/// The provisioning engine, as the audit trail names it.
pub(crate) fn engine() -> Caller {
    Caller::system("provisioning")
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
        let before = sqlx::query!(
            r#"SELECT organization_id, offer_kind, state AS "state: SubscriptionState",
                      (SELECT o.state = 'closed' FROM organizations o WHERE o.id = organization_id)
                        AS "organization_closed!",
                      suspended_from AS "suspended_from: SubscriptionState",
                      applied_state AS "applied: AppliedState"
                 FROM subscriptions WHERE id = $1 FOR UPDATE"#,
            subscription,
        )
        .fetch_optional(&mut *tx)
        .await?;
        let Some(before) = before else {
            return Ok(());
        };
        let (organization, state, suspended_from, applied) = (
            before.organization_id,
            before.state,
            before.suspended_from,
            before.applied,
        );
        use AppliedState as Applied;
        use SubscriptionState as State;
        let (applied_after, state_after, suspended_from_after) = match mark {
            Mark::Begun => (
                if applied == Applied::None {
                    Applied::Partial
                } else {
                    applied
                },
                if state == State::Requested {
                    State::Provisioning
                } else {
                    state
                },
                match suspended_from {
                    Some(State::Requested) => Some(State::Provisioning),
                    other => other,
                },
            ),
            Mark::Running => (
                Applied::Running,
                if matches!(state, State::Requested | State::Provisioning) {
                    State::Active
                } else {
                    state
                },
                match suspended_from {
                    Some(State::Requested | State::Provisioning) => Some(State::Active),
                    other => other,
                },
            ),
            Mark::Suspended => (Applied::Suspended, state, suspended_from),
            Mark::Closed => (
                Applied::None,
                if state == State::Deprovisioning {
                    State::Closed
                } else {
                    state
                },
                suspended_from,
            ),
        };
        let state_changes = state_after != state;
        // The version counts the changes people make, which a form seen
        // before conflicts with; the engine's progress is not one (a plan
        // change reviewed while the service was being set up still holds:
        // every change reads the state it acts on under its lock).
        sqlx::query!(
            "UPDATE subscriptions
                SET applied_state = $2, state = $3, suspended_from = $4,
                    state_reason = CASE WHEN $5 THEN NULL ELSE state_reason END,
                    updated_at = CASE WHEN $5 THEN $6 ELSE updated_at END
              WHERE id = $1",
            subscription,
            applied_after as AppliedState,
            state_after as SubscriptionState,
            suspended_from_after as Option<SubscriptionState>,
            state_changes,
            now,
        )
        .execute(&mut *tx)
        .await?;
        let notice = match state_after {
            State::Active if state_changes => Some(NoticeKind::ServiceActive),
            // A closed organization's owners were told that once, not per service.
            State::Closed if state_changes && !before.organization_closed => Some(NoticeKind::ServiceClosed),
            _ => None,
        };
        if let Some(kind) = notice {
            let notice = Notice {
                kind,
                organization,
                details: json!({ "offer": before.offer_kind }),
                except: None,
            };
            queue_notice(&mut tx, notice, now).await?;
        }
        if state_changes {
            audit::record(
                &mut tx,
                &engine(),
                now,
                AuditEvent::new(
                    Some(organization),
                    AuditAction::SubscriptionProvisioning,
                    format!("subscription:{subscription}"),
                )
                .before(json!({ "state": state.as_str() }))
                .after(json!({ "state": state_after.as_str(), "job": job })),
            )
            .await?;
        }
        self.commit_page_change(tx, PageChange::Organization(organization))
            .await
    }
}
