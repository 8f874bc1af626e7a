//! The portal's own session: a tower-sessions cookie (HttpOnly, SameSite=Lax,
//! Secure on TLS) backed by PostgreSQL (read through memory, see
//! [`super::session_store`]), created when the OpenID sign-in
//! completes. Every portal request learns who is signed in from it, as a
//! [`SignedInUser`] request extension that pages and server functions read.
//!
//! The session ends after `idle_timeout_minutes` without a request, or
//! `absolute_timeout_hours` after signing in, or when its Kratos session
//! ends (checked at most once a minute, so a logout or a revocation
//! elsewhere reaches this browser within a minute).

use axum::{
    extract::{Request, State},
    middleware::Next,
    response::Response,
};
use control::{
    domain::SignedInUser,
    identity::{portal_sessions::PortalLoginOrigin, SessionCheck},
};
use http::header;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use tower_sessions::{cookie::SameSite, Expiry, Session, SessionManagerLayer};

use super::{session_store::CachedSessionStore, AppState};
use crate::config::SessionConfig;

/// The session cookie's name; distinct from Kratos' and Hydra's cookies.
pub(crate) const COOKIE_NAME: &str = "bibind_session";
/// Its name on https: a `__Host-` cookie (Secure, `Path=/`, no `Domain`),
/// which no sibling subdomain can set or overwrite for the portal.
pub(crate) const SECURE_COOKIE_NAME: &str = "__Host-bibind_session";
/// Key of the session's form (CSRF) token, see [`app::csrf`].
const FORM_TOKEN_KEY: &str = "form_token";
/// Key of the signed-in person in the session.
const LOGIN_KEY: &str = "login";
/// How often a session is checked against Kratos and its idle expiry pushed back.
const RECHECK_AFTER: Duration = Duration::minutes(1);

/// What the portal remembers of a sign-in. No token is kept.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PortalLogin {
    pub user: SignedInUser,
    pub hydra_sid: Option<String>,
    #[serde(with = "time::serde::timestamp")]
    pub signed_in_at: OffsetDateTime,
    #[serde(with = "time::serde::timestamp")]
    pub checked_at: OffsetDateTime,
    /// Whether the header offers the administration area; learnt when
    /// signing in and at each recheck. The area's pages check for themselves.
    #[serde(default)]
    pub platform_admin: bool,
}

pub(crate) fn layer(
    store: CachedSessionStore,
    config: &SessionConfig,
    tls: bool,
) -> SessionManagerLayer<CachedSessionStore> {
    SessionManagerLayer::new(store)
        .with_name(if tls { SECURE_COOKIE_NAME } else { COOKIE_NAME })
        .with_http_only(true)
        .with_secure(tls)
        .with_same_site(SameSite::Lax)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(Duration::minutes(i64::from(
            config.idle_timeout_minutes,
        ))))
}

/// This browser's Kratos session, if it is `identity_id`'s: where the
/// sign-in came from, so that a logout or revocation there ends it here.
pub(crate) async fn kratos_session_of(
    state: &AppState,
    identity_id: &str,
    cookie: Option<&str>,
) -> Option<String> {
    let kratos = state.control.kratos().ok()?;
    match kratos.session(cookie).await {
        Ok(SessionCheck::Active(kratos)) if kratos.user.identity_id == identity_id => Some(kratos.id),
        _ => None,
    }
}

/// A session whose id was just replaced (no fixation: whoever knew the
/// pre-login id learns nothing), ready for [`begin`].
pub(crate) struct Cycled<'a>(&'a Session);

/// Gives `session` a new id and deletes the old row: a round trip of its
/// own, which the sign-in runs while it waits for Kratos.
pub(crate) async fn cycle(session: &Session) -> Result<Cycled<'_>, String> {
    session.cycle_id().await.map_err(|e| e.to_string())?;
    Ok(Cycled(session))
}

/// Starts the signed-in session under its new id, for `login`; returns
/// that id, for [`link`].
pub(crate) async fn begin(Cycled(session): Cycled<'_>, login: &PortalLogin) -> Result<String, String> {
    // A token handed out before signing in (to whoever held this session
    // then) is not the signed-in person's. Minted now, the first page
    // after signing in need not write the session again to keep one.
    session
        .insert(FORM_TOKEN_KEY, app::csrf::new_token())
        .await
        .map_err(|e| e.to_string())?;
    session
        .insert(LOGIN_KEY, login)
        .await
        .map_err(|e| e.to_string())?;
    session.save().await.map_err(|e| e.to_string())?;
    Ok(session.id().ok_or("the new session has no id")?.to_string())
}

/// Links the session `id` [`begin`] started to where its sign-in came
/// from (the Hydra login, `kratos_session` from [`kratos_session_of`]),
/// for logouts made there.
pub(crate) async fn link(
    state: &AppState,
    id: &str,
    login: &PortalLogin,
    kratos_session: Option<String>,
) -> Result<(), String> {
    let origin = PortalLoginOrigin {
        subject: &login.user.identity_id,
        hydra_sid: login.hydra_sid.as_deref(),
        kratos_session_id: kratos_session.as_deref(),
    };
    state
        .control
        .record_portal_login(id, &origin)
        .await
        .map_err(|e| e.to_string())
}

/// Ends the session here (the cookie is removed on the response).
pub(crate) async fn end(state: &AppState, session: &Session) {
    if let Some(id) = session.id() {
        if let Err(error) = state.control.forget_portal_login(&id.to_string()).await {
            tracing::warn!(%error, "cannot forget a portal login");
        }
    }
    if let Err(error) = session.flush().await {
        tracing::warn!(%error, "cannot end a portal session");
    }
}

/// Puts the signed-in person, if any, and the session's form token into the
/// request's extensions; keeps a form token minted while rendering.
pub(crate) async fn resolve_user(
    State(state): State<AppState>,
    session: Session,
    mut request: Request,
    next: Next,
) -> Response {
    let cookie = request
        .headers()
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    // Account pages are where the person's name, e-mail or factors change,
    // and admin pages depend on the second factor: there the session is
    // checked against Kratos on every request.
    let path = request.uri().path();
    let recheck_now = [
        app::routes::SETTINGS,
        "/account",
        app::routes::ADMIN,
        "/api/admin",
    ]
    .iter()
    .any(|prefix| path.starts_with(prefix));
    if let Some(login) = current_login(&state, &session, cookie.as_deref(), recheck_now).await {
        if login.platform_admin {
            request.extensions_mut().insert(app::api::AdministrationLink);
        }
        request.extensions_mut().insert(login.user);
    }
    // Without a session cookie this reads nothing (no database query).
    let stored = match session.get::<String>(FORM_TOKEN_KEY).await {
        Ok(stored) => stored,
        Err(error) => {
            tracing::warn!(%error, "cannot read the session's form token");
            None
        }
    };
    let form_token = app::csrf::SessionFormToken::new(stored);
    request.extensions_mut().insert(form_token.clone());
    let response = next.run(request).await;
    // A page rendered without a session (or with a session but no token)
    // keeps its token in the session: the session starts here if need be.
    if let Some(minted) = form_token.newly_minted() {
        if let Err(error) = session.insert(FORM_TOKEN_KEY, minted).await {
            tracing::warn!(%error, "cannot keep a form token in the session");
        }
    }
    response
}

async fn current_login(
    state: &AppState,
    session: &Session,
    cookie: Option<&str>,
    recheck_now: bool,
) -> Option<PortalLogin> {
    // Without the cookie there is nothing to load (and no database query).
    session.id()?;
    let mut login: PortalLogin = match session.get(LOGIN_KEY).await {
        Ok(login) => login?,
        Err(error) => {
            tracing::warn!(%error, "cannot read the portal session");
            return None;
        }
    };
    let now = state.control.now();
    let absolute = Duration::hours(i64::from(state.session.absolute_timeout_hours));
    if now - login.signed_in_at > absolute {
        end(state, session).await;
        return None;
    }
    // Someone whose address is not verified yet is checked on every request
    // too, so that the verification they just did counts at once.
    if !recheck_now && login.user.email_verified && now - login.checked_at < RECHECK_AFTER {
        return Some(login);
    }
    let check = match state.control.kratos() {
        Ok(kratos) => kratos.session(cookie).await,
        Err(error) => Err(error),
    };
    match rechecked(login.user, check, recheck_now) {
        Rechecked::Confirmed(user) => login.user = user,
        Rechecked::Ended => {
            end(state, session).await;
            return None;
        }
        Rechecked::Unconfirmed(user) => return Some(PortalLogin { user, ..login }),
    }
    // A grant or a revocation shows in the header from the next recheck.
    match state.control.is_platform_admin(&login.user.identity_id).await {
        Ok(platform_admin) => login.platform_admin = platform_admin,
        Err(error) => tracing::warn!(%error, "cannot tell whether a person is a platform admin"),
    }
    login.checked_at = now;
    // Saving also pushes the idle expiry back.
    if let Err(error) = session.insert(LOGIN_KEY, &login).await {
        tracing::warn!(%error, "cannot refresh the portal session");
    }
    Some(login)
}

/// What a recheck against Kratos makes of a signed-in person.
#[derive(Debug, PartialEq)]
enum Rechecked {
    /// Still signed in: this is who they are now (kept in the session).
    Confirmed(SignedInUser),
    /// Signed out at Kratos (or in as someone else) since: so here too.
    Ended,
    /// Kratos could not answer where the second factor must be confirmed
    /// now: this request only, without the second factor.
    Unconfirmed(SignedInUser),
}

fn rechecked(cached: SignedInUser, check: control::Result<SessionCheck>, must_confirm: bool) -> Rechecked {
    match check {
        Ok(SessionCheck::Active(kratos)) if kratos.user.identity_id == cached.identity_id => {
            Rechecked::Confirmed(kratos.user)
        }
        Ok(SessionCheck::SecondFactorRequired) => {
            // Still this person, but Kratos wants their second factor again:
            // pages that need it send them to prove it.
            Rechecked::Confirmed(without_second_factor(cached))
        }
        Ok(_) => Rechecked::Ended,
        Err(error) => {
            // Kratos unreachable: keep the session rather than sign everyone
            // out, but where the second factor must be confirmed now (admin
            // pages) it cannot be, so it is not counted from memory.
            tracing::warn!(%error, "cannot recheck a portal session against Kratos");
            if must_confirm {
                Rechecked::Unconfirmed(without_second_factor(cached))
            } else {
                Rechecked::Confirmed(cached)
            }
        }
    }
}

fn without_second_factor(mut user: SignedInUser) -> SignedInUser {
    "aal1".clone_into(&mut user.assurance_level);
    user
}

/// Where the browser was going before signing in, kept across the round trip
/// to the provider with the OpenID state; none: the person's home.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PendingReturn {
    pub sign_in: control::identity::PendingSignIn,
    #[serde(default)]
    pub return_to: Option<String>,
}

pub(crate) const PENDING_KEY: &str = "pending_sign_in";

/// Only paths of this portal: never another site (`//host`, `/\host`, a
/// scheme). None for anything else, or when nothing was asked.
pub(crate) fn safe_return_path(candidate: Option<&str>) -> Option<String> {
    candidate
        .filter(|path| {
            path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && !path.chars().any(char::is_control)
                && path.len() <= 2000
        })
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::{rechecked, safe_return_path, Rechecked};
    use control::{domain::SignedInUser, identity::SessionCheck};

    fn admin_at_aal2() -> SignedInUser {
        SignedInUser {
            identity_id: "2f0c6c8e-7d2a-4f0e-9d55-0a5a7e3c1b11".into(),
            email: "ops@example.com".into(),
            email_verified: true,
            display_name: "Ops".into(),
            assurance_level: "aal2".into(),
        }
    }

    fn unreachable() -> control::Result<SessionCheck> {
        Err(control::Error::Backend {
            backend: "kratos",
            detail: "connection refused".into(),
        })
    }

    #[test]
    fn kratos_unreachable_on_an_admin_page_does_not_count_a_remembered_second_factor() {
        let Rechecked::Unconfirmed(user) = rechecked(admin_at_aal2(), unreachable(), true) else {
            panic!("the second factor was taken from memory");
        };
        assert_eq!(user.assurance_level, "aal1");
        // Elsewhere the session goes on as it was.
        assert_eq!(
            rechecked(admin_at_aal2(), unreachable(), false),
            Rechecked::Confirmed(admin_at_aal2())
        );
        assert_eq!(
            rechecked(admin_at_aal2(), Ok(SessionCheck::SignedOut), true),
            Rechecked::Ended
        );
    }

    #[test]
    fn only_local_paths_are_returned_to() {
        assert_eq!(
            safe_return_path(Some("/account/sessions?x=1")).as_deref(),
            Some("/account/sessions?x=1")
        );
        for elsewhere in [
            "//evil.example/",
            "/\\evil.example",
            "https://evil.example/",
            "/a\nb",
        ] {
            assert_eq!(safe_return_path(Some(elsewhere)), None, "{elsewhere:?}");
        }
        assert_eq!(safe_return_path(None), None);
    }
}
