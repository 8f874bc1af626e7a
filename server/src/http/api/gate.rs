//! What every API request goes through before its handler: its token is
//! checked once (the caller goes into the request for [`ApiCaller`]), its
//! client's rate is counted (`RateLimit-Policy`, `RateLimit`, and 429 with
//! `Retry-After` past it), and a POST with `Idempotency-Key` is answered
//! once (`control::api_idempotency` keeps the answer 24 hours).

use super::texts::ApiMsg;
use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

use axum::{
    body::{to_bytes, Body},
    extract::{Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
};
use control::identity::api_idempotency::{Claim, StoredAnswer};
use http::{header, HeaderName, HeaderValue, Method, StatusCode};

use super::{
    auth::ApiCaller,
    problem::{Problem, ProblemKind},
};
use crate::http::AppState;

/// What the gate needs: the portal's state and the rates it counts.
#[derive(Clone)]
pub(super) struct Gate {
    pub state: AppState,
    pub rates: Arc<RateCounter>,
}

/// What an answer that shows a secret keeps for its replays instead (the
/// same answer without the secret).
#[derive(Clone)]
pub(super) struct KeepInstead(pub Vec<u8>);

/// The window requests are counted in (the quota is configured).
const RATE_WINDOW: Duration = Duration::from_secs(60);
/// Clients counted at most (per replica); the oldest windows go first.
const CLIENTS_COUNTED: usize = 10_000;
/// Bodies read at most to compare an idempotent request (1 MiB).
const MAX_BODY: usize = 1 << 20;

const RATE_LIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
const RATE_LIMIT: HeaderName = HeaderName::from_static("ratelimit");
const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");

/// Requests counted per client in the current window (fixed windows, per
/// replica: N replicas allow up to N × the quota, ARCHITECTURE.md says so).
pub(crate) struct RateCounter {
    quota: u32,
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl RateCounter {
    /// A counter allowing `quota` requests per client and window.
    pub(crate) fn new(quota: u32) -> Self {
        Self {
            quota,
            windows: Mutex::default(),
        }
    }

    /// Counts a request of `client`; its remaining requests and the
    /// seconds until its window ends, or `Err(seconds)` when over.
    fn count(&self, client: &str, now: Instant) -> Result<(u32, u64), u64> {
        let mut windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        if windows.len() >= CLIENTS_COUNTED && !windows.contains_key(client) {
            windows.retain(|_, (start, _)| now.duration_since(*start) < RATE_WINDOW);
            // Still full: every count starts again rather than memory growing.
            if windows.len() >= CLIENTS_COUNTED {
                windows.clear();
            }
        }
        let (start, used) = windows.entry(client.to_owned()).or_insert((now, 0));
        if now.duration_since(*start) >= RATE_WINDOW {
            *start = now;
            *used = 0;
        }
        let left = RATE_WINDOW
            .saturating_sub(now.duration_since(*start))
            .as_secs()
            .max(1);
        if *used >= self.quota {
            return Err(left);
        }
        *used += 1;
        Ok((self.quota - *used, left))
    }
}

/// The gate (see the module's comment).
pub(super) async fn gate(
    State(Gate { state, rates }): State<Gate>,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    // No stored text holds U+0000 (and PostgreSQL refuses it in a query):
    // a path naming it names nothing; a query holding it cannot be read.
    let locale = super::auth::locale_of(&parts);
    if parts.uri.path().contains("%00") {
        return Problem::refused(&control::domain::Refusal::NotFound, locale).into_response();
    }
    if parts.uri.query().is_some_and(|query| query.contains("%00")) {
        return Problem::new(ProblemKind::BadRequest, ApiMsg::NulCharacter.text(locale)).into_response();
    }
    let api = match ApiCaller::check(&parts, &state).await {
        Ok(Some(api)) => api,
        // No token: the public routes answer, the others refuse it.
        Ok(None) => return next.run(Request::from_parts(parts, body)).await,
        Err(problem) => return problem.into_response(),
    };
    let client = api.caller.identity_id.clone();
    let (remaining, reset) = match rates.count(&client, Instant::now()) {
        Ok(counted) => counted,
        Err(wait) => {
            let mut refused = Problem::new(ProblemKind::RateLimited, ApiMsg::RateLimited.text(api.locale))
                .retry_after(wait)
                .into_response();
            rate_headers(&mut refused, rates.quota, 0, wait);
            return refused;
        }
    };
    let key = parts
        .headers
        .get(&IDEMPOTENCY_KEY)
        .and_then(|value| value.to_str().ok())
        .map(|key| key.trim().trim_matches('"').to_owned());
    let locale = api.locale;
    parts.extensions.insert(api);
    let mut response = match key {
        Some(key) if parts.method == Method::POST => {
            once(&state, &client, &key, locale, parts, body, next).await
        }
        _ => next.run(Request::from_parts(parts, body)).await,
    };
    rate_headers(&mut response, rates.quota, remaining, reset);
    response
}

fn rate_headers(response: &mut Response, quota: u32, remaining: u32, reset: u64) {
    let headers = response.headers_mut();
    if let Ok(policy) =
        HeaderValue::from_str(&format!("\"per-client\";q={quota};w={}", RATE_WINDOW.as_secs()))
    {
        headers.insert(RATE_LIMIT_POLICY, policy);
    }
    if let Ok(state) = HeaderValue::from_str(&format!("\"per-client\";r={remaining};t={reset}")) {
        headers.insert(RATE_LIMIT, state);
    }
}

/// A POST with an `Idempotency-Key`: run once, its answer replayed.
async fn once(
    state: &AppState,
    client: &str,
    key: &str,
    locale: control::domain::Locale,
    parts: http::request::Parts,
    body: Body,
    next: Next,
) -> Response {
    let Ok(bytes) = to_bytes(body, MAX_BODY).await else {
        return Problem::new(ProblemKind::BadRequest, ApiMsg::BadBody.text(locale)).into_response();
    };
    let request = format!("{} {}", parts.method, parts.uri.path());
    let claim = state
        .control
        .claim_idempotency_key(client, key, &request, &bytes)
        .await;
    match claim {
        Err(error) => Problem::internal(&error).into_response(),
        Ok(Claim::Reused) => Problem::new(
            ProblemKind::IdempotencyKeyReused,
            ApiMsg::IdempotencyReused.text(locale),
        )
        .into_response(),
        Ok(Claim::InFlight) => Problem::new(
            ProblemKind::IdempotencyKeyInFlight,
            ApiMsg::IdempotencyInFlight.text(locale),
        )
        .retry_after(1)
        .into_response(),
        Ok(Claim::Answered(stored)) => replay(stored),
        Ok(Claim::Invalid) => Problem::new(
            ProblemKind::BadRequest,
            ApiMsg::IdempotencyKeyInvalid.text(locale),
        )
        .into_response(),
        Ok(Claim::First(claimed)) => {
            let response = next.run(Request::from_parts(parts, Body::from(bytes))).await;
            let (parts, body) = response.into_parts();
            let Ok(body) = to_bytes(body, usize::MAX).await else {
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            };
            let kept_body = match parts.extensions.get::<KeepInstead>() {
                Some(KeepInstead(instead)) => instead.clone(),
                None => body.to_vec(),
            };
            let stored = StoredAnswer {
                status: parts.status.as_u16(),
                content_type: header_text(&parts.headers, header::CONTENT_TYPE),
                location: header_text(&parts.headers, header::LOCATION),
                etag: header_text(&parts.headers, header::ETAG),
                body: kept_body,
            };
            // A failure is not kept: the same request may be tried again.
            let kept = if parts.status.is_server_error() {
                state.control.release_idempotency_key(claimed).await
            } else {
                state.control.keep_idempotent_answer(claimed, &stored).await
            };
            if let Err(error) = kept {
                tracing::warn!(%error, "cannot keep an idempotent answer");
            }
            Response::from_parts(parts, Body::from(body))
        }
    }
}

fn header_text(headers: &http::HeaderMap, name: HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

/// The answer kept for a key, again.
fn replay(stored: StoredAnswer) -> Response {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let mut response = (status, stored.body).into_response();
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_TYPE, stored.content_type),
        (header::LOCATION, stored.location),
        (header::ETAG, stored.etag),
    ] {
        if let Some(value) = value.and_then(|value| HeaderValue::from_str(&value).ok()) {
            headers.insert(name, value);
        }
    }
    headers.insert(
        HeaderName::from_static("idempotent-replayed"),
        HeaderValue::from_static("true"),
    );
    response
}

impl std::fmt::Debug for RateCounter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateCounter").finish_non_exhaustive()
    }
}
