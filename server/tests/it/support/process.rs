//! The real `bibind` binary in a process of its own, configured through its
//! environment as in production: for tests where a portal must die (SIGKILL)
//! or where several portals must share nothing but the database and the
//! backends.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use super::{backends::SimulatedBackends, database_url, env};

/// How long a started portal has to answer `/healthz`.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// `bibind-server serve` on a free port of 127.0.0.1, its output appended to a log
/// file; killed with SIGKILL when dropped.
pub struct PortalProcess {
    child: Child,
    log: PathBuf,
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
}

impl PortalProcess {
    /// Starts the binary with `environment` (the listening address and the
    /// public URL are added); returns at once, see [`Self::wait_until_serving`].
    pub fn spawn(environment: &[(String, String)], log: &Path) -> Self {
        let port = free_port();
        let base_url = format!("http://127.0.0.1:{port}");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_bibind-server"));
        // Only this test's configuration reaches the process.
        for (key, _) in std::env::vars() {
            if key.starts_with("BIBIND_") {
                command.env_remove(key);
            }
        }
        let child = command
            .arg("serve")
            .envs(environment.iter().cloned())
            .env("BIBIND_SERVER__LISTEN", format!("127.0.0.1:{port}"))
            // Several portals run side by side: each its own operations port.
            .env("BIBIND_SERVER__OPERATIONS_LISTEN", "127.0.0.1:0")
            .env("BIBIND_SERVER__PUBLIC_URL", &base_url)
            .stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .spawn()
            .expect("the bibind binary starts");
        Self {
            child,
            log: log.to_owned(),
            base_url,
        }
    }

    /// Waits until the portal answers `/healthz`; panics with its log if it
    /// exits or does not answer in time.
    pub async fn wait_until_serving(&mut self) {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .unwrap();
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("the portal exited ({status}):\n{}", tail(&self.log));
            }
            let answered = client.get(self.url("/healthz")).send().await;
            if answered.is_ok_and(|response| response.status().is_success()) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the portal did not answer in {START_TIMEOUT:?}:\n{}",
                tail(&self.log)
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The last lines of the log this process writes to.
    pub fn tail(&self) -> String {
        tail(&self.log)
    }

    /// SIGKILL; panics if the process had already exited by itself.
    pub fn kill(mut self) {
        if let Some(status) = self.child.try_wait().unwrap() {
            panic!("the portal exited by itself ({status}):\n{}", tail(&self.log));
        }
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for PortalProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nobody listens on now (the portal binds it right after).
fn free_port() -> u16 {
    let socket = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    socket.local_addr().unwrap().port()
}

/// The last 40 lines of a log file, after its path.
pub fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(40);
    format!("({}) …\n{}", log.display(), lines[start..].join("\n"))
}

/// A portal on `database` with the real services of the test stack (Vault,
/// Mosquitto, Hydra, Kratos), as the `BIBIND_…` variables of its
/// configuration. No engine: see [`provisioning_environment`].
pub fn portal_environment(database: &str) -> Vec<(String, String)> {
    [
        ("BIBIND_DATABASE__URL", database_url(database)),
        // The test's database is cloned from a migrated template.
        ("BIBIND_DATABASE__MIGRATE", "false".into()),
        ("BIBIND_SITE__ROOT", "/nonexistent-site".into()),
        ("BIBIND_LOG__FILTER", "warn".into()),
        ("BIBIND_VAULT__ADDR", env("TEST_VAULT_ADDR")),
        ("BIBIND_MQTT__ADDRESS", env("TEST_MQTT_ADDRESS")),
        ("BIBIND_HYDRA__PUBLIC_URL", env("TEST_HYDRA_PUBLIC_URL")),
        ("BIBIND_HYDRA__ADMIN_URL", env("TEST_HYDRA_ADMIN_URL")),
        // Signed-in sessions are checked against Kratos.
        ("BIBIND_KRATOS__PUBLIC_URL", env("TEST_KRATOS_PUBLIC_URL")),
        ("BIBIND_KRATOS__ADMIN_URL", env("TEST_KRATOS_ADMIN_URL")),
    ]
    .into_iter()
    .map(|(key, value)| (key.to_owned(), value))
    .collect()
}

/// The provisioning engine on `stack`'s backends, `tuning` first (workers,
/// lease, retries), as the `BIBIND_PROVISIONING__…` variables.
pub fn provisioning_environment(
    stack: &SimulatedBackends,
    tuning: &[(&str, String)],
) -> Vec<(String, String)> {
    stack
        .provisioning_settings(tuning)
        .into_iter()
        .map(|(key, value)| (format!("BIBIND_PROVISIONING__{key}"), value))
        .collect()
}
