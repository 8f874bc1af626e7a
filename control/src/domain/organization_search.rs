//! The admin portal's view of tenants: the search, its filters and sorting,
//! and one tenant's page.

use serde::{Deserialize, Serialize};

use super::{
    AuditEntry, JobStatus, Member, OfferKind, OrganizationState, PendingInvitation, SubscriptionView,
};

/// How the tenant list is ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrganizationSort {
    #[default]
    Name,
    NewestFirst,
    OldestFirst,
    State,
    Country,
}

impl OrganizationSort {
    pub const ALL: [OrganizationSort; 5] = [
        Self::Name,
        Self::NewestFirst,
        Self::OldestFirst,
        Self::State,
        Self::Country,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::NewestFirst => "newest",
            Self::OldestFirst => "oldest",
            Self::State => "state",
            Self::Country => "country",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|sort| sort.as_str() == raw)
    }
}

/// The admin's tenant search; blank fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OrganizationSearch {
    /// Part of the name, the slug or the billing e-mail.
    pub text: Option<String>,
    /// `pending_approval`, `active`, `suspended`, `closed`.
    pub state: Option<String>,
    /// Only tenants with a live subscription to this offer…
    pub offer: Option<OfferKind>,
    /// …or to this plan (code).
    pub plan: Option<String>,
    pub country: Option<String>,
    pub sort: OrganizationSort,
    /// From 1.
    pub page: u32,
}

/// A tenant as the search lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrganizationListing {
    pub slug: String,
    pub name: String,
    pub country: String,
    pub state: OrganizationState,
    /// `YYYY-MM-DD`.
    pub created_on: String,
    pub members: i64,
    /// `plan-code` of each live subscription.
    pub plans: Vec<String>,
}

/// One page of the search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrganizationSearchPage {
    pub rows: Vec<OrganizationListing>,
    /// How many tenants match in all.
    pub total: i64,
    pub page: u32,
    pub page_size: u32,
}

impl OrganizationSearchPage {
    pub fn pages(&self) -> u32 {
        let size = i64::from(self.page_size.max(1));
        u32::try_from((self.total + size - 1) / size)
            .unwrap_or(u32::MAX)
            .max(1)
    }
}

/// One tenant, as the admin's tenant page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrganizationDetail {
    pub slug: String,
    pub name: String,
    pub country: String,
    pub billing_email: String,
    pub state: OrganizationState,
    pub state_reason: Option<String>,
    pub created_on: String,
    /// For the state forms: a change made meanwhile is refused as stale.
    pub version: i32,
    pub members: Vec<Member>,
    pub invitations: Vec<PendingInvitation>,
    pub subscriptions: Vec<SubscriptionView>,
    /// The newest entries of its audit log.
    pub audit: Vec<AuditEntry>,
    /// Its latest provisioning jobs, newest first.
    pub jobs: Vec<JobStatus>,
    /// Its running services' backups (last stored, failures, last verified restore).
    pub backups: Vec<super::ServiceBackups>,
}
