//! `sim gitlab`: GitLab 18's REST API v4 for groups and group deploy
//! tokens: `PRIVATE-TOKEN` or Bearer authentication (`401 Unauthorized`),
//! Grape error bodies (`{"message": …}`, `{"error": "x is missing"}`),
//! offset pagination headers, and delayed deletion as GitLab 18 does it in
//! every tier: `DELETE` answers 202 and only marks the group, renaming it
//! `<path>-deletion_scheduled-<id>`; a marked subgroup is removed at once
//! with `permanently_remove=true&full_path=<its current path>`; a top-level
//! group cannot be (400); `POST /groups/:id/restore` unmarks.
//!
//! Fault operations: `list_groups`, `get_group`, `create_group`,
//! `update_group`, `delete_group`, `restore_group`, `list_deploy_tokens`,
//! `get_deploy_token`, `create_deploy_token`, `delete_deploy_token`.

mod pagination;

use std::{
    collections::BTreeMap,
    net::SocketAddr,
    sync::{Arc, Mutex, MutexGuard},
};

use axum::{
    body::Bytes,
    extract::{Path, Query, Request, State},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use http::{header, HeaderMap, HeaderValue, StatusCode};
use serde_json::{json, Map, Value};
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

use crate::faults::Faults;

#[derive(clap::Args)]
pub struct Options {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8929")]
    listen: SocketAddr,
    /// The access token clients must send (`PRIVATE-TOKEN` or Bearer).
    #[arg(long, env = "SIM_GITLAB_TOKEN")]
    token: String,
    /// A second token, with the `read_api` scope only: it reads, and every
    /// write it attempts is refused with 403 `insufficient_scope`.
    #[arg(long, env = "SIM_GITLAB_READ_TOKEN")]
    read_token: Option<String>,
    /// Delete groups at once, as an instance with delayed deletion off.
    #[arg(long)]
    no_delayed_deletion: bool,
    /// A top-level group to create at start-up, by path (repeatable).
    #[arg(long = "group")]
    groups: Vec<String>,
}

pub async fn run(options: Options) -> Result<(), String> {
    let simulator = Simulator::new(options.token);
    simulator.lock().read_token = options.read_token;
    simulator.set_delayed_deletion(!options.no_delayed_deletion);
    for path in &options.groups {
        let id = simulator.add_group(path, None);
        tracing::info!(%path, id, "group created");
    }
    crate::serve_forever(simulator.router(), options.listen).await
}

const DELETION_SUFFIX: &str = "-deletion_scheduled-";
const DEPLOY_TOKEN_SCOPES: [&str; 5] = [
    "read_repository",
    "read_registry",
    "write_registry",
    "read_package_registry",
    "write_package_registry",
];

/// The simulated GitLab; clones share its state.
#[derive(Clone)]
pub struct Simulator {
    state: Arc<Mutex<Gitlab>>,
    pub faults: Faults,
}

struct Gitlab {
    token: String,
    read_token: Option<String>,
    delayed_deletion: bool,
    groups: BTreeMap<i64, Group>,
    next_group_id: i64,
    next_token_id: i64,
}

struct Group {
    id: i64,
    name: String,
    path: String,
    description: String,
    visibility: String,
    parent_id: Option<i64>,
    created_at: String,
    marked_for_deletion_on: Option<String>,
    deploy_tokens: Vec<DeployToken>,
}

struct DeployToken {
    id: i64,
    name: String,
    username: String,
    scopes: Vec<String>,
    expires_at: Option<OffsetDateTime>,
    revoked: bool,
}

impl DeployToken {
    fn expired(&self) -> bool {
        self.expires_at.is_some_and(|at| at <= OffsetDateTime::now_utc())
    }

    fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "username": self.username,
            "expires_at": self.expires_at.and_then(|at| at.format(&Rfc3339).ok()),
            "scopes": self.scopes,
            "revoked": self.revoked,
            "expired": self.expired(),
        })
    }
}

impl Simulator {
    pub fn new(token: impl Into<String>) -> Self {
        Self {
            state: Arc::new(Mutex::new(Gitlab {
                token: token.into(),
                read_token: None,
                delayed_deletion: true,
                groups: BTreeMap::new(),
                next_group_id: 1,
                next_token_id: 1,
            })),
            faults: Faults::default(),
        }
    }

    /// Delayed deletion is on by default, as on GitLab 18.
    pub fn set_delayed_deletion(&self, enabled: bool) {
        self.lock().delayed_deletion = enabled;
    }

    /// Creates a group without checks (seed data); its id.
    pub fn add_group(&self, path: &str, parent_id: Option<i64>) -> i64 {
        self.lock().insert_group(path, path, parent_id, "private", "")
    }

    pub fn router(&self) -> Router {
        Router::new()
            .route("/api/v4/user", get(current_user))
            .route("/api/v4/version", get(version))
            .route("/api/v4/groups", get(list_groups).post(create_group))
            .route(
                "/api/v4/groups/{id}",
                get(get_group).put(update_group).delete(delete_group),
            )
            .route("/api/v4/groups/{id}/restore", axum::routing::post(restore_group))
            .route(
                "/api/v4/groups/{id}/deploy_tokens",
                get(list_deploy_tokens).post(create_deploy_token),
            )
            .route(
                "/api/v4/groups/{id}/deploy_tokens/{token_id}",
                get(get_deploy_token).delete(delete_deploy_token),
            )
            .route_layer(middleware::from_fn_with_state(self.clone(), authenticate))
            .with_state(self.clone())
            .merge(self.faults.routes())
    }

    fn lock(&self) -> MutexGuard<'_, Gitlab> {
        crate::locked(&self.state)
    }

    async fn fault(&self, operation: &str) -> Option<Response> {
        match self.faults.failure(operation).await? {
            StatusCode::TOO_MANY_REQUESTS => {
                let mut response = (
                    StatusCode::TOO_MANY_REQUESTS,
                    Json(json!({"message": {"error": "This endpoint has been requested too many times. Try again later."}})),
                )
                    .into_response();
                for (name, value) in [
                    ("retry-after", "60"),
                    ("ratelimit-limit", "600"),
                    ("ratelimit-remaining", "0"),
                    ("ratelimit-reset", "60"),
                ] {
                    response
                        .headers_mut()
                        .insert(name, HeaderValue::from_static(value));
                }
                Some(response)
            }
            status => Some(message(
                status,
                &format!(
                    "{} {}",
                    status.as_u16(),
                    status.canonical_reason().unwrap_or("Error")
                ),
            )),
        }
    }
}

impl Gitlab {
    fn insert_group(
        &mut self,
        path: &str,
        name: &str,
        parent_id: Option<i64>,
        visibility: &str,
        description: &str,
    ) -> i64 {
        let id = self.next_group_id;
        self.next_group_id += 1;
        let created_at = OffsetDateTime::now_utc().format(&Rfc3339).unwrap_or_default();
        self.groups.insert(
            id,
            Group {
                id,
                name: name.to_owned(),
                path: path.to_owned(),
                description: description.to_owned(),
                visibility: visibility.to_owned(),
                parent_id,
                created_at,
                marked_for_deletion_on: None,
                deploy_tokens: Vec::new(),
            },
        );
        id
    }

    fn full_path(&self, group: &Group) -> String {
        match group.parent_id.and_then(|parent| self.groups.get(&parent)) {
            Some(parent) => format!("{}/{}", self.full_path(parent), group.path),
            None => group.path.clone(),
        }
    }

    fn full_name(&self, group: &Group) -> String {
        match group.parent_id.and_then(|parent| self.groups.get(&parent)) {
            Some(parent) => format!("{} / {}", self.full_name(parent), group.name),
            None => group.name.clone(),
        }
    }

    /// By id or by full path (URL-decoded by the router).
    fn find(&self, id_or_path: &str) -> Option<i64> {
        if let Ok(id) = id_or_path.parse::<i64>() {
            return self.groups.contains_key(&id).then_some(id);
        }
        self.groups
            .values()
            .find(|group| self.full_path(group).eq_ignore_ascii_case(id_or_path))
            .map(|group| group.id)
    }

    fn group_json(&self, group: &Group, detail: bool) -> Value {
        let full_path = self.full_path(group);
        let mut value = json!({
            "id": group.id,
            "web_url": format!("http://gitlab.example.com/groups/{full_path}"),
            "name": group.name,
            "path": group.path,
            "description": group.description,
            "visibility": group.visibility,
            "share_with_group_lock": false,
            "require_two_factor_authentication": false,
            "project_creation_level": "developer",
            "subgroup_creation_level": "maintainer",
            "lfs_enabled": true,
            "request_access_enabled": true,
            "full_name": self.full_name(group),
            "full_path": full_path,
            "created_at": group.created_at,
            "parent_id": group.parent_id,
            "organization_id": 1,
            "shared_runners_setting": "enabled",
            "marked_for_deletion_on": group.marked_for_deletion_on,
        });
        if detail {
            value["projects"] = json!([]);
            value["shared_projects"] = json!([]);
        }
        value
    }

    fn path_taken(&self, path: &str, parent_id: Option<i64>, except: Option<i64>) -> bool {
        self.groups.values().any(|group| {
            group.parent_id == parent_id && group.path.eq_ignore_ascii_case(path) && Some(group.id) != except
        })
    }

    /// The group and everything under it.
    fn destroy(&mut self, id: i64) {
        let children: Vec<i64> = self
            .groups
            .values()
            .filter(|group| group.parent_id == Some(id))
            .map(|group| group.id)
            .collect();
        for child in children {
            self.destroy(child);
        }
        self.groups.remove(&id);
    }
}

fn message(status: StatusCode, text: &str) -> Response {
    (status, Json(json!({"message": text}))).into_response()
}

fn group_not_found() -> Response {
    message(StatusCode::NOT_FOUND, "404 Group Not Found")
}

fn missing(fields: &[&str]) -> Response {
    let text: Vec<String> = fields.iter().map(|field| format!("{field} is missing")).collect();
    (StatusCode::BAD_REQUEST, Json(json!({"error": text.join(", ")}))).into_response()
}

async fn authenticate(State(simulator): State<Simulator>, request: Request, next: Next) -> Response {
    let (token, read_token) = {
        let gitlab = simulator.lock();
        (gitlab.token.clone(), gitlab.read_token.clone())
    };
    let headers = request.headers();
    let private = headers.get("private-token").and_then(|value| value.to_str().ok());
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    let sent = private.or(bearer);
    if sent == Some(token.as_str()) {
        return next.run(request).await;
    }
    if sent.is_some() && sent == read_token.as_deref() {
        if request.method() == http::Method::GET {
            return next.run(request).await;
        }
        // What GitLab answers a token whose scopes do not cover the call.
        return (
            StatusCode::FORBIDDEN,
            Json(json!({
                "error": "insufficient_scope",
                "error_description": "The request requires higher privileges than provided by the access token.",
                "scope": "api",
            })),
        )
            .into_response();
    }
    message(StatusCode::UNAUTHORIZED, "401 Unauthorized")
}

/// `GET /user`: the token's owner, a bot user (what python-gitlab's
/// `Gitlab.auth()` reads first).
async fn current_user(headers: HeaderMap) -> Response {
    Json(json!({
        "id": 1,
        "username": "bibind-provisioning",
        "name": "Bibind provisioning",
        "state": "active",
        "locked": false,
        "avatar_url": null,
        "web_url": absolute(&headers, "/bibind-provisioning"),
        "created_at": "2026-01-01T00:00:00.000Z",
        "bot": true,
        "is_admin": false,
        "two_factor_enabled": false,
        "external": false,
    }))
    .into_response()
}

/// `GET /version` (python-gitlab's `Gitlab.version()`).
async fn version() -> Response {
    Json(json!({
        "version": "18.5.0",
        "revision": "sim",
        "kas": {"enabled": false, "externalUrl": null, "externalK8sProxyUrl": null, "version": null},
        "enterprise": false,
    }))
    .into_response()
}

type Params = Query<Vec<(String, String)>>;

/// A Boolean parameter as Grape reads it (dry-types' `Params::Bool`):
/// python-gitlab sends Python's `True`, curl users `true` or `1`.
fn truthy(value: &str) -> bool {
    matches!(
        value,
        "1" | "on" | "On" | "ON" | "t" | "T" | "true" | "True" | "TRUE" | "y" | "Y" | "yes" | "Yes" | "YES"
    )
}

fn absolute(headers: &HeaderMap, path: &str) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}{path}")
}

fn body_object(body: &Bytes) -> Map<String, Value> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(object)) => object,
        _ => Map::new(),
    }
}

fn text<'a>(body: &'a Map<String, Value>, field: &str) -> Option<&'a str> {
    body.get(field)
        .and_then(Value::as_str)
        .filter(|text| !text.is_empty())
}

/// GitLab's path rule for namespaces.
fn valid_path(path: &str) -> bool {
    let allowed = |character: char| character.is_ascii_alphanumeric() || matches!(character, '_' | '-' | '.');
    !path.is_empty()
        && path.chars().all(allowed)
        && !path.starts_with('-')
        && !path.ends_with('.')
        && !path.ends_with(".git")
        && !path.ends_with(".atom")
}

const PATH_RULE: &str =
    "can contain only letters, digits, '_', '-' and '.'. Cannot start with '-', end in '.', '.git' or '.atom'.";

fn failed_to_save(field: &str, problem: &str) -> Response {
    message(
        StatusCode::BAD_REQUEST,
        &format!("Failed to save group {{:{field}=>[\"{problem}\"]}}"),
    )
}

async fn list_groups(
    State(simulator): State<Simulator>,
    headers: HeaderMap,
    Query(query): Params,
) -> Response {
    if let Some(fault) = simulator.fault("list_groups").await {
        return fault;
    }
    let gitlab = simulator.lock();
    let search = query
        .iter()
        .find(|(key, _)| key == "search")
        .map(|(_, value)| value.to_lowercase());
    let top_level_only = query
        .iter()
        .any(|(key, value)| key == "top_level_only" && truthy(value));
    let groups: Vec<Value> = gitlab
        .groups
        .values()
        .filter(|group| !top_level_only || group.parent_id.is_none())
        .filter(|group| {
            search.as_ref().is_none_or(|term| {
                group.name.to_lowercase().contains(term) || group.path.to_lowercase().contains(term)
            })
        })
        .map(|group| gitlab.group_json(group, false))
        .collect();
    let (page_headers, page) = pagination::paginate(groups, &query, &absolute(&headers, "/api/v4/groups"));
    (page_headers, Json(page)).into_response()
}

async fn create_group(State(simulator): State<Simulator>, body: Bytes) -> Response {
    if let Some(fault) = simulator.fault("create_group").await {
        return fault;
    }
    let body = body_object(&body);
    let (name, path) = (text(&body, "name"), text(&body, "path"));
    let absent: Vec<&str> = [("name", name), ("path", path)]
        .iter()
        .filter(|(_, value)| value.is_none())
        .map(|(field, _)| *field)
        .collect();
    let (Some(name), Some(path)) = (name, path) else {
        return missing(&absent);
    };
    let visibility = text(&body, "visibility").unwrap_or("private");
    if !["private", "internal", "public"].contains(&visibility) {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "visibility does not have a valid value"})),
        )
            .into_response();
    }
    let mut gitlab = simulator.lock();
    let parent_id = body.get("parent_id").and_then(Value::as_i64);
    if let Some(parent) = parent_id {
        if !gitlab.groups.contains_key(&parent) {
            return group_not_found();
        }
    }
    if !valid_path(path) {
        return failed_to_save("path", PATH_RULE);
    }
    if gitlab.path_taken(path, parent_id, None) {
        return failed_to_save("path", "has already been taken");
    }
    let description = text(&body, "description").unwrap_or_default();
    let id = gitlab.insert_group(path, name, parent_id, visibility, description);
    match gitlab.groups.get(&id) {
        Some(group) => (StatusCode::CREATED, Json(gitlab.group_json(group, true))).into_response(),
        None => group_not_found(),
    }
}

async fn get_group(State(simulator): State<Simulator>, Path(id): Path<String>) -> Response {
    if let Some(fault) = simulator.fault("get_group").await {
        return fault;
    }
    let gitlab = simulator.lock();
    match gitlab.find(&id).and_then(|id| gitlab.groups.get(&id)) {
        Some(group) => Json(gitlab.group_json(group, true)).into_response(),
        None => group_not_found(),
    }
}

async fn update_group(State(simulator): State<Simulator>, Path(id): Path<String>, body: Bytes) -> Response {
    if let Some(fault) = simulator.fault("update_group").await {
        return fault;
    }
    let body = body_object(&body);
    let mut gitlab = simulator.lock();
    let Some(id) = gitlab.find(&id) else {
        return group_not_found();
    };
    let parent_id = gitlab.groups.get(&id).and_then(|group| group.parent_id);
    if let Some(path) = text(&body, "path") {
        if !valid_path(path) {
            return failed_to_save("path", PATH_RULE);
        }
        if gitlab.path_taken(path, parent_id, Some(id)) {
            return failed_to_save("path", "has already been taken");
        }
    }
    if let Some(group) = gitlab.groups.get_mut(&id) {
        if let Some(name) = text(&body, "name") {
            group.name = name.to_owned();
        }
        if let Some(path) = text(&body, "path") {
            group.path = path.to_owned();
        }
        if let Some(description) = body.get("description").and_then(Value::as_str) {
            group.description = description.to_owned();
        }
        if let Some(visibility) = text(&body, "visibility") {
            group.visibility = visibility.to_owned();
        }
    }
    match gitlab.groups.get(&id) {
        Some(group) => Json(gitlab.group_json(group, true)).into_response(),
        None => group_not_found(),
    }
}

async fn delete_group(
    State(simulator): State<Simulator>,
    Path(id): Path<String>,
    Query(query): Params,
) -> Response {
    if let Some(fault) = simulator.fault("delete_group").await {
        return fault;
    }
    let mut gitlab = simulator.lock();
    let Some(id) = gitlab.find(&id) else {
        return group_not_found();
    };
    let accepted = || message(StatusCode::ACCEPTED, "202 Accepted");
    if !gitlab.delayed_deletion {
        gitlab.destroy(id);
        return accepted();
    }
    let parameter = |key: &str| {
        query
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value.as_str())
    };
    let permanently = parameter("permanently_remove").is_some_and(truthy);
    let Some(group) = gitlab.groups.get(&id) else {
        return group_not_found();
    };
    if permanently {
        let error = if group.parent_id.is_none() {
            Some("`permanently_remove` option is only available for subgroups.")
        } else if group.marked_for_deletion_on.is_none() {
            Some("Group must be marked for deletion first.")
        } else if parameter("full_path") != Some(gitlab.full_path(group).as_str()) {
            Some("`full_path` is incorrect. You must enter the complete path for the subgroup.")
        } else {
            None
        };
        return match error {
            Some(error) => message(StatusCode::BAD_REQUEST, error),
            None => {
                gitlab.destroy(id);
                accepted()
            }
        };
    }
    if group.marked_for_deletion_on.is_some() {
        return message(
            StatusCode::BAD_REQUEST,
            "Group has been already marked for deletion",
        );
    }
    let today = OffsetDateTime::now_utc().date().to_string();
    if let Some(group) = gitlab.groups.get_mut(&id) {
        group.marked_for_deletion_on = Some(today);
        group.path = format!("{}{DELETION_SUFFIX}{id}", group.path);
        group.name = format!("{}{DELETION_SUFFIX}{id}", group.name);
    }
    accepted()
}

async fn restore_group(State(simulator): State<Simulator>, Path(id): Path<String>) -> Response {
    if let Some(fault) = simulator.fault("restore_group").await {
        return fault;
    }
    let mut gitlab = simulator.lock();
    let Some(id) = gitlab.find(&id) else {
        return group_not_found();
    };
    let Some((path, parent_id)) = gitlab
        .groups
        .get(&id)
        .filter(|group| group.marked_for_deletion_on.is_some())
        .map(|group| (group.path.clone(), group.parent_id))
    else {
        return message(StatusCode::BAD_REQUEST, "Group has not been marked for deletion");
    };
    let suffix = format!("{DELETION_SUFFIX}{id}");
    let original = path.strip_suffix(&suffix).unwrap_or(&path).to_owned();
    if gitlab.path_taken(&original, parent_id, Some(id)) {
        return failed_to_save("path", "has already been taken");
    }
    if let Some(group) = gitlab.groups.get_mut(&id) {
        group.marked_for_deletion_on = None;
        group.path = original;
        group.name = group.name.strip_suffix(&suffix).unwrap_or(&group.name).to_owned();
    }
    match gitlab.groups.get(&id) {
        Some(group) => (StatusCode::CREATED, Json(gitlab.group_json(group, true))).into_response(),
        None => group_not_found(),
    }
}

async fn list_deploy_tokens(
    State(simulator): State<Simulator>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(query): Params,
) -> Response {
    if let Some(fault) = simulator.fault("list_deploy_tokens").await {
        return fault;
    }
    let gitlab = simulator.lock();
    let Some(group) = gitlab.find(&id).and_then(|id| gitlab.groups.get(&id)) else {
        return group_not_found();
    };
    let active_only = query.iter().any(|(key, value)| key == "active" && truthy(value));
    let tokens: Vec<Value> = group
        .deploy_tokens
        .iter()
        .filter(|token| !active_only || (!token.revoked && !token.expired()))
        .map(DeployToken::to_json)
        .collect();
    let base = absolute(&headers, &format!("/api/v4/groups/{}/deploy_tokens", group.id));
    let (page_headers, page) = pagination::paginate(tokens, &query, &base);
    (page_headers, Json(page)).into_response()
}

async fn create_deploy_token(
    State(simulator): State<Simulator>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    if let Some(fault) = simulator.fault("create_deploy_token").await {
        return fault;
    }
    let body = body_object(&body);
    let name = text(&body, "name");
    let scopes: Option<Vec<String>> = body.get("scopes").and_then(Value::as_array).map(|scopes| {
        scopes
            .iter()
            .filter_map(|scope| scope.as_str().map(str::to_owned))
            .collect()
    });
    let (Some(name), Some(scopes)) = (name, scopes.filter(|scopes| !scopes.is_empty())) else {
        let absent: Vec<&str> = [("name", name.is_none()), ("scopes", body.get("scopes").is_none())]
            .iter()
            .filter(|(_, absent)| *absent)
            .map(|(field, _)| *field)
            .collect();
        return if absent.is_empty() {
            (
                StatusCode::BAD_REQUEST,
                Json(json!({"error": "scopes does not have a valid value"})),
            )
                .into_response()
        } else {
            missing(&absent)
        };
    };
    if scopes
        .iter()
        .any(|scope| !DEPLOY_TOKEN_SCOPES.contains(&scope.as_str()))
    {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "scopes does not have a valid value"})),
        )
            .into_response();
    }
    let expires_at = match body.get("expires_at") {
        None | Some(Value::Null) => None,
        Some(Value::String(at)) => match OffsetDateTime::parse(at, &Rfc3339) {
            Ok(at) => Some(at),
            Err(_) => {
                return (
                    StatusCode::BAD_REQUEST,
                    Json(json!({"error": "expires_at is invalid"})),
                )
                    .into_response()
            }
        },
        Some(_) => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({"error": "expires_at is invalid"})),
            )
                .into_response()
        }
    };
    let mut gitlab = simulator.lock();
    let Some(group_id) = gitlab.find(&id) else {
        return group_not_found();
    };
    let token_id = gitlab.next_token_id;
    gitlab.next_token_id += 1;
    let username =
        text(&body, "username").map_or_else(|| format!("gitlab+deploy-token-{token_id}"), str::to_owned);
    let token = DeployToken {
        id: token_id,
        name: name.to_owned(),
        username,
        scopes,
        expires_at,
        revoked: false,
    };
    let mut created = token.to_json();
    let secret: String = uuid::Uuid::new_v4()
        .simple()
        .to_string()
        .chars()
        .take(20)
        .collect();
    created["token"] = json!(format!("gldt-{secret}"));
    if let Some(group) = gitlab.groups.get_mut(&group_id) {
        group.deploy_tokens.push(token);
    }
    (StatusCode::CREATED, Json(created)).into_response()
}

fn deploy_token_not_found() -> Response {
    message(StatusCode::NOT_FOUND, "404 Deploy Token Not Found")
}

async fn get_deploy_token(
    State(simulator): State<Simulator>,
    Path((id, token_id)): Path<(String, String)>,
) -> Response {
    if let Some(fault) = simulator.fault("get_deploy_token").await {
        return fault;
    }
    let gitlab = simulator.lock();
    let Some(group) = gitlab.find(&id).and_then(|id| gitlab.groups.get(&id)) else {
        return group_not_found();
    };
    let token_id: Option<i64> = token_id.parse().ok();
    match group
        .deploy_tokens
        .iter()
        .find(|token| Some(token.id) == token_id)
    {
        Some(token) => Json(token.to_json()).into_response(),
        None => deploy_token_not_found(),
    }
}

async fn delete_deploy_token(
    State(simulator): State<Simulator>,
    Path((id, token_id)): Path<(String, String)>,
) -> Response {
    if let Some(fault) = simulator.fault("delete_deploy_token").await {
        return fault;
    }
    let mut gitlab = simulator.lock();
    let Some(group_id) = gitlab.find(&id) else {
        return group_not_found();
    };
    let token_id: Option<i64> = token_id.parse().ok();
    let Some(group) = gitlab.groups.get_mut(&group_id) else {
        return group_not_found();
    };
    let before = group.deploy_tokens.len();
    group.deploy_tokens.retain(|token| Some(token.id) != token_id);
    if group.deploy_tokens.len() == before {
        return deploy_token_not_found();
    }
    StatusCode::NO_CONTENT.into_response()
}
