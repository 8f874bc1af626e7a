//! Double-submit CSRF tokens for the portal's own forms: a random token set
//! as an HttpOnly, SameSite=Strict cookie scoped to the form's path, and
//! posted back in a hidden field. Kratos' forms carry Kratos' own token.

/// Issues a token for a form whose handler lives under `path`, setting its
/// cookie on the page being rendered.
pub fn issue(cookie_name: &str, path: &str) -> String {
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
