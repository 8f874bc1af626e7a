//! The tenancy benchmark's data, kept between `cargo xtask bench` runs.
//!
//! The bench's services live in a run directory that is deleted when the
//! run ends (`paths::RunDir`), and seeding 110,000 organizations and
//! 11,000,000 audit events takes minutes, most of them spent building the
//! audit log's indexes, which a logical dump (`pg_dump`) would rebuild on
//! every restore too. So the cache is the seeded PostgreSQL cluster itself,
//! stopped: `<cache>/bench/tenancy-<key>`, holding `bibind_bench` (100,000
//! organizations, the portal's) and `bibind_bench_10k` (10,000), both
//! migrated. A run copies it into its own data directory before the stack
//! starts (Kratos and Hydra then create their databases beside them).
//!
//! The key is a hash of every migration (name and text), of the seed
//! (`server/examples/support/tenancy_seed.rs`) and of the PostgreSQL
//! installation's binary directory (its major version): changing any of
//! them seeds again, and the older clusters are deleted.

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::Instant,
};

use anyhow::{Context, Result};

use crate::{paths, process, services, tools};

/// The databases of the two sizes, as the tenancy benchmark expects them.
pub const LARGE_DATABASE: &str = "bibind_bench";
pub const SMALL_DATABASE: &str = "bibind_bench_10k";

/// Puts the seeded cluster at `cluster` (the bench's PostgreSQL data
/// directory, not started yet): copied from the cache, or seeded there by
/// `tenancy_bench seed` and then cached. Returns a line for the report.
pub fn prepare(tenancy_bench: &Path, cluster: &Path, logs: &Path) -> Result<String> {
    let key = cache_key()?;
    let caches = paths::cache_dir()?.join("bench");
    let cached = caches.join(format!("tenancy-{key}"));
    if let Some(parent) = cluster.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::create_dir_all(logs)?;
    let started = Instant::now();
    if cached.join("PG_VERSION").exists() {
        copy_dir(&cached, cluster)?;
        return Ok(format!(
            "tenancy data: the cached cluster {} was used (copied in {:.1} s)",
            cached.display(),
            started.elapsed().as_secs_f64()
        ));
    }
    println!(
        "xtask: seeding the tenancy benchmark's data (cached afterwards in {})",
        cached.display()
    );
    let seeded = {
        let postgres =
            services::Postgres::start(cluster, process::free_port()?, &logs.join("postgres-seed.log"))?;
        postgres.ensure_database(SMALL_DATABASE)?;
        postgres.ensure_database(LARGE_DATABASE)?;
        process::output(
            Command::new(tenancy_bench)
                .arg("seed")
                .arg(postgres.url(SMALL_DATABASE))
                .arg(postgres.url(LARGE_DATABASE)),
        )?
        // Dropping `postgres` stops the cluster cleanly before it is copied.
    };
    let seconds = started.elapsed().as_secs_f64();
    // Older keys are stale: their clusters are several GiB each.
    if let Ok(entries) = std::fs::read_dir(&caches) {
        for entry in entries.filter_map(Result::ok) {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with("tenancy-") || name.starts_with("partial-") {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    std::fs::create_dir_all(&caches)?;
    // Copied under a temporary name first, so a run killed meanwhile leaves
    // no half cluster under the key.
    let partial = caches.join(format!("partial-{key}-{}", std::process::id()));
    copy_dir(cluster, &partial)?;
    std::fs::rename(&partial, &cached).context("cannot put the seeded cluster in the cache")?;
    Ok(format!(
        "tenancy data: no cached cluster for this key; seeded in {seconds:.1} s ({}), then cached in {}",
        seeded.lines().map(str::trim).collect::<Vec<_>>().join("; "),
        cached.display()
    ))
}

fn cache_key() -> Result<String> {
    let root = paths::workspace_root();
    let mut migrations: Vec<PathBuf> = std::fs::read_dir(root.join("migrations"))?
        .filter_map(|entry| Some(entry.ok()?.path()))
        .collect();
    migrations.sort();
    migrations.push(root.join("server/examples/support/tenancy_seed.rs"));
    let mut text = String::new();
    for file in &migrations {
        text.push_str(&file.file_name().unwrap_or_default().to_string_lossy());
        text.push_str(
            &std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?,
        );
    }
    text.push_str(&services::postgres_bin_dir()?.to_string_lossy());
    Ok(tools::short_hash(&text))
}

/// `cp -a` (a reflink where the file system can): keeps the owner (the
/// `postgres` user when run as root) and modes PostgreSQL checks.
fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    process::run(
        Command::new("cp")
            .args(["-a", "--reflink=auto"])
            .arg(from)
            .arg(to),
    )
}
