//! Identity endpoints that are not pages: the consent decision, Hydra's
//! logout challenge, and revoking Kratos sessions.

use app::{
    api::{CONSENT_CSRF_COOKIE, SESSIONS_CSRF_COOKIE},
    csrf,
};
use axum::{
    extract::{Query, State},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
    Form, Router,
};
use control::domain::Refusal;
use http::{header, HeaderMap};
use serde::Deserialize;

use super::{answers::back_with, AppState};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/auth/consent/decision", post(consent_decision))
        .route("/auth/oauth2-logout", get(oauth2_logout))
        .route("/account/sessions/revoke", post(revoke_sessions))
}

#[derive(Deserialize)]
struct ConsentDecision {
    consent_challenge: String,
    csrf_token: String,
    decision: String,
    #[serde(default)]
    remember: Option<String>,
}

/// The consent form's answer. The CSRF token must match the cookie set with
/// the form; the scopes come from Hydra, not from the form.
async fn consent_decision(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<ConsentDecision>,
) -> Response {
    if !csrf::verify(&headers, CONSENT_CSRF_COOKIE, &form.csrf_token) {
        // Asked again rather than decided: Hydra still holds the challenge
        // (or the page says it is gone).
        tracing::warn!("consent decision with a missing or wrong CSRF token");
        let challenge = [("consent_challenge", form.consent_challenge)];
        return back_with("/auth/consent", &Refusal::FormExpired, &challenge).into_response();
    }
    let allow = form.decision == "allow";
    let remember = form.remember.as_deref() == Some("true");
    match state
        .control
        .decide_consent(&form.consent_challenge, allow, remember)
        .await
    {
        Ok(Some(url)) => Redirect::to(&url).into_response(),
        Ok(None) => Redirect::to("/auth/error").into_response(),
        Err(error) => {
            tracing::error!(%error, "cannot record a consent decision");
            Redirect::to("/auth/error").into_response()
        }
    }
}

#[derive(Deserialize)]
struct LogoutChallenge {
    logout_challenge: String,
}

/// OpenID logout started at Hydra: accepted without a question (signing out
/// is never harmful), then the browser goes through Kratos' logout, so the
/// portal session ends too, and on to where Hydra wants it.
async fn oauth2_logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<LogoutChallenge>,
) -> Response {
    match state.control.accept_logout(&query.logout_challenge).await {
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
            Redirect::to("/auth/error").into_response()
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
    headers: HeaderMap,
    Form(form): Form<RevokeSessions>,
) -> Response {
    if !csrf::verify(&headers, SESSIONS_CSRF_COOKIE, &form.csrf_token) {
        tracing::warn!("session revocation with a missing or wrong CSRF token");
        return back_with("/account/sessions", &Refusal::FormExpired, &[]).into_response();
    }
    let cookie = headers.get(header::COOKIE).and_then(|v| v.to_str().ok());
    let result = state
        .control
        .revoke_other_sessions(cookie, form.session_id.as_deref())
        .await;
    match result {
        Ok(ended) => {
            state.sessions.forget(ended.iter().map(String::as_str));
            Redirect::to("/account/sessions").into_response()
        }
        Err(error) => {
            tracing::error!(%error, "cannot revoke sessions");
            Redirect::to("/auth/error").into_response()
        }
    }
}
