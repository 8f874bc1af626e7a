//! `/api/v1/organizations/{slug}/api-clients`: an organization's API
//! clients, made, listed and revoked by its owners and admins (as on the
//! portal's page), through the same control-plane operations.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use control::domain::{ApiClientView, CreatedApiClient, NewApiClient, Refusal};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    auth::ApiCaller,
    body::ApiJson,
    gate::KeepInstead,
    pages::{Listed, PageQuery},
    problem::ProblemDetail,
    Answer,
};
use crate::http::AppState;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_api_clients, create_api_client))
        .routes(routes!(revoke_api_client))
}

/// An API client (never its secret).
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct ApiClient {
    id: String,
    /// What it sends as its OAuth2 `client_id`.
    client_id: String,
    name: String,
    /// `admin` or `member`: the role it acts with.
    #[schema(example = "member")]
    role: String,
    /// The scopes its tokens may carry.
    #[schema(example = json!(["subscriptions:write", "organizations:read"]))]
    scopes: Vec<String>,
    /// `active`, `expired` or `revoked`.
    #[schema(example = "active")]
    state: String,
    /// Who made it.
    created_by: String,
    /// RFC 3339.
    created_at: String,
    expires_at: Option<String>,
    last_used_at: Option<String>,
}

impl From<ApiClientView> for ApiClient {
    fn from(view: ApiClientView) -> Self {
        Self {
            id: view.id,
            client_id: view.client_id,
            name: view.name,
            role: view.role.as_str().to_owned(),
            scopes: view.scopes,
            state: match view.state {
                control::domain::ApiClientState::Active => "active",
                control::domain::ApiClientState::Expired => "expired",
                control::domain::ApiClientState::Revoked => "revoked",
            }
            .to_owned(),
            created_by: view.created_by,
            created_at: view.created_at,
            expires_at: view.expires_at,
            last_used_at: view.last_used_at,
        }
    }
}

/// A new API client.
#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct NewApiClientBody {
    /// 1 to 64 characters.
    #[schema(example = "CI pipeline", min_length = 1, max_length = 64)]
    name: String,
    /// `admin` or `member`.
    #[schema(example = "member", pattern = "^(admin|member)$")]
    role: String,
    /// Scopes its tokens may carry (`organizations:read`, `members:write`, …).
    #[schema(example = json!(["subscriptions:write"]))]
    scopes: Vec<String>,
    /// Days until it stops working (1 to 366); absent: until revoked.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 366)]
    lifetime_days: Option<u32>,
}

/// A client just made: its secret is shown this once (absent when the
/// answer is replayed for the same `Idempotency-Key`).
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct CreatedClient {
    client: ApiClient,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret: Option<String>,
    /// Where it gets its tokens (`grant_type=client_credentials`).
    token_url: String,
}

/// The organization's API clients, newest first.
#[utoipa::path(
    get,
    path = "/organizations/{slug}/api-clients",
    tag = "api-clients",
    params(("slug" = String, Path, description = "The organization's slug"), PageQuery),
    responses(
        (status = 200, description = "A page of clients; `Link: <…>; rel=\"next\"` names the next", body = Vec<ApiClient>),
        (status = 400, description = "A wrong cursor or limit", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 403, description = "Not an owner or admin, or not the token's scope", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or not the caller's", body = ProblemDetail, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["members:read"]))
)]
async fn list_api_clients(
    State(state): State<AppState>,
    api: ApiCaller,
    Path(slug): Path<String>,
    page: PageQuery,
) -> Answer<Listed<ApiClient>> {
    let clients = api.settle(state.control.api_clients(&api.caller, &slug).await)?;
    let items: Vec<ApiClient> = clients.into_iter().map(ApiClient::from).collect();
    page.list(items, |client| client.id.clone(), &api)
}

/// Makes an API client; the answer carries its secret, shown this once.
#[utoipa::path(
    post,
    path = "/organizations/{slug}/api-clients",
    tag = "api-clients",
    params(("slug" = String, Path, description = "The organization's slug")),
    request_body = NewApiClientBody,
    responses(
        (status = 201, body = CreatedClient),
        (status = 400, description = "The body is not the JSON described", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 403, description = "Not an owner or admin, an API client, or not the token's scope", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or not the caller's", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 422, description = "Fields refused, each with its problem", body = ProblemDetail, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["members:write"]))
)]
async fn create_api_client(
    State(state): State<AppState>,
    api: ApiCaller,
    Path(slug): Path<String>,
    ApiJson(body): ApiJson<NewApiClientBody>,
) -> Answer<Response> {
    let lifetime = body
        .lifetime_days
        .map(|days| days.to_string())
        .unwrap_or_default();
    let new = NewApiClient::parse(&body.name, &body.role, &body.scopes, &lifetime)
        .map_err(|fields| api.refused(&Refusal::Fields(fields)))?;
    let CreatedApiClient {
        client,
        client_secret,
    } = api.settle(state.control.create_api_client(&api.caller, &slug, &new).await)?;
    let mut created = CreatedClient {
        client: client.into(),
        client_secret: None,
        token_url: state.control.api_token_url().to_owned(),
    };
    // A replay of this answer (same Idempotency-Key) carries no secret.
    let without_secret = serde_json::to_vec(&created).unwrap_or_default();
    created.client_secret = Some(client_secret);
    let mut response = (StatusCode::CREATED, Json(created)).into_response();
    response.extensions_mut().insert(KeepInstead(without_secret));
    Ok(response)
}

/// Revokes an API client: its tokens are refused from now on.
#[utoipa::path(
    delete,
    path = "/organizations/{slug}/api-clients/{id}",
    tag = "api-clients",
    params(
        ("slug" = String, Path, description = "The organization's slug"),
        ("id" = String, Path, description = "The API client's id"),
    ),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "No valid token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 403, description = "Not an owner or admin, or not the token's scope", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, already revoked, or not the caller's", body = ProblemDetail, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["members:write"]))
)]
async fn revoke_api_client(
    State(state): State<AppState>,
    api: ApiCaller,
    Path((slug, id)): Path<(String, String)>,
) -> Answer<StatusCode> {
    let Ok(id) = uuid::Uuid::parse_str(&id) else {
        return Err(api.refused(&Refusal::NotFound));
    };
    api.settle(state.control.revoke_api_client(&api.caller, &slug, id).await)?;
    Ok(StatusCode::NO_CONTENT)
}
