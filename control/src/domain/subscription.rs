//! Subscriptions to the catalog's plans, their life cycle and their usage.

use serde::{Deserialize, Serialize};

use super::{
    CustomDomainView, Device, LocalizedText, ModuleView, OfferKind, ProvisioningProgress, QuotaKind,
    SiteCheck,
};

/// Where a subscription is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SubscriptionState {
    Requested,
    AwaitingApproval,
    Provisioning,
    Active,
    Suspended,
    Deprovisioning,
    Closed,
    Failed,
}

impl SubscriptionState {
    pub const ALL: [SubscriptionState; 8] = [
        Self::Requested,
        Self::AwaitingApproval,
        Self::Provisioning,
        Self::Active,
        Self::Suspended,
        Self::Deprovisioning,
        Self::Closed,
        Self::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Requested => "requested",
            Self::AwaitingApproval => "awaiting_approval",
            Self::Provisioning => "provisioning",
            Self::Active => "active",
            Self::Suspended => "suspended",
            Self::Deprovisioning => "deprovisioning",
            Self::Closed => "closed",
            Self::Failed => "failed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|state| state.as_str() == raw)
    }

    /// Whether the customer may move it to another plan now.
    pub fn allows_plan_change(self) -> bool {
        matches!(
            self,
            Self::Requested | Self::AwaitingApproval | Self::Provisioning | Self::Active
        )
    }

    /// Whether devices may be registered on it now.
    pub fn allows_devices(self) -> bool {
        matches!(self, Self::Requested | Self::Provisioning | Self::Active)
    }

    /// Whether the customer may cancel it now (a failed one too, to clean up).
    pub fn allows_cancel(self) -> bool {
        !matches!(self, Self::Deprovisioning | Self::Closed)
    }
}

#[cfg(feature = "server")]
super::jobs::stored_as_text!(SubscriptionState);

/// One quota of a subscription: the effective limit (an admin's override, or
/// the plan's) and, where the portal knows it, how much is used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaUsage {
    pub quota: QuotaKind,
    pub limit: u32,
    /// The plan's own limit, when an override replaces it.
    pub plan_limit: Option<u32>,
    /// In the quota's unit; for CPU, memory and storage, what is really
    /// consumed, rounded up.
    pub used: Option<u32>,
    /// CPU, memory and storage: what the service reserves (its requests),
    /// in the quota's unit.
    pub reserved: Option<u32>,
    /// CPU, memory and storage: what it really consumes, in millicores or
    /// MiB ([`QuotaKind::consumption_units`] to the quota's unit).
    pub consumed: Option<u64>,
}

impl QuotaUsage {
    /// Whether the plan provides this quota at all: a zero limit that no
    /// override changed and nothing uses means the offer does not (the
    /// OpenStack quotas of a shop, say), and its customer need not see it.
    pub fn is_provided(&self) -> bool {
        self.limit > 0 || self.plan_limit.is_some() || self.used.is_some_and(|used| used > 0)
    }
}

/// A subscription as its organization's page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubscriptionView {
    pub id: String,
    pub offer: OfferKind,
    pub offer_name: LocalizedText,
    pub plan_code: String,
    pub plan_name: LocalizedText,
    pub state: SubscriptionState,
    /// Why it is suspended or failed (or a plan change was refused), in
    /// words the customer reads.
    pub reason: Option<String>,
    /// A plan change waiting for Bibind's approval: its code and name.
    pub pending_plan: Option<(String, LocalizedText)>,
    pub quotas: Vec<QuotaUsage>,
    /// The first registered devices (IoT); the whole list is paged.
    pub devices: Vec<Device>,
    /// How many devices are registered.
    pub devices_total: u32,
    /// When CPU, memory and storage (reserved and consumed) were last
    /// measured, UTC RFC 3339; none before the first measure.
    pub measured_at: Option<String>,
    /// For the change-plan form: a change made meanwhile is refused as stale.
    pub version: i32,
    /// Its provisioning job under way, failed or cancelled.
    pub progress: Option<ProvisioningProgress>,
    /// What its plan includes or offers of Bibind's modules (Odoo offers).
    #[serde(default)]
    pub modules: Vec<ModuleView>,
    /// A change of its modules is being applied.
    #[serde(default)]
    pub modules_changing: bool,
    /// Its own domain, once one was added (owners and admins see it).
    #[serde(default)]
    pub custom_domain: Option<CustomDomainView>,
    /// The live site's address (the shop, the training space) once active.
    pub site_url: Option<String>,
    /// Whether the live site answered the reconciler's last check.
    pub site_check: Option<SiteCheck>,
    /// Whether the viewer may open its back office through the portal.
    pub back_office: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip_and_gate_changes() {
        for state in SubscriptionState::ALL {
            assert_eq!(SubscriptionState::parse(state.as_str()), Some(state));
        }
        assert!(SubscriptionState::Active.allows_plan_change());
        assert!(!SubscriptionState::Suspended.allows_plan_change());
        assert!(SubscriptionState::Failed.allows_cancel());
        assert!(!SubscriptionState::Closed.allows_cancel());
    }

    #[test]
    fn a_zero_quota_is_shown_only_when_overridden_or_used() {
        let usage = |limit, plan_limit, used| QuotaUsage {
            quota: QuotaKind::OpenstackVcpus,
            limit,
            plan_limit,
            used,
            reserved: None,
            consumed: None,
        };
        assert!(!usage(0, None, None).is_provided());
        assert!(!usage(0, None, Some(0)).is_provided());
        assert!(usage(0, Some(4), None).is_provided(), "an override took it away");
        assert!(usage(0, None, Some(2)).is_provided(), "in use beyond its limit");
        assert!(usage(8, None, None).is_provided());
    }
}
