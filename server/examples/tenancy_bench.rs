//! The tenancy benchmark, run by `cargo xtask bench` against the services it
//! started, at two sizes of data: 10,000 organizations (50,000 members,
//! 1,000,000 audit events) and ten times that (100,000, 500,000,
//! 10,000,000), each in its own database of the bench's cluster, seeded by
//! `support/tenancy_seed.rs` (COPY) and kept between runs in the cache of
//! `xtask/src/bench_data.rs`, keyed by a hash of the migrations and of the
//! seed. The portal serves the larger one.
//!
//! It signs a customer in through Kratos and Hydra (printing the session
//! cookie, for the load run of their dashboard), then times through the
//! control plane, at both sizes, the admin tenant search, the audit filter
//! and the CSV export of a month (first page, and all of it), and prints
//! one table with p50, p99 and how p99 grew. A platform admin who enrolled
//! TOTP at Kratos then downloads the month's export from the portal itself
//! (streamed), and the portal's resident memory is printed before and after.
//!
//! `tenancy_bench seed <url-10k> <url-100k>` migrates and seeds the two
//! databases (what the cache runs when it is cold).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/stats.rs"]
mod stats;

#[path = "support/tenancy_seed.rs"]
mod tenancy_seed;

#[path = "support/totp.rs"]
mod totp;

#[path = "../tests/it/support/browser.rs"]
mod browser;

use std::{sync::Arc, time::Instant};

use stats::percentile;
use tenancy_seed::{Scale, AUDIT_YEAR};

use control::{
    clock::SystemClock,
    domain::{
        AdminAccess, AuditFilter, AuditPage, OfferKind, OrganizationSearch, OrganizationSort, SignedInUser,
    },
    infra::store::Db,
    Control,
};

const SMALL: Scale = Scale {
    tenants: 10_000,
    audit_events: 1_000_000,
};
const LARGE: Scale = Scale {
    tenants: 100_000,
    audit_events: 10_000_000,
};
/// Runs per case; whole exports (up to 100,000 rows each) fewer.
const ROUNDS: usize = 60;
const EXPORT_ROUNDS: usize = 10;
/// The p99 each query should keep at the larger size (printed, not asserted).
const TARGET_P99_MS: f64 = 50.0;

pub fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: `cargo xtask bench` runs this"))
}

/// One measured query.
#[derive(Clone)]
enum Query {
    Search(OrganizationSearch),
    Audit(AuditFilter),
    /// The page after the newest one (its `before` found at each size).
    AuditNextPage,
    /// A CSV export's first page only (what the portal reads before answering).
    ExportFirstPage(AuditFilter),
    /// A whole CSV export, page by page.
    Export(AuditFilter),
}

impl Query {
    fn rounds(&self) -> usize {
        match self {
            Query::Export(_) => EXPORT_ROUNDS,
            _ => ROUNDS,
        }
    }
}

/// A database of one size, and the benchmark's platform admin in it.
struct DataSet {
    control: Control,
    admin: SignedInUser,
}

impl DataSet {
    async fn open(url: &str, admin: &SignedInUser) -> Self {
        let control = Control::new(Db::connect_lazy(url, 4).unwrap(), Arc::new(SystemClock));
        sqlx::query(
            "INSERT INTO platform_admins (identity_id, email, granted_at, granted_by)
             VALUES ($1::uuid, $2, now(), 'bench') ON CONFLICT DO NOTHING",
        )
        .bind(&admin.identity_id)
        .bind(&admin.email)
        .execute(control.db().pool())
        .await
        .unwrap();
        Self {
            control,
            admin: admin.clone(),
        }
    }

    /// Runs `query` once; returns how many rows it gave.
    async fn run(&self, query: &Query) -> usize {
        let (control, admin) = (&self.control, Some(&self.admin));
        match query {
            Query::Search(search) => match control.search_organizations(admin, search).await.unwrap() {
                AdminAccess::Granted(page) => page.rows.len(),
                refused => panic!("the benchmark's admin was refused: {refused:?}"),
            },
            Query::Audit(filter) => self.audit_page(filter).await.entries.len(),
            Query::AuditNextPage => unreachable!("resolved by `resolved`"),
            Query::ExportFirstPage(filter) | Query::Export(filter) => {
                let mut export = match control.audit_export(admin, filter).await.unwrap() {
                    AdminAccess::Granted(Ok(export)) => export,
                    _ => panic!("the benchmark's export was refused"),
                };
                let mut rows = 0;
                while let Some(page) = export.next_page().await.unwrap() {
                    rows += page.len();
                    if matches!(query, Query::ExportFirstPage(_)) {
                        break;
                    }
                }
                rows
            }
        }
    }

    async fn audit_page(&self, filter: &AuditFilter) -> AuditPage {
        match self
            .control
            .platform_audit(Some(&self.admin), filter)
            .await
            .unwrap()
        {
            AdminAccess::Granted(Ok(page)) => page,
            refused => panic!("the benchmark's audit filter was refused: {refused:?}"),
        }
    }

    /// `query` with what depends on the data filled in.
    async fn resolved(&self, query: &Query) -> Query {
        match query {
            Query::AuditNextPage => Query::Audit(AuditFilter {
                before: self.audit_page(&AuditFilter::default()).await.next_before,
                ..AuditFilter::default()
            }),
            other => other.clone(),
        }
    }

    /// Times `query`: rows, then the sorted times in ms.
    async fn time(&self, query: &Query) -> (Option<usize>, Vec<f64>) {
        let query = self.resolved(query).await;
        self.run(&query).await; // warm
        let mut times = Vec::new();
        let mut rows = 0;
        for _ in 0..query.rounds() {
            let started = Instant::now();
            rows = self.run(&query).await;
            times.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        (Some(rows), times)
    }
}

/// The measured queries, by section.
fn cases() -> Vec<(&'static str, Vec<(&'static str, Query)>)> {
    let q = OrganizationSearch::default;
    let f = AuditFilter::default;
    let month = |filter: AuditFilter| AuditFilter {
        since: Some(format!("{AUDIT_YEAR}-06-01")),
        until: Some(format!("{AUDIT_YEAR}-06-30")),
        ..filter
    };
    vec![
        (
            "admin tenant search (25 per page)",
            vec![
                ("first page, by name", Query::Search(q())),
                (
                    "page 200, by name",
                    Query::Search(OrganizationSearch { page: 200, ..q() }),
                ),
                (
                    "text \"atelier 12\"",
                    Query::Search(OrganizationSearch {
                        text: Some("atelier 12".into()),
                        ..q()
                    }),
                ),
                (
                    "text, billing e-mail",
                    Query::Search(OrganizationSearch {
                        text: Some("billing777@".into()),
                        ..q()
                    }),
                ),
                (
                    "state suspended, newest first",
                    Query::Search(OrganizationSearch {
                        state: Some("suspended".into()),
                        sort: OrganizationSort::NewestFirst,
                        ..q()
                    }),
                ),
                (
                    "offer IoT, country BE",
                    Query::Search(OrganizationSearch {
                        offer: Some(OfferKind::Iot),
                        country: Some("BE".into()),
                        ..q()
                    }),
                ),
                (
                    "plan shop-business, page 3",
                    Query::Search(OrganizationSearch {
                        plan: Some("shop-business".into()),
                        page: 3,
                        ..q()
                    }),
                ),
                (
                    "country DE, by state",
                    Query::Search(OrganizationSearch {
                        country: Some("DE".into()),
                        sort: OrganizationSort::State,
                        ..q()
                    }),
                ),
            ],
        ),
        (
            "audit filter (50 per page)",
            vec![
                ("newest 50", Query::Audit(f())),
                ("next page (keyset)", Query::AuditNextPage),
                (
                    "one organization",
                    Query::Audit(AuditFilter {
                        organization: Some("tenant-00042".into()),
                        ..f()
                    }),
                ),
                (
                    "action prefix \"quota.\"",
                    Query::Audit(AuditFilter {
                        action: Some("quota.".into()),
                        ..f()
                    }),
                ),
                (
                    "actor e-mail starts with",
                    Query::Audit(AuditFilter {
                        actor: Some("m2.tenant-04242@".into()),
                        ..f()
                    }),
                ),
                (
                    "one day",
                    Query::Audit(AuditFilter {
                        since: Some(format!("{AUDIT_YEAR}-06-15")),
                        until: Some(format!("{AUDIT_YEAR}-06-15")),
                        ..f()
                    }),
                ),
                (
                    "organization + action",
                    Query::Audit(AuditFilter {
                        organization: Some("tenant-00042".into()),
                        action: Some("membership.".into()),
                        ..f()
                    }),
                ),
            ],
        ),
        (
            "CSV export of June (pages of 1,000; 100,000 rows at most)",
            vec![
                ("whole month: first page", Query::ExportFirstPage(month(f()))),
                ("whole month: all rows", Query::Export(month(f()))),
                (
                    "action prefix \"tenant.\": all rows",
                    Query::Export(month(AuditFilter {
                        action: Some("tenant.".into()),
                        ..f()
                    })),
                ),
                (
                    "one organization: all rows",
                    Query::Export(month(AuditFilter {
                        organization: Some("tenant-00042".into()),
                        ..f()
                    })),
                ),
                (
                    "actor e-mail starts with: all rows",
                    Query::Export(month(AuditFilter {
                        actor: Some("m2.tenant-04242@".into()),
                        ..f()
                    })),
                ),
            ],
        ),
    ]
}

/// An API client of `tenant-00042` made by its owner `identity`, and an
/// access token for it from Hydra (client credentials): what a script
/// sends to the API.
async fn api_token(control: &Control, identity: &str, email: &str) -> String {
    let hydra = control::identity::Hydra::new(&env("TEST_HYDRA_ADMIN_URL")).unwrap();
    let control = control.clone().with_hydra(hydra);
    let owner = control::Caller {
        identity_id: identity.to_owned(),
        email: email.to_owned(),
        email_verified: true,
        request_id: None,
        ip: None,
        token: None,
    };
    let new = control::domain::NewApiClient::parse("bench", "member", &["organizations:read".to_owned()], "")
        .unwrap();
    let created = control
        .create_api_client(&owner, "tenant-00042", &new)
        .await
        .unwrap()
        .expect("the owner makes an API client");
    let answer: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/oauth2/token", env("TEST_HYDRA_PUBLIC_URL")))
        .basic_auth(&created.client.client_id, Some(&created.client_secret))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "organizations:read"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["access_token"]
        .as_str()
        .expect("an access token")
        .to_owned()
}

/// A customer owning `tenant-00042`, signed in; returns the session cookie
/// and an API token of the organization.
async fn signed_in_customer(control: &Control, portal: &str) -> (String, String) {
    let email = browser::unique_email("bench");
    let identity = browser::create_identity(&email, browser::PASSWORD).await;
    sqlx::query(
        "INSERT INTO memberships (organization_id, identity_id, email, role, created_at)
         SELECT id, $1::uuid, $2, 'owner', now() FROM organizations WHERE slug = 'tenant-00042'",
    )
    .bind(&identity)
    .bind(&email)
    .execute(control.db().pool())
    .await
    .unwrap();
    let person = browser::Browser::new(portal);
    person.sign_in_at_kratos(&email, browser::PASSWORD).await;
    person.follow(&format!("{portal}/auth/signin")).await;
    let page = person.follow(&format!("{portal}/orgs/tenant-00042")).await;
    assert!(
        page.status.is_success() && page.body.contains("tenant-00042"),
        "the dashboard did not render: {}",
        page.status
    );
    // Every cookie a browser would send, Kratos' too: the portal rechecks
    // the session against Kratos every minute, as it would for a browser.
    let cookies = person.cookie_header(portal).expect("cookies for the portal");
    assert!(cookies.contains("bibind_session="), "no portal session cookie");
    (cookies, api_token(control, &identity, &email).await)
}

/// A platform admin signed in to the portal with a password and TOTP
/// (enrolled at Kratos, which raises the session to AAL2), as a browser.
async fn signed_in_admin(control: &Control, portal: &str) -> browser::Browser {
    totp::self_check();
    let email = browser::unique_email("bench-admin");
    let identity = browser::create_identity(&email, browser::PASSWORD).await;
    sqlx::query(
        "INSERT INTO platform_admins (identity_id, email, granted_at, granted_by) VALUES ($1::uuid, $2, now(), 'bench')",
    )
    .bind(&identity)
    .bind(&email)
    .execute(control.db().pool())
    .await
    .unwrap();
    let person = browser::Browser::new(portal);
    person.sign_in_at_kratos(&email, browser::PASSWORD).await;
    person.follow(&format!("{portal}/auth/signin")).await;

    let kratos = env("TEST_KRATOS_PUBLIC_URL");
    let (flow, csrf) = person.start_kratos_flow("settings").await;
    let flow_json: serde_json::Value = person
        .client
        .get(format!("{kratos}/self-service/settings/flows?id={flow}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let secret = flow_json["ui"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|node| node["attributes"]["id"] == "totp_secret_key")
        .and_then(|node| node["attributes"]["text"]["text"].as_str())
        .expect("Kratos offered no TOTP secret")
        .to_owned();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let code = totp::code(&secret, now);
    person
        .post_form(
            &format!("{kratos}/self-service/settings?flow={flow}"),
            &[
                ("csrf_token", csrf.as_str()),
                ("method", "totp"),
                ("totp_code", code.as_str()),
            ],
        )
        .await;
    let page = person.follow(&format!("{portal}/admin/audit")).await;
    assert!(
        page.status.is_success() && page.body.contains("data-audit-csv"),
        "the admin's audit page did not render after enrolling TOTP: {}",
        page.status
    );
    person
}

/// The portal's resident memory, in MiB.
fn portal_rss(pid: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.split_whitespace().next()?.parse::<f64>().ok())
        .unwrap()
        / 1024.0
}

/// The portal's memory is read each time this many more bytes of a
/// download have arrived: what it holds while it sends the file.
const SAMPLE_EVERY: usize = 256 * 1024;

/// Downloads the export of June's days `days` from the portal
/// `EXPORT_ROUNDS` times, reading the body as it streams and keeping none of it; prints
/// time to the first byte and to the last, and the portal's memory before,
/// the highest during the downloads, after the first and after the last: a
/// body held whole would show as growth by the file's size during a
/// download, and a leak as growth from one download to the next.
async fn portal_export(
    admin: &browser::Browser,
    portal: &str,
    pid: &str,
    what: &str,
    days: std::ops::RangeInclusive<u32>,
) {
    let url = format!(
        "{portal}/admin/audit.csv?since={AUDIT_YEAR}-06-{:02}&until={AUDIT_YEAR}-06-{:02}",
        days.start(),
        days.end()
    );
    let before = portal_rss(pid);
    let (mut during, mut after_first) = (before, before);
    let (mut first_byte, mut whole, mut bytes, mut lines) = (Vec::new(), Vec::new(), 0, 0);
    for round in 0..EXPORT_ROUNDS {
        let started = Instant::now();
        let mut response = admin.client.get(&url).send().await.unwrap();
        assert!(
            response.status().is_success(),
            "the export answered {}",
            response.status()
        );
        first_byte.push(started.elapsed().as_secs_f64() * 1000.0);
        (bytes, lines) = (0, 0);
        let mut next_sample = 0;
        while let Some(chunk) = response.chunk().await.unwrap() {
            if bytes >= next_sample {
                during = during.max(portal_rss(pid));
                next_sample += SAMPLE_EVERY;
            }
            bytes += chunk.len();
            lines += chunk.iter().filter(|&&b| b == b'\n').count();
        }
        whole.push(started.elapsed().as_secs_f64() * 1000.0);
        if round == 0 {
            after_first = portal_rss(pid);
        }
    }
    let after_last = portal_rss(pid);
    first_byte.sort_by(f64::total_cmp);
    whole.sort_by(f64::total_cmp);
    println!(
        "\n{what}'s export from the portal (HTTP, streamed), {EXPORT_ROUNDS} downloads of {} rows, {:.1} MiB each:",
        lines.saturating_sub(1),
        bytes as f64 / (1024.0 * 1024.0)
    );
    println!(
        "  first byte p50 {:.1} ms, p99 {:.1} ms; whole file p50 {:.0} ms, p99 {:.0} ms",
        percentile(&first_byte, 0.5),
        percentile(&first_byte, 0.99),
        percentile(&whole, 0.5),
        percentile(&whole, 0.99)
    );
    println!(
        "  portal RSS {before:.1} MiB before, at most {during:.1} MiB during the downloads (read every {} KiB \
         received), {after_first:.1} MiB after the first, {after_last:.1} MiB after the last",
        SAMPLE_EVERY / 1024
    );
}

async fn seed_both(small: &str, large: &str) {
    for (url, scale) in [(small, SMALL), (large, LARGE)] {
        Db::connect_lazy(url, 1).unwrap().migrate().await.unwrap();
        let took = tenancy_seed::seed(url, scale).await;
        println!(
            "{} organizations, {} members, {} audit events in {took}",
            scale.tenants,
            scale.tenants * tenancy_seed::MEMBERS_PER_TENANT,
            scale.audit_events
        );
    }
}

/// One row of the table: rows (blank for a section's total), p50 and p99 at
/// each size, how p99 grew, and whether it missed the target.
fn growth_row(name: &str, small: &(Option<usize>, Vec<f64>), large: &(Option<usize>, Vec<f64>)) {
    let p99 = |times: &[f64]| percentile(times, 0.99);
    let rows = |rows: Option<usize>| rows.map(|rows| rows.to_string()).unwrap_or_default();
    println!(
        "  {:<38} {:>7} {:>7.2} {:>7.2}  {:>7} {:>7.2} {:>7.2}  {:>6.1}× {}",
        name,
        rows(small.0),
        percentile(&small.1, 0.5),
        p99(&small.1),
        rows(large.0),
        percentile(&large.1, 0.5),
        p99(&large.1),
        p99(&large.1) / p99(&small.1).max(0.001),
        if p99(&large.1) <= TARGET_P99_MS {
            ""
        } else {
            "over"
        }
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [mode, small, large] = args.as_slice() {
        assert_eq!(mode, "seed", "usage: tenancy_bench [seed <url-10k> <url-100k>]");
        seed_both(small, large).await;
        return;
    }
    let admin = SignedInUser {
        identity_id: uuid::Uuid::new_v4().to_string(),
        email: "bench@example.com".into(),
        email_verified: true,
        display_name: "Bench".into(),
        assurance_level: "aal2".into(),
    };
    let small = DataSet::open(&env("BENCH_DATABASE_10K_URL"), &admin).await;
    let large = DataSet::open(&env("BENCH_DATABASE_URL"), &admin).await;
    let portal = env("BENCH_PORTAL_URL");
    let (cookie, token) = signed_in_customer(&large.control, &portal).await;
    println!("COOKIE_HEADER={cookie}");
    println!("DASHBOARD=/orgs/tenant-00042");
    println!("API_TOKEN={token}");
    println!("API_ORGANIZATION=/api/v1/organizations/tenant-00042");
    if std::env::var("BENCH_QUERIES").is_ok_and(|wanted| wanted == "0") {
        return;
    }
    let portal_admin = signed_in_admin(&large.control, &portal).await;

    println!("\n{}", env("BENCH_SEEDING"));
    println!(
        "admin queries at {} and {} organizations, through the control plane, PostgreSQL on loopback \
         ({ROUNDS} runs per case, {EXPORT_ROUNDS} per whole export; ms; target p99 ≤ {TARGET_P99_MS} ms at {}):",
        SMALL.tenants, LARGE.tenants, LARGE.tenants
    );
    println!(
        "  {:<38} {:>7} {:>7} {:>7}  {:>7} {:>7} {:>7}  {:>7}",
        "case", "rows", "p50", "p99", "rows", "p50", "p99", "p99 ×"
    );
    println!(
        "  {:<38} {:>23}  {:>23}",
        "",
        format!("at {}", SMALL.tenants),
        format!("at {}", LARGE.tenants)
    );
    for (section, queries) in cases() {
        println!("{section}");
        let (mut all_small, mut all_large) = ((None, Vec::new()), (None, Vec::new()));
        for (name, query) in &queries {
            let at_small = small.time(query).await;
            let at_large = large.time(query).await;
            growth_row(name, &at_small, &at_large);
            all_small.1.extend_from_slice(&at_small.1);
            all_large.1.extend_from_slice(&at_large.1);
        }
        all_small.1.sort_by(f64::total_cmp);
        all_large.1.sort_by(f64::total_cmp);
        growth_row("all cases", &all_small, &all_large);
    }
    // A day, then the month (about four times the rows, the export's limit):
    // what the portal holds while sending must not grow with the file.
    let pid = env("BENCH_PORTAL_PID");
    portal_export(&portal_admin, &portal, &pid, "one day of June", 15..=15).await;
    portal_export(&portal_admin, &portal, &pid, "the whole month", 1..=30).await;
}
