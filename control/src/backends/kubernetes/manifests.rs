//! The objects Bibind wants in a tenant's namespace, as JSON: sent as is on
//! create (through the typed k8s-openapi object) and as a merge patch on
//! drift, and compared with what the cluster holds by [`contains`].

use serde_json::{json, Map, Value};

use super::{keys, names, quantity, NamespaceQuota, OneOffJob, TenantNamespace, Workload};

/// Per-container defaults of the LimitRange, lowered to the quota when it is smaller.
const DEFAULT_REQUEST_MILLICORES: u32 = 100;
const DEFAULT_REQUEST_MIB: u32 = 128;
const DEFAULT_LIMIT_MILLICORES: u32 = 500;
const DEFAULT_LIMIT_MIB: u32 = 512;
/// Where a StatefulSet's volume is mounted.
const DATA_VOLUME: &str = "data";
const DATA_MOUNT_PATH: &str = "/data";

pub(super) fn namespace(namespace: &TenantNamespace) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": namespace.name,
            "labels": {
                keys::MANAGED_BY: keys::MANAGER,
                keys::TENANT: namespace.tenant_slug,
                keys::OFFER: namespace.offer,
                keys::SUBSCRIPTION: namespace.subscription_id.to_string(),
            },
        },
    })
}

fn managed_metadata(name: &str) -> Value {
    json!({ "name": name, "labels": { keys::MANAGED_BY: keys::MANAGER } })
}

/// The quota's `spec.hard`: requests and limits alike, since workloads set both equal.
pub(super) fn quota_hard(quota: &NamespaceQuota) -> Map<String, Value> {
    let cpu = quantity::cpu(u64::from(quota.cpu_millicores));
    let memory = quantity::mebibytes(quota.memory_mib);
    let mut hard = Map::new();
    hard.insert("requests.cpu".into(), json!(cpu));
    hard.insert("limits.cpu".into(), json!(cpu));
    hard.insert("requests.memory".into(), json!(memory));
    hard.insert("limits.memory".into(), json!(memory));
    hard.insert(
        "requests.storage".into(),
        json!(quantity::gibibytes(quota.storage_gib)),
    );
    hard
}

pub(super) fn resource_quota(quota: &NamespaceQuota) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": managed_metadata(names::QUOTA),
        "spec": { "hard": quota_hard(quota) },
    })
}

pub(super) fn limit_range(quota: &NamespaceQuota) -> Value {
    let cpu = |millicores: u32| quantity::cpu(u64::from(millicores.min(quota.cpu_millicores)));
    let memory = |mib: u32| quantity::mebibytes(mib.min(quota.memory_mib));
    json!({
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": managed_metadata(names::LIMITS),
        "spec": { "limits": [{
            "type": "Container",
            "defaultRequest": { "cpu": cpu(DEFAULT_REQUEST_MILLICORES), "memory": memory(DEFAULT_REQUEST_MIB) },
            "default": { "cpu": cpu(DEFAULT_LIMIT_MILLICORES), "memory": memory(DEFAULT_LIMIT_MIB) },
            "max": { "cpu": cpu(u32::MAX), "memory": memory(u32::MAX) },
        }]},
    })
}

/// Selecting every pod for both directions makes it a default deny; the
/// rules are the only traffic allowed: from the ingress controller and the
/// namespace itself in; to the cluster DNS and the namespace itself out
/// (an application reaches its own database).
pub(super) fn network_policy() -> Value {
    let same_namespace = json!({ "podSelector": {} });
    json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": managed_metadata(names::NETWORK_POLICY),
        "spec": {
            "podSelector": {},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [{ "from": [
                { "namespaceSelector": { "matchLabels": { keys::NAMESPACE_NAME: names::INGRESS_CONTROLLER_NAMESPACE } } },
                same_namespace,
            ]}],
            "egress": [
                {
                    "to": [{
                        "namespaceSelector": { "matchLabels": { keys::NAMESPACE_NAME: "kube-system" } },
                        "podSelector": { "matchLabels": { "k8s-app": "kube-dns" } },
                    }],
                    "ports": [{ "protocol": "UDP", "port": 53 }, { "protocol": "TCP", "port": 53 }],
                },
                { "to": [same_namespace] },
            ],
        },
    })
}

fn workload_labels(workload: &Workload) -> Value {
    json!({ keys::APP_NAME: workload.name, keys::MANAGED_BY: keys::MANAGER })
}

fn pod_template(workload: &Workload) -> Value {
    let resources = json!({
        "cpu": quantity::cpu(u64::from(workload.cpu_millicores)),
        "memory": quantity::mebibytes(workload.memory_mib),
    });
    let mut container = json!({
        "name": workload.name,
        "image": workload.image,
        "ports": [{ "name": "http", "containerPort": workload.port, "protocol": "TCP" }],
        "resources": { "requests": resources, "limits": resources },
    });
    if let Some(secret) = &workload.env_secret {
        container["envFrom"] = json!([{ "secretRef": { "name": secret } }]);
    }
    if workload.storage_gib.is_some() {
        container["volumeMounts"] = json!([{ "name": DATA_VOLUME, "mountPath": DATA_MOUNT_PATH }]);
    }
    json!({
        "metadata": { "labels": { keys::APP_NAME: workload.name } },
        "spec": { "containers": [container] },
    })
}

/// A Deployment, or a StatefulSet when the workload has storage. While
/// `suspended`, it keeps 0 replicas and its mark, so that re-running the
/// step does not undo a suspension.
pub(super) fn workload(workload: &Workload, suspended: bool) -> Value {
    let mut annotations = json!({ keys::REPLICAS: workload.replicas.to_string() });
    if suspended {
        annotations[keys::SUSPENDED] = json!("true");
    }
    let replicas = if suspended { 0 } else { workload.replicas };
    let mut object = json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": { "name": workload.name, "labels": workload_labels(workload), "annotations": annotations },
        "spec": {
            "replicas": replicas,
            "selector": { "matchLabels": { keys::APP_NAME: workload.name } },
            "template": pod_template(workload),
        },
    });
    if let Some(storage_gib) = workload.storage_gib {
        object["kind"] = json!("StatefulSet");
        object["spec"]["serviceName"] = json!(workload.name);
        object["spec"]["volumeClaimTemplates"] = json!([{
            "metadata": { "name": DATA_VOLUME },
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": { "requests": { "storage": quantity::gibibytes(storage_gib) } },
            },
        }]);
    }
    object
}

/// A Job retried twice by the cluster, its pod never restarted in place.
pub(super) fn job(job: &OneOffJob) -> Value {
    let resources = json!({
        "cpu": quantity::cpu(u64::from(job.cpu_millicores)),
        "memory": quantity::mebibytes(job.memory_mib),
    });
    let mut container = json!({
        "name": job.name,
        "image": job.image,
        "args": job.args,
        "resources": { "requests": resources, "limits": resources },
    });
    if let Some(secret) = &job.env_secret {
        container["envFrom"] = json!([{ "secretRef": { "name": secret } }]);
    }
    json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": { "name": job.name, "labels": { keys::APP_NAME: job.name, keys::MANAGED_BY: keys::MANAGER } },
        "spec": {
            "backoffLimit": 2,
            "template": {
                "metadata": { "labels": { keys::APP_NAME: job.name } },
                "spec": { "restartPolicy": "Never", "containers": [container] },
            },
        },
    })
}

/// What of a workload may change after creation: a StatefulSet's claim
/// templates, service name and any selector are immutable.
pub(super) fn workload_update(mut desired: Value) -> Value {
    if let Some(spec) = desired.get_mut("spec").and_then(Value::as_object_mut) {
        spec.remove("volumeClaimTemplates");
        spec.remove("serviceName");
        spec.remove("selector");
    }
    desired
}

pub(super) fn service(workload: &Workload) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": { "name": workload.name, "labels": workload_labels(workload) },
        "spec": {
            "selector": { keys::APP_NAME: workload.name },
            "ports": [{ "name": "http", "port": workload.port, "targetPort": workload.port, "protocol": "TCP" }],
        },
    })
}

/// The Ingress of the workload's own host, its certificate requested by
/// cert-manager's ingress annotation.
pub(super) fn ingress(workload: &Workload, host: &str, ingress_class: &str, cluster_issuer: &str) -> Value {
    let annotations = json!({ "cert-manager.io/cluster-issuer": cluster_issuer });
    ingress_named(workload, &workload.name, host, ingress_class, annotations)
}

/// The name of the Ingress and the Certificate of the owner's own domain.
pub(super) fn domain_object_name(workload: &Workload) -> String {
    format!("{}-domain", workload.name)
}

/// The Ingress of the owner's own domain: its certificate is the explicit
/// [`certificate`] of the same name.
pub(super) fn domain_ingress(workload: &Workload, host: &str, ingress_class: &str) -> Value {
    ingress_named(
        workload,
        &domain_object_name(workload),
        host,
        ingress_class,
        json!({}),
    )
}

/// cert-manager's request for the own domain's certificate, stored in the
/// Secret its Ingress serves.
pub(super) fn certificate(workload: &Workload, host: &str, cluster_issuer: &str) -> Value {
    let name = domain_object_name(workload);
    json!({
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": { "name": name, "labels": workload_labels(workload) },
        "spec": {
            "secretName": format!("{name}-tls"),
            "dnsNames": [host],
            "issuerRef": { "name": cluster_issuer, "kind": "ClusterIssuer", "group": "cert-manager.io" },
        },
    })
}

fn ingress_named(
    workload: &Workload,
    name: &str,
    host: &str,
    ingress_class: &str,
    annotations: Value,
) -> Value {
    // The longest matching prefix wins: a closed path goes to a Service that
    // is never created, whatever the workload serves below `/`.
    let closed = format!("{}-closed", workload.name);
    let mut paths: Vec<Value> = workload
        .closed_paths
        .iter()
        .map(|path| {
            json!({
                "path": path,
                "pathType": "Prefix",
                "backend": { "service": { "name": closed, "port": { "number": 80 } } },
            })
        })
        .collect();
    paths.push(json!({
        "path": "/",
        "pathType": "Prefix",
        "backend": { "service": { "name": workload.name, "port": { "number": workload.port } } },
    }));
    json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": name,
            "labels": workload_labels(workload),
            "annotations": annotations,
        },
        "spec": {
            "ingressClassName": ingress_class,
            "tls": [{ "hosts": [host], "secretName": format!("{name}-tls") }],
            "rules": [{ "host": host, "http": { "paths": paths }}],
        },
    })
}

/// Whether `found` holds everything in `wanted`: objects may have more keys
/// (the server's defaults and bookkeeping), arrays must have as many
/// elements, each containing the wanted one.
pub(super) fn contains(found: &Value, wanted: &Value) -> bool {
    match (found, wanted) {
        (Value::Object(found), Value::Object(wanted)) => wanted
            .iter()
            .all(|(key, value)| found.get(key).is_some_and(|present| contains(present, value))),
        (Value::Array(found), Value::Array(wanted)) => {
            found.len() == wanted.len()
                && found
                    .iter()
                    .zip(wanted)
                    .all(|(present, value)| contains(present, value))
        }
        (Value::Number(found), Value::Number(wanted)) => found.as_f64() == wanted.as_f64(),
        _ => found == wanted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_defaults_do_not_count_as_drift_but_changes_do() {
        let wanted = json!({ "spec": { "ports": [{ "port": 80 }] } });
        let defaulted =
            json!({ "spec": { "ports": [{ "port": 80, "protocol": "TCP" }], "clusterIP": "10.0.0.1" } });
        assert!(contains(&defaulted, &wanted));
        let changed = json!({ "spec": { "ports": [{ "port": 81 }] } });
        assert!(!contains(&changed, &wanted));
        let more = json!({ "spec": { "ports": [{ "port": 80 }, { "port": 81 }] } });
        assert!(!contains(&more, &wanted));
    }

    #[test]
    fn a_workload_with_storage_is_a_stateful_set_that_keeps_its_claims_on_update() {
        let workload = Workload {
            name: "db".into(),
            image: "postgres:17".into(),
            replicas: 1,
            port: 5432,
            host: None,
            custom_host: None,
            closed_paths: Vec::new(),
            env_secret: Some("db-env".into()),
            storage_gib: Some(5),
            cpu_millicores: 500,
            memory_mib: 1024,
        };
        let object = super::workload(&workload, false);
        assert_eq!(object["kind"], "StatefulSet");
        assert_eq!(
            object["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"],
            "1Gi"
        );
        let update = workload_update(object);
        assert!(update["spec"].get("volumeClaimTemplates").is_none());
        let suspended = super::workload(&workload, true);
        assert_eq!(suspended["spec"]["replicas"], 0);
        assert_eq!(suspended["metadata"]["annotations"][keys::REPLICAS], "1");
    }

    /// The service an ingress sends `path` to, by longest matching prefix
    /// (as ingress controllers choose).
    fn routed_to(ingress: &Value, path: &str) -> Option<String> {
        ingress["spec"]["rules"][0]["http"]["paths"]
            .as_array()?
            .iter()
            .filter(|rule| rule["pathType"] == "Prefix")
            .filter_map(|rule| {
                let prefix = rule["path"].as_str()?;
                let matches = path == prefix
                    || path.starts_with(&format!("{}/", prefix.trim_end_matches('/')))
                    || prefix == "/";
                matches.then(|| (prefix.len(), rule["backend"]["service"]["name"].as_str()))
            })
            .max_by_key(|(length, _)| *length)
            .and_then(|(_, service)| service.map(str::to_owned))
    }

    #[test]
    fn the_odoo_ingress_does_not_reach_the_database_manager() {
        let odoo = Workload {
            name: "odoo".into(),
            image: "odoo:18".into(),
            replicas: 1,
            port: 8069,
            host: Some("acme.shop.example".into()),
            custom_host: None,
            closed_paths: vec!["/web/database".into(), "/xmlrpc/db".into(), "/xmlrpc/2/db".into()],
            env_secret: None,
            storage_gib: Some(1),
            cpu_millicores: 500,
            memory_mib: 1024,
        };
        // The owner's own domain closes the same paths.
        for ingress in [
            super::ingress(&odoo, "acme.shop.example", "nginx", "letsencrypt"),
            super::domain_ingress(&odoo, "shop.acme.example", "nginx"),
        ] {
            for path in [
                "/web/database",
                "/web/database/manager",
                "/web/database/selector",
                "/web/database/drop",
                "/xmlrpc/2/db",
            ] {
                let service = routed_to(&ingress, path);
                assert_ne!(service.as_deref(), Some("odoo"), "{path} reaches Odoo");
            }
            for path in ["/", "/shop", "/web/login", "/web", "/odoo/action-1", "/websocket"] {
                assert_eq!(routed_to(&ingress, path).as_deref(), Some("odoo"), "{path}");
            }
        }
    }

    #[test]
    fn an_own_domain_has_its_ingress_and_certificate_apart_from_the_main_host() {
        let odoo = Workload {
            name: "odoo".into(),
            image: "odoo:18".into(),
            replicas: 1,
            port: 8069,
            host: Some("acme.shop.example".into()),
            custom_host: Some("shop.acme.example".into()),
            closed_paths: Vec::new(),
            env_secret: None,
            storage_gib: None,
            cpu_millicores: 500,
            memory_mib: 1024,
        };
        let ingress = super::domain_ingress(&odoo, "shop.acme.example", "nginx");
        assert_eq!(ingress["metadata"]["name"], "odoo-domain");
        assert_eq!(ingress["spec"]["tls"][0]["secretName"], "odoo-domain-tls");
        assert_eq!(ingress["metadata"]["annotations"], json!({}));
        let certificate = super::certificate(&odoo, "shop.acme.example", "letsencrypt");
        assert_eq!(certificate["spec"]["secretName"], "odoo-domain-tls");
        assert_eq!(certificate["spec"]["dnsNames"], json!(["shop.acme.example"]));
        assert_eq!(certificate["spec"]["issuerRef"]["kind"], "ClusterIssuer");
    }
}
