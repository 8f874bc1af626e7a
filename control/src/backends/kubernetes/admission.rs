//! What kube-apiserver's ResourceQuota admission counts and says, in one
//! place for the client and the simulator. A real cluster accepts a
//! Deployment whatever its size and refuses its pods later, out of sight
//! (the ReplicaSet's events); so the client judges a workload against the
//! namespace's quota before writing it, with the API server's own words.

use std::collections::BTreeMap;

use serde_json::Value;

use super::quantity;

/// Usage per quota key, in milli-units.
pub type Usage = BTreeMap<String, i128>;

/// A quantity of a manifest, in milli-units (0 when absent or unreadable).
pub fn milli(value: &Value) -> i128 {
    value.as_str().and_then(quantity::parse_milli).unwrap_or(0)
}

/// What one replica of a pod template requests and is limited to, per resource.
fn pod_resources(template: &Value, defaults: &ContainerDefaults) -> (Usage, Usage) {
    let (default_requests, default_limits) = defaults;
    let mut requests = Usage::new();
    let mut limits = Usage::new();
    let containers = template["spec"]["containers"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for container in &containers {
        let resources = &container["resources"];
        for resource in ["cpu", "memory"] {
            let limit = resources["limits"]
                .get(resource)
                .map(milli)
                .or_else(|| default_limits.get(resource).copied());
            let request = resources["requests"]
                .get(resource)
                .map(milli)
                .or(limit)
                .or_else(|| default_requests.get(resource).copied());
            *requests.entry(resource.to_owned()).or_default() += request.unwrap_or(0);
            *limits.entry(resource.to_owned()).or_default() += limit.unwrap_or(0);
        }
    }
    (requests, limits)
}

/// Container defaults of a namespace's LimitRanges: (defaultRequest, default).
pub type ContainerDefaults = (BTreeMap<String, i128>, BTreeMap<String, i128>);

/// What a Deployment's or StatefulSet's pods take of a quota: replicas ×
/// the template's requests (`pods`, `requests.cpu`, `cpu`, `limits.cpu`…).
pub fn workload_usage(workload: &Value, defaults: &ContainerDefaults) -> Usage {
    let count = workload["spec"]["replicas"].as_i64().map_or(1, i128::from).max(0);
    let (requests, limits) = pod_resources(&workload["spec"]["template"], defaults);
    let mut usage = Usage::new();
    let mut add = |key: String, amount: i128| *usage.entry(key).or_default() += amount;
    add("pods".to_owned(), 1000 * count);
    for (resource, amount) in &requests {
        add(format!("requests.{resource}"), amount * count);
        add(resource.clone(), amount * count);
    }
    for (resource, amount) in &limits {
        add(format!("limits.{resource}"), amount * count);
    }
    usage
}

/// `total` grown by `more`.
pub fn add(total: &mut Usage, more: &Usage) {
    for (key, amount) in more {
        *total.entry(key.clone()).or_default() += amount;
    }
}

/// A quota key's amount as the API server writes it.
pub fn format(key: &str, milli: i128) -> String {
    let bytes_like = key.contains("memory") || key.contains("storage");
    if milli % 1000 != 0 {
        return format!("{milli}m");
    }
    let value = milli / 1000;
    if bytes_like && value > 0 {
        quantity::bytes(value.unsigned_abs())
    } else {
        value.to_string()
    }
}

/// The admission message when a write takes a key of `quota` over its
/// limit, if it does: only keys whose usage grows count.
pub fn exceeded(
    quota_name: &str,
    hard: &serde_json::Map<String, Value>,
    before: &Usage,
    after: &Usage,
) -> Option<String> {
    let mut requested = Vec::new();
    let mut used = Vec::new();
    let mut limited = Vec::new();
    for (key, limit) in hard {
        let limit = milli(limit);
        let was = before.get(key).copied().unwrap_or(0);
        let will = after.get(key).copied().unwrap_or(0);
        if will > was && will > limit {
            requested.push(format!("{key}={}", format(key, will - was)));
            used.push(format!("{key}={}", format(key, was)));
            limited.push(format!("{key}={}", format(key, limit)));
        }
    }
    if requested.is_empty() {
        return None;
    }
    Some(format!(
        "exceeded quota: {quota_name}, requested: {}, used: {}, limited: {}",
        requested.join(","),
        used.join(","),
        limited.join(",")
    ))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn only_growth_over_the_limit_is_refused() {
        let hard = json!({ "requests.cpu": "1" });
        let hard = hard.as_object().cloned().unwrap_or_default();
        let before = Usage::from([("requests.cpu".to_owned(), 500)]);
        let after = Usage::from([("requests.cpu".to_owned(), 1500)]);
        assert_eq!(
            exceeded("q", &hard, &before, &after).as_deref(),
            Some("exceeded quota: q, requested: requests.cpu=1, used: requests.cpu=500m, limited: requests.cpu=1")
        );
        assert_eq!(exceeded("q", &hard, &after, &before), None);
    }

    #[test]
    fn a_workload_takes_replicas_times_its_pods_requests() {
        let deployment = json!({ "spec": { "replicas": 3, "template": { "spec": { "containers": [
            { "resources": { "requests": { "cpu": "400m", "memory": "512Mi" }, "limits": { "cpu": "400m", "memory": "512Mi" } } },
        ]}}}});
        let usage = workload_usage(&deployment, &ContainerDefaults::default());
        assert_eq!(usage["pods"], 3000);
        assert_eq!(format("requests.cpu", usage["requests.cpu"]), "1200m");
        assert_eq!(format("limits.memory", usage["limits.memory"]), "1536Mi");
        let suspended = json!({ "spec": { "replicas": 0, "template": deployment["spec"]["template"] } });
        assert_eq!(
            workload_usage(&suspended, &ContainerDefaults::default())["requests.cpu"],
            0
        );
    }
}
