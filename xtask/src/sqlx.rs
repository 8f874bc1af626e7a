//! sqlx's offline query data: `.sqlx/` at the workspace root holds what
//! each `query!` macro learnt from a migrated database (its columns, their
//! types and nullability). Builds read it and never a database
//! (`SQLX_OFFLINE=true` in `.cargo/config.toml`). `cargo xtask sqlx-prepare`
//! writes it again after a query or a migration changed; `cargo xtask test`
//! fails when it is stale.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    process::Command,
    time::{Instant, SystemTime},
};

use anyhow::{bail, Context, Result};

use crate::{paths, process, services::Postgres, test::shared_target_dir, tools};

/// The database the queries are checked against, migrated afresh each time.
pub const DATABASE: &str = "bibind_sqlx";

/// `cargo xtask sqlx-prepare [--check] [--database-url URL]`: recreates and
/// migrates `URL` (by default a database on a private PostgreSQL started for
/// the occasion) and rewrites `.sqlx/` from it, or with `--check` only says
/// whether `.sqlx/` is current.
pub fn run(args: &[String]) -> Result<()> {
    let mut check = false;
    let mut database_url = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--check" => check = true,
            "--database-url" => {
                database_url = Some(args.next().context("--database-url needs a URL")?.clone());
            }
            other => bail!("`cargo xtask sqlx-prepare` does not take {other}"),
        }
    }
    let cli = ensure_cli()?;
    // The build directory the caller uses, if they chose one, so that only
    // the crates with queries are checked again.
    let target_dir = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => shared_target_dir()?,
    };
    if let Some(url) = database_url {
        return migrate_and_prepare(&cli, &url, &target_dir, check);
    }
    tools::ensure_apt(&[&tools::POSTGRES])?;
    let run_dir = paths::RunDir::new("sqlx");
    std::fs::create_dir_all(run_dir.logs())?;
    let postgres = Postgres::start(
        &run_dir.data().join("postgres"),
        process::free_port()?,
        &run_dir.logs().join("postgres.log"),
    )?;
    migrate_and_prepare(&cli, &postgres.url(DATABASE), &target_dir, check)?;
    drop(postgres);
    run_dir.finished();
    Ok(())
}

/// sqlx-cli at the version of the `sqlx` crate in Cargo.lock, built once
/// into the cache; returns its `bin` directory (`sqlx` and `cargo-sqlx`).
pub fn ensure_cli() -> Result<PathBuf> {
    let version = tools::locked_version("sqlx")?;
    let sqlx = tools::cargo_install(
        "sqlx-cli",
        &version,
        "sqlx",
        &[
            "--locked",
            "--no-default-features",
            "--features",
            "postgres,rustls",
        ],
        None,
    )?;
    Ok(sqlx
        .parent()
        .context("sqlx-cli's binary has no directory")?
        .to_path_buf())
}

/// Drops and recreates `database_url`'s database, runs the migrations in it,
/// then `cargo sqlx prepare --workspace` (with `check`, `--check`), building
/// in `target_dir`.
pub fn migrate_and_prepare(cli: &Path, database_url: &str, target_dir: &Path, check: bool) -> Result<()> {
    let started = Instant::now();
    let root = paths::workspace_root();
    let sqlx = |args: &[&str]| {
        let mut command = Command::new(cli.join("sqlx"));
        command
            .current_dir(&root)
            .args(args)
            .args(["--database-url", database_url]);
        command
    };
    process::run(&mut sqlx(&["database", "drop", "-y", "--force"]))?;
    process::run(&mut sqlx(&["database", "create"]))?;
    process::run(&mut sqlx(&["migrate", "run", "--source", "migrations"]))?;

    let path = std::env::join_paths(
        std::iter::once(cli.to_path_buf())
            .chain(std::env::var_os("PATH").iter().flat_map(std::env::split_paths)),
    )?;
    let mut prepare = Command::new("cargo");
    prepare
        .current_dir(&root)
        .args(["sqlx", "prepare", "--workspace"])
        .args(check.then_some("--check"))
        .args(["--database-url", database_url])
        // Queries in tests too; the lock file as CI has it.
        .args(["--", "--all-targets", "--locked"])
        .env("PATH", path)
        .env("CARGO_TARGET_DIR", target_dir);
    // sqlx-cli touches the sources of every crate that uses its macros so
    // that `cargo check` runs them again; their content has not changed, so
    // their times are put back after, and the next build is not a full one.
    let sources = Sources::snapshot(&root)?;
    let result = process::run(&mut prepare);
    sources.restore();
    result.with_context(|| {
        if check {
            "`.sqlx/` does not match the queries and the migrations: run `cargo xtask sqlx-prepare` \
             and commit `.sqlx/`"
        } else {
            "`cargo sqlx prepare` failed"
        }
    })?;
    println!(
        "xtask: sqlx query data {} in {:.0?}",
        if check { "checked" } else { "written to .sqlx/" },
        started.elapsed()
    );
    Ok(())
}

/// The Rust sources of the workspace with their modification times and contents.
struct Sources {
    files: BTreeMap<PathBuf, (SystemTime, Vec<u8>)>,
}

impl Sources {
    fn snapshot(root: &Path) -> Result<Self> {
        let mut files = BTreeMap::new();
        let mut dirs = vec![root.to_path_buf()];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir)
                .with_context(|| format!("cannot list {}", dir.display()))?
                .filter_map(Result::ok)
            {
                let path = entry.path();
                let name = entry.file_name();
                let Ok(kind) = entry.file_type() else {
                    continue;
                };
                if kind.is_dir() {
                    let skipped = [".git", "target", "node_modules", ".data", ".sqlx"];
                    if !skipped.iter().any(|skip| name == *skip) {
                        dirs.push(path);
                    }
                } else if path.extension().is_some_and(|ext| ext == "rs") {
                    let modified = entry.metadata()?.modified()?;
                    files.insert(path.clone(), (modified, std::fs::read(&path)?));
                }
            }
        }
        Ok(Self { files })
    }

    /// Puts back the time of each file whose content is what it was (one
    /// edited meanwhile keeps its new time, so cargo still rebuilds it).
    fn restore(self) {
        for (path, (modified, content)) in self.files {
            let unchanged = std::fs::read(&path).is_ok_and(|now| now == content);
            if unchanged {
                if let Ok(file) = std::fs::File::options().append(true).open(&path) {
                    let _ = file.set_modified(modified);
                }
            }
        }
    }
}
