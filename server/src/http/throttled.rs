//! Every self-service form that checks a secret or sends mail (sign-in,
//! recovery, sign-up, verification, settings) posts here rather than
//! straight to Kratos: each attempt is counted per client address and per
//! account (`control::identity::throttle`), then relayed to Kratos with the browser's
//! cookies, and Kratos' answer (its redirect, its cookies) handed back. Over
//! a limit, the browser goes back to the form with the time to wait; when
//! the attempt cannot be counted (database down), it is refused.
//!
//! The account is read from URL-encoded and JSON bodies, the two Kratos'
//! browser flows take from a form or a script; any other body (multipart
//! included) is refused with 415, so none reaches Kratos uncounted.

use axum::{
    body::{Body, Bytes},
    extract::{Path, Query, State},
    response::{IntoResponse, Redirect, Response},
    routing::post,
    Extension, Router,
};
use control::{
    client_ip::ClientIp,
    domain::FlowKind,
    identity::{
        throttle::{GuardedAction, Throttle},
        RelayedAnswer, RelayedForm,
    },
};
use http::{header, HeaderMap, HeaderValue, StatusCode};
use serde::Deserialize;

use super::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route(app::routes::pattern::FLOW_SUBMIT, post(submit))
}

#[derive(Deserialize)]
struct FlowQuery {
    flow: String,
}

/// Where a flow's form names the account it is about.
enum AccountField {
    /// A form field (`traits.email` is the JSON path `traits` → `email`).
    Field(&'static str),
    /// The Kratos session the browser holds.
    Session,
}

fn guarded(kind: &str) -> Option<(GuardedAction, FlowKind, AccountField)> {
    Some(match kind {
        "login" => (
            GuardedAction::Login,
            FlowKind::Login,
            AccountField::Field("identifier"),
        ),
        "recovery" => (
            GuardedAction::Recovery,
            FlowKind::Recovery,
            AccountField::Field("email"),
        ),
        "registration" => (
            GuardedAction::Registration,
            FlowKind::Registration,
            AccountField::Field("traits.email"),
        ),
        "verification" => (
            GuardedAction::Verification,
            FlowKind::Verification,
            AccountField::Field("email"),
        ),
        "settings" => (GuardedAction::Settings, FlowKind::Settings, AccountField::Session),
        _ => return None,
    })
}

/// The body formats relayed to Kratos.
#[derive(Clone, Copy, PartialEq, Eq)]
enum BodyFormat {
    UrlEncoded,
    Json,
}

fn body_format(headers: &HeaderMap) -> Option<BodyFormat> {
    let content_type = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let media_type = content_type.split(';').next()?.trim().to_ascii_lowercase();
    match media_type.as_str() {
        "application/x-www-form-urlencoded" => Some(BodyFormat::UrlEncoded),
        "application/json" => Some(BodyFormat::Json),
        _ => None,
    }
}

/// The value of `field` in the body; `Err` when the body cannot be read the
/// way Kratos would read it (or names the field twice), so it is refused.
fn field_in(format: BodyFormat, body: &[u8], field: &str) -> Result<Option<String>, ()> {
    match format {
        BodyFormat::UrlEncoded => {
            let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(body).map_err(|_| ())?;
            let mut values = fields.into_iter().filter(|(name, _)| name == field);
            match (values.next(), values.next()) {
                (None, _) => Ok(None),
                (Some((_, value)), None) => Ok(Some(value)),
                (Some(_), Some(_)) => Err(()),
            }
        }
        BodyFormat::Json => {
            let json: serde_json::Value = serde_json::from_slice(body).map_err(|_| ())?;
            let nested = field.split('.').try_fold(&json, |value, key| value.get(key));
            Ok(nested
                .or_else(|| json.get(field))
                .and_then(|value| value.as_str())
                .map(str::to_owned))
        }
    }
}

async fn submit(
    State(state): State<AppState>,
    Extension(ClientIp(client_ip)): Extension<ClientIp>,
    Path(kind): Path<String>,
    Query(query): Query<FlowQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some((action, kind, account_field)) = guarded(&kind) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Some(format) = body_format(&headers) else {
        return StatusCode::UNSUPPORTED_MEDIA_TYPE.into_response();
    };
    let account = match account_field {
        AccountField::Field(field) => match field_in(format, &body, field) {
            Ok(account) => account,
            Err(()) => return StatusCode::BAD_REQUEST.into_response(),
        },
        // Settings are counted per Kratos session: the account is whoever is signed in.
        AccountField::Session => app::cookie_value(&headers, control::identity::KRATOS_SESSION_COOKIE),
    };
    match state
        .control
        .count_attempt(action, client_ip, account.as_deref())
        .await
    {
        Ok(Throttle::Limited { retry_after }) => {
            tracing::warn!(kind = kind.slug(), ip = %client_ip, "attempt refused: rate limit");
            let seconds = retry_after.whole_seconds();
            if format == BodyFormat::Json {
                let mut refused = StatusCode::TOO_MANY_REQUESTS.into_response();
                if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
                    refused.headers_mut().insert(header::RETRY_AFTER, value);
                }
                return refused;
            }
            return Redirect::to(&format!(
                "{}?flow={}&retry_after={seconds}",
                app::routes::flow(kind),
                encode(&query.flow),
            ))
            .into_response();
        }
        Ok(Throttle::Slowed { delay }) => {
            tracing::info!(kind = kind.slug(), delay = %delay, "attempt slowed: account tried from many places");
            tokio::time::sleep(delay.unsigned_abs()).await;
        }
        Ok(Throttle::Allowed) => {}
        // Without a count, nothing stops guessing: refuse rather than relay.
        Err(error) => {
            tracing::error!(%error, kind = kind.slug(), "cannot count an attempt: refused");
            if format == BodyFormat::Json {
                return StatusCode::SERVICE_UNAVAILABLE.into_response();
            }
            return Redirect::to(&app::routes::auth_error(app::routes::AuthFailure::Uncounted))
                .into_response();
        }
    }
    let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    let form = RelayedForm {
        cookie: text(header::COOKIE),
        content_type: text(header::CONTENT_TYPE).unwrap_or("application/x-www-form-urlencoded"),
        accept: text(header::ACCEPT),
        user_agent: text(header::USER_AGENT),
        client_ip,
        body: body.to_vec(),
    };
    let answer = match state.control.kratos() {
        Ok(kratos) => kratos.submit_browser_form(kind, &query.flow, form).await,
        Err(error) => Err(error),
    };
    let mut answer = match answer {
        Ok(answer) => answer,
        Err(error) => {
            tracing::error!(%error, "cannot relay a form to Kratos");
            return Redirect::to(&app::routes::auth_error(app::routes::AuthFailure::Unavailable))
                .into_response();
        }
    };
    if kind == FlowKind::Login {
        onward_from_sign_in(&state, text(header::COOKIE), &mut answer).await;
    }
    let mut response = Response::new(Body::from(answer.body));
    *response.status_mut() = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_GATEWAY);
    let relayed = response.headers_mut();
    for (name, value) in [
        (header::LOCATION, answer.location),
        (header::CONTENT_TYPE, answer.content_type),
    ] {
        if let Some(value) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
            relayed.insert(name, value);
        }
    }
    for cookie in answer.set_cookies {
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            relayed.append(header::SET_COOKIE, value);
        }
    }
    response
}

/// Signed in, the browser is sent back to the login page to answer
/// Hydra's challenge: answered here instead, with the cookies Kratos has
/// just set, it goes straight on (to Hydra, or wherever that page would
/// send it). Whatever this cannot settle is left to the page.
async fn onward_from_sign_in(state: &AppState, browser_cookie: Option<&str>, answer: &mut RelayedAnswer) {
    let Some(location) = answer
        .location
        .as_deref()
        .filter(|_| (300..400).contains(&answer.status))
    else {
        return;
    };
    let cookie = control::identity::cookies_after(browser_cookie, &answer.set_cookies);
    match state.control.login_after_sign_in(location, &cookie).await {
        Ok(Some(onward)) => {
            answer.location = Some(onward);
            // Kratos' body names the page no longer gone to.
            answer.body.clear();
            answer.content_type = None;
        }
        Ok(None) => {}
        Err(error) => {
            tracing::warn!(%error, "cannot answer a login challenge after signing in: left to the login page");
        }
    }
}

fn encode(value: &str) -> String {
    value
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_account_is_read_from_urlencoded_and_json_bodies() {
        let form = BodyFormat::UrlEncoded;
        assert_eq!(
            field_in(form, b"identifier=a%40b.c&password=x", "identifier")
                .unwrap()
                .as_deref(),
            Some("a@b.c")
        );
        assert!(field_in(form, b"identifier=a&identifier=b", "identifier").is_err());
        let json = BodyFormat::Json;
        assert_eq!(
            field_in(json, br#"{"identifier":"a@b.c","password":"x"}"#, "identifier")
                .unwrap()
                .as_deref(),
            Some("a@b.c")
        );
        assert_eq!(
            field_in(json, br#"{"traits":{"email":"a@b.c"}}"#, "traits.email")
                .unwrap()
                .as_deref(),
            Some("a@b.c")
        );
        assert!(field_in(json, b"not json", "identifier").is_err());
    }

    #[test]
    fn only_urlencoded_and_json_bodies_are_relayed() {
        let with = |content_type: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_str(content_type).unwrap());
            body_format(&headers)
        };
        assert!(with("application/x-www-form-urlencoded; charset=UTF-8") == Some(BodyFormat::UrlEncoded));
        assert!(with("Application/JSON") == Some(BodyFormat::Json));
        assert!(with("multipart/form-data; boundary=x").is_none());
        assert!(body_format(&HeaderMap::new()).is_none());
    }
}
