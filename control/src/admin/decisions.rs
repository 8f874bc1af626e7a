//! What platform admins change: approving or rejecting organizations and
//! subscriptions, suspending and resuming with a reason the customer reads,
//! closing a tenant after a typed confirmation, quota overrides. Each change
//! checks the admin gate, the version the admin's form was drawn from, and
//! writes its audit event in the same transaction.

use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{
    audit::AuditEvent,
    domain::{
        AdminAccess, FieldError, FieldProblem, QuotaKind, Refusal, SignedInUser, SubscriptionState,
        MAX_AMOUNT,
    },
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
    state: String,
    reason: Option<String>,
}

async fn lock_organization(
    conn: &mut PgConnection,
    slug: &str,
    version: i32,
) -> Result<Result<LockedOrganization, Refusal>> {
    let found: Option<(Uuid, String, Option<String>, i32)> = sqlx::query_as(
        "SELECT id, state, state_reason, version FROM organizations WHERE slug = $1 FOR UPDATE",
    )
    .bind(slug)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(match found {
        None => Err(Refusal::NotFound),
        Some((_, _, _, current)) if current != version => Err(Refusal::Stale),
        Some((id, state, reason, _)) => Ok(LockedOrganization { id, state, reason }),
    })
}

async fn set_organization_state(
    conn: &mut PgConnection,
    id: Uuid,
    state: &str,
    reason: Option<&str>,
    now: time::OffsetDateTime,
) -> Result<()> {
    sqlx::query(
        "UPDATE organizations SET state = $2, state_reason = $3, updated_at = $4, version = version + 1 WHERE id = $1",
    )
    .bind(id)
    .bind(state)
    .bind(reason)
    .bind(now)
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
    now: time::OffsetDateTime,
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

    /// Opens a tenant change: the admin gate, the tenant locked, the form's
    /// version still current, and the tenant in one of `from` states.
    async fn begin_organization_change(
        &self,
        user: Option<&SignedInUser>,
        slug: &str,
        version: i32,
        from: &[&str],
    ) -> Result<Result<(sqlx::Transaction<'static, sqlx::Postgres>, LockedOrganization), Refusal>> {
        or_refuse!(self.admin_may_change(user).await?);
        let mut tx = self.db.pool().begin().await?;
        let tenant = or_refuse!(lock_organization(&mut tx, slug, version).await?);
        if !from.contains(&tenant.state.as_str()) {
            return Ok(Err(Refusal::WrongState));
        }
        Ok(Ok((tx, tenant)))
    }

    /// Writes the audit event of a tenant's state change and commits.
    #[allow(clippy::too_many_arguments)]
    async fn record_organization_change(
        &self,
        tx: sqlx::Transaction<'_, sqlx::Postgres>,
        caller: &Caller,
        tenant: &LockedOrganization,
        slug: &str,
        action: &str,
        state: &str,
        reason: Option<&str>,
    ) -> Outcome<()> {
        self.commit_with(
            tx,
            caller,
            self.clock.now(),
            AuditEvent {
                organization_id: Some(tenant.id),
                action,
                target: format!("organization:{slug}"),
                before: Some(json!({ "state": tenant.state, "reason": tenant.reason })),
                after: Some(json!({ "state": state, "reason": reason })),
            },
        )
        .await?;
        Ok(Ok(()))
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
        let now = self.clock.now();
        let (mut tx, tenant) = or_refuse!(
            self.begin_organization_change(user, slug, version, &["pending_approval"])
                .await?
        );
        let (state, reason, action) = match decision {
            Decision::Approve => ("active", None, "tenant.approve"),
            Decision::Reject(reason) => ("closed", Some(reason.as_str()), "tenant.reject"),
        };
        set_organization_state(&mut tx, tenant.id, state, reason, now).await?;
        if state == "closed" {
            move_subscriptions(
                &mut tx,
                tenant.id,
                &SubscriptionState::ALL,
                SubscriptionState::Closed,
                reason,
                now,
            )
            .await?;
        } else {
            // What waited only for the organization goes ahead; plans that need approval still wait.
            for subscription in live_subscriptions(&mut tx, tenant.id).await? {
                if subscription.state == SubscriptionState::AwaitingApproval
                    && !subscription.plan.requires_approval
                {
                    set_state(&mut tx, subscription.id, SubscriptionState::Requested, None, now).await?;
                }
            }
        }
        self.record_organization_change(tx, caller, &tenant, slug, action, state, reason)
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
        let now = self.clock.now();
        let (mut tx, tenant) = or_refuse!(
            self.begin_organization_change(user, slug, version, &["active"])
                .await?
        );
        set_organization_state(&mut tx, tenant.id, "suspended", Some(reason.as_str()), now).await?;
        // Each subscription remembers what the suspension interrupted.
        sqlx::query(
            "UPDATE subscriptions
                SET suspended_from = state, state = 'suspended', state_reason = $2, updated_at = $3,
                    version = version + 1
              WHERE organization_id = $1 AND state IN ('requested', 'provisioning', 'active')",
        )
        .bind(tenant.id)
        .bind(reason.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        self.record_organization_change(
            tx,
            caller,
            &tenant,
            slug,
            "tenant.suspend",
            "suspended",
            Some(reason.as_str()),
        )
        .await
    }

    /// Lifts a suspension: the tenant is active again, and each subscription
    /// it suspended is back in the state it was in.
    pub async fn resume_organization(
        &self,
        user: Option<&SignedInUser>,
        caller: &Caller,
        slug: &str,
        version: i32,
    ) -> Outcome<()> {
        let now = self.clock.now();
        let (mut tx, tenant) = or_refuse!(
            self.begin_organization_change(user, slug, version, &["suspended"])
                .await?
        );
        set_organization_state(&mut tx, tenant.id, "active", None, now).await?;
        // Back exactly where the suspension found them.
        sqlx::query(
            "UPDATE subscriptions
                SET state = suspended_from, suspended_from = NULL, state_reason = NULL, updated_at = $2,
                    version = version + 1
              WHERE organization_id = $1 AND state = 'suspended' AND suspended_from IS NOT NULL",
        )
        .bind(tenant.id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        self.record_organization_change(tx, caller, &tenant, slug, "tenant.resume", "active", None)
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
        let now = self.clock.now();
        let (mut tx, tenant) = or_refuse!(
            self.begin_organization_change(user, slug, version, &["pending_approval", "active", "suspended"])
                .await?
        );
        set_organization_state(&mut tx, tenant.id, "closed", None, now).await?;
        // Nothing was provisioned for what was still requested or waiting:
        // closed at once; the rest is deprovisioned by the engine.
        sqlx::query(
            "UPDATE subscriptions
                SET state = CASE
                        WHEN state IN ('requested', 'awaiting_approval')
                          OR (state = 'suspended' AND suspended_from = 'requested') THEN 'closed'
                        ELSE 'deprovisioning' END,
                    suspended_from = NULL, pending_plan_id = NULL, updated_at = $2, version = version + 1
              WHERE organization_id = $1 AND state NOT IN ('closed', 'deprovisioning')",
        )
        .bind(tenant.id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE invitations SET revoked_at = $2 WHERE organization_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL",
        )
        .bind(tenant.id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        self.record_organization_change(tx, caller, &tenant, slug, "tenant.close", "closed", None)
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
        let found: Option<(Uuid, String, i32)> = sqlx::query_as(
            "SELECT s.organization_id, o.state, s.version FROM subscriptions s
               JOIN organizations o ON o.id = s.organization_id
              WHERE s.id = $1 AND s.state <> 'closed' FOR UPDATE OF o, s",
        )
        .bind(subscription)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((tenant, tenant_state, current_version)) = found else {
            return Ok(Err(Refusal::NotFound));
        };
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
            sqlx::query(
                "UPDATE subscriptions
                    SET plan_id = CASE WHEN $2 THEN pending_plan_id ELSE plan_id END,
                        pending_plan_id = NULL, state_reason = $3, updated_at = $4, version = version + 1
                  WHERE id = $1",
            )
            .bind(subscription)
            .bind(approve)
            .bind(reason)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            let kept = if approve {
                pending.code.as_str()
            } else {
                current.plan.code.as_str()
            };
            (
                if approve {
                    "subscription.approve_plan_change"
                } else {
                    "subscription.reject_plan_change"
                },
                json!({ "plan": current.plan.code.as_str(), "requested_plan": pending.code.as_str() }),
                json!({ "plan": kept, "reason": reason }),
            )
        } else {
            if current.state != SubscriptionState::AwaitingApproval || tenant_state != "active" {
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
                    "subscription.approve"
                } else {
                    "subscription.reject"
                },
                json!({ "state": current.state.as_str() }),
                json!({ "state": next.as_str(), "reason": reason }),
            )
        };
        self.commit_with(
            tx,
            caller,
            now,
            AuditEvent {
                organization_id: Some(tenant),
                action,
                target: format!("subscription:{subscription}"),
                before: Some(before),
                after: Some(after),
            },
        )
        .await?;
        Ok(Ok(()))
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
        let tenant: Option<(Uuid,)> = sqlx::query_as(
            "SELECT o.id FROM subscriptions s JOIN organizations o ON o.id = s.organization_id
              WHERE s.id = $1 AND s.state <> 'closed' FOR UPDATE OF o",
        )
        .bind(subscription)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((tenant,)) = tenant else {
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
                sqlx::query(
                    "INSERT INTO quota_overrides (subscription_id, quota, value, set_by, set_at) VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (subscription_id, quota) DO UPDATE SET value = $3, set_by = $4, set_at = $5",
                )
                .bind(subscription)
                .bind(quota.as_str())
                .bind(i32::try_from(limit).unwrap_or(i32::MAX)) // at most MAX_AMOUNT: fits
                .bind(&caller.email)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM quota_overrides WHERE subscription_id = $1 AND quota = $2")
                    .bind(subscription)
                    .bind(quota.as_str())
                    .execute(&mut *tx)
                    .await?;
            }
        }
        self.commit_with(
            tx,
            caller,
            now,
            AuditEvent {
                organization_id: Some(tenant),
                action: "quota.override",
                target: format!("subscription:{subscription}:{}", quota.as_str()),
                before: Some(json!({ "override": before, "plan": current.plan.quotas.get(quota) })),
                after: Some(json!({ "override": value })),
            },
        )
        .await?;
        Ok(Ok(()))
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
