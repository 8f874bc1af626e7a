//! A real Kubernetes control plane for the tests: kube-apiserver and
//! kube-controller-manager built from their Go module (pinned in
//! `xtask/go/kubernetes/`, cached by version like Kratos and Hydra), on
//! Debian's etcd. No scheduler and no kubelet: Pods stay Pending, which is
//! all the portal needs (it writes objects; the controllers count quotas,
//! empty deleted namespaces — claims' protection finalizers included — and
//! create the ReplicaSets, Pods and claims the quota admission judges).
//!
//! Two static tokens: an admin's (`system:masters`, for the tests' own set-up)
//! and the portal's, whose user is the service account the Helm chart makes
//! (`system:serviceaccount:bibind:bibind-portal`): it has only what the
//! ClusterRole of `deploy/kubernetes/clusterrole.yaml` grants, bound here
//! as the chart binds it. cert-manager's Certificate definition is
//! installed too (the portal writes Certificates for owners' domains).

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};

use anyhow::{bail, Context, Result};

use crate::{
    ory, paths,
    process::{self, Supervised},
    tools,
};

pub const VERSION: &str = "v1.37.2";
/// The portal's service account, as the Helm chart names it.
pub const PORTAL_USER: &str = "system:serviceaccount:bibind:bibind-portal";

/// kube-apiserver and kube-controller-manager, built on first use.
pub struct Binaries {
    pub api_server: PathBuf,
    pub controller_manager: PathBuf,
}

pub fn ensure_built() -> Result<Binaries> {
    let module = paths::workspace_root().join("xtask/go/kubernetes");
    let go_mod = std::fs::read_to_string(module.join("go.mod"))
        .with_context(|| format!("cannot read {}/go.mod", module.display()))?;
    if !go_mod.contains(&format!("k8s.io/kubernetes {VERSION}")) {
        bail!(
            "{}/go.mod does not pin k8s.io/kubernetes {VERSION}",
            module.display()
        );
    }
    let dir = paths::cache_dir()?
        .join("tools")
        .join(format!("kubernetes-{VERSION}-{}", tools::short_hash(&go_mod)));
    let binaries = Binaries {
        api_server: dir.join("kube-apiserver"),
        controller_manager: dir.join("kube-controller-manager"),
    };
    if binaries.api_server.exists() && binaries.controller_manager.exists() {
        return Ok(binaries);
    }
    tools::ensure_go()?;
    println!(
        "xtask: building kube-apiserver and kube-controller-manager {VERSION} from their Go module \
         (once, about 10 minutes on 2 cores; cached in {})",
        dir.display()
    );
    let build = dir.join("module");
    std::fs::create_dir_all(&build)?;
    for file in ["go.mod", "go.sum"] {
        std::fs::copy(module.join(file), build.join(file))?;
    }
    // Without the version stamped, clients that parse it (kubectl, helm)
    // refuse the server's `v0.0.0-master`.
    let minor = VERSION.split('.').nth(1).unwrap_or_default();
    let ldflags = format!(
        "-s -w -X k8s.io/component-base/version.gitVersion={VERSION} \
         -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor={minor}"
    );
    process::run(
        Command::new("go")
            .current_dir(&build)
            .args(["build", "-mod=mod", "-trimpath"])
            .arg(format!("-ldflags={ldflags}"))
            .arg("-o")
            .arg(format!("{}/", dir.display()))
            .args([
                "k8s.io/kubernetes/cmd/kube-apiserver",
                "k8s.io/kubernetes/cmd/kube-controller-manager",
            ]),
    )
    .with_context(|| format!("could not build Kubernetes {VERSION}"))?;
    Ok(binaries)
}

/// Debian's etcd, unpacked (not installed: no system service is started).
fn ensure_etcd() -> Result<PathBuf> {
    let dir = paths::cache_dir()?.join("tools").join("etcd-server");
    let binary = dir.join("usr/bin/etcd");
    if binary.exists() {
        return Ok(binary);
    }
    let download = dir.join("download");
    std::fs::create_dir_all(&download)?;
    let fetch = || {
        process::run(
            Command::new("apt-get")
                .current_dir(&download)
                .args(["download", "etcd-server"]),
        )
    };
    if fetch().is_err() {
        // A fresh machine may have no package lists yet.
        tools::ensure_apt_lists()?;
        fetch().context("apt-get download etcd-server failed")?;
    }
    let package = std::fs::read_dir(&download)?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .find(|path| path.extension().is_some_and(|extension| extension == "deb"))
        .context("apt-get download etcd-server left no .deb")?;
    process::run(Command::new("dpkg").arg("-x").arg(&package).arg(&dir))?;
    if !binary.exists() {
        bail!("the etcd-server package has no usr/bin/etcd");
    }
    Ok(binary)
}

/// A running etcd + API server + controller manager.
pub struct Cluster {
    pub api_url: String,
    /// The API server's self-signed serving certificate: the CA to trust.
    pub ca_file: PathBuf,
    pub admin_token: String,
    /// The portal's token, in a file as a pod's service account has it.
    pub portal_token_file: PathBuf,
    /// An admin's kubeconfig (what helm and kubectl read).
    pub kubeconfig: PathBuf,
}

impl Cluster {
    /// Starts the three processes (pushed on `supervised`, stopped with the
    /// stack) with data under `data_dir`; ready when `/readyz` says so.
    pub fn start(data_dir: &Path, log_dir: &Path, supervised: &mut Vec<Supervised>) -> Result<Self> {
        let binaries = ensure_built()?;
        let etcd = ensure_etcd()?;
        tools::ensure_apt(&[&tools::OPENSSL])?;
        let dir = data_dir.join("kubernetes");
        // etcd's data is per run: the tests expect an empty cluster.
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("certificates"))?;

        let [etcd_client, etcd_peer, api_port] = [(); 3].map(|()| process::free_port());
        let (etcd_client, etcd_peer, api_port) = (etcd_client?, etcd_peer?, api_port?);
        let etcd_url = format!("http://127.0.0.1:{etcd_client}");
        let mut etcd_process = Supervised::spawn(
            "etcd",
            Command::new(&etcd)
                .arg("--data-dir")
                .arg(dir.join("etcd"))
                .args([
                    "--listen-client-urls",
                    &etcd_url,
                    "--advertise-client-urls",
                    &etcd_url,
                ])
                .args(["--listen-peer-urls", &format!("http://127.0.0.1:{etcd_peer}")])
                .args([
                    "--initial-advertise-peer-urls",
                    &format!("http://127.0.0.1:{etcd_peer}"),
                ])
                .args([
                    "--initial-cluster",
                    &format!("default=http://127.0.0.1:{etcd_peer}"),
                ])
                // Debian's etcd 3.4 warns on amd64 only, refuses elsewhere without this.
                .env("ETCD_UNSUPPORTED_ARCH", std::env::consts::ARCH),
            &log_dir.join("etcd.log"),
        )?;
        process::wait_for_port(
            "etcd",
            etcd_client,
            Duration::from_secs(30),
            Some(&mut etcd_process),
        )?;
        supervised.push(etcd_process);

        let admin_token = ory::random_alphanumeric(32)?;
        let portal_token = ory::random_alphanumeric(32)?;
        let tokens = dir.join("tokens.csv");
        std::fs::write(
            &tokens,
            format!(
                "{admin_token},bibind-test-admin,admin,\"system:masters\"\n\
                 {portal_token},{PORTAL_USER},portal,\"system:serviceaccounts,system:serviceaccounts:bibind\"\n"
            ),
        )?;
        let service_account_key = dir.join("service-accounts.key");
        process::run(
            Command::new("openssl")
                .args(["genrsa", "-out"])
                .arg(&service_account_key)
                .arg("2048")
                .stderr(std::process::Stdio::null()),
        )?;
        let certificates = dir.join("certificates");
        let api_url = format!("https://127.0.0.1:{api_port}");
        let mut api_server = Supervised::spawn(
            "kube-apiserver",
            Command::new(&binaries.api_server)
                .args(["--etcd-servers", &etcd_url, "--bind-address", "127.0.0.1"])
                .args([
                    "--secure-port",
                    &api_port.to_string(),
                    "--advertise-address",
                    "127.0.0.1",
                ])
                .arg(format!("--cert-dir={}", certificates.display()))
                .arg(format!("--token-auth-file={}", tokens.display()))
                .args(["--authorization-mode", "Node,RBAC"])
                .args(["--service-account-issuer", "https://kubernetes.default.svc"])
                .arg(format!(
                    "--service-account-key-file={}",
                    service_account_key.display()
                ))
                .arg(format!(
                    "--service-account-signing-key-file={}",
                    service_account_key.display()
                ))
                .args(["--service-cluster-ip-range", "10.96.0.0/16"])
                // The only reconciler that works with a loopback address.
                .args(["--endpoint-reconciler-type", "none"]),
            &log_dir.join("kube-apiserver.log"),
        )?;
        let ca_file = certificates.join("apiserver.crt");
        wait_until_ready(&api_url, &ca_file, &admin_token, &mut api_server)?;
        supervised.push(api_server);
        let admin = Admin {
            api_url: &api_url,
            ca_file: &ca_file,
            token: &admin_token,
        };
        admin.install_what_bibind_expects(&dir)?;
        let kubeconfig = dir.join("admin.kubeconfig");
        std::fs::write(&kubeconfig, kubeconfig_text(&api_url, &ca_file, &admin_token))?;
        let portal_token_file = dir.join("portal.token");
        std::fs::write(&portal_token_file, &portal_token)?;

        let controller_manager = Supervised::spawn(
            "kube-controller-manager",
            Command::new(&binaries.controller_manager)
                .arg(format!("--kubeconfig={}", kubeconfig.display()))
                .args(["--leader-elect=false", "--secure-port=0"])
                .arg(format!("--root-ca-file={}", ca_file.display()))
                .arg(format!(
                    "--service-account-private-key-file={}",
                    service_account_key.display()
                ))
                .args([
                    "--controllers",
                    "namespace-controller,resourcequota-controller,garbage-collector-controller,\
                     deployment-controller,replicaset-controller,statefulset-controller,job-controller,\
                     serviceaccount-controller,root-ca-certificate-publisher-controller,\
                     persistentvolumeclaim-protection-controller",
                ]),
            &log_dir.join("kube-controller-manager.log"),
        )?;
        supervised.push(controller_manager);
        Ok(Cluster {
            api_url,
            ca_file,
            admin_token,
            portal_token_file,
            kubeconfig,
        })
    }
}

fn kubeconfig_text(api_url: &str, ca_file: &Path, token: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: local\n  cluster:\n    server: {api_url}\n    \
         certificate-authority: {}\nusers:\n- name: admin\n  user:\n    token: {token}\ncontexts:\n\
         - name: local\n  context:\n    cluster: local\n    user: admin\ncurrent-context: local\n",
        ca_file.display()
    )
}

/// Polls `/readyz` with curl until it answers 200.
fn wait_until_ready(api_url: &str, ca_file: &Path, token: &str, server: &mut Supervised) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let ca = ca_file.display().to_string();
    let authorization = format!("Authorization: Bearer {token}");
    let url = format!("{api_url}/readyz");
    loop {
        server.check_running()?;
        if ca_file.exists()
            && process::http_status(&["--cacert", &ca, "-H", &authorization, &url])
                .is_ok_and(|code| code == "200")
        {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("kube-apiserver was not ready at {url} within a minute; see its log");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

impl Cluster {
    /// The cluster of a running `cargo xtask services` (its `TEST_KUBE_*`).
    pub fn from_env() -> Result<Self> {
        let var = |name: &str| {
            std::env::var(name)
                .with_context(|| format!("{name} is not set: source .data/test-services.env first"))
        };
        Ok(Cluster {
            api_url: var("TEST_KUBE_API_URL")?,
            ca_file: var("TEST_KUBE_CA_FILE")?.into(),
            admin_token: var("TEST_KUBE_ADMIN_TOKEN")?,
            portal_token_file: var("TEST_KUBE_PORTAL_TOKEN_FILE")?.into(),
            kubeconfig: var("TEST_KUBE_KUBECONFIG")?.into(),
        })
    }

    /// The cluster admin's requests.
    pub fn admin(&self) -> Admin<'_> {
        Admin {
            api_url: &self.api_url,
            ca_file: &self.ca_file,
            token: &self.admin_token,
        }
    }
}

/// The cluster admin's requests (curl, as for readiness).
pub struct Admin<'a> {
    api_url: &'a str,
    ca_file: &'a Path,
    token: &'a str,
}

impl Admin<'_> {
    /// A GET's JSON answer (`None` when the server answers 404).
    pub fn get(&self, path: &str) -> Result<Option<serde_json::Value>> {
        let (status, body) = self.call("GET", path, None)?;
        match status.as_str() {
            "200" => Ok(Some(
                serde_json::from_str(&body).with_context(|| format!("{path}: not JSON"))?,
            )),
            "404" => Ok(None),
            _ => bail!("GET {path} answered {status}: {body}"),
        }
    }

    /// A merge patch, e.g. of a status subresource.
    pub fn merge_patch(&self, path: &str, patch: &serde_json::Value) -> Result<()> {
        let (status, body) = self.call(
            "PATCH",
            path,
            Some(("application/merge-patch+json", &patch.to_string())),
        )?;
        if status != "200" {
            bail!("PATCH {path} answered {status}: {body}");
        }
        Ok(())
    }

    /// Status code and body of one request.
    fn call(&self, method: &str, path: &str, body: Option<(&str, &str)>) -> Result<(String, String)> {
        let ca = self.ca_file.display().to_string();
        let authorization = format!("Authorization: Bearer {}", self.token);
        let url = format!("{}{path}", self.api_url);
        let mut command = Command::new("curl");
        command
            .args([
                "-s",
                "-w",
                "\n%{http_code}",
                "-X",
                method,
                "--cacert",
                &ca,
                "-H",
                &authorization,
            ])
            .arg(&url);
        if let Some((content_type, data)) = body {
            command.args([
                "-H",
                &format!("Content-Type: {content_type}"),
                "--data-binary",
                data,
            ]);
        }
        let out = process::output(&mut command)?;
        let (body, status) = out.trim_end().rsplit_once('\n').unwrap_or(("", out.trim()));
        Ok((status.to_owned(), body.to_owned()))
    }

    /// What a cluster running Bibind has: the provisioning ClusterRole of
    /// `deploy/kubernetes/` bound to the portal's service account (as the
    /// Helm chart binds it), and cert-manager's Certificate definition.
    fn install_what_bibind_expects(&self, dir: &Path) -> Result<()> {
        let root = paths::workspace_root();
        self.apply(
            "/apis/rbac.authorization.k8s.io/v1/clusterroles/bibind-provisioning",
            &root.join("deploy/kubernetes/clusterrole.yaml"),
        )?;
        let binding = dir.join("clusterrolebinding.yaml");
        let (namespace, account) = PORTAL_USER
            .strip_prefix("system:serviceaccount:")
            .and_then(|rest| rest.split_once(':'))
            .context("PORTAL_USER names a service account")?;
        std::fs::write(
            &binding,
            format!(
                "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\n\
                 metadata:\n  name: bibind-provisioning\n\
                 roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: bibind-provisioning\n\
                 subjects:\n- kind: ServiceAccount\n  name: {account}\n  namespace: {namespace}\n"
            ),
        )?;
        self.apply(
            "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/bibind-provisioning",
            &binding,
        )?;
        let definition =
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/certificates.cert-manager.io";
        self.apply(
            definition,
            &root.join("sim/tests/support/cert-manager-certificate-crd.yaml"),
        )?;
        // Served once established.
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.call("GET", "/apis/cert-manager.io/v1/certificates", None)?.0 != "200" {
            if Instant::now() > deadline {
                bail!("cert-manager's Certificate definition was not established within 30 s");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        Ok(())
    }

    /// Server-side apply of a manifest file, as `kubectl apply --server-side`.
    fn apply(&self, path: &str, manifest: &Path) -> Result<()> {
        let url = format!("{path}?fieldManager=bibind-xtask&force=true");
        let text = std::fs::read_to_string(manifest)
            .with_context(|| format!("cannot read {}", manifest.display()))?;
        let (status, body) = self.call("PATCH", &url, Some(("application/apply-patch+yaml", &text)))?;
        if status != "200" && status != "201" {
            bail!(
                "applying {} to the API server answered {status}: {body}",
                manifest.display()
            );
        }
        Ok(())
    }
}
