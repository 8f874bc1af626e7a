//! The words for the control plane's codes: roles, states, quotas, field
//! problems and refusals, in the page's language.

use crate::i18n::Msg;
use control::domain::{
    DeviceStatus, FieldProblem, Locale, OfferKind, OrganizationState, PlatformLimit, QuotaKind, Refusal,
    Role, SubscriptionState,
};

pub fn role_label(role: Role) -> Msg {
    match role {
        Role::Owner => Msg::RoleOwner,
        Role::Admin => Msg::RoleAdmin,
        Role::Member => Msg::RoleMember,
        Role::Learner => Msg::RoleLearner,
    }
}

pub fn offer_label(offer: OfferKind) -> Msg {
    match offer {
        OfferKind::Ecommerce => Msg::OfferNameEcommerce,
        OfferKind::Training => Msg::OfferNameTraining,
        OfferKind::Iot => Msg::OfferNameIot,
    }
}

pub fn organization_state_label(state: OrganizationState) -> Msg {
    match state {
        OrganizationState::PendingApproval => Msg::StatePendingApproval,
        OrganizationState::Active => Msg::StateActive,
        OrganizationState::Suspended => Msg::StateSuspended,
        OrganizationState::Closed => Msg::StateClosed,
    }
}

pub fn subscription_state_label(state: SubscriptionState) -> Msg {
    match state {
        SubscriptionState::Requested => Msg::SubRequested,
        SubscriptionState::AwaitingApproval => Msg::SubAwaitingApproval,
        SubscriptionState::Provisioning => Msg::SubProvisioning,
        SubscriptionState::Active => Msg::SubActive,
        SubscriptionState::Suspended => Msg::SubSuspended,
        SubscriptionState::Deprovisioning => Msg::SubDeprovisioning,
        SubscriptionState::Closed => Msg::SubClosed,
        SubscriptionState::Failed => Msg::SubFailed,
    }
}

/// A quota's name beside an amount that carries its unit
/// ([`crate::components::plan::quota_amount`]).
pub fn quota_name(quota: QuotaKind) -> Msg {
    match quota {
        QuotaKind::CpuMillicores => Msg::QuotaPlainCpu,
        QuotaKind::MemoryMib => Msg::QuotaPlainMemory,
        QuotaKind::StorageGib => Msg::QuotaPlainStorage,
        QuotaKind::BackupRetentionDays => Msg::QuotaPlainBackup,
        QuotaKind::OpenstackRamMib => Msg::QuotaPlainOsRam,
        other => quota_label(other),
    }
}

/// A quota's name with the unit of the bare numbers beside it (the admin's
/// override fields).
pub fn quota_label(quota: QuotaKind) -> Msg {
    match quota {
        QuotaKind::CpuMillicores => Msg::QuotaNameCpu,
        QuotaKind::MemoryMib => Msg::QuotaNameMemory,
        QuotaKind::StorageGib => Msg::QuotaNameStorage,
        QuotaKind::Seats => Msg::QuotaNameSeats,
        QuotaKind::Devices => Msg::QuotaNameDevices,
        QuotaKind::BackupRetentionDays => Msg::QuotaNameBackup,
        QuotaKind::OpenstackVcpus => Msg::QuotaNameOsVcpus,
        QuotaKind::OpenstackRamMib => Msg::QuotaNameOsRam,
        QuotaKind::OpenstackInstances => Msg::QuotaNameOsInstances,
    }
}

pub fn problem_text(problem: FieldProblem) -> Msg {
    match problem {
        FieldProblem::Missing => Msg::ProblemMissing,
        FieldProblem::TooShort => Msg::ProblemTooShort,
        FieldProblem::TooLong => Msg::ProblemTooLong,
        FieldProblem::BadCharacters => Msg::ProblemBadCharacters,
        FieldProblem::Reserved => Msg::ProblemReserved,
        FieldProblem::Taken => Msg::ProblemTaken,
        FieldProblem::UnknownCountry => Msg::ProblemUnknownCountry,
        FieldProblem::InvalidEmail => Msg::ProblemInvalidEmail,
        FieldProblem::Unknown => Msg::ProblemUnknown,
        FieldProblem::InvalidDate => Msg::ProblemInvalidDate,
        FieldProblem::Mismatch => Msg::ProblemMismatch,
        FieldProblem::NotANumber => Msg::ProblemNotANumber,
        FieldProblem::OutOfRange => Msg::ProblemOutOfRange,
        FieldProblem::InvalidPrice => Msg::ProblemInvalidPrice,
        FieldProblem::NotOffered => Msg::ProblemNotOffered,
        FieldProblem::NotASubdomain => Msg::ProblemNotASubdomain,
        FieldProblem::NotJson => Msg::ProblemNotJson,
    }
}

/// A refusal in words, in the page's language.
pub fn refusal_text(refusal: &Refusal) -> String {
    refusal_text_in(refusal, crate::i18n::use_locale())
}

/// A refusal in words in `locale` (the API's problem details); the quota
/// one names the quota and the numbers.
pub fn refusal_text_in(refusal: &Refusal, locale: Locale) -> String {
    let t = |msg: Msg| msg.text(locale);
    let msg = match refusal {
        Refusal::Quota {
            quota,
            limit,
            requested,
        } => {
            return t(Msg::RefusedQuota)
                .replace("{quota}", t(quota_label(*quota)))
                .replace("{requested}", &requested.to_string())
                .replace("{limit}", &limit.to_string());
        }
        Refusal::NotFound => Msg::OrgNotFoundBody,
        Refusal::Forbidden => Msg::DeniedBody,
        Refusal::Fields(_) => Msg::RefusedFields,
        Refusal::LastOwner => Msg::RefusedLastOwner,
        Refusal::Stale => Msg::RefusedStale,
        Refusal::WrongState => Msg::RefusedWrongState,
        Refusal::InvitationGone => Msg::RefusedInvitationGone,
        Refusal::WrongAccount => Msg::RefusedWrongAccount,
        Refusal::AlreadySubscribed => Msg::RefusedAlreadySubscribed,
        Refusal::AlreadyMember => Msg::RefusedAlreadyMember,
        Refusal::FormExpired => Msg::RefusedFormExpired,
        Refusal::AddressNotVerified => Msg::RefusedAddressNotVerified,
        Refusal::Limit {
            limit,
            allowed,
            current,
        } => {
            return t(Msg::RefusedLimit)
                .replace("{limit}", t(limit_label(*limit)))
                .replace("{current}", &current.to_string())
                .replace("{allowed}", &allowed.to_string());
        }
    };
    t(msg).to_owned()
}

pub fn limit_label(limit: PlatformLimit) -> Msg {
    match limit {
        PlatformLimit::OrganizationsPerAccount => Msg::LimitOrganizationsPerAccount,
        PlatformLimit::PendingSubscriptionsPerOrganization => Msg::LimitPendingSubscriptions,
        PlatformLimit::SubscriptionsPerAddressPerHour => Msg::LimitSubscriptionsPerAddress,
    }
}

/// A module's name and what it does, in the reader's language.
pub fn module_text(module: control::domain::OdooModule) -> (Msg, Msg) {
    use control::domain::OdooModule;
    match module {
        OdooModule::Wishlist => (Msg::ModuleWishlist, Msg::ModuleWishlistPurpose),
        OdooModule::ProductComparison => (Msg::ModuleComparison, Msg::ModuleComparisonPurpose),
        OdooModule::StockAvailability => (Msg::ModuleStock, Msg::ModuleStockPurpose),
        OdooModule::Blog => (Msg::ModuleBlog, Msg::ModuleBlogPurpose),
        OdooModule::CourseForum => (Msg::ModuleForum, Msg::ModuleForumPurpose),
        OdooModule::Certifications => (Msg::ModuleCertifications, Msg::ModuleCertificationsPurpose),
    }
}

/// The label of a device's status.
pub fn device_status_label(status: DeviceStatus) -> Msg {
    match status {
        DeviceStatus::SettingUp => Msg::DeviceStatusSettingUp,
        DeviceStatus::Rotating => Msg::DeviceStatusRotating,
        DeviceStatus::Active => Msg::DeviceStatusActive,
        DeviceStatus::Disabled => Msg::DeviceStatusDisabled,
    }
}
