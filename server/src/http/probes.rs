//! `/healthz`: the process answers. `/readyz` (operations listener only):
//! the database and every configured backend answer, reported one by one as
//! JSON (503 when any is down) by name and a short reason, never a URL or a
//! backend's own error text (those go to the log). The answer is kept for a
//! second and concurrent callers share one round of checks, so the probe
//! cannot be used to hammer the backends.
//!
//! Odoo is not checked here: each tenant has its own server (its URL is a
//! per-namespace template), which the reconciler watches instead.

use std::{
    future::Future,
    time::{Duration, Instant},
};

use axum::{extract::State, response::IntoResponse, Json};
use http::StatusCode;
use serde::Serialize;
use tokio::{io::AsyncReadExt, net::TcpStream, sync::Mutex, time::timeout};

use super::AppState;
use crate::config::Config;

const CHECK_TIMEOUT: Duration = Duration::from_secs(2);
/// How long one round of checks answers every caller.
const CACHED_FOR: Duration = Duration::from_secs(1);

/// How a backend is checked.
#[derive(Clone, Copy)]
enum Probe {
    /// A health endpoint that answers 2xx when ready.
    Healthy,
    /// An API that needs credentials: any answer but a 5xx means it serves.
    Answers,
    /// A TCP connection is accepted.
    Connects,
    /// An SMTP server greets with 220.
    SmtpGreeting,
}

struct Backend {
    name: &'static str,
    probe: Probe,
    /// A URL or `host:port`; never shown.
    target: String,
}

/// The backends `/readyz` checks besides the database, and its last answer.
pub(crate) struct Readiness {
    http: reqwest::Client,
    backends: Vec<Backend>,
    last: Mutex<Option<(Instant, StatusCode, serde_json::Value)>>,
}

impl Readiness {
    pub(crate) fn from_config(config: &Config) -> Self {
        let mut backends = Vec::new();
        let mut add = |name, probe, target: Option<String>| {
            if let Some(target) = target {
                backends.push(Backend { name, probe, target });
            }
        };
        add(
            "vault",
            Probe::Healthy,
            config
                .vault
                .as_ref()
                .map(|v| health_url(&v.addr, "v1/sys/health")),
        );
        add(
            "kratos",
            Probe::Healthy,
            config
                .kratos
                .as_ref()
                .map(|k| health_url(&k.admin_url, "health/ready")),
        );
        add(
            "hydra",
            Probe::Healthy,
            config
                .hydra
                .as_ref()
                .map(|h| health_url(&h.admin_url, "health/ready")),
        );
        add(
            "mqtt",
            Probe::Connects,
            config.mqtt.as_ref().map(|m| address(&m.address)),
        );
        add(
            "smtp",
            Probe::SmtpGreeting,
            config.smtp.as_ref().map(|s| s.address.clone()),
        );
        if let Some(provisioning) = &config.provisioning {
            add(
                "kubernetes",
                Probe::Answers,
                Some(health_url(&provisioning.kubernetes.api_url, "readyz")),
            );
            add(
                "awx",
                Probe::Answers,
                Some(health_url(&provisioning.awx.url, "api/v2/ping/")),
            );
            add(
                "gitlab",
                Probe::Answers,
                Some(health_url(&provisioning.gitlab.url, "api/v4/version")),
            );
            add(
                "openstack",
                Probe::Answers,
                Some(provisioning.openstack.keystone_url.clone()),
            );
            // The backups' two storages: answering at all is what is checked
            // (an anonymous request is refused, as S3 does).
            if let Some(backups) = &provisioning.backups {
                add(
                    "storage-primary",
                    Probe::Answers,
                    Some(backups.primary.url.clone()),
                );
                add(
                    "storage-offsite",
                    Probe::Answers,
                    Some(backups.offsite.url.clone()),
                );
            }
        }
        let mut http = reqwest::Client::builder().timeout(CHECK_TIMEOUT);
        // The API server's certificate is signed by the cluster's own CA.
        let cluster_ca = config
            .provisioning
            .as_ref()
            .and_then(|provisioning| provisioning.kubernetes.ca_file.as_ref())
            .and_then(|file| std::fs::read(file).ok())
            .and_then(|pem| reqwest::Certificate::from_pem_bundle(&pem).ok());
        for certificate in cluster_ca.into_iter().flatten() {
            http = http.add_root_certificate(certificate);
        }
        Self {
            http: http.build().unwrap_or_default(),
            backends,
            last: Mutex::new(None),
        }
    }
}

fn health_url(base: &str, path: &str) -> String {
    format!("{}/{path}", base.trim_end_matches('/'))
}

/// `mqtt://host:port` or `mqtts://host:port` → `host:port`.
fn address(url: &str) -> String {
    url.split_once("://").map_or(url, |(_, rest)| rest).to_owned()
}

/// Why a check failed, in words that reveal nothing about the backend.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum Problem {
    Unreachable,
    TimedOut,
    Unhealthy,
}

#[derive(Serialize)]
struct Check {
    name: &'static str,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<Problem>,
}

#[derive(Serialize)]
struct ReadinessReport {
    status: &'static str,
    checks: Vec<Check>,
}

pub(super) async fn healthz() -> impl IntoResponse {
    (StatusCode::OK, Json(serde_json::json!({ "status": "alive" })))
}

pub(super) async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let readiness = &state.readiness;
    // Held while checking: callers meanwhile wait for this round's answer.
    let mut last = readiness.last.lock().await;
    if let Some((at, status, report)) = last.as_ref() {
        if at.elapsed() < CACHED_FOR {
            return (*status, Json(report.clone()));
        }
    }
    let (status, report) = check_everything(&state).await;
    *last = Some((Instant::now(), status, report.clone()));
    (status, Json(report))
}

async fn check_everything(state: &AppState) -> (StatusCode, serde_json::Value) {
    let readiness = &state.readiness;
    let database = async {
        match timeout(CHECK_TIMEOUT, state.control.check_database()).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => {
                tracing::warn!(%error, "readiness: the database does not answer");
                Err(Problem::Unreachable)
            }
            Err(_) => Err(Problem::TimedOut),
        }
    };
    let backends = async {
        let mut running = tokio::task::JoinSet::new();
        for (index, backend) in readiness.backends.iter().enumerate() {
            let (http, name, probe, target) = (
                readiness.http.clone(),
                backend.name,
                backend.probe,
                backend.target.clone(),
            );
            running.spawn(async move { (index, check(&http, name, probe, &target).await) });
        }
        let mut results = vec![Err(Problem::Unreachable); readiness.backends.len()];
        while let Some(Ok((index, result))) = running.join_next().await {
            if let Some(slot) = results.get_mut(index) {
                *slot = result;
            }
        }
        results
    };
    let (database, backends) = tokio::join!(database, backends);
    let mut checks = vec![Check::from_result("database", database)];
    for (backend, result) in readiness.backends.iter().zip(backends) {
        checks.push(Check::from_result(backend.name, result));
    }
    let ready = checks.iter().all(|c| c.error.is_none());
    let report = ReadinessReport {
        status: if ready { "ready" } else { "not ready" },
        checks,
    };
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        serde_json::to_value(report).unwrap_or(serde_json::Value::Null),
    )
}

impl Check {
    fn from_result(name: &'static str, result: Result<(), Problem>) -> Self {
        Check {
            name,
            status: if result.is_ok() { "up" } else { "down" },
            error: result.err(),
        }
    }
}

/// One backend's check; the cause of a failure is logged, not answered.
async fn check(
    http: &reqwest::Client,
    name: &'static str,
    probe: Probe,
    target: &str,
) -> Result<(), Problem> {
    let outcome = match probe {
        Probe::Healthy => bounded(http_status(http, target, |s| s.is_success())).await,
        Probe::Answers => bounded(http_status(http, target, |s| !s.is_server_error())).await,
        Probe::Connects => {
            bounded(async {
                TcpStream::connect(target)
                    .await
                    .map(|_| ())
                    .map_err(|e| (Problem::Unreachable, e.to_string()))
            })
            .await
        }
        Probe::SmtpGreeting => bounded(smtp_greeting(target)).await,
    };
    outcome.map_err(|(problem, detail)| {
        tracing::warn!(backend = name, ?problem, %detail, "readiness: a backend is down");
        problem
    })
}

async fn bounded(
    check: impl Future<Output = Result<(), (Problem, String)>>,
) -> Result<(), (Problem, String)> {
    timeout(CHECK_TIMEOUT, check)
        .await
        .unwrap_or_else(|_| Err((Problem::TimedOut, "no answer in time".to_owned())))
}

async fn http_status(
    http: &reqwest::Client,
    url: &str,
    serves: impl Fn(StatusCode) -> bool,
) -> Result<(), (Problem, String)> {
    let response = http.get(url).send().await.map_err(|e| {
        let problem = if e.is_timeout() {
            Problem::TimedOut
        } else {
            Problem::Unreachable
        };
        (problem, e.to_string())
    })?;
    let status = response.status();
    if serves(status) {
        Ok(())
    } else {
        Err((Problem::Unhealthy, format!("answered {status}")))
    }
}

/// An SMTP server greets with `220` as soon as it accepts a connection.
async fn smtp_greeting(address: &str) -> Result<(), (Problem, String)> {
    let mut stream = TcpStream::connect(address)
        .await
        .map_err(|e| (Problem::Unreachable, e.to_string()))?;
    let mut buffer = [0u8; 3];
    stream
        .read_exact(&mut buffer)
        .await
        .map_err(|e| (Problem::Unhealthy, format!("no greeting: {e}")))?;
    if &buffer == b"220" {
        Ok(())
    } else {
        Err((
            Problem::Unhealthy,
            format!("unexpected greeting {:?}", String::from_utf8_lossy(&buffer)),
        ))
    }
}
