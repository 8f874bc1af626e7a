//! `sim kubernetes`: a Kubernetes API server for the kinds Bibind's
//! provisioning writes (namespaces, quotas, limits, network policies,
//! secrets, services, workloads, ingresses), kept in memory. Paths, status
//! codes and `Status` error bodies follow the API server; what a real
//! cluster's controllers do is modelled where a client sees it (see
//! `cluster` and `quota`, and sim/README.md for what is left out).

mod cluster;
mod kinds;
mod metrics;
mod quota;
mod selectors;
mod status;

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    body::Bytes,
    extract::{Query, State},
    http::{header::CONTENT_TYPE, HeaderMap, Method, StatusCode, Uri},
    response::{IntoResponse, Response},
    routing::{get, put},
    Json, Router,
};
use serde_json::{json, Value};

use crate::faults::Faults;
use cluster::{Cluster, ListOptions};
use kinds::Kind;
use selectors::{FieldSelector, LabelSelector};
use status::ApiError;

/// How the simulated cluster behaves.
#[derive(Clone, Debug)]
pub struct Settings {
    /// How long a deleted namespace stays `Terminating` before it is gone.
    pub termination_delay: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            termination_delay: Duration::from_millis(500),
        }
    }
}

#[derive(clap::Args, Debug)]
pub struct Options {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:6443")]
    listen: SocketAddr,
    /// How long a deleted namespace stays Terminating, in milliseconds.
    #[arg(long, default_value_t = 2000)]
    termination_ms: u64,
}

pub async fn run(options: Options) -> Result<(), String> {
    let settings = Settings {
        termination_delay: Duration::from_millis(options.termination_ms),
    };
    crate::serve_forever(router_with(Faults::default(), settings), options.listen).await
}

#[derive(Clone)]
struct Simulator {
    cluster: Arc<Mutex<Cluster>>,
    faults: Faults,
    loads: metrics::Loads,
}

impl Simulator {
    /// The cluster, with the namespaces whose time has come removed.
    fn cluster(&self) -> std::sync::MutexGuard<'_, Cluster> {
        let mut cluster = crate::locked(&self.cluster);
        cluster.sweep(Instant::now());
        cluster
    }
}

/// The simulator with default [`Settings`], fault routes included.
pub fn router(faults: Faults) -> Router {
    router_with(faults, Settings::default())
}

pub fn router_with(faults: Faults, settings: Settings) -> Router {
    let simulator = Simulator {
        cluster: Arc::new(Mutex::new(Cluster::new(settings.termination_delay))),
        faults: faults.clone(),
        loads: metrics::Loads::default(),
    };
    let consumption = Router::new()
        .route("/_sim/consumption/{namespace}", put(metrics::set_load))
        .with_state(simulator.loads.clone());
    Router::new()
        .route("/version", get(version))
        .fallback(dispatch)
        .with_state(simulator)
        .merge(faults.routes())
        .merge(consumption)
}

async fn version(State(simulator): State<Simulator>) -> Response {
    if let Some(status) = simulator.faults.failure("get_version").await {
        return ApiError::injected(status).into_response();
    }
    Json(json!({
        "major": "1", "minor": "33", "gitVersion": "v1.33.0-bibind-sim", "gitCommit": "simulated",
        "gitTreeState": "clean", "buildDate": "2025-04-23T00:00:00Z", "goVersion": "go1.24.2",
        "compiler": "gc", "platform": "linux/amd64",
    }))
    .into_response()
}

/// A request resolved against the kind table.
struct Target {
    kind: &'static Kind,
    /// `None`: cluster-scoped, or a list across namespaces.
    namespace: Option<String>,
    name: Option<String>,
}

/// `/api/v1/…` or `/apis/{group}/{version}/…`, then
/// `[namespaces/{ns}/]{plural}[/{name}]`.
fn resolve(path: &str) -> Result<Target, ApiError> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, version, rest) = match segments.as_slice() {
        ["api", version, rest @ ..] => ("", *version, rest),
        ["apis", group, version, rest @ ..] => (*group, *version, rest),
        _ => return Err(ApiError::no_route()),
    };
    let lookup = |plural: &str| kinds::find(group, version, plural).ok_or_else(ApiError::no_route);
    let target = match rest {
        [plural] => Target {
            kind: lookup(plural)?,
            namespace: None,
            name: None,
        },
        ["namespaces", namespace, plural] => Target {
            kind: lookup(plural)?,
            namespace: Some((*namespace).to_owned()),
            name: None,
        },
        ["namespaces", namespace, plural, name] => Target {
            kind: lookup(plural)?,
            namespace: Some((*namespace).to_owned()),
            name: Some((*name).to_owned()),
        },
        [plural, name] => Target {
            kind: lookup(plural)?,
            namespace: None,
            name: Some((*name).to_owned()),
        },
        _ => return Err(ApiError::no_route()),
    };
    // A namespaced kind's object needs its namespace; a cluster-scoped one has none.
    let misplaced = match (&target.namespace, &target.name) {
        (Some(_), _) => !target.kind.namespaced,
        (None, Some(_)) => target.kind.namespaced,
        (None, None) => false,
    };
    if misplaced {
        return Err(ApiError::no_route());
    }
    Ok(target)
}

fn list_options(query: &[(String, String)]) -> Result<ListOptions, ApiError> {
    let mut options = ListOptions::default();
    for (key, value) in query {
        match key.as_str() {
            "labelSelector" => options.labels = LabelSelector::parse(value)?,
            "fieldSelector" => options.fields = FieldSelector::parse(value)?,
            "limit" => options.limit = value.parse().ok(),
            "continue" if !value.is_empty() => options.continue_after = Some(value.clone()),
            "watch" if value == "true" || value == "1" => {
                return Err(ApiError::bad_request("watch is not simulated"));
            }
            _ => {}
        }
    }
    Ok(options)
}

fn parse_body(body: &Bytes) -> Result<Value, ApiError> {
    if body.is_empty() {
        return Ok(json!({}));
    }
    serde_json::from_slice(body)
        .map_err(|error| ApiError::bad_request(format!("unable to decode the request body: {error}")))
}

fn apply_patch(current: Value, content_type: &str, patch: Value) -> Result<Value, ApiError> {
    let mut patched = current;
    match content_type {
        "application/merge-patch+json" => {
            json_patch::merge(&mut patched, &patch);
            Ok(patched)
        }
        "application/json-patch+json" => {
            let operations: json_patch::Patch = serde_json::from_value(patch)
                .map_err(|error| ApiError::bad_request(format!("invalid JSON patch: {error}")))?;
            json_patch::patch(&mut patched, &operations).map_err(|error| ApiError {
                code: 422,
                reason: "Invalid",
                message: format!("the server rejected our request due to an error in our request: {error}"),
                details: None,
            })?;
            Ok(patched)
        }
        other => Err(ApiError::unsupported_media_type(other)),
    }
}

/// Every resource request: resolve, inject faults, run against the cluster.
async fn dispatch(
    State(simulator): State<Simulator>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(answer) = measured(&simulator, &method, &uri).await {
        return answer.unwrap_or_else(IntoResponse::into_response);
    }
    let target = match resolve(uri.path()) {
        Ok(target) => target,
        Err(error) => return error.into_response(),
    };
    let verb = match (&method, target.name.is_some()) {
        (&Method::GET, false) => "list",
        (&Method::POST, false) => "create",
        (&Method::GET, true) => "get",
        (&Method::PUT, true) => "replace",
        (&Method::PATCH, true) => "patch",
        (&Method::DELETE, true) => "delete",
        _ => return ApiError::method_not_allowed(method.as_str()).into_response(),
    };
    let operation = format!("{verb}_{}", target.kind.operation);
    if let Some(status) = simulator.faults.failure(&operation).await {
        return ApiError::injected(status).into_response();
    }
    let query: Vec<(String, String)> = Query::try_from_uri(&uri)
        .map(|Query(pairs)| pairs)
        .unwrap_or_default();
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .unwrap_or("application/json")
        .trim()
        .to_owned();
    match perform(&simulator, verb, &target, &query, &content_type, &body) {
        Ok((status, object)) => (status, Json(object)).into_response(),
        Err(error) => error.into_response(),
    }
}

fn perform(
    simulator: &Simulator,
    verb: &str,
    target: &Target,
    query: &[(String, String)],
    content_type: &str,
    body: &Bytes,
) -> Result<(StatusCode, Value), ApiError> {
    let kind = target.kind;
    let namespace = target.namespace.as_deref().unwrap_or("");
    let name = target.name.as_deref().unwrap_or("");
    match verb {
        "list" => {
            let options = list_options(query)?;
            let list = simulator
                .cluster()
                .list(kind, target.namespace.as_deref(), &options)?;
            Ok((StatusCode::OK, list))
        }
        "create" => {
            let object = parse_body(body)?;
            let created = simulator.cluster().create(kind, namespace, object)?;
            Ok((StatusCode::CREATED, created))
        }
        "get" => Ok((StatusCode::OK, simulator.cluster().get(kind, namespace, name)?)),
        "replace" => {
            let object = parse_body(body)?;
            Ok((
                StatusCode::OK,
                simulator.cluster().update(kind, namespace, name, object)?,
            ))
        }
        "patch" => {
            let patch = parse_body(body)?;
            let mut cluster = simulator.cluster();
            let current = cluster.get(kind, namespace, name)?;
            let patched = apply_patch(current, content_type, patch)?;
            Ok((StatusCode::OK, cluster.update(kind, namespace, name, patched)?))
        }
        _ => {
            let options = parse_body(body)?;
            Ok((
                StatusCode::OK,
                simulator.cluster().delete(kind, namespace, name, &options)?,
            ))
        }
    }
}

/// A read of what the cluster runs and measures (pods, nodes, PodMetrics,
/// a node's Summary), or `None` for the stored kinds.
async fn measured(simulator: &Simulator, method: &Method, uri: &Uri) -> Option<Result<Response, ApiError>> {
    let segments: Vec<&str> = uri.path().trim_matches('/').split('/').collect();
    let (operation, namespace, name) = match segments.as_slice() {
        ["api", "v1", "pods"] => ("list_pod", None, None),
        ["api", "v1", "namespaces", namespace, "pods"] => ("list_pod", Some(*namespace), None),
        ["api", "v1", "namespaces", namespace, "pods", name] => ("get_pod", Some(*namespace), Some(*name)),
        ["apis", "metrics.k8s.io", "v1beta1", "pods"] => ("list_pod_metrics", None, None),
        ["apis", "metrics.k8s.io", "v1beta1", "namespaces", namespace, "pods"] => {
            ("list_pod_metrics", Some(*namespace), None)
        }
        ["apis", "metrics.k8s.io", "v1beta1", "namespaces", namespace, "pods", name] => {
            ("get_pod_metrics", Some(*namespace), Some(*name))
        }
        ["api", "v1", "nodes"] => ("list_node", None, None),
        ["api", "v1", "nodes", name] => ("get_node", None, Some(*name)),
        ["api", "v1", "nodes", name, "proxy", "stats", "summary"] => ("get_node_summary", None, Some(*name)),
        _ => return None,
    };
    if method != Method::GET {
        return Some(Err(ApiError::method_not_allowed(method.as_str())));
    }
    if let Some(status) = simulator.faults.failure(operation).await {
        return Some(Err(ApiError::injected(status)));
    }
    let query: Vec<(String, String)> = Query::try_from_uri(uri)
        .map(|Query(pairs)| pairs)
        .unwrap_or_default();
    Some(
        answer_measured(simulator, operation, namespace, name, &query).map(|body| Json(body).into_response()),
    )
}

fn answer_measured(
    simulator: &Simulator,
    operation: &str,
    namespace: Option<&str>,
    name: Option<&str>,
    query: &[(String, String)],
) -> Result<Value, ApiError> {
    let now = cluster::now_rfc3339();
    if operation.ends_with("node") || operation == "get_node_summary" {
        if name.is_some_and(|name| name != metrics::NODE) {
            return Err(ApiError::measured_not_found("nodes", name.unwrap_or("")));
        }
        return Ok(match operation {
            "list_node" => {
                json!({ "kind": "NodeList", "apiVersion": "v1", "metadata": {}, "items": [metrics::node()] })
            }
            "get_node" => {
                let mut node = metrics::node();
                node["kind"] = json!("Node");
                node["apiVersion"] = json!("v1");
                node
            }
            _ => metrics::node_summary(&simulator.cluster().pods(None), &simulator.loads, &now),
        });
    }
    let selector = match query.iter().find(|(key, _)| key == "labelSelector") {
        Some((_, value)) => LabelSelector::parse(value)?,
        None => LabelSelector::default(),
    };
    let mut pods: Vec<metrics::Pod> = simulator
        .cluster()
        .pods(namespace)
        .into_iter()
        .filter(|pod| pod.matches(&selector) && name.is_none_or(|name| pod.name() == name))
        .collect();
    let metrics = operation.ends_with("metrics");
    if let Some(name) = name {
        let Some(pod) = pods.pop() else {
            let qualified = if metrics { "pods.metrics.k8s.io" } else { "pods" };
            return Err(ApiError::measured_not_found(qualified, name));
        };
        return Ok(if metrics {
            let mut found = pod.metrics(simulator.loads.of(pod.namespace()), &now);
            found["kind"] = json!("PodMetrics");
            found["apiVersion"] = json!("metrics.k8s.io/v1beta1");
            found
        } else {
            let mut found = pod.object();
            found["kind"] = json!("Pod");
            found["apiVersion"] = json!("v1");
            found
        });
    }
    Ok(if metrics {
        metrics::pod_metrics_list(&pods, &simulator.loads, &now)
    } else {
        let items: Vec<Value> = pods.iter().map(metrics::Pod::object).collect();
        json!({ "kind": "PodList", "apiVersion": "v1", "metadata": { "resourceVersion": "1" }, "items": items })
    })
}
