//! The forms of an organization's page: invitations, members' roles and
//! removal, subscriptions; and accepting an invitation. Each post checks its
//! CSRF token, parses its fields once and asks the control plane, which
//! checks the caller's role; the answer follows [`super::answers`].

use app::{
    api::{INVITATION_TOKEN_COOKIE, PENDING_INVITATION},
    i18n::locale_from_headers,
    routes::{self, pattern},
};
use axum::{
    extract::{Path, State},
    response::Response,
    routing::post,
    Form, Router,
};
use control::domain::{DeviceName, FieldProblem, NewInvitation, Refusal, Role};
use http::request::Parts;
use serde::Deserialize;

use super::{
    answers::{done_at, id_in_path, parsed, submit, FormVersion, PostedForm},
    AppState,
};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(pattern::INVITE, post(invite))
        .route(pattern::REVOKE_INVITATION, post(revoke_invitation))
        .route(pattern::MEMBER_ROLE, post(change_role))
        .route(pattern::REMOVE_MEMBER, post(remove_member))
        .route(pattern::SUBSCRIBE, post(subscribe))
        .route(pattern::CHANGE_PLAN, post(change_plan))
        .route(pattern::CANCEL_SUBSCRIPTION, post(cancel))
        .route(pattern::REGISTER_DEVICE, post(register_device))
        .route(pattern::REMOVE_DEVICE, post(remove_device))
        .route(pattern::ACCEPT_INVITATION, post(accept_invitation))
}

// One struct per form, with the fields it posts. A missing field is empty
// (`default`): the operation refuses it beside its field, as a wrong one.

/// A form that posts nothing but its token: revoke, remove, accept.
#[derive(Deserialize, Default)]
#[serde(default)]
struct TokenOnly {
    csrf_token: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct InvitationPost {
    csrf_token: String,
    email: String,
    role: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RolePost {
    csrf_token: String,
    role: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SubscribePost {
    csrf_token: String,
    plan: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PlanChangePost {
    csrf_token: String,
    plan: String,
    version: FormVersion,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CancelPost {
    csrf_token: String,
    version: FormVersion,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DevicePost {
    csrf_token: String,
    name: String,
}

async fn invite(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    parts: Parts,
    Form(fields): Form<InvitationPost>,
) -> Response {
    let form = PostedForm::new(&fields.csrf_token, routes::members(&slug)).echo(vec![
        ("email", fields.email.clone()),
        ("role", fields.role.clone()),
    ]);
    submit(&state, &parts, form, async |caller| {
        let new = parsed!(NewInvitation::parse(&fields.email, &fields.role).map_err(Refusal::Fields));
        let locale = locale_from_headers(&parts.headers);
        let sent = state.control.invite_member(&caller, &slug, &new, locale).await;
        done_at(sent, &format!("{}?invited=1", routes::members(&slug)))
    })
    .await
}

async fn revoke_invitation(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    parts: Parts,
    Form(fields): Form<TokenOnly>,
) -> Response {
    let form = PostedForm::new(&fields.csrf_token, routes::members(&slug));
    let back = form.back.clone();
    submit(&state, &parts, form, async |caller| {
        let id = parsed!(id_in_path(&id));
        done_at(state.control.revoke_invitation(&caller, &slug, id).await, &back)
    })
    .await
}

async fn change_role(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    parts: Parts,
    Form(fields): Form<RolePost>,
) -> Response {
    let form = PostedForm::new(&fields.csrf_token, routes::members(&slug));
    let back = form.back.clone();
    submit(&state, &parts, form, async |caller| {
        let member = parsed!(id_in_path(&id));
        let Some(role) = Role::parse(&fields.role) else {
            return Ok(Err(Refusal::field("role", FieldProblem::Unknown)));
        };
        done_at(
            state
                .control
                .change_member_role(&caller, &slug, member, role)
                .await,
            &back,
        )
    })
    .await
}

async fn remove_member(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    parts: Parts,
    Form(fields): Form<TokenOnly>,
) -> Response {
    let form = PostedForm::new(&fields.csrf_token, routes::members(&slug));
    let back = form.back.clone();
    submit(&state, &parts, form, async |caller| {
        let member = parsed!(id_in_path(&id));
        // Who leaves no longer sees the organization: back to their list.
        let done = if caller.identity_id == id {
            routes::ORGANIZATIONS
        } else {
            back.as_str()
        };
        done_at(state.control.remove_member(&caller, &slug, member).await, done)
    })
    .await
}

async fn subscribe(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    parts: Parts,
    Form(fields): Form<SubscribePost>,
) -> Response {
    let form = PostedForm::new(&fields.csrf_token, routes::services(&slug));
    submit(&state, &parts, form, async |caller| {
        done_at(
            state.control.subscribe(&caller, &slug, fields.plan.trim()).await,
            &routes::subscriptions(&slug),
        )
    })
    .await
}

async fn change_plan(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    parts: Parts,
    Form(fields): Form<PlanChangePost>,
) -> Response {
    let form = PostedForm::new(&fields.csrf_token, routes::subscriptions(&slug));
    let back = form.back.clone();
    submit(&state, &parts, form, async |caller| {
        let subscription = parsed!(id_in_path(&id));
        let plan = fields.plan.trim();
        let changed = state
            .control
            .change_plan(&caller, &slug, subscription, plan, fields.version.get32())
            .await;
        done_at(changed, &back)
    })
    .await
}

async fn cancel(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    parts: Parts,
    Form(fields): Form<CancelPost>,
) -> Response {
    let form = PostedForm::new(&fields.csrf_token, routes::subscriptions(&slug));
    let back = form.back.clone();
    submit(&state, &parts, form, async |caller| {
        let subscription = parsed!(id_in_path(&id));
        let cancelled = state
            .control
            .cancel_subscription(&caller, &slug, subscription, fields.version.get32())
            .await;
        done_at(cancelled, &back)
    })
    .await
}

async fn register_device(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    parts: Parts,
    Form(fields): Form<DevicePost>,
) -> Response {
    let form = PostedForm::new(&fields.csrf_token, routes::subscriptions(&slug))
        .echo(vec![("device", fields.name.clone())]);
    let back = form.back.clone();
    submit(&state, &parts, form, async |caller| {
        let subscription = parsed!(id_in_path(&id));
        let name =
            parsed!(DeviceName::parse(&fields.name).map_err(|problem| Refusal::field("name", problem)));
        let registered = state
            .control
            .register_device(&caller, &slug, subscription, &name)
            .await;
        done_at(registered, &back)
    })
    .await
}

async fn remove_device(
    State(state): State<AppState>,
    Path((slug, id, device)): Path<(String, String, String)>,
    parts: Parts,
    Form(fields): Form<TokenOnly>,
) -> Response {
    let form = PostedForm::new(&fields.csrf_token, routes::subscriptions(&slug));
    let back = form.back.clone();
    submit(&state, &parts, form, async |caller| {
        let (subscription, device) = match (id_in_path(&id), id_in_path(&device)) {
            (Ok(subscription), Ok(device)) => (subscription, device),
            _ => return Ok(Err(Refusal::NotFound)),
        };
        let removed = state
            .control
            .remove_device(&caller, &slug, subscription, device)
            .await;
        done_at(removed, &back)
    })
    .await
}

async fn accept_invitation(
    State(state): State<AppState>,
    Path(token): Path<String>,
    parts: Parts,
    Form(fields): Form<TokenOnly>,
) -> Response {
    let form = PostedForm::new(&fields.csrf_token, routes::invitation(&token));
    let token = if token == PENDING_INVITATION {
        app::cookie_value(&parts.headers, INVITATION_TOKEN_COOKIE).unwrap_or_default()
    } else {
        token
    };
    submit(&state, &parts, form, async |caller| {
        let joined = state.control.accept_invitation(&caller, &token).await?;
        Ok(joined.map(|slug| format!("{}?joined=1", routes::organization(&slug))))
    })
    .await
}

#[cfg(test)]
mod tests {
    /// The app's page routes are literals (Leptos' `path!`): each page
    /// pattern of `app::routes` must be one of them, so the links the
    /// builders write lead somewhere.
    #[tokio::test]
    async fn the_page_patterns_are_the_apps_routes() {
        let routed: Vec<String> = super::super::route_list()
            .iter()
            .map(|route| route.path().to_owned())
            .collect();
        for pattern in app::routes::pattern::PAGES {
            assert!(
                routed.iter().any(|path| path == pattern),
                "{pattern} is not a page route of the app: {routed:?}"
            );
        }
    }
}
