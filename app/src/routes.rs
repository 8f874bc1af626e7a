//! Every address of the portal's pages and forms (organization, admin and
//! identity), written once. Each is a pattern in axum's syntax (`/orgs/{slug}/members`):
//! the server mounts its form handlers on the patterns, and the builders fill
//! them in, for the pages' links and form actions and for the handlers'
//! redirects. What a form does is a typed segment ([`TenantAction`], …): a
//! misspelt action does not compile, and the server refuses an unknown one
//! (404) after its usual checks.
//!
//! The page routes in `lib.rs` stay literals (Leptos' `path!` wants them, with
//! `:slug`); a test in the server holds them to the page patterns here.

pub use control::domain::JobAction;

use control::domain::FlowKind;

use crate::api::OrganizationSection;

/// The patterns, in axum's syntax: `{name}` is one path segment.
pub mod pattern {
    pub const ORGANIZATIONS: &str = "/orgs";
    pub const NEW_ORGANIZATION: &str = "/orgs/new";
    pub const ORGANIZATION: &str = "/orgs/{slug}";
    pub const MEMBERS: &str = "/orgs/{slug}/members";
    pub const SERVICES: &str = "/orgs/{slug}/services";
    pub const MODULES: &str = "/orgs/{slug}/modules";
    pub const COURSES: &str = "/orgs/{slug}/courses";
    pub const COURSES_CSV: &str = "/orgs/{slug}/courses/progress.csv";
    /// Puts (`assign`) or takes (`remove`) learners in or out of a course.
    pub const COURSE_ASSIGNMENTS: &str = "/orgs/{slug}/courses/{course}/{change}";
    /// "Continue": the course in Odoo eLearning, signed in through Hydra.
    pub const CONTINUE_COURSE: &str = "/orgs/{slug}/courses/{course}/continue";
    pub const MY_LEARNING: &str = "/learning";
    /// Uploads a learners' CSV file (multipart), then shows its preview.
    pub const LEARNER_IMPORTS: &str = "/orgs/{slug}/learners/imports";
    /// The preview of an uploaded learners' file (a page).
    pub const LEARNER_IMPORT: &str = "/orgs/{slug}/learners/imports/{id}";
    /// Invites the previewed file's learners.
    pub const SEND_LEARNER_IMPORT: &str = "/orgs/{slug}/learners/imports/{id}/send";
    pub const ORGANIZATION_AUDIT: &str = "/orgs/{slug}/audit";
    /// The organization's API clients (GET: the page; POST: make one).
    pub const API_CLIENTS: &str = "/orgs/{slug}/api-clients";
    pub const REVOKE_API_CLIENT: &str = "/orgs/{slug}/api-clients/{id}/revoke";
    /// "Open back office": to the service's Odoo, signed in through Hydra.
    pub const BACK_OFFICE: &str = "/orgs/{slug}/back-office/{offer}";
    pub const INVITE: &str = "/orgs/{slug}/invitations";
    pub const REVOKE_INVITATION: &str = "/orgs/{slug}/invitations/{id}/revoke";
    pub const MEMBER_ROLE: &str = "/orgs/{slug}/members/{id}/role";
    pub const REMOVE_MEMBER: &str = "/orgs/{slug}/members/{id}/remove";
    /// The review of a plan before confirming it (a page).
    pub const PLAN_REVIEW: &str = "/orgs/{slug}/plans/{code}";
    /// A plan card's way in: signs in, picks the organization, then the review.
    pub const CHOOSE_PLAN: &str = "/plans/{code}";
    pub const SUBSCRIBE: &str = "/orgs/{slug}/subscriptions";
    pub const CHANGE_PLAN: &str = "/orgs/{slug}/subscriptions/{id}/plan";
    pub const CANCEL_SUBSCRIPTION: &str = "/orgs/{slug}/subscriptions/{id}/cancel";
    /// An IoT subscription's devices: their list (GET, paged, searched by
    /// name), or a new one registered (POST).
    pub const DEVICES: &str = "/orgs/{slug}/subscriptions/{id}/devices";
    pub const ADD_DOMAIN: &str = "/orgs/{slug}/subscriptions/{id}/domain";
    pub const DOMAIN_ACTION: &str = "/orgs/{slug}/subscriptions/{id}/domain/{action}";
    pub const CHANGE_MODULE: &str = "/orgs/{slug}/subscriptions/{id}/modules/{module}/{change}";
    pub const REMOVE_DEVICE: &str = "/orgs/{slug}/subscriptions/{id}/devices/{device}/remove";
    /// A device's page: its state and how it connects.
    pub const DEVICE: &str = "/orgs/{slug}/subscriptions/{id}/devices/{device}";
    /// A device's password, shown once: the answer of `reveal`.
    pub const DEVICE_PASSWORD: &str = "/orgs/{slug}/subscriptions/{id}/devices/{device}/password";
    /// Rotates, turns off or on a device, or shows its password (`rotate`,
    /// `disable`, `enable`, `reveal`).
    pub const DEVICE_CHANGE: &str = "/orgs/{slug}/subscriptions/{id}/devices/{device}/{change}";
    /// A device's telemetry as it arrives, as server-sent events.
    pub const DEVICE_LIVE: &str = "/orgs/{slug}/subscriptions/{id}/devices/{device}/live";
    /// Sends a device a command.
    pub const DEVICE_COMMAND: &str = "/orgs/{slug}/subscriptions/{id}/devices/{device}/command";
    /// A service's backups (owners and admins); its form takes one now.
    pub const BACKUPS: &str = "/orgs/{slug}/subscriptions/{id}/backups";
    /// When the service's daily backup is taken.
    pub const BACKUP_SCHEDULE: &str = "/orgs/{slug}/subscriptions/{id}/backups/schedule";
    /// Restores a backup into its service (the slug typed to confirm).
    pub const RESTORE_BACKUP: &str = "/orgs/{slug}/backups/{backup}/restore";
    /// Makes a download link of a backup and goes there.
    pub const DOWNLOAD_BACKUP: &str = "/orgs/{slug}/backups/{backup}/download";
    /// A download link: the backup itself, while the link works.
    pub const BACKUP_FILE: &str = "/backups/{token}";
    /// The subscription's provisioning progress, as server-sent events.
    pub const PROGRESS: &str = "/orgs/{slug}/subscriptions/{id}/progress";
    pub const INVITATION: &str = "/invitations/{token}";
    pub const ACCEPT_INVITATION: &str = "/invitations/{token}/accept";

    pub const ADMIN: &str = "/admin";
    pub const ADMIN_TENANTS: &str = "/admin/tenants";
    pub const ADMIN_TENANT: &str = "/admin/tenants/{slug}";
    pub const ADMIN_TENANT_ACTION: &str = "/admin/tenants/{slug}/{action}";
    pub const ADMIN_SUBSCRIPTION_ACTION: &str = "/admin/subscriptions/{id}/{action}";
    pub const ADMIN_JOB_ACTION: &str = "/admin/jobs/{id}/{action}";
    pub const ADMIN_PLANS: &str = "/admin/plans";
    pub const ADMIN_PLAN: &str = "/admin/plans/{code}";
    pub const ADMIN_PLAN_SALE: &str = "/admin/plans/{code}/{action}";
    pub const ADMIN_AUDIT: &str = "/admin/audit";
    /// Running services' backups across tenants.
    pub const ADMIN_BACKUPS: &str = "/admin/backups";
    pub const ADMIN_AUDIT_CSV: &str = "/admin/audit.csv";

    // Identity: Kratos' self-service flows are pages at `/auth/<flow>`
    // (`FlowKind::slug`), posted through the portal's rate limiter.
    pub const LOGIN: &str = "/auth/login";
    pub const REGISTRATION: &str = "/auth/registration";
    pub const RECOVERY: &str = "/auth/recovery";
    pub const VERIFICATION: &str = "/auth/verification";
    pub const SETTINGS: &str = "/auth/settings";
    pub const FLOW_SUBMIT: &str = "/auth/submit/{kind}";
    /// Where the portal's own sign-in starts (the OpenID sign-in).
    pub const SIGN_IN: &str = "/auth/signin";
    /// Where the identity provider sends the browser back.
    pub const CALLBACK: &str = "/auth/callback";
    /// The sign-out page (GET) and its form (POST).
    pub const SIGN_OUT: &str = "/auth/logout";
    pub const BACKCHANNEL_LOGOUT: &str = "/auth/backchannel-logout";
    /// Hydra's logout challenge, for applications signed in through the portal.
    pub const OAUTH2_LOGOUT: &str = "/auth/oauth2-logout";
    pub const CONSENT: &str = "/auth/consent";
    pub const CONSENT_DECISION: &str = "/auth/consent/decision";
    pub const AUTH_ERROR: &str = "/auth/error";
    pub const SESSIONS: &str = "/account/sessions";
    pub const REVOKE_SESSIONS: &str = "/account/sessions/revoke";

    /// The patterns of pages (GET, rendered by the app), as opposed to the
    /// forms' posts and streams the server's own handlers answer.
    pub const PAGES: &[&str] = &[
        ORGANIZATIONS,
        NEW_ORGANIZATION,
        ORGANIZATION,
        MEMBERS,
        SERVICES,
        MODULES,
        COURSES,
        DEVICES,
        DEVICE,
        DEVICE_PASSWORD,
        BACKUPS,
        LEARNER_IMPORT,
        MY_LEARNING,
        ORGANIZATION_AUDIT,
        API_CLIENTS,
        PLAN_REVIEW,
        INVITATION,
        ADMIN,
        ADMIN_TENANTS,
        ADMIN_TENANT,
        ADMIN_PLANS,
        ADMIN_PLAN,
        ADMIN_AUDIT,
        ADMIN_BACKUPS,
        LOGIN,
        REGISTRATION,
        RECOVERY,
        VERIFICATION,
        SETTINGS,
        CONSENT,
        SIGN_OUT,
        AUTH_ERROR,
        SESSIONS,
    ];
}

pub const ORGANIZATIONS: &str = pattern::ORGANIZATIONS;
/// The REST API's reference page (served by the server's `http::api`).
pub const API_REFERENCE: &str = "/api/v1/reference";
pub const NEW_ORGANIZATION: &str = pattern::NEW_ORGANIZATION;
pub const ADMIN: &str = pattern::ADMIN;
pub const ADMIN_TENANTS: &str = pattern::ADMIN_TENANTS;
pub const ADMIN_PLANS: &str = pattern::ADMIN_PLANS;
pub const ADMIN_AUDIT: &str = pattern::ADMIN_AUDIT;
pub const ADMIN_BACKUPS: &str = pattern::ADMIN_BACKUPS;
pub const ADMIN_AUDIT_CSV: &str = pattern::ADMIN_AUDIT_CSV;
/// Where every identity page is (the Kratos flows, consent, sign-out).
pub const IDENTITY_PREFIX: &str = "/auth/";

/// Whether the page at `path` may show instants (audit logs, measurements),
/// which `/local-times.js` writes in the reader's time zone: the
/// organizations' pages and the admin area. Others load no script for it.
pub fn shows_instants(path: &str) -> bool {
    [ORGANIZATIONS, ADMIN, MY_LEARNING].iter().any(|prefix| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}
pub const LOGIN: &str = pattern::LOGIN;
pub const SIGN_IN: &str = pattern::SIGN_IN;
pub const SIGN_OUT: &str = pattern::SIGN_OUT;
pub const SETTINGS: &str = pattern::SETTINGS;
pub const RECOVERY: &str = pattern::RECOVERY;
pub const REGISTRATION: &str = pattern::REGISTRATION;
pub const VERIFICATION: &str = pattern::VERIFICATION;
pub const CONSENT: &str = pattern::CONSENT;
pub const CONSENT_DECISION: &str = pattern::CONSENT_DECISION;
pub const AUTH_ERROR: &str = pattern::AUTH_ERROR;
pub const SESSIONS: &str = pattern::SESSIONS;
pub const REVOKE_SESSIONS: &str = pattern::REVOKE_SESSIONS;

/// `pattern` with its `{…}` segments replaced by `values`, in order.
fn fill(pattern: &str, values: &[&str]) -> String {
    let mut path = String::with_capacity(pattern.len() + values.iter().map(|v| v.len()).sum::<usize>());
    let mut values = values.iter();
    let mut rest = pattern;
    while let Some(start) = rest.find('{') {
        path.push_str(&rest[..start]);
        path.push_str(values.next().copied().unwrap_or_default());
        rest = rest[start..].find('}').map_or("", |end| &rest[start + end + 1..]);
    }
    path.push_str(rest);
    path
}

/// The page of a Kratos self-service flow.
pub fn flow(kind: FlowKind) -> String {
    format!("/auth/{}", kind.slug())
}

/// Where a flow's form posts (through the portal's rate limiter).
pub fn flow_submit(kind: FlowKind, flow: &str) -> String {
    format!("{}?flow={flow}", fill(pattern::FLOW_SUBMIT, &[kind.slug()]))
}

/// The error page, saying why.
pub fn auth_error(reason: AuthFailure) -> String {
    format!("{AUTH_ERROR}?reason={reason}")
}

/// Sign in, then come back to `here`.
pub fn sign_in_then(here: &str) -> String {
    format!("{SIGN_IN}?return_to={}", query_value(here))
}

pub fn organization(slug: &str) -> String {
    fill(pattern::ORGANIZATION, &[slug])
}

/// The overview at its subscriptions, where they are shown and changed.
pub fn subscriptions(slug: &str) -> String {
    format!("{}#subscriptions", organization(slug))
}

pub fn members(slug: &str) -> String {
    fill(pattern::MEMBERS, &[slug])
}

/// The catalog of services to subscribe to.
pub fn services(slug: &str) -> String {
    fill(pattern::SERVICES, &[slug])
}

/// The modules of the organization's shop and training space.
pub fn modules(slug: &str) -> String {
    fill(pattern::MODULES, &[slug])
}

/// Claims an own domain for a subscription.
pub fn add_domain(slug: &str, subscription: &str) -> String {
    fill(pattern::ADD_DOMAIN, &[slug, subscription])
}

/// Checks (`check`) or gives up (`remove`) a subscription's own domain.
pub fn domain_action(slug: &str, subscription: &str, action: &str) -> String {
    fill(pattern::DOMAIN_ACTION, &[slug, subscription, action])
}

/// Adds (`add`) or removes (`remove`) a module of a subscription.
pub fn change_module(
    slug: &str,
    subscription: &str,
    module: control::domain::OdooModule,
    change: &str,
) -> String {
    fill(
        pattern::CHANGE_MODULE,
        &[slug, subscription, module.technical_name(), change],
    )
}

pub fn courses(slug: &str) -> String {
    fill(pattern::COURSES, &[slug])
}

/// The progress rows the filter `query` keeps, as CSV.
pub fn courses_csv(slug: &str, query: &str) -> String {
    let path = fill(pattern::COURSES_CSV, &[slug]);
    if query.is_empty() {
        path
    } else {
        format!("{path}?{query}")
    }
}

/// Puts (`assign`) or takes (`remove`) learners in or out of `course`.
pub fn course_assignments(slug: &str, course: i64, change: &str) -> String {
    fill(pattern::COURSE_ASSIGNMENTS, &[slug, &course.to_string(), change])
}

pub fn continue_course(slug: &str, course: i64) -> String {
    fill(pattern::CONTINUE_COURSE, &[slug, &course.to_string()])
}

pub const MY_LEARNING: &str = pattern::MY_LEARNING;

pub fn learner_imports(slug: &str) -> String {
    fill(pattern::LEARNER_IMPORTS, &[slug])
}

pub fn learner_import(slug: &str, import: &str) -> String {
    fill(pattern::LEARNER_IMPORT, &[slug, import])
}

pub fn send_learner_import(slug: &str, import: &str) -> String {
    fill(pattern::SEND_LEARNER_IMPORT, &[slug, import])
}

pub fn back_office(slug: &str, offer: control::domain::OfferKind) -> String {
    fill(pattern::BACK_OFFICE, &[slug, offer.code()])
}

pub fn organization_audit(slug: &str) -> String {
    fill(pattern::ORGANIZATION_AUDIT, &[slug])
}

pub fn api_clients(slug: &str) -> String {
    fill(pattern::API_CLIENTS, &[slug])
}

pub fn revoke_api_client(slug: &str, id: &str) -> String {
    fill(pattern::REVOKE_API_CLIENT, &[slug, id])
}

impl OrganizationSection {
    /// Where the section's page is.
    pub fn path(self, slug: &str) -> String {
        match self {
            Self::Overview => organization(slug),
            Self::Members => members(slug),
            Self::Services => services(slug),
            Self::Modules => modules(slug),
        }
    }
}

pub fn invite(slug: &str) -> String {
    fill(pattern::INVITE, &[slug])
}

pub fn revoke_invitation(slug: &str, invitation: &str) -> String {
    fill(pattern::REVOKE_INVITATION, &[slug, invitation])
}

pub fn member_role(slug: &str, member: &str) -> String {
    fill(pattern::MEMBER_ROLE, &[slug, member])
}

pub fn remove_member(slug: &str, member: &str) -> String {
    fill(pattern::REMOVE_MEMBER, &[slug, member])
}

/// The review of `plan` for the organization `slug`, before confirming.
pub fn plan_review(slug: &str, plan: &str) -> String {
    fill(pattern::PLAN_REVIEW, &[slug, plan])
}

/// The organization form, whose organization then reviews `plan`.
pub fn new_organization_for(plan: &str) -> String {
    format!("{NEW_ORGANIZATION}?plan={plan}")
}

/// The list of organizations, each leading to the review of `plan`.
pub fn organizations_for(plan: &str) -> String {
    format!("{ORGANIZATIONS}?plan={plan}")
}

/// Where a plan card leads, whoever clicks it.
pub fn choose_plan(plan: &str) -> String {
    fill(pattern::CHOOSE_PLAN, &[plan])
}

pub fn subscribe(slug: &str) -> String {
    fill(pattern::SUBSCRIBE, &[slug])
}

pub fn change_plan(slug: &str, subscription: &str) -> String {
    fill(pattern::CHANGE_PLAN, &[slug, subscription])
}

pub fn cancel_subscription(slug: &str, subscription: &str) -> String {
    fill(pattern::CANCEL_SUBSCRIPTION, &[slug, subscription])
}

pub fn devices(slug: &str, subscription: &str) -> String {
    fill(pattern::DEVICES, &[slug, subscription])
}

pub fn remove_device(slug: &str, subscription: &str, device: &str) -> String {
    fill(pattern::REMOVE_DEVICE, &[slug, subscription, device])
}

pub fn device(slug: &str, subscription: &str, device: &str) -> String {
    fill(pattern::DEVICE, &[slug, subscription, device])
}

pub fn device_live(slug: &str, subscription: &str, device: &str) -> String {
    fill(pattern::DEVICE_LIVE, &[slug, subscription, device])
}

pub fn device_command(slug: &str, subscription: &str, device: &str) -> String {
    fill(pattern::DEVICE_COMMAND, &[slug, subscription, device])
}

pub fn device_password(slug: &str, subscription: &str, device: &str) -> String {
    fill(pattern::DEVICE_PASSWORD, &[slug, subscription, device])
}

pub fn device_change(slug: &str, subscription: &str, device: &str, change: &str) -> String {
    fill(pattern::DEVICE_CHANGE, &[slug, subscription, device, change])
}

pub fn backups(slug: &str, subscription: &str) -> String {
    fill(pattern::BACKUPS, &[slug, subscription])
}

pub fn backup_schedule(slug: &str, subscription: &str) -> String {
    fill(pattern::BACKUP_SCHEDULE, &[slug, subscription])
}

pub fn restore_backup(slug: &str, backup: &str) -> String {
    fill(pattern::RESTORE_BACKUP, &[slug, backup])
}

pub fn download_backup(slug: &str, backup: &str) -> String {
    fill(pattern::DOWNLOAD_BACKUP, &[slug, backup])
}

pub fn backup_file(token: &str) -> String {
    fill(pattern::BACKUP_FILE, &[token])
}

pub fn progress(slug: &str, subscription: &str) -> String {
    fill(pattern::PROGRESS, &[slug, subscription])
}

pub fn invitation(token: &str) -> String {
    fill(pattern::INVITATION, &[token])
}

pub fn accept_invitation(token: &str) -> String {
    fill(pattern::ACCEPT_INVITATION, &[token])
}

pub fn admin_tenant(slug: &str) -> String {
    fill(pattern::ADMIN_TENANT, &[slug])
}

pub fn admin_tenant_action(slug: &str, action: TenantAction) -> String {
    fill(pattern::ADMIN_TENANT_ACTION, &[slug, action.as_str()])
}

pub fn admin_subscription_action(subscription: &str, action: SubscriptionAction) -> String {
    fill(
        pattern::ADMIN_SUBSCRIPTION_ACTION,
        &[subscription, action.as_str()],
    )
}

pub fn admin_job_action(job: &str, action: JobAction) -> String {
    fill(pattern::ADMIN_JOB_ACTION, &[job, action.as_str()])
}

pub fn admin_plan(code: &str) -> String {
    fill(pattern::ADMIN_PLAN, &[code])
}

pub fn admin_plan_sale(code: &str, action: PlanSale) -> String {
    fill(pattern::ADMIN_PLAN_SALE, &[code, action.as_str()])
}

/// `path` saying the admin's action was done (the page shows a notice).
pub fn done(path: &str) -> String {
    format!("{path}?done=1")
}

/// An enum whose variants are the values of one path segment, each spelled
/// once: `as_str` writes it, `parse` reads it back (`None` when unknown).
macro_rules! segment_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$variant_meta:meta])* $variant:ident = $segment:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name {
            $($(#[$variant_meta])* $variant),+
        }

        impl $name {
            pub const ALL: &[Self] = &[$(Self::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $segment),+
                }
            }

            pub fn parse(segment: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|value| value.as_str() == segment)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

segment_enum! {
    /// What a platform admin does to a tenant, from its admin page.
    TenantAction {
        Approve = "approve",
        /// With a reason.
        Reject = "reject",
        /// With a reason.
        Suspend = "suspend",
        Resume = "resume",
        /// With the tenant's slug typed again as confirmation.
        Close = "close",
    }
}

segment_enum! {
    /// What a platform admin does to a subscription, from its tenant's page.
    SubscriptionAction {
        Approve = "approve",
        /// With a reason.
        Reject = "reject",
        /// Overrides one quota (a blank value removes the override).
        Quota = "quota",
    }
}

segment_enum! {
    /// Why a sign-in ended on the error page (`?reason=`).
    AuthFailure {
        /// The sign-in expired, was already used, or came back tampered with.
        Expired = "expired",
        /// The person (or the provider) refused.
        Denied = "denied",
        /// The provider could not be reached or answered nonsense; also
        /// where a form's failed operation ends.
        Unavailable = "unavailable",
        /// A sign-in attempt could not be counted, so it was not let through.
        Uncounted = "uncounted",
    }
}

segment_enum! {
    /// Takes a plan off sale, or puts it back.
    PlanSale {
        Retire = "retire",
        Restore = "restore",
    }
}

/// Percent-encodes what would break a query value (a path or a URL: its
/// slashes stay readable).
pub fn query_value(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_show_on_organization_and_admin_pages_only() {
        for path in ["/orgs", "/orgs/acme/audit", "/admin", "/admin/audit", "/learning"] {
            assert!(shows_instants(path), "{path}");
        }
        for path in ["/", "/orgsx", "/administration", "/auth/login", "/no-such-page"] {
            assert!(!shows_instants(path), "{path}");
        }
    }

    /// Whether `path` is what `pattern` routes: the same segments, a `{…}` one matching any non-empty one.
    fn matches(pattern: &str, path: &str) -> bool {
        let (pattern, path): (Vec<_>, Vec<_>) = (pattern.split('/').collect(), path.split('/').collect());
        pattern.len() == path.len()
            && pattern.iter().zip(&path).all(|(expected, segment)| {
                if expected.starts_with('{') && expected.ends_with('}') {
                    !segment.is_empty() && !segment.contains(['{', '}'])
                } else {
                    expected == segment
                }
            })
    }

    #[test]
    fn each_builder_fills_its_pattern() {
        let (slug, id, other) = ("acme", "7f0c", "9a1b");
        let built = [
            (pattern::ORGANIZATION, organization(slug)),
            (pattern::MEMBERS, members(slug)),
            (pattern::SERVICES, services(slug)),
            (pattern::MODULES, modules(slug)),
            (pattern::COURSES, courses(slug)),
            (pattern::COURSES_CSV, courses_csv(slug, "")),
            (pattern::COURSE_ASSIGNMENTS, course_assignments(slug, 7, "assign")),
            (pattern::CONTINUE_COURSE, continue_course(slug, 7)),
            (pattern::LEARNER_IMPORTS, learner_imports(slug)),
            (pattern::LEARNER_IMPORT, learner_import(slug, id)),
            (pattern::SEND_LEARNER_IMPORT, send_learner_import(slug, id)),
            (pattern::ADD_DOMAIN, add_domain(slug, id)),
            (pattern::DOMAIN_ACTION, domain_action(slug, id, "check")),
            (
                pattern::CHANGE_MODULE,
                change_module(slug, id, control::domain::OdooModule::Blog, "add"),
            ),
            (pattern::ORGANIZATION_AUDIT, organization_audit(slug)),
            (pattern::API_CLIENTS, api_clients(slug)),
            (pattern::REVOKE_API_CLIENT, revoke_api_client(slug, id)),
            (pattern::INVITE, invite(slug)),
            (pattern::REVOKE_INVITATION, revoke_invitation(slug, id)),
            (pattern::MEMBER_ROLE, member_role(slug, id)),
            (pattern::REMOVE_MEMBER, remove_member(slug, id)),
            (pattern::SUBSCRIBE, subscribe(slug)),
            (pattern::CHANGE_PLAN, change_plan(slug, id)),
            (pattern::CANCEL_SUBSCRIPTION, cancel_subscription(slug, id)),
            (pattern::DEVICES, devices(slug, id)),
            (pattern::DEVICE_LIVE, device_live(slug, id, other)),
            (pattern::DEVICE_COMMAND, device_command(slug, id, other)),
            (pattern::REMOVE_DEVICE, remove_device(slug, id, other)),
            (pattern::DEVICE, device(slug, id, other)),
            (pattern::DEVICE_PASSWORD, device_password(slug, id, other)),
            (pattern::DEVICE_CHANGE, device_change(slug, id, other, "rotate")),
            (pattern::PROGRESS, progress(slug, id)),
            (pattern::BACKUPS, backups(slug, id)),
            (pattern::BACKUP_SCHEDULE, backup_schedule(slug, id)),
            (pattern::RESTORE_BACKUP, restore_backup(slug, id)),
            (pattern::DOWNLOAD_BACKUP, download_backup(slug, id)),
            (pattern::BACKUP_FILE, backup_file(id)),
            (pattern::INVITATION, invitation(id)),
            (pattern::ACCEPT_INVITATION, accept_invitation(id)),
            (pattern::ADMIN_TENANT, admin_tenant(slug)),
            (pattern::ADMIN_PLAN, admin_plan("iot-lab")),
        ];
        for (pattern, path) in &built {
            assert!(matches(pattern, path), "{path} is not routed by {pattern}");
        }
        for action in TenantAction::ALL {
            assert!(matches(
                pattern::ADMIN_TENANT_ACTION,
                &admin_tenant_action(slug, *action)
            ));
        }
        for action in SubscriptionAction::ALL {
            assert!(matches(
                pattern::ADMIN_SUBSCRIPTION_ACTION,
                &admin_subscription_action(id, *action)
            ));
        }
        for action in JobAction::ALL {
            assert!(matches(pattern::ADMIN_JOB_ACTION, &admin_job_action(id, *action)));
        }
        for action in PlanSale::ALL {
            assert!(matches(
                pattern::ADMIN_PLAN_SALE,
                &admin_plan_sale("iot-lab", *action)
            ));
        }
        assert_eq!(
            remove_device(slug, id, other),
            "/orgs/acme/subscriptions/7f0c/devices/9a1b/remove"
        );
        assert_eq!(subscriptions(slug), "/orgs/acme#subscriptions");
        assert_eq!(OrganizationSection::Members.path(slug), members(slug));
        for kind in [
            FlowKind::Login,
            FlowKind::Registration,
            FlowKind::Recovery,
            FlowKind::Verification,
            FlowKind::Settings,
        ] {
            assert!(pattern::PAGES.contains(&flow(kind).as_str()), "{kind:?}");
            assert_eq!(
                flow_submit(kind, "f1"),
                format!("/auth/submit/{}?flow=f1", kind.slug())
            );
        }
        assert_eq!(auth_error(AuthFailure::Denied), "/auth/error?reason=denied");
    }

    #[test]
    fn segments_read_back_what_they_write() {
        for action in TenantAction::ALL {
            assert_eq!(TenantAction::parse(action.as_str()), Some(*action));
        }
        for action in SubscriptionAction::ALL {
            assert_eq!(SubscriptionAction::parse(action.as_str()), Some(*action));
        }
        for action in JobAction::ALL {
            assert_eq!(JobAction::parse(&action.to_string()), Some(*action));
        }
        for action in PlanSale::ALL {
            assert_eq!(PlanSale::parse(action.as_str()), Some(*action));
        }
        for reason in AuthFailure::ALL {
            assert_eq!(AuthFailure::parse(reason.as_str()), Some(*reason));
        }
        assert_eq!(TenantAction::parse("delete"), None);
        assert_eq!(PlanSale::parse("Retire"), None);
    }

    #[test]
    fn paths_are_encoded_for_a_query() {
        assert_eq!(super::query_value("/orgs/acme"), "/orgs/acme");
        assert_eq!(super::query_value("/a b?x=1&y#z"), "/a%20b%3Fx%3D1%26y%23z");
        assert_eq!(super::query_value("/é"), "/%C3%A9");
    }
}
