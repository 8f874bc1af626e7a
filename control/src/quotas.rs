//! Quotas: the effective limits of a subscription (an admin's override, else
//! the plan's), what the portal itself knows is used (seats), and the check
//! every change runs before it commits.

use std::collections::HashMap;

use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{
    access::stored_role,
    catalog::plan_by_id,
    domain::{
        LocalizedText, OfferKind, Plan, QuotaKind, QuotaUsage, Refusal, Role, SubscriptionState,
        SubscriptionView,
    },
    Error, Result,
};

/// Whether a member with `role` takes one of the seats of an `offer`
/// subscription: Odoo back-office users for e-commerce, everyone (learners
/// included) for training; IoT has no seats.
pub(crate) fn takes_seat(offer: OfferKind, role: Role) -> bool {
    match offer {
        OfferKind::Ecommerce => role != Role::Learner,
        OfferKind::Training => true,
        OfferKind::Iot => false,
    }
}

/// A subscription that is not closed, with its plan and overrides.
#[derive(Debug, Clone)]
pub(crate) struct LiveSubscription {
    pub id: Uuid,
    pub offer: OfferKind,
    pub offer_name: LocalizedText,
    pub plan: Plan,
    /// A plan change waiting for approval.
    pub pending_plan: Option<Plan>,
    pub state: SubscriptionState,
    pub reason: Option<String>,
    pub version: i32,
    pub overrides: HashMap<QuotaKind, u32>,
}

impl LiveSubscription {
    pub fn limit(&self, quota: QuotaKind) -> Option<u32> {
        let plan_limit = self.plan.quotas.get(quota)?;
        Some(self.overrides.get(&quota).copied().unwrap_or(plan_limit))
    }

    /// The page's view, with the seats used by `holders`.
    pub fn view(&self, holders: &[Role]) -> SubscriptionView {
        let quotas = QuotaKind::ALL
            .into_iter()
            .filter_map(|quota| {
                let limit = self.limit(quota)?;
                let plan_limit = self.plan.quotas.get(quota).filter(|plan| *plan != limit);
                let used = (quota == QuotaKind::Seats).then(|| seats_used(self.offer, holders));
                Some(QuotaUsage {
                    quota,
                    limit,
                    plan_limit,
                    used,
                })
            })
            .collect();
        SubscriptionView {
            id: self.id.to_string(),
            offer: self.offer,
            offer_name: self.offer_name.clone(),
            plan_code: self.plan.code.to_string(),
            plan_name: self.plan.name.clone(),
            state: self.state,
            reason: self.reason.clone(),
            pending_plan: self
                .pending_plan
                .as_ref()
                .map(|plan| (plan.code.to_string(), plan.name.clone())),
            quotas,
            version: self.version,
        }
    }
}

type SubscriptionRow = (
    Uuid,
    Uuid,
    Option<Uuid>,
    String,
    Option<String>,
    i32,
    String,
    String,
);

/// The organization's subscriptions that are not closed, in offer order.
pub(crate) async fn live_subscriptions(
    conn: &mut PgConnection,
    organization: Uuid,
) -> Result<Vec<LiveSubscription>> {
    let rows: Vec<SubscriptionRow> = sqlx::query_as(
        "SELECT s.id, s.plan_id, s.pending_plan_id, s.state, s.state_reason, s.version, o.name_en, o.name_fr
           FROM subscriptions s JOIN offers o ON o.kind = s.offer_kind
          WHERE s.organization_id = $1 AND s.state <> 'closed'
          ORDER BY o.position",
    )
    .bind(organization)
    .fetch_all(&mut *conn)
    .await?;
    let mut subscriptions = Vec::with_capacity(rows.len());
    for (id, plan_id, pending_plan_id, state, reason, version, name_en, name_fr) in rows {
        let (offer, plan) = plan_by_id(conn, plan_id).await?;
        let pending_plan = match pending_plan_id {
            Some(pending) => Some(plan_by_id(conn, pending).await?.1),
            None => None,
        };
        subscriptions.push(LiveSubscription {
            id,
            offer,
            offer_name: LocalizedText {
                en: name_en,
                fr: name_fr,
            },
            plan,
            pending_plan,
            state: SubscriptionState::parse(&state).ok_or_else(|| Error::InvalidStoredData {
                table: "subscriptions",
                detail: format!("unknown state {state:?}"),
            })?,
            reason,
            version,
            overrides: overrides(conn, id).await?,
        });
    }
    Ok(subscriptions)
}

async fn overrides(conn: &mut PgConnection, subscription: Uuid) -> Result<HashMap<QuotaKind, u32>> {
    let rows: Vec<(String, i32)> =
        sqlx::query_as("SELECT quota, value FROM quota_overrides WHERE subscription_id = $1")
            .bind(subscription)
            .fetch_all(&mut *conn)
            .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(quota, value)| Some((QuotaKind::parse(&quota)?, u32::try_from(value).ok()?)))
        .collect())
}

/// The roles holding or reserving a seat: members, and invitations still open.
pub(crate) async fn seat_holders(
    conn: &mut PgConnection,
    organization: Uuid,
    now: OffsetDateTime,
) -> Result<Vec<Role>> {
    let roles: Vec<(String,)> = sqlx::query_as(
        "SELECT role FROM memberships WHERE organization_id = $1
         UNION ALL
         SELECT role FROM invitations
          WHERE organization_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $2",
    )
    .bind(organization)
    .bind(now)
    .fetch_all(&mut *conn)
    .await?;
    roles.into_iter().map(|(role,)| stored_role(&role)).collect()
}

pub(crate) fn seats_used(offer: OfferKind, holders: &[Role]) -> u32 {
    let used = holders.iter().filter(|role| takes_seat(offer, **role)).count();
    u32::try_from(used).unwrap_or(u32::MAX)
}

/// Refuses a change of seat holders (`added` in, `removed` out) that would
/// take any subscription over its seats. A change that frees seats always
/// passes, even when the organization is already over (after a downgrade by
/// an admin's override, say).
pub(crate) fn check_seats(
    subscriptions: &[LiveSubscription],
    holders: &[Role],
    added: &[Role],
    removed: &[Role],
) -> Result<(), Refusal> {
    for subscription in subscriptions {
        let Some(limit) = subscription.limit(QuotaKind::Seats) else {
            continue;
        };
        let used = seats_used(subscription.offer, holders);
        let more = seats_used(subscription.offer, added);
        let fewer = seats_used(subscription.offer, removed);
        let requested = (used + more).saturating_sub(fewer);
        if more > fewer && requested > limit {
            return Err(Refusal::Quota {
                quota: QuotaKind::Seats,
                limit,
                requested,
            });
        }
    }
    Ok(())
}

/// Refuses moving an `offer` subscription to `plan` when what is used
/// already exceeds the plan's limits (`overrides` still apply).
pub(crate) fn check_plan_fits(
    offer: OfferKind,
    plan: &Plan,
    overrides: &HashMap<QuotaKind, u32>,
    holders: &[Role],
) -> Result<(), Refusal> {
    let Some(plan_seats) = plan.quotas.seats else {
        return Ok(());
    };
    let limit = overrides.get(&QuotaKind::Seats).copied().unwrap_or(plan_seats);
    let requested = seats_used(offer, holders);
    if requested > limit {
        return Err(Refusal::Quota {
            quota: QuotaKind::Seats,
            limit,
            requested,
        });
    }
    Ok(())
}

/// Refuses new terms for plan `plan_id` that a live subscription on it
/// would not fit (what it uses now over the new limit), with the numbers.
pub(crate) async fn check_subscribers_fit(
    conn: &mut PgConnection,
    plan_id: Uuid,
    terms: &Plan,
    now: OffsetDateTime,
) -> Result<Result<(), Refusal>> {
    let tenants: Vec<(Uuid, Uuid)> = sqlx::query_as(
        "SELECT id, organization_id FROM subscriptions WHERE plan_id = $1 AND state <> 'closed'",
    )
    .bind(plan_id)
    .fetch_all(&mut *conn)
    .await?;
    for (subscription, tenant) in tenants {
        let live = live_subscriptions(conn, tenant).await?;
        let Some(current) = live.iter().find(|s| s.id == subscription) else {
            continue;
        };
        let holders = seat_holders(conn, tenant, now).await?;
        if let Err(refusal) = check_plan_fits(current.offer, terms, &current.overrides, &holders) {
            return Ok(Err(refusal));
        }
    }
    Ok(Ok(()))
}
