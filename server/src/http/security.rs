//! Layers every response goes through: request ids, tracing, security
//! headers, compression and a bilingual 500 if a handler panics.

use std::any::Any;

use axum::{body::Body, Router};
use http::{header, HeaderName, HeaderValue, Request, Response};
use tower::ServiceBuilder;
use tower_http::{
    catch_panic::CatchPanicLayer,
    compression::CompressionLayer,
    request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer},
    set_header::SetResponseHeaderLayer,
    trace::{DefaultOnResponse, TraceLayer},
    LatencyUnit,
};

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Pages set their own CSP with a script nonce; this one covers everything else.
const DEFAULT_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

pub(super) fn layers(router: Router, tls: bool) -> Router {
    let headers = ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(DEFAULT_CSP),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("permissions-policy"),
            HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            tls.then(|| HeaderValue::from_static("max-age=63072000; includeSubDomains")),
        ));
    let router = router
        .layer(CompressionLayer::new())
        .layer(headers)
        .layer(CatchPanicLayer::custom(panic_response));
    router.layer(
        ServiceBuilder::new()
            .layer(SetRequestIdLayer::new(REQUEST_ID, RequestIds::new()))
            .layer(
                TraceLayer::new_for_http()
                    .make_span_with(|request: &Request<Body>| {
                        let request_id = request
                            .extensions()
                            .get::<RequestId>()
                            .and_then(|id| id.header_value().to_str().ok())
                            .unwrap_or_default();
                        tracing::info_span!(
                            "request",
                            method = %request.method(),
                            path = %loggable_path(request.uri().path()),
                            request_id = %request_id,
                        )
                    })
                    // Each response's duration, at debug level, in microseconds: the
                    // benchmark reads the portal's share of a sign-in from them.
                    .on_response(DefaultOnResponse::new().latency_unit(LatencyUnit::Micros)),
            )
            .layer(PropagateRequestIdLayer::new(REQUEST_ID)),
    )
}

/// Request ids: UUIDs (version 4 in form) that only need to be unique, not
/// unguessable, so they come from a counter started at a random point and
/// mixed (SplitMix64), not from the system's random source, which costs a
/// system call per request.
#[derive(Clone)]
struct RequestIds(std::sync::Arc<std::sync::atomic::AtomicU64>);

impl RequestIds {
    fn new() -> Self {
        // A random start, so that two processes do not repeat each other's ids.
        let (start, _) = uuid::Uuid::new_v4().as_u64_pair();
        Self(std::sync::Arc::new(std::sync::atomic::AtomicU64::new(start)))
    }

    fn next(&self) -> u64 {
        const GOLDEN_GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut z = self
            .0
            .fetch_add(GOLDEN_GAMMA, std::sync::atomic::Ordering::Relaxed)
            .wrapping_add(GOLDEN_GAMMA);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

impl MakeRequestId for RequestIds {
    fn make_request_id<B>(&mut self, _request: &Request<B>) -> Option<RequestId> {
        let high = u128::from(self.next()) << 64;
        let bytes = (high | u128::from(self.next())).to_be_bytes();
        let id = uuid::Builder::from_random_bytes(bytes).into_uuid();
        let text = id
            .hyphenated()
            .encode_lower(&mut uuid::Uuid::encode_buffer())
            .to_owned();
        HeaderValue::from_str(&text).ok().map(RequestId::new)
    }
}

/// `Cache-Control: no-store` on every portal response that did not say
/// otherwise (pages, server functions, exports, redirects): what a signed-in
/// person saw must not stay in a shared or browser cache. Static assets are
/// served outside this layer and keep their long caching.
pub(super) fn no_store() -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))
}

/// A path as logs may keep it: an invitation's token is a secret (whoever
/// holds it joins the organization), so it is left out.
pub(crate) fn loggable_path(path: &str) -> std::borrow::Cow<'_, str> {
    match path.strip_prefix("/invitations/") {
        Some(rest) if !rest.starts_with("pending") => {
            let after_token = rest.find('/').map_or("", |slash| &rest[slash..]);
            format!("/invitations/<token>{after_token}").into()
        }
        _ => path.into(),
    }
}

/// A handler panicked: log it, answer a plain page in both languages.
fn panic_response(_payload: Box<dyn Any + Send + 'static>) -> Response<Body> {
    tracing::error!("a request handler panicked");
    let body = "<!DOCTYPE html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Erreur / Error</title></head>\
        <body><h1>Une erreur est survenue</h1><p>Réessayez dans un instant.</p>\
        <h1 lang=\"en\">Something went wrong</h1><p lang=\"en\">Please try again in a moment.</p></body></html>";
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::loggable_path;

    #[test]
    fn invitation_tokens_stay_out_of_the_logs() {
        assert_eq!(
            loggable_path("/invitations/abc123/accept"),
            "/invitations/<token>/accept"
        );
        assert_eq!(loggable_path("/invitations/abc123"), "/invitations/<token>");
        assert_eq!(loggable_path("/orgs/acme"), "/orgs/acme");
    }
}
