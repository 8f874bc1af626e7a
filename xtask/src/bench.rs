//! `cargo xtask bench`: numbers, not pass/fail. Builds the release server, a
//! bare axum hello-world and the tenancy benchmark, starts the services, and
//! measures in one run: the portal's idle RSS; the tenancy data at 10,000
//! and 100,000 tenants (5 members each, 100 audit events per tenant; seeded
//! with COPY once per change of the migrations or the seed, and cached as a
//! cluster: `bench_data.rs`) with the p50/p99 at both sizes, and their
//! growth, of the admin tenant search, the audit filter and the CSV export
//! of a month, and the portal's RSS around streaming that export; then
//! requests per second and
//! latency (wrk, one thread, 32 connections, loopback) of a signed-in
//! customer's dashboard, the landing page, the 404 page signed out and
//! signed in with the dashboard's cookie (the same shell with no data) and
//! the hello-world; the provisioning engine's overhead per step
//! and workflows per minute, of the queue alone and of complete provisioning
//! workflows on zero-latency simulated backends; and the wasm size.
//! Last, on the same portal started again with its responses and its calls
//! to Kratos and Hydra logged: the sign-in round trip hop by hop and the
//! portal's own share of it, then its RSS after 10,000 distinct sessions
//! have each loaded a dashboard (`signin_bench`).

use std::{process::Command, time::Duration};

use anyhow::{bail, Context, Result};

use crate::{
    bench_data, paths,
    process::{self, Supervised},
    services::{Ports, Profile, Stack, BROWSER_HOST},
    site, test, tools,
};

const WRK: tools::AptTool = tools::AptTool {
    binary: "wrk",
    package: "wrk",
};

/// The parts of a run; `--only` picks some (the portal and its signed-in
/// customer are always set up), to measure one change without the rest's
/// twenty minutes.
const SECTIONS: [&str; 8] = [
    "queries",
    "pages",
    "phone",
    "engine",
    "enrolment",
    "telemetry",
    "signin",
    "backups",
];

pub fn run(args: &[String]) -> Result<()> {
    let mut seconds = 10;
    let mut only: Vec<String> = SECTIONS.iter().map(|section| (*section).to_owned()).collect();
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        match (flag.as_str(), rest.next()) {
            ("--seconds", Some(value)) => {
                seconds = value.parse().context("--seconds takes a number")?;
            }
            ("--only", Some(list)) => {
                only = list.split(',').map(str::to_owned).collect();
                if let Some(unknown) = only.iter().find(|s| !SECTIONS.contains(&s.as_str())) {
                    bail!("--only takes some of {} (got {unknown})", SECTIONS.join(","));
                }
            }
            _ => bail!(
                "`cargo xtask bench` takes --seconds N and --only {} (got {})",
                SECTIONS.join(","),
                args.join(" ")
            ),
        }
    }
    let wanted = |section: &str| only.iter().any(|s| s == section);
    tools::ensure_apt(&[&WRK])?;
    let site_root = site::build()?;
    let binaries = test::build_server(
        true,
        &[
            "--example",
            "hello",
            "--example",
            "tenancy_bench",
            "--example",
            "jobs_bench",
            "--example",
            "provisioning_bench",
            "--example",
            "signin_bench",
            "--example",
            "enrolment_bench",
            "--example",
            "telemetry_bench",
            "--example",
            "backup_bench",
        ],
    )?;

    let run_dir = paths::RunDir::new("bench");
    let logs = run_dir.logs();
    // The tenancy data first: its seeded cluster (cached) becomes the stack's.
    let seeding = bench_data::prepare(
        &binaries.join("examples/tenancy_bench"),
        &run_dir.data().join("postgres"),
        &logs,
    )?;
    let stack = Stack::start(Ports::free()?, &run_dir.data(), &logs, Profile::Test)?;
    stack.postgres.ensure_database("bibind_bench")?;

    let portal_port = stack.ports.portal;
    // The API's rate limit would answer the load run 429.
    let unlimited_api = [(
        "BIBIND_RATE_LIMITS__API_PER_CLIENT_PER_MINUTE".to_owned(),
        "1000000000".to_owned(),
    )];
    let mut portal = stack.spawn_portal(
        &binaries.join("bibind-server"),
        "bibind_bench",
        &site_root,
        &unlimited_api,
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

    // Seeds the tenancy data, times the admin queries, signs a customer in.
    let tenancy = process::output(
        Command::new(binaries.join("examples/tenancy_bench"))
            .envs(test::test_env(&stack))
            .env("BENCH_DATABASE_URL", stack.postgres.url("bibind_bench"))
            .env(
                "BENCH_DATABASE_10K_URL",
                stack.postgres.url(bench_data::SMALL_DATABASE),
            )
            .env("BENCH_SEEDING", &seeding)
            .env("BENCH_QUERIES", if wanted("queries") { "1" } else { "0" })
            .env("BENCH_PORTAL_PID", portal.pid().to_string())
            .env("BENCH_PORTAL_URL", format!("http://{BROWSER_HOST}:{portal_port}")),
    )?;
    let line = |key: &str| {
        tenancy
            .lines()
            .find_map(|line| line.strip_prefix(key))
            .map(str::to_owned)
            .with_context(|| format!("the tenancy benchmark printed no {key}"))
    };
    let cookie = format!("Cookie: {}", line("COOKIE_HEADER=")?);
    let dashboard = line("DASHBOARD=")?;
    let status = process::http_status(&[
        "-H",
        &cookie,
        &format!("http://{BROWSER_HOST}:{portal_port}{dashboard}"),
    ])?;
    if status != "200" {
        bail!(
            "the signed-in dashboard answered {status}, not 200: the load run would measure something else"
        );
    }

    let duration = format!("{seconds}s");
    let mut rows = Vec::new();
    let api = (
        line("API_ORGANIZATION=")?,
        format!("Authorization: Bearer {}", line("API_TOKEN=")?),
    );
    let targets = if wanted("pages") {
        page_targets(portal_port, hello_port, &dashboard, &cookie, &api)
    } else {
        Vec::new()
    };
    for (name, url, header, expect_success) in targets {
        let mut wrk = Command::new("wrk");
        wrk.args(["-t1", "-c32", &format!("-d{duration}"), "--latency"]);
        if let Some(header) = &header {
            wrk.args(["-H", header]);
        }
        // `BENCH_PERF_DATA=prefix`: the portal's CPU profile with DWARF call
        // stacks during the dashboard's run and its shell's (the signed-in
        // 404), in `prefix.dashboard` and `prefix.shell` (`perf report -i`),
        // to see where the dashboard's own time goes (the release build has
        // no frame pointers).
        let profiled = match name {
            "customer dashboard" => Some("dashboard"),
            "404 page, signed in" => Some("shell"),
            _ => None,
        };
        let profiler = match (std::env::var("BENCH_PERF_DATA"), profiled) {
            (Ok(prefix), Some(suffix)) => Some(
                Command::new("perf")
                    .args([
                        "record",
                        "-F",
                        "499",
                        "--call-graph",
                        "dwarf,16384",
                        "-p",
                        &portal.pid().to_string(),
                        "-o",
                    ])
                    .arg(format!("{prefix}.{suffix}"))
                    .args(["--", "sleep", &seconds.to_string()])
                    .spawn()
                    .context("perf record (Debian's linux-perf)")?,
            ),
            _ => None,
        };
        let out = process::output(wrk.arg(&url))?;
        if let Some(mut profiler) = profiler {
            profiler.wait().context("perf record")?;
        }
        let result = parse_wrk(&out);
        if expect_success && result.non_success > 0 {
            bail!(
                "{name}: {} responses were not 2xx/3xx:\n{out}",
                result.non_success
            );
        }
        rows.push((name, result));
    }
    let loaded_rss = rss_kib(portal.pid())?;
    // A section left out by `--only` prints nothing.
    let measure = |section: &str, run: &dyn Fn() -> Result<String>| {
        if wanted(section) {
            run()
        } else {
            Ok(String::new())
        }
    };
    let phone = measure("phone", &|| {
        phone_speed(
            &format!("http://{BROWSER_HOST}:{portal_port}"),
            &line("COOKIE_HEADER=")?,
            &dashboard,
        )
    })?;
    // An example measuring against the stack, on the bench's database.
    let on_bench_database = |example: &str| {
        process::output(
            Command::new(binaries.join("examples").join(example))
                .envs(test::test_env(&stack))
                .env("BENCH_DATABASE_URL", stack.postgres.url("bibind_bench")),
        )
    };
    // The provisioning engine's queue, on the same database, after the load runs.
    let jobs = measure("engine", &|| on_bench_database("jobs_bench"))?;
    // A training organization's 1,000-learner CSV file: preview and confirmation.
    let enrolment = measure("enrolment", &|| on_bench_database("enrolment_bench"))?;
    // 1,000 devices publishing for a minute into the real Mosquitto, the
    // ingestion in a process of its own; then a 10,000-device list.
    let telemetry = measure("telemetry", &|| on_bench_database("telemetry_bench"))?;
    // A 1 GiB backup sealed, stored twice and read back, through the
    // stack's two versitygw servers.
    let backups = measure("backups", &|| {
        process::output(Command::new(binaries.join("examples/backup_bench")).envs(test::test_env(&stack)))
    })?;
    // Complete workflows on zero-latency simulators (and on the stack's real
    // OpenBao, Hydra, Mosquitto and Keystone); a database of its own.
    let workflows = measure("engine", &|| {
        process::output(
            Command::new(binaries.join("examples/provisioning_bench")).envs(test::test_env(&stack)),
        )
    })?;
    // The sign-in round trip and memory under many sessions, on the portal
    // started again: its responses' durations and its calls to Kratos and
    // Hydra logged (at a cost the load runs above must not pay), and the
    // sign-in limits raised for one address signing many people in.
    let signin = if wanted("signin") {
        portal.stop();
        let signin_log = logs.join("portal-signin.log");
        portal = stack.spawn_portal(
            &binaries.join("bibind-server"),
            "bibind_bench",
            &site_root,
            &[
                (
                    "RUST_LOG".into(),
                    "info,vaultrs=off,rustify=off,tower_http=debug,bibind::upstream=debug,sqlx::query=debug"
                        .into(),
                ),
                ("BIBIND_LOG__FORMAT".into(), "json".into()),
                ("BIBIND_RATE_LIMITS__LOGIN_PER_IP".into(), "1000000".into()),
                ("BIBIND_RATE_LIMITS__LOGIN_PER_ACCOUNT".into(), "1000000".into()),
            ],
            &signin_log,
        )?;
        process::output(
            Command::new(binaries.join("examples/signin_bench"))
                .envs(test::test_env(&stack))
                .env("BENCH_DATABASE_URL", stack.postgres.url("bibind_bench"))
                .env("BENCH_PORTAL_URL", format!("http://{BROWSER_HOST}:{portal_port}"))
                .env("BENCH_PORTAL_PID", portal.pid().to_string())
                .env("BENCH_PORTAL_LOG", &signin_log)
                .env("BENCH_DASHBOARD", &dashboard),
        )?
    } else {
        String::new()
    };
    let (raw, gzip) = site::island_code_size(&site_root)?;
    hello.stop();
    portal.stop();
    drop(stack);
    run_dir.finished();

    let tenancy_report: Vec<&str> = tenancy
        .lines()
        // The session cookie and the API token are credentials: never printed.
        .filter(|line| {
            !["COOKIE_HEADER=", "DASHBOARD=", "API_TOKEN=", "API_ORGANIZATION="]
                .iter()
                .any(|key| line.starts_with(key))
        })
        .collect();
    for report in [
        tenancy_report.join("\n").as_str(),
        &jobs,
        &workflows,
        &enrolment,
        &telemetry,
        &signin,
        &backups,
    ] {
        if !report.trim().is_empty() {
            println!("{}", report.trim_end());
        }
    }
    if !rows.is_empty() {
        print_pages(&duration, &rows);
    }
    println!("portal RSS: {idle_rss} KiB idle, {loaded_rss} KiB after the load");
    println!(
        "front end, on pages with an island (wasm + JS glue): {raw} bytes raw, {gzip} bytes gzip -9; none on the others"
    );
    if !phone.trim().is_empty() {
        println!("{}", phone.trim_end());
    }
    Ok(())
}

/// The load runs' table and the ratios the targets are stated in.
fn print_pages(duration: &str, rows: &[(&str, WrkResult)]) {
    println!("\nwrk -t1 -c32 -d{duration} on loopback, release build, 2 cores shared by client and server:");
    println!(
        "{:<20} {:>12} {:>10} {:>10}",
        "target", "requests/s", "p50", "p99"
    );
    for (name, result) in rows {
        println!(
            "{:<20} {:>12.0} {:>10} {:>10}",
            name, result.requests_per_second, result.p50, result.p99
        );
    }
    let rate = |index: usize| rows.get(index).map_or(0.0, |row| row.1.requests_per_second);
    println!(
        "dashboard at {:.1}% of the signed-in 404 page's rate (target ≥ 80%; {:.1}% of the signed-out one's); \
         404 page at {:.1}% of the hello-world's (target ≥ 25%); landing page at {:.1}%",
        100.0 * rate(0) / rate(3).max(1.0),
        100.0 * rate(0) / rate(2).max(1.0),
        100.0 * rate(2) / rate(4).max(1.0),
        100.0 * rate(1) / rate(4).max(1.0)
    );
    if let Some((_, api)) = rows.get(5) {
        println!(
            "API GET of the organization at {:.1}% of the dashboard's rate (target ≥ 100%), p99 {} (target ≤ 10 ms)",
            100.0 * api.requests_per_second / rate(0).max(1.0),
            api.p99
        );
    }
}

/// The landing page's and the dashboard's first paint, time to interactive
/// and JS + wasm bytes in Chromium at phone speed: `end2end/bench/phone.mjs`
/// (whose header says how it measures) prints its table.
fn phone_speed(portal_url: &str, cookie_header: &str, dashboard: &str) -> Result<String> {
    tools::ensure_apt(&[&tools::CHROMIUM])?;
    let e2e = paths::workspace_root().join("end2end");
    tools::ensure_npm(&e2e)?;
    // The cookie goes in the environment, not the arguments, which errors quote.
    process::output(
        Command::new("timeout")
            .args(["--kill-after=30s", "15m", "node", "bench/phone.mjs"])
            .current_dir(&e2e)
            .env("BIBIND_BASE_URL", portal_url)
            .env("BENCH_COOKIE_HEADER", cookie_header)
            .env("BENCH_DASHBOARD", dashboard)
            .env("CHROMIUM_PATH", tools::CHROMIUM.binary),
    )
}

/// What the load runs measure: the name, the URL, a header, and whether every
/// answer must succeed (the 404 page answers 404 by design).
fn page_targets(
    portal_port: u16,
    hello_port: u16,
    dashboard: &str,
    cookie: &str,
    (api_path, api_token): &(String, String),
) -> Vec<(&'static str, String, Option<String>, bool)> {
    vec![
        (
            "customer dashboard",
            format!("http://{BROWSER_HOST}:{portal_port}{dashboard}"),
            Some(cookie.to_owned()),
            true,
        ),
        (
            "landing page /",
            format!("http://127.0.0.1:{portal_port}/"),
            None,
            true,
        ),
        (
            "404 page",
            format!("http://127.0.0.1:{portal_port}/no-such-page"),
            None,
            false,
        ),
        // The dashboard's own shell: the same visitor, signed in, with no data.
        (
            "404 page, signed in",
            format!("http://{BROWSER_HOST}:{portal_port}/no-such-page"),
            Some(cookie.to_owned()),
            false,
        ),
        (
            "axum hello-world",
            format!("http://127.0.0.1:{hello_port}/"),
            None,
            true,
        ),
        // A script's GET of the same organization, with an API client's token.
        (
            "API GET organization",
            format!("http://127.0.0.1:{portal_port}{api_path}"),
            Some(api_token.clone()),
            true,
        ),
    ]
}

struct WrkResult {
    requests_per_second: f64,
    p50: String,
    p99: String,
    /// Responses that were not 2xx or 3xx (a signed-out dashboard would be 3xx).
    non_success: u64,
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
        non_success: field("Non-2xx or 3xx responses:").parse().unwrap_or(0),
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
