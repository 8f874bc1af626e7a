//! A platform admin's action on a tenant or a subscription, as the admin
//! portal's forms and the API's `/admin` operations both ask for it: the
//! action named by its segment, its text fields read, the control-plane
//! operation called. One dispatch for both doors.

use app::routes::{SubscriptionAction, TenantAction};
use control::{
    admin::decisions::{Decision, Reason},
    domain::{FieldProblem, QuotaKind, Refusal, SignedInUser},
    Caller, Control, Outcome,
};
use uuid::Uuid;

use super::answers::parsed;

/// What an action's form or body says besides its action.
#[derive(Debug, Default)]
pub(crate) struct ActionFields<'a> {
    /// Rejecting, suspending and resuming give one.
    pub reason: &'a str,
    /// Closing a tenant asks for its slug again.
    pub confirmation: &'a str,
    /// A quota override: the quota, and its limit (blank: none).
    pub quota: &'a str,
    pub value: &'a str,
}

fn reason(raw: &str) -> Result<Reason, Refusal> {
    Reason::parse(raw).map_err(|error| Refusal::Fields(vec![error]))
}

/// `action` on the tenant `slug`, drawn from its `version`.
pub(crate) async fn on_tenant(
    control: &Control,
    user: Option<&SignedInUser>,
    caller: &Caller,
    slug: &str,
    version: i32,
    action: TenantAction,
    fields: &ActionFields<'_>,
) -> Outcome<()> {
    match action {
        TenantAction::Approve => {
            control
                .decide_organization(user, caller, slug, version, &Decision::Approve)
                .await
        }
        TenantAction::Reject => {
            let decision = Decision::Reject(parsed!(reason(fields.reason)));
            control
                .decide_organization(user, caller, slug, version, &decision)
                .await
        }
        TenantAction::Suspend => {
            let reason = parsed!(reason(fields.reason));
            control
                .suspend_organization(user, caller, slug, version, &reason)
                .await
        }
        TenantAction::Resume => {
            let reason = parsed!(reason(fields.reason));
            control
                .resume_organization(user, caller, slug, version, &reason)
                .await
        }
        TenantAction::Close => {
            control
                .close_organization(user, caller, slug, version, fields.confirmation)
                .await
        }
    }
}

/// `action` on `subscription`, drawn from its `version`.
pub(crate) async fn on_subscription(
    control: &Control,
    user: Option<&SignedInUser>,
    caller: &Caller,
    subscription: Uuid,
    version: i32,
    action: SubscriptionAction,
    fields: &ActionFields<'_>,
) -> Outcome<()> {
    match action {
        SubscriptionAction::Approve => {
            control
                .decide_subscription(user, caller, subscription, version, &Decision::Approve)
                .await
        }
        SubscriptionAction::Reject => {
            let decision = Decision::Reject(parsed!(reason(fields.reason)));
            control
                .decide_subscription(user, caller, subscription, version, &decision)
                .await
        }
        SubscriptionAction::Quota => {
            let quota =
                parsed!(QuotaKind::parse(fields.quota).ok_or(Refusal::field("quota", FieldProblem::Unknown)));
            let limit = match fields.value.trim() {
                "" => None,
                value => Some(parsed!(value
                    .parse::<u32>()
                    .map_err(|_| Refusal::field("value", FieldProblem::NotANumber)))),
            };
            control
                .set_quota_override(user, caller, subscription, quota, limit)
                .await
        }
    }
}
