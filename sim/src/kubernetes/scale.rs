//! The `scale` subresource of Deployments and StatefulSets, as the apps
//! registry serves it (`ScaleREST`): an autoscaling/v1 `Scale` whose
//! `spec.replicas` is the workload's, `status.replicas` its status's and
//! `status.selector` its selector as a label query; a write moves
//! `spec.replicas` (and the `resourceVersion` it was based on) to the
//! workload, which the controllers then follow.

use serde_json::{json, Map, Value};

use super::{cluster::Cluster, kinds::Kind, status::ApiError};

const API_VERSION: &str = "autoscaling/v1";

/// The workload's `Scale` (`scaleFromDeployment`, `scaleFromStatefulSet`).
pub fn of(workload: &Value) -> Value {
    let metadata = &workload["metadata"];
    let mut spec = Map::new();
    // The API server defaults an absent `spec.replicas` to 1 on create.
    let replicas = workload["spec"]["replicas"].as_i64().unwrap_or(1);
    // autoscaling/v1 `ScaleSpec.replicas` is `omitempty`.
    if replicas != 0 {
        spec.insert("replicas".into(), json!(replicas));
    }
    let mut status = Map::new();
    status.insert(
        "replicas".into(),
        json!(workload["status"]["replicas"].as_i64().unwrap_or(0)),
    );
    let selector = selector_string(&workload["spec"]["selector"]);
    if !selector.is_empty() {
        status.insert("selector".into(), json!(selector));
    }
    json!({
        "kind": "Scale",
        "apiVersion": API_VERSION,
        "metadata": {
            "name": metadata["name"],
            "namespace": metadata["namespace"],
            "uid": metadata["uid"],
            "resourceVersion": metadata["resourceVersion"],
            "creationTimestamp": metadata["creationTimestamp"],
        },
        "spec": spec,
        "status": status,
    })
}

/// A `LabelSelector` as `LabelSelectorAsSelector(…).String()` writes it:
/// requirements sorted by key, `k=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`.
fn selector_string(selector: &Value) -> String {
    let mut requirements: Vec<(String, String)> = Vec::new();
    if let Some(labels) = selector["matchLabels"].as_object() {
        for (key, value) in labels {
            requirements.push((key.clone(), format!("{key}={}", value.as_str().unwrap_or(""))));
        }
    }
    for expression in selector["matchExpressions"].as_array().into_iter().flatten() {
        let key = expression["key"].as_str().unwrap_or("");
        let mut values: Vec<&str> = expression["values"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        values.sort_unstable();
        let values = values.join(",");
        let rendered = match expression["operator"].as_str() {
            Some("In") => format!("{key} in ({values})"),
            Some("NotIn") => format!("{key} notin ({values})"),
            Some("Exists") => key.to_owned(),
            Some("DoesNotExist") => format!("!{key}"),
            _ => continue,
        };
        requirements.push((key.to_owned(), rendered));
    }
    requirements.sort_by(|left, right| left.0.cmp(&right.0));
    requirements
        .into_iter()
        .map(|(_, rendered)| rendered)
        .collect::<Vec<_>>()
        .join(",")
}

/// The replicas a `Scale` body asks for: what decoding and the URL checks
/// refuse (400), then what `ValidateScale` refuses (422).
fn requested_replicas(namespace: &str, name: &str, scale: &Value) -> Result<i64, ApiError> {
    if !scale.is_object() {
        return Err(ApiError::bad_request("the request body must be a JSON object"));
    }
    let api_version = scale
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or(API_VERSION);
    if api_version != API_VERSION {
        return Err(ApiError::bad_request(format!(
            "the API version in the data ({api_version}) does not match the expected API version ({API_VERSION})"
        )));
    }
    let kind = scale.get("kind").and_then(Value::as_str).unwrap_or("Scale");
    if kind != "Scale" {
        return Err(ApiError::bad_request(format!(
            "{kind} in version \"v1\" cannot be handled as a Scale: no kind \"{kind}\" is registered for version \"{API_VERSION}\""
        )));
    }
    let replicas = match &scale["spec"]["replicas"] {
        Value::Null => 0,
        value => value.as_i64().filter(|replicas| i32::try_from(*replicas).is_ok()).ok_or_else(|| {
            ApiError::bad_request(format!(
                "Scale in version \"v1\" cannot be handled as a Scale: json: cannot unmarshal {value} into Go struct field ScaleSpec.spec.replicas of type int32"
            ))
        })?,
    };
    let body_name = scale["metadata"]["name"].as_str().unwrap_or("");
    if body_name != name {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({body_name}) does not match the name on the URL ({name})"
        )));
    }
    let body_namespace = scale["metadata"]["namespace"].as_str().unwrap_or("");
    if !body_namespace.is_empty() && body_namespace != namespace {
        return Err(ApiError::bad_request(
            "the namespace of the provided object does not match the namespace sent on the request",
        ));
    }
    Ok(replicas)
}

/// PUT (or PATCH, once applied to the current `Scale`): the workload takes
/// the replicas; answers the new `Scale`.
pub fn write(
    cluster: &mut Cluster,
    kind: &'static Kind,
    namespace: &str,
    name: &str,
    scale: &Value,
) -> Result<Value, ApiError> {
    let replicas = requested_replicas(namespace, name, scale)?;
    let mut workload = cluster.get(kind, namespace, name)?;
    if replicas < 0 {
        return Err(ApiError::invalid_object(
            "autoscaling",
            "Scale",
            name,
            &[(
                "spec.replicas",
                format!("Invalid value: {replicas}: must be greater than or equal to 0"),
            )],
        ));
    }
    let wanted_uid = scale["metadata"]["uid"].as_str().unwrap_or("");
    let uid = workload["metadata"]["uid"].as_str().unwrap_or("");
    if !wanted_uid.is_empty() && wanted_uid != uid {
        return Err(ApiError::scale_uid_mismatch(kind, name, wanted_uid, uid));
    }
    if let Some(spec) = workload.get_mut("spec").and_then(Value::as_object_mut) {
        spec.insert("replicas".into(), json!(replicas));
    }
    // The Scale's resourceVersion becomes the workload's: a stale one conflicts, none updates unconditionally.
    if let Some(metadata) = workload.get_mut("metadata").and_then(Value::as_object_mut) {
        match scale["metadata"]["resourceVersion"].as_str() {
            Some(version) if !version.is_empty() => {
                metadata.insert("resourceVersion".into(), json!(version));
            }
            _ => {
                metadata.remove("resourceVersion");
            }
        }
    }
    let stored = cluster.update(kind, namespace, name, workload)?;
    Ok(of(&stored))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_read_as_label_queries_sorted_by_key() {
        let selector = json!({
            "matchLabels": { "app": "web", "tier": "front" },
            "matchExpressions": [
                { "key": "env", "operator": "In", "values": ["prod", "dev"] },
                { "key": "zone", "operator": "DoesNotExist" },
                { "key": "canary", "operator": "Exists" },
                { "key": "role", "operator": "NotIn", "values": ["db"] },
            ],
        });
        assert_eq!(
            selector_string(&selector),
            "app=web,canary,env in (dev,prod),role notin (db),tier=front,!zone"
        );
        assert_eq!(selector_string(&Value::Null), "");
    }

    #[test]
    fn a_scale_reports_the_workload() {
        let workload = json!({
            "metadata": { "name": "web", "namespace": "shop", "uid": "u", "resourceVersion": "7", "creationTimestamp": "t" },
            "spec": { "replicas": 0, "selector": { "matchLabels": { "app": "web" } } },
            "status": { "replicas": 2 },
        });
        assert_eq!(
            of(&workload),
            json!({ "kind": "Scale", "apiVersion": "autoscaling/v1",
                    "metadata": { "name": "web", "namespace": "shop", "uid": "u", "resourceVersion": "7", "creationTimestamp": "t" },
                    "spec": {}, "status": { "replicas": 2, "selector": "app=web" } })
        );
    }
}
