//! The review a customer sees before taking a plan: the same checks
//! [`Control::subscribe`] and [`Control::change_plan`] run, without
//! writing, so that the page can say what would happen and why not.

use crate::{
    domain::{Permission, Plan, PlanReview, PlanStep, QuotaChange, QuotaKind, Refusal},
    or_refuse,
    tenancy::{
        access::{self, Need},
        limits::verified_address,
        quotas::{check_plan_fits, live_subscriptions, seat_holders, seats_used},
        subscriptions::needs_review,
    },
    Caller, Control, Outcome,
};

impl Control {
    /// What taking `plan_code` would do to the organization `slug`: a new
    /// subscription, or a change of the one it has to that offer. For
    /// members who may manage its subscriptions; an unknown plan or one not
    /// on sale is `NotFound`.
    pub async fn review_plan(&self, caller: &Caller, slug: &str, plan_code: &str) -> Outcome<PlanReview> {
        let catalog = self.public_catalog().await?;
        let Some((offer, plan)) = catalog.iter().find_map(|offer| {
            let plan = offer.plans.iter().find(|plan| plan.code.as_str() == plan_code)?;
            Some((offer, plan.clone()))
        }) else {
            return Ok(Err(Refusal::NotFound));
        };
        let mut conn = self.db.pool().acquire().await?;
        let org = or_refuse!(
            access::check(
                &mut conn,
                caller,
                slug,
                Need::read(Permission::ManageSubscriptions)
            )
            .await?
        );
        let live = live_subscriptions(&mut conn, org.id).await?;
        let holders = seat_holders(&mut conn, org.id, self.clock.now()).await?;
        let current = live.into_iter().find(|s| s.offer == offer.kind);
        let (step, quotas, needs, refusal) = match current {
            None => {
                let quotas = quota_changes(&plan, |quota| match quota {
                    QuotaKind::Seats => (None, Some(seats_used(offer.kind, &holders)), None),
                    QuotaKind::Devices => (None, Some(0), None),
                    _ => (None, None, None),
                });
                let refusal = verified_address(caller)
                    .and_then(|()| {
                        if org.state.open_for_business() {
                            Ok(())
                        } else {
                            Err(Refusal::WrongState)
                        }
                    })
                    .and_then(|()| check_plan_fits(offer.kind, &plan, &Default::default(), &holders, 0))
                    .err();
                let needs = needs_review(plan.requires_approval, org.state, None);
                (PlanStep::Subscribe, quotas, needs, refusal)
            }
            Some(current) => {
                let quotas = quota_changes(&plan, |quota| {
                    (
                        current.limit(quota),
                        current.used(quota, &holders),
                        current.overrides.get(&quota).copied(),
                    )
                });
                let step = if current.plan.code == plan.code {
                    PlanStep::Current
                } else {
                    PlanStep::Change {
                        subscription_id: current.id.to_string(),
                        version: current.version,
                        from: Box::new(current.plan.clone()),
                    }
                };
                let refusal = if org.state.open_for_business() && current.state.allows_plan_change() {
                    check_plan_fits(
                        offer.kind,
                        &plan,
                        &current.overrides,
                        &holders,
                        current.devices_used(),
                    )
                    .err()
                } else {
                    Some(Refusal::WrongState)
                };
                let needs = needs_review(plan.requires_approval, org.state, Some(current.state));
                (step, quotas, needs, refusal)
            }
        };
        Ok(Ok(PlanReview {
            organization_name: org.name,
            offer: offer.kind,
            offer_name: offer.name.clone(),
            plan,
            step,
            quotas,
            needs_review: needs,
            refusal,
        }))
    }
}

/// Each quota the offer has under `plan` (those at zero before and after
/// left out): `now` says, for one quota, the limit today, what is used and
/// an admin's override (which outlives a change of plan).
fn quota_changes(
    plan: &Plan,
    now: impl Fn(QuotaKind) -> (Option<u32>, Option<u32>, Option<u32>),
) -> Vec<QuotaChange> {
    QuotaKind::ALL
        .into_iter()
        .filter_map(|quota| {
            let plan_limit = plan.quotas.get(quota)?;
            let (before, used, overridden) = now(quota);
            Some(QuotaChange {
                quota,
                before,
                after: overridden.unwrap_or(plan_limit),
                used,
            })
        })
        .filter(|change| change.after > 0 || change.before.is_some_and(|before| before > 0))
        .collect()
}
