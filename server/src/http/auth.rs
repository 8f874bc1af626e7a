//! Identity endpoints that are not pages: the consent decision, Hydra's
//! logout challenge, and revoking Kratos sessions.

use app::{
    csrf,
    routes::{self, pattern},
};
use axum::{
    extract::{Extension, Query, State},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
    Form, Router,
};
use control::domain::Refusal;
use http::{header, HeaderMap, HeaderValue};
use serde::Deserialize;

use super::{answers::back_with, AppState};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(pattern::CONSENT_DECISION, post(consent_decision))
        .route(pattern::OAUTH2_LOGOUT, get(oauth2_logout))
        .route(pattern::REVOKE_SESSIONS, post(revoke_sessions))
}

#[derive(Deserialize)]
struct ConsentDecision {
    consent_challenge: String,
    csrf_token: String,
    decision: String,
    #[serde(default)]
    remember: Option<String>,
}

/// The consent form's answer. The CSRF token must be the session's; the
/// scopes come from Hydra, not from the form.
async fn consent_decision(
    State(state): State<AppState>,
    Extension(form_token): Extension<csrf::SessionFormToken>,
    Form(form): Form<ConsentDecision>,
) -> Response {
    if !form_token.matches(&form.csrf_token) {
        // Asked again rather than decided: Hydra still holds the challenge
        // (or the page says it is gone).
        tracing::warn!("consent decision with a missing or wrong CSRF token");
        let challenge = [("consent_challenge", form.consent_challenge)];
        return back_with(routes::CONSENT, &Refusal::FormExpired, &challenge).into_response();
    }
    let allow = form.decision == "allow";
    let remember = form.remember.as_deref() == Some("true");
    match state
        .control
        .decide_consent(&form.consent_challenge, allow, remember)
        .await
    {
        Ok(Some(url)) => Redirect::to(&url).into_response(),
        Ok(None) => Redirect::to(routes::AUTH_ERROR).into_response(),
        Err(error) => {
            tracing::error!(%error, "cannot record a consent decision");
            Redirect::to(routes::AUTH_ERROR).into_response()
        }
    }
}

#[derive(Deserialize)]
struct LogoutChallenge {
    logout_challenge: String,
}

/// Marks a browser that has just posted the portal's own sign-out, for the
/// logout request Hydra sends back to this portal a few redirects later.
/// `__Host-` on https, so no sibling subdomain can plant it.
const SIGNING_OUT_COOKIE: &str = "bibind_signing_out";
const SECURE_SIGNING_OUT_COOKIE: &str = "__Host-bibind_signing_out";

fn signing_out_cookie_name(tls: bool) -> &'static str {
    if tls {
        SECURE_SIGNING_OUT_COOKIE
    } else {
        SIGNING_OUT_COOKIE
    }
}

/// The mark, valid for two minutes (the redirects through Kratos and Hydra).
pub(super) fn signing_out_cookie(tls: bool) -> HeaderValue {
    let name = signing_out_cookie_name(tls);
    let cookie = if tls {
        format!("{name}=1; Path=/; Max-Age=120; HttpOnly; Secure; SameSite=Lax")
    } else {
        format!("{name}=1; Path=/auth/oauth2-logout; Max-Age=120; HttpOnly; SameSite=Lax")
    };
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static("bibind_signing_out=1"))
}

fn forget_signing_out_cookie(tls: bool) -> HeaderValue {
    let name = signing_out_cookie_name(tls);
    let cookie = if tls {
        format!("{name}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax")
    } else {
        format!("{name}=; Path=/auth/oauth2-logout; Max-Age=0; HttpOnly; SameSite=Lax")
    };
    HeaderValue::from_str(&cookie)
        .unwrap_or_else(|_| HeaderValue::from_static("bibind_signing_out=; Max-Age=0"))
}

/// OpenID logout started at Hydra. After the portal's own sign-out it is
/// accepted at once; asked by an application (or a page that sent the
/// browser to Hydra's logout), the person is asked first, on the sign-out
/// page, which posts the challenge back with the session's form token.
async fn oauth2_logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<LogoutChallenge>,
) -> Response {
    let tls = state.shell.tls;
    if app::cookie_value(&headers, signing_out_cookie_name(tls)).is_none() {
        let query =
            serde_urlencoded::to_string([("logout_challenge", &query.logout_challenge)]).unwrap_or_default();
        return Redirect::to(&format!("{}?{query}", routes::SIGN_OUT)).into_response();
    }
    let mut response = accept_logout(&state, &headers, &query.logout_challenge).await;
    response
        .headers_mut()
        .append(header::SET_COOKIE, forget_signing_out_cookie(tls));
    response
}

/// Accepts Hydra's logout challenge, then sends the browser through Kratos'
/// logout, so the portal session ends too, and on to where Hydra wants it.
pub(super) async fn accept_logout(state: &AppState, headers: &HeaderMap, challenge: &str) -> Response {
    match state.control.accept_logout(challenge).await {
        Ok(Some(hydra_next)) => {
            let cookie = headers.get(header::COOKIE).and_then(|v| v.to_str().ok());
            let kratos_logout = match state.control.kratos() {
                Ok(kratos) => kratos.logout_url(cookie, Some(&hydra_next)).await,
                Err(error) => Err(error),
            };
            match kratos_logout {
                Ok(Some(url)) => Redirect::to(&url).into_response(),
                Ok(None) => Redirect::to(&hydra_next).into_response(),
                Err(error) => {
                    tracing::error!(%error, "cannot end the Kratos session at an OpenID logout");
                    Redirect::to(&hydra_next).into_response()
                }
            }
        }
        Ok(None) => Redirect::to("/").into_response(),
        Err(error) => {
            tracing::error!(%error, "cannot accept a logout challenge");
            Redirect::to(routes::AUTH_ERROR).into_response()
        }
    }
}

#[derive(Deserialize)]
struct RevokeSessions {
    csrf_token: String,
    /// One session, or every other one when absent.
    #[serde(default)]
    session_id: Option<String>,
}

/// Ends one of the person's other sessions, or all of them, and comes back
/// to the list.
async fn revoke_sessions(
    State(state): State<AppState>,
    Extension(form_token): Extension<csrf::SessionFormToken>,
    headers: HeaderMap,
    Form(form): Form<RevokeSessions>,
) -> Response {
    if !form_token.matches(&form.csrf_token) {
        tracing::warn!("session revocation with a missing or wrong CSRF token");
        return back_with(routes::SESSIONS, &Refusal::FormExpired, &[]).into_response();
    }
    let cookie = headers.get(header::COOKIE).and_then(|v| v.to_str().ok());
    let result = state
        .control
        .revoke_other_sessions(cookie, form.session_id.as_deref())
        .await;
    match result {
        Ok(ended) => {
            state.sessions.forget(ended.iter().map(String::as_str));
            Redirect::to(routes::SESSIONS).into_response()
        }
        Err(error) => {
            tracing::error!(%error, "cannot revoke sessions");
            Redirect::to(routes::AUTH_ERROR).into_response()
        }
    }
}
