//! Server functions: the only door from the UI to the control plane. Each one
//! takes the [`control::Control`] from context, calls it, and maps its error
//! once, here; none holds SQL or talks to a backend itself.

use control::domain::{
    ActiveSession, AdminAccess, AuditPage, ConsentView, FlowKind, FlowOutcome, InvitationPreview, MemberView,
    Offer, OrganizationOverview, OrganizationSummary, PlatformAdmin, SignedInUser,
};
use leptos::prelude::*;

/// The offers and the plans on sale now.
#[server(endpoint = "catalog", input = server_fn::codec::GetUrl)]
pub async fn public_catalog() -> Result<Vec<Offer>, ServerFnError> {
    let control = control_plane()?;
    control.public_catalog().await.map_err(internal_error)
}

#[cfg(feature = "ssr")]
pub(crate) fn control_plane() -> Result<control::Control, ServerFnError> {
    use_context::<control::Control>()
        .ok_or_else(|| internal_error("the control plane is missing from the request context"))
}

/// Logs the cause for operators and gives the browser nothing it could misuse.
#[cfg(feature = "ssr")]
pub(crate) fn internal_error(cause: impl std::fmt::Display) -> ServerFnError {
    tracing::error!(%cause, "server function failed");
    ServerFnError::new("internal error")
}

/// The self-service flow `id` of `kind`, fetched with the browser's cookies;
/// without an id (or with a stale one), where to start a new flow.
#[server(endpoint = "auth/flow", input = server_fn::codec::GetUrl)]
pub async fn auth_flow(
    kind: FlowKind,
    id: Option<String>,
    return_to: Option<String>,
    login_challenge: Option<String>,
) -> Result<FlowOutcome, ServerFnError> {
    use control::identity::login::LoginStep;
    let control = control_plane()?;
    let kratos = control.kratos().map_err(internal_error)?;
    if let Some(id) = id {
        let mut outcome = kratos
            .flow(kind, &id, browser_cookie().as_deref())
            .await
            .map_err(internal_error)?;
        // Signing up from an invitation starts with the invited address.
        if let (FlowOutcome::Ready(flow), FlowKind::Registration) = (&mut outcome, kind) {
            if let Some(address) = invited_address() {
                prefill(flow, "traits.email", &address);
            }
        }
        // A sign-in for another application says which one asks.
        if let FlowOutcome::Ready(flow) = &mut outcome {
            if let (FlowKind::Login, Some(return_to)) = (kind, flow.return_to.as_deref()) {
                flow.asked_by = control
                    .asking_application(return_to)
                    .await
                    .unwrap_or_else(|error| {
                        tracing::warn!(%error, "cannot tell which application a sign-in is for");
                        None
                    });
            }
        }
        return Ok(outcome);
    }
    let Some(challenge) = login_challenge else {
        return Ok(FlowOutcome::Restart(kratos.browser_start_url(
            kind,
            return_to.as_deref(),
            None,
        )));
    };
    // Hydra sent the browser here: the portal answers its challenge.
    if kind == FlowKind::Registration {
        let come_back = control.login_return_url(&challenge);
        return Ok(FlowOutcome::Restart(kratos.browser_start_url(
            kind,
            Some(&come_back),
            None,
        )));
    }
    Ok(FlowOutcome::Restart(
        match control
            .login_step(&challenge, browser_cookie().as_deref())
            .await
            .map_err(internal_error)?
        {
            LoginStep::Redirect(url) => url,
            LoginStep::Gone => crate::routes::auth_error(crate::routes::AuthFailure::Expired),
            LoginStep::NotAMember(refusal) => return Ok(FlowOutcome::NotAMember(refusal)),
        },
    ))
}

/// Who is signed in, with the token of the header's sign-out form.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SignedInMenu {
    pub user: SignedInUser,
    pub csrf_token: String,
    /// Whether to show the administration area's link.
    pub administration: bool,
}

/// Put in a request's extensions by the server when the signed-in person
/// is a platform admin: the header then links to the administration area.
/// Only a link: every admin page and action asks the control plane.
#[derive(Debug, Clone, Copy)]
pub struct AdministrationLink;

/// Who is signed in to the portal in this browser, if anyone (the server
/// resolved it from the portal session before rendering).
#[server(endpoint = "auth/whoami", input = server_fn::codec::GetUrl)]
pub async fn current_user() -> Result<Option<SignedInMenu>, ServerFnError> {
    Ok(signed_in_menu())
}

/// Who is signed in, read from the request being rendered: the page's
/// header needs no round trip nor any waiting. Only the server renders the
/// header (it is no island), so in the browser there is nobody to show.
pub fn signed_in_menu() -> Option<SignedInMenu> {
    #[cfg(feature = "ssr")]
    {
        signed_in_user().map(|user| SignedInMenu {
            user,
            csrf_token: crate::csrf::issue(),
            administration: crate::with_request(|parts| {
                parts.extensions.get::<AdministrationLink>().is_some()
            })
            .unwrap_or(false),
        })
    }
    #[cfg(not(feature = "ssr"))]
    {
        None
    }
}

/// What the sign-out page shows.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum SignOutView {
    /// Nobody to sign out and no application asking: nothing to confirm.
    NothingToEnd,
    /// The question, with the form's token, and Hydra's logout challenge
    /// when an application (not the portal) asked for the sign-out.
    Confirm {
        csrf_token: String,
        logout_challenge: Option<String>,
    },
}

#[server(endpoint = "auth/sign-out", input = server_fn::codec::GetUrl)]
pub async fn sign_out_prompt(logout_challenge: Option<String>) -> Result<SignOutView, ServerFnError> {
    let logout_challenge = logout_challenge.filter(|challenge| !challenge.is_empty());
    if logout_challenge.is_none() && signed_in_user().is_none() {
        return Ok(SignOutView::NothingToEnd);
    }
    Ok(SignOutView::Confirm {
        csrf_token: crate::csrf::issue(),
        logout_challenge,
    })
}

#[cfg(feature = "ssr")]
pub(crate) fn signed_in_user() -> Option<SignedInUser> {
    crate::with_request(|parts| parts.extensions.get::<SignedInUser>().cloned()).flatten()
}

/// The address an invitation seen in this browser was for, if any.
#[cfg(feature = "ssr")]
fn invited_address() -> Option<String> {
    let raw =
        crate::with_request(|parts| crate::cookie_value(&parts.headers, INVITED_ADDRESS_COOKIE)).flatten()?;
    let decoded: Vec<(String, String)> = serde_urlencoded::from_str(&format!("a={raw}")).ok()?;
    decoded.into_iter().next().map(|(_, address)| address)
}

/// Gives the flow's empty input `name` the value `value` (what the person
/// typed or Kratos kept wins).
#[cfg(feature = "ssr")]
fn prefill(flow: &mut control::domain::Flow, name: &str, value: &str) {
    use control::domain::UiNodeAttributes;
    for node in &mut flow.ui.nodes {
        if let UiNodeAttributes::Input {
            name: input,
            value: current,
            ..
        } = &mut node.attributes
        {
            let empty = current
                .as_ref()
                .is_none_or(|v| v.is_null() || v.as_str() == Some(""));
            if input == name && empty {
                *current = Some(serde_json::Value::String(value.to_owned()));
            }
        }
    }
}

/// The browser's `Cookie` header, forwarded unchanged to Kratos.
#[cfg(feature = "ssr")]
fn browser_cookie() -> Option<String> {
    crate::with_request(|parts| crate::cookie_header(&parts.headers)).flatten()
}

/// What to do with Hydra's consent challenge: decided at once for
/// first-party clients, else a prompt carrying the session's form token.
#[server(endpoint = "auth/consent", input = server_fn::codec::GetUrl)]
pub async fn consent_challenge(challenge: String) -> Result<ConsentView, ServerFnError> {
    use control::{domain::ConsentPrompt, identity::consent::ConsentStep};
    let control = control_plane()?;
    Ok(
        match control.consent_step(&challenge).await.map_err(internal_error)? {
            ConsentStep::Redirect(url) => ConsentView::Redirect(url),
            ConsentStep::Gone => ConsentView::Gone,
            ConsentStep::Ask(request) => {
                let csrf_token = crate::csrf::issue();
                let client_name = if request.client.client_name.is_empty() {
                    request.client.client_id.clone()
                } else {
                    request.client.client_name.clone()
                };
                ConsentView::Ask(ConsentPrompt {
                    challenge: request.challenge,
                    client_name,
                    scopes: request.requested_scope,
                    csrf_token,
                })
            }
        },
    )
}

/// The signed-in person's sessions, with the token their revoke forms post.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SessionsView {
    pub sessions: Vec<ActiveSession>,
    pub csrf_token: String,
}

#[server(endpoint = "account/sessions", input = server_fn::codec::GetUrl)]
pub async fn my_sessions() -> Result<SessionsView, ServerFnError> {
    let control = control_plane()?;
    let sessions = control
        .kratos()
        .map_err(internal_error)?
        .my_sessions(browser_cookie().as_deref())
        .await
        .map_err(internal_error)?;
    Ok(SessionsView {
        sessions,
        csrf_token: crate::csrf::issue(),
    })
}

/// The admin overview: the platform admins, for platform admins at AAL2.
#[server(endpoint = "admin/overview", input = server_fn::codec::GetUrl)]
pub async fn admin_overview() -> Result<AdminAccess<Vec<PlatformAdmin>>, ServerFnError> {
    let control = control_plane()?;
    control
        .platform_admins(signed_in_user().as_ref())
        .await
        .map(admin::answered)
        .map_err(internal_error)
}

/// Who is calling, for the control plane's checks and audit trail: the
/// signed-in person, the request id and the client address.
#[cfg(feature = "ssr")]
pub fn caller_of(parts: &http::request::Parts) -> Option<control::Caller> {
    let user = parts.extensions.get::<SignedInUser>()?;
    let origin = origin_of(parts);
    Some(control::Caller {
        identity_id: user.identity_id.clone(),
        email: user.email.clone(),
        email_verified: user.email_verified,
        request_id: origin.request_id,
        ip: origin.ip,
        token: None,
    })
}

/// Where a request comes from, as its audit events record it.
#[cfg(feature = "ssr")]
pub fn origin_of(parts: &http::request::Parts) -> control::identity::api_tokens::RequestOrigin {
    control::identity::api_tokens::RequestOrigin {
        // Kept in the audit trail: only an id of the shape ours have (a
        // client may send its own), never arbitrary text.
        request_id: parts
            .headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .filter(|id| {
                (1..=64).contains(&id.len())
                    && id
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            })
            .map(str::to_owned),
        // Set by the server from the peer and its trusted proxies.
        ip: parts
            .extensions
            .get::<control::client_ip::ClientIp>()
            .map(|client| client.0),
    }
}

#[cfg(feature = "ssr")]
fn caller() -> Option<control::Caller> {
    crate::with_request(caller_of).flatten()
}

/// The organizations the signed-in person belongs to.
#[server(endpoint = "orgs/mine", input = server_fn::codec::GetUrl)]
pub async fn my_organizations() -> Result<MemberView<Vec<OrganizationSummary>>, ServerFnError> {
    let Some(caller) = caller() else {
        return Ok(MemberView::SignInRequired);
    };
    let control = control_plane()?;
    Ok(MemberView::Ready(
        control.my_organizations(&caller).await.map_err(internal_error)?,
    ))
}

/// One of an organization's pages. Each carries only what it shows, since
/// the page carries its data a second time for hydration.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrganizationSection {
    /// State, subscriptions and their usage: the customer's dashboard.
    #[default]
    Overview,
    /// Members, pending invitations and the invitation form.
    Members,
    /// The live services' sites, and the offers not subscribed yet, with
    /// their plans.
    Services,
    /// The modules of the shop and the training space.
    Modules,
}

/// An organization's page: the organization with what the section lists,
/// the offers and plans its forms offer (for those who may subscribe), and
/// the token those forms post.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OrganizationPageData {
    pub section: OrganizationSection,
    /// Members, pending invitations and subscriptions: only the section's
    /// are listed.
    pub overview: OrganizationOverview,
    /// How many members and pending invitations, whatever the section lists.
    pub member_count: usize,
    pub invitation_count: usize,
    /// The plans of subscribed offers on the overview (to change plan), the
    /// offers not subscribed yet on the services page, else none.
    pub catalog: Vec<OfferChoice>,
    pub csrf_token: String,
    /// What the page was made from, when it is the same for everyone with
    /// the viewer's role ([`PageOrigin::of`]): the portal keeps such pages
    /// rendered (`pages::organization::rendered`).
    pub made_from: Option<PageOrigin>,
}

/// Two pages of the same [`PageOrigin`] show the same thing (their CSRF
/// tokens aside): the overview's stamp, the catalog's copy and the section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct PageOrigin {
    overview: control::domain::OverviewStamp,
    catalog: Option<u64>,
    section: OrganizationSection,
}

#[cfg(feature = "ssr")]
impl PageOrigin {
    /// The rule that makes keeping pages safe, stated once: a page gets an
    /// origin only when nothing on it depends on who looks rather than on
    /// their role (never the members list) and nothing on it is followed
    /// live (a live panel's island puts its hints in the page's head).
    fn of(
        overview: control::domain::OverviewStamp,
        catalog: Option<u64>,
        section: OrganizationSection,
    ) -> Option<Self> {
        (section != OrganizationSection::Members && overview.settled()).then_some(Self {
            overview,
            catalog,
            section,
        })
    }
}

#[cfg(feature = "ssr")]
impl OrganizationSection {
    /// Whether `role` may open this section: adding services and modules
    /// is for those who manage subscriptions.
    fn open_to(self, role: control::domain::Role) -> bool {
        use control::domain::Permission;
        match self {
            Self::Services | Self::Modules => role.allows(Permission::ManageSubscriptions),
            Self::Overview | Self::Members => true,
        }
    }

    /// Whether the section shows plans from the catalog to `role`: the
    /// overview's change-plan links and the services page's offers.
    fn shows_catalog(self, role: control::domain::Role) -> bool {
        use control::domain::Permission;
        matches!(self, Self::Overview | Self::Services) && role.allows(Permission::ManageSubscriptions)
    }
}

/// What `slug`'s `section` would be made from for the signed-in caller,
/// found without making it: when the portal kept a page of that origin,
/// it serves it again (`pages::organization::rendered`). `None` when the
/// page would get no origin, or would be refused: [`organization_page`]
/// then makes the page, or says why not.
#[cfg(feature = "ssr")]
pub async fn organization_page_origin(slug: &str, section: OrganizationSection) -> Option<PageOrigin> {
    organization_page_origin_of(&control_plane().ok()?, &caller()?, slug, section).await
}

/// [`organization_page_origin`] for a caller known outside a render (the
/// server finds whole kept documents by it before anything renders).
#[cfg(feature = "ssr")]
pub async fn organization_page_origin_of(
    control: &control::Control,
    caller: &control::Caller,
    slug: &str,
    section: OrganizationSection,
) -> Option<PageOrigin> {
    let stamp = control
        .organization_overview_stamp(caller, slug)
        .await
        .ok()?
        .ok()?;
    if !section.open_to(stamp.role()) {
        return None;
    }
    let catalog = if section.shows_catalog(stamp.role()) {
        Some(control.public_catalog_copy().await.ok()?.number)
    } else {
        None
    };
    PageOrigin::of(stamp, catalog, section)
}

/// An offer as the page's catalog and change-plan links show it: only what
/// they need (each plan's review shows the rest).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OfferChoice {
    pub kind: control::domain::OfferKind,
    pub name: control::domain::LocalizedText,
    pub plans: Vec<PlanChoice>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PlanChoice {
    pub code: control::domain::PlanCode,
    pub name: control::domain::LocalizedText,
    /// Euro cents, VAT excluded.
    pub monthly_price_cents: u64,
    pub requires_approval: bool,
}

impl From<&Offer> for OfferChoice {
    fn from(offer: &Offer) -> Self {
        Self {
            kind: offer.kind,
            name: offer.name.clone(),
            plans: offer
                .plans
                .iter()
                .map(|plan| PlanChoice {
                    code: plan.code.clone(),
                    name: plan.name.clone(),
                    monthly_price_cents: plan.monthly_price_cents,
                    requires_approval: plan.requires_approval,
                })
                .collect(),
        }
    }
}

/// A refusal as the page's answer, with its HTTP status set (404 for what
/// the caller may not see, 403 for what they see but may not open).
#[cfg(feature = "ssr")]
fn member_view<T>(outcome: Result<T, control::domain::Refusal>) -> MemberView<T> {
    use crate::components::status::set_http_status;
    use control::domain::Refusal;
    match outcome {
        Ok(value) => MemberView::Ready(value),
        Err(Refusal::Forbidden) => {
            set_http_status(403);
            MemberView::Forbidden
        }
        Err(_) => {
            set_http_status(404);
            MemberView::NotFound
        }
    }
}

/// One of an organization's pages, for its members.
#[server(endpoint = "orgs/overview", input = server_fn::codec::GetUrl)]
pub async fn organization_page(
    slug: String,
    section: Option<OrganizationSection>,
) -> Result<MemberView<OrganizationPageData>, ServerFnError> {
    let Some(caller) = caller() else {
        return Ok(MemberView::SignInRequired);
    };
    let section = section.unwrap_or_default();
    let control = control_plane()?;
    let outcome = control
        .organization_overview(&caller, &slug)
        .await
        .map_err(internal_error)?;
    let view = member_view(outcome);
    let MemberView::Ready(mut overview) = view else {
        return Ok(match view {
            MemberView::Forbidden => MemberView::Forbidden,
            _ => MemberView::NotFound,
        });
    };
    let role = overview.organization.role;
    if !section.open_to(role) {
        return Ok(member_view(Err(control::domain::Refusal::Forbidden)));
    }
    let (member_count, invitation_count) = (overview.members.len(), overview.invitations.len());
    let subscribed: Vec<_> = overview.subscriptions.iter().map(|s| s.offer).collect();
    // The overview's change-plan forms need the subscribed offers' plans,
    // the services page the others'; the members page none.
    let shown = |offer: &Offer| match section {
        OrganizationSection::Overview => subscribed.contains(&offer.kind),
        OrganizationSection::Services => !subscribed.contains(&offer.kind),
        OrganizationSection::Members | OrganizationSection::Modules => false,
    };
    let (catalog, catalog_copy) = if section.shows_catalog(role) {
        let copy = control.public_catalog_copy().await.map_err(internal_error)?;
        let offers = copy
            .offers
            .iter()
            .filter(|offer| shown(offer))
            .map(OfferChoice::from);
        (offers.collect(), Some(copy.number))
    } else {
        (Vec::new(), None)
    };
    let made_from = PageOrigin::of(overview.stamp, catalog_copy, section);
    // Only the members list shows who they are.
    if section != OrganizationSection::Members {
        overview.members.clear();
        overview.invitations.clear();
        overview.viewer_id.clear();
    }
    // Each section carries only what it shows of the subscriptions.
    match section {
        OrganizationSection::Members => overview.subscriptions.clear(),
        OrganizationSection::Services => overview
            .subscriptions
            .retain(|subscription| subscription.site_url.is_some()),
        OrganizationSection::Modules => overview
            .subscriptions
            .retain(|subscription| subscription.offer.runs_odoo()),
        OrganizationSection::Overview => {}
    }
    for subscription in &mut overview.subscriptions {
        subscription
            .quotas
            .retain(control::domain::QuotaUsage::is_provided);
        if section != OrganizationSection::Modules {
            subscription.modules.clear();
        }
        if section != OrganizationSection::Services {
            subscription.custom_domain = None;
        }
    }
    Ok(MemberView::Ready(OrganizationPageData {
        section,
        overview,
        member_count,
        invitation_count,
        catalog,
        csrf_token: crate::csrf::issue(),
        made_from,
    }))
}

/// What taking `plan` would do to the organization `slug`, with the token
/// of the one form that confirms it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PlanReviewPage {
    pub review: control::domain::PlanReview,
    pub csrf_token: String,
}

#[server(endpoint = "orgs/plan-review", input = server_fn::codec::GetUrl)]
pub async fn plan_review(slug: String, plan: String) -> Result<MemberView<PlanReviewPage>, ServerFnError> {
    let Some(caller) = caller() else {
        return Ok(MemberView::SignInRequired);
    };
    let control = control_plane()?;
    let outcome = control
        .review_plan(&caller, &slug, &plan)
        .await
        .map_err(internal_error)?;
    Ok(member_view(outcome.map(|review| PlanReviewPage {
        review,
        csrf_token: crate::csrf::issue(),
    })))
}

/// One page of an organization's audit log, for its owners and admins.
#[server(endpoint = "orgs/audit", input = server_fn::codec::GetUrl)]
pub async fn organization_audit_page(
    slug: String,
    action: Option<String>,
    actor: Option<String>,
    since: Option<String>,
    until: Option<String>,
    before: Option<i64>,
) -> Result<MemberView<Result<AuditPage, Vec<control::domain::FieldError>>>, ServerFnError> {
    use control::domain::{AuditFilter, Refusal};
    let Some(caller) = caller() else {
        return Ok(MemberView::SignInRequired);
    };
    let filter = AuditFilter {
        action,
        actor,
        organization: None,
        since,
        until,
        before,
    }
    .normalized();
    let outcome = control_plane()?
        .organization_audit(&caller, &slug, &filter)
        .await
        .map_err(internal_error)?;
    Ok(match outcome {
        Err(Refusal::Fields(errors)) => MemberView::Ready(Err(errors)),
        outcome => member_view(outcome.map(Ok)),
    })
}

/// A training space's Courses page, with the token its forms post.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TrainingPageData {
    pub training: control::domain::TrainingView,
    pub csrf_token: String,
}

/// The Courses page of `slug`'s training space, its progress rows narrowed
/// by the filter's fields (as typed: each bad one is reported).
#[server(endpoint = "orgs/courses", input = server_fn::codec::GetUrl)]
pub async fn training_page(
    slug: String,
    course: Option<String>,
    status: Option<String>,
    learner: Option<String>,
) -> Result<MemberView<Result<TrainingPageData, Vec<control::domain::FieldError>>>, ServerFnError> {
    use control::domain::ProgressFilter;
    let Some(caller) = caller() else {
        return Ok(MemberView::SignInRequired);
    };
    let filter = match ProgressFilter::parse(course.as_deref(), status.as_deref(), learner.as_deref()) {
        Ok(filter) => filter,
        Err(errors) => return Ok(MemberView::Ready(Err(errors))),
    };
    let outcome = control_plane()?
        .training_page(&caller, &slug, filter)
        .await
        .map_err(internal_error)?;
    Ok(member_view(outcome.map(|training| {
        Ok(TrainingPageData {
            training,
            csrf_token: crate::csrf::issue(),
        })
    })))
}

/// The preview of an uploaded learners' file, with the token its form posts.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LearnerImportData {
    pub import: control::domain::LearnerImport,
    pub csrf_token: String,
}

/// The preview of the learners' file `id` uploaded to `slug`.
#[server(endpoint = "orgs/learner-import", input = server_fn::codec::GetUrl)]
pub async fn learner_import(
    slug: String,
    id: String,
) -> Result<MemberView<LearnerImportData>, ServerFnError> {
    let Some(caller) = caller() else {
        return Ok(MemberView::SignInRequired);
    };
    let Ok(import) = uuid::Uuid::parse_str(&id) else {
        return Ok(member_view(Err(control::domain::Refusal::NotFound)));
    };
    let outcome = control_plane()?
        .learner_import(&caller, &slug, import)
        .await
        .map_err(internal_error)?;
    Ok(member_view(outcome.map(|import| LearnerImportData {
        import,
        csrf_token: crate::csrf::issue(),
    })))
}

/// A device's page, with the token its forms post.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DevicePageData {
    pub details: control::domain::DeviceDetails,
    pub telemetry: control::domain::DeviceTelemetry,
    /// The commands last sent to it, newest first.
    pub commands: Vec<control::domain::SentCommand>,
    pub csrf_token: String,
}

/// A page of a subscription's devices, with the token its forms post.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DeviceListData {
    pub list: control::domain::DeviceList,
    pub csrf_token: String,
}

/// Page `page` of the devices of `slug`'s `subscription` whose names
/// begin with `search`.
#[server(endpoint = "orgs/devices", input = server_fn::codec::GetUrl)]
pub async fn device_list(
    slug: String,
    subscription: String,
    page: u32,
    search: String,
) -> Result<MemberView<DeviceListData>, ServerFnError> {
    let Some(caller) = caller() else {
        return Ok(MemberView::SignInRequired);
    };
    let Ok(subscription) = uuid::Uuid::parse_str(&subscription) else {
        return Ok(member_view(Err(control::domain::Refusal::NotFound)));
    };
    let outcome = control_plane()?
        .device_list(&caller, &slug, subscription, page, &search)
        .await
        .map_err(internal_error)?;
    Ok(member_view(outcome.map(|list| DeviceListData {
        list,
        csrf_token: crate::csrf::issue(),
    })))
}

/// A service's backups page, with the token its forms post.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BackupsPageData {
    pub page: control::domain::BackupsPage,
    pub csrf_token: String,
}

/// The backups page of `slug`'s `subscription` (owners and admins).
#[server(endpoint = "orgs/backups", input = server_fn::codec::GetUrl)]
pub async fn backups_page(
    slug: String,
    subscription: String,
) -> Result<MemberView<BackupsPageData>, ServerFnError> {
    let Some(caller) = caller() else {
        return Ok(MemberView::SignInRequired);
    };
    let Ok(subscription) = uuid::Uuid::parse_str(&subscription) else {
        return Ok(member_view(Err(control::domain::Refusal::NotFound)));
    };
    let outcome = control_plane()?
        .backups_page(&caller, &slug, subscription)
        .await
        .map_err(internal_error)?;
    Ok(member_view(outcome.map(|page| BackupsPageData {
        page,
        csrf_token: crate::csrf::issue(),
    })))
}

/// Parses a device's path: its subscription and its id.
#[cfg(feature = "ssr")]
fn device_ids(subscription: &str, device: &str) -> Option<(uuid::Uuid, uuid::Uuid)> {
    Some((
        uuid::Uuid::parse_str(subscription).ok()?,
        uuid::Uuid::parse_str(device).ok()?,
    ))
}

/// The page of device `device` of `slug`'s `subscription`.
#[server(endpoint = "orgs/device", input = server_fn::codec::GetUrl)]
pub async fn device_page(
    slug: String,
    subscription: String,
    device: String,
) -> Result<MemberView<DevicePageData>, ServerFnError> {
    let Some(caller) = caller() else {
        return Ok(MemberView::SignInRequired);
    };
    let Some((subscription, device)) = device_ids(&subscription, &device) else {
        return Ok(member_view(Err(control::domain::Refusal::NotFound)));
    };
    let control = control_plane()?;
    let read = async {
        let details = match control
            .device_details(&caller, &slug, subscription, device)
            .await?
        {
            Ok(details) => details,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let telemetry = match control
            .device_telemetry(&caller, &slug, subscription, device)
            .await?
        {
            Ok(telemetry) => telemetry,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let commands = control
            .device_commands(&caller, &slug, subscription, device)
            .await?;
        Ok::<_, control::Error>(commands.map(|commands| DevicePageData {
            details,
            telemetry,
            commands,
            csrf_token: crate::csrf::issue(),
        }))
    };
    Ok(member_view(read.await.map_err(internal_error)?))
}

/// A device's password as the `reveal` post just read it, for the page
/// that answers that post (never stored: it rides the request).
#[cfg(feature = "ssr")]
#[derive(Clone)]
pub struct RevealedDevice(pub control::domain::DeviceCredentials);

/// The password page: the credentials the `reveal` post put in this
/// request, or `None` on a plain visit (a password is shown once).
#[server(endpoint = "orgs/device-password", input = server_fn::codec::GetUrl)]
pub async fn device_password(
    slug: String,
    subscription: String,
    device: String,
) -> Result<MemberView<Option<control::domain::DeviceCredentials>>, ServerFnError> {
    let Some(caller) = caller() else {
        return Ok(MemberView::SignInRequired);
    };
    let Some((subscription, device)) = device_ids(&subscription, &device) else {
        return Ok(member_view(Err(control::domain::Refusal::NotFound)));
    };
    let revealed = use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<RevealedDevice>().cloned())
        .map(|RevealedDevice(credentials)| credentials);
    if let Some(credentials) = revealed {
        return Ok(MemberView::Ready(Some(credentials)));
    }
    // A plain visit: nothing to show, to those who may see the device.
    let outcome = control_plane()?
        .device_details(&caller, &slug, subscription, device)
        .await
        .map_err(internal_error)?;
    Ok(member_view(outcome.map(|_| None)))
}

/// The signed-in person's courses, in every organization they learn in.
#[server(endpoint = "learning", input = server_fn::codec::GetUrl)]
pub async fn my_learning() -> Result<MemberView<Vec<control::domain::LearnerCourse>>, ServerFnError> {
    let Some(caller) = caller() else {
        return Ok(MemberView::SignInRequired);
    };
    let courses = control_plane()?
        .my_learning(&caller)
        .await
        .map_err(internal_error)?;
    Ok(MemberView::Ready(courses))
}

/// What an invitation link opens: the invitation, or nothing if it is no
/// longer valid.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum InvitationView {
    Open {
        preview: InvitationPreview,
        csrf_token: String,
        /// Registration that comes back through the portal's sign-in to the invitation.
        sign_up_url: String,
    },
    Gone,
}

/// The cookie that carries an invitation's token through sign-up and
/// sign-in, so that the token never travels in a `return_to` (Kratos
/// stores and logs those).
pub const INVITATION_TOKEN_COOKIE: &str = "bibind_invitation";

/// The invited address, for the registration form to start with (read on
/// the registration page only; percent-encoded).
pub const INVITED_ADDRESS_COOKIE: &str = "bibind_invited_address";

/// The path that stands for the invitation in [`INVITATION_TOKEN_COOKIE`].
pub const PENDING_INVITATION: &str = "pending";

#[server(endpoint = "invitations/preview", input = server_fn::codec::GetUrl)]
pub async fn invitation_details(token: String) -> Result<InvitationView, ServerFnError> {
    let control = control_plane()?;
    let viewer = caller();
    let token = if token == PENDING_INVITATION {
        crate::with_request(|parts| crate::cookie_value(&parts.headers, INVITATION_TOKEN_COOKIE))
            .flatten()
            .unwrap_or_default()
    } else {
        token
    };
    let preview = control
        .invitation_preview(&token, viewer.as_ref())
        .await
        .map_err(internal_error)?;
    let Some(preview) = preview else {
        crate::components::status::set_http_status(404);
        return Ok(InvitationView::Gone);
    };
    if viewer.is_none() {
        crate::set_cookie(INVITATION_TOKEN_COOKIE, &token, "/invitations", 86_400);
        crate::set_cookie(
            INVITED_ADDRESS_COOKIE,
            &crate::routes::query_value(&preview.email),
            crate::routes::REGISTRATION,
            86_400,
        );
    }
    let come_back = format!(
        "{}/auth/signin?return_to=/invitations/{PENDING_INVITATION}",
        control.public_url()
    );
    let query = serde_urlencoded::to_string([("return_to", come_back)]).unwrap_or_default();
    Ok(InvitationView::Open {
        preview,
        // Only signed-in visitors see the form: no session is made for the others.
        csrf_token: if viewer.is_some() {
            crate::csrf::issue()
        } else {
            String::new()
        },
        sign_up_url: format!("{}?{query}", crate::routes::REGISTRATION),
    })
}

/// What the new-organization form needs: its CSRF token and the signed-in
/// person's e-mail (the billing address it suggests).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NewOrganizationForm {
    pub csrf_token: String,
    pub email: String,
}

#[server(endpoint = "orgs/new-form", input = server_fn::codec::GetUrl)]
pub async fn new_organization_setup() -> Result<MemberView<NewOrganizationForm>, ServerFnError> {
    let Some(user) = signed_in_user() else {
        return Ok(MemberView::SignInRequired);
    };
    Ok(MemberView::Ready(NewOrganizationForm {
        csrf_token: crate::csrf::issue(),
        email: user.email,
    }))
}

pub mod admin;

/// An organization's API clients page: its clients, the token its forms
/// post, where clients get tokens, and the client the post this page
/// answers just made (its secret, shown this once).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ApiClientsPageData {
    pub clients: Vec<control::domain::ApiClientView>,
    pub csrf_token: String,
    pub token_url: String,
    pub created: Option<control::domain::CreatedApiClient>,
}

/// A client the create post just made, for the page that answers that post
/// (never stored: it rides the request).
#[cfg(feature = "ssr")]
#[derive(Clone)]
pub struct CreatedApiClientShown(pub control::domain::CreatedApiClient);

/// `slug`'s API clients page, for its owners and admins.
#[server(endpoint = "orgs/api-clients", input = server_fn::codec::GetUrl)]
pub async fn api_clients_page(slug: String) -> Result<MemberView<ApiClientsPageData>, ServerFnError> {
    let Some(caller) = caller() else {
        return Ok(MemberView::SignInRequired);
    };
    let control = control_plane()?;
    let outcome = control
        .api_clients(&caller, &slug)
        .await
        .map_err(internal_error)?;
    let created = use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<CreatedApiClientShown>().cloned())
        .map(|CreatedApiClientShown(created)| created);
    Ok(member_view(outcome.map(|clients| ApiClientsPageData {
        clients,
        csrf_token: crate::csrf::issue(),
        token_url: control.api_token_url().to_owned(),
        created,
    })))
}
