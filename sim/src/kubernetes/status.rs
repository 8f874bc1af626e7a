//! Errors as the API server writes them: `Status` objects whose `reason`
//! and `code` clients act on (apimachinery `pkg/api/errors/errors.go`).

use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use serde_json::{json, Map, Value};

use super::kinds::Kind;

/// A failed request, answered as a `Status` with `code` as its HTTP status.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
    pub details: Option<Value>,
}

impl ApiError {
    fn new(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            reason,
            message: message.into(),
            details: None,
        }
    }

    fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    /// An error about one object: `<kind> "<name>" <what>`, with its details.
    fn about(code: u16, reason: &'static str, kind: &Kind, name: &str, what: &str) -> Self {
        Self::new(code, reason, format!("{} \"{name}\" {what}", kind.qualified()))
            .with_details(details(kind, name))
    }

    /// A 409 Conflict: "Operation cannot be fulfilled on <kind> "<name>": <why>".
    fn unfulfilled(kind: &Kind, name: &str, why: &str) -> Self {
        Self::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} \"{name}\": {why}",
                kind.qualified()
            ),
        )
        .with_details(details(kind, name))
    }

    pub fn not_found(kind: &Kind, name: &str) -> Self {
        Self::about(404, "NotFound", kind, name, "not found")
    }

    /// 404 for a read-only resource the kind table does not hold (pods, nodes, PodMetrics).
    pub fn measured_not_found(qualified: &str, name: &str) -> Self {
        Self::new(404, "NotFound", format!("{qualified} \"{name}\" not found"))
            .with_details(json!({ "name": name, "kind": qualified }))
    }

    pub fn namespace_not_found(namespace: &str) -> Self {
        Self::new(404, "NotFound", format!("namespaces \"{namespace}\" not found"))
            .with_details(json!({ "name": namespace, "kind": "namespaces" }))
    }

    /// A path that names no resource.
    pub fn no_route() -> Self {
        Self::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        )
        .with_details(json!({}))
    }

    pub fn already_exists(kind: &Kind, name: &str) -> Self {
        Self::about(409, "AlreadyExists", kind, name, "already exists")
    }

    /// A write whose resourceVersion is not the stored one.
    pub fn conflict(kind: &Kind, name: &str) -> Self {
        Self::unfulfilled(
            kind,
            name,
            "the object has been modified; please apply your changes to the latest version and try again",
        )
    }

    /// A DELETE of a namespace already terminating.
    pub fn namespace_still_terminating(kind: &Kind, name: &str) -> Self {
        Self::unfulfilled(
            kind,
            name,
            "The system is ensuring all content is removed from this namespace.  Upon completion, this namespace will automatically be purged by the system.",
        )
    }

    pub fn forbidden(kind: &Kind, name: &str, why: &str) -> Self {
        Self::about(403, "Forbidden", kind, name, &format!("is forbidden: {why}"))
    }

    pub fn namespace_terminating(kind: &Kind, name: &str, namespace: &str) -> Self {
        let why =
            format!("unable to create new content in namespace {namespace} because it is being terminated");
        let mut error = Self::forbidden(kind, name, &why);
        let mut details = details(kind, name);
        details["causes"] = json!([{
            "reason": "NamespaceTerminating",
            "message": format!("namespace {namespace} is being terminated"),
            "field": "metadata.namespace",
        }]);
        error.details = Some(details);
        error
    }

    /// 422 with one cause per invalid field: `(field, what is wrong)`.
    pub fn invalid(kind: &Kind, name: &str, causes: &[(&str, String)]) -> Self {
        let summary: Vec<String> = causes
            .iter()
            .map(|(field, message)| format!("{field}: {message}"))
            .collect();
        let summary = match summary.as_slice() {
            [single] => single.clone(),
            many => format!("[{}]", many.join(", ")),
        };
        let mut details = details(kind, name);
        details["kind"] = json!(kind.kind);
        details["causes"] = causes
            .iter()
            .map(|(field, message)| json!({ "reason": "FieldValueInvalid", "message": message, "field": field }))
            .collect();
        Self::new(
            422,
            "Invalid",
            format!("{} \"{name}\" is invalid: {summary}", kind.kind),
        )
        .with_details(details)
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BadRequest", message)
    }

    pub fn unsupported_media_type(content_type: &str) -> Self {
        Self::new(
            415,
            "UnsupportedMediaType",
            format!("the body of the request was in an unknown format ({content_type}) - accepted media types include: application/json-patch+json, application/merge-patch+json"),
        )
    }

    pub fn method_not_allowed(method: &str) -> Self {
        Self::new(
            405,
            "MethodNotAllowed",
            format!("the server does not allow this method on the requested resource ({method})"),
        )
    }

    /// An injected fault, with the reason the API server gives that status.
    pub fn injected(status: StatusCode) -> Self {
        let reason = match status.as_u16() {
            400 => "BadRequest",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "NotFound",
            405 => "MethodNotAllowed",
            409 => "Conflict",
            410 => "Expired",
            422 => "Invalid",
            429 => "TooManyRequests",
            503 => "ServiceUnavailable",
            504 => "Timeout",
            _ => "InternalError",
        };
        Self::new(status.as_u16(), reason, format!("injected fault: {status}"))
    }

    pub fn body(&self) -> Value {
        let mut body = Map::new();
        body.insert("kind".into(), json!("Status"));
        body.insert("apiVersion".into(), json!("v1"));
        body.insert("metadata".into(), json!({}));
        body.insert("status".into(), json!("Failure"));
        body.insert("message".into(), json!(self.message));
        body.insert("reason".into(), json!(self.reason));
        if let Some(details) = &self.details {
            body.insert("details".into(), details.clone());
        }
        body.insert("code".into(), json!(self.code));
        Value::Object(body)
    }
}

fn details(kind: &Kind, name: &str) -> Value {
    let mut details = json!({ "name": name, "kind": kind.plural });
    if !kind.group.is_empty() {
        details["group"] = json!(kind.group);
    }
    details
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(self.body())).into_response()
    }
}
