//! The forms of an organization's page: invitations, members' roles and
//! removal, subscriptions; and accepting an invitation. Each post checks its
//! CSRF token, parses its fields once and asks the control plane, which
//! checks the caller's role; the answer follows [`super::answers`].

use app::{
    api::{INVITATION_TOKEN_COOKIE, PENDING_INVITATION},
    i18n::locale_from_headers,
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
    answers::{done_at, id_in_path, parsed, submit, PostedForm},
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
        .route("/orgs/{slug}/subscriptions/{id}/devices", post(register_device))
        .route(
            "/orgs/{slug}/subscriptions/{id}/devices/{device}/remove",
            post(remove_device),
        )
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
    #[serde(default)]
    name: String,
}

impl Fields {
    /// The version the form carries; one that does not parse is as stale as an old one.
    fn version(&self) -> i32 {
        self.version.trim().parse().unwrap_or(-1)
    }

    /// An organization form, answered (refused) on the page at `back`.
    fn on(&self, back: String) -> PostedForm<'_> {
        PostedForm::new(&self.csrf_token, back)
    }
}

/// The overview, where subscriptions are shown and changed.
fn overview(slug: &str) -> String {
    format!("/orgs/{slug}#subscriptions")
}

/// The members page: members, invitations and the invitation form.
fn members_page(slug: &str) -> String {
    format!("/orgs/{slug}/members")
}

/// The catalog of services to subscribe to.
fn services_page(slug: &str) -> String {
    format!("/orgs/{slug}/services")
}

async fn invite(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    parts: Parts,
    Form(fields): Form<Fields>,
) -> Response {
    let form = fields.on(members_page(&slug)).echo(vec![
        ("email", fields.email.clone()),
        ("role", fields.role.clone()),
    ]);
    submit(&state, &parts, form, async |caller| {
        let new = parsed!(NewInvitation::parse(&fields.email, &fields.role).map_err(Refusal::Fields));
        let locale = locale_from_headers(&parts.headers);
        let sent = state.control.invite_member(&caller, &slug, &new, locale).await;
        done_at(sent, &format!("{}?invited=1", members_page(&slug)))
    })
    .await
}

async fn revoke_invitation(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    parts: Parts,
    Form(fields): Form<Fields>,
) -> Response {
    let form = fields.on(members_page(&slug));
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
    Form(fields): Form<Fields>,
) -> Response {
    let form = fields.on(members_page(&slug));
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
    Form(fields): Form<Fields>,
) -> Response {
    let form = fields.on(members_page(&slug));
    let back = form.back.clone();
    submit(&state, &parts, form, async |caller| {
        let member = parsed!(id_in_path(&id));
        // Who leaves no longer sees the organization: back to their list.
        let done = if caller.identity_id == id {
            "/orgs"
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
    Form(fields): Form<Fields>,
) -> Response {
    let form = fields.on(services_page(&slug));
    submit(&state, &parts, form, async |caller| {
        done_at(
            state.control.subscribe(&caller, &slug, fields.plan.trim()).await,
            &overview(&slug),
        )
    })
    .await
}

async fn change_plan(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    parts: Parts,
    Form(fields): Form<Fields>,
) -> Response {
    let form = fields.on(overview(&slug));
    let back = form.back.clone();
    submit(&state, &parts, form, async |caller| {
        let subscription = parsed!(id_in_path(&id));
        let plan = fields.plan.trim();
        let changed = state
            .control
            .change_plan(&caller, &slug, subscription, plan, fields.version())
            .await;
        done_at(changed, &back)
    })
    .await
}

async fn cancel(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    parts: Parts,
    Form(fields): Form<Fields>,
) -> Response {
    let form = fields.on(overview(&slug));
    let back = form.back.clone();
    submit(&state, &parts, form, async |caller| {
        let subscription = parsed!(id_in_path(&id));
        let cancelled = state
            .control
            .cancel_subscription(&caller, &slug, subscription, fields.version())
            .await;
        done_at(cancelled, &back)
    })
    .await
}

async fn register_device(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    parts: Parts,
    Form(fields): Form<Fields>,
) -> Response {
    let form = fields
        .on(overview(&slug))
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
    Form(fields): Form<Fields>,
) -> Response {
    let form = fields.on(overview(&slug));
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
    Form(fields): Form<Fields>,
) -> Response {
    let form = PostedForm::new(&fields.csrf_token, format!("/invitations/{token}"));
    let token = if token == PENDING_INVITATION {
        app::cookie_value(&parts.headers, INVITATION_TOKEN_COOKIE).unwrap_or_default()
    } else {
        token
    };
    submit(&state, &parts, form, async |caller| {
        let joined = state.control.accept_invitation(&caller, &token).await?;
        Ok(joined.map(|slug| format!("/orgs/{slug}?joined=1")))
    })
    .await
}
