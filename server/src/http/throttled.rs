//! Sign-in and recovery forms post here rather than straight to Kratos: each
//! attempt is counted per IP address and per account (`control::throttle`),
//! then relayed to Kratos with the browser's cookies, and Kratos' answer
//! (its redirect, its cookies) handed back. Over a limit, the browser goes
//! back to the form with the time to wait.

use std::net::SocketAddr;

use axum::{
    body::{Body, Bytes},
    extract::{ConnectInfo, Path, Query, State},
    response::{IntoResponse, Redirect, Response},
    routing::post,
    Router,
};
use control::{
    domain::FlowKind,
    identity::RelayedForm,
    throttle::{GuardedAction, Throttle},
};
use http::{header, HeaderMap, HeaderValue, StatusCode};
use serde::Deserialize;

use super::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/auth/submit/{kind}", post(submit))
}

#[derive(Deserialize)]
struct FlowQuery {
    flow: String,
}

async fn submit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(kind): Path<String>,
    Query(query): Query<FlowQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (action, kind, account_field) = match kind.as_str() {
        "login" => (GuardedAction::Login, FlowKind::Login, "identifier"),
        "recovery" => (GuardedAction::Recovery, FlowKind::Recovery, "email"),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let account = fields
        .iter()
        .find(|(name, _)| name == account_field)
        .map(|(_, value)| value.as_str());
    match state.control.count_attempt(action, peer.ip(), account).await {
        Ok(Throttle::Limited { retry_after }) => {
            tracing::warn!(kind = kind.slug(), ip = %peer.ip(), "attempt refused: rate limit");
            return Redirect::to(&format!(
                "/auth/{}?flow={}&retry_after={}",
                kind.slug(),
                encode(&query.flow),
                retry_after.whole_seconds()
            ))
            .into_response();
        }
        Ok(Throttle::Allowed) => {}
        // Counting failed: let the attempt through rather than lock everyone out.
        Err(error) => tracing::error!(%error, "cannot count a sign-in attempt"),
    }
    let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    let form = RelayedForm {
        cookie: text(header::COOKIE),
        content_type: text(header::CONTENT_TYPE).unwrap_or("application/x-www-form-urlencoded"),
        accept: text(header::ACCEPT),
        user_agent: text(header::USER_AGENT),
        client_ip: peer.ip(),
        body: body.to_vec(),
    };
    let answer = match state.control.kratos() {
        Ok(kratos) => kratos.submit_browser_form(kind, &query.flow, form).await,
        Err(error) => Err(error),
    };
    let answer = match answer {
        Ok(answer) => answer,
        Err(error) => {
            tracing::error!(%error, "cannot relay a form to Kratos");
            return Redirect::to("/auth/error?reason=unavailable").into_response();
        }
    };
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

fn encode(value: &str) -> String {
    value
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect()
}
