//! Nova's `os-quota-sets` (compute API v2.1 with microversions), from
//! nova/api/openstack/compute/quota_sets.py and its JSON schema: `PUT`
//! takes integers (or strings of digits) from -1 (unlimited) to 2^31-1,
//! refuses keys the microversion does not have, and without `force`
//! refuses a limit below what is used and reserved; the answer has no
//! `id`. `DELETE` answers 202. Updates and deletes are for admins. Every
//! call but `DELETE` asks Keystone whether the project exists: one Keystone
//! does not know is refused with 400 (nova/api/openstack/identity.py).

use axum::{
    body::Bytes,
    extract::{Path, State},
    response::{IntoResponse, Response},
    Json,
};
use http::{HeaderMap, HeaderValue, StatusCode};
use serde_json::{json, Value};

use super::{
    auth::Caller,
    faults::{compute_fault, injected_message},
    requested_limit, truthy, BadLimit, OpenStackSim, Service, MAX_LIMIT,
};

pub const DEFAULTS: &[(&str, i64)] = &[
    ("instances", 10),
    ("cores", 20),
    ("ram", 51200),
    ("key_pairs", 100),
    ("metadata_items", 128),
    ("server_groups", 10),
    ("server_group_members", 10),
    // Gone from 2.57 on.
    ("injected_files", 5),
    ("injected_file_content_bytes", 10240),
    ("injected_file_path_bytes", 255),
    // nova-network's, gone from 2.36 on.
    ("fixed_ips", -1),
    ("floating_ips", 10),
    ("security_groups", 10),
    ("security_group_rules", 20),
];

/// The newest compute microversion this simulator speaks (2024.1).
pub const MAX_MINOR: u32 = 96;

/// Whether a quota resource exists at microversion `2.minor`.
fn shown(minor: u32) -> impl Fn(&str) -> bool {
    move |resource: &str| {
        let network = matches!(
            resource,
            "fixed_ips" | "floating_ips" | "security_groups" | "security_group_rules"
        );
        let injected = resource.starts_with("injected_file");
        !((network && minor >= 36) || (injected && minor >= 57))
    }
}

/// Authentication, microversion, injected fault: what every call goes
/// through first, in that order (keystonemiddleware, then Nova).
async fn prelude(
    sim: &OpenStackSim,
    headers: &HeaderMap,
    operation: &str,
) -> Result<(Caller, u32), Response> {
    let caller = sim.inner.keystone.authenticate(headers).await?;
    let minor = microversion(headers).map_err(|(status, message)| compute_fault(status, &message))?;
    if let Some(status) = sim.faults().failure(operation).await {
        return Err(versioned(compute_fault(status, &injected_message(status)), minor));
    }
    Ok((caller, minor))
}

pub async fn show(
    State(sim): State<OpenStackSim>,
    Path(project_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let (caller, minor) = or_answer!(prelude(&sim, &headers, "nova_show_quota").await);
    if !caller.may_read(&project_id) {
        return versioned(forbidden("show"), minor);
    }
    or_answer!(known_project(&sim, &caller, &project_id, minor).await);
    let mut set = sim.book(Service::Compute).limits_of(&project_id, shown(minor));
    set.insert("id".into(), json!(project_id));
    versioned(Json(json!({ "quota_set": set })).into_response(), minor)
}

pub async fn detail(
    State(sim): State<OpenStackSim>,
    Path(project_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let (caller, minor) = or_answer!(prelude(&sim, &headers, "nova_detail_quota").await);
    if !caller.may_read(&project_id) {
        return versioned(forbidden("detail"), minor);
    }
    or_answer!(known_project(&sim, &caller, &project_id, minor).await);
    let mut set = sim
        .book(Service::Compute)
        .usage_of(&project_id, "in_use", shown(minor));
    set.insert("id".into(), json!(project_id));
    versioned(Json(json!({ "quota_set": set })).into_response(), minor)
}

pub async fn defaults(
    State(sim): State<OpenStackSim>,
    Path(project_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let (caller, minor) = or_answer!(prelude(&sim, &headers, "nova_default_quota").await);
    or_answer!(known_project(&sim, &caller, &project_id, minor).await);
    let mut set = sim.book(Service::Compute).defaults_of(shown(minor));
    set.insert("id".into(), json!(project_id));
    versioned(Json(json!({ "quota_set": set })).into_response(), minor)
}

pub async fn update(
    State(sim): State<OpenStackSim>,
    Path(project_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (caller, minor) = or_answer!(prelude(&sim, &headers, "nova_update_quota").await);
    let changes = match validated_update(&sim, &body, minor) {
        Ok(changes) => changes,
        Err(message) => return versioned(compute_fault(StatusCode::BAD_REQUEST, &message), minor),
    };
    if !caller.is_admin() {
        return versioned(forbidden("update"), minor);
    }
    or_answer!(known_project(&sim, &caller, &project_id, minor).await);
    let mut book = sim.book(Service::Compute);
    if !changes.force {
        for (resource, limit) in &changes.limits {
            let minimum = book.in_use(&project_id, resource);
            if *limit != -1 && *limit < minimum {
                let message = format!(
                    "Quota limit {limit} for {resource} must be greater than or equal to already used and reserved {minimum}."
                );
                return versioned(compute_fault(StatusCode::BAD_REQUEST, &message), minor);
            }
        }
    }
    for (resource, limit) in &changes.limits {
        book.set_limit(&project_id, resource, *limit);
    }
    let set = book.limits_of(&project_id, shown(minor));
    versioned(Json(json!({ "quota_set": set })).into_response(), minor)
}

pub async fn delete(
    State(sim): State<OpenStackSim>,
    Path(project_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let (caller, minor) = or_answer!(prelude(&sim, &headers, "nova_delete_quota").await);
    if !caller.is_admin() {
        return versioned(forbidden("delete"), minor);
    }
    sim.book(Service::Compute).reset(&project_id);
    versioned(StatusCode::ACCEPTED.into_response(), minor)
}

struct Update {
    force: bool,
    limits: Vec<(String, i64)>,
}

/// The body checked as Nova's JSON schema does; the error is its message.
fn validated_update(sim: &OpenStackSim, body: &[u8], minor: u32) -> Result<Update, String> {
    let body: Value = serde_json::from_slice(body).map_err(|_| "Malformed request body".to_owned())?;
    let Some(fields) = body.as_object() else {
        return Err(format!(
            "Invalid input for field/attribute body. Value: {body}. {body} is not of type 'object'"
        ));
    };
    if let Some(extra) = fields.keys().find(|key| *key != "quota_set") {
        return Err(format!(
            "Invalid input for field/attribute body. Value: {body}. Additional properties are not allowed ('{extra}' was unexpected)"
        ));
    }
    let Some(quota_set) = fields.get("quota_set").and_then(Value::as_object) else {
        return Err(
            "Invalid input for field/attribute quota_set. Value: None. 'quota_set' is a required property"
                .into(),
        );
    };
    let book = sim.book(Service::Compute);
    let exists = shown(minor);
    let mut update = Update {
        force: quota_set.get("force").is_some_and(truthy),
        limits: Vec::new(),
    };
    for (key, value) in quota_set {
        if key == "force" {
            continue;
        }
        if !(book.is_resource(key) && exists(key)) {
            return Err(format!(
                "Invalid input for field/attribute quota_set. Value: {}. Additional properties are not allowed ('{key}' was unexpected)",
                Value::Object(quota_set.clone())
            ));
        }
        if value.is_null() {
            continue;
        }
        let limit = requested_limit(value).map_err(|bad| {
            let problem = match bad {
                BadLimit::NotInteger => format!("{value} is not of type 'integer', 'string'"),
                BadLimit::TooSmall(limit) => format!("{limit} is less than the minimum of -1"),
                BadLimit::TooLarge(limit) => format!("{limit} is greater than the maximum of {MAX_LIMIT}"),
            };
            let shown = match bad {
                BadLimit::NotInteger => value.to_string(),
                BadLimit::TooSmall(limit) | BadLimit::TooLarge(limit) => limit.to_string(),
            };
            format!("Invalid input for field/attribute {key}. Value: {shown}. {problem}")
        })?;
        update.limits.push((key.clone(), limit));
    }
    Ok(update)
}

/// Nova's `verify_project_id`: a project Keystone does not know → 400.
async fn known_project(
    sim: &OpenStackSim,
    caller: &Caller,
    project_id: &str,
    minor: u32,
) -> Result<(), Response> {
    if sim.inner.keystone.is_unknown_project(caller, project_id).await {
        let message = format!("Project ID {project_id} is not a valid project.");
        return Err(versioned(compute_fault(StatusCode::BAD_REQUEST, &message), minor));
    }
    Ok(())
}

fn forbidden(action: &str) -> Response {
    compute_fault(
        StatusCode::FORBIDDEN,
        &format!("Policy doesn't allow os_compute_api:os-quota-sets:{action} to be performed."),
    )
}

/// The requested microversion's minor number: `OpenStack-API-Version:
/// compute 2.N` or `X-OpenStack-Nova-API-Version: 2.N`; 2.1 when absent.
/// The error is the status and message Nova answers.
fn microversion(headers: &HeaderMap) -> Result<u32, (StatusCode, String)> {
    let generic = headers
        .get_all("openstack-api-version")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .find_map(|entry| entry.trim().strip_prefix("compute ").map(str::trim));
    let legacy = headers
        .get("x-openstack-nova-api-version")
        .and_then(|value| value.to_str().ok())
        .map(str::trim);
    let Some(requested) = generic.or(legacy) else {
        return Ok(1);
    };
    if requested.eq_ignore_ascii_case("latest") {
        return Ok(MAX_MINOR);
    }
    let parsed = requested
        .split_once('.')
        .and_then(|(major, minor)| Some((major.parse::<u32>().ok()?, minor.parse::<u32>().ok()?)));
    let Some((major, minor)) = parsed else {
        return Err((
            StatusCode::BAD_REQUEST,
            format!(
                "API Version String {requested} is of invalid format. Must be of format MajorNum.MinorNum."
            ),
        ));
    };
    if major != 2 || !(1..=MAX_MINOR).contains(&minor) {
        return Err((
            StatusCode::NOT_ACCEPTABLE,
            format!("Version {major}.{minor} is not supported by the API. Minimum is 2.1 and maximum is 2.{MAX_MINOR}."),
        ));
    }
    Ok(minor)
}

/// Nova names the microversion it answered with.
fn versioned(mut response: Response, minor: u32) -> Response {
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&format!("compute 2.{minor}")) {
        headers.insert("openstack-api-version", value);
    }
    if let Ok(value) = HeaderValue::from_str(&format!("2.{minor}")) {
        headers.insert("x-openstack-nova-api-version", value);
    }
    headers.insert(
        http::header::VARY,
        HeaderValue::from_static("OpenStack-API-Version, X-OpenStack-Nova-API-Version"),
    );
    response
}
