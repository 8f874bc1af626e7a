//! The organization page's read model: served from memory, and never older
//! than the last change committed, whichever replica (or a hand in the
//! database) made it.

use crate::support;
use std::time::Duration;

use control::{
    admin::decisions::Reason,
    domain::{NewOrganization, OrganizationOverview, QuotaKind, Refusal, Role},
    Caller,
};
use support::{browser::unique_email, TestApp};
use uuid::Uuid;

use support::person;

async fn overview(app: &TestApp, caller: &Caller, slug: &str) -> Result<OrganizationOverview, Refusal> {
    app.control.organization_overview(caller, slug).await.unwrap()
}

/// Runs `sql` with the triggers off, so that nobody is told: what the page
/// shows afterwards tells whether it came from memory.
async fn change_unannounced(app: &TestApp, sql: &str) {
    let mut tx = app.pool.begin().await.unwrap();
    sqlx::query("SET LOCAL session_replication_role = replica")
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query(sql).execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
}

/// Waits until `seen` holds of the page, as another replica's change
/// reaches this one through its announcement.
async fn eventually(
    app: &TestApp,
    caller: &Caller,
    slug: &str,
    what: &str,
    seen: impl Fn(&Result<OrganizationOverview, Refusal>) -> bool,
) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let page = overview(app, caller, slug).await;
        if seen(&page) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: the page still shows {page:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

struct Tenant {
    app: TestApp,
    owner: Caller,
    slug: String,
    id: Uuid,
}

/// A new organization named `name`, by `owner`, subscribed to training:
/// its slug and id.
async fn with_training(app: &TestApp, owner: &Caller, name: &str) -> (String, Uuid) {
    let lower = name.to_lowercase();
    let slug = format!("{lower}-{}", &Uuid::new_v4().simple().to_string()[..8]);
    let new = NewOrganization::parse(name, &slug, "FR", &format!("billing@{lower}.example")).unwrap();
    app.control
        .create_organization(owner, &new)
        .await
        .unwrap()
        .unwrap();
    app.control
        .subscribe(owner, &slug, "learn-class")
        .await
        .unwrap()
        .unwrap();
    let id: Uuid = sqlx::query_scalar("SELECT id FROM organizations WHERE slug = $1")
        .bind(&slug)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    (slug, id)
}

/// An organization with a training subscription, its page in memory.
async fn tenant() -> Tenant {
    let app = TestApp::spawn().await;
    let owner = person("owner");
    let (slug, id) = with_training(&app, &owner, "Pages").await;
    let tenant = Tenant { app, owner, slug, id };
    // The replica listens once its background tasks run; until then it
    // reads every page from the database. A name changed unannounced shows
    // only on a page read from the database.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let rename = |name: &str| {
        format!(
            "UPDATE organizations SET name = '{name}' WHERE id = '{}'",
            tenant.id
        )
    };
    for attempt in 0.. {
        let shown = overview(&tenant.app, &tenant.owner, &tenant.slug)
            .await
            .unwrap()
            .organization
            .name;
        change_unannounced(&tenant.app, &rename(&format!("Hidden {attempt}"))).await;
        let again = overview(&tenant.app, &tenant.owner, &tenant.slug)
            .await
            .unwrap()
            .organization
            .name;
        // The database as the page shows it, for the tests' own changes.
        change_unannounced(&tenant.app, &rename(&shown)).await;
        if again == shown {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the page is never served from memory"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tenant
}

#[tokio::test]
async fn a_page_in_memory_follows_every_change_committed_elsewhere() {
    let Tenant { app, owner, slug, id } = tenant().await;

    let second_replica = control::Control::new(
        control::infra::store::Db::from_pool(app.pool.clone()),
        std::sync::Arc::new(control::clock::SystemClock),
    );

    // The organization itself, suspended by an admin on another replica.
    let operator = person("operator");
    let admin = support::tenancy::platform_admin(&app, &operator).await;
    let version: i32 = sqlx::query_scalar("SELECT version FROM organizations WHERE id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    second_replica
        .suspend_organization(
            Some(&admin),
            &operator,
            &slug,
            version,
            &Reason::parse("Unpaid invoice").unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    eventually(&app, &owner, &slug, "suspension", |page| {
        page.as_ref()
            .is_ok_and(|page| page.state_reason.as_deref() == Some("Unpaid invoice"))
    })
    .await;

    // A member added, then removed, by a hand in the database: they see the page, then no longer.
    let colleague = person("colleague");
    sqlx::query("INSERT INTO memberships (organization_id, identity_id, email, role, created_at) VALUES ($1, $2::uuid, $3, 'member', now())")
        .bind(id)
        .bind(&colleague.identity_id)
        .bind(&colleague.email)
        .execute(&app.pool)
        .await
        .unwrap();
    eventually(&app, &owner, &slug, "new member", |page| {
        page.as_ref().is_ok_and(|page| {
            page.members
                .iter()
                .any(|m| m.email == colleague.email && m.role == Role::Member)
        })
    })
    .await;
    assert!(overview(&app, &colleague, &slug).await.is_ok());
    sqlx::query("DELETE FROM memberships WHERE identity_id = $1::uuid")
        .bind(&colleague.identity_id)
        .execute(&app.pool)
        .await
        .unwrap();
    eventually(&app, &colleague, &slug, "removed member", |page| {
        page == &Err(Refusal::NotFound)
    })
    .await;

    // A plan's quota, which every page showing that plan reads.
    sqlx::query("UPDATE plans SET cpu_millicores = cpu_millicores + 1 WHERE code = 'learn-class'")
        .execute(&app.pool)
        .await
        .unwrap();
    let limit: i32 = sqlx::query_scalar("SELECT cpu_millicores FROM plans WHERE code = 'learn-class'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    eventually(&app, &owner, &slug, "plan quota", |page| {
        page.as_ref().is_ok_and(|page| {
            page.subscriptions[0]
                .quotas
                .iter()
                .any(|q| q.quota == QuotaKind::CpuMillicores && i64::from(q.limit) == i64::from(limit))
        })
    })
    .await;

    // The subscription's job, as another replica's worker moves it on.
    let subscription: Uuid = sqlx::query_scalar("SELECT id FROM subscriptions WHERE organization_id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    second_replica
        .enqueue_job(&control::jobs::NewJob {
            kind: "provision.training",
            steps: &["vault", "namespace"],
            subscription_id: Some(subscription),
        })
        .await
        .unwrap();
    eventually(&app, &owner, &slug, "queued job", |page| {
        page.as_ref()
            .is_ok_and(|page| page.subscriptions[0].progress.is_some())
    })
    .await;
}

#[tokio::test]
async fn this_replicas_own_changes_show_at_once() {
    let Tenant { app, owner, slug, .. } = tenant().await;
    let new = control::domain::NewInvitation::parse(&unique_email("invited"), "admin").unwrap();
    app.control
        .invite_member(&owner, &slug, &new, control::domain::Locale::En)
        .await
        .unwrap()
        .unwrap();
    // No waiting: the replica that made the change forgot its copy itself.
    let page = overview(&app, &owner, &slug).await.unwrap();
    assert_eq!(page.invitations.len(), 1);
    let subscription = &page.subscriptions[0];
    app.control
        .cancel_subscription(
            &owner,
            &slug,
            subscription.id.parse().unwrap(),
            subscription.version,
        )
        .await
        .unwrap()
        .unwrap();
    let page = overview(&app, &owner, &slug).await.unwrap();
    let state = page.subscriptions.first().map(|subscription| subscription.state);
    assert_ne!(
        state,
        Some(control::domain::SubscriptionState::Requested),
        "{page:?}"
    );
}

/// The organization's name as its page's heading shows it.
fn title_of(page: &str) -> &str {
    page.split("id=\"org-title\"")
        .nth(1)
        .and_then(|rest| rest.split_once('>'))
        .and_then(|(_, rest)| rest.split_once("</h1>"))
        .map_or("", |(name, _)| name)
}

/// Every `csrf_token` a page's forms carry.
fn form_tokens(page: &str) -> Vec<&str> {
    page.split("name=\"csrf_token\" value=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .collect()
}

/// The portal keeps an organization's page rendered for everyone who sees
/// it the same (`app/src/pages/organization/rendered.rs`): each viewer
/// still gets their own form token, another role or language its own page,
/// and a change shows on the next page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_kept_rendered_is_still_each_viewers_own() {
    use support::browser::{csrf_token_in, Person};

    let app = TestApp::builder().oidc().spawn().await;
    let owner = Person::signed_in(&app.base_url, "owner").await;
    let co_owner = Person::signed_in(&app.base_url, "co-owner").await;
    let member = Person::signed_in(&app.base_url, "member").await;
    let (slug, id) = with_training(&app, &owner.caller(), "Kept").await;
    settle(&app, id).await;
    for (person, role) in [(&co_owner, "owner"), (&member, "member")] {
        add_member(&app, id, person, role).await;
    }
    let url = app.url(&format!("/orgs/{slug}"));
    let cancel_form = format!("action=\"/orgs/{slug}/subscriptions/");

    // The owner's page is rendered and kept; a name changed unannounced
    // then shows only on a page rendered again (once the read model listens;
    // until then the database is put back as the page shows it).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let (owners, co_owners) = loop {
        let first = owner.browser.page_in(&url, "en").await;
        let shown = title_of(&first).to_owned();
        let rename = |name: &str| format!("UPDATE organizations SET name = '{name}' WHERE id = '{id}'");
        change_unannounced(&app, &rename("Hidden")).await;
        let again = co_owner.browser.page_in(&url, "en").await;
        change_unannounced(&app, &rename(&shown)).await;
        if title_of(&again) == shown {
            break (first, again);
        }
        assert!(tokio::time::Instant::now() < deadline, "the page is never kept");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(co_owners.contains(&cancel_form), "{co_owners}");
    // The kept page keeps its document title too.
    let document_title = |page: &str| {
        page.split_once("<title>")
            .and_then(|(_, rest)| rest.split_once("</title>"))
            .map(|(title, _)| title.to_owned())
    };
    assert_eq!(document_title(&co_owners), document_title(&owners));
    assert!(
        document_title(&co_owners).is_some_and(|title| title.contains(title_of(&owners))),
        "{co_owners}"
    );
    // Each page carries its own session's token, in every form.
    for (person, page) in [(&owner, &owners), (&co_owner, &co_owners)] {
        let token = csrf_token_in(&person.browser.follow(&app.url("/orgs/new")).await.body);
        let tokens = form_tokens(page);
        assert!(!tokens.is_empty(), "the cancel form: {page}");
        assert!(
            tokens.iter().all(|t| *t == token),
            "{token} expected in every form: {tokens:?}"
        );
    }
    assert_ne!(form_tokens(&owners)[0], form_tokens(&co_owners)[0]);

    // Another role, another page; another language, another page.
    let members = member.browser.page_in(&url, "en").await;
    assert!(
        members.contains("data-your-role=\"member\"") && !members.contains(&cancel_form),
        "{members}"
    );
    let french = co_owner.browser.page_in(&url, "fr").await;
    assert!(
        french.contains("Votre rôle") && french.contains("data-your-role=\"owner\""),
        "{french}"
    );

    // A change announced: the next page shows it, to every role.
    sqlx::query("UPDATE organizations SET name = 'Renamed' WHERE id = $1")
        .bind(id)
        .execute(&app.pool)
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    for person in [&owner, &member] {
        while !person.browser.page_in(&url, "en").await.contains(">Renamed</h1>") {
            assert!(tokio::time::Instant::now() < deadline, "the rename never shows");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Settles the organization's subscriptions and their jobs: a page that
/// follows a job live is rendered each time, never kept.
async fn settle(app: &TestApp, id: Uuid) {
    for sql in [
        "UPDATE jobs SET state = 'succeeded', current_step = step_count
          WHERE subscription_id IN (SELECT id FROM subscriptions WHERE organization_id = $1)",
        "UPDATE subscriptions SET state = 'active' WHERE organization_id = $1",
    ] {
        sqlx::query(sql).bind(id).execute(&app.pool).await.unwrap();
    }
}

async fn add_member(app: &TestApp, id: Uuid, person: &support::browser::Person, role: &str) {
    sqlx::query("INSERT INTO memberships (organization_id, identity_id, email, role, created_at) VALUES ($1, $2::uuid, $3, $4, now())")
        .bind(id)
        .bind(&person.identity_id)
        .bind(&person.email)
        .bind(role)
        .execute(&app.pool)
        .await
        .unwrap();
}

/// A page's answer: status, script nonce (from its Content-Security-Policy,
/// checked to be the one its scripts carry) and the body with that nonce
/// written `NONCE`, so that two answers compare as documents.
async fn answer_of(request: reqwest::RequestBuilder) -> (u16, String, String) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let policy = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let nonce = policy
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .unwrap()
        .to_owned();
    let body = response.text().await.unwrap();
    assert!(body.contains(&format!("nonce=\"{nonce}\"")), "{policy}\n{body}");
    (status, nonce.clone(), body.replace(&nonce, "NONCE"))
}

/// The 404 page and a settled dashboard are kept as whole documents and
/// served again without rendering: each answer is the page as it renders
/// anew (asked with a query, which is never kept), with the request's own
/// nonce, form token, path and header.
#[tokio::test]
async fn a_document_kept_whole_is_the_page_rendered_anew_with_the_requests_own_values() {
    use support::browser::{csrf_token_in, Person};

    let app = TestApp::builder().oidc().spawn().await;
    let visitor = reqwest::Client::new();
    let visit = |path: &str| answer_of(visitor.get(app.url(path)).header("accept-language", "en"));
    let fresh = visit("/no-such-page?fresh=1").await;
    let first = visit("/no-such-page").await;
    let again = visit("/no-such-page").await;
    let elsewhere = visit("/another/missing-page").await;
    for (status, _, _) in [&fresh, &first, &again, &elsewhere] {
        assert_eq!(*status, 404);
    }
    assert_eq!(first.2, fresh.2, "kept as rendered");
    assert_eq!(again.2, fresh.2, "served kept");
    assert_eq!(
        elsewhere.2,
        fresh.2.replace("/no-such-page", "/another/missing-page")
    );
    let nonces = [&fresh.1, &first.1, &again.1, &elsewhere.1];
    assert!(
        nonces.iter().enumerate().all(|(i, n)| !nonces[..i].contains(n)),
        "each answer its own nonce: {nonces:?}"
    );
    // Where the shell differs (the identity pages' policy), rendered each time.
    let identity = visitor.get(app.url("/auth/no-such-flow")).send().await.unwrap();
    assert_eq!(identity.status(), 404);
    let policy = identity.headers()["content-security-policy"].to_str().unwrap();
    assert!(!policy.contains("form-action"), "{policy}");
    let counted = app.get_operations("/metrics").await.text().await.unwrap();
    for (outcome, count) in [("kept", 1), ("served", 2)] {
        assert!(
            counted.contains(&format!("kept_documents_total{{outcome=\"{outcome}\"}} {count}")),
            "{counted}"
        );
    }
    let french = answer_of(
        visitor
            .get(app.url("/no-such-page"))
            .header("accept-language", "fr"),
    )
    .await;
    assert!(
        french.2.contains("<html lang=\"fr\""),
        "kept per language: {}",
        french.2
    );

    // A dashboard: each person's own document, even in the same role.
    let owner = Person::signed_in(&app.base_url, "owner").await;
    let co_owner = Person::signed_in(&app.base_url, "co-owner").await;
    let (slug, id) = with_training(&app, &owner.caller(), "Whole").await;
    settle(&app, id).await;
    add_member(&app, id, &co_owner, "owner").await;
    let page = format!("/orgs/{slug}");
    for person in [&owner, &co_owner] {
        let open = |path: String| {
            answer_of(
                person
                    .browser
                    .client
                    .get(app.url(&path))
                    .header("accept-language", "en"),
            )
        };
        let fresh = open(format!("{page}?fresh=1")).await;
        let first = open(page.clone()).await;
        let again = open(page.clone()).await;
        assert_eq!((first.0, again.0), (200, 200));
        assert_eq!(first.2, again.2, "served kept");
        assert_eq!(again.2, fresh.2.replace("?fresh=1", ""), "as rendered anew");
        assert!(
            again.2.contains(&format!("data-signed-in=\"{}\"", person.email)),
            "their own header: {}",
            again.2
        );
        let token = csrf_token_in(&person.browser.follow(&app.url("/orgs/new")).await.body);
        let tokens = form_tokens(&again.2);
        assert!(
            tokens.len() > 1 && tokens.iter().all(|t| *t == token),
            "{token} in every form: {tokens:?}"
        );
    }
}

/// The plan PostgreSQL makes for `query`, one line per node.
async fn plan_of(pool: &sqlx::PgPool, query: &str) -> String {
    let lines: Vec<String> = sqlx::query_scalar(&format!("EXPLAIN {query}"))
        .fetch_all(pool)
        .await
        .unwrap();
    lines.join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_reads_its_own_rows_by_index_while_a_few_organizations_hold_most() {
    // Five schools have enrolled 1,000 learners each and two of them run
    // fleets of 5,000 devices: ANALYZE counts five keys in one table and two
    // in the other. The page's subqueries, keyed by the outer row, are
    // planned from that count; an ordinary organization must still be read
    // by index, not by scanning every school's rows (migration 33 states
    // that each key holds a small share).
    let database = support::fresh_database().await;
    let pool = sqlx::PgPool::connect(&support::database_url(&database))
        .await
        .unwrap();
    sqlx::raw_sql(
        "INSERT INTO organizations (id, slug, name, country, billing_email, state, created_at, updated_at)
         SELECT gen_random_uuid(), slug, slug, 'FR', 'billing@' || slug || '.fr', 'active', now(), now()
           FROM (SELECT 'school-' || n AS slug FROM generate_series(1, 5) n
                 UNION ALL SELECT 'corner-shop') named;
         INSERT INTO invitations (id, organization_id, email, role, token_sha256, invited_by, invited_by_email,
                                  created_at, expires_at)
         SELECT gen_random_uuid(), o.id, 'learner' || n || '@' || o.slug || '.fr', 'learner',
                sha256(convert_to(o.slug || '/' || n, 'UTF8')), gen_random_uuid(), 'teacher@' || o.slug || '.fr',
                now(), now() + interval '7 days'
           FROM organizations o, generate_series(1, 1000) n WHERE o.slug LIKE 'school-%';
         INSERT INTO subscriptions (id, organization_id, offer_kind, plan_id, state, created_at, updated_at)
         SELECT gen_random_uuid(), o.id, 'iot', (SELECT id FROM plans WHERE code = 'iot-industry'), 'active', now(), now()
           FROM organizations o WHERE o.slug IN ('school-1', 'school-2');
         INSERT INTO devices (id, subscription_id, name, created_at)
         SELECT gen_random_uuid(), s.id, 'sensor-' || n, now() FROM subscriptions s, generate_series(1, 5000) n;
         ANALYZE organizations, invitations, subscriptions, devices;",
    )
    .execute(&pool)
    .await
    .unwrap();

    let invitations = plan_of(
        &pool,
        "SELECT (SELECT count(*) FROM invitations i
                  WHERE i.organization_id = o.id AND i.accepted_at IS NULL AND i.revoked_at IS NULL)
           FROM organizations o WHERE o.slug = 'corner-shop'",
    )
    .await;
    assert!(
        !invitations.contains("Seq Scan on invitations"),
        "the page scans every organization's invitations:\n{invitations}"
    );
    let devices = plan_of(
        &pool,
        "SELECT (SELECT count(*) FROM devices d WHERE d.subscription_id = s.id AND d.removed_at IS NULL)
           FROM subscriptions s JOIN organizations o ON o.id = s.organization_id
          WHERE o.slug = 'corner-shop' AND s.state <> 'closed'",
    )
    .await;
    assert!(
        !devices.contains("Seq Scan on devices"),
        "the page scans every subscription's devices:\n{devices}"
    );
    pool.close().await;
}
