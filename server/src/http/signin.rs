//! The portal's own sign-in as an OpenID client of Hydra (authorization
//! code + PKCE), its sign-out through Kratos and Hydra, and the back-channel
//! logout Hydra calls when a person signs out elsewhere.

use app::csrf::SessionFormToken;
use axum::{
    extract::{Extension, Query, State},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
    Form, Router,
};
use control::{
    domain::{Arrival, Home, Refusal, SignedInUser},
    identity::{portal_sessions::PortalLogins, AuthorizationResponse},
    Error,
};
use http::{header, HeaderMap, StatusCode};
use serde::Deserialize;
use tower_sessions::Session;

use app::routes::{self, pattern, AuthFailure as Failure};

use super::{
    answers::back_with,
    auth::{accept_logout, signing_out_cookie},
    session::{self, PendingReturn, PortalLogin, PENDING_KEY},
    AppState,
};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(pattern::SIGN_IN, get(sign_in))
        .route(pattern::CALLBACK, get(callback))
        // GET renders the question (an app page); the answer is this post.
        .route(pattern::SIGN_OUT, post(sign_out))
        .route(pattern::BACKCHANNEL_LOGOUT, post(backchannel_logout))
}

/// Why a sign-in could not finish: the error page explains it in the
/// visitor's language.
fn error_page(failure: Failure) -> Response {
    Redirect::to(&routes::auth_error(failure)).into_response()
}

#[derive(Deserialize)]
struct SignInQuery {
    #[serde(default)]
    return_to: Option<String>,
}

async fn sign_in(
    State(state): State<AppState>,
    Extension(form_token): Extension<SessionFormToken>,
    session: Session,
    signed_in: Option<Extension<SignedInUser>>,
    Query(query): Query<SignInQuery>,
) -> Response {
    let return_to = session::safe_return_path(query.return_to.as_deref());
    if let Some(Extension(user)) = signed_in {
        let to = match return_to {
            Some(path) => path,
            None => home_of(&state, &user).await.home,
        };
        return Redirect::to(&to).into_response();
    }
    let Some(relying_party) = &state.relying_party else {
        tracing::error!("sign-in asked but [oidc] is not configured");
        return error_page(Failure::Unavailable);
    };
    let start = match relying_party.start().await {
        Ok(start) => start,
        Err(error) => {
            tracing::error!(%error, "cannot start an OpenID sign-in");
            return error_page(Failure::Unavailable);
        }
    };
    let pending = PendingReturn {
        sign_in: start.pending,
        return_to,
    };
    // The login pages' forms need a token: minted now, it is written with
    // the pending sign-in (`session::resolve_user`), and those pages leave
    // the session as it is, so the callback still finds it in memory.
    form_token.issue();
    if let Err(error) = session.insert(PENDING_KEY, &pending).await {
        tracing::error!(%error, "cannot keep the sign-in state");
        return error_page(Failure::Unavailable);
    }
    Redirect::to(&start.url).into_response()
}

async fn callback(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Query(query): Query<AuthorizationResponse>,
) -> Response {
    // The pending sign-in is used once, whatever comes of it.
    let pending: Option<PendingReturn> = session.remove(PENDING_KEY).await.ok().flatten();
    if let Some(error) = query.error.as_deref() {
        tracing::info!(error, "the OpenID provider refused the sign-in");
        // The person said no; anything else (a replayed or expired request)
        // is a sign-in to start again.
        return error_page(if error == "access_denied" {
            Failure::Denied
        } else {
            Failure::Expired
        });
    }
    let (Some(pending), Some(code), Some(returned_state)) = (pending, query.code, query.state) else {
        tracing::warn!("sign-in callback without a pending sign-in, a code or a state");
        return error_page(Failure::Expired);
    };
    let Some(relying_party) = &state.relying_party else {
        return error_page(Failure::Unavailable);
    };
    let verified = match relying_party
        .finish(&pending.sign_in, &returned_state, &code)
        .await
    {
        Ok(verified) => verified,
        Err(Error::SignInRejected(reason)) => {
            tracing::warn!(%reason, "sign-in refused");
            return error_page(Failure::Expired);
        }
        Err(error) => {
            tracing::error!(%error, "cannot finish an OpenID sign-in");
            return error_page(Failure::Unavailable);
        }
    };
    let email = verified.email.unwrap_or_default();
    let now = state.control.now();
    let login = PortalLogin {
        user: SignedInUser {
            identity_id: verified.subject,
            display_name: verified
                .name
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| email.clone()),
            email,
            email_verified: verified.email_verified,
            assurance_level: verified.assurance_level.unwrap_or_else(|| "aal1".into()),
        },
        hydra_sid: verified.session_id,
        signed_in_at: now,
        checked_at: now,
        platform_admin: false,
    };
    let cookie = headers.get(header::COOKIE).and_then(|v| v.to_str().ok());
    // Our database's work runs while Kratos answers, so the sign-in waits
    // for the slower only: where the person lands and the pre-login row
    // deleted, then the session written under its new id while that
    // organization is brought into memory for the page that follows. Only
    // the link to the Kratos session waits for Kratos.
    let user = login.user.clone();
    let start = async {
        let (arrival, cycled) = tokio::join!(home_of(&state, &user), session::cycle(&session));
        let login = PortalLogin {
            platform_admin: arrival.platform_admin,
            ..login
        };
        let begin = async {
            match cycled {
                Ok(cycled) => session::begin(cycled, &login).await,
                Err(error) => Err(error),
            }
        };
        let preload = async {
            if let Some(slug) = &arrival.organization {
                if let Err(error) = state.control.preload_organization_page(slug).await {
                    tracing::warn!(%error, "cannot preload the organization a person lands on");
                }
            }
        };
        let (begun, ()) = tokio::join!(begin, preload);
        (arrival.home, login, begun)
    };
    let ((home, login, begun), kratos_session) = tokio::join!(
        start,
        session::kratos_session_of(&state, &user.identity_id, cookie),
    );
    let linked = match begun {
        Ok(id) => session::link(&state, &id, &login, kratos_session).await,
        Err(error) => Err(error),
    };
    if let Err(error) = linked {
        tracing::error!(%error, "cannot start a portal session");
        return error_page(Failure::Unavailable);
    }
    Redirect::to(pending.return_to.as_deref().unwrap_or(&home)).into_response()
}

/// Where a person lands when nothing asked to go elsewhere, and whether
/// they are a platform admin.
struct Landing {
    home: String,
    /// The organization `home` is, when it is one.
    organization: Option<String>,
    platform_admin: bool,
}

/// Where a person lands (the organization they have, else their list).
/// Unknown for now (the database did not answer): their list, no admin link.
async fn home_of(state: &AppState, user: &SignedInUser) -> Landing {
    match state.control.arrival(user).await {
        Ok(Arrival { home, platform_admin }) => match home {
            Home::Organization(slug) => Landing {
                home: routes::organization(&slug),
                organization: Some(slug),
                platform_admin,
            },
            Home::Organizations => Landing {
                home: routes::ORGANIZATIONS.to_owned(),
                organization: None,
                platform_admin,
            },
        },
        Err(error) => {
            tracing::warn!(%error, "cannot tell where a person lands after signing in");
            Landing {
                home: routes::ORGANIZATIONS.to_owned(),
                organization: None,
                platform_admin: false,
            }
        }
    }
}

#[derive(Deserialize)]
struct SignOutForm {
    #[serde(default)]
    csrf_token: String,
    /// Hydra's, when an application asked for the sign-out.
    #[serde(default)]
    logout_challenge: Option<String>,
}

/// The sign-out form's post (the header's button, or the question an
/// application's logout request led to). With the session's token only: a
/// post without it comes back to the question, saying the form had expired.
///
/// Ends the portal session, then Kratos' (through the logout URL Kratos
/// issues for this browser), then Hydra's, whose logout provider (this
/// portal) tells the other applications through front- and back-channel
/// logout. Each step passes the browser on to the next.
async fn sign_out(
    State(state): State<AppState>,
    Extension(form_token): Extension<SessionFormToken>,
    session: Session,
    headers: HeaderMap,
    Form(form): Form<SignOutForm>,
) -> Response {
    let logout_challenge = form.logout_challenge.filter(|challenge| !challenge.is_empty());
    if !form_token.matches(&form.csrf_token) {
        tracing::warn!("a sign-out with a missing or wrong CSRF token");
        let echo: Vec<_> = logout_challenge
            .into_iter()
            .map(|challenge| ("logout_challenge", challenge))
            .collect();
        return back_with(routes::SIGN_OUT, &Refusal::FormExpired, &echo).into_response();
    }
    session::end(&state, &session).await;
    if let Some(challenge) = logout_challenge {
        // The person confirmed the application's request.
        return accept_logout(&state, &headers, &challenge).await;
    }
    let hydra_logout = match &state.relying_party {
        Some(relying_party) => match relying_party.logout_url(None, "signed-out").await {
            Ok(url) => url,
            Err(error) => {
                tracing::warn!(%error, "cannot find the provider's logout endpoint");
                None
            }
        },
        None => None,
    };
    let cookie = headers.get(header::COOKIE).and_then(|v| v.to_str().ok());
    let kratos_logout = match state.control.kratos() {
        Ok(kratos) => kratos.logout_url(cookie, hydra_logout.as_deref()).await,
        Err(error) => Err(error),
    };
    let next = match kratos_logout {
        Ok(Some(url)) => url,
        Ok(None) => hydra_logout.unwrap_or_else(|| "/".to_owned()),
        Err(error) => {
            tracing::error!(%error, "cannot end the Kratos session");
            hydra_logout.unwrap_or_else(|| "/".to_owned())
        }
    };
    // Hydra's logout request will come back to this portal's logout
    // provider: it accepts at once, this browser having just said so.
    (
        [(header::SET_COOKIE, signing_out_cookie(state.shell.tls))],
        Redirect::to(&next),
    )
        .into_response()
}

#[derive(Deserialize)]
struct LogoutToken {
    logout_token: String,
}

/// OpenID Connect Back-Channel Logout 1.0: Hydra posts a signed logout
/// token naming the login session that ended.
async fn backchannel_logout(State(state): State<AppState>, Form(form): Form<LogoutToken>) -> Response {
    let no_store = [(header::CACHE_CONTROL, "no-store")];
    let Some(relying_party) = &state.relying_party else {
        return (StatusCode::NOT_IMPLEMENTED, no_store).into_response();
    };
    let notice = match relying_party.verify_logout_token(&form.logout_token).await {
        Ok(notice) => notice,
        Err(error) => {
            tracing::warn!(%error, "back-channel logout refused");
            return (
                StatusCode::BAD_REQUEST,
                no_store,
                axum::Json(serde_json::json!({"error": "invalid_request"})),
            )
                .into_response();
        }
    };
    // A logout token is used once, whichever replica it reaches.
    match state.control.first_use_of_logout_token(&notice).await {
        Ok(true) => {}
        Ok(false) => {
            tracing::warn!("back-channel logout refused: the logout token was already used");
            return (
                StatusCode::BAD_REQUEST,
                no_store,
                axum::Json(serde_json::json!({"error": "invalid_request"})),
            )
                .into_response();
        }
        Err(error) => {
            tracing::error!(%error, "cannot record a back-channel logout token");
            return (StatusCode::INTERNAL_SERVER_ERROR, no_store).into_response();
        }
    }
    let which = match (&notice.session_id, &notice.subject) {
        (Some(sid), _) => PortalLogins::OfHydraSession(sid),
        (None, Some(subject)) => PortalLogins::OfSubject(subject),
        (None, None) => return (StatusCode::BAD_REQUEST, no_store).into_response(),
    };
    match state.control.end_portal_logins(&which).await {
        Ok(ended) => {
            state.sessions.forget(ended.iter().map(String::as_str));
            tracing::info!(ended = ended.len(), "back-channel logout");
            (StatusCode::OK, no_store).into_response()
        }
        Err(error) => {
            tracing::error!(%error, "cannot end portal sessions at a back-channel logout");
            (StatusCode::INTERNAL_SERVER_ERROR, no_store).into_response()
        }
    }
}
