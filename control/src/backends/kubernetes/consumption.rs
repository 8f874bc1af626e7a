//! What a namespace's workloads really consume, as opposed to what the
//! quota counts (their requests): CPU and memory from metrics-server's
//! PodMetrics (`metrics.k8s.io/v1beta1`, what `kubectl top` reads), storage
//! from the kubelets' Summary API (each claim's `usedBytes`, read through
//! the API server's node proxy). Either source may be missing from a
//! cluster or forbidden to Bibind: what it would tell is then unknown, never
//! guessed from the reservations.

use std::collections::BTreeSet;

use serde_json::Value;

use super::quantity;

/// Consumption, each figure `None` when its source did not answer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Consumption {
    pub cpu_millicores: Option<u64>,
    pub memory_mib: Option<u64>,
    pub storage_mib: Option<u64>,
}

const MIB: i128 = 1024 * 1024;

fn mib_rounded_up(bytes: i128) -> u64 {
    u64::try_from((bytes.max(0) + MIB - 1) / MIB).unwrap_or(u64::MAX)
}

/// CPU (millicores) and memory (MiB, rounded up) of a `PodMetricsList`:
/// every container of every pod.
pub fn pod_metrics_totals(list: &Value) -> (u64, u64) {
    let mut cpu_milli: i128 = 0;
    let mut memory_bytes: i128 = 0;
    let containers = list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|pod| pod["containers"].as_array().into_iter().flatten());
    for container in containers {
        let usage = &container["usage"];
        let read = |resource: &str| {
            usage[resource]
                .as_str()
                .and_then(quantity::parse_milli)
                .unwrap_or(0)
        };
        cpu_milli += read("cpu").max(0);
        memory_bytes += read("memory").max(0) / 1000;
    }
    (
        u64::try_from(cpu_milli).unwrap_or(u64::MAX),
        mib_rounded_up(memory_bytes),
    )
}

/// The nodes `PodList`'s pods run on.
pub fn nodes_of(pods: &Value) -> BTreeSet<String> {
    pods["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|pod| pod["spec"]["nodeName"].as_str())
        .filter(|node| !node.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Bytes used on `namespace`'s claims in one node's Summary, each claim
/// once (two pods may mount the same one), by claim name.
pub fn claims_used(summary: &Value, namespace: &str, into: &mut std::collections::BTreeMap<String, i128>) {
    let volumes = summary["pods"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|pod| pod["podRef"]["namespace"] == namespace)
        .flat_map(|pod| pod["volume"].as_array().into_iter().flatten());
    for volume in volumes {
        let (Some(claim), Some(used)) = (volume["pvcRef"]["name"].as_str(), volume["usedBytes"].as_i64())
        else {
            continue;
        };
        into.insert(claim.to_owned(), i128::from(used));
    }
}

/// MiB (rounded up) used on the claims gathered by [`claims_used`].
pub fn storage_mib(claims: &std::collections::BTreeMap<String, i128>) -> u64 {
    mib_rounded_up(claims.values().sum())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;

    #[test]
    fn pod_metrics_add_up_every_container_in_millicores_and_mib() {
        let list = json!({ "kind": "PodMetricsList", "items": [
            { "metadata": { "name": "odoo-0" }, "containers": [
                { "name": "odoo", "usage": { "cpu": "2510318n", "memory": "146148Ki" } },
                { "name": "sidecar", "usage": { "cpu": "1m", "memory": "1Mi" } } ] },
            { "metadata": { "name": "ingest-x" }, "containers": [
                { "name": "ingest", "usage": { "cpu": "250m", "memory": "64Mi" } } ] } ] });
        // 146148 Ki = 142.7 MiB; with 1 MiB and 64 MiB, 207.7 → 208.
        assert_eq!(pod_metrics_totals(&list), (2 + 1 + 250, 208));
        assert_eq!(pod_metrics_totals(&json!({ "items": [] })), (0, 0));
    }

    #[test]
    fn storage_counts_each_claim_of_the_namespace_once() {
        let summary = json!({ "pods": [
            { "podRef": { "name": "odoo-0", "namespace": "shop" }, "volume": [
                { "name": "data", "usedBytes": 3 * 1024 * 1024 + 1, "pvcRef": { "name": "data-odoo-0", "namespace": "shop" } },
                { "name": "kube-api-access", "usedBytes": 4096 } ] },
            { "podRef": { "name": "backup", "namespace": "shop" }, "volume": [
                { "name": "data", "usedBytes": 3 * 1024 * 1024 + 1, "pvcRef": { "name": "data-odoo-0", "namespace": "shop" } } ] },
            { "podRef": { "name": "other-0", "namespace": "elsewhere" }, "volume": [
                { "name": "data", "usedBytes": 900 * 1024 * 1024, "pvcRef": { "name": "data-other-0", "namespace": "elsewhere" } } ] } ] });
        let mut claims = BTreeMap::new();
        claims_used(&summary, "shop", &mut claims);
        assert_eq!(claims.len(), 1);
        assert_eq!(storage_mib(&claims), 4);
    }

    #[test]
    fn the_nodes_are_those_the_pods_run_on() {
        let pods = json!({ "items": [
            { "spec": { "nodeName": "n1" } }, { "spec": { "nodeName": "n1" } }, { "spec": { "nodeName": "n2" } },
            { "spec": {} } ] });
        assert_eq!(nodes_of(&pods).into_iter().collect::<Vec<_>>(), ["n1", "n2"]);
    }
}
