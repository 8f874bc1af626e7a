//! The tenancy benchmark's data set, at a given size: organizations, five
//! members each, one subscription each and audit events spread evenly over
//! the year 2025 (so a month holds a twelfth of them, whenever the bench
//! runs). Every value derives from its row's number, so two databases seeded
//! at the same size hold the same rows.
//!
//! Rows are sent with COPY (text format, in chunks of a few MiB) on one
//! connection with triggers and foreign-key checks off
//! (`session_replication_role = replica`: nothing else reads the database
//! then); the audit log's secondary indexes are dropped before and built
//! again after, which is several times faster than maintaining them row by
//! row. `cargo xtask bench` keeps the seeded cluster in its cache, keyed by
//! a hash of the migrations and of this file, so it runs once per change of
//! either (see `xtask/src/bench_data.rs`).

use std::{fmt::Write as _, time::Instant};

use sqlx::{Connection, PgConnection};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// One size of the data set.
#[derive(Clone, Copy, Debug)]
pub struct Scale {
    pub tenants: i64,
    pub audit_events: i64,
}

pub const MEMBERS_PER_TENANT: i64 = 5;

/// The year the audit events are spread over.
pub const AUDIT_YEAR: i32 = 2025;
const YEAR_SECONDS: i64 = 365 * 24 * 3600;

/// Rows per COPY message: a few MiB.
const CHUNK_ROWS: i64 = 20_000;

const NAMES: [&str; 7] = [
    "Boutique", "Atelier", "Academie", "Usine", "Ferme", "Cabinet", "Studio",
];
const COUNTRIES: [&str; 7] = ["FR", "BE", "CH", "LU", "DE", "ES", "IT"];
const ROLES: [&str; 5] = ["owner", "admin", "member", "member", "learner"];
const ACTIONS: [&str; 8] = [
    "membership.join",
    "membership.role_change",
    "invitation.create",
    "subscription.create",
    "subscription.change_plan",
    "quota.override",
    "tenant.suspend",
    "tenant.resume",
];

/// Organization number `i` (from 1): its id and slug.
pub fn organization_id(i: i64) -> Uuid {
    Uuid::from_u128((1 << 96) | i as u128)
}

pub fn slug(i: i64) -> String {
    format!("tenant-{i:05}")
}

/// Seeds `scale` into the (migrated, empty) database at `url`; returns
/// where the time went.
pub async fn seed(url: &str, scale: Scale) -> String {
    let started = Instant::now();
    let mut phase = Instant::now();
    let mut phases = Vec::new();
    let mut lap = |name: &str| {
        phases.push(format!("{name} {:.1} s", phase.elapsed().as_secs_f64()));
        phase = Instant::now();
    };
    let mut conn = PgConnection::connect(url).await.unwrap();
    for setting in [
        "SET session_replication_role = replica",
        "SET maintenance_work_mem = '512MB'",
        "SET max_parallel_maintenance_workers = 2",
    ] {
        sqlx::query(setting).execute(&mut conn).await.unwrap();
    }
    let indexes: Vec<(String, String)> = sqlx::query_as(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
           FROM pg_index i
          WHERE i.indrelid = 'audit_events'::regclass
            AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    for (name, _) in &indexes {
        sqlx::query(&format!("DROP INDEX {name}"))
            .execute(&mut conn)
            .await
            .unwrap();
    }

    copy_rows(
        &mut conn,
        "COPY organizations (id, slug, name, country, billing_email, state, created_at, updated_at) FROM STDIN",
        1..=scale.tenants,
        |i, out| {
            let state = if i % 50 == 0 {
                "suspended"
            } else if i % 97 == 0 {
                "pending_approval"
            } else {
                "active"
            };
            let created = timestamp(-i * 60);
            let _ = writeln!(
                out,
                "{}\t{}\t{} {i}\t{}\tbilling{i}@example.com\t{state}\t{created}\t{created}",
                organization_id(i),
                slug(i),
                NAMES[(i % 7) as usize],
                COUNTRIES[((i / 7) % 7) as usize],
            );
        },
    )
    .await;
    copy_rows(
        &mut conn,
        "COPY memberships (organization_id, identity_id, email, role, created_at) FROM STDIN",
        0..scale.tenants * MEMBERS_PER_TENANT,
        |row, out| {
            let (i, n) = (1 + row / MEMBERS_PER_TENANT, row % MEMBERS_PER_TENANT);
            let _ = writeln!(
                out,
                "{}\t{}\tm{}.{}@example.com\t{}\t{}",
                organization_id(i),
                Uuid::from_u128((2 << 96) | row as u128),
                n + 1,
                slug(i),
                ROLES[n as usize],
                timestamp(-i * 60),
            );
        },
    )
    .await;
    // One subscription per organization, to a plan sold without approval
    // (plans' ids are the database's own: chosen by a join, not sent).
    sqlx::query(
        "INSERT INTO subscriptions (id, organization_id, offer_kind, plan_id, state, created_at, updated_at)
         SELECT gen_random_uuid(), o.id, p.offer_kind, p.id, 'active', o.created_at, o.created_at
           FROM organizations o
           JOIN LATERAL (SELECT id, offer_kind FROM plans WHERE NOT requires_approval
                          ORDER BY code OFFSET abs(hashtext(o.slug)) % 6 LIMIT 1) p ON true",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    lap("organizations, members, subscriptions");
    let events = scale.audit_events;
    let tenants = scale.tenants;
    copy_rows(
        &mut conn,
        "COPY audit_events (at, actor, actor_email, organization_id, action, target, before, after, request_id, ip) FROM STDIN",
        0..events,
        |j, out| {
            // In the order of time, as the log is written; each organization
            // in turn, with a different action and member at each round.
            let (tenant, round) = (1 + j % tenants, j / tenants);
            let member = 1 + (round + tenant) % MEMBERS_PER_TENANT;
            let _ = writeln!(
                out,
                "{}\tseed\tm{member}.{}@example.com\t{}\t{}\tmember:m{member}\t{{\"role\": \"member\"}}\t{{\"role\": \"admin\"}}\treq-{j}\t192.0.2.{}",
                timestamp(j * YEAR_SECONDS / events),
                slug(tenant),
                organization_id(tenant),
                ACTIONS[((round + tenant) % 8) as usize],
                1 + j % 250,
            );
        },
    )
    .await;
    lap("audit events");
    for (_, definition) in &indexes {
        sqlx::query(definition).execute(&mut conn).await.unwrap();
    }
    // Hint bits and the visibility map set now rather than by the first
    // measured reads.
    lap("their indexes");
    sqlx::query("VACUUM ANALYZE").execute(&mut conn).await.unwrap();
    lap("VACUUM ANALYZE");
    format!("{:.1} s: {}", started.elapsed().as_secs_f64(), phases.join(", "))
}

/// `seconds` after the start of [`AUDIT_YEAR`] (UTC), as COPY reads a timestamptz.
fn timestamp(seconds: i64) -> String {
    let start = time::Date::from_calendar_date(AUDIT_YEAR, time::Month::January, 1)
        .unwrap()
        .midnight()
        .assume_utc();
    let at: OffsetDateTime = start + Duration::seconds(seconds);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}+00",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// COPYs one line per number of `rows`, written by `line`, in chunks.
async fn copy_rows(
    conn: &mut PgConnection,
    statement: &str,
    rows: impl Iterator<Item = i64>,
    line: impl Fn(i64, &mut String),
) {
    let mut copy = conn.copy_in_raw(statement).await.unwrap();
    let mut chunk = String::new();
    let mut in_chunk = 0;
    for row in rows {
        line(row, &mut chunk);
        in_chunk += 1;
        if in_chunk == CHUNK_ROWS {
            copy.send(std::mem::take(&mut chunk).into_bytes()).await.unwrap();
            in_chunk = 0;
        }
    }
    if !chunk.is_empty() {
        copy.send(chunk.into_bytes()).await.unwrap();
    }
    copy.finish().await.unwrap();
}
