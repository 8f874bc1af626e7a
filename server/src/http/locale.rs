//! `GET /locale/{tag}?return_to=/path`: remembers the visitor's language in a
//! cookie and sends them back. A plain link, so it works without JavaScript.

use app::{i18n::LOCALE_COOKIE, Locale};
use axum::{
    extract::{Query, State},
    response::{IntoResponse, Redirect, Response},
    routing::get,
    Router,
};
use http::header;
use serde::Deserialize;

use super::AppState;

#[derive(Deserialize)]
struct SwitchQuery {
    return_to: Option<String>,
}

/// One route per language, so any other `/locale/…` is an unknown page (404).
pub(super) fn routes() -> Router<AppState> {
    Locale::ALL.into_iter().fold(Router::new(), |router, locale| {
        router.route(
            &format!("/locale/{}", locale.tag()),
            get(move |state, query| switch(locale, state, query)),
        )
    })
}

async fn switch(locale: Locale, State(state): State<AppState>, Query(query): Query<SwitchQuery>) -> Response {
    let target = query
        .return_to
        .as_deref()
        .filter(|path| is_local_path(path))
        .unwrap_or("/");
    let secure = if state.shell.tls { "; Secure" } else { "" };
    let cookie = format!(
        "{LOCALE_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax{secure}",
        locale.tag()
    );
    ([(header::SET_COOKIE, cookie)], Redirect::to(target)).into_response()
}

/// Only paths on this site: no scheme, no `//host`, no backslash tricks.
fn is_local_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && !path.contains('\\')
        && !path.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::is_local_path;

    #[test]
    fn only_local_paths_are_followed() {
        assert!(is_local_path("/"));
        assert!(is_local_path("/orgs/acme?tab=members"));
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil",
            "evil",
            "",
            "/\nx",
        ] {
            assert!(!is_local_path(bad), "{bad:?}");
        }
    }
}
