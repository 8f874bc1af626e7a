//! A subscription's service settings, as its services and modules pages
//! have them: its own domain (claimed, checked, removed) and its optional
//! Odoo modules (added, removed).

use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use control::{
    domain::{CustomDomainView, DomainState, Refusal},
    tenancy::{custom_domains::DomainCheck, modules::ModuleChange},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{auth::ApiCaller, body::ApiJson, problem::ProblemDetail, Answer};
use crate::http::AppState;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_domain, set_domain, remove_domain))
        .routes(routes!(check_domain))
        .routes(routes!(add_module, remove_module))
}

/// A subscription's own domain and the DNS records it needs.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Domain {
    /// `null`: none claimed.
    #[schema(example = "shop.example.fr")]
    domain: Option<String>,
    /// `none`, `pending` (records not all found), `verified` (being set
    /// up) or `bound` (the service answers it).
    state: String,
    /// What to create at the DNS provider.
    records: Vec<Record>,
    /// When the records were last checked (RFC 3339).
    checked_at: Option<String>,
    /// What the last check found wrong: `{"kind": "txt_missing"}`,
    /// `{"kind": "cname_wrong", "found": "…"}`, …
    #[schema(value_type = Option<Object>)]
    problem: Option<serde_json::Value>,
}

/// One DNS record to create.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Record {
    /// `TXT` or `CNAME`.
    kind: String,
    name: String,
    value: String,
}

impl From<CustomDomainView> for Domain {
    fn from(view: CustomDomainView) -> Self {
        Self {
            domain: Some(view.domain),
            state: match view.state {
                DomainState::Pending => "pending",
                DomainState::Verified => "verified",
                DomainState::Bound => "bound",
            }
            .to_owned(),
            records: view
                .records
                .into_iter()
                .map(|record| Record {
                    kind: record.kind,
                    name: record.name,
                    value: record.value,
                })
                .collect(),
            checked_at: view.checked_at,
            problem: view
                .problem
                .and_then(|problem| serde_json::to_value(problem).ok()),
        }
    }
}

fn subscription_id(api: &ApiCaller, id: &str) -> Answer<Uuid> {
    Uuid::parse_str(id).map_err(|_| api.refused(&Refusal::NotFound))
}

async fn domain(state: &AppState, api: &ApiCaller, slug: &str, id: &str) -> Answer<Domain> {
    let subscriptions = api.settle(state.control.organization_subscriptions(&api.caller, slug).await)?;
    let subscription = subscriptions
        .into_iter()
        .find(|subscription| subscription.id == id)
        .ok_or_else(|| api.refused(&Refusal::NotFound))?;
    Ok(subscription.custom_domain.map_or_else(
        || Domain {
            domain: None,
            state: "none".to_owned(),
            records: Vec::new(),
            checked_at: None,
            problem: None,
        },
        Domain::from,
    ))
}

/// The subscription's own domain.
#[utoipa::path(
    get,
    path = "/organizations/{slug}/subscriptions/{id}/domain",
    tag = "subscriptions",
    params(
        ("slug" = String, Path, description = "The organization's slug"),
        ("id" = String, Path, description = "The subscription's id"),
    ),
    responses(
        (status = 200, description = "Its domain and records (`state: none` when it has none)", body = Domain),
        (status = 401, description = "No valid token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 403, description = "Not the token's scope", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or not the caller's", body = ProblemDetail, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["subscriptions:read"]))
)]
async fn get_domain(
    State(state): State<AppState>,
    api: ApiCaller,
    Path((slug, id)): Path<(String, String)>,
) -> Answer<Json<Domain>> {
    domain(&state, &api, &slug, &id).await.map(Json)
}

/// The domain to claim.
#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct DomainBody {
    /// A subdomain the organization controls (`shop.example.fr`).
    #[schema(
        example = "shop.example.fr",
        pattern = "^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$",
        max_length = 253
    )]
    domain: String,
}

/// Claims a domain for the subscription's service: create the records it
/// lists, then ask for a check.
#[utoipa::path(
    put,
    path = "/organizations/{slug}/subscriptions/{id}/domain",
    tag = "subscriptions",
    params(
        ("slug" = String, Path, description = "The organization's slug"),
        ("id" = String, Path, description = "The subscription's id"),
    ),
    request_body = DomainBody,
    responses(
        (status = 200, description = "Claimed; the records to create", body = Domain),
        (status = 400, description = "The body is not the JSON described", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 403, description = "Not an owner or admin, or not the token's scope", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or not the caller's", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 409, description = "It has one already, or its offer has no site", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 422, description = "A name refused (or taken)", body = ProblemDetail, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["subscriptions:write"]))
)]
async fn set_domain(
    State(state): State<AppState>,
    api: ApiCaller,
    Path((slug, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<DomainBody>,
) -> Answer<Json<Domain>> {
    let subscription = subscription_id(&api, &id)?;
    api.settle(
        state
            .control
            .add_domain(&api.caller, &slug, subscription, &body.domain)
            .await,
    )?;
    domain(&state, &api, &slug, &id).await.map(Json)
}

/// What a check of the DNS records found.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Checked {
    verified: bool,
    /// What is wrong, when not verified.
    #[schema(value_type = Option<Object>)]
    problem: Option<serde_json::Value>,
}

/// Checks the domain's DNS records now.
#[utoipa::path(
    post,
    path = "/organizations/{slug}/subscriptions/{id}/domain/check",
    tag = "subscriptions",
    params(
        ("slug" = String, Path, description = "The organization's slug"),
        ("id" = String, Path, description = "The subscription's id"),
    ),
    responses(
        (status = 200, description = "What the check found", body = Checked),
        (status = 401, description = "No valid token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 403, description = "Not an owner or admin, or not the token's scope", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or not the caller's", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 409, description = "It has no domain to check", body = ProblemDetail, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["subscriptions:write"]))
)]
async fn check_domain(
    State(state): State<AppState>,
    api: ApiCaller,
    Path((slug, id)): Path<(String, String)>,
) -> Answer<Json<Checked>> {
    let subscription = subscription_id(&api, &id)?;
    let checked = api.settle(state.control.check_domain(&api.caller, &slug, subscription).await)?;
    Ok(Json(match checked {
        DomainCheck::Verified => Checked {
            verified: true,
            problem: None,
        },
        DomainCheck::Failed(problem) => Checked {
            verified: false,
            problem: serde_json::to_value(problem).ok(),
        },
    }))
}

/// Gives up the subscription's own domain.
#[utoipa::path(
    delete,
    path = "/organizations/{slug}/subscriptions/{id}/domain",
    tag = "subscriptions",
    params(
        ("slug" = String, Path, description = "The organization's slug"),
        ("id" = String, Path, description = "The subscription's id"),
    ),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "No valid token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 403, description = "Not an owner or admin, or not the token's scope", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or not the caller's", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 409, description = "It has no domain", body = ProblemDetail, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["subscriptions:write"]))
)]
async fn remove_domain(
    State(state): State<AppState>,
    api: ApiCaller,
    Path((slug, id)): Path<(String, String)>,
) -> Answer<StatusCode> {
    let subscription = subscription_id(&api, &id)?;
    api.settle(
        state
            .control
            .remove_domain(&api.caller, &slug, subscription)
            .await,
    )?;
    Ok(StatusCode::NO_CONTENT)
}

async fn change_module(
    state: &AppState,
    api: &ApiCaller,
    (slug, id, module): (String, String, String),
    change: ModuleChange,
) -> Answer<StatusCode> {
    let subscription = subscription_id(api, &id)?;
    api.settle(
        state
            .control
            .change_module(&api.caller, &slug, subscription, &module, change)
            .await,
    )?;
    Ok(StatusCode::NO_CONTENT)
}

/// Adds one of the plan's optional Odoo modules (its technical name); the
/// engine installs it.
#[utoipa::path(
    put,
    path = "/organizations/{slug}/subscriptions/{id}/modules/{module}",
    tag = "subscriptions",
    params(
        ("slug" = String, Path, description = "The organization's slug"),
        ("id" = String, Path, description = "The subscription's id"),
        ("module" = String, Path, description = "The module's technical name (`website_blog`)"),
    ),
    responses(
        (status = 204, description = "Added; the engine installs it"),
        (status = 401, description = "No valid token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 403, description = "Not an owner or admin, or not the token's scope", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or not the caller's", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 409, description = "Already there, not running, or its offer has no modules", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 422, description = "Not a module the plan offers", body = ProblemDetail, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["subscriptions:write"]))
)]
async fn add_module(
    State(state): State<AppState>,
    api: ApiCaller,
    Path(path): Path<(String, String, String)>,
) -> Answer<StatusCode> {
    change_module(&state, &api, path, ModuleChange::Add).await
}

/// Removes an optional Odoo module; the engine uninstalls it.
#[utoipa::path(
    delete,
    path = "/organizations/{slug}/subscriptions/{id}/modules/{module}",
    tag = "subscriptions",
    params(
        ("slug" = String, Path, description = "The organization's slug"),
        ("id" = String, Path, description = "The subscription's id"),
        ("module" = String, Path, description = "The module's technical name"),
    ),
    responses(
        (status = 204, description = "Removed; the engine uninstalls it"),
        (status = 401, description = "No valid token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 403, description = "Not an owner or admin, or not the token's scope", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or not the caller's", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 409, description = "Not there, or not running", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 422, description = "Not a module the plan offers", body = ProblemDetail, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["subscriptions:write"]))
)]
async fn remove_module(
    State(state): State<AppState>,
    api: ApiCaller,
    Path(path): Path<(String, String, String)>,
) -> Answer<StatusCode> {
    change_module(&state, &api, path, ModuleChange::Remove).await
}
