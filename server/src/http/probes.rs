//! `/healthz`: the process answers. `/readyz`: the database and every
//! configured backend answer, reported one by one as JSON (503 when any is down).

use std::time::Duration;

use axum::{extract::State, response::IntoResponse, Json};
use http::StatusCode;
use serde::Serialize;
use tokio::{io::AsyncReadExt, net::TcpStream, time::timeout};

use super::AppState;
use crate::config::Config;

const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// The backends `/readyz` checks besides the database.
pub(crate) struct Readiness {
    http: reqwest::Client,
    vault: Option<String>,
    kratos: Option<String>,
    hydra: Option<String>,
    mqtt: Option<String>,
    smtp: Option<String>,
}

impl Readiness {
    pub(crate) fn from_config(config: &Config) -> Self {
        Self {
            http: reqwest::Client::builder()
                .timeout(CHECK_TIMEOUT)
                .build()
                .unwrap_or_default(),
            vault: config
                .vault
                .as_ref()
                .map(|v| health_url(&v.addr, "v1/sys/health")),
            kratos: config
                .kratos
                .as_ref()
                .map(|k| health_url(&k.admin_url, "health/ready")),
            hydra: config
                .hydra
                .as_ref()
                .map(|h| health_url(&h.admin_url, "health/ready")),
            mqtt: config.mqtt.as_ref().map(|m| m.address.clone()),
            smtp: config.smtp.as_ref().map(|s| s.address.clone()),
        }
    }
}

fn health_url(base: &str, path: &str) -> String {
    format!("{}/{path}", base.trim_end_matches('/'))
}

#[derive(Serialize)]
struct Check {
    name: &'static str,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

impl Check {
    fn from_result(name: &'static str, result: Result<(), String>) -> Self {
        match result {
            Ok(()) => Check {
                name,
                status: "up",
                error: None,
            },
            Err(error) => Check {
                name,
                status: "down",
                error: Some(error),
            },
        }
    }
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
    let database = async {
        match timeout(CHECK_TIMEOUT, state.control.check_database()).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(error.to_string()),
            Err(_) => Err("timed out".to_owned()),
        }
    };
    let http = &readiness.http;
    let (database, vault, kratos, hydra, mqtt, smtp) = tokio::join!(
        database,
        optional(readiness.vault.as_deref(), |url| http_health(http, url)),
        optional(readiness.kratos.as_deref(), |url| http_health(http, url)),
        optional(readiness.hydra.as_deref(), |url| http_health(http, url)),
        optional(readiness.mqtt.as_deref(), tcp_connect),
        optional(readiness.smtp.as_deref(), smtp_greeting),
    );
    let mut checks = vec![Check::from_result("database", database)];
    let backends = [
        ("vault", vault),
        ("kratos", kratos),
        ("hydra", hydra),
        ("mqtt", mqtt),
        ("smtp", smtp),
    ];
    for (name, result) in backends {
        if let Some(result) = result {
            checks.push(Check::from_result(name, result));
        }
    }
    let ready = checks.iter().all(|c| c.status == "up");
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let report = ReadinessReport {
        status: if ready { "ready" } else { "not ready" },
        checks,
    };
    (status, Json(report))
}

async fn optional<'a, F, Fut>(target: Option<&'a str>, check: F) -> Option<Result<(), String>>
where
    F: FnOnce(&'a str) -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    match target {
        Some(target) => Some(check(target).await),
        None => None,
    }
}

/// A health endpoint that answers 2xx when ready: Vault's and OpenBao's (only
/// when initialised, unsealed and active), Kratos' and Hydra's `/health/ready`
/// (their database answers).
async fn http_health(http: &reqwest::Client, url: &str) -> Result<(), String> {
    let response = http
        .get(url)
        .send()
        .await
        .map_err(|e| format!("unreachable: {e}"))?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(format!("health answered {}", response.status()))
    }
}

async fn tcp_connect(address: &str) -> Result<(), String> {
    match timeout(CHECK_TIMEOUT, TcpStream::connect(address)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(error)) => Err(format!("unreachable: {error}")),
        Err(_) => Err("timed out".to_owned()),
    }
}

/// An SMTP server greets with `220` as soon as it accepts a connection.
async fn smtp_greeting(address: &str) -> Result<(), String> {
    let greet = async {
        let mut stream = TcpStream::connect(address)
            .await
            .map_err(|e| format!("unreachable: {e}"))?;
        let mut buffer = [0u8; 3];
        stream
            .read_exact(&mut buffer)
            .await
            .map_err(|e| format!("no greeting: {e}"))?;
        if &buffer == b"220" {
            Ok(())
        } else {
            Err(format!(
                "unexpected greeting {:?}",
                String::from_utf8_lossy(&buffer)
            ))
        }
    };
    timeout(CHECK_TIMEOUT, greet)
        .await
        .unwrap_or_else(|_| Err("timed out".to_owned()))
}
