//! Subscribing an organization to a plan, changing plan and cancelling.
//! A plan that needs approval waits for a platform admin; otherwise the
//! subscription is `requested` and the provisioning engine takes it from
//! there. Quotas are checked before anything is written.

use serde_json::json;
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

use crate::{
    audit::AuditEvent,
    domain::{
        AuditAction, FieldProblem, OfferKind, OrganizationState, Permission, Refusal, SubscriptionState,
    },
    or_refuse,
    tenancy::{
        access::OrgAccess,
        catalog::plan_on_sale,
        limits::{self, Counted},
        quotas::{check_plan_fits, live_subscriptions, seat_holders, LiveSubscription},
    },
    Caller, Control, Outcome, Result,
};

fn first_state(requires_approval: bool, organization_state: OrganizationState) -> SubscriptionState {
    if needs_review(requires_approval, organization_state, None) {
        SubscriptionState::AwaitingApproval
    } else {
        SubscriptionState::Requested
    }
}

/// Whether Bibind reviews taking a plan (`requires_approval` says whether
/// that plan needs it) before it takes effect: a new subscription (no
/// `current` state) or one not provisioned yet waits when the plan or the
/// organization awaits approval; a running service, when the plan does.
pub(crate) fn needs_review(
    requires_approval: bool,
    organization_state: OrganizationState,
    current: Option<SubscriptionState>,
) -> bool {
    match current {
        None | Some(SubscriptionState::Requested | SubscriptionState::AwaitingApproval) => {
            requires_approval || organization_state == OrganizationState::PendingApproval
        }
        Some(_) => requires_approval,
    }
}

impl Control {
    /// Opens a change of the organization's live `subscription`: the caller
    /// may manage its subscriptions (the organization locked), the
    /// subscription is unchanged since `version`, and `allowed` says its state
    /// lets the change happen. Where a plan change and a cancellation start.
    async fn begin_subscription_change(
        &self,
        caller: &Caller,
        slug: &str,
        subscription: Uuid,
        version: i32,
        allowed: impl FnOnce(&OrgAccess, &LiveSubscription) -> bool,
    ) -> Result<Result<(Transaction<'static, Postgres>, OrgAccess, LiveSubscription), Refusal>> {
        let (mut tx, org) = or_refuse!(
            self.begin_change(caller, slug, Permission::ManageSubscriptions)
                .await?
        );
        // The engine moves a subscription's state under its row's lock: taken
        // first, the state read next is the one this change acts on.
        sqlx::query!(
            "SELECT id FROM subscriptions WHERE id = $1 AND organization_id = $2 FOR UPDATE",
            subscription,
            org.id,
        )
        .fetch_optional(&mut *tx)
        .await?;
        let live = live_subscriptions(&mut tx, org.id).await?;
        let Some(current) = live.into_iter().find(|s| s.id == subscription) else {
            return Ok(Err(Refusal::NotFound));
        };
        if current.version != version {
            return Ok(Err(Refusal::Stale));
        }
        if !allowed(&org, &current) {
            return Ok(Err(Refusal::WrongState));
        }
        Ok(Ok((tx, org, current)))
    }

    /// [`Self::start_subscription`] for the portal's form, which needs only
    /// whether it was done.
    pub async fn subscribe(&self, caller: &Caller, slug: &str, plan_code: &str) -> Outcome<()> {
        Ok(self.start_subscription(caller, slug, plan_code).await?.map(drop))
    }

    /// Subscribes the organization to the plan `plan_code`; the new
    /// subscription's id. The caller's address must be verified, and the
    /// operator's limits on subscriptions waiting per organization and asked
    /// per address hold.
    pub async fn start_subscription(&self, caller: &Caller, slug: &str, plan_code: &str) -> Outcome<Uuid> {
        let now = self.clock.now();
        let (mut tx, org) = or_refuse!(
            self.begin_change(caller, slug, Permission::ManageSubscriptions)
                .await?
        );
        or_refuse!(limits::verified_address(caller));
        if !org.state.open_for_business() {
            return Ok(Err(Refusal::WrongState));
        }
        for counted in [Counted::Organization(org.id), Counted::Address(caller)] {
            if let Err(refusal) = self.within_limit(&mut tx, counted).await? {
                drop(tx);
                let target = format!("organization:{slug}");
                self.audit_limit_refusal(caller, Some(org.id), target, &refusal)
                    .await?;
                return Ok(Err(refusal));
            }
        }
        let Some((plan_id, offer, plan)) = plan_on_sale(&mut tx, plan_code, now).await? else {
            return Ok(Err(Refusal::field("plan", FieldProblem::Unknown)));
        };
        let live = live_subscriptions(&mut tx, org.id).await?;
        if live.iter().any(|s| s.offer == offer) {
            return Ok(Err(Refusal::AlreadySubscribed));
        }
        let holders = seat_holders(&mut tx, org.id, now).await?;
        or_refuse!(check_plan_fits(offer, &plan, &Default::default(), &holders, 0));
        let state = first_state(plan.requires_approval, org.state);
        let id = Uuid::new_v4();
        sqlx::query!(
            "INSERT INTO subscriptions (id, organization_id, offer_kind, plan_id, state, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6)",
            id,
            org.id,
            offer as OfferKind,
            plan_id,
            state as SubscriptionState,
            now,
        )
        .execute(&mut *tx)
        .await?;
        let event = AuditEvent::new(
            Some(org.id),
            AuditAction::SubscriptionCreate,
            format!("subscription:{id}"),
        )
        .after(json!({ "offer": offer.code(), "plan": plan_code, "state": state.as_str() }));
        self.commit_with(tx, caller, now, event).await?;
        Ok(Ok(id))
    }

    /// Moves a subscription to another plan of the same offer, if nobody
    /// changed it since `version` and what is used fits the new plan.
    pub async fn change_plan(
        &self,
        caller: &Caller,
        slug: &str,
        subscription: Uuid,
        plan_code: &str,
        version: i32,
    ) -> Outcome<()> {
        let now = self.clock.now();
        let may_change = |org: &OrgAccess, current: &LiveSubscription| {
            org.state.open_for_business() && current.state.allows_plan_change()
        };
        let (mut tx, org, current) = or_refuse!(
            self.begin_subscription_change(caller, slug, subscription, version, may_change)
                .await?
        );
        let Some((plan_id, offer, plan)) = plan_on_sale(&mut tx, plan_code, now).await? else {
            return Ok(Err(Refusal::field("plan", FieldProblem::Unknown)));
        };
        if offer != current.offer {
            return Ok(Err(Refusal::field("plan", FieldProblem::Unknown)));
        }
        if plan.code == current.plan.code {
            return Ok(Ok(()));
        }
        let holders = seat_holders(&mut tx, org.id, now).await?;
        let devices = current.devices_used();
        or_refuse!(check_plan_fits(
            offer,
            &plan,
            &current.overrides,
            &holders,
            devices
        ));
        // A running service keeps its plan until Bibind approves a plan that
        // needs approval; one not provisioned yet simply takes the new plan.
        let provisioned = !matches!(
            current.state,
            SubscriptionState::Requested | SubscriptionState::AwaitingApproval
        );
        let waits = needs_review(plan.requires_approval, org.state, Some(current.state));
        let (action, state, pending) = if waits && provisioned {
            (AuditAction::SubscriptionRequestPlanChange, current.state, true)
        } else if provisioned {
            (AuditAction::SubscriptionChangePlan, current.state, false)
        } else {
            (
                AuditAction::SubscriptionChangePlan,
                first_state(plan.requires_approval, org.state),
                false,
            )
        };
        if pending {
            sqlx::query!(
                "UPDATE subscriptions SET pending_plan_id = $2, state_reason = NULL, updated_at = $3,
                        version = version + 1
                  WHERE id = $1",
                subscription,
                plan_id,
                now,
            )
            .execute(&mut *tx)
            .await?;
        } else {
            sqlx::query!(
                "UPDATE subscriptions SET plan_id = $2, pending_plan_id = NULL, state = $3, updated_at = $4,
                        version = version + 1
                  WHERE id = $1",
                subscription,
                plan_id,
                state as SubscriptionState,
                now,
            )
            .execute(&mut *tx)
            .await?;
        }
        let event = AuditEvent::new(Some(org.id), action, format!("subscription:{subscription}"))
            .before(json!({ "plan": current.plan.code.as_str(), "state": current.state.as_str() }))
            .after(json!({ "plan": plan_code, "state": state.as_str(), "awaiting_approval": pending }));
        self.commit_change(tx, caller, now, event).await
    }

    /// Cancels a subscription: closed at once when nothing was provisioned
    /// yet, else deprovisioned (the provisioning engine closes it).
    pub async fn cancel_subscription(
        &self,
        caller: &Caller,
        slug: &str,
        subscription: Uuid,
        version: i32,
    ) -> Outcome<()> {
        let now = self.clock.now();
        let may_cancel = |_: &OrgAccess, current: &LiveSubscription| current.state.allows_cancel();
        let (mut tx, org, current) = or_refuse!(
            self.begin_subscription_change(caller, slug, subscription, version, may_cancel)
                .await?
        );
        let state = match current.state {
            SubscriptionState::Requested | SubscriptionState::AwaitingApproval => SubscriptionState::Closed,
            _ => SubscriptionState::Deprovisioning,
        };
        set_state(&mut tx, subscription, state, None, now).await?;
        let event = AuditEvent::new(
            Some(org.id),
            AuditAction::SubscriptionCancel,
            format!("subscription:{subscription}"),
        )
        .before(json!({ "plan": current.plan.code.as_str(), "state": current.state.as_str() }))
        .after(json!({ "state": state.as_str() }));
        self.commit_change(tx, caller, now, event).await
    }
}

/// Moves a subscription to `state` (with the reason the customer reads).
pub(crate) async fn set_state(
    conn: &mut sqlx::PgConnection,
    subscription: Uuid,
    state: SubscriptionState,
    reason: Option<&str>,
    now: time::OffsetDateTime,
) -> Result<()> {
    sqlx::query!(
        "UPDATE subscriptions
            SET state = $2, state_reason = $3, updated_at = $4, version = version + 1,
                pending_plan_id = CASE WHEN $2 IN ('closed', 'deprovisioning') THEN NULL ELSE pending_plan_id END
          WHERE id = $1",
        subscription,
        state as SubscriptionState,
        reason,
        now,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}
