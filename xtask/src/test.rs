//! `cargo xtask test`: every test, against real services.
//!
//! 1. `cargo fmt --check` and `cargo clippy -D warnings`;
//! 2. PostgreSQL, OpenBao, Mosquitto and the SMTP sink on free loopback ports;
//! 3. sqlx's offline query data (`.sqlx/`) checked against the migrations;
//! 4. unit and integration tests (`cargo test`), each integration test on a
//!    fresh database cloned from a migrated template;
//! 5. the simulators driven by the remote systems' own Python clients
//!    (`sim/tests/real_clients`, pytest in a cached venv);
//! 6. the front end and the server built, the server started, and the
//!    end-to-end tests run in Debian's Chromium through playwright-core.
//!
//! `--e2e-only [FILE…]` skips 1, 3, 4 and 5: only the end-to-end tests (all,
//! or the files named, relative to `end2end/`), to work on one story.

use std::{process::Command, time::Instant};

use anyhow::{bail, Context, Result};

use crate::{
    deployment, keystone, paths, process, seed,
    services::{Ports, Profile, Stack, BROWSER_HOST},
    simulators::Simulators,
    site, sqlx, tools,
};

/// What a run covers.
struct Selection {
    /// fmt, clippy, sqlx's check, the Rust tests; else only end-to-end.
    everything: bool,
    /// What `node --test` runs, relative to `end2end/`.
    end_to_end: Vec<String>,
}

impl Selection {
    fn parse(args: &[String]) -> Result<Self> {
        match args.split_first() {
            None => Ok(Self {
                everything: true,
                end_to_end: vec!["tests/".to_owned()],
            }),
            Some((flag, files)) if flag == "--e2e-only" => Ok(Self {
                everything: false,
                end_to_end: if files.is_empty() {
                    vec!["tests/".to_owned()]
                } else {
                    files.to_vec()
                },
            }),
            Some((unknown, _)) => {
                bail!("`cargo xtask test` takes only --e2e-only [FILE…] (got {unknown})")
            }
        }
    }
}

pub fn run(args: &[String]) -> Result<()> {
    let selection = Selection::parse(args)?;
    let started = Instant::now();
    let root = paths::workspace_root();
    let target_dir = shared_target_dir()?;
    let cargo = |args: &[&str]| {
        let mut command = Command::new("cargo");
        command
            .current_dir(&root)
            .args(args)
            .env("CARGO_TARGET_DIR", &target_dir);
        command
    };

    if selection.everything {
        static_checks(&cargo)?;
    }

    step("starting PostgreSQL, OpenBao, Mosquitto and the SMTP sink");
    tools::ensure_apt(&[&tools::CHROMIUM])?;
    let run_dir = paths::RunDir::new("test");
    let log_dir = run_dir.logs();
    let mut stack = Stack::start(Ports::free()?, &run_dir.data(), &log_dir, Profile::Test)?;
    println!("xtask: service logs in {}", log_dir.display());

    if selection.everything {
        step("starting etcd, kube-apiserver and kube-controller-manager");
        stack.start_kubernetes(&run_dir.data(), &log_dir)?;
        rust_tests(&stack, &root, &target_dir)?;
    }

    step("building the front end, the server and the command line");
    let site_root = site::build()?;
    // The command line (`bibind`) is run by the server's tests, beside the server.
    let binaries = build_server(
        false,
        &[
            "--package",
            "sim",
            "--bin",
            "sim",
            "--package",
            "bibind-cli",
            "--bin",
            "bibind",
        ],
    )?;
    let binary = binaries.join("bibind-server");
    let sim = binaries.join("sim");

    if selection.everything {
        real_clients(&stack, &root, &sim)?;
        step("the deployment: container image, Helm chart, Juju charm");
        let cluster = stack
            .kubernetes
            .as_ref()
            .context("the Kubernetes control plane was not started")?;
        deployment::check(cluster, &binary, &site_root, &run_dir.data(), &log_dir)?;
    }

    step("end-to-end tests in Chromium");
    stack.check_running()?;
    let database = "bibind_e2e";
    stack.postgres.drop_database(database)?;
    stack.postgres.ensure_database(database)?;
    let port = stack.ports.portal;
    // The end-to-end tests sign in as the seeded platform admin.
    let accounts = seed::ensure_accounts(&stack, &run_dir.data())?;
    let admin = accounts
        .iter()
        .find(|account| account.role == "admin")
        .context("the seeded accounts have no admin")?;
    let operator = accounts
        .iter()
        .find(|account| account.role == "operator")
        .context("the seeded accounts have no operator")?;
    let reviewer = accounts
        .iter()
        .find(|account| account.role == "reviewer")
        .context("the seeded accounts have no reviewer")?;
    let simulators = Simulators::start(&stack, &sim, &log_dir)?;
    let mut portal_env = vec![
        (
            "BIBIND_BOOTSTRAP__PLATFORM_ADMINS".to_owned(),
            seed::bootstrap_admins(&accounts),
        ),
        // Every end-to-end test signs in from 127.0.0.1: the per-address
        // limit would count them all together (the per-account limit stays).
        ("BIBIND_RATE_LIMITS__LOGIN_PER_IP".to_owned(), "1000".to_owned()),
        // So do sign-ups, verifications, recoveries and settings changes.
        (
            "BIBIND_RATE_LIMITS__REGISTRATION_PER_IP".to_owned(),
            "1000".to_owned(),
        ),
        (
            "BIBIND_RATE_LIMITS__VERIFICATION_PER_IP".to_owned(),
            "1000".to_owned(),
        ),
        (
            "BIBIND_RATE_LIMITS__RECOVERY_PER_IP".to_owned(),
            "1000".to_owned(),
        ),
        (
            "BIBIND_RATE_LIMITS__SETTINGS_PER_IP".to_owned(),
            "1000".to_owned(),
        ),
        // Likewise every subscription comes from 127.0.0.1.
        (
            "BIBIND_TENANCY__SUBSCRIPTIONS_PER_ADDRESS_PER_HOUR".to_owned(),
            "1000".to_owned(),
        ),
    ];
    // The portal provisions what the tests subscribe to, as in production.
    portal_env.extend(simulators.portal_env.iter().cloned());
    let mut server = stack.spawn_portal(
        &binary,
        database,
        &site_root,
        &portal_env,
        &log_dir.join("portal.log"),
    )?;
    let mut relying_party = stack.spawn_relying_party(&sim, &log_dir.join("relying-party.log"))?;

    let e2e = root.join("end2end");
    tools::ensure_npm(&e2e)?;
    process::run(
        Command::new("timeout")
            .args(["--kill-after=30s", "20m", "node"])
            .current_dir(&e2e)
            .args(["--test", "--test-concurrency=1", "--test-reporter=spec"])
            .args(&selection.end_to_end)
            .env("BIBIND_BASE_URL", format!("http://{BROWSER_HOST}:{port}"))
            .env("BIBIND_MAIL_API", stack.smtp_api_url())
            .env("BIBIND_HYDRA_PUBLIC", stack.hydra_public_url())
            .env("BIBIND_HYDRA_ADMIN", stack.hydra_admin_url())
            .env("BIBIND_RP_URL", stack.relying_party_url())
            .env("SIM_BINARY", &sim)
            .env("BIBIND_E2E_ADMIN_EMAIL", &admin.email)
            .env("BIBIND_E2E_ADMIN_PASSWORD", &admin.password)
            .env("BIBIND_E2E_OPERATOR_EMAIL", &operator.email)
            .env("BIBIND_E2E_OPERATOR_PASSWORD", &operator.password)
            .env("BIBIND_E2E_REVIEWER_EMAIL", &reviewer.email)
            .env("BIBIND_E2E_REVIEWER_PASSWORD", &reviewer.password)
            .env("CHROMIUM_PATH", tools::CHROMIUM.binary),
    )?;
    relying_party.stop();
    server.stop();
    drop(simulators);
    drop(stack);
    run_dir.finished();

    let (raw, gzip) = site::island_code_size(&site_root)?;
    println!("\nxtask: all tests passed in {:.0?}", started.elapsed());
    println!(
        "xtask: front end (wasm + JS glue, on pages with an island) {raw} bytes raw, {gzip} bytes gzip -9"
    );
    Ok(())
}

/// fmt and clippy, before any service starts.
fn static_checks(cargo: &dyn Fn(&[&str]) -> Command) -> Result<()> {
    step("formatting");
    process::run(&mut cargo(&["fmt", "--all", "--", "--check"]))
        .context("code is not formatted: run `cargo fmt --all`")?;
    step("clippy");
    process::run(&mut cargo(&[
        "clippy",
        "--locked",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    Ok(())
}

/// sqlx's offline data against the migrations, then `cargo test` with the
/// services' `TEST_*` variables.
fn rust_tests(stack: &Stack, root: &std::path::Path, target_dir: &std::path::Path) -> Result<()> {
    step("sqlx's offline query data (.sqlx/) against the migrations");
    sqlx::migrate_and_prepare(
        &sqlx::ensure_cli()?,
        &stack.postgres.url(sqlx::DATABASE),
        target_dir,
        true,
    )?;

    step("unit and integration tests");
    // A hung test must fail the run, not stall CI until its own deadline.
    let mut tests = Command::new("timeout");
    tests
        .current_dir(root)
        .env("CARGO_TARGET_DIR", target_dir)
        .args([
            "--kill-after=30s",
            "30m",
            "cargo",
            "test",
            "--locked",
            "--no-fail-fast",
        ])
        .envs(test_env(stack))
        .envs(test_tools_env()?);
    process::run(&mut tests)?;
    Ok(())
}

/// The simulators driven by the remote systems' own Python clients
/// (`sim/tests/real_clients`), in their own cached venv; the OpenStack tests
/// use the stack's Keystone.
fn real_clients(stack: &Stack, root: &std::path::Path, sim: &std::path::Path) -> Result<()> {
    step("the simulators against the systems' own clients (sim/tests/real_clients)");
    let venv = tools::ensure_venv(&tools::REAL_CLIENTS_VENV)?;
    println!("xtask: the clients' venv is {}", venv.display());
    process::run(
        Command::new("timeout")
            .args(["--kill-after=30s", "10m"])
            .arg(venv.join("bin").join("python"))
            .args([
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "sim/tests/real_clients",
            ])
            .current_dir(root)
            // The `awx` and `openstack` commands the tests run.
            .env("PATH", path_with(&venv.join("bin"))?)
            .env("SIM_BIN", sim)
            .envs(test_env(stack)),
    )
}

/// `PATH` with `dir` first.
fn path_with(dir: &std::path::Path) -> Result<std::ffi::OsString> {
    let mut dirs = vec![dir.to_path_buf()];
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(dirs).context("a PATH entry holds the separator")
}

/// What the integration tests learn about the services (`TEST_*`).
pub(crate) fn test_env(stack: &Stack) -> Vec<(&'static str, String)> {
    let mut env = vec![
        ("TEST_DATABASE_URL", stack.postgres.url("postgres")),
        ("TEST_VAULT_ADDR", stack.vault_addr()),
        ("TEST_MQTT_ADDRESS", stack.mqtt_address()),
        ("TEST_MQTT_ADMIN_USERNAME", stack.mqtt_admin().0.to_owned()),
        ("TEST_MQTT_ADMIN_PASSWORD", stack.mqtt_admin().1.to_owned()),
        ("TEST_SMTP_ADDRESS", stack.smtp_address()),
        ("TEST_SMTP_API_URL", stack.smtp_api_url()),
        // The tests' own calls reach Kratos itself (as the portal does);
        // browsers go through its gate.
        ("TEST_KRATOS_PUBLIC_URL", stack.kratos_internal_url()),
        ("TEST_KRATOS_GATE_URL", stack.kratos_public_url()),
        ("TEST_KRATOS_ADMIN_URL", stack.kratos_admin_url()),
        ("TEST_HYDRA_PUBLIC_URL", stack.hydra_public_url()),
        ("TEST_HYDRA_ADMIN_URL", stack.hydra_admin_url()),
        ("TEST_PORTAL_PORT", stack.ports.portal.to_string()),
        ("TEST_KEYSTONE_URL", stack.keystone_url()),
        ("TEST_KEYSTONE_ADMIN_USER", keystone::ADMIN_USER.to_owned()),
        (
            "TEST_KEYSTONE_ADMIN_PASSWORD",
            stack.keystone_admin_password().to_owned(),
        ),
        ("TEST_KEYSTONE_ADMIN_PROJECT", keystone::ADMIN_PROJECT.to_owned()),
        ("TEST_KEYSTONE_DOMAIN", keystone::DOMAIN.to_owned()),
        ("TEST_S3_PRIMARY_URL", stack.s3_primary().url()),
        ("TEST_S3_PRIMARY_BUCKET", stack.s3_primary().bucket().to_owned()),
        (
            "TEST_S3_PRIMARY_ACCESS_KEY",
            stack.s3_primary().access_key().to_owned(),
        ),
        (
            "TEST_S3_PRIMARY_SECRET_KEY",
            stack.s3_primary().secret_key().to_owned(),
        ),
        ("TEST_S3_OFFSITE_URL", stack.s3_offsite().url()),
        ("TEST_S3_OFFSITE_BUCKET", stack.s3_offsite().bucket().to_owned()),
        (
            "TEST_S3_OFFSITE_ACCESS_KEY",
            stack.s3_offsite().access_key().to_owned(),
        ),
        (
            "TEST_S3_OFFSITE_SECRET_KEY",
            stack.s3_offsite().secret_key().to_owned(),
        ),
        ("TEST_S3_REGION", stack.s3_region().to_owned()),
    ];
    if let Some(cluster) = &stack.kubernetes {
        env.extend([
            ("TEST_KUBE_API_URL", cluster.api_url.clone()),
            ("TEST_KUBE_CA_FILE", cluster.ca_file.display().to_string()),
            ("TEST_KUBE_ADMIN_TOKEN", cluster.admin_token.clone()),
            (
                "TEST_KUBE_PORTAL_TOKEN_FILE",
                cluster.portal_token_file.display().to_string(),
            ),
            ("TEST_KUBE_KUBECONFIG", cluster.kubeconfig.display().to_string()),
        ]);
    }
    env
}

/// The test tools' variables (installing them when missing):
/// `BIBIND_SCHEMATHESIS`.
pub(crate) fn test_tools_env() -> Result<Vec<(&'static str, String)>> {
    let schemathesis = tools::ensure_venv(&tools::SCHEMATHESIS_VENV)?;
    Ok(vec![(
        "BIBIND_SCHEMATHESIS",
        schemathesis
            .join("bin")
            .join("schemathesis")
            .display()
            .to_string(),
    )])
}

/// `cargo xtask services`: the test services on free ports, kept until
/// Ctrl-C, with their `TEST_*` variables written to `.data/test-services.env`,
/// to run some tests again and again while working on them.
pub fn services() -> Result<()> {
    let run_dir = paths::RunDir::new("services");
    let log_dir = run_dir.logs();
    let mut stack = Stack::start(Ports::free()?, &run_dir.data(), &log_dir, Profile::Test)?;
    stack.start_kubernetes(&run_dir.data(), &log_dir)?;
    let env_file = paths::dev_data_dir().join("test-services.env");
    std::fs::create_dir_all(paths::dev_data_dir())?;
    let lines: String = test_env(&stack)
        .into_iter()
        .chain(test_tools_env()?)
        .map(|(name, value)| format!("export {name}={value}\n"))
        .collect();
    std::fs::write(&env_file, lines)?;
    println!("xtask: services up; logs in {}", log_dir.display());
    println!(
        "xtask: `source {}` then `cargo test …`; Ctrl-C stops them",
        env_file.display()
    );
    process::wait_for_interrupt();
    drop(stack);
    run_dir.finished();
    Ok(())
}

/// Builds the `bibind-server` binary (and `extra` cargo targets) into the shared
/// target directory; returns the directory of the binaries.
pub fn build_server(release: bool, extra: &[&str]) -> Result<std::path::PathBuf> {
    let target_dir = shared_target_dir()?;
    let mut command = Command::new("cargo");
    command
        .current_dir(paths::workspace_root())
        .args([
            "build",
            "--locked",
            "--package",
            "server",
            "--bin",
            "bibind-server",
        ])
        .args(extra)
        .env("CARGO_TARGET_DIR", &target_dir);
    if release {
        command.arg("--release");
    }
    process::run(&mut command)?;
    Ok(target_dir.join(if release { "release" } else { "debug" }))
}

/// Builds the simulators' binary (`sim`); returns its path.
pub fn build_sim(release: bool) -> Result<std::path::PathBuf> {
    let target_dir = shared_target_dir()?;
    let mut command = Command::new("cargo");
    command
        .current_dir(paths::workspace_root())
        .args(["build", "--locked", "--package", "sim", "--bin", "sim"])
        .env("CARGO_TARGET_DIR", &target_dir);
    if release {
        command.arg("--release");
    }
    process::run(&mut command)?;
    Ok(target_dir
        .join(if release { "release" } else { "debug" })
        .join("sim"))
}

/// Compiled crates, kept outside the checkout and keyed by compiler version
/// and checkout path. Cargo identifies workspace crates by their path
/// relative to the workspace, so two checkouts sharing one directory would
/// take each other's stale builds for fresh ones.
pub fn shared_target_dir() -> Result<std::path::PathBuf> {
    let version = tools::rustc_version("rustc")?;
    let dir = paths::cache_dir()?
        .join("target")
        .join(format!("rustc-{version}-{}", paths::checkout_key()));
    paths::prune_other_checkouts(&dir);
    Ok(dir)
}

fn step(name: &str) {
    println!("\n==> {name}");
}
