//! A small OpenID Connect relying party standing in for an Odoo instance:
//! `/` shows who is signed in, `/auth/signin` signs in at the provider,
//! `/auth/logout` signs out there, and `/auth/backchannel-logout` ends the
//! sessions a logout token names. State lives in memory: it is a simulator.

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use axum::{
    extract::{Query, State},
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
    Form, Router,
};
use control::identity::{
    AuthorizationResponse, ClientRegistration, Hydra, PendingSignIn, RelyingParty, RelyingPartySettings,
    VerifiedSignIn,
};
use http::{header, HeaderMap, StatusCode};
use serde::Deserialize;

#[derive(clap::Args)]
pub struct Options {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:5555")]
    listen: SocketAddr,
    /// The URL browsers use to reach this relying party.
    #[arg(long)]
    public_url: String,
    /// The OpenID provider's issuer URL.
    #[arg(long)]
    issuer: String,
    #[arg(long)]
    client_id: String,
    #[arg(long, env = "SIM_RP_CLIENT_SECRET")]
    client_secret: String,
    /// Hydra's admin URL: register this client there at start-up.
    #[arg(long)]
    register_with: Option<String>,
    /// The name shown on the page (and to the provider).
    #[arg(long, default_value = "Odoo (simulated)")]
    name: String,
}

/// Cookie names distinct from the portal's: both live on one host.
const SESSION_COOKIE: &str = "sim_rp_session";
const PENDING_COOKIE: &str = "sim_rp_pending";

#[derive(Clone)]
struct AppState {
    relying_party: RelyingParty,
    name: Arc<str>,
    sessions: Arc<Mutex<HashMap<String, VerifiedSignIn>>>,
    pending: Arc<Mutex<HashMap<String, PendingSignIn>>>,
}

pub async fn run(options: Options) -> Result<(), String> {
    let base = options.public_url.trim_end_matches('/').to_owned();
    if let Some(admin) = &options.register_with {
        let hydra = Hydra::new(admin).map_err(|e| e.to_string())?;
        let client =
            ClientRegistration::first_party(&options.client_id, &options.client_secret, &options.name, &base);
        hydra.register_client(&client).await.map_err(|e| e.to_string())?;
    }
    let relying_party = RelyingParty::new(RelyingPartySettings {
        issuer: options.issuer,
        client_id: options.client_id,
        client_secret: options.client_secret,
        redirect_uri: format!("{base}/auth/callback"),
        post_logout_redirect_uri: Some(format!("{base}/")),
        scopes: vec!["openid".into(), "email".into(), "profile".into()],
    })
    .map_err(|e| e.to_string())?;
    let state = AppState {
        relying_party,
        name: options.name.into(),
        sessions: Arc::default(),
        pending: Arc::default(),
    };
    let router = Router::new()
        .route("/", get(home))
        .route("/auth/signin", get(sign_in))
        .route("/auth/callback", get(callback))
        .route("/auth/logout", get(sign_out))
        .route("/auth/backchannel-logout", post(backchannel_logout))
        .with_state(state);
    crate::serve_forever(router, options.listen).await
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            pair.trim()
                .strip_prefix(name)?
                .strip_prefix('=')
                .map(str::to_owned)
        })
}

fn set_cookie(name: &str, value: &str) -> (header::HeaderName, String) {
    (
        header::SET_COOKIE,
        format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax"),
    )
}

async fn home(State(state): State<AppState>, headers: HeaderMap) -> Html<String> {
    let signed_in = cookie(&headers, SESSION_COOKIE).and_then(|id| {
        state
            .sessions
            .lock()
            .ok()
            .and_then(|sessions| sessions.get(&id).cloned())
    });
    let body = match signed_in {
        Some(user) => {
            let who = crate::escape_html(user.email.as_deref().unwrap_or(&user.subject));
            format!(
                r#"<p>Signed in as <strong data-rp-user="{who}">{who}</strong></p><p><a href="/auth/logout">Sign out</a></p>"#
            )
        }
        None => {
            r#"<p data-rp-signed-out>Not signed in.</p><p><a href="/auth/signin">Sign in</a></p>"#.to_owned()
        }
    };
    Html(format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{name}</title></head><body><main><h1>{name}</h1>{body}</main></body></html>"#,
        name = crate::escape_html(&state.name)
    ))
}

async fn sign_in(State(state): State<AppState>) -> Response {
    match state.relying_party.start().await {
        Ok(start) => {
            let key = uuid::Uuid::new_v4().simple().to_string();
            if let Ok(mut pending) = state.pending.lock() {
                pending.insert(key.clone(), start.pending);
            }
            ([set_cookie(PENDING_COOKIE, &key)], Redirect::to(&start.url)).into_response()
        }
        Err(error) => (
            StatusCode::BAD_GATEWAY,
            format!("cannot start a sign-in: {error}"),
        )
            .into_response(),
    }
}

async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<AuthorizationResponse>,
) -> Response {
    let pending = cookie(&headers, PENDING_COOKIE)
        .and_then(|key| state.pending.lock().ok().and_then(|mut p| p.remove(&key)));
    if let Some(error) = query.error {
        return (StatusCode::FORBIDDEN, format!("the provider refused: {error}")).into_response();
    }
    let (Some(pending), Some(code), Some(returned_state)) = (pending, query.code, query.state) else {
        return (StatusCode::BAD_REQUEST, "no sign-in pending in this browser").into_response();
    };
    match state.relying_party.finish(&pending, &returned_state, &code).await {
        Ok(verified) => {
            let id = uuid::Uuid::new_v4().simple().to_string();
            if let Ok(mut sessions) = state.sessions.lock() {
                sessions.insert(id.clone(), verified);
            }
            ([set_cookie(SESSION_COOKIE, &id)], Redirect::to("/")).into_response()
        }
        Err(error) => (StatusCode::BAD_REQUEST, format!("sign-in refused: {error}")).into_response(),
    }
}

async fn sign_out(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let ended = cookie(&headers, SESSION_COOKIE)
        .and_then(|id| state.sessions.lock().ok().and_then(|mut s| s.remove(&id)));
    let Some(ended) = ended else {
        return Redirect::to("/").into_response();
    };
    match state
        .relying_party
        .logout_url(Some(&ended.id_token), "signed-out")
        .await
    {
        Ok(Some(url)) => Redirect::to(&url).into_response(),
        _ => Redirect::to("/").into_response(),
    }
}

#[derive(Deserialize)]
struct LogoutToken {
    logout_token: String,
}

async fn backchannel_logout(State(state): State<AppState>, Form(form): Form<LogoutToken>) -> Response {
    let no_store = [(header::CACHE_CONTROL, "no-store")];
    let notice = match state.relying_party.verify_logout_token(&form.logout_token).await {
        Ok(notice) => notice,
        Err(error) => {
            tracing::warn!(%error, "back-channel logout refused");
            return (
                StatusCode::BAD_REQUEST,
                no_store,
                r#"{"error":"invalid_request"}"#,
            )
                .into_response();
        }
    };
    if let Ok(mut sessions) = state.sessions.lock() {
        sessions.retain(|_, session| match (&notice.session_id, &notice.subject) {
            (Some(sid), _) => session.session_id.as_ref() != Some(sid),
            (None, Some(subject)) => &session.subject != subject,
            (None, None) => true,
        });
    }
    (StatusCode::OK, no_store).into_response()
}
