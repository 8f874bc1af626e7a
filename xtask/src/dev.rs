//! `cargo xtask dev [--release]`: the whole product on loopback with embedded
//! defaults. Data stays in `.data/` between runs; logs go to `.data/logs/`;
//! Ctrl-C stops everything.

use std::{
    path::Path,
    process::Command,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    thread,
    time::Duration,
};

use anyhow::{bail, Context, Result};

use crate::{
    paths,
    process::{self, Supervised},
    seed,
    services::{Ports, Profile, Stack, BROWSER_HOST},
    simulators::Simulators,
    site, test, tools,
};

const DATABASE: &str = "bibind";

/// Default ports, each overridable by its environment variable.
fn ports() -> Result<Ports> {
    let port = |var: &str, default: u16, who: &str| -> Result<u16> {
        let port = match std::env::var(var) {
            Ok(value) => value
                .parse()
                .with_context(|| format!("{var}={value} is not a port number"))?,
            Err(_) => default,
        };
        process::ensure_port_free(port, who, var)?;
        Ok(port)
    };
    let ports = Ports {
        postgres: port("BIBIND_DEV_POSTGRES_PORT", 5433, "PostgreSQL")?,
        openbao: port("BIBIND_DEV_OPENBAO_PORT", 8200, "OpenBao")?,
        mqtt: port("BIBIND_DEV_MQTT_PORT", 1883, "Mosquitto")?,
        smtp: port("BIBIND_DEV_SMTP_PORT", 2525, "the SMTP sink")?,
        smtp_api: port("BIBIND_DEV_SMTP_API_PORT", 8025, "the SMTP sink's mail viewer")?,
        kratos_public: port("BIBIND_DEV_KRATOS_PUBLIC_PORT", 4433, "Kratos (public API)")?,
        kratos_internal: port(
            "BIBIND_DEV_KRATOS_INTERNAL_PORT",
            4436,
            "Kratos (public API behind its gate)",
        )?,
        kratos_admin: port("BIBIND_DEV_KRATOS_ADMIN_PORT", 4434, "Kratos (admin API)")?,
        hydra_public: port("BIBIND_DEV_HYDRA_PUBLIC_PORT", 4444, "Hydra (public API)")?,
        hydra_admin: port("BIBIND_DEV_HYDRA_ADMIN_PORT", 4445, "Hydra (admin API)")?,
        portal: port("BIBIND_DEV_PORTAL_PORT", 3000, "the portal")?,
        operations: port(
            "BIBIND_DEV_OPERATIONS_PORT",
            9100,
            "the portal's operations listener",
        )?,
        relying_party: port(
            "BIBIND_DEV_RELYING_PARTY_PORT",
            5555,
            "the simulated relying party",
        )?,
        keystone: port("BIBIND_DEV_KEYSTONE_PORT", 5000, "Keystone")?,
        s3_primary: port("BIBIND_DEV_S3_PRIMARY_PORT", 7070, "versitygw (primary S3 store)")?,
        s3_offsite: port(
            "BIBIND_DEV_S3_OFFSITE_PORT",
            7071,
            "versitygw (off-site S3 store)",
        )?,
    };
    Ok(ports)
}

pub fn run(args: &[String]) -> Result<()> {
    let release = match args {
        [] => false,
        [flag] if flag == "--release" => true,
        other => bail!("`cargo xtask dev` takes only --release (got {})", other.join(" ")),
    };
    let root = paths::workspace_root();
    let ports = ports()?;
    let portal_port = ports.portal;
    if !release {
        // cargo-leptos watch also listens on its live-reload port.
        process::ensure_port_free(
            3001,
            "cargo-leptos live reload",
            "(the reload-port in Cargo.toml)",
        )?;
    }
    let data = paths::dev_data_dir();
    let logs = data.join("logs");

    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        ctrlc::set_handler(move || stop.store(true, Ordering::SeqCst)).context("cannot handle Ctrl-C")?;
    }

    let mut stack = Stack::start(ports, &data, &logs, Profile::Dev)?;
    stack.postgres.ensure_database(DATABASE)?;
    let accounts = seed::ensure_accounts(&stack, &data)?;

    let sim = test::build_sim(release)?;
    let mut simulators = Simulators::start(&stack, &sim, &logs)?;

    let portal_url = format!("http://{BROWSER_HOST}:{portal_port}");
    let mut portal = if release {
        start_release(&stack, &accounts, &simulators.portal_env, &logs)?
    } else {
        let mut env = stack.server_env(DATABASE);
        env.extend(simulators.portal_env.iter().cloned());
        env.push((
            "BIBIND_BOOTSTRAP__PLATFORM_ADMINS".into(),
            seed::bootstrap_admins(&accounts),
        ));
        env.push(("BIBIND_SERVER__LISTEN".into(), format!("127.0.0.1:{portal_port}")));
        env.push((
            "BIBIND_SERVER__OPERATIONS_LISTEN".into(),
            format!("127.0.0.1:{}", stack.ports.operations),
        ));
        env.push(("BIBIND_SERVER__PUBLIC_URL".into(), portal_url.clone()));
        start_watch(
            &root,
            &env,
            &root.join("deploy/bibind.example.toml"),
            portal_port,
            &logs,
        )?
    };

    let mut relying_party = stack.spawn_relying_party(&sim, &logs.join("relying-party.log"))?;

    println!("\nBibind is starting (logs in {}):", logs.display());
    println!("  portal            {portal_url}   (health /healthz)");
    println!(
        "  operations        http://127.0.0.1:{}   (readiness /readyz, metrics /metrics)",
        stack.ports.operations
    );
    println!("  PostgreSQL        {}", stack.postgres.url(DATABASE));
    println!("  OpenBao (dev)     {}   (root token: root)", stack.vault_addr());
    println!("  Mosquitto         mqtt://{}", stack.mqtt_address());
    println!("  SMTP sink         smtp://{}", stack.smtp_address());
    println!("  mail viewer       {}   (JSON: /messages)", stack.smtp_api_url());
    println!(
        "  Kratos            {} (public), {} (admin)",
        stack.kratos_public_url(),
        stack.kratos_admin_url()
    );
    println!(
        "  Hydra             {} (public), {} (admin)",
        stack.hydra_public_url(),
        stack.hydra_admin_url()
    );
    println!(
        "  Odoo (simulated)  {}   (an OpenID client of Hydra: single sign-on with the portal)",
        stack.relying_party_url()
    );
    println!(
        "  Keystone          {}   (admin password in the data dir)",
        stack.keystone_url()
    );
    for (name, storage) in [
        ("S3 primary", stack.s3_primary()),
        ("S3 off-site", stack.s3_offsite()),
    ] {
        println!(
            "  {name:<17} {}/{}   (versitygw, region {}; key {}, secret {}: new each run)",
            storage.url(),
            storage.bucket(),
            stack.s3_region(),
            storage.access_key(),
            storage.secret_key()
        );
    }
    println!("  simulated Kubernetes, Odoo, AWX, GitLab and OpenStack quotas: logs sim-*.log");
    println!(
        "\nDev accounts (e-mail verified; passwords kept in {}):",
        data.join(seed::ACCOUNTS_FILE).display()
    );
    for account in &accounts {
        println!(
            "  {:<9} {}   password: {}",
            account.role, account.email, account.password
        );
    }
    println!("\nPress Ctrl-C to stop everything.");

    while !stop.load(Ordering::SeqCst) {
        if let Err(error) = portal
            .check_running()
            .and_then(|()| relying_party.check_running())
            .and_then(|()| simulators.check_running())
            .and_then(|()| stack.check_running())
        {
            eprintln!("xtask: {error:#}");
            break;
        }
        thread::sleep(Duration::from_millis(300));
    }
    println!("\nxtask: stopping…");
    relying_party.stop();
    portal.stop();
    drop(stack);
    println!("xtask: stopped.");
    Ok(())
}

fn start_release(
    stack: &Stack,
    accounts: &[seed::DevAccount],
    provisioning: &[(String, String)],
    logs: &Path,
) -> Result<Supervised> {
    let site_root = site::build()?;
    let binaries = test::build_server(true, &[])?;
    let mut env = vec![(
        "BIBIND_BOOTSTRAP__PLATFORM_ADMINS".to_owned(),
        seed::bootstrap_admins(accounts),
    )];
    env.extend(provisioning.iter().cloned());
    stack.spawn_portal(
        &binaries.join("bibind-server"),
        DATABASE,
        &site_root,
        &env,
        &logs.join("portal.log"),
    )
}

/// `cargo leptos watch`, with cargo routed to Debian's compiler for the wasm32
/// build when no wasm32 target is installed.
fn start_watch(
    root: &Path,
    env: &[(String, String)],
    config: &Path,
    port: u16,
    logs: &Path,
) -> Result<Supervised> {
    tools::ensure_npm(root)?;
    let cargo_leptos = tools::ensure_cargo_leptos()?;
    let wasm_bindgen = tools::ensure_wasm_bindgen()?;
    let mut path_dirs = vec![root.join("node_modules/.bin")];
    if let Some(dir) = wasm_bindgen.parent() {
        path_dirs.push(dir.to_path_buf());
    }
    if let site::WasmToolchain::DebianBuildStd = site::WasmToolchain::detect()? {
        path_dirs.insert(0, write_cargo_shim()?);
    }
    let path = std::env::join_paths(
        path_dirs.into_iter().chain(
            std::env::var_os("PATH")
                .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
                .unwrap_or_default(),
        ),
    )?;
    let mut command = Command::new(cargo_leptos);
    command
        .current_dir(root)
        .arg("watch")
        .envs(env.iter().cloned())
        .env("PATH", path)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("BIBIND_CONFIG", config);
    println!(
        "xtask: cargo leptos watch (the first build takes a few minutes; see {})",
        logs.join("portal.log").display()
    );
    Supervised::spawn("cargo leptos watch", &mut command, &logs.join("portal.log"))
}

/// A `cargo` on PATH that sends wasm32 builds to Debian's rustc with
/// `-Zbuild-std`, and everything else to the usual cargo.
fn write_cargo_shim() -> Result<std::path::PathBuf> {
    let dir = paths::cache_dir()?.join("shims");
    std::fs::create_dir_all(&dir)?;
    let shim = dir.join("cargo");
    let usual = process::output(Command::new("rustup").args(["which", "cargo"]))
        .map(|p| p.trim().to_owned())
        .unwrap_or_else(|_| "/usr/bin/cargo".to_owned());
    let script = format!(
        "#!/bin/sh\n# written by cargo xtask dev\ncase \" $* \" in\n  *wasm32-unknown-unknown*)\n    \
         RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1 exec /usr/bin/cargo \"$@\" -Zbuild-std=std,panic_abort ;;\n  \
         *) exec {usual} \"$@\" ;;\nesac\n"
    );
    std::fs::write(&shim, script)?;
    process::run(Command::new("chmod").arg("+x").arg(&shim))?;
    Ok(dir)
}
