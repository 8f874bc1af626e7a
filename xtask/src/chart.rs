//! The Helm chart (`deploy/helm/bibind/`): linted (strict), rendered with
//! each of its test value files and validated offline against Kubernetes
//! 1.37's schemas by kubeconform (strict), then installed on the test
//! cluster. helm and kubeconform are built from their Go modules and the
//! schemas come from PyPI's `kubernetes-validate`, all cached by version.
//!
//! The cluster runs no pods: the install's migration Job (a pre-install
//! hook helm waits for) is marked complete here, as the job controller
//! would record its pod's success; then the release's objects are read back.

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

use crate::{
    kubernetes::{Admin, Cluster},
    paths,
    process::{self, Supervised},
    tools,
};

const HELM: tools::GoTool = tools::GoTool {
    name: "helm",
    package: "helm.sh/helm/v4/cmd/helm",
    version: "v4.3.2",
};
const KUBECONFORM: tools::GoTool = tools::GoTool {
    name: "kubeconform",
    package: "github.com/yannh/kubeconform/cmd/kubeconform",
    version: "v0.8.0",
};
const SCHEMAS_VENV: tools::Venv = tools::Venv {
    purpose: "Kubernetes 1.37's JSON schemas, for kubeconform",
    packages: &["kubernetes-validate==1.37.0"],
    installed: "bin/kubernetes-validate",
};
const SCHEMAS_VERSION: &str = "v1.37.0-local-strict";

/// The chart's test value files; none = its defaults.
const VALUE_FILES: [Option<&str>; 3] = [
    None,
    Some("ci/full-values.yaml"),
    Some("ci/dependencies-values.yaml"),
];

fn chart_dir() -> PathBuf {
    paths::workspace_root().join("deploy/helm/bibind")
}

/// kubernetes-validate's schemas, rewritten for kubeconform offline
/// (`deploy/helm/convert-schemas.py`).
fn ensure_schemas() -> Result<PathBuf> {
    let out = paths::cache_dir()?
        .join("tools")
        .join(format!("k8s-schemas-{SCHEMAS_VERSION}"));
    if out.join("deployment-apps-v1.json").exists() {
        return Ok(out);
    }
    let venv = tools::ensure_venv(&SCHEMAS_VENV)?;
    let python = venv.join("bin").join("python");
    let shipped = process::output(Command::new(&python).args([
        "-c",
        "import kubernetes_validate, os; print(os.path.dirname(kubernetes_validate.__file__))",
    ]))?;
    let input = Path::new(shipped.trim())
        .join("kubernetes-json-schema")
        .join(SCHEMAS_VERSION);
    process::run(
        Command::new(&python)
            .arg(paths::workspace_root().join("deploy/helm/convert-schemas.py"))
            .arg(&input)
            .arg(&out),
    )?;
    Ok(out)
}

/// helm with its homes under `dir`, talking to the cluster of `kubeconfig`.
fn helm(binary: &Path, dir: &Path, kubeconfig: Option<&Path>) -> Command {
    let mut command = Command::new(binary);
    for (variable, home) in [
        ("HELM_CACHE_HOME", "cache"),
        ("HELM_CONFIG_HOME", "config"),
        ("HELM_DATA_HOME", "data"),
    ] {
        command.env(variable, dir.join(home));
    }
    if let Some(kubeconfig) = kubeconfig {
        command.env("KUBECONFIG", kubeconfig);
    }
    command
}

/// `helm lint --strict` and `helm template | kubeconform -strict` with each
/// value file; what was validated.
pub fn check_offline(work: &Path) -> Result<String> {
    let helm_binary = HELM.ensure_built()?;
    let kubeconform = KUBECONFORM.ensure_built()?;
    let schemas = ensure_schemas()?;
    let chart = chart_dir();
    let mut report = Vec::new();
    for values in VALUE_FILES {
        let with_values = |command: &mut Command| {
            if let Some(values) = values {
                command.arg("--values").arg(chart.join(values));
            }
        };
        let mut lint = helm(&helm_binary, work, None);
        lint.args(["lint", "--strict"]).arg(&chart);
        with_values(&mut lint);
        process::output(&mut lint).context("helm lint --strict failed")?;
        let rendered = work.join("rendered.yaml");
        let mut template = helm(&helm_binary, work, None);
        template.args(["template", "bibind"]).arg(&chart);
        with_values(&mut template);
        std::fs::write(&rendered, process::output(&mut template)?)?;
        let summary = process::output(
            Command::new(&kubeconform)
                .args(["-strict", "-summary", "-schema-location"])
                .arg(format!(
                    "{}/{{{{.ResourceKind}}}}{{{{.KindSuffix}}}}.json",
                    schemas.display()
                ))
                .arg(&rendered),
        )
        .with_context(|| format!("kubeconform refused the chart rendered with {values:?}"))?;
        report.push(format!(
            "{}: lint clean; {}",
            values.unwrap_or("defaults"),
            summary.trim()
        ));
    }
    Ok(report.join("\n"))
}

/// `helm install` of the chart (every feature on) on the test cluster,
/// its migration Job completed by a stand-in for the kubelet; what the
/// release made.
pub fn install(cluster: &Cluster, work: &Path, log: &Path) -> Result<String> {
    let helm_binary = HELM.ensure_built()?;
    let chart = chart_dir();
    let release = format!("bibind-{}", &crate::ory::random_alphanumeric(6)?.to_lowercase());
    let namespace = release.clone();
    let mut install = helm(&helm_binary, work, Some(&cluster.kubeconfig));
    install
        .args(["install", &release])
        .arg(&chart)
        .args(["--namespace", &namespace, "--create-namespace", "--timeout", "2m"])
        .arg("--values")
        .arg(chart.join("ci/full-values.yaml"))
        // One release per run: the ClusterRole and its binding carry its name.
        .args(["--set", &format!("fullnameOverride={release}")]);
    let mut helm_process = Supervised::spawn("helm install", &mut install, log)?;
    let admin = cluster.admin();
    let job = stand_in_for_the_kubelet(&admin, &namespace, &mut helm_process)?;
    let deadline = Instant::now() + Duration::from_secs(120);
    while !helm_process.exited_successfully()? {
        if Instant::now() > deadline {
            bail!("helm install did not finish; see {}", log.display());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let made = release_objects(&admin, &namespace, &release)?;
    process::output(helm(&helm_binary, work, Some(&cluster.kubeconfig)).args([
        "uninstall",
        &release,
        "--namespace",
        &namespace,
    ]))?;
    Ok(format!(
        "release {release}: migration Job {job} ran first (completed by the stand-in: no kubelet runs pods here); then {}",
        made.join(", ")
    ))
}

/// Waits for the release's migration Job and records its pod's success;
/// the Job's name.
fn stand_in_for_the_kubelet(
    admin: &Admin<'_>,
    namespace: &str,
    helm_process: &mut Supervised,
) -> Result<String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let jobs = format!("/apis/batch/v1/namespaces/{namespace}/jobs");
    loop {
        let found = admin.get(&jobs)?.unwrap_or(Value::Null);
        if let Some(job) = found["items"].as_array().and_then(|items| items.first()) {
            let name = job["metadata"]["name"].as_str().unwrap_or_default().to_owned();
            let started = job["metadata"]["creationTimestamp"].clone();
            let done = json!({ "status": {
                "startTime": started, "completionTime": started, "succeeded": 1, "active": 0,
                "conditions": [
                    { "type": "SuccessCriteriaMet", "status": "True", "reason": "CompletionsReached" },
                    { "type": "Complete", "status": "True", "reason": "CompletionsReached" },
                ] } });
            admin.merge_patch(&format!("{jobs}/{name}/status"), &done)?;
            return Ok(name);
        }
        helm_process.check_running()?;
        if Instant::now() > deadline {
            bail!("helm install made no migration Job in namespace {namespace}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Each object the release should have, read back from the API server.
fn release_objects(admin: &Admin<'_>, namespace: &str, release: &str) -> Result<Vec<String>> {
    let deployment = admin
        .get(&format!(
            "/apis/apps/v1/namespaces/{namespace}/deployments/{release}"
        ))?
        .context("the release has no Deployment")?;
    let replicas = deployment["spec"]["replicas"].as_i64().unwrap_or_default();
    if replicas != 3 {
        bail!("the Deployment asks for {replicas} replicas, not the values' 3");
    }
    let mut made = vec![format!("Deployment ({replicas} replicas)")];
    // Cluster-wide names carry the release's namespace too.
    let role = format!("{release}-{namespace}-provisioning");
    for (kind, path) in [
        (
            "Service",
            format!("/api/v1/namespaces/{namespace}/services/{release}"),
        ),
        (
            "ConfigMap",
            format!("/api/v1/namespaces/{namespace}/configmaps/{release}"),
        ),
        (
            "ServiceAccount",
            format!("/api/v1/namespaces/{namespace}/serviceaccounts/bibind-portal"),
        ),
        (
            "PodDisruptionBudget",
            format!("/apis/policy/v1/namespaces/{namespace}/poddisruptionbudgets/{release}"),
        ),
        (
            "NetworkPolicy",
            format!("/apis/networking.k8s.io/v1/namespaces/{namespace}/networkpolicies/{release}"),
        ),
        (
            "Ingress",
            format!("/apis/networking.k8s.io/v1/namespaces/{namespace}/ingresses/{release}"),
        ),
        (
            "CronJob (the database backup)",
            format!("/apis/batch/v1/namespaces/{namespace}/cronjobs/{release}-database-backup"),
        ),
        (
            "ClusterRole",
            format!("/apis/rbac.authorization.k8s.io/v1/clusterroles/{role}"),
        ),
        (
            "ClusterRoleBinding",
            format!("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/{role}"),
        ),
    ] {
        admin
            .get(&path)?
            .with_context(|| format!("the release has no {kind} at {path}"))?;
        made.push(kind.to_owned());
    }
    // The chart's rules are the product's own file's.
    let role = admin
        .get(&format!("/apis/rbac.authorization.k8s.io/v1/clusterroles/{role}"))?
        .unwrap_or(Value::Null);
    let reference = admin
        .get("/apis/rbac.authorization.k8s.io/v1/clusterroles/bibind-provisioning")?
        .unwrap_or(Value::Null);
    if role["rules"] != reference["rules"] || role["rules"].is_null() {
        bail!("the chart's ClusterRole rules differ from deploy/kubernetes/clusterrole.yaml's");
    }
    Ok(made)
}
