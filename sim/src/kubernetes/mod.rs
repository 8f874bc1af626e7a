//! `sim kubernetes`: a Kubernetes API server for the kinds Bibind's
//! provisioning writes (namespaces, quotas, limits, network policies,
//! secrets, services, workloads, ingresses), kept in memory. Paths, status
//! codes and `Status` error bodies follow the API server; what a real
//! cluster's controllers do is modelled where a client sees it (see
//! `cluster` and `quota`, and sim/README.md for what is left out).

mod auth;
mod cluster;
mod custom;
mod defaults;
mod discovery;
mod kinds;
mod metrics;
mod quota;
mod scale;
mod selectors;
mod status;
mod strategic;

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    body::Bytes,
    extract::{Query, State},
    http::{
        header::{CONTENT_TYPE, HOST},
        HeaderMap, Method, StatusCode, Uri,
    },
    middleware,
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
use strategic::Schema;

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
    /// The bearer token clients must send: another is 401, none is
    /// `system:anonymous` (403 but for `/version`). Without it, no checks.
    #[arg(long, env = "SIM_KUBERNETES_TOKEN")]
    token: Option<String>,
}

pub async fn run(options: Options) -> Result<(), String> {
    let settings = Settings {
        termination_delay: Duration::from_millis(options.termination_ms),
    };
    let router = assemble(Faults::default(), settings, options.token);
    crate::serve_forever(router, options.listen).await
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
    assemble(faults, settings, None)
}

/// The simulator; with a `token`, requests are authenticated (see `auth`).
fn assemble(faults: Faults, settings: Settings, token: Option<String>) -> Router {
    let simulator = Simulator {
        cluster: Arc::new(Mutex::new(Cluster::new(settings.termination_delay))),
        faults: faults.clone(),
        loads: metrics::Loads::default(),
    };
    let consumption = Router::new()
        .route("/_sim/consumption/{namespace}", put(metrics::set_load))
        .with_state(simulator.loads.clone());
    let api = Router::new()
        .route("/version", get(version))
        .route("/version/", get(version))
        .fallback(dispatch)
        .with_state(simulator);
    let api = match token {
        Some(token) => api.layer(middleware::from_fn_with_state(
            Arc::<str>::from(token),
            auth::authenticate,
        )),
        None => api,
    };
    api.merge(faults.routes()).merge(consumption)
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

/// A subresource the simulator serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Subresource {
    /// `…/{name}/scale` of a Deployment or StatefulSet.
    Scale,
    /// `…/{name}/status` of a kind that [`Kind::serves_status`].
    Status,
}

impl Subresource {
    /// The subresource `name` of `kind`, when the simulator serves it.
    fn of(kind: &Kind, name: &str) -> Option<Self> {
        match name {
            "scale" if kind.scalable => Some(Self::Scale),
            "status" if kind.serves_status => Some(Self::Status),
            _ => None,
        }
    }
}

/// A request resolved against the kind table.
struct Target {
    kind: &'static Kind,
    /// `None`: cluster-scoped, or a list across namespaces.
    namespace: Option<String>,
    name: Option<String>,
    subresource: Option<Subresource>,
}

/// `/api/v1/…` or `/apis/{group}/{version}/…`, then
/// `[namespaces/{ns}/]{plural}[/{name}[/scale|/status]]`.
fn resolve(path: &str) -> Result<Target, ApiError> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, version, rest) = match segments.as_slice() {
        ["api", version, rest @ ..] => ("", *version, rest),
        ["apis", group, version, rest @ ..] => (*group, *version, rest),
        _ => return Err(ApiError::no_route()),
    };
    let lookup = |plural: &str| kinds::find(group, version, plural).ok_or_else(ApiError::no_route);
    let target = |kind, namespace: Option<&&str>, name: Option<&&str>| Target {
        kind,
        namespace: namespace.map(|namespace| (*namespace).to_owned()),
        name: name.map(|name| (*name).to_owned()),
        subresource: None,
    };
    let target = match rest {
        [plural] => target(lookup(plural)?, None, None),
        ["namespaces", namespace, plural] => target(lookup(plural)?, Some(namespace), None),
        ["namespaces", namespace, plural, name] => target(lookup(plural)?, Some(namespace), Some(name)),
        ["namespaces", namespace, plural, name, subresource] => {
            let kind = lookup(plural)?;
            let subresource = Subresource::of(kind, subresource).ok_or_else(ApiError::no_route)?;
            Target {
                subresource: Some(subresource),
                ..target(kind, Some(namespace), Some(name))
            }
        }
        [plural, name] => target(lookup(plural)?, None, Some(name)),
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

/// What a request does, named as the API server's verbs (and the faults).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verb {
    List,
    Create,
    Get,
    Replace,
    Patch,
    Delete,
}

impl Verb {
    fn of(method: &Method, target: &Target) -> Option<Self> {
        let verb = match (method, target.name.is_some()) {
            (&Method::GET, false) => Self::List,
            (&Method::POST, false) => Self::Create,
            (&Method::GET, true) => Self::Get,
            (&Method::PUT, true) => Self::Replace,
            (&Method::PATCH, true) => Self::Patch,
            (&Method::DELETE, true) => Self::Delete,
            _ => return None,
        };
        let allowed = match target.subresource {
            None => true,
            Some(Subresource::Scale | Subresource::Status) => {
                matches!(verb, Self::Get | Self::Replace | Self::Patch)
            }
        };
        allowed.then_some(verb)
    }

    fn name(self) -> &'static str {
        match self {
            Self::List => "list",
            Self::Create => "create",
            Self::Get => "get",
            Self::Replace => "replace",
            Self::Patch => "patch",
            Self::Delete => "delete",
        }
    }
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

/// The patch formats the simulator applies, by `Content-Type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PatchType {
    /// RFC 6902 `application/json-patch+json`.
    Json,
    /// RFC 7396 `application/merge-patch+json`.
    Merge,
    /// `application/strategic-merge-patch+json` (kubectl's and the Python client's default).
    StrategicMerge,
}

impl PatchType {
    /// Checked before anything else, as the API server does (415); a
    /// custom resource takes no strategic merge patch.
    fn of(content_type: &str, kind: &Kind) -> Result<Self, ApiError> {
        match content_type {
            "application/json-patch+json" => Ok(Self::Json),
            "application/merge-patch+json" => Ok(Self::Merge),
            "application/strategic-merge-patch+json" if !kind.custom => Ok(Self::StrategicMerge),
            _ if kind.custom => Err(ApiError::unsupported_media_type_custom()),
            _ => Err(ApiError::unsupported_media_type()),
        }
    }

    /// `patch` applied to `current`, an object of the kind `schema` describes.
    fn apply(self, current: Value, patch: Value, schema: Schema) -> Result<Value, ApiError> {
        match self {
            Self::Merge => {
                let mut patched = current;
                json_patch::merge(&mut patched, &patch);
                Ok(patched)
            }
            Self::Json => {
                let operations: json_patch::Patch = serde_json::from_value(patch)
                    .map_err(|error| ApiError::bad_request(format!("invalid JSON patch: {error}")))?;
                let mut patched = current;
                json_patch::patch(&mut patched, &operations)
                    .map_err(|error| ApiError::unprocessable(error.to_string()))?;
                Ok(patched)
            }
            Self::StrategicMerge => strategic::apply(current, patch, schema),
        }
    }
}

/// The request's path with its `%XX` escapes decoded: the API server routes
/// on Go's decoded `URL.Path`, and the Python client escapes a `/` inside a
/// path parameter (`connect_get_node_proxy_with_path(…, "stats/summary")`).
fn decoded_path(uri: &Uri) -> String {
    let raw = uri.path().as_bytes();
    let mut decoded = Vec::with_capacity(raw.len());
    let mut index = 0;
    while let Some(&byte) = raw.get(index) {
        let escaped = raw
            .get(index + 1..index + 3)
            .filter(|hex| byte == b'%' && hex.iter().all(u8::is_ascii_hexdigit))
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(value) => {
                decoded.push(value);
                index += 3;
            }
            None => {
                decoded.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

/// Every resource request: resolve, inject faults, run against the cluster.
async fn dispatch(
    State(simulator): State<Simulator>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = decoded_path(&uri);
    if let Some(answer) = measured(&simulator, &method, &path, &uri).await {
        return answer.unwrap_or_else(IntoResponse::into_response);
    }
    if let Some(answer) = discover(&simulator, &method, &path, &headers).await {
        return answer.map(Json).into_response();
    }
    let target = match resolve(&path) {
        Ok(target) => target,
        Err(error) => return error.into_response(),
    };
    let Some(verb) = Verb::of(&method, &target) else {
        return ApiError::method_not_allowed(method.as_str()).into_response();
    };
    let operation = match target.subresource {
        None => format!("{}_{}", verb.name(), target.kind.operation),
        Some(Subresource::Scale) => format!("{}_{}_scale", verb.name(), target.kind.operation),
        Some(Subresource::Status) => format!("{}_{}_status", verb.name(), target.kind.operation),
    };
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
    let request = Request {
        verb,
        target: &target,
        query: &query,
        content_type: &content_type,
        body: &body,
    };
    let answer = match target.subresource {
        None => perform(&simulator, &request),
        Some(Subresource::Scale) => perform_on_scale(&simulator, &request),
        Some(Subresource::Status) => perform_on_status(&simulator, &request),
    };
    match answer {
        Ok((status, object)) => (status, Json(object)).into_response(),
        Err(error) => error.into_response(),
    }
}

/// Discovery documents (`/api`, `/apis/…`), `None` for any other path.
async fn discover(
    simulator: &Simulator,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
) -> Option<Result<Value, ApiError>> {
    let server_address = headers
        .get(HOST)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("127.0.0.1:6443");
    let document = discovery::answer(path, server_address)?;
    if method != Method::GET {
        return Some(Err(ApiError::method_not_allowed(method.as_str())));
    }
    if let Some(status) = simulator.faults.failure("get_discovery").await {
        return Some(Err(ApiError::injected(status)));
    }
    Some(document)
}

/// One resource request, resolved.
struct Request<'r> {
    verb: Verb,
    target: &'r Target,
    query: &'r [(String, String)],
    content_type: &'r str,
    body: &'r Bytes,
}

fn perform(simulator: &Simulator, request: &Request<'_>) -> Result<(StatusCode, Value), ApiError> {
    let target = request.target;
    let kind = target.kind;
    let namespace = target.namespace.as_deref().unwrap_or("");
    let name = target.name.as_deref().unwrap_or("");
    match request.verb {
        Verb::List => {
            let options = list_options(request.query)?;
            let list = simulator
                .cluster()
                .list(kind, target.namespace.as_deref(), &options)?;
            Ok((StatusCode::OK, list))
        }
        Verb::Create => {
            let object = parse_body(request.body)?;
            let created = simulator.cluster().create(kind, namespace, object)?;
            Ok((StatusCode::CREATED, created))
        }
        Verb::Get => Ok((StatusCode::OK, simulator.cluster().get(kind, namespace, name)?)),
        Verb::Replace => {
            let object = parse_body(request.body)?;
            Ok((
                StatusCode::OK,
                simulator.cluster().update(kind, namespace, name, object)?,
            ))
        }
        Verb::Patch => {
            let patch_type = PatchType::of(request.content_type, kind)?;
            let patch = parse_body(request.body)?;
            let mut cluster = simulator.cluster();
            let current = cluster.get(kind, namespace, name)?;
            let patched = patch_type.apply(current, patch, kind.schema)?;
            Ok((StatusCode::OK, cluster.update(kind, namespace, name, patched)?))
        }
        Verb::Delete => {
            let options = parse_body(request.body)?;
            Ok((
                StatusCode::OK,
                simulator.cluster().delete(kind, namespace, name, &options)?,
            ))
        }
    }
}

/// `GET`, `PUT` and `PATCH` of a workload's `scale`; a patch applies to the current `Scale`.
fn perform_on_scale(simulator: &Simulator, request: &Request<'_>) -> Result<(StatusCode, Value), ApiError> {
    let kind = request.target.kind;
    let namespace = request.target.namespace.as_deref().unwrap_or("");
    let name = request.target.name.as_deref().unwrap_or("");
    let answer = match request.verb {
        Verb::Replace => {
            let wanted = parse_body(request.body)?;
            scale::write(&mut simulator.cluster(), kind, namespace, name, &wanted)?
        }
        Verb::Patch => {
            let patch_type = PatchType::of(request.content_type, kind)?;
            let patch = parse_body(request.body)?;
            let mut cluster = simulator.cluster();
            let current = scale::of(&cluster.get(kind, namespace, name)?);
            let wanted = patch_type.apply(current, patch, Schema::Object)?;
            scale::write(&mut cluster, kind, namespace, name, &wanted)?
        }
        _ => scale::of(&simulator.cluster().get(kind, namespace, name)?),
    };
    Ok((StatusCode::OK, answer))
}

/// `GET`, `PUT` and `PATCH` of an object's `status`: the whole object is
/// read and written, of which only the status changes.
fn perform_on_status(simulator: &Simulator, request: &Request<'_>) -> Result<(StatusCode, Value), ApiError> {
    let kind = request.target.kind;
    let namespace = request.target.namespace.as_deref().unwrap_or("");
    let name = request.target.name.as_deref().unwrap_or("");
    let answer = match request.verb {
        Verb::Replace => {
            let object = parse_body(request.body)?;
            simulator.cluster().update_status(kind, namespace, name, object)?
        }
        Verb::Patch => {
            let patch_type = PatchType::of(request.content_type, kind)?;
            let patch = parse_body(request.body)?;
            let mut cluster = simulator.cluster();
            let current = cluster.get(kind, namespace, name)?;
            let patched = patch_type.apply(current, patch, kind.schema)?;
            cluster.update_status(kind, namespace, name, patched)?
        }
        _ => simulator.cluster().get(kind, namespace, name)?,
    };
    Ok((StatusCode::OK, answer))
}

/// A read of what the cluster runs and measures (pods, nodes, PodMetrics,
/// a node's Summary), or `None` for the stored kinds.
async fn measured(
    simulator: &Simulator,
    method: &Method,
    path: &str,
    uri: &Uri,
) -> Option<Result<Response, ApiError>> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
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
