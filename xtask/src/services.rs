//! The real services the portal talks to, started on loopback: PostgreSQL,
//! OpenBao (dev mode), Mosquitto, an SMTP sink with an HTTP API, and Ory
//! Kratos and Hydra (each on its own database), OpenStack Keystone, and two
//! S3-compatible stores (versitygw) for backups: the primary and an off-site
//! copy.

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::Duration,
};

use anyhow::{bail, Context, Result};

use crate::{
    keystone::Keystone,
    kratos_gate,
    kubernetes::Cluster,
    mosquitto::{self, Mosquitto},
    object_storage::{self, ObjectStorage},
    ory, paths,
    process::{self, Supervised},
    tools,
};

/// The host browsers use for the portal, Kratos and Hydra: `localhost`, the
/// one loopback name a WebAuthn relying party may have (an IP address may
/// not). Services listen on 127.0.0.1; server-to-server calls use it too.
pub const BROWSER_HOST: &str = "localhost";

/// Ports of one stack; `dev` uses fixed defaults, `test` free ports.
#[derive(Clone, Copy, Debug)]
pub struct Ports {
    pub postgres: u16,
    pub openbao: u16,
    pub mqtt: u16,
    pub smtp: u16,
    pub smtp_api: u16,
    /// Where browsers reach Kratos' public API: the gate that refuses
    /// self-service posts not relayed by the portal (`kratos_gate.rs`).
    pub kratos_public: u16,
    /// Where Kratos' public API listens; the portal talks to it there.
    pub kratos_internal: u16,
    pub kratos_admin: u16,
    pub hydra_public: u16,
    pub hydra_admin: u16,
    /// The portal's own port: Kratos and Hydra send browsers there.
    pub portal: u16,
    /// The portal's operations listener (`/readyz`, `/metrics`).
    pub operations: u16,
    /// The simulated relying party (an Odoo stand-in) for single sign-on.
    pub relying_party: u16,
    /// OpenStack Keystone (Identity v3), for the OpenStack backend.
    pub keystone: u16,
    /// The S3 store backups go to (versitygw).
    pub s3_primary: u16,
    /// The off-site S3 store backups are copied to (versitygw).
    pub s3_offsite: u16,
}

impl Ports {
    /// Free loopback ports, for test and benchmark runs.
    pub fn free() -> Result<Self> {
        Ok(Ports {
            postgres: process::free_port()?,
            openbao: process::free_port()?,
            mqtt: process::free_port()?,
            smtp: process::free_port()?,
            smtp_api: process::free_port()?,
            kratos_public: process::free_port()?,
            kratos_internal: process::free_port()?,
            kratos_admin: process::free_port()?,
            hydra_public: process::free_port()?,
            hydra_admin: process::free_port()?,
            portal: process::free_port()?,
            operations: process::free_port()?,
            relying_party: process::free_port()?,
            keystone: process::free_port()?,
            s3_primary: process::free_port()?,
            s3_offsite: process::free_port()?,
        })
    }
}

/// How the stack is set up: for people (`dev`) or for tests, where Kratos
/// asks for a recent login after one minute instead of fifteen, so that a
/// test can reach that path without waiting a quarter of an hour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    Dev,
    Test,
}

/// A running stack; dropping it stops every service.
pub struct Stack {
    pub ports: Ports,
    pub postgres: Postgres,
    /// The OpenID client secrets at Hydra of the portal and of the
    /// simulated relying party (generated per data dir).
    portal_client_secret: String,
    relying_party_client_secret: String,
    /// Keystone's admin password (generated per data dir).
    keystone_admin_password: String,
    /// The password of Mosquitto's dynamic-security admin client
    /// (generated per data dir).
    mqtt_admin_password: String,
    /// A real Kubernetes control plane, once [`Stack::start_kubernetes`].
    pub kubernetes: Option<Cluster>,
    /// S3-compatible storage for backups, each with its own credentials
    /// (random, new at each start).
    s3_primary: ObjectStorage,
    s3_offsite: ObjectStorage,
    // Dropped (stopped) in reverse order of start.
    supervised: Vec<Supervised>,
}

impl Stack {
    /// Starts everything with data under `data_dir` and logs under `log_dir`.
    pub fn start(ports: Ports, data_dir: &Path, log_dir: &Path, profile: Profile) -> Result<Self> {
        std::fs::create_dir_all(log_dir)?;
        let venv = tools::ensure_venv(&tools::SERVICES_VENV)?;
        tools::ensure_apt(&[&tools::POSTGRES, &tools::MOSQUITTO, &tools::MOSQUITTO_CLIENTS])?;

        let postgres = Postgres::start(
            &data_dir.join("postgres"),
            ports.postgres,
            &log_dir.join("postgres.log"),
        )?;
        let s3_primary = ObjectStorage::start(&object_storage::PRIMARY, data_dir, log_dir, ports.s3_primary)?;
        let s3_offsite = ObjectStorage::start(&object_storage::OFFSITE, data_dir, log_dir, ports.s3_offsite)?;
        let secrets = ory::secrets(data_dir)?;
        let mut stack = Stack {
            ports,
            postgres,
            portal_client_secret: ory::secret(&secrets, ory::PORTAL_CLIENT_SECRET),
            relying_party_client_secret: ory::secret(&secrets, ory::RELYING_PARTY_CLIENT_SECRET),
            keystone_admin_password: String::new(),
            mqtt_admin_password: String::new(),
            kubernetes: None,
            s3_primary,
            s3_offsite,
            supervised: Vec::new(),
        };

        stack.supervise(
            "OpenBao",
            Command::new(venv.join("bin").join("bao")).args([
                "server",
                "-dev",
                "-dev-root-token-id=root",
                &format!("-dev-listen-address=127.0.0.1:{}", ports.openbao),
            ]),
            &log_dir.join("openbao.log"),
            &[ports.openbao],
        )?;

        let mosquitto = Mosquitto::prepare(data_dir, ports.mqtt)?;
        stack.mqtt_admin_password = mosquitto.admin_password.clone();
        stack.supervise(
            "Mosquitto",
            &mut mosquitto.serve_command(),
            &log_dir.join("mosquitto.log"),
            &[ports.mqtt],
        )?;

        stack.supervise(
            "SMTP sink",
            Command::new(venv.join("bin").join("python"))
                .arg(paths::workspace_root().join("deploy/dev/smtp_sink.py"))
                .args([
                    "--smtp-port",
                    &ports.smtp.to_string(),
                    "--http-port",
                    &ports.smtp_api.to_string(),
                ]),
            &log_dir.join("smtp-sink.log"),
            &[ports.smtp, ports.smtp_api],
        )?;
        stack.start_ory(data_dir, log_dir, profile)?;
        stack.start_keystone(data_dir, log_dir)?;
        Ok(stack)
    }

    /// Adds the real Kubernetes control plane (the tests want it; dev and
    /// the bench run the simulator).
    pub fn start_kubernetes(&mut self, data_dir: &Path, log_dir: &Path) -> Result<()> {
        self.kubernetes = Some(Cluster::start(data_dir, log_dir, &mut self.supervised)?);
        Ok(())
    }

    /// Keystone: set up once per data dir (see `keystone.rs`), then served.
    fn start_keystone(&mut self, data_dir: &Path, log_dir: &Path) -> Result<()> {
        tools::ensure_apt(&[&tools::KEYSTONE])?;
        let keystone = Keystone::prepare(data_dir, self.ports.keystone, &log_dir.join("keystone-setup.log"))?;
        self.keystone_admin_password = keystone.admin_password.clone();
        self.supervise(
            "Keystone",
            &mut keystone.serve_command(),
            &log_dir.join("keystone.log"),
            &[self.ports.keystone],
        )
    }

    /// Kratos and Hydra: configs rendered for these ports, databases
    /// migrated, then both served in dev mode (plain HTTP cookies).
    fn start_ory(&mut self, data_dir: &Path, log_dir: &Path, profile: Profile) -> Result<()> {
        let kratos_overrides: &[(&str, &str)] = match profile {
            Profile::Dev => &[],
            Profile::Test => &[("SELFSERVICE_FLOWS_SETTINGS_PRIVILEGED_SESSION_MAX_AGE", "1m")],
        };
        let kratos = ory::KRATOS.ensure_built()?;
        let hydra = ory::HYDRA.ensure_built()?;
        let p = self.ports;
        let mut replacements = Vec::new();
        for (default, port) in [
            (3000, p.portal),
            (4433, p.kratos_public),
            (4434, p.kratos_admin),
            (4444, p.hydra_public),
            (4445, p.hydra_admin),
            (2525, p.smtp),
        ] {
            replacements.push((format!(":{default}"), format!(":{port}")));
            // Kratos' public API listens behind its gate: its URLs name the
            // gate, its socket is its own.
            let listen = if default == 4433 { p.kratos_internal } else { port };
            replacements.push((format!("port: {default}"), format!("port: {listen}")));
        }
        let config_dir = data_dir.join("ory");
        let kratos_config = ory::render_config("kratos.yml", &replacements, &config_dir)?;
        let hydra_config = ory::render_config("hydra.yml", &replacements, &config_dir)?;
        let secrets = ory::secrets(data_dir)?;
        let root = paths::workspace_root();

        for (name, binary, config, migrate) in [
            (
                "kratos",
                &kratos,
                &kratos_config,
                &["migrate", "sql", "-e", "--yes"][..],
            ),
            (
                "hydra",
                &hydra,
                &hydra_config,
                &["migrate", "sql", "up", "-e", "--yes"][..],
            ),
        ] {
            self.postgres.ensure_database(name)?;
            // Ory's default pool is two connections per core: on two cores a
            // handful of concurrent sign-ins starve it (a request in a
            // transaction waiting for a second connection), and every
            // request stalls until a client gives up (seen at 8 at once).
            let dsn = format!(
                "{}?sslmode=disable&max_conns=20&max_idle_conns=10",
                self.postgres.url(name)
            );
            process::run_logged(
                Command::new(binary)
                    .current_dir(&root)
                    .args(migrate)
                    .arg("-c")
                    .arg(config)
                    .env("DSN", &dsn),
                &log_dir.join(format!("{name}-migrate.log")),
            )
            .with_context(|| format!("migrating the {name} database failed"))?;
            let serve: &[&str] = if name == "kratos" {
                &["serve", "--dev", "--watch-courier", "--sqa-opt-out"]
            } else {
                &["serve", "all", "--dev", "--sqa-opt-out"]
            };
            let ports: &[u16] = if name == "kratos" {
                &[p.kratos_internal, p.kratos_admin]
            } else {
                &[p.hydra_public, p.hydra_admin]
            };
            self.supervise(
                if name == "kratos" {
                    "Ory Kratos"
                } else {
                    "Ory Hydra"
                },
                Command::new(binary)
                    .current_dir(&root)
                    .args(serve)
                    .arg("-c")
                    .arg(config)
                    .env("DSN", &dsn)
                    .envs(
                        secrets
                            .iter()
                            .filter(|(k, _)| k.starts_with("SECRETS_"))
                            .map(|(k, v)| (k.as_str(), v.as_str())),
                    )
                    .envs(
                        if name == "kratos" { kratos_overrides } else { &[] }
                            .iter()
                            .copied(),
                    )
                    // Bibind's FR/EN mails, by absolute path so that Kratos
                    // finds them whatever its working directory.
                    .envs((name == "kratos").then(|| {
                        (
                            "COURIER_TEMPLATE_OVERRIDE_PATH",
                            root.join("deploy/ory/courier-templates"),
                        )
                    })),
                &log_dir.join(format!("{name}.log")),
                ports,
            )?;
        }
        kratos_gate::start(p.kratos_public, p.kratos_internal)?;
        Ok(())
    }

    /// Starts a service and waits until it listens on each of `ports`.
    fn supervise(
        &mut self,
        name: &'static str,
        command: &mut Command,
        log: &Path,
        ports: &[u16],
    ) -> Result<()> {
        let mut service = Supervised::spawn(name, command, log)?;
        for port in ports {
            process::wait_for_port(name, *port, Duration::from_secs(30), Some(&mut service))?;
        }
        self.supervised.push(service);
        Ok(())
    }

    /// Starts the `bibind` server on the stack's portal port against
    /// `database`, and waits until it listens.
    pub fn spawn_portal(
        &self,
        binary: &Path,
        database: &str,
        site_root: &Path,
        extra_env: &[(String, String)],
        log: &Path,
    ) -> Result<Supervised> {
        let port = self.ports.portal;
        let root = paths::workspace_root();
        let mut command = Command::new(binary);
        command
            .current_dir(&root)
            .envs(self.server_env(database))
            .env("BIBIND_SERVER__LISTEN", format!("127.0.0.1:{port}"))
            .env(
                "BIBIND_SERVER__OPERATIONS_LISTEN",
                format!("127.0.0.1:{}", self.ports.operations),
            )
            .env(
                "BIBIND_SERVER__PUBLIC_URL",
                format!("http://{BROWSER_HOST}:{port}"),
            )
            .env("BIBIND_SITE__ROOT", site_root)
            .envs(extra_env.iter().cloned())
            .arg("--config")
            .arg(root.join("deploy/bibind.example.toml"));
        let mut portal = Supervised::spawn("the portal", &mut command, log)?;
        process::wait_for_port("the portal", port, Duration::from_secs(60), Some(&mut portal))?;
        Ok(portal)
    }

    /// Starts the simulated relying party (`sim relying-party`), registered
    /// in Hydra as the first-party client `odoo-sim`.
    pub fn spawn_relying_party(&self, sim: &Path, log: &Path) -> Result<Supervised> {
        let port = self.ports.relying_party;
        let mut command = Command::new(sim);
        command
            .args(["relying-party", "--listen", &format!("127.0.0.1:{port}")])
            .args(["--public-url", &self.relying_party_url()])
            .args(["--issuer", &format!("{}/", self.hydra_public_url())])
            .args([
                "--client-id",
                "odoo-sim",
                "--register-with",
                &self.hydra_admin_url(),
            ])
            .env("SIM_RP_CLIENT_SECRET", &self.relying_party_client_secret);
        let mut relying_party = Supervised::spawn("the simulated relying party", &mut command, log)?;
        process::wait_for_port(
            "the simulated relying party",
            port,
            Duration::from_secs(30),
            Some(&mut relying_party),
        )?;
        Ok(relying_party)
    }

    pub fn relying_party_url(&self) -> String {
        format!("http://{BROWSER_HOST}:{}", self.ports.relying_party)
    }

    pub fn vault_addr(&self) -> String {
        format!("http://127.0.0.1:{}", self.ports.openbao)
    }

    pub fn mqtt_address(&self) -> String {
        format!("127.0.0.1:{}", self.ports.mqtt)
    }

    /// The dynamic-security admin client (username, password).
    pub fn mqtt_admin(&self) -> (&'static str, &str) {
        (mosquitto::ADMIN_USER, &self.mqtt_admin_password)
    }

    pub fn smtp_address(&self) -> String {
        format!("127.0.0.1:{}", self.ports.smtp)
    }

    /// Kratos' public API as browsers reach it: through the gate.
    pub fn kratos_public_url(&self) -> String {
        format!("http://{BROWSER_HOST}:{}", self.ports.kratos_public)
    }

    /// Kratos' public API itself, for the portal and the tests' own calls.
    pub fn kratos_internal_url(&self) -> String {
        format!("http://{BROWSER_HOST}:{}", self.ports.kratos_internal)
    }

    pub fn kratos_admin_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.ports.kratos_admin)
    }

    pub fn hydra_public_url(&self) -> String {
        format!("http://{BROWSER_HOST}:{}", self.ports.hydra_public)
    }

    pub fn hydra_admin_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.ports.hydra_admin)
    }

    /// Keystone's Identity endpoint (what `OS_AUTH_URL` holds).
    pub fn keystone_url(&self) -> String {
        format!("http://127.0.0.1:{}/v3", self.ports.keystone)
    }

    pub fn keystone_admin_password(&self) -> &str {
        &self.keystone_admin_password
    }

    pub fn smtp_api_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.ports.smtp_api)
    }

    /// The S3 store backups go to: its URL, bucket and key pair.
    pub fn s3_primary(&self) -> &ObjectStorage {
        &self.s3_primary
    }

    /// The off-site S3 store backups are copied to.
    pub fn s3_offsite(&self) -> &ObjectStorage {
        &self.s3_offsite
    }

    /// The region both S3 stores sign requests for.
    pub fn s3_region(&self) -> &'static str {
        object_storage::REGION
    }

    /// Environment for the `bibind` server: its whole configuration.
    pub fn server_env(&self, database: &str) -> Vec<(String, String)> {
        vec![
            ("BIBIND_DATABASE__URL".into(), self.postgres.url(database)),
            ("BIBIND_VAULT__ADDR".into(), self.vault_addr()),
            ("BIBIND_MQTT__ADDRESS".into(), self.mqtt_address()),
            ("BIBIND_SMTP__ADDRESS".into(), self.smtp_address()),
            ("BIBIND_KRATOS__PUBLIC_URL".into(), self.kratos_public_url()),
            ("BIBIND_KRATOS__INTERNAL_URL".into(), self.kratos_internal_url()),
            ("BIBIND_KRATOS__ADMIN_URL".into(), self.kratos_admin_url()),
            ("BIBIND_HYDRA__PUBLIC_URL".into(), self.hydra_public_url()),
            ("BIBIND_HYDRA__ADMIN_URL".into(), self.hydra_admin_url()),
            ("BIBIND_OIDC__CLIENT_ID".into(), "bibind-portal".into()),
            (
                "BIBIND_OIDC__CLIENT_SECRET".into(),
                self.portal_client_secret.clone(),
            ),
            ("BIBIND_OIDC__REGISTER".into(), "true".into()),
        ]
    }

    /// Fails if a service died.
    pub fn check_running(&mut self) -> Result<()> {
        for service in &mut self.supervised {
            service.check_running()?;
        }
        self.s3_primary.check_running()?;
        self.s3_offsite.check_running()
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        while let Some(mut service) = self.supervised.pop() {
            service.stop();
        }
    }
}

/// A private PostgreSQL cluster, started with pg_ctl and stopped on drop.
pub struct Postgres {
    data: PathBuf,
    bin: PathBuf,
    port: u16,
    as_postgres_user: bool,
}

impl Postgres {
    pub fn start(data: &Path, port: u16, log: &Path) -> Result<Self> {
        let bin = postgres_bin_dir()?;
        // PostgreSQL refuses to run as root: run it as the `postgres` user then.
        let as_postgres_user = process::output(Command::new("id").arg("-u"))
            .map(|u| u.trim() == "0")
            .unwrap_or(false);
        let pg = Postgres {
            data: data.to_path_buf(),
            bin,
            port,
            as_postgres_user,
        };
        std::fs::create_dir_all(data)?;
        if as_postgres_user {
            process::run(Command::new("chown").args(["-R", "postgres:postgres"]).arg(data))?;
            if let Some(dir) = log.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(log, "").ok();
            process::run(Command::new("chown").arg("postgres:postgres").arg(log))?;
        }
        if !data.join("PG_VERSION").exists() {
            println!("xtask: creating a PostgreSQL cluster in {}", data.display());
            process::run(
                pg.command("initdb")
                    .args([
                        "--auth=trust",
                        "--username=postgres",
                        "--encoding=UTF8",
                        "--no-sync",
                        "-D",
                    ])
                    .arg(data),
            )?;
        }
        let options = format!(
            "-p {port} -c listen_addresses=127.0.0.1 -k {} -c fsync=off -c max_connections=200",
            data.display()
        );
        process::run(
            pg.command("pg_ctl")
                .arg("-D")
                .arg(data)
                .args(["-o", &options, "-l"])
                .arg(log)
                .args(["-w", "-t", "60", "start"]),
        )
        .with_context(|| format!("PostgreSQL did not start; see {}", log.display()))?;
        Ok(pg)
    }

    fn command(&self, tool: &str) -> Command {
        let program = self.bin.join(tool);
        if self.as_postgres_user {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        }
    }

    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Creates `database` unless it exists.
    pub fn ensure_database(&self, database: &str) -> Result<()> {
        let exists = process::output(self.psql("postgres").args([
            "-tAc",
            &format!("SELECT 1 FROM pg_database WHERE datname = '{database}'"),
        ]))?;
        if exists.trim() != "1" {
            process::run(
                self.psql("postgres")
                    .args(["-c", &format!("CREATE DATABASE \"{database}\"")]),
            )?;
        }
        Ok(())
    }

    pub fn drop_database(&self, database: &str) -> Result<()> {
        process::run(self.psql("postgres").args([
            "-q",
            "-c",
            &format!("DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)"),
        ]))
    }

    fn psql(&self, database: &str) -> Command {
        let mut command = Command::new(self.bin.join("psql"));
        command.args([
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            "127.0.0.1",
            "-p",
            &self.port.to_string(),
            "-U",
            "postgres",
            "-d",
            database,
        ]);
        command
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "fast", "-w", "stop"])
            .stdout(std::process::Stdio::null())
            .status();
    }
}

/// Debian keeps the server binaries under /usr/lib/postgresql/<major>/bin.
pub fn postgres_bin_dir() -> Result<PathBuf> {
    let base = Path::new("/usr/lib/postgresql");
    let mut majors: Vec<u32> = std::fs::read_dir(base)
        .with_context(|| format!("PostgreSQL is not installed ({} is missing)", base.display()))?
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    majors.sort_unstable();
    let Some(major) = majors.last() else {
        bail!(
            "no PostgreSQL server under {}: `apt-get install -y postgresql`",
            base.display()
        );
    };
    Ok(base.join(major.to_string()).join("bin"))
}
