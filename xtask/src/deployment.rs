//! The ways the portal is deployed (`deploy/README.md`), checked by
//! `cargo xtask test`: its container image (assembled from the debug build,
//! inspected with umoci), its Helm chart (`chart.rs`), its Juju charm's unit
//! tests (`deploy/charm/`, with `ops.testing`) and its systemd unit.

use std::{path::Path, process::Command};

use anyhow::Result;

use crate::{chart, image, kubernetes::Cluster, paths, process, tools};

/// `cargo xtask deployment`: the same checks against the cluster of a
/// running `cargo xtask services`, with the debug build.
pub fn run() -> Result<()> {
    let cluster = Cluster::from_env()?;
    let site = crate::site::build()?;
    let server = crate::test::build_server(false, &[])?.join("bibind-server");
    let run_dir = paths::RunDir::new("deployment");
    check(&cluster, &server, &site, &run_dir.data(), &run_dir.logs())?;
    run_dir.finished();
    Ok(())
}

pub fn check(cluster: &Cluster, server: &Path, site: &Path, work: &Path, log_dir: &Path) -> Result<()> {
    std::fs::create_dir_all(log_dir)?;
    println!("xtask: the container image, assembled from the debug build");
    let layout = work.join("image");
    // What is checked is the layout, not the debug information: a copy
    // without it (475 MB → 208) is tarred and gzipped in a few seconds.
    tools::ensure_apt(&[&tools::AptTool {
        binary: "objcopy",
        package: "binutils",
    }])?;
    std::fs::create_dir_all(work)?;
    let stripped = work.join("bibind-server");
    process::run(
        Command::new("objcopy")
            .arg("--strip-debug")
            .arg(server)
            .arg(&stripped),
    )?;
    let summary = image::assemble(&stripped, site, &layout)?;
    println!(
        "xtask: image {} ({} bytes gzip)\n{}",
        summary.manifest_digest,
        summary.layer_size,
        image::check(&layout)?
    );
    // Only the inspection needed them.
    std::fs::remove_dir_all(&layout)?;
    std::fs::remove_file(&stripped)?;

    println!("xtask: the Helm chart: lint, kubeconform, install on the test cluster");
    let helm_work = work.join("helm");
    std::fs::create_dir_all(&helm_work)?;
    println!("{}", chart::check_offline(&helm_work)?);
    println!(
        "{}",
        chart::install(cluster, &helm_work, &log_dir.join("helm-install.log"))?
    );

    println!("xtask: the systemd units (systemd-analyze verify)");
    systemd_unit(server, work)?;

    println!("xtask: the Juju charm's unit tests (ops.testing)");
    let charm = paths::workspace_root().join("deploy/charm");
    let venv = tools::ensure_venv_from(
        "the Juju charm's unit tests",
        &charm.join("requirements-test.txt"),
        "bin/pytest",
    )?;
    process::run(
        Command::new(venv.join("bin").join("python"))
            .args(["-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"])
            .current_dir(&charm),
    )
}

/// `systemd-analyze verify` of the units in `deploy/systemd/` (the server,
/// and the database backup's service and timer), their binary path pointed
/// at the one just built.
fn systemd_unit(server: &Path, work: &Path) -> Result<()> {
    tools::ensure_apt(&[&tools::AptTool {
        binary: "/usr/bin/systemd-analyze",
        package: "systemd",
    }])?;
    let dir = work.join("systemd");
    std::fs::create_dir_all(&dir)?;
    let mut copies = Vec::new();
    for entry in std::fs::read_dir(paths::workspace_root().join("deploy/systemd"))? {
        let path = entry?.path();
        let Some(name) = path.file_name() else {
            continue;
        };
        let unit = std::fs::read_to_string(&path)?;
        let copy = dir.join(name);
        std::fs::write(
            &copy,
            unit.replace("/usr/local/bin/bibind-server", &server.display().to_string()),
        )?;
        copies.push(copy);
    }
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .args(&copies)
        .output()?;
    let said = String::from_utf8_lossy(&out.stderr);
    // Only what it says of these units counts (the machine's own units may be odd).
    let about_ours: Vec<&str> = said.lines().filter(|line| line.contains("bibind-")).collect();
    if !about_ours.is_empty() {
        anyhow::bail!(
            "systemd-analyze verify refused the units:\n{}",
            about_ours.join("\n")
        );
    }
    Ok(())
}
