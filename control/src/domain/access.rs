//! What each role may do in an organization, and why an operation was
//! refused. Refusals are answers, not failures: the edge shows them beside
//! the form (or as 403/404) and nothing has been written.

use serde::{Deserialize, Serialize};

use super::{FieldError, FieldProblem, Role};

/// Something a member may be allowed to do in their organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// See the organization and its subscriptions, and one's own membership.
    View,
    /// See who else is a member, and the billing address (not learners: a
    /// training organization's learners do not see each other's addresses).
    SeeMembers,
    /// Invite, change roles, remove members.
    ManageMembers,
    /// Grant or take away the owner role.
    ManageOwners,
    /// Subscribe, change plan, cancel.
    ManageSubscriptions,
    /// Read the organization's audit log.
    ReadAudit,
    /// Read why Bibind suspended, resumed or refused the organization or a
    /// service (billing, dealings): owners and admins; the others see the
    /// state only.
    ReadStateReasons,
    /// Use the services: register devices, … (not learners).
    UseServices,
    /// Sign in to a service's back office (its Odoo) through the portal:
    /// owners and admins (its administrators there) and members (sales
    /// users); not learners.
    OpenBackOffice,
    /// See the services' backups, take one, restore one, download one, set
    /// when the daily one is taken: owners and admins.
    ManageBackups,
}

impl Role {
    pub fn allows(self, permission: Permission) -> bool {
        match permission {
            Permission::View => true,
            Permission::SeeMembers => self != Role::Learner,
            Permission::ManageMembers
            | Permission::ManageSubscriptions
            | Permission::ReadAudit
            | Permission::ReadStateReasons
            | Permission::ManageBackups => {
                matches!(self, Role::Owner | Role::Admin)
            }
            Permission::ManageOwners => self == Role::Owner,
            Permission::UseServices | Permission::OpenBackOffice => self != Role::Learner,
        }
    }
}

/// A quota a plan sets and a change may exceed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum QuotaKind {
    CpuMillicores,
    MemoryMib,
    StorageGib,
    Seats,
    Devices,
    BackupRetentionDays,
    OpenstackVcpus,
    OpenstackRamMib,
    OpenstackInstances,
}

impl QuotaKind {
    pub const ALL: [QuotaKind; 9] = [
        Self::CpuMillicores,
        Self::MemoryMib,
        Self::StorageGib,
        Self::Seats,
        Self::Devices,
        Self::BackupRetentionDays,
        Self::OpenstackVcpus,
        Self::OpenstackRamMib,
        Self::OpenstackInstances,
    ];

    /// Set aside for the service on Kubernetes (its requests, fixed at
    /// setup): what it reserves and what it really consumes differ, and
    /// both are shown.
    pub fn is_reservation(self) -> bool {
        matches!(self, Self::CpuMillicores | Self::MemoryMib | Self::StorageGib)
    }

    /// How many of the unit consumption is measured in (millicores, MiB)
    /// make one of the quota's unit: 1024 MiB to a GiB of storage.
    pub fn consumption_units(self) -> u64 {
        match self {
            Self::StorageGib => 1024,
            _ => 1,
        }
    }

    /// The column of `plans` and the `quota` of `quota_overrides`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CpuMillicores => "cpu_millicores",
            Self::MemoryMib => "memory_mib",
            Self::StorageGib => "storage_gib",
            Self::Seats => "seats",
            Self::Devices => "devices",
            Self::BackupRetentionDays => "backup_retention_days",
            Self::OpenstackVcpus => "openstack_vcpus",
            Self::OpenstackRamMib => "openstack_ram_mib",
            Self::OpenstackInstances => "openstack_instances",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == raw)
    }
}

#[cfg(feature = "server")]
super::jobs::stored_as_text!(QuotaKind);

/// Why an operation on an organization did not happen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Refusal {
    /// Unknown, or not the caller's: the same answer, so existence does not leak.
    NotFound,
    /// The caller sees it but their role does not allow the change.
    Forbidden,
    /// Form fields that do not parse, or name something that does not exist.
    Fields(Vec<FieldError>),
    /// The change would take `quota` to `requested`, over its `limit`.
    Quota {
        quota: QuotaKind,
        limit: u32,
        requested: u32,
    },
    /// The organization would be left without an owner.
    LastOwner,
    /// Someone changed it since the form was shown.
    Stale,
    /// Not possible in its current state (cancelling a closed subscription, …).
    WrongState,
    /// The invitation was used, revoked or has expired.
    InvitationGone,
    /// The invitation is for another address than the signed-in account's.
    WrongAccount,
    /// The organization already has a live subscription to this offer.
    AlreadySubscribed,
    /// The invited person is already a member.
    AlreadyMember,
    /// The form's security token did not match this browser's (cookies
    /// cleared, or a page from elsewhere): nothing was done.
    FormExpired,
    /// The caller's e-mail address is not verified yet, and the operation
    /// (creating an organization, subscribing, joining one) needs it.
    AddressNotVerified,
    /// An operator's limit on what one account, organization or address may
    /// ask for: `current` already reached `allowed`.
    Limit {
        limit: PlatformLimit,
        allowed: u32,
        current: u32,
    },
}

/// Limits an operator sets against abuse (`[limits]`), each counted over
/// what the platform already holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PlatformLimit {
    /// Organizations one account owns.
    OrganizationsPerAccount,
    /// Subscriptions of one organization not provisioned yet (requested,
    /// awaiting approval, provisioning).
    PendingSubscriptionsPerOrganization,
    /// Subscriptions asked for from one address in the last hour.
    SubscriptionsPerAddressPerHour,
}

impl PlatformLimit {
    pub const ALL: [PlatformLimit; 3] = [
        Self::OrganizationsPerAccount,
        Self::PendingSubscriptionsPerOrganization,
        Self::SubscriptionsPerAddressPerHour,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::OrganizationsPerAccount => "organizations_per_account",
            Self::PendingSubscriptionsPerOrganization => "pending_subscriptions_per_organization",
            Self::SubscriptionsPerAddressPerHour => "subscriptions_per_address_per_hour",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|limit| limit.as_str() == raw)
    }
}

impl Refusal {
    pub fn field(field: &str, problem: FieldProblem) -> Self {
        Self::Fields(vec![FieldError::new(field, problem)])
    }

    fn code(&self) -> &'static str {
        match self {
            Self::NotFound => "not_found",
            Self::Forbidden => "forbidden",
            Self::Fields(_) => "fields",
            Self::Quota { .. } => "quota",
            Self::LastOwner => "last_owner",
            Self::Stale => "stale",
            Self::WrongState => "wrong_state",
            Self::InvitationGone => "invitation_gone",
            Self::WrongAccount => "wrong_account",
            Self::AlreadySubscribed => "already_subscribed",
            Self::AlreadyMember => "already_member",
            Self::FormExpired => "form_expired",
            Self::AddressNotVerified => "address_not_verified",
            Self::Limit { .. } => "limit",
        }
    }

    /// The refusal as query parameters of the page the form came from, so a
    /// page rendered without JavaScript can show it.
    pub fn to_query(&self) -> Vec<(&'static str, String)> {
        let mut pairs = vec![("refused", self.code().to_owned())];
        match self {
            Self::Fields(errors) => {
                let errors: Vec<String> = errors
                    .iter()
                    .map(|e| format!("{}:{}", e.field, e.problem.as_str()))
                    .collect();
                pairs.push(("errors", errors.join(",")));
            }
            Self::Quota {
                quota,
                limit,
                requested,
            } => {
                pairs.push(("quota", quota.as_str().to_owned()));
                pairs.push(("limit", limit.to_string()));
                pairs.push(("requested", requested.to_string()));
            }
            Self::Limit {
                limit,
                allowed,
                current,
            } => {
                pairs.push(("limit_kind", limit.as_str().to_owned()));
                pairs.push(("allowed", allowed.to_string()));
                pairs.push(("current", current.to_string()));
            }
            _ => {}
        }
        pairs
    }

    /// Reads back what [`Refusal::to_query`] wrote; `get` looks a parameter up.
    pub fn from_query(get: impl Fn(&str) -> Option<String>) -> Option<Self> {
        let code = get("refused")?;
        Some(match code.as_str() {
            "not_found" => Self::NotFound,
            "forbidden" => Self::Forbidden,
            "fields" => Self::Fields(parse_field_errors(&get("errors").unwrap_or_default())),
            "quota" => Self::Quota {
                quota: QuotaKind::parse(&get("quota")?)?,
                limit: get("limit")?.parse().ok()?,
                requested: get("requested")?.parse().ok()?,
            },
            "last_owner" => Self::LastOwner,
            "stale" => Self::Stale,
            "wrong_state" => Self::WrongState,
            "invitation_gone" => Self::InvitationGone,
            "wrong_account" => Self::WrongAccount,
            "already_subscribed" => Self::AlreadySubscribed,
            "already_member" => Self::AlreadyMember,
            "form_expired" => Self::FormExpired,
            "address_not_verified" => Self::AddressNotVerified,
            "limit" => Self::Limit {
                limit: PlatformLimit::parse(&get("limit_kind")?)?,
                allowed: get("allowed")?.parse().ok()?,
                current: get("current")?.parse().ok()?,
            },
            _ => return None,
        })
    }

    /// The problem reported for `field`, if this refusal names it.
    pub fn problem_of(&self, field: &str) -> Option<FieldProblem> {
        match self {
            Self::Fields(errors) => errors.iter().find(|e| e.field == field).map(|e| e.problem),
            _ => None,
        }
    }
}

/// `field:problem,field:problem` as the forms' query carries them.
pub fn parse_field_errors(raw: &str) -> Vec<FieldError> {
    raw.split(',')
        .filter_map(|pair| {
            let (field, problem) = pair.split_once(':')?;
            Some(FieldError::new(field, FieldProblem::parse(problem)?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_grant_what_they_say() {
        assert!(Role::Owner.allows(Permission::ManageOwners));
        assert!(!Role::Admin.allows(Permission::ManageOwners));
        assert!(Role::Admin.allows(Permission::ManageMembers));
        assert!(!Role::Member.allows(Permission::ManageSubscriptions));
        assert!(!Role::Learner.allows(Permission::ReadAudit));
        assert!(Role::Learner.allows(Permission::View));
        assert!(!Role::Learner.allows(Permission::SeeMembers));
        assert!(Role::Member.allows(Permission::SeeMembers));
    }

    #[test]
    fn refusals_survive_the_query_string() {
        let refusals = [
            Refusal::Quota {
                quota: QuotaKind::Seats,
                limit: 5,
                requested: 6,
            },
            Refusal::field("email", FieldProblem::InvalidEmail),
            Refusal::LastOwner,
            Refusal::Stale,
            Refusal::AddressNotVerified,
            Refusal::Limit {
                limit: PlatformLimit::SubscriptionsPerAddressPerHour,
                allowed: 3,
                current: 3,
            },
        ];
        for refusal in refusals {
            let pairs = refusal.to_query();
            let get = |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone());
            assert_eq!(Refusal::from_query(get), Some(refusal));
        }
        assert_eq!(Refusal::from_query(|_| Some("nonsense".into())), None);
    }
}
