//! `/api/v1/organizations/{slug}/members` and `…/invitations`: who belongs
//! to an organization, inviting, changing a role, removing; the operations
//! of the portal's members page.

use axum::{
    extract::{Path, State},
    http::StatusCode,
};
use control::domain::{FieldProblem, Member as MemberView, NewInvitation, Refusal, Role};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    auth::ApiCaller,
    body::ApiJson,
    pages::{Listed, PageQuery},
    problem::ProblemDetail,
    Answer,
};
use crate::http::AppState;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_members))
        .routes(routes!(change_role))
        .routes(routes!(remove_member))
        .routes(routes!(list_invitations, invite))
        .routes(routes!(revoke_invitation))
}

/// An invitation not yet accepted, withdrawn or expired.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Invitation {
    id: String,
    email: String,
    /// `owner`, `admin`, `member` or `learner`.
    #[schema(example = "member")]
    role: String,
    /// The last day it can be accepted (`YYYY-MM-DD`, UTC).
    expires_on: String,
}

/// The organization's open invitations.
#[utoipa::path(
    get,
    path = "/organizations/{slug}/invitations",
    tag = "members",
    params(("slug" = String, Path, description = "The organization's slug"), PageQuery),
    responses(
        (status = 200, description = "A page of invitations; `Link: <…>; rel=\"next\"` names the next", body = Vec<Invitation>),
        (status = 400, description = "A wrong cursor or limit", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 403, description = "Not an owner or admin, or not the token's scope", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or not the caller's", body = ProblemDetail, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["members:read"]))
)]
async fn list_invitations(
    State(state): State<AppState>,
    api: ApiCaller,
    Path(slug): Path<String>,
    page: PageQuery,
) -> Answer<Listed<Invitation>> {
    let invitations = api.settle(state.control.organization_invitations(&api.caller, &slug).await)?;
    let items: Vec<Invitation> = invitations
        .into_iter()
        .map(|invitation| Invitation {
            id: invitation.id,
            email: invitation.email,
            role: invitation.role.as_str().to_owned(),
            expires_on: invitation.expires_on,
        })
        .collect();
    page.list(items, |invitation| invitation.id.clone(), &api)
}

/// Withdraws an open invitation: its link no longer works.
#[utoipa::path(
    delete,
    path = "/organizations/{slug}/invitations/{id}",
    tag = "members",
    params(
        ("slug" = String, Path, description = "The organization's slug"),
        ("id" = String, Path, description = "The invitation's id"),
    ),
    responses(
        (status = 204, description = "Withdrawn"),
        (status = 401, description = "No valid token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 403, description = "Not allowed to the caller's role or token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, used, withdrawn or expired", body = ProblemDetail, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["members:write"]))
)]
async fn revoke_invitation(
    State(state): State<AppState>,
    api: ApiCaller,
    Path((slug, id)): Path<(String, String)>,
) -> Answer<StatusCode> {
    let invitation = uuid::Uuid::parse_str(&id).map_err(|_| api.refused(&Refusal::NotFound))?;
    api.settle(
        state
            .control
            .revoke_invitation(&api.caller, &slug, invitation)
            .await,
    )?;
    Ok(StatusCode::NO_CONTENT)
}

/// A member of the organization.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Member {
    /// Their identity's id: what the member operations name.
    id: String,
    email: String,
    /// `owner`, `admin`, `member` or `learner`.
    #[schema(example = "member")]
    role: String,
}

impl From<MemberView> for Member {
    fn from(member: MemberView) -> Self {
        Self {
            id: member.identity_id,
            email: member.email,
            role: member.role.as_str().to_owned(),
        }
    }
}

/// An invitation to send.
#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct InvitationBody {
    #[schema(example = "someone@example.com", format = "email")]
    email: String,
    /// `owner` (by an owner only), `admin`, `member` or `learner`.
    #[schema(example = "member", pattern = "^(owner|admin|member|learner)$")]
    role: String,
}

/// A member's new role.
#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct RoleBody {
    /// `owner` (by an owner only), `admin`, `member` or `learner`.
    #[schema(example = "admin", pattern = "^(owner|admin|member|learner)$")]
    role: String,
}

/// The organization's members, owners first.
#[utoipa::path(
    get,
    path = "/organizations/{slug}/members",
    tag = "members",
    params(("slug" = String, Path, description = "The organization's slug"), PageQuery),
    responses(
        (status = 200, description = "A page of members; `Link: <…>; rel=\"next\"` names the next", body = Vec<Member>),
        (status = 400, description = "A wrong cursor or limit", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 403, description = "A learner, or not the token's scope", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or not the caller's", body = ProblemDetail, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["members:read"]))
)]
async fn list_members(
    State(state): State<AppState>,
    api: ApiCaller,
    Path(slug): Path<String>,
    page: PageQuery,
) -> Answer<Listed<Member>> {
    let members = api.settle(state.control.organization_members(&api.caller, &slug).await)?;
    let items: Vec<Member> = members.into_iter().map(Member::from).collect();
    page.list(items, |member| member.id.clone(), &api)
}

/// Invites someone by e-mail (the letter is sent in the caller's language).
#[utoipa::path(
    post,
    path = "/organizations/{slug}/invitations",
    tag = "members",
    params(("slug" = String, Path, description = "The organization's slug")),
    request_body = InvitationBody,
    responses(
        (status = 202, description = "Invited: the letter is sent"),
        (status = 400, description = "The body is not the JSON described", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 403, description = "Not an owner or admin, or not the token's scope", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or not the caller's", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 409, description = "Already a member, or no seat left", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 422, description = "Fields refused, each with its problem", body = ProblemDetail, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["members:write"]))
)]
async fn invite(
    State(state): State<AppState>,
    api: ApiCaller,
    Path(slug): Path<String>,
    ApiJson(body): ApiJson<InvitationBody>,
) -> Answer<StatusCode> {
    let new = NewInvitation::parse(&body.email, &body.role)
        .map_err(|fields| api.refused(&Refusal::Fields(fields)))?;
    api.settle(
        state
            .control
            .invite_member(&api.caller, &slug, &new, api.locale)
            .await,
    )?;
    Ok(StatusCode::ACCEPTED)
}

/// Gives a member another role.
#[utoipa::path(
    put,
    path = "/organizations/{slug}/members/{id}/role",
    tag = "members",
    params(
        ("slug" = String, Path, description = "The organization's slug"),
        ("id" = String, Path, description = "The member's id"),
    ),
    request_body = RoleBody,
    responses(
        (status = 204, description = "Changed"),
        (status = 400, description = "The body is not the JSON described", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 403, description = "Not allowed to the caller's role or token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 404, description = "Unknown member or organization", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 409, description = "It would leave no owner, or no seat", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 422, description = "An unknown role", body = ProblemDetail, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["members:write"]))
)]
async fn change_role(
    State(state): State<AppState>,
    api: ApiCaller,
    Path((slug, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<RoleBody>,
) -> Answer<StatusCode> {
    let Some(role) = Role::parse(body.role.trim()) else {
        return Err(api.refused(&Refusal::field("role", FieldProblem::Unknown)));
    };
    let member = uuid::Uuid::parse_str(&id).map_err(|_| api.refused(&Refusal::NotFound))?;
    api.settle(
        state
            .control
            .change_member_role(&api.caller, &slug, member, role)
            .await,
    )?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes a member.
#[utoipa::path(
    delete,
    path = "/organizations/{slug}/members/{id}",
    tag = "members",
    params(
        ("slug" = String, Path, description = "The organization's slug"),
        ("id" = String, Path, description = "The member's id"),
    ),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "No valid token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 403, description = "Not allowed to the caller's role or token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 404, description = "Unknown member or organization", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 409, description = "The last owner", body = ProblemDetail, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["members:write"]))
)]
async fn remove_member(
    State(state): State<AppState>,
    api: ApiCaller,
    Path((slug, id)): Path<(String, String)>,
) -> Answer<StatusCode> {
    let member = uuid::Uuid::parse_str(&id).map_err(|_| api.refused(&Refusal::NotFound))?;
    api.settle(state.control.remove_member(&api.caller, &slug, member).await)?;
    Ok(StatusCode::NO_CONTENT)
}
