//! ResourceQuota accounting. The real API server counts pods, which
//! controllers create from Deployments and StatefulSets; the simulator has no
//! pods, so it counts what they would request — replicas × the template's
//! container requests (limits when requests are absent, else the
//! LimitRange's defaults). Like a real cluster, it accepts a Deployment or
//! StatefulSet over the quota (the pods would be refused); unlike one, it
//! then counts them (its `status.used` may exceed `hard` where a cluster's
//! would not: the client never writes such a workload). Storage is the
//! PersistentVolumeClaims, including the ones a StatefulSet is about to get.
//! Jobs complete at once and count nothing.

use std::collections::BTreeMap;

use serde_json::Value;

use control::backends::kubernetes::admission::{self, milli, ContainerDefaults};
pub use control::backends::kubernetes::admission::{exceeded, format, Usage};

/// One object of a namespace, with its plural.
pub struct Entry<'a> {
    pub plural: &'a str,
    pub object: &'a Value,
}

/// The container defaults of the namespace's LimitRanges: (defaultRequest, default).
fn limit_range_defaults(entries: &[Entry<'_>]) -> ContainerDefaults {
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
                for (key, amount) in admission::workload_usage(object, &defaults) {
                    add(&key, amount);
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
}
