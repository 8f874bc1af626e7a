//! Conformance of the Kubernetes backend: the real client
//! (`control::backends::kubernetes::KubernetesClient`, kube over HTTP)
//! against `sim kubernetes` served in-process, and the same scenarios
//! against a real kube-apiserver with its controller manager (what
//! `cargo xtask test` starts). Raw HTTP checks the simulator's own fidelity
//! (Status bodies, paging, patches) and makes drift the way someone with
//! kubectl would; what differs between the two targets is said where it
//! does (no kubelet on the real server: pods stay Pending, Jobs never end).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::{collections::BTreeMap, time::Duration};

use control::backends::{
    kubernetes::{
        ApiServerCredentials, JobPhase, Kubernetes, KubernetesClient, NamespaceQuota, NamespaceRemoval,
        OneOffJob, QuotaUsage, TenantNamespace, Workload,
    },
    BackendError,
};
use serde_json::{json, Value};
use sim::faults::{Fault, Faults};

const TIMEOUT: Duration = Duration::from_secs(1);

/// Where a scenario runs: `sim kubernetes` served in-process, or the real
/// kube-apiserver of `cargo xtask test` (`TEST_KUBE_*`), reached by the
/// client with the portal's service-account token under the ClusterRole of
/// `deploy/kubernetes/clusterrole.yaml` (bound there by xtask, with
/// cert-manager's Certificate definition installed), and by the raw
/// requests as an admin with kubectl would.
enum Target {
    Simulator { served: sim::Served, faults: Faults },
    ApiServer,
}

struct Harness {
    target: Target,
    base_url: String,
    client: KubernetesClient,
    /// The raw requests' client (an admin's token on the real server).
    http: reqwest::Client,
    /// Appended to namespace names on the real server, which outlives a
    /// run and serves every test at once.
    run: String,
}

async fn harness() -> Harness {
    let faults = Faults::default();
    let served = sim::serve(sim::kubernetes::router(faults.clone()))
        .await
        .expect("serve the simulator");
    let client = KubernetesClient::new(&served.url(), TIMEOUT).expect("client");
    Harness {
        base_url: served.url(),
        target: Target::Simulator { served, faults },
        client,
        http: reqwest::Client::new(),
        run: String::new(),
    }
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run through `cargo xtask test`, or source .data/test-services.env")
    })
}

/// The real API server, with the portal's rights set up (idempotently).
async fn api_server() -> Harness {
    let base_url = env("TEST_KUBE_API_URL");
    let ca_file = std::path::PathBuf::from(env("TEST_KUBE_CA_FILE"));
    let ca =
        reqwest::Certificate::from_pem(&std::fs::read(&ca_file).expect("the CA file")).expect("a PEM CA");
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {}", env("TEST_KUBE_ADMIN_TOKEN"))
            .parse()
            .expect("a header value"),
    );
    let http = reqwest::Client::builder()
        .add_root_certificate(ca)
        .default_headers(headers)
        .build()
        .expect("an HTTP client");
    let run = uuid::Uuid::new_v4().simple().to_string()[..6].to_owned();
    let client = KubernetesClient::with_credentials(
        &base_url,
        &ApiServerCredentials {
            token_file: Some(env("TEST_KUBE_PORTAL_TOKEN_FILE").into()),
            ca_file: Some(ca_file),
        },
        // The real server's admission and etcd writes are slower than the simulator's.
        TIMEOUT * 10,
    )
    .expect("client");
    Harness {
        target: Target::ApiServer,
        base_url,
        client,
        http,
        run,
    }
}

impl Harness {
    fn is_real(&self) -> bool {
        matches!(self.target, Target::ApiServer)
    }

    /// A namespace name of this run.
    fn ns(&self, name: &str) -> String {
        if self.run.is_empty() {
            name.to_owned()
        } else {
            format!("{name}-{}", self.run)
        }
    }

    fn served(&self) -> &sim::Served {
        match &self.target {
            Target::Simulator { served, .. } => served,
            Target::ApiServer => panic!("a simulator-only step"),
        }
    }

    fn faults(&self) -> &Faults {
        match &self.target {
            Target::Simulator { faults, .. } => faults,
            Target::ApiServer => panic!("a simulator-only step"),
        }
    }

    /// Waits until `holds` (at once on the simulator; the real server's
    /// controllers take their time).
    async fn settle<F, Fut>(&self, what: &str, holds: F)
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while !holds().await {
            assert!(std::time::Instant::now() < deadline, "{what}: not within 30 s");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Waits until the namespace's controllers are done (quota counted,
    /// pods made), so that a resourceVersion is still when nobody writes.
    async fn quiet(&self, namespace: &str, reserved_cpu: u64) {
        self.settle("the controllers are done", || async {
            let observed = self.client.observe(namespace).await.ok().flatten();
            observed.is_some_and(|observed| observed.reserved.cpu_millicores == reserved_cpu)
        })
        .await;
        if self.is_real() {
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
    }

    async fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        content_type: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self.http.request(method, format!("{}{path}", self.base_url));
        if let Some(body) = body {
            request = request
                .header("content-type", content_type)
                .body(body.to_string());
        }
        let response = request.send().await.expect("send");
        let status = response.status().as_u16();
        (status, response.json().await.expect("a JSON answer"))
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        self.request(reqwest::Method::GET, path, "", None).await
    }

    async fn delete(&self, path: &str) -> (u16, Value) {
        self.request(reqwest::Method::DELETE, path, "", None).await
    }

    async fn merge_patch(&self, path: &str, patch: Value) -> (u16, Value) {
        self.request(
            reqwest::Method::PATCH,
            path,
            "application/merge-patch+json",
            Some(patch),
        )
        .await
    }

    async fn resource_version(&self, path: &str) -> String {
        let (status, object) = self.get(path).await;
        assert_eq!(status, 200, "{path}: {object}");
        object["metadata"]["resourceVersion"]
            .as_str()
            .expect("resourceVersion")
            .to_owned()
    }

    /// A kube client as a controller (or an admin) would have.
    fn kube_client(&self) -> kube::Client {
        control::backends::install_tls_provider();
        let mut config = kube::Config::new(self.base_url.parse().expect("URL"));
        // As `KubernetesClient`: an injected 503 reaches the caller, not kube's retries.
        config.default_retry = false;
        if self.is_real() {
            let ca = std::fs::read(env("TEST_KUBE_CA_FILE")).expect("the CA file");
            config.root_cert = Some(
                pem::parse_many(ca)
                    .expect("PEM")
                    .into_iter()
                    .map(pem::Pem::into_contents)
                    .collect(),
            );
            config.auth_info.token = Some(env("TEST_KUBE_ADMIN_TOKEN").into());
        }
        kube::Client::try_from(config).expect("kube client")
    }

    fn fail(&self, operation: &str, fault: Fault) {
        self.faults().set(operation, fault);
    }
}

/// Each scenario, run once on the simulator and once on the real server.
macro_rules! on_both_targets {
    ($($scenario:ident),* $(,)?) => {
        mod simulator {
            $(
                #[tokio::test]
                async fn $scenario() {
                    super::$scenario(&super::harness().await).await;
                }
            )*
        }
        mod api_server {
            $(
                #[tokio::test]
                async fn $scenario() {
                    super::$scenario(&super::api_server().await).await;
                }
            )*
        }
    };
}

fn tenant(name: &str) -> TenantNamespace {
    TenantNamespace {
        name: name.to_owned(),
        tenant_slug: "acme".to_owned(),
        offer: "ecommerce".to_owned(),
        subscription_id: uuid::Uuid::from_u128(7),
    }
}

const QUOTA: NamespaceQuota = NamespaceQuota {
    cpu_millicores: 2000,
    memory_mib: 4096,
    storage_gib: 20,
};

fn web() -> Workload {
    Workload {
        name: "web".to_owned(),
        image: "odoo:18".to_owned(),
        replicas: 2,
        port: 8069,
        host: Some("acme.shop.example".to_owned()),
        custom_host: None,
        closed_paths: vec!["/web/database".to_owned()],
        env_secret: Some("web-env".to_owned()),
        storage_gib: None,
        cpu_millicores: 250,
        memory_mib: 512,
    }
}

fn database() -> Workload {
    Workload {
        name: "db".to_owned(),
        image: "postgres:17".to_owned(),
        replicas: 1,
        port: 5432,
        host: None,
        custom_host: None,
        closed_paths: Vec::new(),
        env_secret: None,
        storage_gib: Some(5),
        cpu_millicores: 500,
        memory_mib: 1024,
    }
}

async fn provision(harness: &Harness, namespace: &str) {
    let client = &harness.client;
    client
        .ensure_namespace(&tenant(namespace))
        .await
        .expect("namespace");
    client.apply_quota(namespace, &QUOTA).await.expect("quota");
    client
        .ensure_network_policy(namespace)
        .await
        .expect("network policy");
    let env = BTreeMap::from([("PASSWORD".to_owned(), "s3cret".to_owned())]);
    client
        .put_secret(namespace, "web-env", &env)
        .await
        .expect("secret");
    client.ensure_workload(namespace, &web()).await.expect("web");
    client.ensure_workload(namespace, &database()).await.expect("db");
}

fn refused_detail(error: BackendError) -> String {
    match error {
        BackendError::Refused { detail, .. } => detail,
        transient => panic!("expected a refusal, got {transient:?}"),
    }
}

async fn a_tenant_namespace_comes_up_with_quota_isolation_and_workloads(harness: &Harness) {
    let ns = harness.ns("acme-shop");
    provision(harness, &ns).await;
    harness.quiet(&ns, 1000).await;

    let observed = harness
        .client
        .observe(&ns)
        .await
        .expect("observe")
        .expect("present");
    assert_eq!(observed.labels["app.kubernetes.io/managed-by"], "bibind");
    assert_eq!(observed.labels["bibind.io/tenant"], "acme");
    assert_eq!(observed.labels["bibind.io/offer"], "ecommerce");
    assert_eq!(
        observed.labels["bibind.io/subscription"],
        uuid::Uuid::from_u128(7).to_string()
    );
    assert_eq!(observed.labels["kubernetes.io/metadata.name"], ns);
    assert!(!observed.terminating);
    assert_eq!(observed.quota, Some(QUOTA));
    // 2 × 250m + 1 × 500m; 2 × 512Mi + 1Gi; one 5Gi claim.
    assert_eq!(
        observed.reserved,
        QuotaUsage {
            cpu_millicores: 1000,
            memory_mib: 2048,
            storage_gib: 5
        }
    );
    assert!(observed.default_deny);
    let workloads: Vec<_> = observed
        .workloads
        .iter()
        .map(|workload| (workload.name.as_str(), workload.kind.as_str(), workload.replicas))
        .collect();
    assert_eq!(workloads, [("db", "StatefulSet", 1), ("web", "Deployment", 2)]);

    // What the objects look like to the API.
    let (_, deployment) = harness
        .get(&format!("/apis/apps/v1/namespaces/{ns}/deployments/web"))
        .await;
    assert_eq!(deployment["metadata"]["annotations"]["bibind.io/replicas"], "2");
    assert_eq!(deployment["metadata"]["generation"], 1);
    let container = &deployment["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(
        container["resources"]["requests"],
        json!({ "cpu": "250m", "memory": "512Mi" })
    );
    assert_eq!(
        container["resources"]["limits"],
        container["resources"]["requests"]
    );
    assert_eq!(container["envFrom"][0]["secretRef"]["name"], "web-env");
    let (_, ingress) = harness
        .get(&format!(
            "/apis/networking.k8s.io/v1/namespaces/{ns}/ingresses/web"
        ))
        .await;
    assert_eq!(
        ingress["spec"]["tls"][0],
        json!({ "hosts": ["acme.shop.example"], "secretName": "web-tls" })
    );
    assert!(ingress["metadata"]["annotations"]["cert-manager.io/cluster-issuer"].is_string());
    let (status, _) = harness
        .get(&format!(
            "/apis/networking.k8s.io/v1/namespaces/{ns}/ingresses/db"
        ))
        .await;
    assert_eq!(status, 404, "no host, no ingress");
    let (_, claim) = harness
        .get(&format!(
            "/api/v1/namespaces/{ns}/persistentvolumeclaims/data-db-0"
        ))
        .await;
    assert_eq!(claim["spec"]["resources"]["requests"]["storage"], "5Gi");
    let (_, secret) = harness
        .get(&format!("/api/v1/namespaces/{ns}/secrets/web-env"))
        .await;
    assert_eq!(secret["data"]["PASSWORD"], "czNjcmV0");
    // The namespace's controllers' share.
    assert_eq!(
        harness
            .get(&format!("/api/v1/namespaces/{ns}/serviceaccounts/default"))
            .await
            .0,
        200
    );
    assert_eq!(
        harness
            .get(&format!("/api/v1/namespaces/{ns}/configmaps/kube-root-ca.crt"))
            .await
            .0,
        200
    );
    let (_, services) = harness.get(&format!("/api/v1/namespaces/{ns}/services")).await;
    assert_eq!(services["items"].as_array().map(Vec::len), Some(2));

    // Running every step again writes nothing and duplicates nothing.
    let paths = [
        &format!("/api/v1/namespaces/{ns}"),
        &format!("/api/v1/namespaces/{ns}/resourcequotas/bibind-quota"),
        &format!("/api/v1/namespaces/{ns}/limitranges/bibind-limits"),
        &format!("/apis/networking.k8s.io/v1/namespaces/{ns}/networkpolicies/bibind-isolation"),
        &format!("/api/v1/namespaces/{ns}/secrets/web-env"),
        &format!("/apis/apps/v1/namespaces/{ns}/deployments/web"),
        &format!("/apis/apps/v1/namespaces/{ns}/statefulsets/db"),
        &format!("/api/v1/namespaces/{ns}/services/web"),
        &format!("/apis/networking.k8s.io/v1/namespaces/{ns}/ingresses/web"),
    ];
    let mut before = Vec::new();
    for path in paths {
        before.push(harness.resource_version(path).await);
    }
    provision(harness, &ns).await;
    for (path, version) in paths.iter().zip(before) {
        assert_eq!(
            harness.resource_version(path).await,
            version,
            "{path} was written again"
        );
    }
    let (_, services) = harness.get(&format!("/api/v1/namespaces/{ns}/services")).await;
    assert_eq!(services["items"].as_array().map(Vec::len), Some(2));

    // A workload that gains storage becomes a StatefulSet; its Deployment goes.
    let mut stateful_web = web();
    stateful_web.storage_gib = Some(1);
    harness
        .client
        .ensure_workload(&ns, &stateful_web)
        .await
        .expect("web with storage");
    assert_eq!(
        harness
            .get(&format!("/apis/apps/v1/namespaces/{ns}/deployments/web"))
            .await
            .0,
        404
    );
    assert_eq!(
        harness
            .get(&format!("/apis/apps/v1/namespaces/{ns}/statefulsets/web"))
            .await
            .0,
        200
    );
}

async fn a_workload_over_the_quota_is_refused_with_the_api_servers_reason(harness: &Harness) {
    let ns = harness.ns("tight");
    provision(harness, &ns).await;
    let mut greedy = web();
    greedy.name = "greedy".to_owned();
    greedy.host = None;
    greedy.replicas = 3;
    greedy.cpu_millicores = 400;
    let detail = refused_detail(
        harness
            .client
            .ensure_workload(&ns, &greedy)
            .await
            .expect_err("over quota"),
    );
    // The API server would take the Deployment and refuse its pods out of
    // sight: the client refuses it first, in the API server's words.
    assert!(
        detail.contains(
            "deployments.apps \"greedy\" would not get its pods: exceeded quota: bibind-quota, \
             requested: limits.cpu=1200m,requests.cpu=1200m, used: limits.cpu=1,requests.cpu=1, \
             limited: limits.cpu=2,requests.cpu=2"
        ),
        "{detail}"
    );
    // Nothing was half-written, and scaling an existing workload over the limit is refused too.
    assert_eq!(
        harness
            .get(&format!("/apis/apps/v1/namespaces/{ns}/deployments/greedy"))
            .await
            .0,
        404
    );
    let mut more_web = web();
    more_web.replicas = 10;
    let detail = refused_detail(
        harness
            .client
            .ensure_workload(&ns, &more_web)
            .await
            .expect_err("over quota"),
    );
    assert!(detail.contains("exceeded quota"), "{detail}");
    harness.quiet(&ns, 1000).await;
    if harness.is_real() {
        // Why the client judges first: scaled behind its back (kubectl
        // scale), the Deployment is taken, and the quota admits the pods
        // that fit (4 × 250m) and refuses the rest, said only in the
        // Deployment's status, where no caller waits.
        let deployment = format!("/apis/apps/v1/namespaces/{ns}/deployments/web");
        let (status, _) = harness
            .merge_patch(
                &format!("{deployment}/scale"),
                json!({ "spec": { "replicas": 10 } }),
            )
            .await;
        assert_eq!(status, 200);
        harness
            .settle("the quota refuses the pods that do not fit", || async {
                let (_, found) = harness.get(&deployment).await;
                found["status"]["conditions"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|condition| {
                        condition["type"] == "ReplicaFailure"
                            && condition["message"]
                                .as_str()
                                .is_some_and(|message| message.contains("exceeded quota: bibind-quota"))
                    })
            })
            .await;
        harness.quiet(&ns, 2000).await;
    }
}

async fn suspending_scales_every_workload_to_zero_and_resuming_restores_them(harness: &Harness) {
    let ns = harness.ns("sleepy");
    provision(harness, &ns).await;
    harness.client.scale_workloads(&ns, false).await.expect("suspend");
    harness.quiet(&ns, 0).await;
    let observed = harness
        .client
        .observe(&ns)
        .await
        .expect("observe")
        .expect("present");
    assert!(
        observed.workloads.iter().all(|workload| workload.replicas == 0),
        "{observed:?}"
    );
    assert_eq!(observed.reserved.cpu_millicores, 0);
    assert_eq!(observed.reserved.storage_gib, 5, "claims outlive scaling down");

    // Suspending twice, or re-running a workload step meanwhile, keeps it down.
    let version = harness
        .resource_version(&format!("/apis/apps/v1/namespaces/{ns}/deployments/web"))
        .await;
    harness
        .client
        .scale_workloads(&ns, false)
        .await
        .expect("suspend again");
    assert_eq!(
        harness
            .resource_version(&format!("/apis/apps/v1/namespaces/{ns}/deployments/web"))
            .await,
        version
    );
    harness
        .client
        .ensure_workload(&ns, &web())
        .await
        .expect("re-run while suspended");
    let observed = harness
        .client
        .observe(&ns)
        .await
        .expect("observe")
        .expect("present");
    assert!(
        observed.workloads.iter().all(|workload| workload.replicas == 0),
        "{observed:?}"
    );

    harness.client.scale_workloads(&ns, true).await.expect("resume");
    harness
        .client
        .scale_workloads(&ns, true)
        .await
        .expect("resume again");
    harness.quiet(&ns, 1000).await;
    let observed = harness
        .client
        .observe(&ns)
        .await
        .expect("observe")
        .expect("present");
    let replicas: Vec<_> = observed
        .workloads
        .iter()
        .map(|workload| (workload.name.as_str(), workload.replicas))
        .collect();
    assert_eq!(replicas, [("db", 1), ("web", 2)]);
    assert_eq!(observed.reserved.cpu_millicores, 1000);
    let (_, deployment) = harness
        .get(&format!("/apis/apps/v1/namespaces/{ns}/deployments/web"))
        .await;
    assert!(deployment["metadata"]["annotations"]
        .get("bibind.io/suspended")
        .is_none());
}

async fn drift_made_behind_bibinds_back_is_observed_and_corrected(harness: &Harness) {
    let ns = harness.ns("drifty");
    provision(harness, &ns).await;

    let (status, _) = harness
        .delete(&format!(
            "/apis/networking.k8s.io/v1/namespaces/{ns}/networkpolicies/bibind-isolation"
        ))
        .await;
    assert_eq!(status, 200);
    let quota_path = &format!("/api/v1/namespaces/{ns}/resourcequotas/bibind-quota");
    let (status, _) = harness
        .merge_patch(
            quota_path,
            json!({ "spec": { "hard": { "requests.cpu": "64", "pods": "1" } } }),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = harness
        .merge_patch(
            &format!("/api/v1/namespaces/{ns}"),
            json!({ "metadata": { "labels": { "bibind.io/tenant": null } } }),
        )
        .await;
    assert_eq!(status, 200);

    let observed = harness
        .client
        .observe(&ns)
        .await
        .expect("observe")
        .expect("present");
    assert!(!observed.default_deny);
    assert_eq!(observed.quota.map(|quota| quota.cpu_millicores), Some(64_000));
    assert!(!observed.labels.contains_key("bibind.io/tenant"));

    harness
        .client
        .ensure_namespace(&tenant(&ns))
        .await
        .expect("namespace");
    harness.client.apply_quota(&ns, &QUOTA).await.expect("quota");
    harness.client.ensure_network_policy(&ns).await.expect("policy");
    let observed = harness
        .client
        .observe(&ns)
        .await
        .expect("observe")
        .expect("present");
    assert!(observed.default_deny);
    assert_eq!(observed.quota, Some(QUOTA));
    assert_eq!(observed.labels["bibind.io/tenant"], "acme");
    let (_, quota) = harness.get(quota_path).await;
    assert!(
        quota["spec"]["hard"].get("pods").is_none(),
        "a limit added by hand is removed: {quota}"
    );
    assert_eq!(quota["status"]["hard"], quota["spec"]["hard"]);

    // A rule changed inside the policy is drift too.
    let (status, _) = harness
        .request(
            reqwest::Method::PATCH,
            &format!("/apis/networking.k8s.io/v1/namespaces/{ns}/networkpolicies/bibind-isolation"),
            "application/json-patch+json",
            Some(json!([{ "op": "remove", "path": "/spec/egress/1" }])),
        )
        .await;
    assert_eq!(status, 200);
    assert!(
        !harness
            .client
            .observe(&ns)
            .await
            .expect("observe")
            .expect("present")
            .default_deny
    );
    harness.client.ensure_network_policy(&ns).await.expect("policy");
    assert!(
        harness
            .client
            .observe(&ns)
            .await
            .expect("observe")
            .expect("present")
            .default_deny
    );
}

async fn secrets_are_replaced_whole_and_rewritten_only_when_they_change(harness: &Harness) {
    let ns = harness.ns("vault");
    harness
        .client
        .ensure_namespace(&tenant(&ns))
        .await
        .expect("namespace");
    let both = BTreeMap::from([("A".to_owned(), "1".to_owned()), ("B".to_owned(), "2".to_owned())]);
    harness
        .client
        .put_secret(&ns, "env", &both)
        .await
        .expect("create");
    let path = &format!("/api/v1/namespaces/{ns}/secrets/env");
    let version = harness.resource_version(path).await;
    harness
        .client
        .put_secret(&ns, "env", &both)
        .await
        .expect("same again");
    assert_eq!(harness.resource_version(path).await, version);
    let only_a = BTreeMap::from([("A".to_owned(), "one".to_owned())]);
    harness
        .client
        .put_secret(&ns, "env", &only_a)
        .await
        .expect("replace");
    let (_, secret) = harness.get(path).await;
    assert_eq!(secret["data"], json!({ "A": "b25l" }));
    assert_eq!(secret["type"], "Opaque");
}

async fn a_removed_namespace_terminates_refuses_new_content_then_is_gone(harness: &Harness) {
    let ns = harness.ns("doomed");
    provision(harness, &ns).await;
    // A finalizer someone else's controller holds keeps the namespace
    // Terminating until it lets go (the real server empties it in a blink).
    let path = format!("/api/v1/namespaces/{ns}");
    let (status, _) = harness
        .merge_patch(
            &path,
            json!({ "metadata": { "finalizers": ["example.com/hold"] } }),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        harness.client.remove_namespace(&ns).await,
        Ok(NamespaceRemoval::Terminating)
    );
    let observed = harness
        .client
        .observe(&ns)
        .await
        .expect("observe")
        .expect("still there");
    assert!(observed.terminating);

    let data = BTreeMap::from([("K".to_owned(), "v".to_owned())]);
    let detail = refused_detail(
        harness
            .client
            .put_secret(&ns, "late", &data)
            .await
            .expect_err("terminating"),
    );
    assert!(
        detail.contains(&format!(
            "secrets \"late\" is forbidden: unable to create new content in namespace {ns} because it is being terminated"
        )),
        "{detail}"
    );
    let recreate = harness
        .client
        .ensure_namespace(&tenant(&ns))
        .await
        .expect_err("still terminating");
    assert!(recreate.is_transient(), "{recreate:?}");
    // A second DELETE answers the namespace, still terminating.
    let (status, body) = harness.delete(&format!("/api/v1/namespaces/{ns}")).await;
    assert_eq!(
        (status, body["status"]["phase"].as_str()),
        (200, Some("Terminating")),
        "{body}"
    );
    assert_eq!(
        harness.client.remove_namespace(&ns).await,
        Ok(NamespaceRemoval::Terminating)
    );

    let (status, _) = harness
        .merge_patch(&path, json!({ "metadata": { "finalizers": null } }))
        .await;
    assert_eq!(status, 200);
    tokio::time::sleep(sim::kubernetes::Settings::default().termination_delay + Duration::from_millis(100))
        .await;
    harness
        .settle("the namespace is gone", || async {
            harness.client.remove_namespace(&ns).await == Ok(NamespaceRemoval::Gone)
        })
        .await;
    assert_eq!(harness.client.observe(&ns).await, Ok(None));
    assert_eq!(
        harness
            .get(&format!("/apis/apps/v1/namespaces/{ns}/deployments/web"))
            .await
            .0,
        404
    );
    assert_eq!(
        harness.client.remove_namespace(&ns).await,
        Ok(NamespaceRemoval::Gone)
    );
    // Once gone, it can be created again.
    harness
        .client
        .ensure_namespace(&tenant(&ns))
        .await
        .expect("recreate");
}

async fn api_errors_are_classified_by_status(harness: &Harness) {
    let busy = harness.ns("busy");
    let nowhere = harness.ns("nowhere");
    assert_eq!(harness.client.observe(&nowhere).await, Ok(None));
    let data = BTreeMap::new();
    let detail = refused_detail(
        harness
            .client
            .put_secret(&nowhere, "s", &data)
            .await
            .expect_err("no namespace"),
    );
    assert!(
        detail.contains(&format!("404 NotFound: namespaces \"{nowhere}\" not found")),
        "{detail}"
    );
    let detail = refused_detail(
        harness
            .client
            .ensure_namespace(&tenant("Not_Valid"))
            .await
            .expect_err("invalid"),
    );
    assert!(
        detail.contains("422 Invalid: Namespace \"Not_Valid\" is invalid: metadata.name"),
        "{detail}"
    );

    harness
        .client
        .ensure_namespace(&tenant(&busy))
        .await
        .expect("namespace");
    let (status, _) = harness
        .merge_patch(
            &format!("/api/v1/namespaces/{busy}"),
            json!({ "metadata": { "labels": { "bibind.io/offer": "iot" } } }),
        )
        .await;
    assert_eq!(status, 200);
    if harness.is_real() {
        // What follows injects the conflict: the simulator's part.
        harness
            .client
            .ensure_namespace(&tenant(&busy))
            .await
            .expect("corrected");
        return;
    }
    // Another writer got there first: the API server's 409 on our correction.
    harness.fail(
        "patch_namespace",
        Fault {
            status: Some(409),
            ..Fault::default()
        },
    );
    let conflict = harness
        .client
        .ensure_namespace(&tenant(&busy))
        .await
        .expect_err("conflict");
    assert!(conflict.is_transient(), "{conflict:?}");
    harness.faults().clear();
    harness
        .client
        .ensure_namespace(&tenant(&busy))
        .await
        .expect("after the conflict");
    assert_eq!(
        harness
            .client
            .observe(&busy)
            .await
            .expect("observe")
            .expect("present")
            .labels["bibind.io/offer"],
        "ecommerce"
    );
}

#[tokio::test]
async fn injected_failures_and_hangs_are_transient() {
    let harness = harness().await;
    for status in [503, 500, 429] {
        harness.fail(
            "get_namespace",
            Fault {
                status: Some(status),
                times: Some(1),
                ..Fault::default()
            },
        );
        let error = harness
            .client
            .ensure_namespace(&tenant("flaky"))
            .await
            .expect_err("injected");
        assert!(error.is_transient(), "{status}: {error:?}");
        assert!(error.to_string().contains(&status.to_string()), "{error}");
    }
    harness.fail(
        "create_secret",
        Fault {
            hang: true,
            ..Fault::default()
        },
    );
    harness
        .client
        .ensure_namespace(&tenant("flaky"))
        .await
        .expect("namespace");
    let started = std::time::Instant::now();
    let error = harness
        .client
        .put_secret("flaky", "s", &BTreeMap::new())
        .await
        .expect_err("hang");
    assert!(error.is_transient(), "{error:?}");
    assert!(started.elapsed() < TIMEOUT * 3, "took {:?}", started.elapsed());
    harness.faults().clear();
    harness
        .client
        .put_secret("flaky", "s", &BTreeMap::new())
        .await
        .expect("after the hang");
    // An API server that is not there at all.
    let nobody = KubernetesClient::new("http://127.0.0.1:9", TIMEOUT).expect("client");
    let error = nobody.observe("x").await.expect_err("connection refused");
    assert!(error.is_transient(), "{error:?}");
}

async fn the_simulator_answers_like_the_api_server(harness: &Harness) {
    let gen = harness.ns("gen");
    let lists = harness.ns("lists");
    harness
        .client
        .ensure_namespace(&tenant(&lists))
        .await
        .expect("namespace");
    let root_ca = format!("/api/v1/namespaces/{lists}/configmaps/kube-root-ca.crt");
    harness
        .settle("the root CA is published in the namespace", || async {
            harness.get(&root_ca).await.0 == 200
        })
        .await;
    // Status bodies.
    let (status, body) = harness.get("/api/v1/namespaces/default/configmaps/missing").await;
    assert_eq!(status, 404);
    assert_eq!(
        body,
        json!({ "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": "configmaps \"missing\" not found", "reason": "NotFound",
                "details": { "name": "missing", "kind": "configmaps" }, "code": 404 })
    );
    let (status, body) = harness
        .request(
            reqwest::Method::POST,
            "/apis/apps/v1/namespaces/default/deployments",
            "application/json",
            Some(json!({ "metadata": { "name": "x", "namespace": "other" } })),
        )
        .await;
    assert_eq!(
        (status, body["message"].as_str()),
        (
            400,
            Some("the namespace of the provided object does not match the namespace sent on the request")
        )
    );
    let (status, version) = harness.get("/version").await;
    assert_eq!((status, version["major"].as_str()), (200, Some("1")));

    // Lists: label selectors, and paging with limit/continue.
    for index in 0..5 {
        let labels = json!({ "tier": if index % 2 == 0 { "even" } else { "odd" }, "suite": lists });
        let (status, created) = harness
            .request(
                reqwest::Method::POST,
                &format!("/api/v1/namespaces/{lists}/configmaps"),
                "application/json",
                Some(json!({ "metadata": { "name": format!("cm-{index}"), "labels": labels } })),
            )
            .await;
        assert_eq!(status, 201, "{created}");
        assert!(
            created["metadata"]["uid"].is_string() && created["metadata"]["creationTimestamp"].is_string()
        );
        assert!(created["metadata"].get("generation").is_none());
    }
    let (_, evens) = harness
        .get(&format!(
            "/api/v1/namespaces/{lists}/configmaps?labelSelector=tier%3Deven"
        ))
        .await;
    assert_eq!(evens["items"].as_array().map(Vec::len), Some(3));
    assert_eq!(evens["kind"], "ConfigMapList");
    let (_, not_odd) = harness
        .get(&format!(
            "/api/v1/namespaces/{lists}/configmaps?labelSelector=tier%20notin%20(odd)"
        ))
        .await;
    assert_eq!(
        not_odd["items"].as_array().map(Vec::len),
        Some(3 + 1),
        "the namespace's kube-root-ca.crt counts"
    );
    let (_, everywhere) = harness
        .get(&format!(
            "/api/v1/configmaps?labelSelector=suite%3D{lists},tier%20in%20(even)"
        ))
        .await;
    assert_eq!(everywhere["items"].as_array().map(Vec::len), Some(3));
    let mut names = Vec::new();
    let mut next = String::new();
    loop {
        let (_, page) = harness
            .get(&format!(
                "/api/v1/namespaces/{lists}/configmaps?limit=2&continue={next}"
            ))
            .await;
        let items = page["items"].as_array().cloned().unwrap_or_default();
        assert!(items.len() <= 2);
        names.extend(
            items
                .iter()
                .map(|item| item["metadata"]["name"].as_str().unwrap_or("").to_owned()),
        );
        match page["metadata"]["continue"].as_str() {
            Some(token) => next = token.replace('/', "%2F"),
            None => break,
        }
    }
    assert_eq!(
        names,
        ["cm-0", "cm-1", "cm-2", "cm-3", "cm-4", "kube-root-ca.crt"]
    );
    let (status, _) = harness
        .get(&format!(
            "/api/v1/namespaces/{lists}/configmaps?fieldSelector=spec.x%3D1"
        ))
        .await;
    assert_eq!(status, 400);

    // Optimistic concurrency, JSON patch `test`, and generation.
    let path = &format!("/api/v1/namespaces/{lists}/configmaps/cm-0");
    let (status, stale) = harness
        .request(
            reqwest::Method::PUT,
            path,
            "application/json",
            Some(json!({ "metadata": { "name": "cm-0", "resourceVersion": "1" }, "data": { "a": "b" } })),
        )
        .await;
    assert_eq!(
        (status, stale["reason"].as_str()),
        (409, Some("Conflict")),
        "{stale}"
    );
    let (status, failed) = harness
        .request(
            reqwest::Method::PATCH,
            path,
            "application/json-patch+json",
            Some(json!([{ "op": "test", "path": "/metadata/labels/tier", "value": "odd" }])),
        )
        .await;
    assert_eq!(status, 422, "{failed}");
    harness
        .client
        .ensure_namespace(&tenant(&gen))
        .await
        .expect("namespace");
    harness
        .client
        .ensure_workload(&gen, &web())
        .await
        .expect("workload");
    let deployment = &format!("/apis/apps/v1/namespaces/{gen}/deployments/web");
    let (_, patched) = harness
        .merge_patch(
            deployment,
            json!({ "metadata": { "annotations": { "note": "x" } } }),
        )
        .await;
    assert_eq!(
        patched["metadata"]["generation"], 2,
        "a Deployment's annotations count"
    );
    // A valid object of a taken name: AlreadyExists; an invalid one is
    // refused as invalid first, whatever its name.
    let deployments = format!("/apis/apps/v1/namespaces/{gen}/deployments");
    let labels = json!({ "app": "c" });
    let valid = json!({ "metadata": { "name": "web" }, "spec": { "selector": { "matchLabels": labels },
        "template": { "metadata": { "labels": labels }, "spec": { "containers": [{ "name": "c", "image": "c:1" }] } } } });
    let (_, created) = harness
        .request(
            reqwest::Method::POST,
            &deployments,
            "application/json",
            Some(valid),
        )
        .await;
    assert_eq!(created["reason"], "AlreadyExists");
    assert_eq!(created["message"], "deployments.apps \"web\" already exists");
    let imageless = json!({ "metadata": { "name": "web" }, "spec": { "selector": { "matchLabels": labels },
        "template": { "metadata": { "labels": labels }, "spec": { "containers": [{ "name": "c" }] } } } });
    let (status, invalid) = harness
        .request(
            reqwest::Method::POST,
            &deployments,
            "application/json",
            Some(imageless),
        )
        .await;
    assert_eq!(
        (status, invalid["reason"].as_str()),
        (422, Some("Invalid")),
        "{invalid}"
    );
    assert_eq!(
        invalid["message"],
        "Deployment.apps \"web\" is invalid: spec.template.spec.containers[0].image: Required value"
    );
}

async fn a_one_off_job_runs_once_and_reports_its_end(h: &Harness) {
    let ns = h.ns("acme-iot");
    h.client.ensure_namespace(&tenant(&ns)).await.expect("namespace");
    let job = OneOffJob {
        name: "ingest-migrate-1".to_owned(),
        image: "registry.example/ingest:1".to_owned(),
        args: vec!["migrate".to_owned()],
        env_secret: Some("service-env".to_owned()),
        cpu_millicores: 100,
        memory_mib: 128,
    };
    // The simulator runs a Job at once; without a kubelet, the real
    // server's stays Running until its pod's end is reported.
    let first = if h.is_real() {
        JobPhase::Running
    } else {
        JobPhase::Succeeded
    };
    assert_eq!(h.client.run_job(&ns, &job).await.expect("run"), first);
    let path = &format!("/apis/batch/v1/namespaces/{ns}/jobs/ingest-migrate-1");
    let uid = |object: &Value| object["metadata"]["uid"].as_str().map(str::to_owned);
    let created = uid(&h.get(path).await.1);
    if h.is_real() {
        // As the job controller records its pod's success.
        let started = h.get(path).await.1["metadata"]["creationTimestamp"].clone();
        let done = json!({ "status": {
            "startTime": started, "completionTime": started, "succeeded": 1, "active": 0,
            "conditions": [
                { "type": "SuccessCriteriaMet", "status": "True", "reason": "CompletionsReached" },
                { "type": "Complete", "status": "True", "reason": "CompletionsReached" },
            ] } });
        let (status, body) = h.merge_patch(&format!("{path}/status"), done).await;
        assert_eq!(status, 200, "{body}");
    }
    // Asked again (a step run after a crash): the Job is followed, not created twice.
    assert_eq!(
        h.client.run_job(&ns, &job).await.expect("again"),
        JobPhase::Succeeded
    );
    assert_eq!(uid(&h.get(path).await.1), created);
    let (status, list) = h.get(&format!("/apis/batch/v1/namespaces/{ns}/jobs")).await;
    assert_eq!(status, 200);
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
    let (_, stored) = h.get(path).await;
    assert_eq!(stored["spec"]["template"]["spec"]["restartPolicy"], "Never");
    assert_eq!(
        stored["spec"]["template"]["spec"]["containers"][0]["envFrom"][0]["secretRef"]["name"],
        "service-env"
    );
    if h.is_real() {
        return;
    }
    // A failure to create is transient for the engine (retried).
    h.faults().set(
        "create_job",
        Fault {
            status: Some(503),
            times: Some(1),
            ..Fault::default()
        },
    );
    let other = OneOffJob {
        name: "ingest-migrate-2".to_owned(),
        ..job
    };
    assert!(matches!(
        h.client.run_job(&ns, &other).await,
        Err(BackendError::Transient { .. })
    ));
}

/// A namespace (or an object in one) of the name Bibind wants but made by
/// someone else — an infrastructure namespace, another tenant's — is never
/// adopted, changed or deleted: the step is refused, not retried, and says so.
async fn a_namespace_or_object_that_is_not_ours_is_never_adopted_changed_or_deleted(harness: &Harness) {
    let shop = harness.ns("acme-shop");
    let iot = harness.ns("acme-iot");
    let web_ns = harness.ns("acme-web");
    let (status, _) = harness
        .request(
            reqwest::Method::POST,
            "/api/v1/namespaces",
            "application/json",
            Some(json!({ "metadata": { "name": &shop, "labels": { "team": "infra" } } })),
        )
        .await;
    assert_eq!(status, 201);
    let error = harness.client.ensure_namespace(&tenant(&shop)).await.unwrap_err();
    assert!(matches!(error, BackendError::Refused { .. }), "{error:?}");
    assert!(error.to_string().contains("exists and is not ours"), "{error}");
    let error = harness.client.remove_namespace(&shop).await.unwrap_err();
    assert!(error.to_string().contains("exists and is not ours"), "{error}");
    let (_, found) = harness.get(&format!("/api/v1/namespaces/{shop}")).await;
    assert_eq!(
        found["metadata"]["labels"],
        json!({ "team": "infra", "kubernetes.io/metadata.name": &shop })
    );

    // Another subscription's namespace of that name is not ours either.
    let other = TenantNamespace {
        subscription_id: uuid::Uuid::from_u128(8),
        ..tenant(&iot)
    };
    harness.client.ensure_namespace(&other).await.unwrap();
    let error = harness.client.ensure_namespace(&tenant(&iot)).await.unwrap_err();
    assert!(error.to_string().contains("exists and is not ours"), "{error}");

    // In our namespace, an object of one of our names made by hand stays untouched.
    harness.client.ensure_namespace(&tenant(&web_ns)).await.unwrap();
    let (status, _) = harness
        .request(
            reqwest::Method::POST,
            &format!("/api/v1/namespaces/{web_ns}/resourcequotas"),
            "application/json",
            Some(json!({ "metadata": { "name": "bibind-quota" }, "spec": { "hard": { "pods": "3" } } })),
        )
        .await;
    assert_eq!(status, 201);
    let error = harness.client.apply_quota(&web_ns, &QUOTA).await.unwrap_err();
    assert!(
        error
            .to_string()
            .contains("ResourceQuota bibind-quota exists and is not ours"),
        "{error}"
    );
    let (_, quota) = harness
        .get(&format!(
            "/api/v1/namespaces/{web_ns}/resourcequotas/bibind-quota"
        ))
        .await;
    assert_eq!(quota["spec"]["hard"], json!({ "pods": "3" }));
}

#[tokio::test]
async fn consumption_is_read_from_pod_metrics_and_the_kubelets_volume_stats() {
    let harness = harness().await;
    provision(&harness, "metered").await;
    // The controllers' pods, as kubectl lists them: two web replicas, db-0 with its claim.
    let (status, pods) = harness.get("/api/v1/namespaces/metered/pods").await;
    assert_eq!(status, 200);
    let names: Vec<&str> = pods["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|pod| pod["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(names.contains(&"db-0"), "{names:?}");
    let (status, selected) = harness
        .get("/api/v1/namespaces/metered/pods?labelSelector=app.kubernetes.io%2Fname%3Dweb")
        .await;
    assert_eq!((status, selected["items"].as_array().unwrap().len()), (200, 2));
    let (status, metrics) = harness
        .get("/apis/metrics.k8s.io/v1beta1/namespaces/metered/pods/db-0")
        .await;
    assert_eq!((status, metrics["kind"].as_str()), (200, Some("PodMetrics")));
    assert_eq!(
        metrics["containers"][0]["usage"]["cpu"], "25000000n",
        "5 % of 500m"
    );
    let (status, missing) = harness.get("/api/v1/nodes/elsewhere/proxy/stats/summary").await;
    assert_eq!((status, missing["reason"].as_str()), (404, Some("NotFound")));

    // A quiet service by default: 5 % of its CPU requests, 30 % of memory,
    // 2 % of its volume (12.5m per web pod counts 12: whole millicores).
    let consumed = harness.client.observe("metered").await.unwrap().unwrap().consumed;
    assert_eq!(consumed.cpu_millicores, Some(49));
    assert_eq!(consumed.memory_mib, Some(615), "30 % of 2 GiB, rounded up");
    assert_eq!(consumed.storage_mib, Some(103), "2 % of 5 GiB, rounded up");

    // Under load, the figures follow.
    let status = harness
        .http
        .put(format!("{}/_sim/consumption/metered", harness.served().url()))
        .json(&json!({ "cpu_percent": 80, "memory_percent": 90, "storage_percent": 50 }))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 204);
    let consumed = harness.client.observe("metered").await.unwrap().unwrap().consumed;
    assert_eq!(consumed.cpu_millicores, Some(800));
    assert_eq!(consumed.memory_mib, Some(1844));
    assert_eq!(consumed.storage_mib, Some(2560));

    // No metrics-server (the API not served) or no right to the nodes'
    // proxy: those figures are unknown, the observation still stands.
    harness.fail(
        "list_pod_metrics",
        Fault {
            status: Some(404),
            ..Fault::default()
        },
    );
    harness.fail(
        "get_node_summary",
        Fault {
            status: Some(403),
            ..Fault::default()
        },
    );
    let observed = harness.client.observe("metered").await.unwrap().unwrap();
    assert_eq!(observed.consumed, Default::default());
    assert_eq!(observed.reserved.cpu_millicores, 1000);
    harness.faults().clear();

    // Suspended: nothing runs, nothing is consumed, and no pod mounts the volume to measure it.
    harness.client.scale_workloads("metered", false).await.unwrap();
    let consumed = harness.client.observe("metered").await.unwrap().unwrap().consumed;
    assert_eq!((consumed.cpu_millicores, consumed.memory_mib), (Some(0), Some(0)));
    assert_eq!(consumed.storage_mib, None);
}

/// What `kubectl patch` (a strategic merge patch) and `kubectl scale` (the
/// `scale` subresource) do behind Bibind's back, and how Bibind sees and
/// corrects it; with the discovery kubectl reads first.
async fn kubectl_patches_and_scales_as_on_a_real_cluster(harness: &Harness) {
    let ns = harness.ns("kubectl");
    provision(harness, &ns).await;
    let deployment = &format!("/apis/apps/v1/namespaces/{ns}/deployments/web");
    let strategic = |patch: Value| {
        harness.request(
            reqwest::Method::PATCH,
            deployment,
            "application/strategic-merge-patch+json",
            Some(patch),
        )
    };

    // Containers merge by name, env by name: the image changes, nothing is lost.
    let (status, patched) = strategic(json!({ "spec": { "template": { "spec": { "containers": [
        { "name": "web", "image": "odoo:19", "env": [{ "name": "DEBUG", "value": "1" }] },
    ] } } } }))
    .await;
    assert_eq!(status, 200, "{patched}");
    let containers = &patched["spec"]["template"]["spec"]["containers"];
    assert_eq!(containers.as_array().map(Vec::len), Some(1));
    assert_eq!(containers[0]["image"], "odoo:19");
    assert_eq!(containers[0]["env"], json!([{ "name": "DEBUG", "value": "1" }]));
    assert_eq!(
        containers[0]["envFrom"],
        json!([{ "secretRef": { "name": "web-env" } }])
    );
    assert_eq!(containers[0]["ports"][0]["containerPort"], 8069, "ports kept");
    assert_eq!(
        patched["spec"]["strategy"]["rollingUpdate"]["maxSurge"], "25%",
        "the API server's defaults"
    );
    let (status, removed) = strategic(json!({ "spec": { "template": { "spec": { "containers": [
        { "name": "web", "env": [{ "name": "DEBUG", "$patch": "delete" }] },
    ] } } } }))
    .await;
    assert_eq!(status, 200, "{removed}");
    assert!(
        removed["spec"]["template"]["spec"]["containers"][0]
            .get("env")
            .is_none(),
        "an emptied list is dropped, as Go's omitempty does: {removed}"
    );

    // Bibind puts its image back with its own merge patch.
    harness
        .client
        .ensure_workload(&ns, &web())
        .await
        .expect("drift corrected");
    let (_, corrected) = harness.get(deployment).await;
    assert_eq!(
        corrected["spec"]["template"]["spec"]["containers"][0]["image"],
        "odoo:18"
    );

    // `kubectl scale`: the Scale moves the Deployment, which Bibind observes.
    let scale = format!("{deployment}/scale");
    let (status, current) = harness.get(&scale).await;
    assert_eq!(status, 200, "{current}");
    assert_eq!(
        (current["kind"].as_str(), current["spec"]["replicas"].as_i64()),
        (Some("Scale"), Some(2))
    );
    assert_eq!(current["status"]["selector"], "app.kubernetes.io/name=web");
    let (status, scaled) = harness
        .request(
            reqwest::Method::PATCH,
            &scale,
            "application/merge-patch+json",
            Some(json!({ "spec": { "replicas": 1 } })),
        )
        .await;
    // The Scale's status is the controller's (the simulator's are instant).
    assert_eq!((status, scaled["spec"]["replicas"].as_i64()), (200, Some(1)));
    let observed = harness
        .client
        .observe(&ns)
        .await
        .expect("observe")
        .expect("there");
    let web_replicas = observed
        .workloads
        .iter()
        .find(|workload| workload.name == "web")
        .map(|workload| workload.replicas);
    assert_eq!(web_replicas, Some(1));
    let (status, stale) = harness
        .request(reqwest::Method::PUT, &scale, "application/json", Some(current))
        .await;
    assert_eq!((status, stale["reason"].as_str()), (409, Some("Conflict")));
    let (status, _) = harness
        .get(&format!("/apis/batch/v1/namespaces/{ns}/jobs/x/scale"))
        .await;
    assert_eq!(status, 404, "jobs have no scale");

    // Server-side apply: the client does not use it (merge patches, read
    // first), and the simulator answers it with 415 and what it accepts.
    let (status, applied) = harness
        .request(
            reqwest::Method::PATCH,
            deployment,
            "application/apply-patch+yaml",
            Some(json!({})),
        )
        .await;
    if harness.is_real() {
        // Without a field manager, refused; with one, an annotation applied.
        assert_eq!(
            (status, applied["reason"].as_str()),
            (422, Some("Invalid")),
            "{applied}"
        );
        let (status, applied) = harness
            .request(
                reqwest::Method::PATCH,
                &format!("{deployment}?fieldManager=kubectl&force=true"),
                "application/apply-patch+yaml",
                Some(json!({ "apiVersion": "apps/v1", "kind": "Deployment",
                             "metadata": { "name": "web", "annotations": { "owner": "ops" } } })),
            )
            .await;
        assert_eq!(status, 200, "{applied}");
        assert_eq!(applied["metadata"]["annotations"]["owner"], "ops");
        assert_eq!(
            applied["metadata"]["annotations"]["bibind.io/replicas"], "2",
            "ours kept"
        );
    } else {
        assert_eq!(
            (status, applied["reason"].as_str()),
            (415, Some("UnsupportedMediaType"))
        );
    }

    // Discovery.
    let (status, core) = harness.get("/api/v1").await;
    assert_eq!(status, 200);
    assert!(core["resources"]
        .as_array()
        .is_some_and(|resources| resources.iter().any(|resource| resource["name"] == "namespaces")));
    let (_, groups) = harness.get("/apis").await;
    assert_eq!(groups["kind"], "APIGroupList");
}

/// cert-manager's `Certificate`, reached as a controller does with kube's
/// dynamic API, and served as kube-apiserver serves a CRD's objects.
async fn cert_manager_certificates_are_served_as_custom_resources(harness: &Harness) {
    use kube::{
        api::{Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PostParams},
        core::GroupVersionKind,
        discovery::{self, Scope},
    };

    let client = harness.kube_client();
    let ns = harness.ns("certs");
    harness
        .client
        .ensure_namespace(&tenant(&ns))
        .await
        .expect("namespace");

    // Discovery names the resource, as kubectl and kube's discovery read it.
    let gvk = GroupVersionKind::gvk("cert-manager.io", "v1", "Certificate");
    let (resource, capabilities) = discovery::pinned_kind(&client, &gvk)
        .await
        .expect("cert-manager.io/v1 Certificate discovered");
    assert_eq!(resource.plural, "certificates");
    assert_eq!(capabilities.scope, Scope::Namespaced);
    let (_, listed) = harness.get("/apis/cert-manager.io/v1").await;
    let names: Vec<&str> = listed["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|resource| resource["name"].as_str())
        .collect();
    assert_eq!(names, ["certificates", "certificates/status"]);
    assert_eq!(listed["resources"][0]["shortNames"], json!(["cert", "certs"]));
    assert_eq!(listed["resources"][0]["categories"], json!(["cert-manager"]));

    let certificates: Api<DynamicObject> = Api::namespaced_with(client, &ns, &resource);
    let certificate = |name: &str, labels: Value| {
        serde_json::from_value::<DynamicObject>(json!({
            "apiVersion": "cert-manager.io/v1", "kind": "Certificate",
            "metadata": { "name": name, "labels": labels },
            "spec": { "secretName": format!("{name}-tls"), "dnsNames": ["shop.example.fr"],
                      "issuerRef": { "name": "letsencrypt", "kind": "ClusterIssuer" } },
        }))
        .expect("a DynamicObject")
    };
    let created = certificates
        .create(
            &PostParams::default(),
            &certificate("shop-example-fr", json!({ "bibind.io/tenant": "acme" })),
        )
        .await
        .expect("created");
    assert_eq!(created.metadata.generation, Some(1));
    assert_eq!(created.data["spec"]["secretName"], "shop-example-fr-tls");
    certificates
        .create(
            &PostParams::default(),
            &certificate("other-example-fr", json!({ "bibind.io/tenant": "other" })),
        )
        .await
        .expect("created");

    // A merge patch changes the spec: the generation follows; status stays out of reach.
    let patched = certificates
        .patch(
            "shop-example-fr",
            &PatchParams::default(),
            &Patch::Merge(json!({
                "spec": { "dnsNames": ["shop.example.fr", "www.shop.example.fr"] },
                "status": { "conditions": [{ "type": "Ready", "status": "True" }] },
            })),
        )
        .await
        .expect("merge-patched");
    assert_eq!(
        patched.data["spec"]["dnsNames"],
        json!(["shop.example.fr", "www.shop.example.fr"])
    );
    assert_eq!(patched.metadata.generation, Some(2));
    assert!(patched.data.get("status").is_none(), "{:?}", patched.data);
    // cert-manager reports through the status subresource.
    let ready = certificates
        .patch_status(
            "shop-example-fr",
            &PatchParams::default(),
            &Patch::Merge(json!({ "status": { "conditions": [{ "type": "Ready", "status": "True" }] } })),
        )
        .await
        .expect("status patched");
    assert_eq!(ready.data["status"]["conditions"][0]["type"], "Ready");
    assert_eq!(ready.metadata.generation, Some(2));

    let selected = certificates
        .list(&ListParams::default().labels("bibind.io/tenant=acme"))
        .await
        .expect("listed");
    let names: Vec<Option<&str>> = selected
        .items
        .iter()
        .map(|item| item.metadata.name.as_deref())
        .collect();
    assert_eq!(names, [Some("shop-example-fr")]);
    let (_, raw) = harness
        .get(&format!("/apis/cert-manager.io/v1/namespaces/{ns}/certificates"))
        .await;
    assert_eq!(
        (raw["kind"].as_str(), raw["items"][0]["kind"].as_str()),
        (Some("CertificateList"), Some("Certificate")),
        "a custom resource's list items keep their kind"
    );

    // No strategic merge patch on a custom resource: 415, as kube-apiserver.
    let refused = certificates
        .patch(
            "shop-example-fr",
            &PatchParams::default(),
            &Patch::Strategic(json!({ "spec": { "dnsNames": [] } })),
        )
        .await
        .expect_err("strategic merge patch refused");
    let kube::Error::Api(status) = refused else {
        panic!("an API error, not {refused:?}");
    };
    assert_eq!(
        (status.code, status.reason.as_str()),
        (415, "UnsupportedMediaType")
    );
    assert_eq!(
        status.message,
        "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
    );

    // The CRD's schema: spec.secretName and spec.issuerRef.name are required.
    let (status, invalid) = harness
        .request(
            reqwest::Method::POST,
            &format!("/apis/cert-manager.io/v1/namespaces/{ns}/certificates"),
            "application/json",
            Some(json!({ "apiVersion": "cert-manager.io/v1", "kind": "Certificate",
                         "metadata": { "name": "broken" }, "spec": { "issuerRef": {} } })),
        )
        .await;
    assert_eq!(status, 422, "{invalid}");
    assert_eq!(
        invalid["message"],
        "Certificate.cert-manager.io \"broken\" is invalid: [spec.issuerRef.name: Required value, spec.secretName: Required value]"
    );
    assert_eq!(invalid["details"]["causes"][0]["reason"], "FieldValueRequired");

    let deleted = certificates
        .delete("shop-example-fr", &DeleteParams::default())
        .await
        .expect("deleted");
    assert!(deleted.is_right(), "a Status, as for every custom resource");
    let gone = certificates.get_opt("shop-example-fr").await.expect("read");
    assert!(gone.is_none());

    // A fault on `certificate` operations.
    if harness.is_real() {
        return;
    }
    harness.fail(
        "list_certificate",
        Fault {
            status: Some(503),
            times: Some(1),
            ..Fault::default()
        },
    );
    let unavailable = certificates
        .list(&ListParams::default())
        .await
        .expect_err("injected");
    assert!(matches!(unavailable, kube::Error::Api(status) if status.code == 503));
}

on_both_targets!(
    a_tenant_namespace_comes_up_with_quota_isolation_and_workloads,
    a_workload_over_the_quota_is_refused_with_the_api_servers_reason,
    suspending_scales_every_workload_to_zero_and_resuming_restores_them,
    drift_made_behind_bibinds_back_is_observed_and_corrected,
    secrets_are_replaced_whole_and_rewritten_only_when_they_change,
    a_removed_namespace_terminates_refuses_new_content_then_is_gone,
    api_errors_are_classified_by_status,
    the_simulator_answers_like_the_api_server,
    a_one_off_job_runs_once_and_reports_its_end,
    a_namespace_or_object_that_is_not_ours_is_never_adopted_changed_or_deleted,
    kubectl_patches_and_scales_as_on_a_real_cluster,
    cert_manager_certificates_are_served_as_custom_resources,
);
