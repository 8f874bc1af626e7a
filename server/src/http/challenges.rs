//! Hydra's login and consent challenges answered before any page renders,
//! when they need no page: the portal's own sign-in, and every return of a
//! person already signed in, only redirects, and a plain redirect costs a
//! fraction of rendering a page that redirects. What needs a page (a
//! consent to ask, a refusal to explain, a challenge gone) goes on to it,
//! which answers as it would have anyway.

use app::routes::pattern;
use axum::{
    extract::{Request, State},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use control::identity::{consent::ConsentStep, login::sole_query_value};
use http::Method;

use super::AppState;

/// The challenge a request to the login or consent page brings, with
/// nothing else in its query (a `flow` means the sign-in form is asked).
enum Challenge {
    Login(String),
    Consent(String),
}

fn challenge_of(request: &Request) -> Option<Challenge> {
    if request.method() != Method::GET {
        return None;
    }
    let (name, challenge): (&str, fn(String) -> Challenge) = match request.uri().path() {
        pattern::LOGIN => ("login_challenge", Challenge::Login),
        pattern::CONSENT => ("consent_challenge", Challenge::Consent),
        _ => return None,
    };
    sole_query_value(request.uri().query()?, name).map(challenge)
}

pub(super) async fn answer(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(challenge) = challenge_of(&request) else {
        return next.run(request).await;
    };
    let onward = match &challenge {
        Challenge::Login(challenge) => {
            let cookie = app::cookie_header(request.headers());
            state
                .control
                .login_without_page(challenge, cookie.as_deref())
                .await
        }
        Challenge::Consent(challenge) => state
            .control
            .consent_step(challenge)
            .await
            .map(|step| match step {
                ConsentStep::Redirect(onward) => Some(onward),
                ConsentStep::Gone | ConsentStep::Ask(_) => None,
            }),
    };
    match onward {
        Ok(Some(onward)) => Redirect::to(&onward).into_response(),
        Ok(None) => next.run(request).await,
        Err(error) => {
            // The page asks again, and says so if it cannot either.
            tracing::warn!(%error, "cannot answer a challenge before its page");
            next.run(request).await
        }
    }
}
