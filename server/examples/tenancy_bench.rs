//! The tenancy benchmark's data and measurements, run by `cargo xtask bench`
//! against the services it started: seeds 10,000 tenants, 50,000 members and
//! 1,000,000 audit events into the portal's database, signs a customer in
//! through Kratos and Hydra (printing the session cookie, for the load run of
//! their dashboard), then times the admin tenant search and the audit filter
//! through the control plane and prints their p50 and p99.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/stats.rs"]
mod stats;

#[path = "../tests/it/support/browser.rs"]
mod browser;

use std::{sync::Arc, time::Instant};

use stats::percentile;

use control::{
    clock::SystemClock,
    domain::{
        AdminAccess, AuditFilter, AuditPage, OfferKind, OrganizationSearch, OrganizationSort, SignedInUser,
    },
    infra::store::Db,
    Control,
};

const TENANTS: i64 = 10_000;
const MEMBERS_PER_TENANT: i64 = 5;
const AUDIT_EVENTS: i64 = 1_000_000;
const ROUNDS: usize = 60;

pub fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: `cargo xtask bench` runs this"))
}

async fn seed(control: &Control) {
    let pool = control.db().pool();
    let (existing,): (i64,) = sqlx::query_as("SELECT count(*) FROM organizations")
        .fetch_one(pool)
        .await
        .unwrap();
    if existing >= TENANTS {
        return;
    }
    let started = Instant::now();
    let statements = [
        format!(
            "INSERT INTO organizations (id, slug, name, country, billing_email, state, created_at, updated_at)
             SELECT gen_random_uuid(), 'tenant-' || lpad(i::text, 5, '0'),
                    (ARRAY['Boutique','Atelier','Academie','Usine','Ferme','Cabinet','Studio'])[1 + i % 7] || ' ' || i,
                    (ARRAY['FR','BE','CH','LU','DE','ES','IT'])[1 + i % 7],
                    'billing' || i || '@example.com',
                    CASE WHEN i % 50 = 0 THEN 'suspended' WHEN i % 97 = 0 THEN 'pending_approval' ELSE 'active' END,
                    now() - (i || ' minutes')::interval, now()
               FROM generate_series(1, {TENANTS}) i"
        ),
        format!(
            "INSERT INTO memberships (organization_id, identity_id, email, role, created_at)
             SELECT o.id, gen_random_uuid(), 'm' || n || '.' || o.slug || '@example.com',
                    (ARRAY['owner','admin','member','member','learner'])[n], now()
               FROM organizations o, generate_series(1, {MEMBERS_PER_TENANT}) n"
        ),
        "INSERT INTO subscriptions (id, organization_id, offer_kind, plan_id, state, created_at, updated_at)
         SELECT gen_random_uuid(), o.id, p.offer_kind, p.id, 'active', now(), now()
           FROM organizations o
           JOIN LATERAL (SELECT id, offer_kind FROM plans WHERE NOT requires_approval
                          ORDER BY code OFFSET abs(hashtext(o.slug)) % 6 LIMIT 1) p ON true"
            .to_owned(),
        format!(
            "WITH tenants AS (SELECT array_agg(id ORDER BY slug) AS ids, array_agg(slug ORDER BY slug) AS slugs FROM organizations)
             INSERT INTO audit_events (at, actor, actor_email, organization_id, action, target, before, after, request_id, ip)
             SELECT now() - (({AUDIT_EVENTS} - i) || ' seconds')::interval, 'seed',
                    'm' || (1 + i % 5) || '.' || t.slugs[1 + i % {TENANTS}] || '@example.com',
                    t.ids[1 + i % {TENANTS}],
                    (ARRAY['membership.join','membership.role_change','invitation.create','subscription.create',
                           'subscription.change_plan','quota.override','tenant.suspend','tenant.resume'])[1 + i % 8],
                    'member:m' || (1 + i % 5), '{{\"role\": \"member\"}}'::jsonb, '{{\"role\": \"admin\"}}'::jsonb,
                    'req-' || i, '192.0.2.1'::inet
               FROM generate_series(1, {AUDIT_EVENTS}) i, tenants t"
        ),
        "ANALYZE".to_owned(),
    ];
    for statement in statements {
        sqlx::query(&statement).execute(pool).await.unwrap();
    }
    println!(
        "seeded {TENANTS} tenants, {} members, {AUDIT_EVENTS} audit events in {:.1} s",
        TENANTS * MEMBERS_PER_TENANT,
        started.elapsed().as_secs_f64()
    );
}

/// A customer owning `tenant-00042`, signed in; returns the session cookie.
async fn signed_in_customer(control: &Control, portal: &str) -> String {
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
    cookies
}

/// Runs each case `ROUNDS` times; prints per case and overall p50/p99 (ms).
async fn measure<F, Fut>(title: &str, cases: &[(&str, F)])
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = usize>,
{
    println!("\n{title} ({ROUNDS} runs per case, through the control plane, PostgreSQL on loopback):");
    println!("{:<44} {:>8} {:>9} {:>9}", "case", "rows", "p50 ms", "p99 ms");
    let mut all = Vec::new();
    for (name, case) in cases {
        let mut times = Vec::with_capacity(ROUNDS);
        let mut rows = 0;
        for _ in 0..ROUNDS {
            let started = Instant::now();
            rows = case().await;
            times.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "{:<44} {:>8} {:>9.2} {:>9.2}",
            name,
            rows,
            percentile(&times, 0.5),
            percentile(&times, 0.99)
        );
        all.extend(times);
    }
    all.sort_by(f64::total_cmp);
    println!(
        "{:<44} {:>8} {:>9.2} {:>9.2}",
        "all cases",
        "",
        percentile(&all, 0.5),
        percentile(&all, 0.99)
    );
}

type Case<'a> = (
    &'a str,
    Box<dyn Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = usize> + 'a>> + 'a>,
);

/// A case timing `measure` on a fresh copy of `query` at each run.
fn case<'a, Q, F, Fut>(name: &'a str, query: Q, measure: F) -> Case<'a>
where
    Q: Clone + 'a,
    F: Fn(Q) -> Fut + 'a,
    Fut: std::future::Future<Output = usize> + 'a,
{
    (name, Box::new(move || Box::pin(measure(query.clone()))))
}

/// The measured cases, each run as the benchmark's platform admin.
#[derive(Clone, Copy)]
struct AdminCases<'a> {
    control: &'a Control,
    admin: &'a SignedInUser,
}

impl<'a> AdminCases<'a> {
    fn search(self, name: &'a str, query: OrganizationSearch) -> Case<'a> {
        case(name, query, move |query| async move {
            match self
                .control
                .search_organizations(Some(self.admin), &query)
                .await
                .unwrap()
            {
                AdminAccess::Granted(page) => page.rows.len(),
                refused => panic!("the benchmark's admin was refused: {refused:?}"),
            }
        })
    }

    fn audit(self, name: &'a str, filter: AuditFilter) -> Case<'a> {
        case(name, filter, move |filter| async move {
            audit_page(self.control, self.admin, &filter).await.entries.len()
        })
    }
}

async fn audit_page(control: &Control, admin: &SignedInUser, filter: &AuditFilter) -> AuditPage {
    match control.platform_audit(Some(admin), filter).await.unwrap() {
        AdminAccess::Granted(Ok(page)) => page,
        refused => panic!("the benchmark's audit filter was refused: {refused:?}"),
    }
}

/// A platform admin at AAL2, as the admin pages' gate wants one.
async fn platform_admin(control: &Control) -> SignedInUser {
    let id = uuid::Uuid::new_v4();
    sqlx::query("INSERT INTO platform_admins (identity_id, email, granted_at, granted_by) VALUES ($1, 'bench@example.com', now(), 'bench')")
        .bind(id)
        .execute(control.db().pool())
        .await
        .unwrap();
    SignedInUser {
        identity_id: id.to_string(),
        email: "bench@example.com".into(),
        email_verified: true,
        display_name: "Bench".into(),
        assurance_level: "aal2".into(),
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let db = Db::connect_lazy(&env("BENCH_DATABASE_URL"), 4).unwrap();
    let control = Control::new(db, Arc::new(SystemClock));
    seed(&control).await;
    let portal = env("BENCH_PORTAL_URL");
    let cookie = signed_in_customer(&control, &portal).await;
    println!("COOKIE_HEADER={cookie}");
    println!("DASHBOARD=/orgs/tenant-00042");

    let admin = platform_admin(&control).await;
    let cases = AdminCases {
        control: &control,
        admin: &admin,
    };
    let q = OrganizationSearch::default;
    let searches = [
        cases.search("first page, by name", OrganizationSearch { page: 1, ..q() }),
        cases.search(
            "page 200 of 400, by name",
            OrganizationSearch { page: 200, ..q() },
        ),
        cases.search(
            "text \"atelier 12\"",
            OrganizationSearch {
                text: Some("atelier 12".into()),
                ..q()
            },
        ),
        cases.search(
            "text, billing e-mail",
            OrganizationSearch {
                text: Some("billing777@".into()),
                ..q()
            },
        ),
        cases.search(
            "state suspended, newest first",
            OrganizationSearch {
                state: Some("suspended".into()),
                sort: OrganizationSort::NewestFirst,
                ..q()
            },
        ),
        cases.search(
            "offer IoT, country BE",
            OrganizationSearch {
                offer: Some(OfferKind::Iot),
                country: Some("BE".into()),
                ..q()
            },
        ),
        cases.search(
            "plan shop-business, page 3",
            OrganizationSearch {
                plan: Some("shop-business".into()),
                page: 3,
                ..q()
            },
        ),
        cases.search(
            "country DE, by state",
            OrganizationSearch {
                country: Some("DE".into()),
                sort: OrganizationSort::State,
                ..q()
            },
        ),
    ];
    measure("admin tenant search (10,000 tenants, 25 per page)", &searches).await;

    let first_page = audit_page(&control, &admin, &AuditFilter::default()).await;
    let f = AuditFilter::default;
    let audits = [
        cases.audit("newest 50", f()),
        cases.audit(
            "next page (keyset)",
            AuditFilter {
                before: first_page.next_before,
                ..f()
            },
        ),
        cases.audit(
            "one organization",
            AuditFilter {
                organization: Some("tenant-00042".into()),
                ..f()
            },
        ),
        cases.audit(
            "action prefix \"quota.\"",
            AuditFilter {
                action: Some("quota.".into()),
                ..f()
            },
        ),
        cases.audit(
            "actor e-mail starts with",
            AuditFilter {
                actor: Some("m2.tenant-04242@".into()),
                ..f()
            },
        ),
        cases.audit(
            "one day, 3 days ago",
            AuditFilter {
                since: Some(day(3)),
                until: Some(day(3)),
                ..f()
            },
        ),
        cases.audit(
            "organization + action",
            AuditFilter {
                organization: Some("tenant-00042".into()),
                action: Some("membership.".into()),
                ..f()
            },
        ),
    ];
    measure("audit filter (1,000,000 events, 50 per page)", &audits).await;
}

/// `YYYY-MM-DD`, `days_ago` days before today (UTC).
fn day(days_ago: i64) -> String {
    let date = (time::OffsetDateTime::now_utc() - time::Duration::days(days_ago)).date();
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}
