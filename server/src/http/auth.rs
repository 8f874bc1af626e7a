//! Identity endpoints that are not pages: signing out ends the Kratos session
//! through the logout URL Kratos issues for this browser.

use axum::{
    extract::State,
    response::{IntoResponse, Redirect, Response},
    routing::get,
    Router,
};
use http::{header, HeaderMap};

use super::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/auth/logout", get(logout))
}

async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let cookie = headers.get(header::COOKIE).and_then(|v| v.to_str().ok());
    let Ok(kratos) = state.control.kratos() else {
        return Redirect::to("/").into_response();
    };
    match kratos.logout_url(cookie, None).await {
        Ok(Some(url)) => Redirect::to(&url).into_response(),
        Ok(None) => Redirect::to("/").into_response(),
        Err(error) => {
            // The error page explains it in the visitor's language.
            tracing::error!(%error, "cannot sign out");
            Redirect::to("/auth/error").into_response()
        }
    }
}
