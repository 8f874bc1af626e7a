//! `cargo xtask dev` starts the whole product; `cargo xtask test` runs every
//! test. Both install what is missing (apt, pip, npm, cargo) and cache slow
//! builds by version under the cache directory (`BIBIND_CACHE_DIR`, default
//! `~/.cache/bibind`).

mod bench;
mod bench_data;
mod chart;
mod deployment;
mod dev;
#[cfg(test)]
mod docs;
mod image;
mod keystone;
mod kratos_gate;
mod kubernetes;
#[cfg(test)]
mod layering;
mod mosquitto;
mod object_storage;
mod ory;
mod paths;
mod process;
mod seed;
mod services;
mod simulators;
mod site;
mod sqlx;
mod test;
mod tools;

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <command>

commands:
  dev [--release]   start PostgreSQL, OpenBao, Mosquitto, the SMTP sink and the portal
                    (watch mode, or a release build with --release); Ctrl-C stops everything
  test [--e2e-only [FILE...]]
                    fmt, clippy, unit and integration tests against real services,
                    end-to-end tests in Chromium (--e2e-only: only those, or only the
                    files named, e.g. tests/accessibility.test.mjs)
  services          the test services on free ports until Ctrl-C; their TEST_* variables
                    in .data/test-services.env (to rerun some tests while working)
  bench [--seconds N]
                    release build: idle RSS, requests/s of the landing and 404 pages
                    against a bare axum hello-world (wrk), wasm size
  image [--output DIR] [--check]
                    release build, then the portal's container image as an OCI image
                    layout, reproducibly, without a container engine (default
                    target/image; --check: inspect it with umoci)
  deployment        with `cargo xtask services` running (its variables sourced): the
                    container image, the Helm chart (lint, kubeconform, install on
                    its cluster), the systemd unit and the Juju charm's tests
  sqlx-prepare [--check] [--database-url URL]
                    after changing a query or a migration: migrates a fresh database
                    (a private PostgreSQL, or URL's database, dropped first) and writes
                    sqlx's offline query data, .sqlx/ (--check: only says if it is stale)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("dev") => dev::run(&args[1..]),
        Some("test") => test::run(&args[1..]),
        Some("services") => test::services(),
        Some("bench") => bench::run(&args[1..]),
        Some("image") => image::run(&args[1..]),
        Some("deployment") => deployment::run(),
        Some("sqlx-prepare") => sqlx::run(&args[1..]),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(())
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("xtask: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
