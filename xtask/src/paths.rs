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
/// other one (a second working copy) and delete the rest, so machines that
/// clone into a new folder for every run do not fill their disk.
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
    for (_, stale) in others.into_iter().skip(1) {
        println!(
            "xtask: removing the build cache of another checkout: {}",
            stale.display()
        );
        let _ = std::fs::remove_dir_all(&stale);
    }
}
