//! `cargo xtask bench`: numbers, not pass/fail. Builds the release server and
//! a bare axum hello-world, starts the services, and measures in one run:
//! the portal's idle RSS, then requests per second and latency (wrk, one
//! thread, 32 connections, loopback) of the landing page, of the 404 page
//! (the same shell with no data) and of the hello-world; and the wasm size.

use std::{process::Command, time::Duration};

use anyhow::{bail, Context, Result};

use crate::{
    process::{self, Supervised},
    services::{Ports, Profile, Stack},
    site, test, tools,
};

const WRK: tools::AptTool = tools::AptTool {
    binary: "wrk",
    package: "wrk",
};

pub fn run(args: &[String]) -> Result<()> {
    let seconds = match args {
        [] => 10,
        [flag, value] if flag == "--seconds" => value.parse().context("--seconds takes a number")?,
        other => bail!(
            "`cargo xtask bench` takes only --seconds N (got {})",
            other.join(" ")
        ),
    };
    tools::ensure_apt(&[&WRK])?;
    let site_root = site::build()?;
    let binaries = test::build_server(true, &["--example", "hello"])?;

    let run_dir = std::env::temp_dir().join(format!("bibind-bench-{}", std::process::id()));
    let logs = run_dir.join("logs");
    let stack = Stack::start(Ports::free()?, &run_dir.join("data"), &logs, Profile::Test)?;
    stack.postgres.ensure_database("bibind_bench")?;

    let portal_port = stack.ports.portal;
    let mut portal = stack.spawn_portal(
        &binaries.join("bibind"),
        "bibind_bench",
        &site_root,
        &[],
        &logs.join("portal.log"),
    )?;
    let hello_port = process::free_port()?;
    let mut hello = Supervised::spawn(
        "hello-world",
        Command::new(binaries.join("examples/hello")).arg(format!("127.0.0.1:{hello_port}")),
        &logs.join("hello.log"),
    )?;
    process::wait_for_port(
        "hello-world",
        hello_port,
        Duration::from_secs(30),
        Some(&mut hello),
    )?;

    // One request so the pool is connected and the page is warm, then measure idle memory.
    process::output(Command::new("curl").args([
        "-sf",
        "-o",
        "/dev/null",
        &format!("http://127.0.0.1:{portal_port}/"),
    ]))?;
    std::thread::sleep(Duration::from_secs(1));
    let idle_rss = rss_kib(portal.pid())?;

    let duration = format!("{seconds}s");
    let mut rows = Vec::new();
    for (name, url) in [
        ("landing page /", format!("http://127.0.0.1:{portal_port}/")),
        ("404 page", format!("http://127.0.0.1:{portal_port}/no-such-page")),
        ("axum hello-world", format!("http://127.0.0.1:{hello_port}/")),
    ] {
        let out = process::output(Command::new("wrk").args([
            "-t1",
            "-c32",
            &format!("-d{duration}"),
            "--latency",
            &url,
        ]))?;
        rows.push((name, parse_wrk(&out)));
    }
    let loaded_rss = rss_kib(portal.pid())?;
    let (raw, gzip) = site::wasm_size(&site_root)?;
    hello.stop();
    portal.stop();
    drop(stack);
    let _ = std::fs::remove_dir_all(&run_dir);

    println!("\nwrk -t1 -c32 -d{duration} on loopback, release build, 2 cores shared by client and server:");
    println!(
        "{:<20} {:>12} {:>10} {:>10}",
        "target", "requests/s", "p50", "p99"
    );
    for (name, result) in &rows {
        println!(
            "{:<20} {:>12.0} {:>10} {:>10}",
            name, result.requests_per_second, result.p50, result.p99
        );
    }
    if let (Some(landing), Some(hello)) = (rows.first(), rows.get(2)) {
        println!(
            "landing page at {:.1}% of the hello-world's rate",
            100.0 * landing.1.requests_per_second / hello.1.requests_per_second.max(1.0)
        );
    }
    println!("portal RSS: {idle_rss} KiB idle, {loaded_rss} KiB after the load");
    println!("front end wasm: {raw} bytes raw, {gzip} bytes gzip -9");
    Ok(())
}

struct WrkResult {
    requests_per_second: f64,
    p50: String,
    p99: String,
}

fn parse_wrk(output: &str) -> WrkResult {
    let field = |prefix: &str| {
        output
            .lines()
            .map(str::trim)
            .find_map(|line| line.strip_prefix(prefix))
            .map(|rest| rest.trim().to_owned())
            .unwrap_or_else(|| "?".to_owned())
    };
    WrkResult {
        requests_per_second: field("Requests/sec:").parse().unwrap_or(0.0),
        p50: field("50%"),
        p99: field("99%"),
    }
}

fn rss_kib(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.split_whitespace().next()?.parse().ok())
        .context("no VmRSS in /proc status")
}
