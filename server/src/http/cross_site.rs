//! Refuses posts another site made the browser send. Every form token is
//! bound to the portal session already; this stops, before any handler, a
//! post whose browser says it came from another origin, including a
//! sibling subdomain that shares the portal's registrable domain (which
//! `SameSite` cookies do not stop): `Sec-Fetch-Site` other than
//! `same-origin`/`none`, or an `Origin` that is not the portal's. Requests
//! without either header (servers such as Hydra's back-channel logout, old
//! browsers) go on to the token check.

use axum::{
    extract::{Request, State},
    middleware::Next,
    response::Response,
};
use http::{header, HeaderMap, Method};

use super::{answers, AppState};

/// What the check compares with: the portal's public origin.
#[derive(Clone)]
pub(crate) struct CrossSitePolicy {
    pub state: AppState,
    /// `scheme://host[:port]` of `[server] public_url`.
    pub public_origin: String,
}

pub(crate) async fn refuse_cross_site_posts(
    State(policy): State<CrossSitePolicy>,
    request: Request,
    next: Next,
) -> Response {
    let safe = matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if safe || !is_cross_site(request.headers(), &policy.public_origin) {
        return next.run(request).await;
    }
    let path = super::security::loggable_path(request.uri().path()).into_owned();
    tracing::warn!(%path, "a post from another site refused");
    let (parts, _body) = request.into_parts();
    let mut page = answers::forbidden_page(&policy.state.pages, &parts).await;
    *page.status_mut() = http::StatusCode::FORBIDDEN;
    page
}

/// Whether the browser says the request came from elsewhere than the portal.
pub(crate) fn is_cross_site(headers: &HeaderMap, public_origin: &str) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        // `none`: the person's own action (a bookmark, the address bar).
        if !matches!(site.as_bytes(), b"same-origin" | b"none") {
            return true;
        }
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return false;
    };
    let Ok(origin) = origin.to_str() else {
        return true;
    };
    // The portal as configured, or as this request reached it (the same
    // scheme, the host the browser asked for): a post from another site
    // names that site, never the portal's host.
    let scheme = public_origin
        .split_once("://")
        .map_or("https", |(scheme, _)| scheme);
    let reached = headers
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
        .map(|host| format!("{scheme}://{host}"));
    !(origin == public_origin || reached.as_deref() == Some(origin))
}

#[cfg(test)]
mod tests {
    use super::is_cross_site;
    use http::{HeaderMap, HeaderValue};

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    const PORTAL: &str = "https://portal.example.com";

    #[test]
    fn a_sibling_subdomain_or_another_site_is_refused() {
        for pairs in [
            &[("sec-fetch-site", "same-site")][..],
            &[("sec-fetch-site", "cross-site")][..],
            &[
                ("origin", "https://acme.example.com"),
                ("host", "portal.example.com"),
            ][..],
            &[("origin", "null"), ("host", "portal.example.com")][..],
            &[
                ("origin", "http://portal.example.com"),
                ("host", "portal.example.com"),
            ][..],
            &[
                ("sec-fetch-site", "same-site"),
                ("origin", "https://portal.example.com"),
            ][..],
        ] {
            assert!(is_cross_site(&headers(pairs), PORTAL), "{pairs:?}");
        }
    }

    #[test]
    fn the_portal_itself_and_servers_are_let_through() {
        for pairs in [
            &[][..],
            &[
                ("sec-fetch-site", "same-origin"),
                ("origin", "https://portal.example.com"),
            ][..],
            &[("sec-fetch-site", "none")][..],
            &[("origin", "https://portal.example.com")][..],
            &[
                ("origin", "https://portal.internal:8443"),
                ("host", "portal.internal:8443"),
            ][..],
        ] {
            assert!(!is_cross_site(&headers(pairs), PORTAL), "{pairs:?}");
        }
    }
}
