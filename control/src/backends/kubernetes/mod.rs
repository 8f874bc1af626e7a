//! Kubernetes: one namespace per tenant subscription, with its quota, limits,
//! network isolation, secrets and workloads. [`Kubernetes`] is what the
//! workflows call; [`KubernetesClient`] implements it with kube against the
//! API server (or `sim kubernetes`).

pub mod admission;
mod client;
pub mod consumption;
mod errors;
mod manifests;
pub mod quantity;

use std::collections::BTreeMap;

pub use client::KubernetesClient;

use super::BackendError;

/// Label and annotation keys Bibind puts on what it manages.
pub mod keys {
    pub const MANAGED_BY: &str = "app.kubernetes.io/managed-by";
    pub const MANAGER: &str = "bibind";
    pub const APP_NAME: &str = "app.kubernetes.io/name";
    pub const TENANT: &str = "bibind.io/tenant";
    pub const OFFER: &str = "bibind.io/offer";
    pub const SUBSCRIPTION: &str = "bibind.io/subscription";
    /// The replicas a workload runs with when not suspended.
    pub const REPLICAS: &str = "bibind.io/replicas";
    /// Set while a workload is scaled to 0 by a suspension.
    pub const SUSPENDED: &str = "bibind.io/suspended";
    /// The namespace label every namespace carries (set by the API server).
    pub const NAMESPACE_NAME: &str = "kubernetes.io/metadata.name";
}

/// Names of the per-namespace objects Bibind owns.
pub mod names {
    pub const QUOTA: &str = "bibind-quota";
    pub const LIMITS: &str = "bibind-limits";
    /// One policy: deny all traffic but what it allows (see `manifests`).
    pub const NETWORK_POLICY: &str = "bibind-isolation";
    /// The namespace of the ingress controller, allowed in.
    pub const INGRESS_CONTROLLER_NAMESPACE: &str = "ingress-nginx";
}

/// How the portal proves itself to a real API server (files, so that the
/// kubelet's rotations are seen); both `None` for the simulator.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ApiServerCredentials {
    /// A bearer token: the service account's projected token.
    pub token_file: Option<std::path::PathBuf>,
    /// The cluster's CA, trusted instead of the system's roots.
    pub ca_file: Option<std::path::PathBuf>,
}

/// A tenant subscription's namespace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TenantNamespace {
    pub name: String,
    pub tenant_slug: String,
    pub offer: String,
    pub subscription_id: uuid::Uuid,
}

/// Hard limits of a namespace (requests and limits alike).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NamespaceQuota {
    pub cpu_millicores: u32,
    pub memory_mib: u32,
    pub storage_gib: u32,
}

/// What a namespace's workloads request, as the quota counts it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QuotaUsage {
    pub cpu_millicores: u64,
    pub memory_mib: u64,
    pub storage_gib: u64,
}

/// An application in a tenant's namespace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Workload {
    pub name: String,
    pub image: String,
    pub replicas: i32,
    pub port: u16,
    /// Published at this host by an Ingress with TLS from cert-manager
    /// (secret `<name>-tls`).
    pub host: Option<String>,
    /// The owner's own domain, published too: by a second Ingress
    /// (`<name>-domain`) and a cert-manager `Certificate` of that name, so
    /// that a domain's certificate failing never touches the main host's.
    pub custom_host: Option<String>,
    /// Path prefixes of `host` the Ingress does not route to the workload
    /// (Odoo's database manager): they lead to a Service that does not
    /// exist, which ingress controllers answer with an error.
    pub closed_paths: Vec<String>,
    /// A Secret whose keys become the container's environment.
    pub env_secret: Option<String>,
    /// `Some`: a StatefulSet with a volume of this size per replica;
    /// `None`: a Deployment.
    pub storage_gib: Option<u32>,
    /// Per replica; requests = limits so that the quota counts them.
    pub cpu_millicores: u32,
    pub memory_mib: u32,
}

/// A namespace as found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedNamespace {
    pub labels: BTreeMap<String, String>,
    /// Being deleted: it cannot take new content until it is gone.
    pub terminating: bool,
    pub quota: Option<NamespaceQuota>,
    /// What the workloads request, as the quota counts it.
    pub reserved: QuotaUsage,
    /// What they really consume, where the cluster measures it.
    pub consumed: consumption::Consumption,
    /// The isolation NetworkPolicy is there, as Bibind wants it.
    pub default_deny: bool,
    pub workloads: Vec<ObservedWorkload>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedWorkload {
    pub name: String,
    /// `Deployment` or `StatefulSet`.
    pub kind: String,
    /// The replicas asked for now (0 while suspended).
    pub replicas: i32,
}

/// Where a namespace's removal stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NamespaceRemoval {
    Gone,
    /// Being emptied by the cluster; ask again later.
    Terminating,
}

/// A one-off task in a tenant's namespace (a schema migration before a
/// workload starts): a Job run to its end, never twice under one name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OneOffJob {
    pub name: String,
    pub image: String,
    pub args: Vec<String>,
    /// A Secret whose keys become the container's environment.
    pub env_secret: Option<String>,
    pub cpu_millicores: u32,
    pub memory_mib: u32,
}

/// Where a Job stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JobPhase {
    Running,
    Succeeded,
    /// Out of retries, with the cluster's reason.
    Failed(String),
}

#[async_trait::async_trait]
pub trait Kubernetes: Send + Sync {
    /// Creates the namespace with Bibind's labels, or puts them back.
    /// A namespace still terminating is a transient failure. One of that
    /// name not marked as Bibind's for this subscription is refused ("exists
    /// and is not ours"), as is any object in it without Bibind's mark: it is
    /// never adopted, changed or deleted.
    async fn ensure_namespace(&self, namespace: &TenantNamespace) -> Result<(), BackendError>;
    /// ResourceQuota `bibind-quota` and LimitRange `bibind-limits`, created
    /// or corrected.
    async fn apply_quota(&self, namespace: &str, quota: &NamespaceQuota) -> Result<(), BackendError>;
    /// Denies all traffic but ingress from the ingress controller and from
    /// the namespace itself, and egress to DNS and within the namespace.
    async fn ensure_network_policy(&self, namespace: &str) -> Result<(), BackendError>;
    /// Creates or replaces an Opaque Secret.
    async fn put_secret(
        &self,
        namespace: &str,
        name: &str,
        data: &BTreeMap<String, String>,
    ) -> Result<(), BackendError>;
    /// Deployment or StatefulSet, Service, and Ingress when it has a host.
    async fn ensure_workload(&self, namespace: &str, workload: &Workload) -> Result<(), BackendError>;
    /// Suspends (every managed workload to 0 replicas) or resumes (back to
    /// its recorded replicas).
    async fn scale_workloads(&self, namespace: &str, running: bool) -> Result<(), BackendError>;
    async fn remove_namespace(&self, namespace: &str) -> Result<NamespaceRemoval, BackendError>;
    /// Creates the Job unless one of that name exists, and says where it stands.
    async fn run_job(&self, namespace: &str, job: &OneOffJob) -> Result<JobPhase, BackendError>;
    /// `None` when the namespace does not exist.
    async fn observe(&self, namespace: &str) -> Result<Option<ObservedNamespace>, BackendError>;
}
