//! Where things live: the workspace, the cache that survives between runs,
//! and the project-local (git-ignored) data directory of `cargo xtask dev`.

use std::path::PathBuf;

use anyhow::{Context, Result};

pub fn workspace_root() -> PathBuf {
    // xtask/ sits at the workspace root.
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

/// Survives between runs on the same machine; keyed by version inside.
pub fn cache_dir() -> Result<PathBuf> {
    let dir = if let Some(dir) = std::env::var_os("BIBIND_CACHE_DIR") {
        PathBuf::from(dir)
    } else if let Some(xdg) = std::env::var_os("XDG_CACHE_HOME") {
        PathBuf::from(xdg).join("bibind")
    } else {
        let home = std::env::var_os("HOME").context("neither BIBIND_CACHE_DIR nor HOME is set")?;
        PathBuf::from(home).join(".cache").join("bibind")
    };
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("cannot create the cache directory {}", dir.display()))?;
    Ok(dir)
}

/// `cargo xtask dev`'s data (database cluster, logs), kept between runs.
pub fn dev_data_dir() -> PathBuf {
    workspace_root().join(".data")
}

/// The built site (cargo-leptos' `site-root`).
pub fn site_root() -> PathBuf {
    workspace_root().join("target").join("site")
}

/// A short key of this checkout's location, for caches that must not be
/// shared between checkouts.
pub fn checkout_key() -> String {
    crate::tools::short_hash(&workspace_root().to_string_lossy())
}

/// Keyed caches of other checkouts are several GiB each: keep the newest
/// other one (a second working copy) while the disk has room for a cold
/// build beside it, and delete the rest, so machines that clone into a new
/// folder for every run do not fill their disk (a full disk kills the linker
/// with a bus error, not a clear message).
pub fn prune_other_checkouts(current: &std::path::Path) {
    let (Some(parent), Some(name)) = (current.parent(), current.file_name()) else {
        return;
    };
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    let mut others: Vec<(std::time::SystemTime, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter(|entry| entry.file_name() != name)
        .filter_map(|entry| Some((entry.metadata().ok()?.modified().ok()?, entry.path())))
        .collect();
    others.sort_by_key(|(modified, _)| std::cmp::Reverse(*modified));
    let mut others = others.into_iter().map(|(_, path)| path);
    let newest = others.next();
    others.for_each(|stale| remove_cache(&stale));
    // Measured once the older ones are gone; when `df` cannot tell, kept.
    let short = free_bytes(parent).is_some_and(|free| free < ROOM_FOR_A_COLD_BUILD);
    if let Some(newest) = newest.filter(|_| short) {
        remove_cache(&newest);
    }
}

fn remove_cache(stale: &std::path::Path) {
    println!(
        "xtask: removing the build cache of another checkout: {}",
        stale.display()
    );
    let _ = std::fs::remove_dir_all(stale);
}

/// A cold debug build with its test binary, the release server and the
/// front end, with a margin.
const ROOM_FOR_A_COLD_BUILD: u64 = 40 << 30;

/// Free bytes on the file system holding `path`, as `df` reads them.
fn free_bytes(path: &std::path::Path) -> Option<u64> {
    let output = std::process::Command::new("df")
        .args(["--output=avail", "-B1"])
        .arg(path)
        .output()
        .ok()?;
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .nth(1)?
        .trim()
        .parse()
        .ok()
}

/// A run's services' directory under the system's temporary directory:
/// `data` (a database cluster and the like, a GiB or more) and `logs`. The
/// data goes when the run ends, failed or not; that of earlier runs killed
/// before they could clean up goes when the next one starts, once their
/// process is gone. A failed run's logs stay to be read. Declare it before the services, so they stop before it drops.
pub struct RunDir {
    root: PathBuf,
}

impl RunDir {
    pub fn new(kind: &str) -> Self {
        let temp = std::env::temp_dir();
        let prefix = format!("bibind-{kind}-");
        remove_abandoned_data(&temp, &prefix);
        Self {
            root: temp.join(format!("{prefix}{}", std::process::id())),
        }
    }

    pub fn data(&self) -> PathBuf {
        self.root.join("data")
    }

    pub fn logs(&self) -> PathBuf {
        self.root.join("logs")
    }

    /// The run went well: its logs are not needed either.
    pub fn finished(self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

impl Drop for RunDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(self.data());
    }
}

fn remove_abandoned_data(temp: &std::path::Path, prefix: &str) {
    let Ok(entries) = std::fs::read_dir(temp) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|name| name.strip_prefix(prefix)) else {
            continue;
        };
        let running = PathBuf::from("/proc").join(pid).exists();
        if !running && pid.parse::<u32>().is_ok() {
            let _ = std::fs::remove_dir_all(entry.path().join("data"));
        }
    }
}
