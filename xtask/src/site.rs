//! Builds the hydrated front end without cargo-leptos (the same steps):
//! wasm32 build → wasm-bindgen → wasm-opt → Tailwind → copy `public/`.
//!
//! The wasm32 standard library comes from an installed wasm32 target when
//! there is one, else it is built from Debian's rust-web-src with
//! `-Zbuild-std` (see the shared notes on wasm); either way the build
//! directory is cached by compiler version and checkout.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::{Context, Result};

use crate::{paths, process, tools};

pub const OUTPUT_NAME: &str = "bibind";
const WASM_TARGET: &str = "wasm32-unknown-unknown";
const WASM_PROFILE: &str = "wasm-release";

/// How the wasm32 target is compiled on this machine.
pub enum WasmToolchain {
    /// rustup's toolchain has the wasm32 target installed.
    Installed,
    /// Debian's rustc 1.96 builds std for wasm32 itself.
    DebianBuildStd,
}

impl WasmToolchain {
    pub fn detect() -> Result<Self> {
        let sysroot = process::output(Command::new("rustc").args(["--print", "sysroot"])).unwrap_or_default();
        let installed = Path::new(sysroot.trim())
            .join("lib/rustlib")
            .join(WASM_TARGET)
            .join("lib");
        if installed.is_dir() {
            return Ok(Self::Installed);
        }
        tools::ensure_apt(&tools::DEBIAN_RUST.iter().collect::<Vec<_>>())?;
        Ok(Self::DebianBuildStd)
    }

    /// A `cargo` command for wasm32 with the right compiler and flags.
    pub fn cargo(&self) -> Result<(Command, Vec<String>, String)> {
        match self {
            Self::Installed => Ok((Command::new("cargo"), Vec::new(), tools::rustc_version("rustc")?)),
            Self::DebianBuildStd => {
                let mut command = Command::new("/usr/bin/cargo");
                command
                    .env("RUSTC", "/usr/bin/rustc")
                    .env("RUSTDOC", "/usr/bin/rustdoc")
                    .env("RUSTC_BOOTSTRAP", "1");
                let args = vec!["-Zbuild-std=std,panic_abort".to_owned()];
                Ok((command, args, tools::rustc_version("/usr/bin/rustc")?))
            }
        }
    }
}

/// Builds everything under `target/site`, ready for the server to serve.
pub fn build() -> Result<PathBuf> {
    let root = paths::workspace_root();
    tools::ensure_npm(&root)?;
    let wasm_bindgen = tools::ensure_wasm_bindgen()?;
    let toolchain = WasmToolchain::detect()?;
    let (mut cargo, extra, compiler) = toolchain.cargo()?;
    let target_dir = paths::cache_dir()?
        .join("target-wasm")
        .join(format!("rustc-{compiler}-{}", paths::checkout_key()));
    paths::prune_other_checkouts(&target_dir);

    println!("xtask: building the front end for {WASM_TARGET} (profile {WASM_PROFILE})");
    process::run(
        cargo
            .current_dir(&root)
            .args([
                "build",
                "--package",
                "frontend",
                "--lib",
                "--locked",
                "--target",
                WASM_TARGET,
                "--profile",
                WASM_PROFILE,
            ])
            .args(&extra)
            .arg("--target-dir")
            .arg(&target_dir),
    )?;
    let wasm = target_dir
        .join(WASM_TARGET)
        .join(WASM_PROFILE)
        .join("frontend.wasm");

    let site = paths::site_root();
    let pkg = site.join("pkg");
    if pkg.exists() {
        std::fs::remove_dir_all(&pkg).with_context(|| format!("cannot clear {}", pkg.display()))?;
    }
    std::fs::create_dir_all(&pkg)?;
    process::run(
        Command::new(&wasm_bindgen)
            .args([
                "--target",
                "web",
                "--no-typescript",
                "--out-name",
                OUTPUT_NAME,
                "--out-dir",
            ])
            .arg(&pkg)
            .arg(&wasm),
    )?;
    let bindgen_output = pkg.join(format!("{OUTPUT_NAME}_bg.wasm"));
    process::run(
        Command::new(tools::node_bin("wasm-opt"))
            .args([
                "-Oz",
                "--enable-bulk-memory",
                "--enable-nontrapping-float-to-int",
                "--enable-sign-ext",
                "--enable-reference-types",
                "--enable-multivalue",
                "--enable-mutable-globals",
                "-o",
            ])
            .arg(&bindgen_output)
            .arg(&bindgen_output),
    )?;
    process::run(
        Command::new(tools::node_bin("tailwindcss"))
            .current_dir(&root)
            .args(["--input", "style/main.css", "--output"])
            .arg(pkg.join(format!("{OUTPUT_NAME}.css")))
            .arg("--minify"),
    )?;
    copy_dir(&root.join("public"), &site)?;
    Ok(site)
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    for entry in std::fs::read_dir(from).with_context(|| format!("cannot read {}", from.display()))? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            std::fs::create_dir_all(&target)?;
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// Sizes of what a page with an island downloads (the wasm module and its
/// JavaScript glue, together): raw and gzip -9.
pub fn island_code_size(site: &Path) -> Result<(u64, u64)> {
    let pkg = site.join("pkg");
    let files = [
        pkg.join(format!("{OUTPUT_NAME}_bg.wasm")),
        pkg.join(format!("{OUTPUT_NAME}.js")),
    ];
    let (mut raw, mut gzip) = (0, 0);
    for file in &files {
        raw += std::fs::metadata(file)?.len();
        let compressed = process::output(
            Command::new("sh")
                .arg("-c")
                .arg(format!("gzip -9 -c '{}' | wc -c", file.display())),
        )?;
        gzip += compressed.trim().parse::<u64>().unwrap_or(0);
    }
    Ok((raw, gzip))
}
