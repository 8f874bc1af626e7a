//! `bibind-server admin grant EMAIL`, run as an operator would: the real binary,
//! configured by environment, against the real Kratos and a fresh database.

use crate::support;
use std::process::Command;

use control::{admin::admins::GrantOutcome, domain::EmailAddress};
use sqlx::PgPool;
use support::{
    browser::{unique_email, Browser, PASSWORD},
    database_url, env, fresh_database, TestApp,
};

async fn create_identity(email: &str) -> String {
    support::browser::create_identity(email, PASSWORD).await
}

fn bibind(database_url: &str, args: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_bibind-server"))
        .args(args)
        .env("BIBIND_SERVER__LISTEN", "127.0.0.1:0")
        .env("BIBIND_SERVER__PUBLIC_URL", "http://127.0.0.1")
        .env("BIBIND_DATABASE__URL", database_url)
        .env("BIBIND_KRATOS__PUBLIC_URL", env("TEST_KRATOS_PUBLIC_URL"))
        .env("BIBIND_KRATOS__ADMIN_URL", env("TEST_KRATOS_ADMIN_URL"))
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// `bibind-server migrate`, as a deployment's migration Job runs it: an
/// empty database gets every migration, and running it again changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_brings_an_empty_database_up_to_date_and_is_idempotent() {
    use sqlx::{Connection, Executor};
    let database = format!("migrate_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(&env("TEST_DATABASE_URL"))
        .await
        .unwrap();
    admin
        .execute(format!("CREATE DATABASE \"{database}\"").as_str())
        .await
        .unwrap();
    let url = database_url(&database);
    let migrations = control::infra::store::MIGRATOR.iter().count();
    for _ in 0..2 {
        let (ok, stdout, stderr) = bibind(&url, &["migrate"]);
        assert!(ok, "{stderr}");
        assert_eq!(
            stdout.trim(),
            format!("the database schema is up to date ({migrations} migrations)")
        );
        let pool = PgPool::connect(&url).await.unwrap();
        let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(applied, i64::try_from(migrations).unwrap());
        pool.close().await;
    }
    admin
        .execute(format!("DROP DATABASE \"{database}\"").as_str())
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn granting_the_platform_admin_role_is_idempotent_and_needs_an_account() {
    let url = database_url(&fresh_database().await);
    let email = format!("ada.{}@example.com", uuid::Uuid::new_v4().simple());
    let identity = create_identity(&email).await;

    let (ok, stdout, stderr) = bibind(&url, &["admin", "grant", &email.to_uppercase()]);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("is now a platform admin") && stdout.contains(&identity),
        "{stdout}"
    );

    let (ok, stdout, _) = bibind(&url, &["admin", "grant", &email]);
    assert!(ok);
    assert!(stdout.contains("was already a platform admin"), "{stdout}");

    let pool = PgPool::connect(&url).await.unwrap();
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT identity_id::text, granted_by FROM platform_admins")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(rows, vec![(identity, "cli".to_owned())]);

    let (ok, _, stderr) = bibind(&url, &["admin", "grant", "nobody-here@example.com"]);
    assert!(!ok);
    assert!(stderr.contains("must sign up first"), "{stderr}");

    let (ok, _, stderr) = bibind(&url, &["admin", "grant", "not an address"]);
    assert!(!ok);
    assert!(stderr.contains("not a valid e-mail address"), "{stderr}");
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM platform_admins")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(count, 1, "failed grants write nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn granting_the_admin_role_to_an_address_nobody_proved_is_refused_and_writes_nothing() {
    let url = database_url(&fresh_database().await);
    let email = unique_email("claimed");
    // Someone registered the operator's address first, and cannot verify it.
    support::browser::create_unverified_identity(&email, PASSWORD).await;
    let (ok, _, stderr) = bibind(&url, &["admin", "grant", &email]);
    assert!(!ok);
    assert!(stderr.contains("has not verified its e-mail address"), "{stderr}");
    let pool = PgPool::connect(&url).await.unwrap();
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM platform_admins")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(count, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bootstrap_address_is_not_reserved_for_whoever_registers_it_first() {
    let email = unique_email("bootstrap");
    let squatter = support::browser::create_unverified_identity(&email, PASSWORD).await;
    let app = TestApp::builder().bootstrap_admins(&[&email]).spawn().await;
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM platform_admins")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(count, 0, "an unproven address grants nothing");

    // Once the address is proven (by whoever holds the mailbox), the next
    // start grants it.
    support::browser::verify_address(&squatter).await;
    let again = TestApp::builder()
        .database(&app.database)
        .bootstrap_admins(&[&email])
        .spawn()
        .await;
    let granted: Vec<String> = sqlx::query_scalar("SELECT identity_id::text FROM platform_admins")
        .fetch_all(&again.pool)
        .await
        .unwrap();
    assert_eq!(granted, vec![squatter]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bootstrap_admins_are_granted_at_start_up_and_unknown_ones_skipped() {
    let email = format!("boot.{}@example.com", uuid::Uuid::new_v4().simple());
    let identity = create_identity(&email).await;
    let app = TestApp::builder()
        .bootstrap_admins(&[&email, "nobody-yet@example.com", "not an address"])
        .spawn()
        .await;
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT identity_id::text, granted_by FROM platform_admins")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(rows, vec![(identity, "bootstrap".to_owned())]);
    assert_eq!(app.get("/healthz").await.status(), reqwest::StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_area_sends_signed_out_visitors_to_sign_in() {
    let app = TestApp::spawn().await;
    let response = app.get("/admin").await;
    assert_eq!(response.status(), reqwest::StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()[reqwest::header::LOCATION],
        "/auth/signin?return_to=/admin"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_area_refuses_customers_and_asks_admins_for_a_second_factor() {
    let app = TestApp::builder().oidc().spawn().await;
    let email = unique_email("operator");
    let identity = create_identity(&email).await;
    let browser = Browser::new(&app.base_url);
    browser.sign_in_at_kratos(&email, PASSWORD).await;
    browser.follow(&app.url("/auth/signin")).await;

    let customer = browser.follow(&app.url("/admin")).await;
    assert_eq!(customer.status, reqwest::StatusCode::FORBIDDEN);
    assert!(
        customer.body.contains("This area is for Bibind"),
        "{}",
        customer.body
    );

    let granted = app
        .control
        .grant_platform_admin(&EmailAddress::parse(&email).unwrap(), "test")
        .await
        .unwrap();
    assert_eq!(
        granted,
        GrantOutcome::Granted {
            identity_id: identity
        }
    );
    // A platform admin signed in with a password only (AAL1), with no second
    // factor enrolled: told to enrol one; the admin list is not shown.
    let admin = browser.follow(&app.url("/admin")).await;
    assert_eq!(admin.status, reqwest::StatusCode::FORBIDDEN);
    assert!(admin.body.contains("needs a second factor"), "{}", admin.body);
    assert!(admin.body.contains("href=\"/auth/settings\""));
    assert!(!admin.body.contains("data-platform-admin"));
}

/// `bibind-server backup-database`, `list-database-backups` and
/// `restore-database`, as `deploy/runbooks/restore-database.md` has an
/// operator run them: the portal's database dumped, sealed and stored in
/// both real storages, then restored into an empty database with exactly
/// the data it had; a dump that fails stores nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_portals_database_is_backed_up_off_site_and_restored_by_the_runbook() {
    use sqlx::{Connection, Executor};
    let app = TestApp::spawn().await;
    let owner = support::person("owner");
    support::tenancy::create_organization(
        &app,
        &owner,
        "Kept In The Dump",
        &format!("dump-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]),
    )
    .await;
    let stack = support::backends::SimulatedBackends::start().await;
    let mut environment = support::process::provisioning_environment(&stack, &[]);
    environment.push(("BIBIND_VAULT__ADDR".into(), env("TEST_VAULT_ADDR")));
    let database = database_url(&app.database);
    let run = |database: &str, args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_bibind-server"))
            .args(args)
            .env("BIBIND_SERVER__LISTEN", "127.0.0.1:0")
            .env("BIBIND_SERVER__PUBLIC_URL", "http://127.0.0.1")
            .env("BIBIND_DATABASE__URL", database)
            .envs(
                environment
                    .iter()
                    .map(|(key, value)| (key.as_str(), value.as_str())),
            )
            .output()
            .unwrap();
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };

    let (ok, stdout, stderr) = run(&database, &["backup-database"]);
    assert!(ok, "{stderr}");
    assert!(
        stdout.starts_with("database backed up: platform/database/"),
        "{stdout}"
    );
    let object = stdout
        .trim_start_matches("database backed up: ")
        .split(' ')
        .next()
        .unwrap()
        .to_owned();
    let (ok, listed, stderr) = run(&database, &["list-database-backups"]);
    assert!(ok, "{stderr}");
    let line = listed
        .lines()
        .find(|line| line.starts_with(&object))
        .expect("listed");
    assert!(line.ends_with("off site"), "{line}");

    // A dump that fails (no such database) stores nothing.
    let missing = database_url(&format!("absent_{}", uuid::Uuid::new_v4().simple()));
    let (ok, _, stderr) = run(&missing, &["backup-database"]);
    assert!(!ok);
    assert!(stderr.contains("pg_dump failed"), "{stderr}");
    let (_, listed_again, _) = run(&database, &["list-database-backups"]);
    assert_eq!(listed_again.lines().count(), listed.lines().count());

    // Data added after the backup is not restored.
    support::tenancy::create_organization(
        &app,
        &owner,
        "Made After",
        &format!("after-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]),
    )
    .await;
    let target = format!("restored_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(&env("TEST_DATABASE_URL"))
        .await
        .unwrap();
    admin
        .execute(format!("CREATE DATABASE \"{target}\"").as_str())
        .await
        .unwrap();
    let (ok, stdout, stderr) = run(
        &database,
        &[
            "restore-database",
            "--backup",
            &object,
            "--into",
            &database_url(&target),
        ],
    );
    assert!(ok, "{stderr}");
    assert!(stdout.contains("sha256 checked"), "{stdout}");
    let restored = PgPool::connect(&database_url(&target)).await.unwrap();
    let names: Vec<String> = sqlx::query_scalar("SELECT name FROM organizations ORDER BY name")
        .fetch_all(&restored)
        .await
        .unwrap();
    assert_eq!(names, ["Kept In The Dump"]);
    let migrations: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success")
        .fetch_one(&restored)
        .await
        .unwrap();
    assert_eq!(
        migrations,
        i64::try_from(control::infra::store::MIGRATOR.iter().count()).unwrap()
    );
    restored.close().await;
    // The pool's last connection may still be closing.
    admin
        .execute(format!("DROP DATABASE \"{target}\" WITH (FORCE)").as_str())
        .await
        .unwrap();
}
