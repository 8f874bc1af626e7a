//! `--check`: the written image inspected with umoci, unpacked, and its
//! binary run with the image's own loader and libraries.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::{ensure, Context, Result};
use serde_json::json;

use super::{
    layer::{interpreter, loaded_objects, walk},
    layout::{read_json, REF_NAME},
    WorkDir, BINARY_PATH, CA_PATH, SITE_PATH, USER_ID,
};
use crate::{process, tools};

/// Reads and unpacks OCI layouts: `check`.
const UMOCI: tools::AptTool = tools::AptTool {
    binary: "umoci",
    package: "umoci",
};

/// Inspects the image layout at `output` with umoci: its manifest and
/// history, then, unpacked as a runtime bundle, the user it runs as, the
/// command, that it has no shell, and that `bibind-server --help` runs with
/// the image's own loader and libraries and nothing of this machine's.
/// Returns what it found, to print.
pub fn check(output: &Path) -> Result<String> {
    tools::ensure_apt(&[&UMOCI])?;
    let index = read_json(&output.join("index.json"))?;
    let tag = index["manifests"][0]["annotations"][REF_NAME]
        .as_str()
        .with_context(|| format!("{}/index.json names no image ({REF_NAME})", output.display()))?;
    let image = format!("{}:{tag}", output.display());
    let stat = process::output(Command::new("umoci").args(["stat", "--image", &image]))?;
    let mut report = format!("xtask: umoci stat --image {image}\n{}", stat.trim_end());

    let work = WorkDir::beside(output, "check")?;
    let bundle = work.path.join("bundle");
    process::output(
        Command::new("umoci")
            .args(["unpack", "--rootless", "--image", &image])
            .arg(&bundle),
    )?;
    let runtime = read_json(&bundle.join("config.json"))?;
    let user = &runtime["process"]["user"];
    ensure!(
        user["uid"].as_u64() == Some(USER_ID) && user["gid"].as_u64() == Some(USER_ID),
        "the image runs as {user}, not {USER_ID}:{USER_ID}"
    );
    let arguments = &runtime["process"]["args"];
    ensure!(
        *arguments == json!([format!("/{BINARY_PATH}"), "serve"]),
        "the image runs {arguments}"
    );
    let site_variable = format!("BIBIND_SITE__ROOT=/{SITE_PATH}");
    ensure!(
        runtime["process"]["env"].as_array().is_some_and(|env| env
            .iter()
            .any(|variable| variable.as_str() == Some(&site_variable))),
        "the image does not set {site_variable}"
    );
    let rootfs = bundle.join("rootfs");
    for shell in ["bin/sh", "usr/bin/sh", "bin/bash"] {
        ensure!(
            rootfs.join(shell).symlink_metadata().is_err(),
            "the image has a shell, /{shell}"
        );
    }
    let binary = rootfs.join(BINARY_PATH);
    ensure!(binary.is_file(), "the image has no /{BINARY_PATH}");
    ensure!(
        std::fs::read_dir(rootfs.join(SITE_PATH))
            .with_context(|| format!("the image has no /{SITE_PATH}"))?
            .next()
            .is_some(),
        "/{SITE_PATH} is empty"
    );
    ensure!(rootfs.join(CA_PATH).is_file(), "the image has no /{CA_PATH}");
    report.push_str(&format!(
        "\nxtask: unpacked: runs {arguments} as {}:{}, BIBIND_SITE__ROOT=/{SITE_PATH}, no shell",
        user["uid"], user["gid"]
    ));

    let help = match interpreter(&binary)? {
        None => {
            report.push_str("\nxtask: bibind-server is static");
            process::output(Command::new(&binary).env_clear().arg("--help"))?
        }
        Some(loader) => {
            let loader = rootfs.join(loader.strip_prefix("/")?);
            // Only the image's directories: what they lack would come from
            // this machine's, which `--list` shows.
            let library_path = std::env::join_paths(library_dirs(&rootfs)?)?;
            let with_loader = |loader_options: &[&str], arguments: &[&str]| {
                let mut command = Command::new(&loader);
                command
                    .env_clear()
                    .args(loader_options)
                    .arg("--inhibit-cache")
                    .arg("--library-path")
                    .arg(&library_path)
                    .arg(&binary)
                    .args(arguments);
                command
            };
            let listing = process::output(&mut with_loader(&["--list"], &[]))?;
            let found = loaded_objects(&listing)?;
            let outside: Vec<_> = found.iter().filter(|path| !path.starts_with(&rootfs)).collect();
            ensure!(
                outside.is_empty(),
                "the image lacks libraries bibind-server loads: {outside:?}"
            );
            report.push_str("\nxtask: its shared libraries, all from the image:");
            for path in &found {
                report.push_str(&format!("\n  /{}", path.strip_prefix(&rootfs)?.display()));
            }
            process::output(&mut with_loader(&[], &["--help"]))?
        }
    };
    report.push_str(&format!(
        "\nxtask: bibind-server --help with them: exit 0 ({})",
        help.lines().next().unwrap_or_default()
    ));
    Ok(report)
}

/// The directories of `rootfs` holding shared libraries.
fn library_dirs(rootfs: &Path) -> Result<Vec<PathBuf>> {
    let mut dirs = Vec::new();
    for top in ["lib", "lib64", "usr/lib", "usr/lib64"] {
        let top = rootfs.join(top);
        if top.symlink_metadata().is_ok_and(|metadata| metadata.is_dir()) {
            dirs.extend(
                walk(&top)?
                    .iter()
                    .filter(|path| {
                        path.file_name()
                            .is_some_and(|name| name.to_string_lossy().contains(".so"))
                    })
                    .filter_map(|path| path.parent().map(Path::to_path_buf)),
            );
        }
    }
    dirs.sort();
    dirs.dedup();
    Ok(dirs)
}
