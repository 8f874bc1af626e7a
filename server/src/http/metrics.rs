//! Prometheus metrics (operations listener only): request counts and
//! latency histograms by route (the matched route pattern, never the raw
//! path, to bound cardinality), and the jobs': queue depth by state, step
//! durations by step, failed attempts by backend.

use std::{sync::Arc, time::Instant};

use axum::{
    body::Body,
    extract::{MatchedPath, State},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    Router,
};
use http::{header, Request, StatusCode};
use prometheus_client::{
    collector::Collector,
    encoding::{text::encode, DescriptorEncoder, EncodeLabelSet, NoLabelSet},
    metrics::{counter::Counter, family::Family, histogram::Histogram, MetricType},
    registry::Registry,
};

use super::AppState;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

type LatencyFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

/// What became of a page that may be kept whole (`kept_documents`).
#[derive(Clone, Copy, Debug)]
pub(crate) enum KeptOutcome {
    /// Served from a kept document, nothing rendered.
    Served,
    /// Rendered and kept.
    Kept,
    /// Rendered and not kept (not the page it should be, or it set a cookie).
    Rendered,
}

impl KeptOutcome {
    fn label(self) -> &'static str {
        match self {
            Self::Served => "served",
            Self::Kept => "kept",
            Self::Rendered => "rendered",
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KeptLabels {
    outcome: &'static str,
}

pub(crate) struct HttpMetrics {
    requests: Family<RequestLabels, Counter>,
    latency: LatencyFamily,
    kept_documents: Family<KeptLabels, Counter>,
}

fn latency_histogram() -> Histogram {
    // 1 ms to ~8 s.
    Histogram::new([
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 8.0,
    ])
}

impl Default for HttpMetrics {
    fn default() -> Self {
        Self {
            requests: Family::<RequestLabels, Counter>::default(),
            latency: Family::new_with_constructor(latency_histogram),
            kept_documents: Family::default(),
        }
    }
}

impl HttpMetrics {
    pub(crate) fn kept_document(&self, outcome: KeptOutcome) {
        self.kept_documents
            .get_or_create(&KeptLabels {
                outcome: outcome.label(),
            })
            .inc();
    }

    fn observe(&self, method: &str, route: &str, status: StatusCode, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                status: status.as_u16(),
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                method: method.to_owned(),
                route: route.to_owned(),
            })
            .observe(seconds);
    }
}

/// Wraps `router` so that every request is counted and timed.
pub(super) fn layer(metrics: Arc<HttpMetrics>, router: Router) -> Router {
    router.layer(middleware::from_fn_with_state(metrics, track))
}

async fn track(State(metrics): State<Arc<HttpMetrics>>, request: Request<Body>, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(request.method()).to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let response = next.run(request).await;
    metrics.observe(
        &method,
        &route,
        response.status(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// The method as a label: HTTP's own methods by name, any other (a client
/// may send any token) as `OTHER`, so that the label set, like the route's,
/// stays bounded whatever the requests.
fn method_label(method: &http::Method) -> &'static str {
    const KNOWN: [&str; 9] = [
        "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE",
    ];
    KNOWN
        .into_iter()
        .find(|known| *known == method.as_str())
        .unwrap_or("OTHER")
}

/// The jobs' metrics as of this scrape.
#[derive(Debug)]
struct JobCollector {
    queue_depth: Vec<(&'static str, i64)>,
    recorded: control::jobs::metrics::JobMetrics,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StepLabels {
    step: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BackendLabels {
    backend: String,
}

impl Collector for JobCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        {
            let mut depth = encoder.encode_descriptor(
                "jobs_queue_depth",
                "Jobs not settled yet, by state (the whole queue, every replica's)",
                None,
                MetricType::Gauge,
            )?;
            for (state, count) in &self.queue_depth {
                depth.encode_family(&StateLabels { state })?.encode_gauge(count)?;
            }
        }
        {
            let mut durations = encoder.encode_descriptor(
                "job_step_duration_seconds",
                "Time one attempt of a step took on this replica, by step",
                None,
                MetricType::Histogram,
            )?;
            for (step, recorded) in &self.recorded.steps {
                let mut buckets: Vec<(f64, u64)> = control::jobs::metrics::STEP_BUCKETS
                    .iter()
                    .copied()
                    .zip(recorded.buckets.iter().copied())
                    .collect();
                let slower = recorded
                    .count
                    .saturating_sub(buckets.iter().map(|(_, n)| n).sum::<u64>());
                buckets.push((f64::MAX, slower));
                durations
                    .encode_family(&StepLabels { step: step.clone() })?
                    .encode_histogram::<NoLabelSet>(recorded.sum_seconds, recorded.count, &buckets, None)?;
            }
        }
        let mut failures = encoder.encode_descriptor(
            "job_step_failures",
            "Failed attempts of job steps on this replica, by the backend that failed",
            None,
            MetricType::Counter,
        )?;
        for (backend, count) in &self.recorded.failures_by_backend {
            failures
                .encode_family(&BackendLabels {
                    backend: backend.clone(),
                })?
                .encode_counter::<NoLabelSet, _, u64>(count, None)?;
        }
        Ok(())
    }
}

pub(super) async fn export(State(state): State<AppState>) -> Response {
    let queue_depth = match state.control.job_queue_depth().await {
        Ok(depth) => depth.into_iter().map(|(state, n)| (state.as_str(), n)).collect(),
        Err(error) => {
            tracing::warn!(%error, "metrics: cannot count the job queue");
            Vec::new()
        }
    };
    let mut registry = Registry::default();
    registry.register(
        "http_requests",
        "HTTP requests answered",
        state.metrics.requests.clone(),
    );
    registry.register(
        "http_request_duration_seconds",
        "Time to produce the response head",
        state.metrics.latency.clone(),
    );
    registry.register(
        "kept_documents",
        "Pages that may be kept whole: served kept, rendered and kept, or rendered only",
        state.metrics.kept_documents.clone(),
    );
    registry.register_collector(Box::new(JobCollector {
        queue_depth,
        recorded: control::jobs::metrics::snapshot(),
    }));
    let mut body = String::new();
    if encode(&mut body, &registry).is_err() {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_method_a_client_invents_is_one_label() {
        let invented = |name: &str| http::Method::from_bytes(name.as_bytes()).unwrap();
        assert_eq!(method_label(&http::Method::GET), "GET");
        assert_eq!(method_label(&http::Method::PATCH), "PATCH");
        assert_eq!(method_label(&invented("PROPFIND")), "OTHER");
        assert_eq!(method_label(&invented("X-1234")), "OTHER");
    }

    #[test]
    fn the_label_sets_stay_bounded_whatever_the_requests() {
        let metrics = HttpMetrics::default();
        for n in 0..1000 {
            let method = http::Method::from_bytes(format!("M{n}").as_bytes()).unwrap();
            metrics.observe(method_label(&method), "unmatched", StatusCode::NOT_FOUND, 0.001);
        }
        let mut registry = Registry::default();
        registry.register("http_requests", "", metrics.requests.clone());
        let mut text = String::new();
        encode(&mut text, &registry).unwrap();
        assert_eq!(text.matches("method=\"OTHER\"").count(), 1, "{text}");
    }
}
