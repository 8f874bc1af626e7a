//! ResourceQuota accounting. The real API server counts pods, which
//! controllers create from Deployments and StatefulSets; the simulator has no
//! pods, so it counts what they would request — replicas × the template's
//! container requests (limits when requests are absent, else the
//! LimitRange's defaults) — and checks it when a Deployment or StatefulSet is
//! written (an approximation: a real cluster accepts the Deployment and
//! fails its pods). Storage is the PersistentVolumeClaims, including the
//! ones a StatefulSet is about to get. Jobs complete at once and count nothing.

use std::collections::BTreeMap;

use control::backends::kubernetes::quantity;
use serde_json::Value;

/// Usage per quota key, in milli-units.
pub type Usage = BTreeMap<String, i128>;

/// One object of a namespace, with its plural.
pub struct Entry<'a> {
    pub plural: &'a str,
    pub object: &'a Value,
}

fn milli(value: &Value) -> i128 {
    value.as_str().and_then(quantity::parse_milli).unwrap_or(0)
}

/// The container defaults of the namespace's LimitRanges: (defaultRequest, default).
fn limit_range_defaults(entries: &[Entry<'_>]) -> (BTreeMap<String, i128>, BTreeMap<String, i128>) {
    let mut requests = BTreeMap::new();
    let mut limits = BTreeMap::new();
    for entry in entries.iter().filter(|entry| entry.plural == "limitranges") {
        let items = entry.object["spec"]["limits"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for item in items.iter().filter(|item| item["type"] == "Container") {
            for (field, into) in [("defaultRequest", &mut requests), ("default", &mut limits)] {
                if let Some(values) = item[field].as_object() {
                    for (resource, value) in values {
                        into.entry(resource.clone()).or_insert_with(|| milli(value));
                    }
                }
            }
        }
    }
    (requests, limits)
}

/// What one replica of a pod template requests and is limited to, per resource.
fn pod_resources(
    template: &Value,
    defaults: &(BTreeMap<String, i128>, BTreeMap<String, i128>),
) -> (Usage, Usage) {
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

fn replicas(object: &Value) -> i128 {
    object["spec"]["replicas"].as_i64().map_or(1, i128::from).max(0)
}

fn name_of(object: &Value) -> &str {
    object["metadata"]["name"].as_str().unwrap_or("")
}

/// The claims a StatefulSet's controller makes: `<template>-<set>-<ordinal>`.
pub fn stateful_set_claims(stateful_set: &Value) -> Vec<(String, Value)> {
    let set = name_of(stateful_set);
    let templates = stateful_set["spec"]["volumeClaimTemplates"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut claims = Vec::new();
    for ordinal in 0..replicas(stateful_set) {
        for template in &templates {
            claims.push((format!("{}-{set}-{ordinal}", name_of(template)), template.clone()));
        }
    }
    claims
}

/// The namespace's usage, for every key a quota may limit.
pub fn usage(entries: &[Entry<'_>]) -> Usage {
    let defaults = limit_range_defaults(entries);
    let mut usage = Usage::new();
    let mut add = |key: &str, amount: i128| *usage.entry(key.to_owned()).or_default() += amount;
    let claim_names: Vec<&str> = entries
        .iter()
        .filter(|entry| entry.plural == "persistentvolumeclaims")
        .map(|entry| name_of(entry.object))
        .collect();
    for entry in entries {
        let object = entry.object;
        let group = object["apiVersion"]
            .as_str()
            .and_then(|version| version.split_once('/'))
            .map(|(group, _)| group);
        let counted = match group {
            Some(group) => format!("count/{}.{group}", entry.plural),
            None => format!("count/{}", entry.plural),
        };
        add(&counted, 1000);
        match entry.plural {
            "services" | "secrets" | "configmaps" | "resourcequotas" => add(entry.plural, 1000),
            "persistentvolumeclaims" => {
                add("persistentvolumeclaims", 1000);
                add(
                    "requests.storage",
                    milli(&object["spec"]["resources"]["requests"]["storage"]),
                );
            }
            "deployments" | "statefulsets" => {
                let count = replicas(object);
                let (requests, limits) = pod_resources(&object["spec"]["template"], &defaults);
                add("pods", 1000 * count);
                for (resource, amount) in &requests {
                    add(&format!("requests.{resource}"), amount * count);
                    add(resource, amount * count);
                }
                for (resource, amount) in &limits {
                    add(&format!("limits.{resource}"), amount * count);
                }
                if entry.plural == "statefulsets" {
                    for (claim, template) in stateful_set_claims(object) {
                        if !claim_names.contains(&claim.as_str()) {
                            add("persistentvolumeclaims", 1000);
                            add(
                                "requests.storage",
                                milli(&template["spec"]["resources"]["requests"]["storage"]),
                            );
                        }
                    }
                }
            }
            _ => {}
        }
    }
    usage
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

/// `status.used` of a quota: its hard keys, as used now.
pub fn used(hard: &serde_json::Map<String, Value>, usage: &Usage) -> Value {
    hard.keys()
        .map(|key| {
            (
                key.clone(),
                Value::String(format(key, usage.get(key).copied().unwrap_or(0))),
            )
        })
        .collect::<serde_json::Map<_, _>>()
        .into()
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
    fn workloads_count_replicas_times_requests_and_claims_count_storage() {
        let deployment = json!({ "apiVersion": "apps/v1", "metadata": { "name": "web" }, "spec": { "replicas": 2, "template": { "spec": { "containers": [
            { "resources": { "requests": { "cpu": "250m", "memory": "256Mi" }, "limits": { "cpu": "500m", "memory": "256Mi" } } },
        ]}}}});
        let stateful_set = json!({ "apiVersion": "apps/v1", "metadata": { "name": "db" }, "spec": { "replicas": 1,
            "template": { "spec": { "containers": [{ "resources": { "limits": { "cpu": "1", "memory": "1Gi" } } }] } },
            "volumeClaimTemplates": [{ "metadata": { "name": "data" }, "spec": { "resources": { "requests": { "storage": "5Gi" } } } }],
        }});
        let entries = [
            Entry {
                plural: "deployments",
                object: &deployment,
            },
            Entry {
                plural: "statefulsets",
                object: &stateful_set,
            },
        ];
        let usage = usage(&entries);
        assert_eq!(format("requests.cpu", usage["requests.cpu"]), "1500m");
        assert_eq!(format("limits.cpu", usage["limits.cpu"]), "2");
        assert_eq!(format("requests.memory", usage["requests.memory"]), "1536Mi");
        assert_eq!(format("requests.storage", usage["requests.storage"]), "5Gi");
        assert_eq!(usage["pods"], 3000);
        assert_eq!(usage["count/deployments.apps"], 1000);
    }

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
}
