//! What a cluster measures, read-only: the pods the workload controllers
//! run (on one node, `sim-node-1`), their consumption as metrics-server
//! serves it (`metrics.k8s.io/v1beta1` PodMetrics, what `kubectl top`
//! reads) and their volumes' use as the kubelet's Summary API reports it
//! (`/api/v1/nodes/{node}/proxy/stats/summary`, `k8s.io/kubelet` stats
//! v1alpha1). Pods are derived from the Deployments and StatefulSets, not
//! stored. What a namespace consumes is a share of what its containers
//! request and its claims hold, set per namespace with
//! `PUT /_sim/consumption/{namespace}` (tests drive it like a load).

use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, Mutex},
};

use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use control::backends::kubernetes::quantity;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::selectors::LabelSelector;

/// The only node.
pub const NODE: &str = "sim-node-1";

/// What a namespace's pods consume, in percent of what they request
/// (CPU, memory) and of their claims' size (storage).
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct Load {
    pub cpu_percent: u32,
    pub memory_percent: u32,
    pub storage_percent: u32,
}

impl Default for Load {
    /// A quiet service: a little CPU, a third of its memory, a fresh volume.
    fn default() -> Self {
        Self {
            cpu_percent: 5,
            memory_percent: 30,
            storage_percent: 2,
        }
    }
}

#[derive(Clone, Default)]
pub struct Loads(Arc<Mutex<HashMap<String, Load>>>);

impl Loads {
    pub fn of(&self, namespace: &str) -> Load {
        crate::locked(&self.0).get(namespace).copied().unwrap_or_default()
    }
}

pub async fn set_load(
    State(loads): State<Loads>,
    Path(namespace): Path<String>,
    Json(load): Json<Load>,
) -> StatusCode {
    crate::locked(&loads.0).insert(namespace, load);
    StatusCode::NO_CONTENT
}

/// One container of a running pod: its name and requests (milli-units).
#[derive(Clone)]
struct Container {
    name: String,
    spec: Value,
    cpu_milli: i128,
    memory_milli: i128,
}

/// One claim mounted by a pod: volume name, claim name, size in bytes.
struct Mount {
    volume: String,
    claim: String,
    bytes: i128,
}

/// A pod the controllers run for a workload.
pub struct Pod {
    name: String,
    namespace: String,
    labels: Value,
    created: Value,
    owner: Value,
    containers: Vec<Container>,
    mounts: Vec<Mount>,
}

fn requested(container: &Value, resource: &str) -> i128 {
    let resources = &container["resources"];
    resources["requests"]
        .get(resource)
        .or_else(|| resources["limits"].get(resource))
        .and_then(Value::as_str)
        .and_then(quantity::parse_milli)
        .unwrap_or(0)
}

/// A short stable tag of `text`, like the ReplicaSet's pod-template hash.
fn tag(text: &str, length: usize) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut out = String::with_capacity(length);
    for byte in text.bytes() {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    for _ in 0..length {
        let index = usize::try_from(hash % ALPHABET.len() as u64).unwrap_or(0);
        out.push(char::from(ALPHABET[index]));
        hash = (hash / ALPHABET.len() as u64) ^ hash.rotate_left(17);
    }
    out
}

/// The pods of a Deployment or StatefulSet (`kind`) with `replicas` > 0.
pub fn pods_of(kind: &str, workload: &Value) -> Vec<Pod> {
    let name = workload["metadata"]["name"].as_str().unwrap_or("");
    let namespace = workload["metadata"]["namespace"].as_str().unwrap_or("");
    let replicas = workload["spec"]["replicas"].as_i64().unwrap_or(1).max(0);
    let template = &workload["spec"]["template"];
    let containers: Vec<Container> = template["spec"]["containers"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|container| Container {
            name: container["name"].as_str().unwrap_or("").to_owned(),
            spec: container.clone(),
            cpu_milli: requested(container, "cpu"),
            memory_milli: requested(container, "memory"),
        })
        .collect();
    let template_hash = tag(&format!("{namespace}/{name}/{template}"), 10);
    (0..replicas)
        .map(|ordinal| {
            let (pod, mounts) = if kind == "StatefulSet" {
                let claims = workload["spec"]["volumeClaimTemplates"]
                    .as_array()
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                let mounts = claims
                    .iter()
                    .map(|claim| {
                        let volume = claim["metadata"]["name"].as_str().unwrap_or("").to_owned();
                        let storage = claim["spec"]["resources"]["requests"]["storage"]
                            .as_str()
                            .and_then(quantity::parse_milli)
                            .unwrap_or(0);
                        Mount {
                            claim: format!("{volume}-{name}-{ordinal}"),
                            volume,
                            bytes: storage / 1000,
                        }
                    })
                    .collect();
                (format!("{name}-{ordinal}"), mounts)
            } else {
                let pod = format!(
                    "{name}-{template_hash}-{}",
                    tag(&format!("{template_hash}/{ordinal}"), 5)
                );
                (pod, Vec::new())
            };
            let mut labels = template["metadata"]["labels"].clone();
            if labels.is_null() {
                labels = json!({});
            }
            Pod {
                name: pod,
                namespace: namespace.to_owned(),
                labels,
                created: workload["metadata"]["creationTimestamp"].clone(),
                owner: json!([{ "apiVersion": "apps/v1", "kind": kind, "name": name, "controller": true,
                                "uid": workload["metadata"]["uid"] }]),
                containers: containers.clone(),
                mounts,
            }
        })
        .collect()
}

fn share(amount: i128, percent: u32) -> i128 {
    amount * i128::from(percent) / 100
}

impl Pod {
    fn uid(&self) -> String {
        let tag = tag(&format!("{}/{}", self.namespace, self.name), 32);
        format!(
            "{}-{}-{}-{}-{}",
            &tag[..8],
            &tag[8..12],
            &tag[12..16],
            &tag[16..20],
            &tag[20..32]
        )
    }

    /// The Pod as `GET /api/v1/namespaces/{ns}/pods` lists it.
    pub fn object(&self) -> Value {
        let volumes: Vec<Value> = self
            .mounts
            .iter()
            .map(|mount| json!({ "name": mount.volume, "persistentVolumeClaim": { "claimName": mount.claim } }))
            .collect();
        let containers: Vec<Value> = self
            .containers
            .iter()
            .map(|container| container.spec.clone())
            .collect();
        let statuses: Vec<Value> = self
            .containers
            .iter()
            .map(|container| {
                let image = container.spec["image"].as_str().unwrap_or("");
                // The runtime's digest and container ID; clients require `imageID`.
                let digest = tag(image, 64);
                let container_id = tag(
                    &format!("{}/{}/{}", self.namespace, self.name, container.name),
                    64,
                );
                json!({ "name": container.name, "ready": true, "restartCount": 0, "started": true,
                        "image": image, "imageID": format!("{image}@sha256:{digest}"),
                        "containerID": format!("containerd://{container_id}"),
                        "state": { "running": { "startedAt": self.created } } })
            })
            .collect();
        json!({
            "metadata": { "name": self.name, "namespace": self.namespace, "uid": self.uid(), "labels": self.labels,
                          "creationTimestamp": self.created, "ownerReferences": self.owner },
            "spec": { "nodeName": NODE, "containers": containers, "volumes": volumes, "restartPolicy": "Always" },
            "status": { "phase": "Running", "startTime": self.created, "containerStatuses": statuses,
                        "conditions": [{ "type": "Ready", "status": "True" }] },
        })
    }

    pub fn matches(&self, selector: &LabelSelector) -> bool {
        selector.matches(&json!({ "metadata": { "labels": self.labels } }))
    }

    /// The pod's PodMetrics at `load`.
    pub fn metrics(&self, load: Load, now: &str) -> Value {
        let containers: Vec<Value> = self
            .containers
            .iter()
            .map(|container| {
                // metrics-server writes CPU in nanocores and memory in Ki.
                let nanocores = share(container.cpu_milli * 1_000_000, load.cpu_percent);
                let kibibytes = share(container.memory_milli / 1000, load.memory_percent) / 1024;
                json!({ "name": container.name, "usage": { "cpu": format!("{nanocores}n"), "memory": format!("{kibibytes}Ki") } })
            })
            .collect();
        json!({
            "metadata": { "name": self.name, "namespace": self.namespace, "labels": self.labels, "creationTimestamp": now },
            "timestamp": now,
            "window": "15.012s",
            "containers": containers,
        })
    }

    /// The pod's entry in the node's Summary, its claims at `load`.
    pub fn summary(&self, load: Load, now: &str) -> Value {
        let volumes: Vec<Value> = self
            .mounts
            .iter()
            .map(|mount| {
                let used = share(mount.bytes, load.storage_percent);
                json!({ "time": now, "name": mount.volume, "capacityBytes": mount.bytes, "usedBytes": used,
                        "availableBytes": mount.bytes - used, "inodes": 655_360, "inodesUsed": 1_024, "inodesFree": 654_336,
                        "pvcRef": { "name": mount.claim, "namespace": self.namespace } })
            })
            .collect();
        json!({
            "podRef": { "name": self.name, "namespace": self.namespace, "uid": self.uid() },
            "startTime": self.created,
            "containers": self.containers.iter().map(|container| json!({ "name": container.name, "startTime": self.created })).collect::<Vec<_>>(),
            "volume": volumes,
        })
    }

    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

/// PodMetrics for `pods`, as metrics-server lists them.
pub fn pod_metrics_list(pods: &[Pod], loads: &Loads, now: &str) -> Value {
    let items: Vec<Value> = pods
        .iter()
        .map(|pod| pod.metrics(loads.of(pod.namespace()), now))
        .collect();
    json!({ "kind": "PodMetricsList", "apiVersion": "metrics.k8s.io/v1beta1", "metadata": {}, "items": items })
}

/// The node's Summary, with every pod on it.
pub fn node_summary(pods: &[Pod], loads: &Loads, now: &str) -> Value {
    let entries: Vec<Value> = pods
        .iter()
        .map(|pod| pod.summary(loads.of(pod.namespace()), now))
        .collect();
    json!({
        "node": { "nodeName": NODE, "startTime": "2026-01-01T00:00:00Z", "systemContainers": [] },
        "pods": entries,
    })
}

/// The node as `GET /api/v1/nodes/{name}` answers.
pub fn node() -> Value {
    let capacity =
        json!({ "cpu": "16", "memory": "65851340Ki", "pods": "110", "ephemeral-storage": "263174212Ki" });
    let mut labels = BTreeMap::new();
    labels.insert("kubernetes.io/hostname", NODE);
    labels.insert("kubernetes.io/os", "linux");
    json!({
        "metadata": { "name": NODE, "labels": labels, "uid": "3f1d6c1e-9a52-4c3e-8f0b-5d1c2a7e9b40",
                      "creationTimestamp": "2026-01-01T00:00:00Z" },
        "spec": {},
        "status": { "capacity": capacity, "allocatable": capacity,
                    "conditions": [{ "type": "Ready", "status": "True", "reason": "KubeletReady" }],
                    "nodeInfo": { "kubeletVersion": "v1.33.0", "kubeProxyVersion": "", "operatingSystem": "linux",
                                  "architecture": "amd64", "osImage": "Debian GNU/Linux 12 (bookworm)",
                                  "kernelVersion": "6.1.0-28-amd64", "containerRuntimeVersion": "containerd://1.7.24",
                                  "machineID": "5d1c2a7e9b404c3e8f0b3f1d6c1e9a52", "systemUUID": "3f1d6c1e-9a52-4c3e-8f0b-5d1c2a7e9b40",
                                  "bootID": "9b40c3e8-f0b5-4d1c-2a7e-3f1d6c1e9a52" } },
    })
}
