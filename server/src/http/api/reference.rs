//! The API's reference page: the OpenAPI document written out as plain
//! HTML, readable offline (no script, no style sheet from elsewhere), with
//! a section per problem `type` that the problem details link to.

use axum::response::{IntoResponse, Response};
use http::{header, HeaderValue};
use serde_json::Value;
use utoipa::openapi::OpenApi as Document;

use super::problem::ProblemKind;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// The page, written once per process (the document does not change).
pub(super) fn page(document: &Document) -> String {
    let value = serde_json::to_value(document).unwrap_or(Value::Null);
    let text = |value: &Value, key: &str| {
        value
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let info = value.get("info").cloned().unwrap_or(Value::Null);
    let mut html = String::new();
    html.push_str("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">");
    html.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
    html.push_str("<title>ApiBibind reference</title></head><body><main>");
    html.push_str(&format!(
        "<h1>{} {}</h1><p>{}</p>",
        escape(&text(&info, "title")),
        escape(&text(&info, "version")),
        escape(&text(&info, "description"))
    ));
    html.push_str(
        "<p>Le document OpenAPI 3.1 / the OpenAPI 3.1 document: <a href=\"/api/v1/openapi.json\">/api/v1/openapi.json</a>. \
         Base: <code>/api/v1</code>.</p>",
    );
    html.push_str(&authentication(&value));
    html.push_str("<h2 id=\"operations\">Operations</h2>");
    if let Some(paths) = value.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            for method in METHODS {
                if let Some(operation) = item.get(method) {
                    html.push_str(&operation_html(method, path, operation));
                }
            }
        }
    }
    html.push_str("<h2 id=\"problems\">Problems / Erreurs</h2>");
    html.push_str(
        "<p>Every refusal is <code>application/problem+json</code> (RFC 9457): <code>type</code> is one of the URIs below \
         (stable: match on it), <code>title</code>, <code>status</code>, <code>detail</code> in the language of \
         <code>Accept-Language</code> (French or English), <code>instance</code> naming the request, and \
         <code>errors</code> with each refused field.</p><dl>",
    );
    for kind in ProblemKind::ALL {
        html.push_str(&format!(
            "<dt id=\"problem-{name}\"><code>{uri}</code> ({status})</dt><dd>{what}</dd>",
            name = kind.name(),
            uri = escape(&kind.uri()),
            status = kind.status().as_u16(),
            what = escape(kind.explanation()),
        ));
    }
    html.push_str("</dl></main></body></html>");
    html
}

/// How to get a token, from the document's security scheme.
fn authentication(document: &Value) -> String {
    let scheme = document.pointer("/components/securitySchemes/oauth2/flows/clientCredentials");
    let token_url = scheme
        .and_then(|flow| flow.get("tokenUrl"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let mut html = format!(
        "<h2 id=\"authentication\">Authentication</h2><p>An owner or admin makes an API client on the organization's \
         <em>API clients</em> page (or <code>POST /organizations/{{slug}}/api-clients</code>); its secret is shown once. \
         Its tokens come from <code>{url}</code>:</p><pre>curl -u CLIENT_ID:CLIENT_SECRET -d grant_type=client_credentials \
         -d 'scope=organizations:read subscriptions:write' {url}</pre><p>Scopes:</p><ul>",
        url = escape(token_url)
    );
    if let Some(scopes) = scheme
        .and_then(|flow| flow.get("scopes"))
        .and_then(Value::as_object)
    {
        for (scope, description) in scopes {
            html.push_str(&format!(
                "<li><code>{}</code>: {}</li>",
                escape(scope),
                escape(description.as_str().unwrap_or_default())
            ));
        }
    }
    html.push_str("</ul>");
    html
}

fn operation_html(method: &str, path: &str, operation: &Value) -> String {
    let text = |key: &str| operation.get(key).and_then(Value::as_str).unwrap_or_default();
    let id = text("operationId");
    let mut html = format!(
        "<section id=\"{id}\"><h3><code>{method} {path}</code></h3>",
        id = escape(id),
        method = method.to_uppercase(),
        path = escape(path)
    );
    for key in ["summary", "description"] {
        if !text(key).is_empty() {
            html.push_str(&format!("<p>{}</p>", escape(text(key))));
        }
    }
    if let Some(scopes) = operation.pointer("/security/0/oauth2").and_then(Value::as_array) {
        let names: Vec<String> = scopes
            .iter()
            .filter_map(Value::as_str)
            .map(|scope| format!("<code>{}</code>", escape(scope)))
            .collect();
        html.push_str(&format!("<p>Scope: {}</p>", names.join(", ")));
    }
    if let Some(parameters) = operation.get("parameters").and_then(Value::as_array) {
        html.push_str("<p>Parameters:</p><ul>");
        for parameter in parameters {
            let field = |key: &str| parameter.get(key).and_then(Value::as_str).unwrap_or_default();
            html.push_str(&format!(
                "<li><code>{}</code> ({}){}</li>",
                escape(field("name")),
                escape(field("in")),
                match field("description") {
                    "" => String::new(),
                    description => format!(": {}", escape(description)),
                }
            ));
        }
        html.push_str("</ul>");
    }
    if let Some(schema) = operation
        .pointer("/requestBody/content/application~1json/schema/$ref")
        .and_then(Value::as_str)
    {
        let name = schema.rsplit('/').next().unwrap_or_default();
        html.push_str(&format!("<p>Body: <code>{}</code> (JSON)</p>", escape(name)));
    }
    if let Some(responses) = operation.get("responses").and_then(Value::as_object) {
        html.push_str("<p>Answers:</p><ul>");
        for (status, response) in responses {
            let description = response
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or_default();
            html.push_str(&format!("<li>{}: {}</li>", escape(status), escape(description)));
        }
        html.push_str("</ul>");
    }
    html.push_str("</section>");
    html
}

/// The page as an answer.
pub(super) fn answer(page: &str) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        )],
        page.to_owned(),
    )
        .into_response()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

impl ProblemKind {
    /// What the problem means, for the reference page.
    fn explanation(self) -> &'static str {
        match self {
            Self::Unauthorized => "No token, or one that is not (or no longer) valid: get a new one.",
            Self::InsufficientScope => "The token lacks the scope the operation needs.",
            Self::NotFound => {
                "Unknown, or not visible to the caller (the same answer, so existence does not leak)."
            }
            Self::Forbidden => "The caller's role or the token's scopes do not allow the operation.",
            Self::InvalidFields => "Fields refused; `errors` names each with its problem code.",
            Self::Quota => "The change would take a quota of the plan over its limit.",
            Self::LastOwner => "The organization would be left without an owner.",
            Self::Stale => "Someone changed the resource meanwhile: read it again, then retry.",
            Self::PreconditionFailed => {
                "`If-Match` names a version that is no longer current: nothing was changed."
            }
            Self::PreconditionRequired => "The change needs `If-Match` with the resource's current `ETag`.",
            Self::WrongState => "Not possible in the resource's current state.",
            Self::AlreadySubscribed => "The organization already subscribes to this offer.",
            Self::AlreadyMember => "The person is already a member.",
            Self::AddressNotVerified => "The caller's e-mail address must be verified first.",
            Self::Limit => "An operator's limit is reached.",
            Self::IdempotencyKeyReused => "The `Idempotency-Key` was used with another body.",
            Self::IdempotencyKeyInFlight => "A request with this `Idempotency-Key` is still being processed.",
            Self::RateLimited => "Too many requests: wait as `Retry-After` says.",
            Self::BadRequest => "The request could not be read (its body, its query).",
            Self::Unavailable => "A service Bibind depends on did not answer: retry later.",
            Self::Internal => "Bibind failed; nothing was changed. Retry later.",
        }
    }
}
