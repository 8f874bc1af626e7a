//! The API's reference page: the OpenAPI document written out as plain
//! HTML, readable offline (no script, no style sheet from elsewhere), with
//! a section per problem `type` that the problem details link to.

use super::texts::ApiMsg;
use axum::response::{IntoResponse, Response};
use http::{header, HeaderValue};
use serde_json::Value;
use utoipa::openapi::OpenApi as Document;

use app::i18n::Msg;
use control::domain::Locale;

use super::problem::ProblemKind;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// The page in `locale`, written once per process (the document does not
/// change). In French, each operation is said in French
/// (`reference_fr.rs`); the document's own prose stays English, marked so.
pub(super) fn page(document: &Document, locale: Locale) -> String {
    let t = |msg: ApiMsg| msg.text(locale);
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
    html.push_str(&format!(
        "<!DOCTYPE html><html lang=\"{}\"><head><meta charset=\"utf-8\">",
        locale.tag()
    ));
    html.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
    html.push_str(&format!(
        "<title>{}</title><link rel=\"icon\" href=\"/favicon.svg\" type=\"image/svg+xml\">\
         <link rel=\"stylesheet\" href=\"{STYLE_PATH}\"></head><body><main>",
        escape(t(ApiMsg::ReferenceTitle))
    ));
    html.push_str(&format!(
        "<h1>{} {}</h1><p{}>{}</p>",
        escape(&text(&info, "title")),
        escape(&text(&info, "version")),
        if locale == Locale::En { "" } else { " lang=\"en\"" },
        escape(&text(&info, "description"))
    ));
    html.push_str(&format!(
        "<p>{} <a href=\"/api/v1/openapi.json\">/api/v1/openapi.json</a> · <code>/api/v1</code></p>",
        escape(t(ApiMsg::ReferenceDocument))
    ));
    html.push_str(&authentication(&value, locale));
    html.push_str(&format!(
        "<h2 id=\"operations\">{}</h2>",
        escape(t(ApiMsg::ReferenceOperations))
    ));
    if let Some(paths) = value.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            for method in METHODS {
                if let Some(operation) = item.get(method) {
                    html.push_str(&operation_html(method, path, operation, locale));
                }
            }
        }
    }
    html.push_str(&format!(
        "<h2 id=\"problems\">{}</h2><p>{}</p><dl>",
        escape(t(ApiMsg::ReferenceProblems)),
        escape(t(ApiMsg::ReferenceProblemsLead))
    ));
    for kind in ProblemKind::ALL {
        html.push_str(&format!(
            "<dt id=\"problem-{name}\"><code>{uri}</code> ({status})</dt><dd>{what}</dd>",
            name = kind.name(),
            uri = escape(&kind.uri()),
            status = kind.status().as_u16(),
            what = escape(t(kind.explanation())),
        ));
    }
    html.push_str("</dl></main></body></html>");
    html
}

/// How to get a token, from the document's security scheme.
fn authentication(document: &Value, locale: Locale) -> String {
    let t = |msg: ApiMsg| msg.text(locale);
    let scheme = document.pointer("/components/securitySchemes/oauth2/flows/clientCredentials");
    let token_url = scheme
        .and_then(|flow| flow.get("tokenUrl"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let mut html = format!(
        "<h2 id=\"authentication\">{title}</h2><p>{lead} <code>{url}</code></p><pre>curl -u CLIENT_ID:CLIENT_SECRET \
         -d grant_type=client_credentials -d 'scope=organizations:read subscriptions:write' {url}</pre><p>{scopes}</p><ul>",
        title = escape(t(ApiMsg::ReferenceAuthentication)),
        lead = escape(t(ApiMsg::ReferenceAuthenticationLead)),
        url = escape(token_url),
        scopes = escape(Msg::ApiClientScopes.text(locale)),
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

fn operation_html(method: &str, path: &str, operation: &Value, locale: Locale) -> String {
    let t = |msg: ApiMsg| msg.text(locale);
    let text = |key: &str| operation.get(key).and_then(Value::as_str).unwrap_or_default();
    let id = text("operationId");
    let mut html = format!(
        "<section id=\"{id}\"><h3><code>{method} {path}</code></h3>",
        id = escape(id),
        method = method.to_uppercase(),
        path = escape(path)
    );
    let french = (locale == Locale::Fr)
        .then(|| super::reference_fr::summary(id))
        .flatten();
    if let Some(french) = french {
        html.push_str(&format!("<p>{}</p>", escape(french)));
    }
    // The document's prose is English: said so to readers and screen readers.
    let english = if locale == Locale::En { "" } else { " lang=\"en\"" };
    for key in ["summary", "description"] {
        if !text(key).is_empty() {
            html.push_str(&format!("<p{english}>{}</p>", escape(text(key))));
        }
    }
    if let Some(scopes) = operation.pointer("/security/0/oauth2").and_then(Value::as_array) {
        let names: Vec<String> = scopes
            .iter()
            .filter_map(Value::as_str)
            .map(|scope| format!("<code>{}</code>", escape(scope)))
            .collect();
        html.push_str(&format!(
            "<p>{} {}</p>",
            escape(t(ApiMsg::ReferenceScope)),
            names.join(", ")
        ));
    }
    if let Some(parameters) = operation.get("parameters").and_then(Value::as_array) {
        html.push_str(&format!("<p>{}</p><ul>", escape(t(ApiMsg::ReferenceParameters))));
        for parameter in parameters {
            let field = |key: &str| parameter.get(key).and_then(Value::as_str).unwrap_or_default();
            html.push_str(&format!(
                "<li><code>{}</code> ({}){}</li>",
                escape(field("name")),
                escape(field("in")),
                match field("description") {
                    "" => String::new(),
                    description => format!(": <span{english}>{}</span>", escape(description)),
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
        html.push_str(&format!(
            "<p>{} <code>{}</code> (JSON)</p>",
            escape(t(ApiMsg::ReferenceBody)),
            escape(name)
        ));
    }
    if let Some(responses) = operation.get("responses").and_then(Value::as_object) {
        html.push_str(&format!("<p>{}</p><ul>", escape(t(ApiMsg::ReferenceAnswers))));
        for (status, response) in responses {
            let description = response
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or_default();
            html.push_str(&format!(
                "<li>{}: <span{english}>{}</span></li>",
                escape(status),
                escape(description)
            ));
        }
        html.push_str("</ul>");
    }
    html.push_str("</section>");
    html
}

/// Where the page's style sheet is (under the API's base).
pub(super) const STYLE_PATH: &str = "/api/v1/reference.css";

/// Readable on a phone as on a desk: long paths and examples wrap.
const STYLE: &str = "body{font-family:system-ui,sans-serif;line-height:1.5;margin:0 auto;\
max-width:60rem;padding:1rem;color:#0f172a;overflow-wrap:anywhere}\
code,pre{font-family:ui-monospace,monospace}pre{white-space:pre-wrap;background:#f1f5f9;padding:.75rem}\
section{border-top:1px solid #e2e8f0;margin-top:1.5rem}a{color:#4338ca}";

/// Only its own style sheet and the portal's icon may load.
const CSP: &str =
    "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The page as an answer.
pub(super) fn answer(page: &str) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP)),
        ],
        page.to_owned(),
    )
        .into_response()
}

/// The style sheet.
pub(super) fn style() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/css; charset=utf-8"),
        )],
        STYLE,
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
    fn explanation(self) -> ApiMsg {
        match self {
            Self::Unauthorized => ApiMsg::ProblemUnauthorized,
            Self::InsufficientScope => ApiMsg::ProblemInsufficientScope,
            Self::NotFound => ApiMsg::ProblemNotFound,
            Self::Forbidden => ApiMsg::ProblemForbidden,
            Self::InvalidFields => ApiMsg::ProblemInvalidFields,
            Self::Quota => ApiMsg::ProblemQuota,
            Self::LastOwner => ApiMsg::ProblemLastOwner,
            Self::Stale => ApiMsg::ProblemStale,
            Self::PreconditionFailed => ApiMsg::ProblemPreconditionFailed,
            Self::PreconditionRequired => ApiMsg::ProblemPreconditionRequired,
            Self::WrongState => ApiMsg::ProblemWrongState,
            Self::AlreadySubscribed => ApiMsg::ProblemAlreadySubscribed,
            Self::AlreadyMember => ApiMsg::ProblemAlreadyMember,
            Self::AddressNotVerified => ApiMsg::ProblemAddressNotVerified,
            Self::Limit => ApiMsg::ProblemLimit,
            Self::IdempotencyKeyReused => ApiMsg::ProblemIdempotencyKeyReused,
            Self::IdempotencyKeyInFlight => ApiMsg::ProblemIdempotencyKeyInFlight,
            Self::RateLimited => ApiMsg::ProblemRateLimited,
            Self::BadRequest => ApiMsg::ProblemBadRequest,
            Self::Unavailable => ApiMsg::ProblemUnavailable,
            Self::Internal => ApiMsg::ProblemInternal,
        }
    }
}
