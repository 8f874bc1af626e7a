//! `/api/v1/organizations`: the organizations a token's caller belongs to,
//! and one organization with its subscriptions. Each handler calls the
//! control-plane operation the portal's page calls.

use axum::{
    extract::{Path, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use control::domain::{NewOrganization, OrganizationOverview, OrganizationSummary, Refusal};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    auth::ApiCaller,
    body::ApiJson,
    pages::{Listed, PageQuery},
    problem::{Problem, ProblemDetail},
    Answer, BASE,
};
use crate::http::AppState;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_organizations, create_organization))
        .routes(routes!(get_organization))
}

/// An organization, as its member (or API client) sees it.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Organization {
    /// Its address in the portal and the API.
    #[schema(example = "acme")]
    slug: String,
    name: String,
    /// ISO 3166-1 alpha-2.
    #[schema(example = "FR")]
    country: String,
    /// `pending_approval`, `active`, `suspended` or `closed`.
    #[schema(example = "active")]
    state: String,
    /// The caller's role in it: `owner`, `admin`, `member` or `learner`.
    #[schema(example = "admin")]
    role: String,
}

impl From<OrganizationSummary> for Organization {
    fn from(summary: OrganizationSummary) -> Self {
        Self {
            slug: summary.slug,
            name: summary.name,
            country: summary.country,
            state: summary.state.as_str().to_owned(),
            role: summary.role.as_str().to_owned(),
        }
    }
}

/// One of an organization's subscriptions.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct SubscriptionSummary {
    id: String,
    /// `ecommerce`, `training` or `iot`.
    #[schema(example = "ecommerce")]
    offer: String,
    #[schema(example = "shop-starter")]
    plan: String,
    #[schema(example = "active")]
    state: String,
    /// Changes with every change: what `If-Match` names.
    version: i32,
}

/// An organization to create, as the portal's form asks for it.
#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct NewOrganizationBody {
    /// 2 to 100 characters.
    #[schema(example = "ACME", min_length = 2, max_length = 100)]
    name: String,
    /// Lower-case letters, digits and single hyphens inside, 3 to 40.
    #[schema(
        example = "acme",
        pattern = "^[a-z0-9]+(-[a-z0-9]+)*$",
        min_length = 3,
        max_length = 40
    )]
    slug: String,
    /// ISO 3166-1 alpha-2.
    #[schema(example = "FR", pattern = "^[A-Z]{2}$")]
    country: String,
    #[schema(example = "billing@acme.example", format = "email")]
    billing_email: String,
}

/// An organization with its subscriptions.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct OrganizationDetail {
    #[serde(flatten)]
    organization: Organization,
    subscriptions: Vec<SubscriptionSummary>,
}

impl From<OrganizationOverview> for OrganizationDetail {
    fn from(overview: OrganizationOverview) -> Self {
        Self {
            organization: overview.organization.into(),
            subscriptions: overview
                .subscriptions
                .into_iter()
                .map(|subscription| SubscriptionSummary {
                    id: subscription.id,
                    offer: subscription.offer.as_str().to_owned(),
                    plan: subscription.plan_code,
                    state: subscription.state.as_str().to_owned(),
                    version: subscription.version,
                })
                .collect(),
        }
    }
}

/// The organizations the caller belongs to (an API client: its own), by name.
#[utoipa::path(
    get,
    path = "/organizations",
    tag = "organizations",
    params(PageQuery),
    responses(
        (status = 200, description = "A page of organizations; `Link: <…>; rel=\"next\"` names the next", body = Vec<Organization>),
        (status = 400, description = "A wrong cursor or limit", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = ProblemDetail, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["organizations:read"]))
)]
async fn list_organizations(
    State(state): State<AppState>,
    api: ApiCaller,
    page: PageQuery,
) -> Answer<Listed<Organization>> {
    let organizations = state
        .control
        .my_organizations(&api.caller)
        .await
        .map_err(|error| Problem::internal(&error))?;
    let items: Vec<Organization> = organizations.into_iter().map(Organization::from).collect();
    page.list(items, |organization| organization.slug.clone(), &api)
}

/// One organization and its subscriptions.
#[utoipa::path(
    get,
    path = "/organizations/{slug}",
    tag = "organizations",
    params(("slug" = String, Path, description = "The organization's slug")),
    responses(
        (status = 200, body = OrganizationDetail),
        (status = 401, description = "No valid token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 403, description = "The token's scopes or role do not allow it", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or not the caller's", body = ProblemDetail, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["organizations:read"]))
)]
async fn get_organization(
    State(state): State<AppState>,
    api: ApiCaller,
    Path(slug): Path<String>,
) -> Answer<Json<OrganizationDetail>> {
    let overview = api.settle(state.control.organization_overview(&api.caller, &slug).await)?;
    Ok(Json(overview.into()))
}

/// Creates an organization with the caller as its owner (a person's token:
/// an API client belongs to its organization and creates none). It may
/// wait for Bibind's approval (`state: pending_approval`).
#[utoipa::path(
    post,
    path = "/organizations",
    tag = "organizations",
    request_body = NewOrganizationBody,
    responses(
        (status = 201, description = "Created; `Location` names it", body = Organization),
        (status = 400, description = "The body is not the JSON described", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 403, description = "An API client's token, an unverified address, or not the token's scope", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 409, description = "As many organizations as one person may own", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 422, description = "Fields refused (a taken slug among them), each with its problem", body = ProblemDetail, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["organizations:write"]))
)]
async fn create_organization(
    State(state): State<AppState>,
    api: ApiCaller,
    ApiJson(body): ApiJson<NewOrganizationBody>,
) -> Answer<Response> {
    let new = NewOrganization::parse(&body.name, &body.slug, &body.country, &body.billing_email)
        .map_err(|fields| api.refused(&Refusal::Fields(fields)))?;
    let created = api.settle(state.control.create_organization(&api.caller, &new).await)?;
    let location = format!("{BASE}/organizations/{}", created.slug);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(Organization::from(created)),
    )
        .into_response())
}
