//! `/api/v1/organizations/{slug}/subscriptions`: subscribe, read one (with
//! its `ETag`), change its plan or cancel it (with `If-Match`: a stale
//! version answers 412 and changes nothing), as the portal's forms do.

use super::texts::ApiMsg;
use axum::{
    extract::{Path, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use control::domain::{Refusal, SubscriptionView};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    auth::ApiCaller,
    body::ApiJson,
    pages::{Listed, PageQuery},
    problem::{Problem, ProblemDetail, ProblemKind},
    versions, Answer, BASE,
};
use crate::http::AppState;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_subscriptions, subscribe))
        .routes(routes!(get_subscription, cancel))
        .routes(routes!(change_plan))
}

/// A subscription.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Subscription {
    id: String,
    /// `ecommerce`, `training` or `iot`.
    #[schema(example = "ecommerce")]
    offer: String,
    #[schema(example = "shop-starter")]
    plan: String,
    /// `requested`, `awaiting_approval`, `provisioning`, `active`,
    /// `suspended`, `failed`, `deprovisioning` or `closed`.
    #[schema(example = "active")]
    state: String,
    /// Why it is suspended or failed, in words for people.
    reason: Option<String>,
    /// A plan change waiting for Bibind's approval.
    pending_plan: Option<String>,
    /// Changes with every change; its `ETag` is `"<version>"`.
    version: i32,
    /// Where its site is, once it has one.
    site_url: Option<String>,
}

impl From<SubscriptionView> for Subscription {
    fn from(view: SubscriptionView) -> Self {
        Self {
            id: view.id,
            offer: view.offer.as_str().to_owned(),
            plan: view.plan_code,
            state: view.state.as_str().to_owned(),
            reason: view.reason,
            pending_plan: view.pending_plan.map(|(code, _)| code),
            version: view.version,
            site_url: view.site_url,
        }
    }
}

/// A subscription to make or a plan to change to.
#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct PlanBody {
    /// The plan's code (`GET /api/v1/organizations/{slug}` lists the subscribed ones).
    #[schema(example = "shop-starter", min_length = 1)]
    plan: String,
}

/// One subscription, with its version as `ETag`.
fn with_etag(subscription: Subscription, status: StatusCode, location: Option<String>) -> Response {
    let etag = format!("\"{}\"", subscription.version);
    let mut response = (status, Json(subscription)).into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    if let Some(value) = location.and_then(|location| HeaderValue::from_str(&location).ok()) {
        headers.insert(header::LOCATION, value);
    }
    response
}

/// The version `If-Match` names, for the subscription `id` of `slug`.
async fn if_match(
    state: &AppState,
    api: &ApiCaller,
    slug: &str,
    id: &str,
    headers: &HeaderMap,
) -> Answer<i32> {
    let current = || async { Ok(i64::from(find(state, api, slug, id).await?.version)) };
    let version = versions::if_match(headers, api, current).await?;
    versions::narrow(version, api)
}

/// A change's refusal: a stale version is a failed precondition.
fn refused_change(api: &ApiCaller, refusal: &Refusal) -> Problem {
    match refusal {
        Refusal::Stale => Problem::new(ProblemKind::PreconditionFailed, ApiMsg::Stale.text(api.locale))
            .with_instance(api.caller.request_id.clone()),
        other => api.refused(other),
    }
}

async fn find(state: &AppState, api: &ApiCaller, slug: &str, id: &str) -> Answer<Subscription> {
    let subscriptions = api.settle(state.control.organization_subscriptions(&api.caller, slug).await)?;
    subscriptions
        .into_iter()
        .find(|subscription| subscription.id == id)
        .map(Subscription::from)
        .ok_or_else(|| api.refused(&Refusal::NotFound))
}

/// The organization's subscriptions.
#[utoipa::path(
    get,
    path = "/organizations/{slug}/subscriptions",
    tag = "subscriptions",
    params(("slug" = String, Path, description = "The organization's slug"), PageQuery),
    responses(
        (status = 200, description = "A page of subscriptions; `Link: <…>; rel=\"next\"` names the next", body = Vec<Subscription>),
        (status = 400, description = "A wrong cursor or limit", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 403, description = "Not the token's scope", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or not the caller's", body = ProblemDetail, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["subscriptions:read"]))
)]
async fn list_subscriptions(
    State(state): State<AppState>,
    api: ApiCaller,
    Path(slug): Path<String>,
    page: PageQuery,
) -> Answer<Listed<Subscription>> {
    let subscriptions = api.settle(state.control.organization_subscriptions(&api.caller, &slug).await)?;
    let items: Vec<Subscription> = subscriptions.into_iter().map(Subscription::from).collect();
    page.list(items, |subscription| subscription.id.clone(), &api)
}

/// Subscribes the organization to a plan; provisioning starts (or waits
/// for Bibind's approval when the plan needs it).
#[utoipa::path(
    post,
    path = "/organizations/{slug}/subscriptions",
    tag = "subscriptions",
    params(("slug" = String, Path, description = "The organization's slug")),
    request_body = PlanBody,
    responses(
        (status = 201, description = "Subscribed; `Location` names it, `ETag` its version", body = Subscription),
        (status = 400, description = "The body is not the JSON described", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 403, description = "Not an owner or admin, or not the token's scope", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or not the caller's", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 409, description = "Already subscribed to the offer, a quota or a limit", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 422, description = "An unknown plan", body = ProblemDetail, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["subscriptions:write"]))
)]
async fn subscribe(
    State(state): State<AppState>,
    api: ApiCaller,
    Path(slug): Path<String>,
    ApiJson(body): ApiJson<PlanBody>,
) -> Answer<Response> {
    let id = api
        .settle(
            state
                .control
                .start_subscription(&api.caller, &slug, body.plan.trim())
                .await,
        )?
        .to_string();
    let subscription = find(&state, &api, &slug, &id).await?;
    let location = format!("{BASE}/organizations/{slug}/subscriptions/{id}");
    Ok(with_etag(subscription, StatusCode::CREATED, Some(location)))
}

/// One subscription, its version as `ETag`.
#[utoipa::path(
    get,
    path = "/organizations/{slug}/subscriptions/{id}",
    tag = "subscriptions",
    params(
        ("slug" = String, Path, description = "The organization's slug"),
        ("id" = String, Path, description = "The subscription's id"),
    ),
    responses(
        (status = 200, description = "The subscription; `ETag` is its version", body = Subscription),
        (status = 401, description = "No valid token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 403, description = "Not the token's scope", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or not the caller's", body = ProblemDetail, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["subscriptions:read"]))
)]
async fn get_subscription(
    State(state): State<AppState>,
    api: ApiCaller,
    Path((slug, id)): Path<(String, String)>,
) -> Answer<Response> {
    let subscription = find(&state, &api, &slug, &id).await?;
    Ok(with_etag(subscription, StatusCode::OK, None))
}

/// Moves the subscription to another plan of its offer.
#[utoipa::path(
    put,
    path = "/organizations/{slug}/subscriptions/{id}/plan",
    tag = "subscriptions",
    params(
        ("slug" = String, Path, description = "The organization's slug"),
        ("id" = String, Path, description = "The subscription's id"),
        ("If-Match" = String, Header, description = "The subscription's `ETag` as last read (or `*`: whatever it is now)"),
    ),
    request_body = PlanBody,
    responses(
        (status = 200, description = "Changed (or waiting for approval); `ETag` is its new version", body = Subscription),
        (status = 400, description = "The body is not the JSON described", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 403, description = "Not an owner or admin, or not the token's scope", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or not the caller's", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 409, description = "Not in a state that allows it, or a quota", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 412, description = "Changed since the `ETag` named: nothing was done", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 422, description = "An unknown plan, or one of another offer", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 428, description = "`If-Match` is missing", body = ProblemDetail, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["subscriptions:write"]))
)]
async fn change_plan(
    State(state): State<AppState>,
    api: ApiCaller,
    Path((slug, id)): Path<(String, String)>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<PlanBody>,
) -> Answer<Response> {
    let subscription = uuid::Uuid::parse_str(&id).map_err(|_| api.refused(&Refusal::NotFound))?;
    let version = if_match(&state, &api, &slug, &id, &headers).await?;
    let outcome = state
        .control
        .change_plan(&api.caller, &slug, subscription, body.plan.trim(), version)
        .await
        .map_err(|error| Problem::internal(&error))?;
    outcome.map_err(|refusal| refused_change(&api, &refusal))?;
    let changed = find(&state, &api, &slug, &id).await?;
    Ok(with_etag(changed, StatusCode::OK, None))
}

/// Cancels the subscription: closed at once when nothing was provisioned,
/// else deprovisioned.
#[utoipa::path(
    delete,
    path = "/organizations/{slug}/subscriptions/{id}",
    tag = "subscriptions",
    params(
        ("slug" = String, Path, description = "The organization's slug"),
        ("id" = String, Path, description = "The subscription's id"),
        ("If-Match" = String, Header, description = "The subscription's `ETag` as last read (or `*`: whatever it is now)"),
    ),
    responses(
        (status = 204, description = "Cancelled"),
        (status = 401, description = "No valid token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 403, description = "Not an owner or admin, or not the token's scope", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or not the caller's", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 409, description = "Not in a state that allows it", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 412, description = "Changed since the `ETag` named: nothing was done", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 428, description = "`If-Match` is missing", body = ProblemDetail, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["subscriptions:write"]))
)]
async fn cancel(
    State(state): State<AppState>,
    api: ApiCaller,
    Path((slug, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Answer<StatusCode> {
    let subscription = uuid::Uuid::parse_str(&id).map_err(|_| api.refused(&Refusal::NotFound))?;
    let version = if_match(&state, &api, &slug, &id, &headers).await?;
    let outcome = state
        .control
        .cancel_subscription(&api.caller, &slug, subscription, version)
        .await
        .map_err(|error| Problem::internal(&error))?;
    outcome.map_err(|refusal| refused_change(&api, &refusal))?;
    Ok(StatusCode::NO_CONTENT)
}
