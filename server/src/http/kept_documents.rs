//! Whole documents kept rendered: the busiest pages (an organization's
//! dashboard and services page, the 404 page) served again without rendering
//! anything, when the same person asks for the same page made from the same
//! data in the same language.
//!
//! A document is kept under what everything on it was made from ([`Key`]):
//! the page (an organization page's origin, `app::api::PageOrigin`, which
//! changes with anything it shows; or the 404 page), the language, and who
//! reads it (the header shows their name, e-mail and administration link).
//! It is rendered once with stand-ins where each request's own values go
//! (the CSRF token, the script nonce and, on the 404 page, the path the
//! language switch comes back to), cut there (`app::cut`), and filled with
//! the request's values each time it is served. Only a plain `GET` (no query:
//! a query is a form's answer) of one of those pages is kept, and only a
//! document that set no cookie and came out as the page it should.
//!
//! Memory is bounded: at most [`CAPACITY`] documents, the least recently
//! used forgotten first (ARCHITECTURE.md, "Memory").

use std::sync::Arc;

use app::{
    api::{OrganizationSection, PageOrigin},
    csrf::SessionFormToken,
    cut::CutText,
    kept::Kept,
    routes, Locale,
};
use axum::{
    body::Body,
    extract::{MatchedPath, Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
};
use control::domain::SignedInUser;
use http::{header, HeaderMap, HeaderValue, Method, StatusCode};

use super::{metrics::KeptOutcome, AppState};

/// Documents kept at most: a dashboard is about 12 KB.
const CAPACITY: usize = 1_000;

/// A page's document is never larger than this (the biggest is ~20 KB).
const LARGEST: usize = 4 << 20;

/// What a kept document was made from: the same key, the same document.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    page: Page,
    locale: Locale,
    reader: Reader,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Page {
    /// An organization page at `path`, made from `origin`.
    Organization { origin: PageOrigin, path: String },
    /// The 404 page of any path where the shell is the same
    /// (`app::shell_varies_at`); the path goes into its language switch
    /// when served.
    NotFound,
}

impl Page {
    /// The status the page answers with when it renders as it should.
    fn status(&self) -> StatusCode {
        match self {
            Self::Organization { .. } => StatusCode::OK,
            Self::NotFound => StatusCode::NOT_FOUND,
        }
    }
}

impl Key {
    fn new(page: Page, locale: Locale, reader: Reader) -> Self {
        Self { page, locale, reader }
    }
}

/// Whom the header greets.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Reader {
    Visitor,
    SignedIn {
        identity_id: String,
        display_name: String,
        email: String,
        administration: bool,
    },
}

impl Reader {
    fn of(extensions: &http::Extensions) -> Self {
        match extensions.get::<SignedInUser>() {
            None => Self::Visitor,
            Some(user) => Self::SignedIn {
                identity_id: user.identity_id.clone(),
                display_name: user.display_name.clone(),
                email: user.email.clone(),
                administration: extensions.get::<app::api::AdministrationLink>().is_some(),
            },
        }
    }
}

/// The values a document takes from the request it is served to.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Hole {
    CsrfToken,
    Nonce,
    /// The request's path, as the language switch writes it.
    ReturnPath,
}

/// A rendered document, cut where the request's values go.
struct Document {
    status: StatusCode,
    /// Its headers but the Content-Security-Policy, which carries the nonce.
    headers: HeaderMap,
    policy: CutText<Hole>,
    body: CutText<Hole>,
}

impl Document {
    /// The document as answered to a request with `csrf_token` in its
    /// session (asked only when a form shows it) and at `path`.
    fn serve(&self, csrf_token: Option<&SessionFormToken>, path: &str) -> Response {
        let nonce = leptos::nonce::Nonce::new();
        let nonce: &str = &nonce;
        let return_path = routes::query_value(path);
        let token = if self.body.has(Hole::CsrfToken) {
            csrf_token.map(SessionFormToken::issue).unwrap_or_default()
        } else {
            String::new()
        };
        let value = |hole: Hole| -> &str {
            match hole {
                Hole::CsrfToken => &token,
                Hole::Nonce => nonce,
                Hole::ReturnPath => &return_path,
            }
        };
        let mut response = Response::new(Body::from(self.body.fill(value)));
        *response.status_mut() = self.status;
        *response.headers_mut() = self.headers.clone();
        if let Ok(policy) = HeaderValue::from_str(&self.policy.fill(value)) {
            response
                .headers_mut()
                .insert(header::CONTENT_SECURITY_POLICY, policy);
        }
        response
    }
}

/// The documents kept, least recently used first.
pub(crate) struct KeptDocuments(Kept<Key, Document>);

impl Default for KeptDocuments {
    fn default() -> Self {
        Self(Kept::new(CAPACITY))
    }
}

/// Serves a kept document when there is one for the request, else renders
/// the page (the route's own handler, or the 404 page for an unknown path)
/// with stand-ins, keeps it if it may be kept, and serves it.
pub(super) async fn serve(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (key, request) = key_of(&state, request).await;
    let Some(key) = key else {
        return next.run(request).await;
    };
    let csrf_token = request.extensions().get::<SessionFormToken>().cloned();
    let path = request.uri().path().to_owned();
    if let Some(document) = state.kept_documents.0.get(&key) {
        state.metrics.kept_document(KeptOutcome::Served);
        return document.serve(csrf_token.as_ref(), &path);
    }
    let (document, keep) = match render(request, next, &key.page).await {
        Ok(rendered) => rendered,
        Err(response) => return response,
    };
    let document = Arc::new(document);
    if keep && document.status == key.page.status() {
        state.kept_documents.0.insert(key, document.clone());
        state.metrics.kept_document(KeptOutcome::Kept);
    } else {
        state.metrics.kept_document(KeptOutcome::Rendered);
    }
    document.serve(csrf_token.as_ref(), &path)
}

/// The key of the document the request asks for, when it may be kept.
async fn key_of(state: &AppState, request: Request) -> (Option<Key>, Request) {
    if request.method() != Method::GET || request.uri().query().is_some() {
        return (None, request);
    }
    let section = match request.extensions().get::<MatchedPath>().map(MatchedPath::as_str) {
        // Unknown to every route: the 404 page, the same document at every
        // path where the shell around it is the same.
        None if !app::shell_varies_at(request.uri().path()) => None,
        Some(routes::pattern::ORGANIZATION) => Some(OrganizationSection::Overview),
        Some(routes::pattern::SERVICES) => Some(OrganizationSection::Services),
        _ => return (None, request),
    };
    let locale = app::i18n::locale_from_headers(request.headers());
    let reader = Reader::of(request.extensions());
    let Some(section) = section else {
        return (Some(Key::new(Page::NotFound, locale, reader)), request);
    };
    let path = request.uri().path().to_owned();
    let slug = path
        .strip_prefix("/orgs/")
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_default();
    let (parts, body) = request.into_parts();
    let origin = match app::api::caller_of(&parts) {
        Some(caller) => app::api::organization_page_origin_of(&state.control, &caller, slug, section).await,
        None => None,
    };
    let request = Request::from_parts(parts, body);
    let key = origin.map(|origin| Key::new(Page::Organization { origin, path }, locale, reader));
    (key, request)
}

/// Renders the page with stand-ins for the request's values and cuts it
/// there; whether it may be kept (it set no cookie). `Err`: the answer as
/// it is, when it is not a whole page.
async fn render(mut request: Request, next: Next, page: &Page) -> Result<(Document, bool), Response> {
    // Any unknown path renders the same 404 page: rendered at one no route
    // has, so its path is a stand-in too.
    let path_stand_in = match page {
        Page::NotFound => {
            let path = format!("/{}", app::csrf::new_token());
            let Ok(uri) = path.parse() else {
                return Err(next.run(request).await);
            };
            *request.uri_mut() = uri;
            routes::query_value(&path)
        }
        Page::Organization { .. } => String::new(),
    };
    let token_stand_in = app::csrf::new_token();
    request
        .extensions_mut()
        .insert(SessionFormToken::new(Some(token_stand_in.clone())));
    let response = next.run(request).await;
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, LARGEST).await else {
        return Err(StatusCode::INTERNAL_SERVER_ERROR.into_response());
    };
    let Ok(html) = String::from_utf8(bytes.to_vec()) else {
        return Err(StatusCode::INTERNAL_SERVER_ERROR.into_response());
    };
    let policy = parts
        .headers
        .remove(header::CONTENT_SECURITY_POLICY)
        .and_then(|value| value.to_str().ok().map(str::to_owned))
        .unwrap_or_default();
    let nonce = nonce_in(&policy).unwrap_or_default().to_owned();
    let stand_ins = [
        (Hole::CsrfToken, token_stand_in.as_str()),
        (Hole::Nonce, nonce.as_str()),
        (Hole::ReturnPath, path_stand_in.as_str()),
    ];
    // The body's length is the filled document's, not the cut one's.
    parts.headers.remove(header::CONTENT_LENGTH);
    let is_html = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"));
    let keep = is_html && !nonce.is_empty() && !parts.headers.contains_key(header::SET_COOKIE);
    Ok((
        Document {
            status: parts.status,
            headers: parts.headers,
            policy: CutText::new(&policy, &stand_ins),
            body: CutText::new(&html, &stand_ins),
        },
        keep,
    ))
}

/// The script nonce a Content-Security-Policy allows (`'nonce-…'`).
fn nonce_in(policy: &str) -> Option<&str> {
    let start = policy.find("'nonce-")? + "'nonce-".len();
    let length = policy[start..].find('\'')?;
    Some(&policy[start..start + length])
}

#[cfg(test)]
mod tests {
    use super::nonce_in;

    #[test]
    fn the_nonce_is_read_from_the_policy() {
        assert_eq!(
            nonce_in("default-src 'self'; script-src 'self' 'nonce-Ab_9'; style-src 'self'"),
            Some("Ab_9")
        );
        assert_eq!(nonce_in("default-src 'none'"), None);
    }
}
