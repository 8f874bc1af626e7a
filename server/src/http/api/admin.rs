//! `/api/v1/admin`: the platform admins' powers, as the admin portal has
//! them: tenants (search, one, approve, reject, suspend, resume, close),
//! subscriptions (approve, reject, quota overrides), jobs (retry, cancel)
//! and the platform's audit log. Only a person's token with the `admin`
//! scope reaches them (`control::admin::admins::api_admin`), and the
//! control plane's admin gate then asks what it asks in the portal: a
//! platform admin, a verified address, a second factor. Each change is
//! audited as the portal's, with the request's id and address.

use app::routes::{JobAction, SubscriptionAction, TenantAction};
use axum::{
    extract::{OriginalUri, Path, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use control::{
    admin::admins::api_admin,
    domain::{
        AdminAccess, AuditFilter, OrganizationDetail, OrganizationListing, OrganizationSearch,
        OrganizationSort, Refusal, SignedInUser,
    },
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    audit::{audit_cursor, csv_answer, next_audit_page, wants_csv, AuditEvent},
    auth::ApiCaller,
    body::{ApiJson, ApiQuery},
    pages::Listed,
    problem::{Problem, ProblemDetail, ProblemKind},
    texts::ApiMsg,
    versions, Answer,
};
use crate::http::{
    admin_actions::{on_subscription, on_tenant, ActionFields},
    AppState,
};

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(search_tenants))
        .routes(routes!(get_tenant))
        .routes(routes!(tenant_action))
        .routes(routes!(subscription_action))
        .routes(routes!(quota_override))
        .routes(routes!(job_action))
        .routes(routes!(platform_audit))
}

/// The admin the token speaks for, or why it speaks for none.
pub(super) fn admin(api: &ApiCaller) -> Answer<SignedInUser> {
    api_admin(&api.caller).ok_or_else(|| {
        Problem::new(
            ProblemKind::InsufficientScope,
            ApiMsg::AdminScopeRequired.text(api.locale),
        )
        .with_instance(api.caller.request_id.clone())
    })
}

/// What the admin gate let through, or its refusal as a problem.
pub(super) fn granted<T>(api: &ApiCaller, access: control::Result<AdminAccess<T>>) -> Answer<T> {
    match access.map_err(|error| Problem::internal(&error))? {
        AdminAccess::Granted(value) => Ok(value),
        AdminAccess::SecondFactorRequired { .. } => Err(Problem::new(
            ProblemKind::Forbidden,
            ApiMsg::SecondFactorRequired.text(api.locale),
        )
        .with_instance(api.caller.request_id.clone())),
        AdminAccess::SignInRequired | AdminAccess::Forbidden => Err(api.refused(&Refusal::Forbidden)),
    }
}

/// A tenant as the search lists it.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Tenant {
    #[schema(example = "acme")]
    slug: String,
    name: String,
    country: String,
    /// `pending_approval`, `active`, `suspended` or `closed`.
    state: String,
    /// `YYYY-MM-DD`.
    created_on: String,
    members: i64,
    /// The plan of each live subscription.
    plans: Vec<String>,
}

impl From<OrganizationListing> for Tenant {
    fn from(row: OrganizationListing) -> Self {
        Self {
            slug: row.slug,
            name: row.name,
            country: row.country,
            state: row.state.as_str().to_owned(),
            created_on: row.created_on,
            members: row.members,
            plans: row.plans,
        }
    }
}

/// A tenant, as its admin page shows it; `version` is what `If-Match` names.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct TenantDetail {
    slug: String,
    name: String,
    country: String,
    billing_email: String,
    state: String,
    /// Why it is suspended or was rejected, as its members read it.
    state_reason: Option<String>,
    created_on: String,
    version: i32,
    members: Vec<TenantMember>,
    subscriptions: Vec<TenantSubscription>,
    /// Its latest provisioning jobs, newest first.
    jobs: Vec<TenantJob>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct TenantMember {
    id: String,
    email: String,
    role: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct TenantSubscription {
    id: String,
    offer: String,
    plan: String,
    state: String,
    reason: Option<String>,
    /// A plan change waiting for approval.
    pending_plan: Option<String>,
    /// What `If-Match` names for its decisions.
    version: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct TenantJob {
    id: String,
    #[schema(example = "provision.ecommerce")]
    kind: String,
    /// `queued`, `running`, `waiting`, `succeeded`, `failed`, `cancelled`.
    state: String,
    last_error: Option<String>,
    /// When it runs next (a waiting job), or ran (RFC 3339).
    run_at: String,
}

impl From<OrganizationDetail> for TenantDetail {
    fn from(detail: OrganizationDetail) -> Self {
        Self {
            slug: detail.slug,
            name: detail.name,
            country: detail.country,
            billing_email: detail.billing_email,
            state: detail.state.as_str().to_owned(),
            state_reason: detail.state_reason,
            created_on: detail.created_on,
            version: detail.version,
            members: detail
                .members
                .into_iter()
                .map(|member| TenantMember {
                    id: member.identity_id,
                    email: member.email,
                    role: member.role.as_str().to_owned(),
                })
                .collect(),
            subscriptions: detail
                .subscriptions
                .into_iter()
                .map(|subscription| TenantSubscription {
                    id: subscription.id,
                    offer: subscription.offer.as_str().to_owned(),
                    plan: subscription.plan_code,
                    state: subscription.state.as_str().to_owned(),
                    reason: subscription.reason,
                    pending_plan: subscription.pending_plan.map(|(code, _)| code),
                    version: subscription.version,
                })
                .collect(),
            jobs: detail
                .jobs
                .into_iter()
                .map(|job| TenantJob {
                    id: job.id,
                    kind: job.kind,
                    state: job.state.as_str().to_owned(),
                    last_error: job.last_error,
                    run_at: job
                        .run_at
                        .format(&time::format_description::well_known::Rfc3339)
                        .unwrap_or_default(),
                })
                .collect(),
        }
    }
}

/// Which tenants: blank fields do not filter.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct TenantQuery {
    /// Part of the name, the slug or the billing address.
    text: Option<String>,
    /// `pending_approval`, `active`, `suspended` or `closed`.
    state: Option<String>,
    /// Only tenants with a live subscription to this plan (code).
    plan: Option<String>,
    /// ISO 3166-1 alpha-2.
    country: Option<String>,
    /// The page, from 1 (`Link: rel="next"` names the next).
    #[param(minimum = 1)]
    page: Option<u32>,
}

/// The tenants, by name, a page at a time.
#[utoipa::path(
    get,
    path = "/admin/organizations",
    tag = "admin",
    params(TenantQuery),
    responses(
        (status = 200, description = "A page of tenants; `Link: <…>; rel=\"next\"` names the next", body = Vec<Tenant>),
        (status = 400, description = "A query that cannot be read", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 403, description = "Not a platform admin's token with the admin scope and a second factor", body = ProblemDetail, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["admin"]))
)]
async fn search_tenants(
    State(state): State<AppState>,
    api: ApiCaller,
    OriginalUri(uri): OriginalUri,
    ApiQuery(query): ApiQuery<TenantQuery>,
) -> Answer<Response> {
    let user = admin(&api)?;
    let search = OrganizationSearch {
        text: query.text.clone(),
        state: query.state.clone(),
        offer: None,
        plan: query.plan.clone(),
        country: query.country.clone(),
        sort: OrganizationSort::Name,
        page: query.page.unwrap_or(1).max(1),
    };
    let page = granted(
        &api,
        state.control.search_organizations(Some(&user), &search).await,
    )?;
    let next = (page.page < page.pages()).then(|| {
        let mut next: Vec<(&str, String)> = [
            ("text", query.text),
            ("state", query.state),
            ("plan", query.plan),
            ("country", query.country),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.map(|value| (name, value)))
        .collect();
        next.push(("page", (page.page + 1).to_string()));
        next
    });
    let tenants: Vec<Tenant> = page.rows.into_iter().map(Tenant::from).collect();
    Ok(Listed::keyset(tenants, uri.path(), next).into_response())
}

async fn tenant(state: &AppState, api: &ApiCaller, user: &SignedInUser, slug: &str) -> Answer<TenantDetail> {
    let detail = granted(api, state.control.organization_detail(Some(user), slug).await)?;
    detail
        .map(TenantDetail::from)
        .ok_or_else(|| api.refused(&Refusal::NotFound))
}

/// One tenant: its members, subscriptions and latest jobs; `ETag` is its version.
#[utoipa::path(
    get,
    path = "/admin/organizations/{slug}",
    tag = "admin",
    params(("slug" = String, Path, description = "The tenant's slug")),
    responses(
        (status = 200, description = "The tenant", body = TenantDetail),
        (status = 401, description = "No valid token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 403, description = "Not a platform admin's token with the admin scope and a second factor", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 404, description = "No such tenant", body = ProblemDetail, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["admin"]))
)]
async fn get_tenant(
    State(state): State<AppState>,
    api: ApiCaller,
    Path(slug): Path<String>,
) -> Answer<Response> {
    let user = admin(&api)?;
    let detail = tenant(&state, &api, &user, &slug).await?;
    let etag = HeaderValue::from_str(&format!("\"{}\"", detail.version)).ok();
    let mut response = Json(detail).into_response();
    if let Some(etag) = etag {
        response.headers_mut().insert(header::ETAG, etag);
    }
    Ok(response)
}

/// What an action says besides itself.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub(super) struct ActionBody {
    /// Rejecting, suspending and resuming: the reason the customer reads
    /// (3 to 500 characters).
    #[schema(example = "Invoice 2026-11 unpaid")]
    reason: String,
    /// Closing a tenant: its slug typed again.
    confirmation: String,
}

/// Approves, rejects, suspends, resumes or closes a tenant.
#[utoipa::path(
    post,
    path = "/admin/organizations/{slug}/{action}",
    tag = "admin",
    params(
        ("slug" = String, Path, description = "The tenant's slug"),
        ("action" = String, Path, description = "`approve`, `reject`, `suspend`, `resume` or `close`"),
        ("If-Match" = String, Header, description = "The tenant's `ETag` as last read (or `*`)"),
    ),
    request_body = ActionBody,
    responses(
        (status = 204, description = "Done (its jobs, if any, queued)"),
        (status = 400, description = "The body is not the JSON described", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 403, description = "Not a platform admin's token with the admin scope and a second factor", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 404, description = "No such tenant or action", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 409, description = "Not in a state that allows it", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 412, description = "Changed since the `ETag` named: nothing was done", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 422, description = "A reason or confirmation refused", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 428, description = "`If-Match` is missing", body = ProblemDetail, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["admin"]))
)]
async fn tenant_action(
    State(state): State<AppState>,
    api: ApiCaller,
    Path((slug, action)): Path<(String, String)>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<ActionBody>,
) -> Answer<StatusCode> {
    let user = admin(&api)?;
    let action = TenantAction::parse(&action).ok_or_else(|| api.refused(&Refusal::NotFound))?;
    let current = || async { Ok(i64::from(tenant(&state, &api, &user, &slug).await?.version)) };
    let version = versions::narrow(versions::if_match(&headers, &api, current).await?, &api)?;
    let fields = ActionFields {
        reason: &body.reason,
        confirmation: &body.confirmation,
        ..ActionFields::default()
    };
    let outcome = on_tenant(
        &state.control,
        Some(&user),
        &api.caller,
        &slug,
        version,
        action,
        &fields,
    )
    .await;
    settle_change(&api, outcome)
}

/// A change's outcome: 204, or its refusal (a stale version is 412).
pub(super) fn settle_change(api: &ApiCaller, outcome: control::Outcome<()>) -> Answer<StatusCode> {
    match outcome.map_err(|error| Problem::internal(&error))? {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(Refusal::Stale) => Err(Problem::new(
            ProblemKind::PreconditionFailed,
            ApiMsg::Stale.text(api.locale),
        )
        .with_instance(api.caller.request_id.clone())),
        Err(refusal) => Err(api.refused(&refusal)),
    }
}

fn uuid_in_path(api: &ApiCaller, id: &str) -> Answer<uuid::Uuid> {
    uuid::Uuid::parse_str(id).map_err(|_| api.refused(&Refusal::NotFound))
}

/// Approves or rejects a subscription (or its plan change) waiting for Bibind.
#[utoipa::path(
    post,
    path = "/admin/subscriptions/{id}/{action}",
    tag = "admin",
    params(
        ("id" = String, Path, description = "The subscription's id"),
        ("action" = String, Path, description = "`approve` or `reject`"),
        ("If-Match" = String, Header, description = "The subscription's version as its tenant's page lists it"),
    ),
    request_body = ActionBody,
    responses(
        (status = 204, description = "Done"),
        (status = 400, description = "The body is not the JSON described", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 403, description = "Not a platform admin's token with the admin scope and a second factor", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 404, description = "No such subscription or action", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 409, description = "Nothing waits for a decision", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 412, description = "Changed since the version named: nothing was done", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 422, description = "A reason refused", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 428, description = "`If-Match` is missing", body = ProblemDetail, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["admin"]))
)]
async fn subscription_action(
    State(state): State<AppState>,
    api: ApiCaller,
    Path((id, action)): Path<(String, String)>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<ActionBody>,
) -> Answer<StatusCode> {
    let user = admin(&api)?;
    let subscription = uuid_in_path(&api, &id)?;
    let action = match SubscriptionAction::parse(&action) {
        Some(action @ (SubscriptionAction::Approve | SubscriptionAction::Reject)) => action,
        _ => return Err(api.refused(&Refusal::NotFound)),
    };
    // A version only: no admin read names one subscription alone.
    let stale = || async {
        Err(Problem::new(
            ProblemKind::PreconditionFailed,
            ApiMsg::Stale.text(api.locale),
        ))
    };
    let version = versions::narrow(versions::if_match(&headers, &api, stale).await?, &api)?;
    let fields = ActionFields {
        reason: &body.reason,
        ..ActionFields::default()
    };
    let outcome = on_subscription(
        &state.control,
        Some(&user),
        &api.caller,
        subscription,
        version,
        action,
        &fields,
    )
    .await;
    settle_change(&api, outcome)
}

/// A quota's limit for one subscription, over its plan's.
#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct QuotaBody {
    /// The limit; `null` removes the override (the plan's applies again).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    limit: Option<u32>,
}

/// Overrides one quota of a subscription (`cpu_millicores`, `memory_mib`,
/// `storage_gib`, `seats`, `devices`, `backup_retention_days`,
/// `openstack_vcpus`, `openstack_ram_mib`, `openstack_instances`).
#[utoipa::path(
    put,
    path = "/admin/subscriptions/{id}/quotas/{quota}",
    tag = "admin",
    params(
        ("id" = String, Path, description = "The subscription's id"),
        ("quota" = String, Path, description = "The quota's name"),
    ),
    request_body = QuotaBody,
    responses(
        (status = 204, description = "Set (Kubernetes and OpenStack quotas follow by the reconciler)"),
        (status = 400, description = "The body is not the JSON described", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 403, description = "Not a platform admin's token with the admin scope and a second factor", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 404, description = "No such subscription", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 409, description = "Below what the subscription already uses", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 422, description = "An unknown quota, or a limit out of range", body = ProblemDetail, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["admin"]))
)]
async fn quota_override(
    State(state): State<AppState>,
    api: ApiCaller,
    Path((id, quota)): Path<(String, String)>,
    ApiJson(body): ApiJson<QuotaBody>,
) -> Answer<StatusCode> {
    let user = admin(&api)?;
    let subscription = uuid_in_path(&api, &id)?;
    let value = body.limit.map(|limit| limit.to_string()).unwrap_or_default();
    let fields = ActionFields {
        quota: &quota,
        value: &value,
        ..ActionFields::default()
    };
    let action = SubscriptionAction::Quota;
    // An override names no version: the latest one applies.
    let outcome = on_subscription(
        &state.control,
        Some(&user),
        &api.caller,
        subscription,
        0,
        action,
        &fields,
    )
    .await;
    settle_change(&api, outcome)
}

/// Retries a failed job (from its failed step) or cancels one not yet ended.
#[utoipa::path(
    post,
    path = "/admin/jobs/{id}/{action}",
    tag = "admin",
    params(
        ("id" = String, Path, description = "The job's id"),
        ("action" = String, Path, description = "`retry` or `cancel`"),
    ),
    responses(
        (status = 204, description = "Done"),
        (status = 401, description = "No valid token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 403, description = "Not a platform admin's token with the admin scope and a second factor", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 404, description = "No such job or action", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 409, description = "Not in a state that allows it", body = ProblemDetail, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["admin"]))
)]
async fn job_action(
    State(state): State<AppState>,
    api: ApiCaller,
    Path((id, action)): Path<(String, String)>,
) -> Answer<StatusCode> {
    let user = admin(&api)?;
    let job = uuid_in_path(&api, &id)?;
    let action = JobAction::parse(&action).ok_or_else(|| api.refused(&Refusal::NotFound))?;
    let outcome = state
        .control
        .admin_job_action(Some(&user), &api.caller, job, action)
        .await;
    settle_change(&api, outcome)
}

/// Which entries of the platform's audit log.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct PlatformAuditQuery {
    /// Only this tenant (slug).
    organization: Option<String>,
    /// An action or its prefix (`tenant.`).
    action: Option<String>,
    /// The start of the actor's address.
    actor: Option<String>,
    /// From this day (`YYYY-MM-DD`, UTC).
    since: Option<String>,
    /// Up to this day, included.
    until: Option<String>,
    /// Where the page starts: the `cursor` of the previous page's `Link: rel="next"`.
    cursor: Option<String>,
}

/// The platform's audit log, every tenant's and the platform's own, newest
/// first; with `Accept: text/csv`, the selection as CSV.
#[utoipa::path(
    get,
    path = "/admin/audit",
    tag = "admin",
    params(PlatformAuditQuery),
    responses(
        (status = 200, description = "A page of events (`Link: <…>; rel=\"next\"` names the next); with \
            `Accept: text/csv`, every event selected (100,000 at most) as CSV",
            content((Vec<AuditEvent> = "application/json"), (String = "text/csv"))),
        (status = 400, description = "A query that cannot be read", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 403, description = "Not a platform admin's token with the admin scope and a second factor", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 422, description = "A filter refused", body = ProblemDetail, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["admin"]))
)]
async fn platform_audit(
    State(state): State<AppState>,
    api: ApiCaller,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<PlatformAuditQuery>,
) -> Answer<Response> {
    let user = admin(&api)?;
    let before = audit_cursor(&api, query.cursor.as_deref())?;
    let filter = AuditFilter {
        action: query.action,
        actor: query.actor,
        organization: query.organization,
        since: query.since,
        until: query.until,
        before,
    }
    .normalized();
    if wants_csv(&headers) {
        let export = granted(&api, state.control.audit_export(Some(&user), &filter).await)?
            .map_err(|fields| api.refused(&Refusal::Fields(fields)))?;
        return csv_answer(export, "bibind-audit").await;
    }
    let page = granted(&api, state.control.platform_audit(Some(&user), &filter).await)?
        .map_err(|fields| api.refused(&Refusal::Fields(fields)))?;
    let next = page.next_before.map(|before| next_audit_page(&filter, before));
    let events: Vec<AuditEvent> = page.entries.into_iter().map(AuditEvent::from).collect();
    Ok(Listed::keyset(events, uri.path(), next).into_response())
}
