//! Mosquitto with its dynamic-security plugin: no anonymous access; clients,
//! roles and ACLs are managed over MQTT by the admin client that
//! `mosquitto_ctrl dynsec init` creates, whose password is generated once per
//! data directory.

use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
};

use anyhow::{bail, Context, Result};

use crate::{ory, process};

/// The dynamic-security admin client.
pub const ADMIN_USER: &str = "admin";
const CTRL: &str = "/usr/bin/mosquitto_ctrl";

/// A broker configured for one data directory, ready to serve.
pub struct Mosquitto {
    config: PathBuf,
    pub admin_password: String,
}

impl Mosquitto {
    /// Writes the config for `port` and, on first use (or when the password
    /// was lost), the plugin's state with the admin client.
    pub fn prepare(data_dir: &Path, port: u16) -> Result<Self> {
        // The broker rewrites its state after each change: when started as
        // root it runs as `mosquitto`, which must own this directory.
        let state_dir = data_dir.join("mosquitto");
        std::fs::create_dir_all(&state_dir)?;
        let state = state_dir.join("dynamic-security.json");
        let (admin_password, new_password) = admin_password(data_dir)?;
        if new_password || !state.exists() {
            let _ = std::fs::remove_file(&state);
            init_state(&state, &admin_password)?;
        }
        if running_as_root() {
            process::run(
                Command::new("chown")
                    .args(["-R", "mosquitto:mosquitto"])
                    .arg(&state_dir),
            )?;
        }
        let config = data_dir.join("mosquitto.conf");
        std::fs::write(
            &config,
            format!(
                "# written by cargo xtask\n\
                 per_listener_settings false\n\
                 listener {port} 127.0.0.1\n\
                 allow_anonymous false\n\
                 persistence false\n\
                 plugin {}\n\
                 plugin_opt_config_file {}\n",
                plugin_path()?.display(),
                state.display()
            ),
        )?;
        Ok(Self {
            config,
            admin_password,
        })
    }

    pub fn serve_command(&self) -> Command {
        let mut command = Command::new(crate::tools::MOSQUITTO.binary);
        command.arg("-c").arg(&self.config);
        command
    }
}

/// The admin password of this data directory, and whether it is new.
fn admin_password(data_dir: &Path) -> Result<(String, bool)> {
    let file = data_dir.join("mosquitto-admin-password");
    if let Ok(existing) = std::fs::read_to_string(&file) {
        let existing = existing.trim();
        if !existing.is_empty() {
            return Ok((existing.to_owned(), false));
        }
    }
    let password = ory::random_alphanumeric(32)?;
    std::fs::write(&file, &password).with_context(|| format!("cannot write {}", file.display()))?;
    Ok((password, true))
}

fn init_state(state: &Path, admin_password: &str) -> Result<()> {
    let status = Command::new(CTRL)
        .args(["dynsec", "init"])
        .arg(state)
        .args([ADMIN_USER, admin_password])
        .stdout(Stdio::null())
        .status()
        .with_context(|| format!("cannot run {CTRL}"))?;
    if !status.success() {
        // Not `process::run`: its message would repeat the password.
        bail!(
            "`mosquitto_ctrl dynsec init {}` failed ({status})",
            state.display()
        );
    }
    Ok(())
}

/// Debian installs the plugin under the multiarch library directory.
fn plugin_path() -> Result<PathBuf> {
    let name = "mosquitto_dynamic_security.so";
    let candidates = std::fs::read_dir("/usr/lib")?
        .filter_map(|entry| Some(entry.ok()?.path().join(name)))
        .chain([Path::new("/usr/lib").join(name)]);
    for candidate in candidates {
        if candidate.exists() {
            return Ok(candidate);
        }
    }
    bail!("{name} not found under /usr/lib: `apt-get install -y mosquitto` (2.0 or later)")
}

fn running_as_root() -> bool {
    process::output(Command::new("id").arg("-u"))
        .map(|uid| uid.trim() == "0")
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// What `mosquitto_ctrl dynsec listClients` prints (it exits 0 even
    /// when refused).
    fn list_clients(port: u16, credentials: &[&str]) -> String {
        let out = Command::new(CTRL)
            .args(["-h", "127.0.0.1", "-p", &port.to_string()])
            .args(credentials)
            .args(["dynsec", "listClients"])
            .output()
            .unwrap();
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    }

    #[test]
    fn the_broker_keeps_its_admin_and_refuses_anonymous_clients() {
        assert!(
            Path::new(crate::tools::MOSQUITTO.binary).exists(),
            "Mosquitto is not installed: `apt-get install -y mosquitto mosquitto-clients`"
        );
        let data = std::env::temp_dir().join(format!("xtask-mosquitto-{}", std::process::id()));
        let port = process::free_port().unwrap();
        let first = Mosquitto::prepare(&data, port).unwrap();
        let again = Mosquitto::prepare(&data, port).unwrap();
        assert_eq!(first.admin_password, again.admin_password, "kept per data dir");

        let log = data.join("mosquitto.log");
        let mut broker = process::Supervised::spawn("Mosquitto", &mut again.serve_command(), &log).unwrap();
        process::wait_for_port("Mosquitto", port, Duration::from_secs(10), Some(&mut broker)).unwrap();
        assert!(
            list_clients(port, &[]).contains("Not authorized"),
            "anonymous clients are refused"
        );
        let listed = list_clients(port, &["-u", ADMIN_USER, "-P", &again.admin_password]);
        assert!(listed.lines().any(|line| line.trim() == ADMIN_USER), "{listed}");
        broker.stop();
        let _ = std::fs::remove_dir_all(&data);
    }
}
