//! Discovery as the API server serves it unaggregated (`/api`, `/api/v1`,
//! `/apis`, `/apis/{group}`, `/apis/{group}/{version}`): what kubectl and
//! the Python client's `DynamicClient` read before anything else. Only what
//! the simulator serves is listed, with the verbs it answers.

use serde_json::{json, Value};

use super::{
    kinds::{Kind, KINDS},
    status::ApiError,
};

/// The verbs every stored kind answers (no watch, no deletecollection).
const STORED_VERBS: [&str; 6] = ["create", "delete", "get", "list", "patch", "update"];
/// The verbs of `scale` and `status` subresources.
const SUBRESOURCE_VERBS: [&str; 3] = ["get", "patch", "update"];
const READ_VERBS: [&str; 2] = ["get", "list"];

/// A resource served from what the workloads imply (see `metrics`), not stored.
struct Derived {
    group: &'static str,
    version: &'static str,
    name: &'static str,
    singular: &'static str,
    kind: &'static str,
    namespaced: bool,
    verbs: &'static [&'static str],
    short_names: &'static [&'static str],
}

static DERIVED: [Derived; 4] = [
    Derived {
        group: "",
        version: "v1",
        name: "pods",
        singular: "pod",
        kind: "Pod",
        namespaced: true,
        verbs: &READ_VERBS,
        short_names: &["po"],
    },
    Derived {
        group: "",
        version: "v1",
        name: "nodes",
        singular: "node",
        kind: "Node",
        namespaced: false,
        verbs: &READ_VERBS,
        short_names: &["no"],
    },
    Derived {
        group: "",
        version: "v1",
        name: "nodes/proxy",
        singular: "",
        kind: "NodeProxyOptions",
        namespaced: false,
        verbs: &["get"],
        short_names: &[],
    },
    Derived {
        group: "metrics.k8s.io",
        version: "v1beta1",
        name: "pods",
        singular: "",
        kind: "PodMetrics",
        namespaced: true,
        verbs: &READ_VERBS,
        short_names: &[],
    },
];

/// The discovery document at `path`, `None` when the path is no discovery path.
pub fn answer(path: &str, server_address: &str) -> Option<Result<Value, ApiError>> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let found = match segments.as_slice() {
        ["api"] => Some(json!({
            "kind": "APIVersions",
            "versions": ["v1"],
            "serverAddressByClientCIDRs": [{ "clientCIDR": "0.0.0.0/0", "serverAddress": server_address }],
        })),
        ["api", version] => resource_list("", version),
        ["apis"] => {
            let groups: Vec<Value> = group_versions()
                .into_iter()
                .map(|(group, version)| group_document(group, version))
                .collect();
            Some(json!({ "kind": "APIGroupList", "apiVersion": "v1", "groups": groups }))
        }
        ["apis", group] => {
            group_versions()
                .into_iter()
                .find(|(name, _)| name == group)
                .map(|(name, version)| {
                    let mut document = group_document(name, version);
                    document["kind"] = json!("APIGroup");
                    document["apiVersion"] = json!("v1");
                    document
                })
        }
        ["apis", group, version] => resource_list(group, version),
        _ => return None,
    };
    Some(found.ok_or_else(ApiError::no_route))
}

/// The named groups and their one version, stored kinds' first.
fn group_versions() -> Vec<(&'static str, &'static str)> {
    let mut found: Vec<(&'static str, &'static str)> = Vec::new();
    let named = KINDS
        .iter()
        .map(|kind| (kind.group, kind.version))
        .chain(DERIVED.iter().map(|derived| (derived.group, derived.version)))
        .filter(|(group, _)| !group.is_empty());
    for group_version in named {
        if !found.contains(&group_version) {
            found.push(group_version);
        }
    }
    found
}

fn group_document(group: &str, version: &str) -> Value {
    let group_version = json!({ "groupVersion": format!("{group}/{version}"), "version": version });
    json!({ "name": group, "versions": [group_version.clone()], "preferredVersion": group_version })
}

/// An `APIResourceList`, `None` for a group version the simulator does not serve.
fn resource_list(group: &str, version: &str) -> Option<Value> {
    let mut resources: Vec<Value> = Vec::new();
    for kind in KINDS
        .iter()
        .filter(|kind| kind.group == group && kind.version == version)
    {
        resources.push(stored(kind));
        if kind.scalable {
            resources.push(json!({
                "name": format!("{}/scale", kind.plural), "singularName": "", "namespaced": kind.namespaced,
                "group": "autoscaling", "version": "v1", "kind": "Scale", "verbs": SUBRESOURCE_VERBS,
            }));
        }
        if kind.serves_status {
            resources.push(json!({
                "name": format!("{}/status", kind.plural), "singularName": "", "namespaced": kind.namespaced,
                "kind": kind.kind, "verbs": SUBRESOURCE_VERBS,
            }));
        }
    }
    for derived in DERIVED
        .iter()
        .filter(|derived| derived.group == group && derived.version == version)
    {
        let mut resource = json!({
            "name": derived.name, "singularName": derived.singular, "namespaced": derived.namespaced,
            "kind": derived.kind, "verbs": derived.verbs,
        });
        if !derived.short_names.is_empty() {
            resource["shortNames"] = json!(derived.short_names);
        }
        resources.push(resource);
    }
    if resources.is_empty() {
        return None;
    }
    Some(if group.is_empty() {
        // The legacy group's list has no apiVersion, as the API server writes it.
        json!({ "kind": "APIResourceList", "groupVersion": version, "resources": resources })
    } else {
        json!({ "kind": "APIResourceList", "apiVersion": "v1", "groupVersion": format!("{group}/{version}"), "resources": resources })
    })
}

fn stored(kind: &Kind) -> Value {
    let mut resource = json!({
        "name": kind.plural, "singularName": kind.kind.to_lowercase(), "namespaced": kind.namespaced,
        "kind": kind.kind, "verbs": STORED_VERBS,
    });
    if !kind.short_names.is_empty() {
        resource["shortNames"] = json!(kind.short_names);
    }
    if !kind.categories.is_empty() {
        resource["categories"] = json!(kind.categories);
    }
    resource
}
