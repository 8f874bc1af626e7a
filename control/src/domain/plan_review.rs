//! What choosing a plan would do, shown to the customer before they confirm.

use serde::{Deserialize, Serialize};

use super::{LocalizedText, OfferKind, Plan, QuotaKind, Refusal};

/// One organization's view of a plan it may take: the plan, what changes
/// against what it has now, and whether confirming would go through.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanReview {
    pub organization_name: String,
    pub offer: OfferKind,
    pub offer_name: LocalizedText,
    pub plan: Plan,
    pub step: PlanStep,
    /// Each quota of the offer: before (for a change), after, and what is used.
    pub quotas: Vec<QuotaChange>,
    /// Bibind reviews the subscription (or the change) before it takes effect.
    pub needs_review: bool,
    /// Why confirming would be refused now (usage over the new limits, the
    /// organization's state, an address not verified), with the numbers.
    pub refusal: Option<Refusal>,
}

/// What confirming does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PlanStep {
    /// A new subscription to the offer.
    Subscribe,
    /// The organization's subscription to the offer moves from `from`.
    Change {
        subscription_id: String,
        /// The subscription's version, so that the change is refused if
        /// someone changed it since the review was shown.
        version: i32,
        from: Box<Plan>,
    },
    /// The subscription is on this plan already: nothing to confirm.
    Current,
}

/// One quota across the choice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaChange {
    pub quota: QuotaKind,
    /// The limit now (a change only).
    pub before: Option<u32>,
    pub after: u32,
    /// What the organization uses, where the portal knows it.
    pub used: Option<u32>,
}

impl QuotaChange {
    /// Over the new limit: the change would be refused.
    pub fn exceeded(&self) -> bool {
        self.used.is_some_and(|used| used > self.after)
    }
}
