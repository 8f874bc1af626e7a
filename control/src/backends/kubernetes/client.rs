//! [`Kubernetes`] with kube: every `ensure_*` reads what exists, creates
//! what is missing, and merge-patches what drifted; nothing is written when
//! the cluster already matches.

use std::{collections::BTreeMap, fmt::Debug, future::Future, time::Duration};

use k8s_openapi::{
    api::{
        apps::v1::{Deployment, StatefulSet},
        batch::v1::Job,
        core::v1::{LimitRange, Namespace, ResourceQuota, Secret, Service},
        networking::v1::{Ingress, NetworkPolicy},
    },
    apimachinery::pkg::apis::meta::v1::ObjectMeta,
    ByteString,
};
use kube::{
    api::{
        ApiResource, DeleteParams, DynamicObject, GroupVersionKind, ListParams, Patch, PatchParams,
        PostParams,
    },
    Api, Resource, ResourceExt,
};
use serde::{de::DeserializeOwned, Serialize};
use serde_json::{json, Value};

use super::{
    admission::{self, Usage},
    consumption::{self, Consumption},
    errors::{self, BACKEND},
    keys, manifests, names, quantity, ApiServerCredentials, JobPhase, Kubernetes, NamespaceQuota,
    NamespaceRemoval, ObservedNamespace, ObservedWorkload, OneOffJob, QuotaUsage, TenantNamespace, Workload,
};
use crate::backends::BackendError;

/// A kind the generic helpers read, create and patch.
trait Object: Resource + Clone + DeserializeOwned + Serialize + Debug {}

impl<K: Resource + Clone + DeserializeOwned + Serialize + Debug> Object for K {}

/// cert-manager's `Certificate` (a custom resource: no type in k8s-openapi).
fn certificate_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("cert-manager.io", "v1", "Certificate"),
        "certificates",
    )
}

/// Items asked for per page when listing.
const PAGE_SIZE: u32 = 100;

/// The Kubernetes API through kube, without kube's own retries: a failed
/// call fails the step, which the engine retries with its backoff.
#[derive(Clone)]
pub struct KubernetesClient {
    client: kube::Client,
    timeout: Duration,
    ingress_class: String,
    cluster_issuer: String,
}

impl KubernetesClient {
    /// A client of the API server at `base_url` (no authentication: in the
    /// cluster, use [`KubernetesClient::from_config`]); each call fails as
    /// transient after `timeout`. Must be called within a tokio runtime.
    pub fn new(base_url: &str, timeout: Duration) -> Result<Self, BackendError> {
        let url = base_url
            .try_into()
            .map_err(|error| BackendError::refused(BACKEND, format!("invalid API server URL: {error}")))?;
        Self::from_config(kube::Config::new(url), timeout)
    }

    /// A client of the API server at `base_url` that proves itself with a
    /// service account's token and trusts only the cluster's CA, both read
    /// from files that kube reads again when they are rotated.
    pub fn with_credentials(
        base_url: &str,
        credentials: &ApiServerCredentials,
        timeout: Duration,
    ) -> Result<Self, BackendError> {
        let url = base_url
            .try_into()
            .map_err(|error| BackendError::refused(BACKEND, format!("invalid API server URL: {error}")))?;
        let mut config = kube::Config::new(url);
        if let Some(ca_file) = &credentials.ca_file {
            let pem = std::fs::read(ca_file).map_err(|error| {
                BackendError::refused(BACKEND, format!("cannot read {}: {error}", ca_file.display()))
            })?;
            config.root_cert = Some(der_certificates(&pem)?);
            config.root_cert_file = Some(ca_file.clone());
        }
        config.auth_info.token_file = credentials
            .token_file
            .as_ref()
            .map(|file| file.display().to_string());
        Self::from_config(config, timeout)
    }

    /// A client from a kube configuration (in-cluster or kubeconfig).
    pub fn from_config(mut config: kube::Config, timeout: Duration) -> Result<Self, BackendError> {
        // kube's TLS takes the process's rustls provider; with two compiled in
        // (other crates enable ring), none is chosen by itself. An error only
        // says one is installed already.
        super::super::install_tls_provider();
        config.default_retry = false;
        config.connect_timeout = Some(timeout);
        let client = kube::Client::try_from(config)
            .map_err(|error| BackendError::refused(BACKEND, error.to_string()))?;
        Ok(Self {
            client,
            timeout,
            ingress_class: "nginx".to_owned(),
            cluster_issuer: "letsencrypt".to_owned(),
        })
    }

    /// The IngressClass and cert-manager ClusterIssuer of the Ingresses.
    pub fn with_ingress(mut self, ingress_class: &str, cluster_issuer: &str) -> Self {
        ingress_class.clone_into(&mut self.ingress_class);
        cluster_issuer.clone_into(&mut self.cluster_issuer);
        self
    }

    fn api<K>(&self, namespace: &str) -> Api<K>
    where
        K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>,
    {
        Api::namespaced(self.client.clone(), namespace)
    }

    /// One API call, bounded by the timeout.
    async fn call<T>(
        &self,
        request: impl Future<Output = Result<T, kube::Error>>,
    ) -> Result<T, BackendError> {
        match tokio::time::timeout(self.timeout, request).await {
            Ok(answer) => answer.map_err(errors::from_kube),
            Err(_) => Err(BackendError::transient(
                BACKEND,
                format!("no answer within {} ms", self.timeout.as_millis()),
            )),
        }
    }

    async fn get_opt<K>(&self, api: &Api<K>, name: &str) -> Result<Option<K>, BackendError>
    where
        K: Resource + Clone + DeserializeOwned + Debug,
    {
        self.call(api.get_opt(name)).await
    }

    /// Every object matching `labels`, page by page.
    async fn list_all<K>(&self, api: &Api<K>, labels: &str) -> Result<Vec<K>, BackendError>
    where
        K: Resource + Clone + DeserializeOwned + Debug,
    {
        let mut items = Vec::new();
        let mut params = ListParams::default().labels(labels).limit(PAGE_SIZE);
        loop {
            let page = self.call(api.list(&params)).await?;
            items.extend(page.items);
            match page.metadata.continue_.filter(|token| !token.is_empty()) {
                Some(token) => params = params.continue_token(&token),
                None => return Ok(items),
            }
        }
    }

    /// Creates `desired` when `found` is `None`; else merge-patches `patch`
    /// when `found` does not already hold it.
    async fn create_or_patch<K>(
        &self,
        api: &Api<K>,
        found: Option<K>,
        desired: Value,
        patch: Value,
    ) -> Result<(), BackendError>
    where
        K: Object,
    {
        let name = manifest_name(&desired);
        match found {
            None => {
                let object: K = typed(desired)?;
                self.call(api.create(&PostParams::default(), &object)).await?;
            }
            Some(found) => {
                ours(&found, desired["kind"].as_str().unwrap_or("object"))?;
                let found = serde_json::to_value(&found)
                    .map_err(|error| BackendError::refused(BACKEND, error.to_string()))?;
                if !manifests::contains(&found, &patch) {
                    self.call(api.patch(&name, &PatchParams::default(), &Patch::Merge(&patch)))
                        .await?;
                }
            }
        }
        Ok(())
    }

    /// [`Self::create_or_patch`] after reading what is there.
    async fn ensure<K>(&self, api: &Api<K>, desired: Value) -> Result<(), BackendError>
    where
        K: Object,
    {
        let name = manifest_name(&desired);
        let found = self.get_opt(api, &name).await?;
        self.create_or_patch(api, found, desired.clone(), desired).await
    }

    /// Deletes a managed object if it is there (a Deployment left behind
    /// when a workload gained storage, an Ingress whose host was removed).
    async fn remove_managed<K>(&self, api: &Api<K>, name: &str) -> Result<(), BackendError>
    where
        K: Resource + Clone + DeserializeOwned + Debug,
    {
        let Some(found) = self.get_opt(api, name).await? else {
            return Ok(());
        };
        if found.labels().get(keys::MANAGED_BY).map(String::as_str) != Some(keys::MANAGER) {
            return Ok(());
        }
        match tokio::time::timeout(self.timeout, api.delete(name, &DeleteParams::default())).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(error)) if errors::is_not_found(&error) => Ok(()),
            Ok(Err(error)) => Err(errors::from_kube(error)),
            Err(_) => Err(BackendError::transient(BACKEND, "no answer to a delete")),
        }
    }

    /// Scales every managed workload of one kind: to 0 (marked suspended),
    /// or back to its recorded replicas.
    async fn scale_kind<K>(&self, api: &Api<K>, running: bool) -> Result<(), BackendError>
    where
        K: Object,
    {
        let managed = format!("{}={}", keys::MANAGED_BY, keys::MANAGER);
        for workload in self.list_all(api, &managed).await? {
            let found = serde_json::to_value(&workload)
                .map_err(|error| BackendError::refused(BACKEND, error.to_string()))?;
            let recorded = workload
                .annotations()
                .get(keys::REPLICAS)
                .and_then(|replicas| replicas.parse::<i32>().ok());
            let patch = if running {
                let Some(replicas) = recorded else { continue };
                json!({ "metadata": { "annotations": { keys::SUSPENDED: null } }, "spec": { "replicas": replicas } })
            } else {
                json!({ "metadata": { "annotations": { keys::SUSPENDED: "true" } }, "spec": { "replicas": 0 } })
            };
            let suspended = workload.annotations().contains_key(keys::SUSPENDED);
            let done = found["spec"]["replicas"] == patch["spec"]["replicas"] && suspended != running;
            if !done {
                let name = workload.name_any();
                self.call(api.patch(&name, &PatchParams::default(), &Patch::Merge(&patch)))
                    .await?;
            }
        }
        Ok(())
    }

    /// Refuses `desired` (a Deployment or StatefulSet) when its pods would
    /// take the namespace over its quota: the API server would accept it
    /// and then refuse the pods, where nobody waits for the answer. Counted
    /// from the workloads' specs, not the quota's status, which the
    /// controller updates later.
    async fn admit(&self, namespace: &str, desired: &Value) -> Result<(), BackendError> {
        let Some(quota) = self
            .get_opt(&self.api::<ResourceQuota>(namespace), names::QUOTA)
            .await?
        else {
            return Ok(());
        };
        let hard: serde_json::Map<String, Value> = quota
            .spec
            .and_then(|spec| spec.hard)
            .unwrap_or_default()
            .into_iter()
            .map(|(key, quantity)| (key, Value::String(quantity.0)))
            .collect();
        let name = manifest_name(desired);
        let no_defaults = Default::default();
        let mut before = Usage::new();
        let mut after = admission::workload_usage(desired, &no_defaults);
        let (deployments, stateful_sets) = self.managed_workloads(namespace).await?;
        let existing = deployments
            .iter()
            .map(serde_json::to_value)
            .chain(stateful_sets.iter().map(serde_json::to_value));
        for workload in existing {
            let workload = workload.map_err(|error| BackendError::refused(BACKEND, error.to_string()))?;
            let usage = admission::workload_usage(&workload, &no_defaults);
            admission::add(&mut before, &usage);
            // The workload being written replaces its namesake, of either kind.
            if manifest_name(&workload) != name {
                admission::add(&mut after, &usage);
            }
        }
        match admission::exceeded(names::QUOTA, &hard, &before, &after) {
            None => Ok(()),
            Some(exceeded) => Err(BackendError::refused(
                BACKEND,
                format!(
                    "{}.apps \"{name}\" would not get its pods: {exceeded}",
                    desired["kind"].as_str().unwrap_or("workload").to_lowercase() + "s"
                ),
            )),
        }
    }

    /// A GET of a path kube has no typed call for, as JSON.
    async fn read_json(&self, path: &str) -> Result<Value, BackendError> {
        let request = http::Request::get(path)
            .body(Vec::new())
            .map_err(|error| BackendError::refused(BACKEND, error.to_string()))?;
        self.call(self.client.request::<Value>(request)).await
    }

    /// What the namespace's workloads consume, each figure unknown when its
    /// source is missing, forbidden or failing (never a reason to fail an
    /// observation: the reservations and drift still count).
    async fn consumption(&self, namespace: &str) -> Consumption {
        let metrics = self
            .read_json(&format!(
                "/apis/metrics.k8s.io/v1beta1/namespaces/{namespace}/pods"
            ))
            .await;
        let (cpu_millicores, memory_mib) = match metrics {
            Ok(list) => {
                let (cpu, memory) = consumption::pod_metrics_totals(&list);
                (Some(cpu), Some(memory))
            }
            Err(error) => {
                tracing::debug!(%error, namespace, "CPU and memory not measured");
                (None, None)
            }
        };
        let storage_mib = self.storage_used(namespace).await.unwrap_or_else(|error| {
            tracing::debug!(%error, namespace, "storage not measured");
            None
        });
        Consumption {
            cpu_millicores,
            memory_mib,
            storage_mib,
        }
    }

    /// MiB used on the namespace's claims, from the Summary of each node its
    /// pods run on; `None` when no pod runs (a suspended service's volumes
    /// are mounted nowhere, so nothing measures them).
    async fn storage_used(&self, namespace: &str) -> Result<Option<u64>, BackendError> {
        let pods = self
            .read_json(&format!("/api/v1/namespaces/{namespace}/pods"))
            .await?;
        let nodes = consumption::nodes_of(&pods);
        if nodes.is_empty() {
            return Ok(None);
        }
        let mut claims = BTreeMap::new();
        for node in nodes {
            let summary = self
                .read_json(&format!("/api/v1/nodes/{node}/proxy/stats/summary"))
                .await?;
            consumption::claims_used(&summary, namespace, &mut claims);
        }
        Ok(Some(consumption::storage_mib(&claims)))
    }

    /// The namespace's Deployments and StatefulSets that Bibind manages.
    async fn managed_workloads(
        &self,
        namespace: &str,
    ) -> Result<(Vec<Deployment>, Vec<StatefulSet>), BackendError> {
        let managed = format!("{}={}", keys::MANAGED_BY, keys::MANAGER);
        let deployments = self
            .list_all(&self.api::<Deployment>(namespace), &managed)
            .await?;
        let stateful_sets = self
            .list_all(&self.api::<StatefulSet>(namespace), &managed)
            .await?;
        Ok((deployments, stateful_sets))
    }

    async fn observe_workloads(&self, namespace: &str) -> Result<Vec<ObservedWorkload>, BackendError> {
        let (deployments, stateful_sets) = self.managed_workloads(namespace).await?;
        let deployments = deployments.into_iter().map(|deployment| ObservedWorkload {
            name: deployment.name_any(),
            kind: "Deployment".to_owned(),
            replicas: deployment.spec.and_then(|spec| spec.replicas).unwrap_or(1),
        });
        let stateful_sets = stateful_sets.into_iter().map(|stateful_set| ObservedWorkload {
            name: stateful_set.name_any(),
            kind: "StatefulSet".to_owned(),
            replicas: stateful_set.spec.and_then(|spec| spec.replicas).unwrap_or(1),
        });
        let mut workloads: Vec<_> = deployments.chain(stateful_sets).collect();
        workloads.sort_by(|left, right| left.name.cmp(&right.name));
        Ok(workloads)
    }
}

/// The DER certificates of a PEM bundle.
fn der_certificates(pem: &[u8]) -> Result<Vec<Vec<u8>>, BackendError> {
    let certificates: Vec<Vec<u8>> = pem::parse_many(pem)
        .map_err(|error| BackendError::refused(BACKEND, format!("the CA file is not PEM: {error}")))?
        .into_iter()
        .filter(|block| block.tag() == "CERTIFICATE")
        .map(pem::Pem::into_contents)
        .collect();
    if certificates.is_empty() {
        return Err(BackendError::refused(BACKEND, "the CA file holds no certificate"));
    }
    Ok(certificates)
}

/// A manifest as the typed object kube sends.
/// `metadata.name` of a manifest (empty when it has none).
fn manifest_name(manifest: &Value) -> String {
    manifest["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn typed<K: DeserializeOwned>(manifest: Value) -> Result<K, BackendError> {
    serde_json::from_value(manifest)
        .map_err(|error| BackendError::refused(BACKEND, format!("invalid manifest: {error}")))
}

fn is_terminating(namespace: &Namespace) -> bool {
    namespace.metadata.deletion_timestamp.is_some()
        || namespace
            .status
            .as_ref()
            .and_then(|status| status.phase.as_deref())
            == Some("Terminating")
}

fn quota_of(quota: &ResourceQuota) -> (Option<NamespaceQuota>, QuotaUsage) {
    let hard = quota.spec.as_ref().and_then(|spec| spec.hard.as_ref());
    let limits = hard.map(|hard| {
        let read = |key: &str| hard.get(key).map(|quantity| quantity.0.as_str()).unwrap_or("0");
        NamespaceQuota {
            cpu_millicores: u32::try_from(quantity::millicores(read("requests.cpu"))).unwrap_or(u32::MAX),
            memory_mib: u32::try_from(quantity::whole_binary_units(read("requests.memory"), 2))
                .unwrap_or(u32::MAX),
            storage_gib: u32::try_from(quantity::whole_binary_units(read("requests.storage"), 3))
                .unwrap_or(u32::MAX),
        }
    });
    let used = quota
        .status
        .as_ref()
        .and_then(|status| status.used.as_ref())
        .map(|used| {
            let read = |key: &str| used.get(key).map(|quantity| quantity.0.as_str()).unwrap_or("0");
            QuotaUsage {
                cpu_millicores: quantity::millicores(read("requests.cpu")),
                memory_mib: quantity::whole_binary_units(read("requests.memory"), 2),
                storage_gib: quantity::whole_binary_units(read("requests.storage"), 3),
            }
        })
        .unwrap_or_default();
    (limits, used)
}

#[async_trait::async_trait]
impl Kubernetes for KubernetesClient {
    async fn ensure_namespace(&self, namespace: &TenantNamespace) -> Result<(), BackendError> {
        let api: Api<Namespace> = Api::all(self.client.clone());
        let found = self.get_opt(&api, &namespace.name).await?;
        if found.as_ref().is_some_and(is_terminating) {
            return Err(BackendError::transient(
                BACKEND,
                format!("namespace {} is still being deleted", namespace.name),
            ));
        }
        if let Some(found) = &found {
            // Only a namespace Bibind made for this very subscription is
            // adopted: never an infrastructure one, nor another tenant's.
            let labels = found.labels();
            let subscription = namespace.subscription_id.to_string();
            let owned = labels.get(keys::MANAGED_BY).map(String::as_str) == Some(keys::MANAGER)
                && labels.get(keys::SUBSCRIPTION) == Some(&subscription);
            if !owned {
                return Err(not_ours("namespace", &namespace.name));
            }
        }
        let desired = manifests::namespace(namespace);
        self.create_or_patch(&api, found, desired.clone(), desired).await
    }

    async fn apply_quota(&self, namespace: &str, quota: &NamespaceQuota) -> Result<(), BackendError> {
        let quotas = self.api::<ResourceQuota>(namespace);
        let desired = manifests::resource_quota(quota);
        let found = self.get_opt(&quotas, names::QUOTA).await?;
        if let Some(found) = &found {
            ours(found, "ResourceQuota")?;
        }
        // A merge patch keeps keys it does not name: limits added by hand are removed by naming them null.
        let mut patch = desired.clone();
        let wanted_keys = manifests::quota_hard(quota);
        let found_keys = found
            .as_ref()
            .and_then(|found| found.spec.as_ref())
            .and_then(|spec| spec.hard.as_ref())
            .map(|hard| hard.keys().cloned().collect::<Vec<_>>())
            .unwrap_or_default();
        let extra: Vec<_> = found_keys
            .into_iter()
            .filter(|key| !wanted_keys.contains_key(key))
            .collect();
        for key in &extra {
            patch["spec"]["hard"][key] = Value::Null;
        }
        if extra.is_empty() {
            self.create_or_patch(&quotas, found, desired, patch).await?;
        } else {
            self.call(quotas.patch(names::QUOTA, &PatchParams::default(), &Patch::Merge(&patch)))
                .await?;
        }
        self.ensure(&self.api::<LimitRange>(namespace), manifests::limit_range(quota))
            .await
    }

    async fn ensure_network_policy(&self, namespace: &str) -> Result<(), BackendError> {
        self.ensure(&self.api::<NetworkPolicy>(namespace), manifests::network_policy())
            .await
    }

    async fn put_secret(
        &self,
        namespace: &str,
        name: &str,
        data: &BTreeMap<String, String>,
    ) -> Result<(), BackendError> {
        let secrets = self.api::<Secret>(namespace);
        let data: BTreeMap<String, ByteString> = data
            .iter()
            .map(|(key, value)| (key.clone(), ByteString(value.as_bytes().to_vec())))
            .collect();
        let mut secret = Secret {
            metadata: ObjectMeta {
                name: Some(name.to_owned()),
                labels: Some(BTreeMap::from([(
                    keys::MANAGED_BY.to_owned(),
                    keys::MANAGER.to_owned(),
                )])),
                ..ObjectMeta::default()
            },
            type_: Some("Opaque".to_owned()),
            data: Some(data.clone()),
            ..Secret::default()
        };
        let found = self.get_opt(&secrets, name).await?;
        if let Some(found) = &found {
            ours(found, "Secret")?;
        }
        match found {
            None => {
                self.call(secrets.create(&PostParams::default(), &secret)).await?;
            }
            Some(found) if found.data.as_ref() == Some(&data) || found.data.is_none() && data.is_empty() => {}
            Some(found) => {
                // Replaced whole, so that removed keys go; a concurrent writer makes it a 409 (retried).
                secret.metadata.resource_version = found.metadata.resource_version;
                secret.type_ = found.type_;
                self.call(secrets.replace(name, &PostParams::default(), &secret))
                    .await?;
            }
        }
        Ok(())
    }

    async fn ensure_workload(&self, namespace: &str, workload: &Workload) -> Result<(), BackendError> {
        let deployments = self.api::<Deployment>(namespace);
        let stateful_sets = self.api::<StatefulSet>(namespace);
        if workload.storage_gib.is_some() {
            let found = self.get_opt(&stateful_sets, &workload.name).await?;
            let suspended = found
                .as_ref()
                .is_some_and(|found| found.annotations().contains_key(keys::SUSPENDED));
            let desired = manifests::workload(workload, suspended);
            self.admit(namespace, &desired).await?;
            self.remove_managed(&deployments, &workload.name).await?;
            let patch = manifests::workload_update(desired.clone());
            self.create_or_patch(&stateful_sets, found, desired, patch)
                .await?;
        } else {
            let found = self.get_opt(&deployments, &workload.name).await?;
            let suspended = found
                .as_ref()
                .is_some_and(|found| found.annotations().contains_key(keys::SUSPENDED));
            let desired = manifests::workload(workload, suspended);
            self.admit(namespace, &desired).await?;
            self.remove_managed(&stateful_sets, &workload.name).await?;
            let patch = manifests::workload_update(desired.clone());
            self.create_or_patch(&deployments, found, desired, patch).await?;
        }
        self.ensure(&self.api::<Service>(namespace), manifests::service(workload))
            .await?;
        let ingresses = self.api::<Ingress>(namespace);
        match &workload.host {
            Some(host) => {
                let desired = manifests::ingress(workload, host, &self.ingress_class, &self.cluster_issuer);
                self.ensure(&ingresses, desired).await
            }
            None => self.remove_managed(&ingresses, &workload.name).await,
        }?;
        let certificates: Api<DynamicObject> =
            Api::namespaced_with(self.client.clone(), namespace, &certificate_resource());
        match &workload.custom_host {
            Some(host) => {
                self.ensure(
                    &ingresses,
                    manifests::domain_ingress(workload, host, &self.ingress_class),
                )
                .await?;
                self.ensure(
                    &certificates,
                    manifests::certificate(workload, host, &self.cluster_issuer),
                )
                .await
            }
            None => {
                let name = manifests::domain_object_name(workload);
                self.remove_managed(&ingresses, &name).await?;
                self.remove_managed(&certificates, &name).await
            }
        }
    }

    async fn scale_workloads(&self, namespace: &str, running: bool) -> Result<(), BackendError> {
        self.scale_kind(&self.api::<Deployment>(namespace), running)
            .await?;
        self.scale_kind(&self.api::<StatefulSet>(namespace), running)
            .await
    }

    async fn run_job(&self, namespace: &str, job: &OneOffJob) -> Result<JobPhase, BackendError> {
        let api: Api<Job> = self.api(namespace);
        let found = match self.get_opt(&api, &job.name).await? {
            Some(found) => found,
            None => {
                let object: Job = typed(manifests::job(job))?;
                self.call(api.create(&PostParams::default(), &object)).await?
            }
        };
        Ok(job_phase(&found))
    }

    async fn remove_namespace(&self, namespace: &str) -> Result<NamespaceRemoval, BackendError> {
        let api: Api<Namespace> = Api::all(self.client.clone());
        match self.get_opt(&api, namespace).await? {
            None => return Ok(NamespaceRemoval::Gone),
            // Never delete a namespace Bibind did not make.
            Some(found) => ours(&found, "namespace")?,
        }
        let deleted =
            tokio::time::timeout(self.timeout, api.delete(namespace, &DeleteParams::default())).await;
        match deleted {
            // The namespace comes back while it is emptied; a Status means it is already gone.
            Ok(Ok(either)) => Ok(match either.left() {
                Some(namespace) if is_terminating(&namespace) => NamespaceRemoval::Terminating,
                _ => NamespaceRemoval::Gone,
            }),
            Ok(Err(error)) if errors::is_not_found(&error) => Ok(NamespaceRemoval::Gone),
            Ok(Err(error)) => Err(errors::from_kube(error)),
            Err(_) => Err(BackendError::transient(
                BACKEND,
                "no answer to the namespace's deletion",
            )),
        }
    }

    async fn observe(&self, namespace: &str) -> Result<Option<ObservedNamespace>, BackendError> {
        let api: Api<Namespace> = Api::all(self.client.clone());
        let Some(found) = self.get_opt(&api, namespace).await? else {
            return Ok(None);
        };
        let quota = self
            .get_opt(&self.api::<ResourceQuota>(namespace), names::QUOTA)
            .await?;
        let (quota, reserved) = quota.as_ref().map(quota_of).unwrap_or_default();
        let policy = self
            .get_opt(&self.api::<NetworkPolicy>(namespace), names::NETWORK_POLICY)
            .await?;
        let default_deny = match policy {
            Some(policy) => {
                let found = serde_json::to_value(&policy)
                    .map_err(|error| BackendError::refused(BACKEND, error.to_string()))?;
                manifests::contains(&found["spec"], &manifests::network_policy()["spec"])
            }
            None => false,
        };
        Ok(Some(ObservedNamespace {
            terminating: is_terminating(&found),
            labels: found.metadata.labels.unwrap_or_default(),
            quota,
            reserved,
            consumed: self.consumption(namespace).await,
            default_deny,
            workloads: self.observe_workloads(namespace).await?,
        }))
    }
}

/// A Job's phase from its conditions (`Complete`, `Failed`).
fn job_phase(job: &Job) -> JobPhase {
    let conditions = job
        .status
        .as_ref()
        .and_then(|status| status.conditions.as_ref())
        .map(Vec::as_slice)
        .unwrap_or_default();
    let holds = |kind: &str| conditions.iter().find(|c| c.type_ == kind && c.status == "True");
    if holds("Complete").is_some() {
        JobPhase::Succeeded
    } else if let Some(failed) = holds("Failed") {
        JobPhase::Failed(
            failed
                .message
                .clone()
                .or_else(|| failed.reason.clone())
                .unwrap_or_else(|| "the job failed".to_owned()),
        )
    } else {
        JobPhase::Running
    }
}

/// Refuses to adopt, change or delete an object without Bibind's mark.
fn ours<K: Resource>(found: &K, kind: &str) -> Result<(), BackendError> {
    if found.labels().get(keys::MANAGED_BY).map(String::as_str) == Some(keys::MANAGER) {
        Ok(())
    } else {
        Err(not_ours(kind, &found.meta().name.clone().unwrap_or_default()))
    }
}

/// An object of the name Bibind wants, made by someone else: a refusal
/// (not retried), for an admin to sort out.
fn not_ours(kind: &str, name: &str) -> BackendError {
    BackendError::refused(BACKEND, format!("{kind} {name} exists and is not ours"))
}
