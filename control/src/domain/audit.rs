//! The audit trail as pages show it, and the filters that narrow it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{LocalizedText, OfferKind};

/// Every kind of change the trail records. Stored as its code
/// (`membership.role_change`), which filters match by prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AuditAction {
    OrganizationCreate,
    InvitationCreate,
    InvitationRevoke,
    MembershipJoin,
    MembershipLeave,
    MembershipRemove,
    MembershipRoleChange,
    SubscriptionCreate,
    SubscriptionChangePlan,
    SubscriptionRequestPlanChange,
    SubscriptionCancel,
    SubscriptionApprove,
    SubscriptionReject,
    SubscriptionApprovePlanChange,
    SubscriptionRejectPlanChange,
    /// The provisioning engine moved a subscription to another state.
    SubscriptionProvisioning,
    /// The reconciler found a service changed outside the portal.
    SubscriptionDrift,
    DeviceRegister,
    DeviceRemove,
    /// A device's password replaced (the old one refused once applied).
    DeviceRotate,
    DeviceDisable,
    DeviceEnable,
    /// A device's password shown to its owner (once).
    DeviceCredentialsShow,
    /// A command sent to a device from the portal.
    DeviceCommand,
    /// An owner or admin took a backup of a service.
    BackupTake,
    /// An owner or admin restored a backup into its service.
    BackupRestore,
    /// An owner or admin chose when a service's daily backup is taken.
    BackupSchedule,
    /// An owner or admin made a download link of a backup.
    BackupDownload,
    ModuleAdd,
    ModuleRemove,
    /// Trainers put learners in a course.
    CourseAssign,
    /// Trainers took learners out of a course.
    CourseRemove,
    DomainAdd,
    DomainVerify,
    DomainRemove,
    TenantApprove,
    TenantReject,
    TenantSuspend,
    TenantResume,
    TenantClose,
    QuotaOverride,
    JobRetry,
    JobCancel,
    PlanCreate,
    PlanUpdate,
    PlanRetire,
    PlanRestore,
    /// A request refused because it would pass a limit (sign-ups, organizations…).
    LimitRefused,
    ApiClientCreate,
    ApiClientRevoke,
}

impl AuditAction {
    const CODES: [(Self, &'static str); 50] = [
        (Self::OrganizationCreate, "organization.create"),
        (Self::InvitationCreate, "invitation.create"),
        (Self::InvitationRevoke, "invitation.revoke"),
        (Self::MembershipJoin, "membership.join"),
        (Self::MembershipLeave, "membership.leave"),
        (Self::MembershipRemove, "membership.remove"),
        (Self::MembershipRoleChange, "membership.role_change"),
        (Self::SubscriptionCreate, "subscription.create"),
        (Self::SubscriptionChangePlan, "subscription.change_plan"),
        (
            Self::SubscriptionRequestPlanChange,
            "subscription.request_plan_change",
        ),
        (Self::SubscriptionCancel, "subscription.cancel"),
        (Self::SubscriptionApprove, "subscription.approve"),
        (Self::SubscriptionReject, "subscription.reject"),
        (
            Self::SubscriptionApprovePlanChange,
            "subscription.approve_plan_change",
        ),
        (
            Self::SubscriptionRejectPlanChange,
            "subscription.reject_plan_change",
        ),
        (Self::SubscriptionProvisioning, "subscription.provisioning"),
        (Self::SubscriptionDrift, "subscription.drift"),
        (Self::DeviceRegister, "device.register"),
        (Self::DeviceRemove, "device.remove"),
        (Self::DeviceRotate, "device.rotate"),
        (Self::DeviceDisable, "device.disable"),
        (Self::DeviceEnable, "device.enable"),
        (Self::DeviceCredentialsShow, "device.credentials_show"),
        (Self::DeviceCommand, "device.command"),
        (Self::BackupTake, "backup.take"),
        (Self::BackupRestore, "backup.restore"),
        (Self::BackupSchedule, "backup.schedule"),
        (Self::BackupDownload, "backup.download"),
        (Self::ModuleAdd, "module.add"),
        (Self::ModuleRemove, "module.remove"),
        (Self::CourseAssign, "course.assign"),
        (Self::CourseRemove, "course.remove"),
        (Self::DomainAdd, "domain.add"),
        (Self::DomainVerify, "domain.verify"),
        (Self::DomainRemove, "domain.remove"),
        (Self::TenantApprove, "tenant.approve"),
        (Self::TenantReject, "tenant.reject"),
        (Self::TenantSuspend, "tenant.suspend"),
        (Self::TenantResume, "tenant.resume"),
        (Self::TenantClose, "tenant.close"),
        (Self::QuotaOverride, "quota.override"),
        (Self::JobRetry, "job.retry"),
        (Self::JobCancel, "job.cancel"),
        (Self::PlanCreate, "plan.create"),
        (Self::PlanUpdate, "plan.update"),
        (Self::PlanRetire, "plan.retire"),
        (Self::PlanRestore, "plan.restore"),
        (Self::LimitRefused, "limit.refused"),
        (Self::ApiClientCreate, "api_client.create"),
        (Self::ApiClientRevoke, "api_client.revoke"),
    ];

    /// Every action, in the order of their codes.
    pub fn all() -> impl Iterator<Item = Self> {
        Self::CODES.into_iter().map(|(action, _)| action)
    }

    pub fn as_str(self) -> &'static str {
        Self::CODES
            .iter()
            .find(|(action, _)| *action == self)
            .map_or("", |(_, code)| code)
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::CODES
            .iter()
            .find(|(_, known)| *known == code)
            .map(|(action, _)| *action)
    }

    /// Whether only platform admins take it (on a tenant, its
    /// subscriptions' approvals, its quotas and jobs, the plans).
    pub fn by_platform(self) -> bool {
        use AuditAction::*;
        matches!(
            self,
            TenantApprove
                | TenantReject
                | TenantSuspend
                | TenantResume
                | TenantClose
                | QuotaOverride
                | JobRetry
                | JobCancel
                | SubscriptionApprove
                | SubscriptionReject
                | SubscriptionApprovePlanChange
                | SubscriptionRejectPlanChange
                | PlanCreate
                | PlanUpdate
                | PlanRetire
                | PlanRestore
        )
    }
}

/// One recorded change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    /// RFC 3339, UTC.
    pub at: String,
    /// Who did it: an e-mail address, or `system`.
    pub actor: String,
    /// The organization's slug, when the change concerns one.
    pub organization: Option<String>,
    pub action: String,
    pub target: String,
    /// The JSON of what it was and became, when there was something.
    pub before: Option<String>,
    pub after: Option<String>,
    pub request_id: Option<String>,
    pub ip: Option<String>,
    /// The offer of the subscription the change concerns, if it concerns one.
    pub offer: Option<OfferKind>,
    /// The names of the plans `before` and `after` name, by code.
    pub plan_names: BTreeMap<String, LocalizedText>,
}

impl AuditEntry {
    /// What kind of change it is; `None` for a code this version does not know.
    pub fn kind(&self) -> Option<AuditAction> {
        AuditAction::parse(&self.action)
    }
}

/// Narrows an audit listing; every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AuditFilter {
    /// An action or a prefix of one: `membership.` matches every membership change.
    pub action: Option<String>,
    /// The start of the actor's e-mail address.
    pub actor: Option<String>,
    /// Only this organization (slug); the organization's own log sets it.
    pub organization: Option<String>,
    /// From this day on (`YYYY-MM-DD`, UTC).
    pub since: Option<String>,
    /// Up to this day included.
    pub until: Option<String>,
    /// Keyset pagination: only entries older than the one with this id.
    pub before: Option<i64>,
}

/// One page of entries, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// Pass as `before` for the next page; `None` on the last.
    pub next_before: Option<i64>,
}

impl AuditFilter {
    /// Drops blank fields, as a form posts them.
    pub fn normalized(self) -> Self {
        let keep = |value: Option<String>| value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        Self {
            action: keep(self.action),
            actor: keep(self.actor),
            organization: keep(self.organization),
            since: keep(self.since),
            until: keep(self.until),
            before: self.before,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_one_code_that_reads_back() {
        let codes: std::collections::BTreeSet<_> = AuditAction::all().map(AuditAction::as_str).collect();
        assert_eq!(codes.len(), AuditAction::CODES.len());
        for action in AuditAction::all() {
            assert_eq!(AuditAction::parse(action.as_str()), Some(action));
        }
        assert_eq!(AuditAction::parse("membership."), None);
    }
}
