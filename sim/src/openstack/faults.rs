//! Error answers in each service's own shape: Nova's and Cinder's
//! `{"<name>": {"code", "message"}}` (names from their `wsgi.Fault`),
//! Neutron's `{"NeutronError": {"type", "message", "detail"}}`, and
//! keystonemiddleware's `{"error": {"code", "title", "message"}}` for a
//! token it rejects.

use axum::{
    response::{IntoResponse, Response},
    Json,
};
use http::{header, HeaderValue, StatusCode};
use serde_json::json;

/// A Nova or Cinder fault.
pub fn compute_fault(status: StatusCode, message: &str) -> Response {
    let name = match status.as_u16() {
        400 => "badRequest",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "itemNotFound",
        405 => "badMethod",
        409 => "conflictingRequest",
        413 | 429 => "overLimit",
        415 => "badMediaType",
        501 => "notImplemented",
        503 => "serviceUnavailable",
        _ => "computeFault",
    };
    let mut fault = json!({ "code": status.as_u16(), "message": message });
    if matches!(status.as_u16(), 413 | 429) {
        fault["retryAfter"] = json!("0");
    }
    (status, Json(json!({ name: fault }))).into_response()
}

/// A Neutron fault.
pub fn neutron_fault(status: StatusCode, kind: &str, message: &str) -> Response {
    (
        status,
        Json(json!({ "NeutronError": { "type": kind, "message": message, "detail": "" } })),
    )
        .into_response()
}

/// The webob exception class Neutron names for a status.
pub fn neutron_kind(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "HTTPBadRequest",
        401 => "HTTPUnauthorized",
        403 => "HTTPForbidden",
        404 => "HTTPNotFound",
        405 => "HTTPMethodNotAllowed",
        409 => "HTTPConflict",
        413 => "HTTPRequestEntityTooLarge",
        429 => "HTTPTooManyRequests",
        501 => "HTTPNotImplemented",
        502 => "HTTPBadGateway",
        503 => "HTTPServiceUnavailable",
        504 => "HTTPGatewayTimeout",
        _ => "HTTPInternalServerError",
    }
}

/// The message webob gives an injected status.
pub fn injected_message(status: StatusCode) -> String {
    match status.as_u16() {
        503 => "The server is currently unavailable. Please try again at a later time.".to_owned(),
        500 => "Unexpected API Error. Please report this and attach the API log if possible.".to_owned(),
        _ => status.canonical_reason().unwrap_or("Error").to_owned(),
    }
}

/// keystonemiddleware's answer to a missing or invalid token.
pub fn unauthorized(keystone_url: &str) -> Response {
    let mut response = (
        StatusCode::UNAUTHORIZED,
        Json(json!({
            "error": {
                "code": 401,
                "title": "Unauthorized",
                "message": "The request you have made requires authentication.",
            }
        })),
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&format!("Keystone uri=\"{keystone_url}\"")) {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

/// keystonemiddleware's answer when Keystone cannot be reached.
pub fn keystone_unavailable() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(json!({
            "error": {
                "code": 503,
                "title": "Service Unavailable",
                "message": "The Keystone service is temporarily unavailable.",
            }
        })),
    )
        .into_response()
}
