//! The sign-in benchmark, run by `cargo xtask bench` against a portal it
//! started for it, whose log (JSON) holds each response's duration and each
//! call the portal made to Kratos or Hydra (`control::identity::upstream`),
//! both at debug level. Two measurements:
//!
//! - **The sign-in round trip**, `BENCH_LOGINS` times (50), one after
//!   another, after `BENCH_WARMUP` (10) sign-ins that are not counted (the
//!   portal's first requests open its database connections); each a new
//!   owner of the organization at `BENCH_DASHBOARD` (the dashboard the load
//!   runs measure) in a new browser-like client (cookies, redirects followed one
//!   by one): `/auth/signin` → Hydra → the portal's login endpoint →
//!   Kratos' login flow → its form, posted through the portal's rate
//!   limiter (which answers Hydra's login challenge on the way) → Hydra →
//!   consent → Hydra → `/auth/callback` → the dashboard. Printed: the
//!   round trip's p50/p99, and per hop the
//!   client's time, the portal's time for the request (its response event)
//!   and the part of it spent waiting on Kratos and Hydra (its upstream call
//!   events, attributed to the request they happened in: the sign-ins do not
//!   overlap). The portal's own share is the rest, summed over its hops; of
//!   it, the time its statements to PostgreSQL took (`sqlx::query` events in
//!   the request's span) is printed beside it.
//! - **Memory under `BENCH_SESSIONS` (10,000) distinct portal sessions**,
//!   each one loading the dashboard of a different organization once; the
//!   portal's RSS before and after. Each session is a real sign-in through
//!   Hydra (authorization request, login and consent challenges accepted by
//!   the portal, code redeemed, ID token verified, session created and
//!   linked to its Hydra and Kratos sessions) from a browser that already
//!   holds a Kratos session: `BENCH_PEOPLE` (100) people sign in at Kratos
//!   once, and each opens the portal from that many fresh browser profiles
//!   carrying their Kratos cookie (a person on several devices, or whose
//!   portal cookie was cleared). What the portal keeps per session does not
//!   depend on whether the Kratos session is shared; what is skipped is only
//!   Kratos' password check, which is Kratos' cost, not the portal's.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/stats.rs"]
mod stats;

#[path = "../tests/it/support/browser.rs"]
mod browser;

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use reqwest::{header, Url};
use stats::percentile;

pub fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: `cargo xtask bench` runs this"))
}

fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .map(|value| value.parse().unwrap_or_else(|_| panic!("{name} is not a number")))
        .unwrap_or(default)
}

/// Sign-ins measured at once for the memory run.
const CONCURRENT_SIGN_INS: usize = 8;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Service {
    Portal,
    Kratos,
    Hydra,
}

impl Service {
    fn name(self) -> &'static str {
        match self {
            Service::Portal => "portal",
            Service::Kratos => "kratos",
            Service::Hydra => "hydra",
        }
    }
}

struct Sites {
    portal: String,
    /// Where Hydra and Kratos send browsers to the portal (the portal of
    /// `cargo xtask services`, which they were configured with): the same as
    /// `portal` in `cargo xtask bench`, rewritten to it otherwise.
    public_portal: String,
    kratos: String,
    hydra: String,
}

impl Sites {
    fn rewrite(&self, url: String) -> String {
        match url.strip_prefix(&self.public_portal) {
            Some(rest) => format!("{}{rest}", self.portal),
            None => url,
        }
    }

    fn of(&self, url: &str) -> Service {
        let at = |base: &str| {
            let base = base.trim_end_matches('/');
            url == base || url.starts_with(&format!("{base}/"))
        };
        if at(&self.portal) {
            Service::Portal
        } else if at(&self.kratos) {
            Service::Kratos
        } else if at(&self.hydra) {
            Service::Hydra
        } else {
            panic!("a sign-in went to {url}, neither the portal, Kratos nor Hydra")
        }
    }
}

/// One request of a sign-in, as the client saw it.
struct Hop {
    label: String,
    service: Service,
    millis: f64,
    /// The `x-request-id` the client sent (the portal logs it): portal hops only.
    request_id: Option<String>,
}

/// `GET portal /auth/login?login_challenge`: the method, the service, the
/// path and the query parameter that tells the hops apart.
fn label(method: &str, service: Service, url: &str) -> String {
    let parsed = Url::parse(url).unwrap();
    const MARKERS: [&str; 7] = [
        "login_challenge",
        "login_verifier",
        "consent_challenge",
        "consent_verifier",
        "flow",
        "code",
        "return_to",
    ];
    let marker = parsed
        .query_pairs()
        .map(|(name, _)| name.into_owned())
        .find(|name| MARKERS.contains(&name.as_str()))
        .map(|name| format!("?{name}"))
        .unwrap_or_default();
    format!("{method} {} {}{marker}", service.name(), parsed.path())
}

/// Signs `email` in from a browser with no cookie, starting at the portal's
/// `/auth/signin` and ending on the dashboard of `slug`; every request timed
/// and sent with a request id named after `run` and `login`.
async fn timed_sign_in(sites: &Sites, email: &str, slug: &str, run: &str, login: usize) -> (f64, Vec<Hop>) {
    let portal = &sites.portal;
    let person = browser::Browser::new(portal);
    let dashboard = format!("/orgs/{slug}");
    let mut url = format!("{portal}/auth/signin?return_to={dashboard}");
    let mut form: Option<Vec<(&str, String)>> = None;
    let mut hops = Vec::new();
    let started = Instant::now();
    loop {
        assert!(hops.len() < 30, "a sign-in went round in circles, last at {url}");
        let service = sites.of(&url);
        let request_id = (service == Service::Portal).then(|| format!("bench-{run}-{login}-{}", hops.len()));
        let (method, mut request) = match form.take() {
            Some(fields) => (
                "POST",
                person
                    .client
                    .post(&url)
                    .header(header::ORIGIN, sites.public_portal.as_str())
                    .header("sec-fetch-site", "same-origin")
                    .form(&fields),
            ),
            None => ("GET", person.client.get(&url)),
        };
        request = request.header(header::ACCEPT, "text/html");
        if let Some(id) = &request_id {
            request = request.header("x-request-id", id.as_str());
        }
        let hop_started = Instant::now();
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let status = response.status();
        let location = response
            .headers()
            .get(header::LOCATION)
            .map(|value| value.to_str().unwrap().to_owned());
        let body = response.text().await.unwrap();
        hops.push(Hop {
            label: label(method, service, &url),
            service,
            millis: hop_started.elapsed().as_secs_f64() * 1000.0,
            request_id,
        });
        if status.is_redirection() {
            let location = location.unwrap_or_else(|| panic!("{status} without a Location at {url}"));
            url = sites.rewrite(Url::parse(&url).unwrap().join(&location).unwrap().to_string());
            continue;
        }
        assert!(status.is_success(), "{method} {url} answered {status}");
        let path = Url::parse(&url).unwrap();
        if path.path() == "/auth/login" && service == Service::Portal {
            // Kratos' login form, as the portal renders it: posted through
            // the portal's rate limiter, as a browser would.
            let flow = path
                .query_pairs()
                .find(|(name, _)| name == "flow")
                .map(|(_, value)| value.into_owned())
                .unwrap_or_else(|| panic!("the login page at {url} has no flow"));
            form = Some(vec![
                ("identifier", email.to_owned()),
                ("password", browser::PASSWORD.to_owned()),
                ("method", "password".to_owned()),
                ("csrf_token", browser::csrf_token_in(&body)),
            ]);
            url = format!("{portal}/auth/submit/login?flow={flow}");
            continue;
        }
        assert!(
            path.path() == dashboard && body.contains(slug),
            "the sign-in ended at {url}, not on the dashboard"
        );
        break;
    }
    (started.elapsed().as_secs_f64() * 1000.0, hops)
}

/// What the portal's log says of one request.
#[derive(Clone, Copy, Default)]
struct ServerSide {
    /// Until the response's head (the page is rendered whole before it).
    millis: f64,
    /// Spent waiting on Kratos and Hydra meanwhile: the time covered by
    /// its calls, once where calls overlap.
    upstream_millis: f64,
    /// Spent in its statements to PostgreSQL (part of the portal's own share).
    database_millis: f64,
}

/// The portal's requests by request id, each with the upstream calls logged
/// since the previous response (requests do not overlap while sign-ins are
/// timed, so those calls are its own) and the statements logged in its span.
fn server_side(log: &str) -> HashMap<String, ServerSide> {
    let mut requests = HashMap::new();
    let mut upstream_calls = Vec::new();
    let mut database_millis: HashMap<String, f64> = HashMap::new();
    for line in log.lines() {
        let Ok(event) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if event["target"] == control::identity::upstream::TARGET {
            upstream_calls.push(call_interval(&event));
        } else if event["target"] == "sqlx::query" {
            // The engine's and the listeners' statements have no request.
            if let Some(id) = request_of(&event) {
                *database_millis.entry(id.to_owned()).or_default() +=
                    event["elapsed_secs"].as_f64().unwrap_or(0.0) * 1000.0;
            }
        } else if event["message"] == "finished processing request" {
            let latency = event["latency"].as_str().unwrap_or_default();
            let micros: f64 = latency
                .strip_suffix(" μs")
                .and_then(|number| number.parse().ok())
                .unwrap_or_else(|| panic!("a response's latency is not in microseconds: {latency:?}"));
            if let Some(id) = event["span"]["request_id"].as_str() {
                requests.insert(
                    id.to_owned(),
                    ServerSide {
                        millis: micros / 1000.0,
                        upstream_millis: covered_millis(&mut upstream_calls),
                        database_millis: database_millis.remove(id).unwrap_or(0.0),
                    },
                );
            }
            upstream_calls.clear();
        }
    }
    requests
}

/// When an upstream call started and ended, in seconds since the epoch: its
/// event is logged as it ends, with its duration.
fn call_interval(event: &serde_json::Value) -> (f64, f64) {
    let logged = event["timestamp"].as_str().unwrap_or_default();
    let ended = time::OffsetDateTime::parse(logged, &time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|error| panic!("an event's timestamp is not RFC 3339 ({logged:?}): {error}"));
    let ended = ended.unix_timestamp_nanos() as f64 / 1e9;
    let seconds = event["micros"].as_f64().unwrap_or(0.0) / 1e6;
    (ended - seconds, ended)
}

/// The time `intervals` cover together, in milliseconds: calls made at the
/// same time (`join!`) are waited for once, not once each.
fn covered_millis(intervals: &mut [(f64, f64)]) -> f64 {
    intervals.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut covered = 0.0;
    let mut reached = f64::NEG_INFINITY;
    for &(start, end) in intervals.iter() {
        if end > reached {
            covered += end - start.max(reached);
            reached = end;
        }
    }
    covered * 1000.0
}

/// The request an event was logged in: the outermost span with a request id.
fn request_of(event: &serde_json::Value) -> Option<&str> {
    event["spans"]
        .as_array()?
        .iter()
        .find_map(|span| span["request_id"].as_str())
}

fn p50_p99(values: &mut [f64]) -> (f64, f64) {
    values.sort_by(f64::total_cmp);
    (percentile(values, 0.5), percentile(values, 0.99))
}

/// A new person with a password, owner of `slug` (as after accepting an
/// invitation); returns their address.
async fn new_member(pool: &sqlx::PgPool, name: &str, slugs: &[String]) -> String {
    let email = browser::unique_email(name);
    let identity = browser::create_identity(&email, browser::PASSWORD).await;
    sqlx::query(
        "INSERT INTO memberships (organization_id, identity_id, email, role, created_at)
         SELECT id, $1::uuid, $2, 'owner', now() FROM organizations WHERE slug = ANY($3)",
    )
    .bind(&identity)
    .bind(&email)
    .bind(slugs)
    .execute(pool)
    .await
    .unwrap();
    email
}

async fn login_round_trips(
    pool: &sqlx::PgPool,
    sites: &Sites,
    log_path: &str,
    slug: &str,
    (warm_up, logins): (usize, usize),
) {
    // A portal that has been serving a while: its pool's connections open,
    // their statements prepared, the database's pages in memory. The first
    // sign-ins after a start pay for that, and are not counted.
    for login in 0..warm_up {
        let email = new_member(pool, "warmup", &[slug.to_owned()]).await;
        timed_sign_in(sites, &email, slug, "warmup", login).await;
    }
    let mut round_trips = Vec::new();
    let mut sign_ins = Vec::new();
    for login in 0..logins {
        let email = new_member(pool, "signin", &[slug.to_owned()]).await;
        let (millis, hops) = timed_sign_in(sites, &email, slug, "signin", login).await;
        round_trips.push(millis);
        sign_ins.push(hops);
    }
    // The last response's event is written as the response leaves.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let server = server_side(&std::fs::read_to_string(log_path).unwrap());

    // Hops by position: every sign-in takes the same route.
    let route: Vec<&str> = sign_ins[0].iter().map(|hop| hop.label.as_str()).collect();
    for hops in &sign_ins {
        let labels: Vec<&str> = hops.iter().map(|hop| hop.label.as_str()).collect();
        assert_eq!(labels, route, "the sign-ins did not all take the same route");
    }
    let mut own_per_sign_in = vec![0.0; sign_ins.len()];
    let mut rows = Vec::new();
    for (position, label) in route.iter().enumerate() {
        let mut client = Vec::new();
        let mut server_times = Vec::new();
        let mut upstream = Vec::new();
        let mut database = Vec::new();
        let mut own = Vec::new();
        for (login, hops) in sign_ins.iter().enumerate() {
            let hop = &hops[position];
            client.push(hop.millis);
            if let Some(id) = &hop.request_id {
                let logged = server
                    .get(id)
                    .unwrap_or_else(|| panic!("the portal's log has no response for request {id}"));
                server_times.push(logged.millis);
                upstream.push(logged.upstream_millis);
                database.push(logged.database_millis);
                let mine = (logged.millis - logged.upstream_millis).max(0.0);
                own.push(mine);
                own_per_sign_in[login] += mine;
            }
        }
        let portal = sign_ins[0][position].service == Service::Portal;
        rows.push((
            *label,
            p50_p99(&mut client).0,
            portal.then(|| p50_p99(&mut server_times).0),
            portal.then(|| p50_p99(&mut upstream).0),
            portal.then(|| p50_p99(&mut database).0),
            portal.then(|| p50_p99(&mut own)),
        ));
    }
    let (round_p50, round_p99) = p50_p99(&mut round_trips);
    let (own_p50, own_p99) = p50_p99(&mut own_per_sign_in);
    println!(
        "\nsign-in round trip ({logins} sign-ins one after another, after {warm_up} not counted, each \
         a new person in a new browser-like client, {} requests from /auth/signin to the dashboard):",
        route.len()
    );
    println!("round trip: p50 {round_p50:.1} ms, p99 {round_p99:.1} ms");
    println!(
        "the portal's own share (its time, less its calls to Kratos and Hydra, over its hops): \
         p50 {own_p50:.2} ms, p99 {own_p99:.2} ms (target: p50 <= 5 ms)"
    );
    println!(
        "{:<46} {:>9} {:>9} {:>12} {:>9} {:>9} {:>14}",
        "hop (p50, ms)", "client", "portal", "kratos+hydra", "own", "own p99", "own: database"
    );
    let dash = |value: Option<f64>| value.map_or_else(|| "-".to_owned(), |v| format!("{v:.2}"));
    for (label, client, server_time, upstream, database, own) in rows {
        println!(
            "{:<46} {:>9.2} {:>9} {:>12} {:>9} {:>9} {:>14}",
            label,
            client,
            dash(server_time),
            dash(upstream),
            dash(own.map(|(p50, _)| p50)),
            dash(own.map(|(_, p99)| p99)),
            dash(database),
        );
    }
}

fn rss_kib(pid: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.split_whitespace().next()?.parse().ok())
        .expect("VmRSS in the portal's /proc status")
}

/// The cookies `person`'s browser sends to the portal, as `Set-Cookie`
/// values another browser profile can take.
fn portable_cookies(person: &browser::Browser, portal: &str) -> Vec<String> {
    person
        .cookie_header(portal)
        .expect("a Kratos session cookie")
        .split("; ")
        .map(|pair| format!("{pair}; Path=/"))
        .collect()
}

async fn many_sessions(pool: &sqlx::PgPool, sites: &Sites, pid: &str, sessions: usize, people: usize) {
    let slugs: Vec<String> =
        sqlx::query_scalar("SELECT slug FROM organizations WHERE state = 'active' ORDER BY slug LIMIT $1")
            .bind(i64::try_from(sessions).unwrap())
            .fetch_all(pool)
            .await
            .unwrap();
    assert!(!slugs.is_empty(), "no organization to open");
    let per_person = sessions.div_ceil(people);
    let slug_of = |session: usize| slugs[session % slugs.len()].clone();
    let mut profiles = Vec::new();
    for person in 0..people {
        let theirs: Vec<String> = (person * per_person..((person + 1) * per_person).min(sessions))
            .map(slug_of)
            .collect();
        let email = new_member(pool, "sessions", &theirs).await;
        let browser = browser::Browser::new(&sites.portal);
        browser.sign_in_at_kratos(&email, browser::PASSWORD).await;
        profiles.push(portable_cookies(&browser, &sites.portal));
    }
    let before = rss_kib(pid);
    let started = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let retried = Arc::new(AtomicUsize::new(0));
    let profiles = Arc::new(profiles);
    let slugs = Arc::new(slugs);
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..CONCURRENT_SIGN_INS {
        let (next, retried, profiles, slugs, portal) = (
            next.clone(),
            retried.clone(),
            profiles.clone(),
            slugs.clone(),
            sites.portal.clone(),
        );
        workers.spawn(async move {
            loop {
                let session = next.fetch_add(1, Ordering::Relaxed);
                if session >= sessions {
                    return;
                }
                let slug = &slugs[session % slugs.len()];
                // A sign-in the services fail now and then (a connection
                // refused or reset under this load) is started again in a
                // new profile, so that one blip does not end the whole bench.
                let mut attempts = 0;
                loop {
                    attempts += 1;
                    let profile = browser::Browser::new(&portal);
                    for cookie in &profiles[session / per_person] {
                        profile.add_cookie(&portal, cookie);
                    }
                    let ended = match profile
                        .try_walk(&format!("{portal}/auth/signin?return_to=/orgs/{slug}"), |_| false)
                        .await
                    {
                        Ok(page)
                            if page.status.is_success()
                                && page.url.ends_with(&format!("/orgs/{slug}"))
                                && profile.cookie(&portal, "bibind_session").is_some() =>
                        {
                            break;
                        }
                        Ok(page) => format!("at {} ({})", page.url, page.status),
                        Err(error) => error,
                    };
                    retried.fetch_add(1, Ordering::Relaxed);
                    assert!(
                        attempts < 3,
                        "session {session} ended {ended}, not on its dashboard, three times"
                    );
                }
            }
        });
    }
    while let Some(done) = workers.join_next().await {
        done.unwrap();
    }
    let seconds = started.elapsed().as_secs_f64();
    let after = rss_kib(pid);
    println!(
        "\n{sessions} distinct signed-in portal sessions ({people} people; each session signed in \
         through Hydra, {CONCURRENT_SIGN_INS} at a time, and loaded one dashboard, of {} \
         organizations): {seconds:.0} s, {:.0} sign-ins/s, {} started again after a failure",
        slugs.len().min(sessions),
        sessions as f64 / seconds,
        retried.load(Ordering::Relaxed)
    );
    println!(
        "portal RSS after them: {:.1} MiB (target <= 150 MB); {:.1} MiB before, {:.1} KiB more per session",
        after as f64 / 1024.0,
        before as f64 / 1024.0,
        after.saturating_sub(before) as f64 / sessions as f64
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let pool = sqlx::PgPool::connect(&env("BENCH_DATABASE_URL")).await.unwrap();
    let sites = Sites {
        portal: env("BENCH_PORTAL_URL"),
        public_portal: format!("http://localhost:{}", env("TEST_PORTAL_PORT")),
        kratos: env("TEST_KRATOS_GATE_URL"),
        hydra: env("TEST_HYDRA_PUBLIC_URL"),
    };
    // The organization whose dashboard the load runs measure, whatever other
    // sections left in the database (the enrolment bench's organizations,
    // each with 1,000 open invitations, sort first by slug).
    let dashboard = env("BENCH_DASHBOARD");
    let slug = dashboard
        .strip_prefix("/orgs/")
        .expect("BENCH_DASHBOARD names an organization's page");
    login_round_trips(
        &pool,
        &sites,
        &env("BENCH_PORTAL_LOG"),
        slug,
        (env_count("BENCH_WARMUP", 10), env_count("BENCH_LOGINS", 50)),
    )
    .await;
    many_sessions(
        &pool,
        &sites,
        &env("BENCH_PORTAL_PID"),
        env_count("BENCH_SESSIONS", 10_000),
        env_count("BENCH_PEOPLE", 100),
    )
    .await;
}
