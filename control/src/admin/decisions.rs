//! What platform admins change: approving or rejecting organizations and
//! subscriptions, suspending and resuming with a reason the customer reads,
//! closing a tenant after a typed confirmation, quota overrides. Each change
//! checks the admin gate, the version the admin's form was drawn from, and
//! writes its audit event in the same transaction.

use serde_json::json;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{
    audit::AuditEvent,
    domain::{
        AdminAccess, AuditAction, FieldError, FieldProblem, NoticeKind, OrganizationState, QuotaKind,
        Refusal, SignedInUser, SubscriptionState, MAX_AMOUNT,
    },
    jobs::notices::{queue_notice, Notice},
    or_refuse,
    tenancy::{
        quotas::{check_plan_fits, live_subscriptions, seat_holders},
        subscriptions::set_state,
    },
    Caller, Control, Outcome, Result,
};

/// What an admin decides about something waiting for approval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Approve,
    /// With the reason the customer reads.
    Reject(Reason),
}

/// A reason shown to the customer: 3 to 500 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason(String);

impl Reason {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let text = raw.trim();
        match text.chars().count() {
            0 => Err(FieldError::new("reason", FieldProblem::Missing)),
            1..=2 => Err(FieldError::new("reason", FieldProblem::TooShort)),
            n if n > 500 => Err(FieldError::new("reason", FieldProblem::TooLong)),
            _ => Ok(Self(text.to_owned())),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An organization locked for a change, as the admin's form saw it.
struct LockedOrganization {
    id: Uuid,
    state: OrganizationState,
    reason: Option<String>,
}

impl OrganizationChange<'_> {
    /// What the organization's owners and admins are told by e-mail.
    fn notice(&self) -> Option<NoticeKind> {
        match self.action {
            AuditAction::TenantSuspend => Some(NoticeKind::OrganizationSuspended),
            AuditAction::TenantResume => Some(NoticeKind::OrganizationResumed),
            AuditAction::TenantClose | AuditAction::TenantReject => Some(NoticeKind::OrganizationClosed),
            _ => None,
        }
    }
}

/// A tenant's change of state, as one admin action makes it.
struct OrganizationChange<'a> {
    /// What the audit trail calls it: `tenant.suspend`, …
    action: AuditAction,
    /// The states it may start from; from another it is refused.
    from: &'a [OrganizationState],
    to: OrganizationState,
    /// The reason its members read.
    reason: Option<&'a str>,
}

async fn lock_organization(
    conn: &mut PgConnection,
    slug: &str,
    version: i32,
) -> Result<Result<LockedOrganization, Refusal>> {
    let found = sqlx::query!(
        r#"SELECT id, state AS "state: OrganizationState", state_reason, version
             FROM organizations WHERE slug = $1 FOR UPDATE"#,
        slug,
    )
    .fetch_optional(&mut *conn)
    .await?;
    Ok(match found {
        None => Err(Refusal::NotFound),
        Some(found) if found.version != version => Err(Refusal::Stale),
        Some(found) => Ok(LockedOrganization {
            id: found.id,
            state: found.state,
            reason: found.state_reason,
        }),
    })
}

async fn set_organization_state(
    conn: &mut PgConnection,
    id: Uuid,
    state: OrganizationState,
    reason: Option<&str>,
    now: OffsetDateTime,
) -> Result<()> {
    sqlx::query!(
        "UPDATE organizations SET state = $2, state_reason = $3, updated_at = $4, version = version + 1 WHERE id = $1",
        id,
        state as OrganizationState,
        reason,
        now,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Moves every live subscription of `tenant` in one of `from` to `to`.
async fn move_subscriptions(
    conn: &mut PgConnection,
    tenant: Uuid,
    from: &[SubscriptionState],
    to: SubscriptionState,
    reason: Option<&str>,
    now: OffsetDateTime,
) -> Result<()> {
    for subscription in live_subscriptions(conn, tenant).await? {
        if from.contains(&subscription.state) {
            set_state(conn, subscription.id, to, reason, now).await?;
        }
    }
    Ok(())
}

impl Control {
    /// The admin gate for a change: anyone else is refused (403).
    pub(crate) async fn admin_may_change(&self, user: Option<&SignedInUser>) -> Result<Result<(), Refusal>> {
        Ok(match self.admin_gate(user, "/admin").await? {
            AdminAccess::Granted(()) => Ok(()),
            _ => Err(Refusal::Forbidden),
        })
    }

    /// A tenant's change, the same in every admin action on a tenant: the
    /// admin gate, the tenant locked at the form's version and in one of
    /// `change.from`, its new state, then what `also` changes in the same
    /// transaction (its subscriptions, its invitations), and the audit event.
    #[allow(clippy::too_many_arguments)]
    async fn change_organization(
        &self,
        user: Option<&SignedInUser>,
        caller: &Caller,
        slug: &str,
        version: i32,
        change: OrganizationChange<'_>,
        also: impl AsyncFnOnce(&mut PgConnection, Uuid, OffsetDateTime) -> Result<()>,
    ) -> Outcome<()> {
        let now = self.clock.now();
        or_refuse!(self.admin_may_change(user).await?);
        let mut tx = self.db.pool().begin().await?;
        let tenant = or_refuse!(lock_organization(&mut tx, slug, version).await?);
        if !change.from.contains(&tenant.state) {
            return Ok(Err(Refusal::WrongState));
        }
        set_organization_state(&mut tx, tenant.id, change.to, change.reason, now).await?;
        also(&mut tx, tenant.id, now).await?;
        if let Some(kind) = change.notice() {
            let notice = Notice {
                kind,
                organization: tenant.id,
                details: json!({ "reason": change.reason }),
                except: None,
            };
            queue_notice(&mut tx, notice, now).await?;
        }
        let event = AuditEvent::new(Some(tenant.id), change.action, format!("organization:{slug}"))
            .before(json!({ "state": tenant.state.as_str(), "reason": tenant.reason }))
            .after(json!({ "state": change.to.as_str(), "reason": change.reason }));
        self.commit_change(tx, caller, self.clock.now(), event).await
    }

    /// Approves or rejects an organization waiting for approval.
    pub async fn decide_organization(
        &self,
        user: Option<&SignedInUser>,
        caller: &Caller,
        slug: &str,
        version: i32,
        decision: &Decision,
    ) -> Outcome<()> {
        let (to, reason, action) = match decision {
            Decision::Approve => (OrganizationState::Active, None, AuditAction::TenantApprove),
            Decision::Reject(reason) => (
                OrganizationState::Closed,
                Some(reason.as_str()),
                AuditAction::TenantReject,
            ),
        };
        let from = &[OrganizationState::PendingApproval];
        let change = OrganizationChange {
            action,
            from,
            to,
            reason,
        };
        self.change_organization(user, caller, slug, version, change, async |tx, tenant, now| {
            if to == OrganizationState::Closed {
                let all = &SubscriptionState::ALL;
                return move_subscriptions(tx, tenant, all, SubscriptionState::Closed, reason, now).await;
            }
            // What waited only for the organization goes ahead; plans that need approval still wait.
            for subscription in live_subscriptions(&mut *tx, tenant).await? {
                if subscription.state == SubscriptionState::AwaitingApproval
                    && !subscription.plan.requires_approval
                {
                    set_state(&mut *tx, subscription.id, SubscriptionState::Requested, None, now).await?;
                }
            }
            Ok(())
        })
        .await
    }

    /// Suspends an active tenant and its running subscriptions, with the
    /// reason its members read.
    pub async fn suspend_organization(
        &self,
        user: Option<&SignedInUser>,
        caller: &Caller,
        slug: &str,
        version: i32,
        reason: &Reason,
    ) -> Outcome<()> {
        let change = OrganizationChange {
            action: AuditAction::TenantSuspend,
            from: &[OrganizationState::Active],
            to: OrganizationState::Suspended,
            reason: Some(reason.as_str()),
        };
        self.change_organization(user, caller, slug, version, change, async |tx, tenant, now| {
            // Each subscription remembers what the suspension interrupted.
            sqlx::query!(
                "UPDATE subscriptions
                SET suspended_from = state, state = $4, state_reason = $2, updated_at = $3,
                    version = version + 1
              WHERE organization_id = $1 AND state = ANY($5)",
                tenant,
                reason.as_str(),
                now,
                SubscriptionState::Suspended as SubscriptionState,
                &[
                    SubscriptionState::Requested,
                    SubscriptionState::Provisioning,
                    SubscriptionState::Active,
                ] as &[SubscriptionState],
            )
            .execute(&mut *tx)
            .await?;
            Ok(())
        })
        .await
    }

    /// Lifts a suspension: the tenant is active again, and each subscription
    /// it suspended is back in the state it was in. The `reason` (an invoice
    /// paid, say) is the organization's to read and the audit trail's.
    pub async fn resume_organization(
        &self,
        user: Option<&SignedInUser>,
        caller: &Caller,
        slug: &str,
        version: i32,
        reason: &Reason,
    ) -> Outcome<()> {
        let change = OrganizationChange {
            action: AuditAction::TenantResume,
            from: &[OrganizationState::Suspended],
            to: OrganizationState::Active,
            reason: Some(reason.as_str()),
        };
        self.change_organization(user, caller, slug, version, change, async |tx, tenant, now| {
            // Back exactly where the suspension found them.
            sqlx::query!(
                "UPDATE subscriptions
                SET state = suspended_from, suspended_from = NULL, state_reason = NULL, updated_at = $2,
                    version = version + 1
              WHERE organization_id = $1 AND state = $3 AND suspended_from IS NOT NULL",
                tenant,
                now,
                SubscriptionState::Suspended as SubscriptionState,
            )
            .execute(&mut *tx)
            .await?;
            Ok(())
        })
        .await
    }

    /// Closes a tenant for good once the admin typed its slug: what was
    /// provisioned is deprovisioned, the rest closed, invitations withdrawn.
    pub async fn close_organization(
        &self,
        user: Option<&SignedInUser>,
        caller: &Caller,
        slug: &str,
        version: i32,
        confirmation: &str,
    ) -> Outcome<()> {
        or_refuse!(self.admin_may_change(user).await?);
        if confirmation.trim() != slug {
            let problem = if confirmation.trim().is_empty() {
                FieldProblem::Missing
            } else {
                FieldProblem::Mismatch
            };
            return Ok(Err(Refusal::field("confirmation", problem)));
        }
        let change = OrganizationChange {
            action: AuditAction::TenantClose,
            from: &[
                OrganizationState::PendingApproval,
                OrganizationState::Active,
                OrganizationState::Suspended,
            ],
            to: OrganizationState::Closed,
            reason: None,
        };
        self.change_organization(user, caller, slug, version, change, async |tx, tenant, now| {
            // Nothing was provisioned for what was still requested or waiting:
            // closed at once; the rest is deprovisioned by the engine.
            sqlx::query!(
                "UPDATE subscriptions
                SET state = CASE
                        WHEN state = ANY($3) OR (state = $4 AND suspended_from = $5) THEN $6
                        ELSE $7 END,
                    suspended_from = NULL, pending_plan_id = NULL, updated_at = $2, version = version + 1
              WHERE organization_id = $1 AND state <> ALL($8)",
                tenant,
                now,
                &[SubscriptionState::Requested, SubscriptionState::AwaitingApproval] as &[SubscriptionState],
                SubscriptionState::Suspended as SubscriptionState,
                SubscriptionState::Requested as SubscriptionState,
                SubscriptionState::Closed as SubscriptionState,
                SubscriptionState::Deprovisioning as SubscriptionState,
                &[SubscriptionState::Closed, SubscriptionState::Deprovisioning] as &[SubscriptionState],
            )
            .execute(&mut *tx)
            .await?;
            sqlx::query!(
                "UPDATE invitations SET revoked_at = $2 WHERE organization_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL",
                tenant,
                now,
            )
            .execute(&mut *tx)
            .await?;
            Ok(())
        })
        .await
    }

    /// Decides what waits for approval on a subscription: a plan change
    /// (approved: the plan changes; rejected: the service keeps its plan and
    /// the customer reads why), else the subscription itself (approved: it is
    /// requested from the provisioning engine; rejected: closed, with why).
    pub async fn decide_subscription(
        &self,
        user: Option<&SignedInUser>,
        caller: &Caller,
        subscription: Uuid,
        version: i32,
        decision: &Decision,
    ) -> Outcome<()> {
        or_refuse!(self.admin_may_change(user).await?);
        let now = self.clock.now();
        let mut tx = self.db.pool().begin().await?;
        let found = sqlx::query!(
            r#"SELECT s.organization_id, o.state AS "organization_state: OrganizationState", s.version
                 FROM subscriptions s
                 JOIN organizations o ON o.id = s.organization_id
                WHERE s.id = $1 AND s.state <> 'closed' FOR UPDATE OF o, s"#,
            subscription,
        )
        .fetch_optional(&mut *tx)
        .await?;
        let Some(found) = found else {
            return Ok(Err(Refusal::NotFound));
        };
        let (tenant, tenant_state, current_version) =
            (found.organization_id, found.organization_state, found.version);
        if current_version != version {
            return Ok(Err(Refusal::Stale));
        }
        let live = live_subscriptions(&mut tx, tenant).await?;
        let Some(current) = live.into_iter().find(|s| s.id == subscription) else {
            return Ok(Err(Refusal::NotFound));
        };
        let reason = match decision {
            Decision::Approve => None,
            Decision::Reject(reason) => Some(reason.as_str()),
        };
        let (action, before, after) = if let Some(pending) = &current.pending_plan {
            let approve = reason.is_none();
            if approve {
                let holders = seat_holders(&mut tx, tenant, now).await?;
                let devices = current.devices_used();
                or_refuse!(check_plan_fits(
                    current.offer,
                    pending,
                    &current.overrides,
                    &holders,
                    devices
                ));
            }
            sqlx::query!(
                "UPDATE subscriptions
                    SET plan_id = CASE WHEN $2 THEN pending_plan_id ELSE plan_id END,
                        pending_plan_id = NULL, state_reason = $3, updated_at = $4, version = version + 1
                  WHERE id = $1",
                subscription,
                approve,
                reason,
                now,
            )
            .execute(&mut *tx)
            .await?;
            let kept = if approve {
                pending.code.as_str()
            } else {
                current.plan.code.as_str()
            };
            (
                if approve {
                    AuditAction::SubscriptionApprovePlanChange
                } else {
                    AuditAction::SubscriptionRejectPlanChange
                },
                json!({ "plan": current.plan.code.as_str(), "requested_plan": pending.code.as_str() }),
                json!({ "plan": kept, "reason": reason }),
            )
        } else {
            if current.state != SubscriptionState::AwaitingApproval
                || tenant_state != OrganizationState::Active
            {
                return Ok(Err(Refusal::WrongState));
            }
            let next = if reason.is_none() {
                SubscriptionState::Requested
            } else {
                SubscriptionState::Closed
            };
            set_state(&mut tx, subscription, next, reason, now).await?;
            (
                if reason.is_none() {
                    AuditAction::SubscriptionApprove
                } else {
                    AuditAction::SubscriptionReject
                },
                json!({ "state": current.state.as_str() }),
                json!({ "state": next.as_str(), "reason": reason }),
            )
        };
        let event = AuditEvent::new(Some(tenant), action, format!("subscription:{subscription}"))
            .before(before)
            .after(after);
        self.commit_change(tx, caller, now, event).await
    }

    /// Sets (or with `None`, removes) an override of one quota of one
    /// subscription. An override below what is used now is refused.
    pub async fn set_quota_override(
        &self,
        user: Option<&SignedInUser>,
        caller: &Caller,
        subscription: Uuid,
        quota: QuotaKind,
        value: Option<u32>,
    ) -> Outcome<()> {
        or_refuse!(self.admin_may_change(user).await?);
        let now = self.clock.now();
        let mut tx = self.db.pool().begin().await?;
        let tenant = sqlx::query_scalar!(
            "SELECT o.id FROM subscriptions s JOIN organizations o ON o.id = s.organization_id
              WHERE s.id = $1 AND s.state <> 'closed' FOR UPDATE OF o",
            subscription,
        )
        .fetch_optional(&mut *tx)
        .await?;
        let Some(tenant) = tenant else {
            return Ok(Err(Refusal::NotFound));
        };
        let live = live_subscriptions(&mut tx, tenant).await?;
        let Some(current) = live.iter().find(|s| s.id == subscription) else {
            return Ok(Err(Refusal::NotFound));
        };
        if current.plan.quotas.get(quota).is_none() {
            return Ok(Err(Refusal::field("quota", FieldProblem::Unknown)));
        }
        if value.is_some_and(|limit| limit > MAX_AMOUNT) {
            return Ok(Err(Refusal::field("value", FieldProblem::OutOfRange)));
        }
        let before = current.overrides.get(&quota).copied();
        // What is used must fit the limit that results, override or plan.
        let mut overrides = current.overrides.clone();
        match value {
            Some(limit) => overrides.insert(quota, limit),
            None => overrides.remove(&quota),
        };
        let holders = seat_holders(&mut tx, tenant, now).await?;
        let devices = current.devices_used();
        or_refuse!(check_plan_fits(
            current.offer,
            &current.plan,
            &overrides,
            &holders,
            devices
        ));
        match value {
            Some(limit) => {
                sqlx::query!(
                    "INSERT INTO quota_overrides (subscription_id, quota, value, set_by, set_at) VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (subscription_id, quota) DO UPDATE SET value = $3, set_by = $4, set_at = $5",
                    subscription,
                    quota as QuotaKind,
                    i32::try_from(limit).unwrap_or(i32::MAX), // at most MAX_AMOUNT: fits
                    caller.email,
                    now,
                )
                .execute(&mut *tx)
                .await?;
            }
            None => {
                sqlx::query!(
                    "DELETE FROM quota_overrides WHERE subscription_id = $1 AND quota = $2",
                    subscription,
                    quota as QuotaKind,
                )
                .execute(&mut *tx)
                .await?;
            }
        }
        let event = AuditEvent::new(
            Some(tenant),
            AuditAction::QuotaOverride,
            format!("subscription:{subscription}:{}", quota.as_str()),
        )
        .before(json!({ "override": before, "plan": current.plan.quotas.get(quota) }))
        .after(json!({ "override": value }));
        self.commit_change(tx, caller, now, event).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_short_sentences() {
        assert!(Reason::parse("  Unpaid invoice  ").is_ok_and(|r| r.as_str() == "Unpaid invoice"));
        assert_eq!(
            Reason::parse(" ").err().map(|e| e.problem),
            Some(FieldProblem::Missing)
        );
        assert_eq!(
            Reason::parse("no").err().map(|e| e.problem),
            Some(FieldProblem::TooShort)
        );
        assert_eq!(
            Reason::parse(&"x".repeat(501)).err().map(|e| e.problem),
            Some(FieldProblem::TooLong)
        );
    }
}
