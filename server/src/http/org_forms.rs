//! The forms of an organization's page: invitations, members' roles and
//! removal, subscriptions; and accepting an invitation. Each post checks its
//! CSRF token, parses its fields once and asks the control plane, which
//! checks the caller's role; the answer follows [`super::answers`].

use app::{
    api::{INVITATION_CSRF_COOKIE, ORG_CSRF_COOKIE},
    i18n::locale_from_headers,
};
use axum::{
    extract::{Path, State},
    response::{IntoResponse, Response},
    routing::post,
    Form, Router,
};
use control::domain::{NewInvitation, Refusal, Role};
use http::request::Parts;
use serde::Deserialize;
use uuid::Uuid;

use super::{
    answers::{answer, done_at, form_caller},
    AppState,
};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/orgs/{slug}/invitations", post(invite))
        .route("/orgs/{slug}/invitations/{id}/revoke", post(revoke_invitation))
        .route("/orgs/{slug}/members/{id}/role", post(change_role))
        .route("/orgs/{slug}/members/{id}/remove", post(remove_member))
        .route("/orgs/{slug}/subscriptions", post(subscribe))
        .route("/orgs/{slug}/subscriptions/{id}/plan", post(change_plan))
        .route("/orgs/{slug}/subscriptions/{id}/cancel", post(cancel))
        .route("/invitations/{token}/accept", post(accept_invitation))
}

#[derive(Deserialize)]
struct Fields {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    plan: String,
    #[serde(default)]
    version: String,
}

fn org_page(slug: &str) -> String {
    format!("/orgs/{slug}")
}

/// The version a form carries; one that does not parse is as stale as an old one.
fn version(fields: &Fields) -> i32 {
    fields.version.trim().parse().unwrap_or(-1)
}

async fn invite(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    parts: Parts,
    Form(fields): Form<Fields>,
) -> Response {
    let back = format!("{}#members", org_page(&slug));
    let caller = match form_caller(&parts, ORG_CSRF_COOKIE, &fields.csrf_token, &back) {
        Ok(caller) => caller,
        Err(redirect) => return redirect.into_response(),
    };
    let outcome = match NewInvitation::parse(&fields.email, &fields.role) {
        Ok(new) => state
            .control
            .invite_member(&caller, &slug, &new, locale_from_headers(&parts.headers))
            .await
            .map(|done| done.map(|()| format!("{}?invited=1#members", org_page(&slug)))),
        Err(errors) => Ok(Err(Refusal::Fields(errors))),
    };
    let echo = [("email", fields.email.clone()), ("role", fields.role.clone())];
    answer(&state.pages, &parts, outcome, &back, &echo).await
}

async fn revoke_invitation(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    parts: Parts,
    Form(fields): Form<Fields>,
) -> Response {
    let back = format!("{}#members", org_page(&slug));
    let caller = match form_caller(&parts, ORG_CSRF_COOKIE, &fields.csrf_token, &back) {
        Ok(caller) => caller,
        Err(redirect) => return redirect.into_response(),
    };
    let outcome = match Uuid::parse_str(&id) {
        Ok(id) => state.control.revoke_invitation(&caller, &slug, id).await,
        Err(_) => Ok(Err(Refusal::NotFound)),
    };
    answer(&state.pages, &parts, done_at(outcome, &back), &back, &[]).await
}

async fn change_role(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    parts: Parts,
    Form(fields): Form<Fields>,
) -> Response {
    let back = format!("{}#members", org_page(&slug));
    let caller = match form_caller(&parts, ORG_CSRF_COOKIE, &fields.csrf_token, &back) {
        Ok(caller) => caller,
        Err(redirect) => return redirect.into_response(),
    };
    let outcome = match (Uuid::parse_str(&id), Role::parse(&fields.role)) {
        (Err(_), _) => Ok(Err(Refusal::NotFound)),
        (Ok(_), None) => Ok(Err(Refusal::field(
            "role",
            control::domain::FieldProblem::Unknown,
        ))),
        (Ok(member), Some(role)) => {
            state
                .control
                .change_member_role(&caller, &slug, member, role)
                .await
        }
    };
    answer(&state.pages, &parts, done_at(outcome, &back), &back, &[]).await
}

async fn remove_member(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    parts: Parts,
    Form(fields): Form<Fields>,
) -> Response {
    let back = format!("{}#members", org_page(&slug));
    let caller = match form_caller(&parts, ORG_CSRF_COOKIE, &fields.csrf_token, &back) {
        Ok(caller) => caller,
        Err(redirect) => return redirect.into_response(),
    };
    let leaving = caller.identity_id == id;
    let outcome = match Uuid::parse_str(&id) {
        Ok(member) => state.control.remove_member(&caller, &slug, member).await,
        Err(_) => Ok(Err(Refusal::NotFound)),
    };
    // Who leaves no longer sees the organization: back to their list.
    let done = if leaving { "/orgs".to_owned() } else { back.clone() };
    answer(&state.pages, &parts, done_at(outcome, &done), &back, &[]).await
}

async fn subscribe(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    parts: Parts,
    Form(fields): Form<Fields>,
) -> Response {
    let back = format!("{}#subscriptions", org_page(&slug));
    let caller = match form_caller(&parts, ORG_CSRF_COOKIE, &fields.csrf_token, &back) {
        Ok(caller) => caller,
        Err(redirect) => return redirect.into_response(),
    };
    let outcome = state.control.subscribe(&caller, &slug, fields.plan.trim()).await;
    answer(&state.pages, &parts, done_at(outcome, &back), &back, &[]).await
}

async fn change_plan(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    parts: Parts,
    Form(fields): Form<Fields>,
) -> Response {
    let back = format!("{}#subscriptions", org_page(&slug));
    let caller = match form_caller(&parts, ORG_CSRF_COOKIE, &fields.csrf_token, &back) {
        Ok(caller) => caller,
        Err(redirect) => return redirect.into_response(),
    };
    let outcome = match Uuid::parse_str(&id) {
        Ok(subscription) => {
            state
                .control
                .change_plan(&caller, &slug, subscription, fields.plan.trim(), version(&fields))
                .await
        }
        Err(_) => Ok(Err(Refusal::NotFound)),
    };
    answer(&state.pages, &parts, done_at(outcome, &back), &back, &[]).await
}

async fn cancel(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    parts: Parts,
    Form(fields): Form<Fields>,
) -> Response {
    let back = format!("{}#subscriptions", org_page(&slug));
    let caller = match form_caller(&parts, ORG_CSRF_COOKIE, &fields.csrf_token, &back) {
        Ok(caller) => caller,
        Err(redirect) => return redirect.into_response(),
    };
    let outcome = match Uuid::parse_str(&id) {
        Ok(subscription) => {
            state
                .control
                .cancel_subscription(&caller, &slug, subscription, version(&fields))
                .await
        }
        Err(_) => Ok(Err(Refusal::NotFound)),
    };
    answer(&state.pages, &parts, done_at(outcome, &back), &back, &[]).await
}

async fn accept_invitation(
    State(state): State<AppState>,
    Path(token): Path<String>,
    parts: Parts,
    Form(fields): Form<Fields>,
) -> Response {
    let back = format!("/invitations/{token}");
    let caller = match form_caller(&parts, INVITATION_CSRF_COOKIE, &fields.csrf_token, &back) {
        Ok(caller) => caller,
        Err(redirect) => return redirect.into_response(),
    };
    let outcome = state
        .control
        .accept_invitation(&caller, &token)
        .await
        .map(|done| done.map(|slug| format!("{}?joined=1", org_page(&slug))));
    answer(&state.pages, &parts, outcome, &back, &[]).await
}
