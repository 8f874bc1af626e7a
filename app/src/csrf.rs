//! Double-submit CSRF tokens for the portal's own forms: a random token set
//! as an HttpOnly, SameSite=Strict cookie scoped to the form's path, and
//! posted back in a hidden field. Kratos' forms carry Kratos' own token.

/// The token for a form whose handler lives under `path`: the browser's
/// current one, else a new one whose cookie is set on the page being
/// rendered. Keeping it means a page open in another tab still posts: a new
/// token per render would silently void the forms of every older page.
pub fn issue(cookie_name: &str, path: &str) -> String {
    let current = crate::with_request(|parts| crate::cookie_value(&parts.headers, cookie_name)).flatten();
    if let Some(token) = current.filter(|token| is_token(token)) {
        return token;
    }
    let token = uuid::Uuid::new_v4().simple().to_string();
    if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        let cookie = format!("{cookie_name}={token}; Path={path}; HttpOnly; SameSite=Strict");
        if let Ok(value) = http::HeaderValue::from_str(&cookie) {
            response.append_header(http::header::SET_COOKIE, value);
        }
    }
    token
}

/// Whether the posted token matches the cookie.
pub fn verify(headers: &http::HeaderMap, cookie_name: &str, posted: &str) -> bool {
    !posted.is_empty() && crate::cookie_value(headers, cookie_name).as_deref() == Some(posted)
}

/// What `issue` hands out: 32 lowercase hex digits (so a cookie planted with
/// anything else is replaced, not echoed into the page).
fn is_token(value: &str) -> bool {
    value.len() == 32
        && value
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}
