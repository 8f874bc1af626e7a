//! Neutron's quotas extension (networking API v2.0), from
//! neutron/extensions/quotasv2.py as of 2025.1: `PUT {"quota": {…}}`
//! refuses a limit below the usage unless `"force": true`; `check_limit`
//! is accepted and no longer needed (the check is the default); values
//! converted to integers in [-1, 2^31-1], unknown keys refused as
//! "Unrecognized attribute(s)"; `DELETE` answers 204; `…/default` and
//! `…/details` (`limit`/`used`/`reserved`). A `.json` suffix is accepted.
//! Neutron does not look the project up: any id has the defaults.

use axum::{
    body::Bytes,
    extract::{Path, State},
    response::{IntoResponse, Response},
    Json,
};
use http::{HeaderMap, StatusCode};
use serde_json::{json, Value};

use super::{
    auth::Caller,
    faults::{injected_message, neutron_fault, neutron_kind},
    requested_limit, BadLimit, OpenStackSim, Service, MAX_LIMIT,
};

pub const DEFAULTS: &[(&str, i64)] = &[
    ("network", 100),
    ("subnet", 100),
    ("port", 500),
    ("router", 10),
    ("floatingip", 50),
    ("security_group", 10),
    ("security_group_rule", 100),
    ("rbac_policy", 10),
    ("subnetpool", -1),
];

async fn prelude(sim: &OpenStackSim, headers: &HeaderMap, operation: &str) -> Result<Caller, Response> {
    let caller = sim.inner.keystone.authenticate(headers).await?;
    if let Some(status) = sim.faults().failure(operation).await {
        return Err(neutron_fault(
            status,
            neutron_kind(status),
            &injected_message(status),
        ));
    }
    Ok(caller)
}

fn without_json(id: &str) -> &str {
    id.strip_suffix(".json").unwrap_or(id)
}

pub async fn show(
    State(sim): State<OpenStackSim>,
    Path(project_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let project_id = without_json(&project_id);
    let caller = or_answer!(prelude(&sim, &headers, "neutron_show_quota").await);
    if !caller.may_read(project_id) {
        return not_allowed("get_quota");
    }
    let quota = sim.book(Service::Network).limits_of(project_id, |_| true);
    Json(json!({ "quota": quota })).into_response()
}

/// `GET …/{project}/default` and `…/{project}/details`.
pub async fn action(
    State(sim): State<OpenStackSim>,
    Path((project_id, action)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let operation = match without_json(&action) {
        "default" => "neutron_default_quota",
        "details" => "neutron_detail_quota",
        _ => {
            return neutron_fault(
                StatusCode::NOT_FOUND,
                "HTTPNotFound",
                "The resource could not be found.",
            )
        }
    };
    let caller = or_answer!(prelude(&sim, &headers, operation).await);
    if !caller.may_read(&project_id) {
        return not_allowed("get_quota");
    }
    let book = sim.book(Service::Network);
    let quota = if operation == "neutron_default_quota" {
        book.defaults_of(|_| true)
    } else {
        book.usage_of(&project_id, "used", |_| true)
    };
    Json(json!({ "quota": quota })).into_response()
}

pub async fn update(
    State(sim): State<OpenStackSim>,
    Path(project_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let project_id = without_json(&project_id);
    let caller = or_answer!(prelude(&sim, &headers, "neutron_update_quota").await);
    if !caller.is_admin() {
        return not_allowed("update_quota");
    }
    let (force, limits) = match validated_update(&sim, &body) {
        Ok(update) => update,
        Err(message) => return neutron_fault(StatusCode::BAD_REQUEST, "HTTPBadRequest", &message),
    };
    let mut book = sim.book(Service::Network);
    if !force {
        for (resource, limit) in &limits {
            let used = book.in_use(project_id, resource);
            if *limit != -1 && used > *limit {
                let message = format!(
                    "Quota limit {limit} for {resource} must be greater than or equal to already used {used}"
                );
                return neutron_fault(StatusCode::BAD_REQUEST, "HTTPBadRequest", &message);
            }
        }
    }
    for (resource, limit) in &limits {
        book.set_limit(project_id, resource, *limit);
    }
    let quota = book.limits_of(project_id, |_| true);
    Json(json!({ "quota": quota })).into_response()
}

pub async fn delete(
    State(sim): State<OpenStackSim>,
    Path(project_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let project_id = without_json(&project_id);
    let caller = or_answer!(prelude(&sim, &headers, "neutron_delete_quota").await);
    if !caller.is_admin() {
        return not_allowed("delete_quota");
    }
    sim.book(Service::Network).reset(project_id);
    StatusCode::NO_CONTENT.into_response()
}

/// `force` and the limits, checked as Neutron's attribute validation
/// does; the error is its message. Only a JSON `true` forces: Neutron
/// compares the raw value with `is not True`.
fn validated_update(sim: &OpenStackSim, body: &[u8]) -> Result<(bool, Vec<(String, i64)>), String> {
    let body: Value = serde_json::from_slice(body).map_err(|_| "Malformed request body".to_owned())?;
    let Some(quota) = body.get("quota").and_then(Value::as_object) else {
        return Err("Resource body required".into());
    };
    let force = matches!(quota.get("force"), Some(Value::Bool(true)));
    let book = sim.book(Service::Network);
    let unknown: Vec<String> = quota
        .keys()
        .filter(|key| !matches!(key.as_str(), "force" | "check_limit") && !book.is_resource(key))
        .map(|key| format!("'{key}'"))
        .collect();
    if !unknown.is_empty() {
        return Err(format!("Unrecognized attribute(s) {}", unknown.join(", ")));
    }
    let mut limits = Vec::new();
    for (key, value) in quota {
        if matches!(key.as_str(), "force" | "check_limit") {
            continue;
        }
        let shown = match value {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        let limit = requested_limit(value).map_err(|bad| {
            let reason = match bad {
                BadLimit::NotInteger => format!("'{shown}' is not an integer."),
                BadLimit::TooSmall(limit) => format!("'{limit}' is too small - must be at least '-1'."),
                BadLimit::TooLarge(limit) => {
                    format!("'{limit}' is too large - must be no larger than '{MAX_LIMIT}'.")
                }
            };
            format!("Invalid input for {key}. Reason: {reason}")
        })?;
        limits.push((key.clone(), limit));
    }
    Ok((force, limits))
}

fn not_allowed(rule: &str) -> Response {
    neutron_fault(
        StatusCode::FORBIDDEN,
        "PolicyNotAuthorized",
        &format!("rule:{rule} is disallowed by policy"),
    )
}
