//! The defaults the API server writes into an object on every create and
//! update (k8s.io/kubernetes `pkg/apis/{core,apps,batch,networking}/v1/defaults.go`),
//! for the fields clients read back or patch: a workload's replicas,
//! strategy and history, its pod template's policies, its containers' pull
//! and termination-message policies, the protocol of every port, a
//! Service's affinity and target ports, a claim's volume mode.

use serde_json::{json, Map, Value};

use super::kinds::Kind;

/// `map[key]` set to `value` unless it holds something already.
fn default(map: &mut Map<String, Value>, key: &str, value: Value) {
    if map.get(key).is_none_or(Value::is_null) {
        map.insert(key.to_owned(), value);
    }
}

/// The object at `key` of `map`, created empty when absent.
fn child<'m>(map: &'m mut Map<String, Value>, key: &str) -> Option<&'m mut Map<String, Value>> {
    default(map, key, json!({}));
    map.get_mut(key).and_then(Value::as_object_mut)
}

/// Every object of the list at `key` of `map`.
fn each<'m>(map: &'m mut Map<String, Value>, key: &str) -> impl Iterator<Item = &'m mut Map<String, Value>> {
    map.get_mut(key)
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object_mut)
}

pub fn apply(kind: &Kind, object: &mut Value) {
    let Some(spec) = object.get_mut("spec").and_then(Value::as_object_mut) else {
        return;
    };
    // A custom resource keeps what it was given.
    if !kind.custom {
        without_empty_lists(spec);
    }
    match kind.plural {
        "deployments" => deployment(spec),
        "statefulsets" => stateful_set(spec),
        "jobs" => job(spec),
        "services" => service(spec),
        "persistentvolumeclaims" => default(spec, "volumeMode", json!("Filesystem")),
        "networkpolicies" => network_policy(spec),
        _ => {}
    }
}

/// Go drops an empty list from every `omitempty` field it encodes, which is
/// every list of the built-in kinds' specs: `env: []` is stored as no `env`
/// (as when a strategic merge patch deletes a list's last element).
fn without_empty_lists(map: &mut Map<String, Value>) {
    map.retain(|_, value| !value.as_array().is_some_and(Vec::is_empty));
    for value in map.values_mut() {
        match value {
            Value::Object(child) => without_empty_lists(child),
            Value::Array(items) => items
                .iter_mut()
                .filter_map(Value::as_object_mut)
                .for_each(without_empty_lists),
            _ => {}
        }
    }
}

fn deployment(spec: &mut Map<String, Value>) {
    default(spec, "replicas", json!(1));
    default(spec, "revisionHistoryLimit", json!(10));
    default(spec, "progressDeadlineSeconds", json!(600));
    if let Some(strategy) = child(spec, "strategy") {
        default(strategy, "type", json!("RollingUpdate"));
        if strategy.get("type") == Some(&json!("RollingUpdate")) {
            if let Some(rolling) = child(strategy, "rollingUpdate") {
                default(rolling, "maxUnavailable", json!("25%"));
                default(rolling, "maxSurge", json!("25%"));
            }
        }
    }
    pod_template(spec, "Always");
}

fn stateful_set(spec: &mut Map<String, Value>) {
    default(spec, "replicas", json!(1));
    default(spec, "revisionHistoryLimit", json!(10));
    default(spec, "podManagementPolicy", json!("OrderedReady"));
    if let Some(strategy) = child(spec, "updateStrategy") {
        if strategy.get("type").is_none_or(Value::is_null) {
            strategy.insert("type".into(), json!("RollingUpdate"));
            default(strategy, "rollingUpdate", json!({}));
        }
        if strategy.get("type") == Some(&json!("RollingUpdate")) {
            if let Some(rolling) = strategy.get_mut("rollingUpdate").and_then(Value::as_object_mut) {
                default(rolling, "partition", json!(0));
            }
        }
    }
    if let Some(retention) = child(spec, "persistentVolumeClaimRetentionPolicy") {
        default(retention, "whenDeleted", json!("Retain"));
        default(retention, "whenScaled", json!("Retain"));
    }
    for template in each(spec, "volumeClaimTemplates") {
        if let Some(claim) = child(template, "spec") {
            default(claim, "volumeMode", json!("Filesystem"));
        }
        if let Some(status) = child(template, "status") {
            default(status, "phase", json!("Pending"));
        }
    }
    pod_template(spec, "Always");
}

fn job(spec: &mut Map<String, Value>) {
    let completions_set = spec.get("completions").is_some_and(|value| !value.is_null());
    let parallelism_set = spec.get("parallelism").is_some_and(|value| !value.is_null());
    if !completions_set && !parallelism_set {
        spec.insert("completions".into(), json!(1));
    }
    default(spec, "parallelism", json!(1));
    default(spec, "backoffLimit", json!(6));
    default(spec, "completionMode", json!("NonIndexed"));
    default(spec, "suspend", json!(false));
    if spec.get("podFailurePolicy").is_none_or(Value::is_null) {
        default(spec, "podReplacementPolicy", json!("TerminatingOrFailed"));
    }
    // A Job's pods must say Never or OnFailure: validation, not a default.
    pod_template(spec, "");
}

/// `spec.template.spec` of a workload (`SetDefaults_PodSpec`, `SetDefaults_Container`).
fn pod_template(spec: &mut Map<String, Value>, restart_policy: &str) {
    let Some(pod) = spec
        .get_mut("template")
        .and_then(Value::as_object_mut)
        .and_then(|template| child(template, "spec"))
    else {
        return;
    };
    if !restart_policy.is_empty() {
        default(pod, "restartPolicy", json!(restart_policy));
    }
    default(pod, "dnsPolicy", json!("ClusterFirst"));
    default(pod, "terminationGracePeriodSeconds", json!(30));
    default(pod, "schedulerName", json!("default-scheduler"));
    default(pod, "securityContext", json!({}));
    for list in ["initContainers", "containers"] {
        for container in each(pod, list) {
            let image = container.get("image").and_then(Value::as_str).unwrap_or("");
            default(container, "imagePullPolicy", json!(pull_policy(image)));
            default(container, "terminationMessagePath", json!("/dev/termination-log"));
            default(container, "terminationMessagePolicy", json!("File"));
            for port in each(container, "ports") {
                default(port, "protocol", json!("TCP"));
            }
        }
    }
}

/// `Always` for an image without a tag or tagged `latest`, else `IfNotPresent`.
fn pull_policy(image: &str) -> &'static str {
    if image.contains('@') {
        return "IfNotPresent";
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        Some((_, tag)) if tag != "latest" => "IfNotPresent",
        _ => "Always",
    }
}

fn service(spec: &mut Map<String, Value>) {
    default(spec, "sessionAffinity", json!("None"));
    default(spec, "internalTrafficPolicy", json!("Cluster"));
    default(spec, "ipFamilies", json!(["IPv4"]));
    default(spec, "ipFamilyPolicy", json!("SingleStack"));
    for port in each(spec, "ports") {
        default(port, "protocol", json!("TCP"));
        let number = port.get("port").cloned().unwrap_or(Value::Null);
        default(port, "targetPort", number);
    }
}

fn network_policy(spec: &mut Map<String, Value>) {
    for direction in ["ingress", "egress"] {
        for rule in each(spec, direction) {
            for port in each(rule, "ports") {
                default(port, "protocol", json!("TCP"));
            }
        }
    }
    // No policyTypes: Ingress, and Egress when there are egress rules.
    if spec.get("policyTypes").is_none_or(Value::is_null) {
        let egress = spec
            .get("egress")
            .and_then(Value::as_array)
            .is_some_and(|rules| !rules.is_empty());
        let types = if egress {
            json!(["Ingress", "Egress"])
        } else {
            json!(["Ingress"])
        };
        spec.insert("policyTypes".into(), types);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_without_a_pinned_tag_are_always_pulled() {
        assert_eq!(pull_policy("nginx"), "Always");
        assert_eq!(pull_policy("nginx:latest"), "Always");
        assert_eq!(pull_policy("nginx:1.27"), "IfNotPresent");
        assert_eq!(pull_policy("registry:5000/shop"), "Always");
        assert_eq!(pull_policy("registry:5000/shop:2"), "IfNotPresent");
        assert_eq!(pull_policy("shop@sha256:abc"), "IfNotPresent");
    }
}
