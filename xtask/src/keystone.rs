//! A real OpenStack Keystone (Debian's `keystone` package) for the OpenStack
//! backend: an SQLite database, Fernet keys and the admin user, project and
//! role, set up once per data dir (about 7 s: `db_sync`, `fernet_setup`,
//! `credential_setup`, `bootstrap`), then served by `keystone-wsgi-public`
//! on loopback (listening after about 2 s).

use std::{
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::{Context, Result};

use crate::{ory, process};

pub const ADMIN_USER: &str = "admin";
pub const ADMIN_PROJECT: &str = "admin";
/// The domain Keystone's bootstrap puts the admin in (its id is `default`).
pub const DOMAIN: &str = "Default";
pub const REGION: &str = "RegionOne";

/// A prepared Keystone: where it listens and its admin password
/// (generated once per data dir).
pub struct Keystone {
    pub port: u16,
    pub admin_password: String,
    config: PathBuf,
}

impl Keystone {
    /// Writes the configuration under `data_dir/keystone` and sets up the
    /// database and keys unless that was done before; bootstraps again
    /// when the port changed (that updates the catalog's identity endpoint).
    pub fn prepare(data_dir: &Path, port: u16, log: &Path) -> Result<Self> {
        let dir = data_dir.join("keystone");
        std::fs::create_dir_all(&dir)?;
        let config = dir.join("keystone.conf");
        std::fs::write(&config, configuration(&dir))?;
        let admin_password = admin_password(&dir)?;
        let keystone = Keystone {
            port,
            admin_password,
            config,
        };
        let marker = dir.join("bootstrapped-port");
        let bootstrapped = std::fs::read_to_string(&marker).ok();
        if bootstrapped.is_none() {
            println!("xtask: setting up Keystone in {}", dir.display());
            keystone.manage(&["db_sync"], log)?;
            use_write_ahead_log(&dir.join("keystone.db"))?;
            let (user, group) = current_user()?;
            for setup in ["fernet_setup", "credential_setup"] {
                keystone.manage(
                    &[setup, "--keystone-user", &user, "--keystone-group", &group],
                    log,
                )?;
            }
        }
        if bootstrapped.as_deref() != Some(&port.to_string()) {
            keystone.bootstrap(log)?;
            std::fs::write(&marker, port.to_string())?;
        }
        Ok(keystone)
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/v3", self.port)
    }

    /// The server, for [`crate::process::Supervised`].
    pub fn serve_command(&self) -> Command {
        let mut command = Command::new(crate::tools::KEYSTONE.binary);
        command
            .args(["--host", "127.0.0.1", "--port", &self.port.to_string(), "--"])
            .arg("--config-file")
            .arg(&self.config);
        command
    }

    fn bootstrap(&self, log: &Path) -> Result<()> {
        let mut command = self.command();
        command
            .args([
                "bootstrap",
                "--bootstrap-username",
                ADMIN_USER,
                "--bootstrap-project-name",
                ADMIN_PROJECT,
                "--bootstrap-role-name",
                "admin",
                "--bootstrap-region-id",
                REGION,
                "--bootstrap-public-url",
                &self.url(),
            ])
            // From the environment, so that the password is in no process list.
            .env("OS_BOOTSTRAP_PASSWORD", &self.admin_password);
        process::run_logged(&mut command, log).context("keystone-manage bootstrap failed")
    }

    fn manage(&self, args: &[&str], log: &Path) -> Result<()> {
        let mut command = self.command();
        command.args(args);
        process::run_logged(&mut command, log)
            .with_context(|| format!("keystone-manage {} failed", args.join(" ")))
    }

    fn command(&self) -> Command {
        let mut command = Command::new("keystone-manage");
        command.arg("--config-file").arg(&self.config);
        command
    }
}

/// SQLite and key repositories inside `dir`; logs on standard error (the
/// supervisor's log file); one-hour Fernet tokens, Keystone's default.
fn configuration(dir: &Path) -> String {
    let dir = dir.display();
    format!(
        "# written by cargo xtask\n\
         [DEFAULT]\nuse_stderr = true\n\
         [database]\nconnection = sqlite:///{dir}/keystone.db\n\
         [token]\nprovider = fernet\nexpiration = 3600\n\
         [fernet_tokens]\nkey_repository = {dir}/fernet-keys\n\
         [fernet_receipts]\nkey_repository = {dir}/fernet-keys\n\
         [credential]\nkey_repository = {dir}/credential-keys\n"
    )
}

/// Keystone leaves read transactions open on pooled SQLite connections;
/// in the default rollback journal they block every later write ("database
/// is locked" after 5 s, seen on catalog writes). With a write-ahead log
/// readers do not block writers. The mode is kept in the database file.
fn use_write_ahead_log(database: &Path) -> Result<()> {
    process::run(
        Command::new("python3")
            .arg("-c")
            .arg("import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute('PRAGMA journal_mode=WAL')")
            .arg(database),
    )
    .context("cannot switch Keystone's SQLite database to WAL")
}

fn admin_password(dir: &Path) -> Result<String> {
    let file = dir.join("admin-password");
    if let Ok(password) = std::fs::read_to_string(&file) {
        if !password.trim().is_empty() {
            return Ok(password.trim().to_owned());
        }
    }
    let password = ory::random_alphanumeric(24)?;
    std::fs::write(&file, &password)?;
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))?;
    Ok(password)
}

/// `keystone-manage` chowns the key repositories to this user and group.
fn current_user() -> Result<(String, String)> {
    let user = process::output(Command::new("id").arg("-un"))?;
    let group = process::output(Command::new("id").arg("-gn"))?;
    Ok((user.trim().to_owned(), group.trim().to_owned()))
}
