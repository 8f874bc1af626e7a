//! Cinder's `os-quota-sets` (block storage API v3), from
//! cinder/api/contrib/quotas.py and its schema: the URL may carry the
//! caller's own project before `os-quota-sets` (another → 400 "Malformed
//! request url"; without it, as Cinder routes every microversion since
//! 3.67 is announced, the token's project is meant); `PUT`
//! takes only `quota_set` ("Bad key(s) in quota set" for unknown
//! resources), integers from -1, never below what is in use; `DELETE`
//! answers 200. `?usage=True` shows `limit`/`in_use`/`reserved`.

use std::collections::HashMap;

use axum::{
    body::Bytes,
    extract::{Path, Query, State},
    response::{IntoResponse, Response},
    Json,
};
use http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{
    auth::Caller,
    faults::{compute_fault, injected_message},
    requested_limit, truthy, BadLimit, OpenStackSim, Service, MAX_LIMIT,
};

pub const DEFAULTS: &[(&str, i64)] = &[
    ("volumes", 10),
    ("gigabytes", 1000),
    ("snapshots", 10),
    ("backups", 10),
    ("backup_gigabytes", 1000),
    ("groups", 10),
    ("per_volume_gigabytes", -1),
    // Per volume type, for the default type every deployment has.
    ("volumes___DEFAULT__", -1),
    ("gigabytes___DEFAULT__", -1),
    ("snapshots___DEFAULT__", -1),
];

/// Keys a quota set may carry that are not resources.
const NON_QUOTA_KEYS: [&str; 2] = ["tenant_id", "id"];

/// `…/v3[/{admin_project_id}]/os-quota-sets/{project_id}`.
#[derive(Deserialize)]
pub struct QuotaPath {
    /// The project the URL is scoped to, when it names one.
    admin_project_id: Option<String>,
    /// The project whose quotas are meant.
    project_id: String,
}

async fn prelude(
    sim: &OpenStackSim,
    headers: &HeaderMap,
    admin_project_id: Option<&str>,
    operation: &str,
) -> Result<Caller, Response> {
    let caller = sim.inner.keystone.authenticate(headers).await?;
    if admin_project_id.is_some_and(|scoped| scoped != caller.project_id) {
        return Err(compute_fault(StatusCode::BAD_REQUEST, "Malformed request url"));
    }
    if let Some(status) = sim.faults().failure(operation).await {
        return Err(compute_fault(status, &injected_message(status)));
    }
    Ok(caller)
}

pub async fn show(
    State(sim): State<OpenStackSim>,
    Path(QuotaPath {
        admin_project_id,
        project_id,
    }): Path<QuotaPath>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let caller = or_answer!(prelude(&sim, &headers, admin_project_id.as_deref(), "cinder_show_quota").await);
    if !caller.may_read(&project_id) {
        return forbidden("show");
    }
    let usage = query.get("usage").is_some_and(|value| truthy(&json!(value)));
    let book = sim.book(Service::Volume);
    let mut set = if usage {
        book.usage_of(&project_id, "in_use", |_| true)
    } else {
        book.limits_of(&project_id, |_| true)
    };
    set.insert("id".into(), json!(project_id));
    Json(json!({ "quota_set": set })).into_response()
}

pub async fn defaults(
    State(sim): State<OpenStackSim>,
    Path(QuotaPath {
        admin_project_id,
        project_id,
    }): Path<QuotaPath>,
    headers: HeaderMap,
) -> Response {
    or_answer!(
        prelude(
            &sim,
            &headers,
            admin_project_id.as_deref(),
            "cinder_default_quota"
        )
        .await
    );
    let mut set = sim.book(Service::Volume).defaults_of(|_| true);
    set.insert("id".into(), json!(project_id));
    Json(json!({ "quota_set": set })).into_response()
}

pub async fn update(
    State(sim): State<OpenStackSim>,
    Path(QuotaPath {
        admin_project_id,
        project_id,
    }): Path<QuotaPath>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let caller =
        or_answer!(prelude(&sim, &headers, admin_project_id.as_deref(), "cinder_update_quota").await);
    let limits = match validated_update(&sim, &body) {
        Ok(limits) => limits,
        Err(message) => return compute_fault(StatusCode::BAD_REQUEST, &message),
    };
    if !caller.is_admin() {
        return forbidden("update");
    }
    let mut book = sim.book(Service::Volume);
    for (resource, limit) in &limits {
        let used = book.in_use(&project_id, resource);
        if resource != "per_volume_gigabytes" && *limit != -1 && *limit < used {
            let message = format!(
                "Quota {resource} limit must be equal or greater than existing resources. Current usage is {used} and the requested limit is {limit}."
            );
            return compute_fault(StatusCode::BAD_REQUEST, &message);
        }
    }
    for (resource, limit) in &limits {
        book.set_limit(&project_id, resource, *limit);
    }
    let set = book.limits_of(&project_id, |_| true);
    Json(json!({ "quota_set": set })).into_response()
}

pub async fn delete(
    State(sim): State<OpenStackSim>,
    Path(QuotaPath {
        admin_project_id,
        project_id,
    }): Path<QuotaPath>,
    headers: HeaderMap,
) -> Response {
    let caller =
        or_answer!(prelude(&sim, &headers, admin_project_id.as_deref(), "cinder_delete_quota").await);
    if !caller.is_admin() {
        return forbidden("delete");
    }
    sim.book(Service::Volume).reset(&project_id);
    StatusCode::OK.into_response()
}

/// The body checked as Cinder's schema and its `quota_set` format do.
fn validated_update(sim: &OpenStackSim, body: &[u8]) -> Result<Vec<(String, i64)>, String> {
    let body: Value = serde_json::from_slice(body).map_err(|_| "Malformed request body".to_owned())?;
    let Some(fields) = body.as_object() else {
        return Err("Invalid input for field/attribute body. Expected an object.".into());
    };
    if let Some(extra) = fields.keys().find(|key| *key != "quota_set") {
        return Err(format!(
            "Invalid input for field/attribute body. Value: {body}. Additional properties are not allowed ('{extra}' was unexpected)"
        ));
    }
    let quota_set = match fields.get("quota_set").and_then(Value::as_object) {
        Some(set) if !set.is_empty() => set,
        _ => return Err("Invalid input for field/attribute quota_set. 'quota_set' is a required property with at least one quota".into()),
    };
    let book = sim.book(Service::Volume);
    let bad_keys: Vec<&str> = quota_set
        .keys()
        .map(String::as_str)
        .filter(|key| !book.is_resource(key) && !NON_QUOTA_KEYS.contains(key))
        .collect();
    if !bad_keys.is_empty() {
        return Err(format!(
            "Invalid input received: Bad key(s) in quota set: {}",
            bad_keys.join(", ")
        ));
    }
    let mut limits = Vec::new();
    for (key, value) in quota_set {
        if NON_QUOTA_KEYS.contains(&key.as_str()) {
            continue;
        }
        let limit = requested_limit(value).map_err(|bad| match bad {
            BadLimit::NotInteger => format!("Invalid input received: {key} must be an integer."),
            BadLimit::TooSmall(_) => format!("Invalid input received: {key} must be >= -1"),
            BadLimit::TooLarge(_) => format!("Invalid input received: {key} must be <= {MAX_LIMIT}"),
        })?;
        limits.push((key.clone(), limit));
    }
    Ok(limits)
}

fn forbidden(action: &str) -> Response {
    compute_fault(
        StatusCode::FORBIDDEN,
        &format!("Policy doesn't allow volume_extension:quotas:{action} to be performed."),
    )
}
