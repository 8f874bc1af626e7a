//! Domain types shared by the server and the hydrated front end. Input is
//! parsed into these once, at the edge; code past the edge trusts them.

mod access;
mod admin;
mod api_clients;
mod audit;
mod backups;
mod catalog;
mod courses;
mod custom_domains;
mod devices;
mod email;
mod enrolment;
mod identity;
mod jobs;
mod locale;
mod members;
mod modules;
mod notices;
mod organization_search;
mod plan_review;
mod plans;
mod provisioning;
mod scopes;
mod sites;
mod subscription;
mod telemetry;
mod tenancy;

pub use access::{parse_field_errors, Permission, PlatformLimit, QuotaKind, Refusal};
pub use admin::{AdminAccess, PlatformAdmin};
pub use api_clients::{ApiClientState, ApiClientView, CreatedApiClient, NewApiClient, MAX_LIFETIME_DAYS};
pub use audit::{AuditAction, AuditEntry, AuditFilter, AuditPage};
pub use backups::{
    parse_backup_time, BackupOrigin, BackupState, BackupView, BackupsPage, OffsiteState, ServiceBackups,
    OFFSITE_LATE_AFTER,
};
pub use catalog::{Offer, OfferKind, Plan, PlanCode, Quotas};
pub use courses::{
    course_code, names_course, Course, LearnerCourse, LearnerProgress, LearnerStatus, ProgressFilter,
    Trainee, TrainingView,
};
pub use custom_domains::{
    CustomDomainView, DnsRecord, DomainName, DomainProblem, DomainState, CHALLENGE_LABEL,
};
#[cfg(feature = "server")]
pub use devices::device_secret_name;
pub use devices::{Device, DeviceChange, DeviceCredentials, DeviceDetails, DeviceName, DeviceStatus};
pub use email::EmailAddress;
pub use enrolment::{
    parse_learners_csv, CsvProblem, LearnerImport, LearnerRow, RowProblem, SeatShortage, MAX_ROWS,
};
pub use identity::TenantRefusal;
pub use identity::{
    ActiveSession, Arrival, ConsentPrompt, ConsentView, Flow, FlowKind, FlowOutcome, Home, SignedInUser,
    UiContainer, UiNode, UiNodeAttributes, UiNodeMeta, UiText,
};
pub use jobs::{
    CreatedResource, JobAction, JobState, JobStatus, RetryPolicy, StepFailure, StepState, StepStatus,
};
pub use locale::{Locale, LocalizedText};
pub use members::{InvitationPreview, Member, NewInvitation, PendingInvitation};
pub use modules::{ModuleView, OdooModule, PlanModules};
pub use notices::NoticeKind;
pub use organization_search::{
    OrganizationDetail, OrganizationListing, OrganizationSearch, OrganizationSearchPage, OrganizationSort,
};
pub use plan_review::{PlanReview, PlanStep, QuotaChange};
pub use plans::{PlanDraft, PlanForm, PlanRecord, TelemetryLimits, MAX_AMOUNT};
pub use provisioning::{
    instance_name, job_kind, may_change_soon, odoo_client_id, parse_job_kind, workflow, Action, AppliedState,
    Backend, ProvisioningProgress, Step, StepProgress, SubscriptionProgress, ODOO_SIGN_IN_SCOPE,
};
pub use scopes::{Access, Family, Scope, Scopes};
pub use sites::{SiteCheck, SiteProblem, Sites};
pub use subscription::{QuotaUsage, SubscriptionState, SubscriptionView};
pub use telemetry::{
    parse_payload, per_minute, CommandResult, DeviceActivity, DeviceCommand, DeviceList, DeviceTelemetry,
    DrawnSeries, ListedDevice, ParsedPayload, RawMessage, SentCommand, Series, CHART_HEIGHT, CHART_WIDTH,
    DEVICES_PER_PAGE, MAX_COMMAND, ONLINE_WITHIN_SECONDS,
};
pub use tenancy::{
    CountryCode, FieldError, FieldProblem, MemberView, NewOrganization, OrgName, OrganizationOverview,
    OrganizationState, OrganizationSummary, OverviewStamp, Role, Slug,
};
