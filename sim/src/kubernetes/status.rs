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

    pub fn forbidden(kind: &Kind, name: &str, why: &str) -> Self {
        Self::about(403, "Forbidden", kind, name, &format!("is forbidden: {why}"))
    }

    /// 403 as the authorizer words it: about a resource (group, plural, name
    /// when there is one), or `forbidden: …` for a path.
    pub fn forbidden_request(group: &str, resource: &str, name: &str, why: &str) -> Self {
        let qualified = if group.is_empty() {
            resource.to_owned()
        } else {
            format!("{resource}.{group}")
        };
        let message = match (resource.is_empty(), name.is_empty()) {
            (true, _) => format!("forbidden: {why}"),
            (false, true) => format!("{qualified} is forbidden: {why}"),
            (false, false) => format!("{qualified} \"{name}\" is forbidden: {why}"),
        };
        let mut details = Map::new();
        for (field, value) in [("name", name), ("group", group), ("kind", resource)] {
            if !value.is_empty() {
                details.insert(field.into(), json!(value));
            }
        }
        Self::new(403, "Forbidden", message).with_details(Value::Object(details))
    }

    /// A bearer token the API server does not know.
    pub fn unauthorized() -> Self {
        Self::new(401, "Unauthorized", "Unauthorized")
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
        Self::invalid_object(kind.group, kind.kind, name, causes)
    }

    /// 422 for an object named by its group and kind (`Deployment.apps`,
    /// `Scale.autoscaling`), as `NewInvalid` writes it.
    pub fn invalid_object(group: &str, kind: &str, name: &str, causes: &[(&str, String)]) -> Self {
        let summary: Vec<String> = causes
            .iter()
            .map(|(field, message)| format!("{field}: {message}"))
            .collect();
        let summary = match summary.as_slice() {
            [single] => single.clone(),
            many => format!("[{}]", many.join(", ")),
        };
        let qualified = if group.is_empty() {
            kind.to_owned()
        } else {
            format!("{kind}.{group}")
        };
        let mut details = json!({ "name": name, "kind": kind });
        if !group.is_empty() {
            details["group"] = json!(group);
        }
        details["causes"] = causes
            .iter()
            .map(|(field, message)| {
                // field.ErrorTypeRequired's detail starts so; everything else here is invalid.
                let reason = if message.starts_with("Required value") {
                    "FieldValueRequired"
                } else {
                    "FieldValueInvalid"
                };
                json!({ "reason": reason, "message": message, "field": field })
            })
            .collect();
        Self::new(
            422,
            "Invalid",
            format!("{qualified} \"{name}\" is invalid: {summary}"),
        )
        .with_details(details)
    }

    /// 422 from a patch the library could not apply (`NewGenericServerResponse`):
    /// a fixed message, the library's own as the cause.
    pub fn unprocessable(server_message: impl Into<String>) -> Self {
        Self::new(
            422,
            "Invalid",
            "the server rejected our request due to an error in our request",
        )
        .with_details(
            json!({ "causes": [{ "reason": "UnexpectedServerResponse", "message": server_message.into() }] }),
        )
    }

    /// 500 for an error that is no `Status` (the server's `StatusReasonUnknown`: no reason).
    pub fn unknown(message: impl Into<String>) -> Self {
        Self::new(500, "", message)
    }

    /// 409 for a `scale` write whose `metadata.uid` is not the workload's.
    pub fn scale_uid_mismatch(kind: &Kind, name: &str, wanted: &str, found: &str) -> Self {
        let subresource = format!("{}/scale", kind.plural);
        let qualified = format!("{subresource}.{}", kind.group);
        Self::new(
            409,
            "Conflict",
            format!("Operation cannot be fulfilled on {qualified} \"{name}\": Precondition failed: UID in precondition: {wanted}, UID in object meta: {found}"),
        )
        .with_details(json!({ "name": name, "group": kind.group, "kind": subresource }))
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BadRequest", message)
    }

    /// A PATCH whose `Content-Type` is no patch type the simulator applies
    /// (the real server also takes `application/apply-patch+yaml`).
    pub fn unsupported_media_type() -> Self {
        Self::new(
            415,
            "UnsupportedMediaType",
            "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json",
        )
    }

    /// The 415 of a custom resource's PATCH: apiextensions-apiserver offers
    /// no strategic merge patch, there being no Go struct tags to merge by.
    pub fn unsupported_media_type_custom() -> Self {
        Self::new(
            415,
            "UnsupportedMediaType",
            "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml",
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
        if !self.reason.is_empty() {
            body.insert("reason".into(), json!(self.reason));
        }
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
