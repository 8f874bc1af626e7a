//! Domain types shared by the server and the hydrated front end. Input is
//! parsed into these once, at the edge; code past the edge trusts them.

mod admin;
mod catalog;
mod email;
mod identity;
mod locale;
mod tenancy;

pub use admin::{AdminAccess, PlatformAdmin};
pub use catalog::{Offer, OfferKind, Plan, PlanCode, Quotas};
pub use email::EmailAddress;
pub use identity::{
    ActiveSession, ConsentPrompt, ConsentView, Flow, FlowKind, FlowOutcome, SignedInUser, UiContainer,
    UiNode, UiNodeAttributes, UiNodeMeta, UiText,
};
pub use locale::{Locale, LocalizedText};
pub use tenancy::{
    CountryCode, FieldError, FieldProblem, Member, MemberView, NewOrganization, OrgName,
    OrganizationOverview, OrganizationSummary, Role, Slug,
};
