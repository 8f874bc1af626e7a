//! The `bibind` command line end to end, as a person uses it: `login`
//! through the real Hydra and the portal's login pages (authorization code
//! with PKCE on a loopback redirect, the browser driven by the test), then
//! the API with that person's token: an organization created, a subscription
//! followed to `active` (`--wait` on the event stream while the engine
//! runs), JSON and YAML parsed, a refusal shown as the API's problem, a token
//! renewed with the refresh token.

use std::{path::PathBuf, process::Stdio, time::Duration};

use serde_json::Value;
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

use crate::{
    support::{
        browser::{Browser, PASSWORD},
        provisioning::Harness,
    },
    tenant_sso::person_with_password,
};

/// The `bibind` binary, built beside this test's (`cargo xtask test` builds it).
fn cli_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(|deps| deps.parent()).unwrap();
    let binary = dir.join("bibind");
    assert!(
        binary.exists(),
        "{} is missing: cargo build -p bibind-cli",
        binary.display()
    );
    binary
}

/// A person's command line: its own config directory, the portal given.
struct Shell {
    config: PathBuf,
    portal: String,
}

impl Shell {
    fn new(portal: &str) -> Self {
        let config = std::env::temp_dir().join(format!("bibind-cli-{}", uuid::Uuid::new_v4()));
        Self {
            config,
            portal: portal.to_owned(),
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(cli_binary());
        command
            .args(["--portal", &self.portal])
            .args(args)
            .env("XDG_CONFIG_HOME", &self.config)
            .env("LANG", "C")
            .env_remove("BIBIND_TOKEN")
            .env_remove("BIBIND_PROFILE")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        command
    }

    /// Runs to its end: exit code, standard output, standard error.
    async fn run(&self, args: &[&str]) -> (i32, String, String) {
        let output = self.command(args).output().await.unwrap();
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }

    async fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.extend(["--output", "json"]);
        let (code, out, err) = self.run(&all).await;
        assert_eq!(code, 0, "bibind {args:?}: {err}");
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("bibind {args:?} printed no JSON ({e}): {out}"))
    }

    fn credentials(&self) -> PathBuf {
        self.config.join("bibind").join("credentials.toml")
    }
}

impl Drop for Shell {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.config);
    }
}

/// `bibind login --no-browser`, the address it prints walked by `browser`
/// (already signed in at Kratos) through Hydra and the portal's login and
/// consent, and the loopback redirect delivered to the waiting command.
async fn login(shell: &Shell, browser: &Browser) {
    let (child, lines, address) = start_login(shell, &["login", "--no-browser"]).await;
    let landed = browser.walk(&address, is_loopback).await;
    finish_login(child, lines, &landed.url, &landed.body).await;
}

fn is_loopback(url: &str) -> bool {
    url.starts_with("http://127.0.0.1:") && url.contains("/callback?")
}

/// `bibind login --admin`, the platform admin `identity_id` signing in with
/// a second factor: the login is accepted at Hydra's admin API as the
/// portal's login page would after a TOTP or passkey (`acr` `aal2`: the
/// second factor itself is the identity tests' business); the portal's
/// consent and everything after it are the real ones.
async fn login_as_admin(shell: &Shell, portal: &str, identity_id: &str) {
    let (child, lines, address) = start_login(shell, &["login", "--admin", "--no-browser"]).await;
    assert!(address.contains("acr_values=aal2"), "{address}");
    let browser = Browser::new(portal);
    let at_login = browser
        .walk(&address, |next| next.contains("/auth/login?login_challenge="))
        .await;
    let challenge = crate::tenant_sso::query(&at_login.url, "login_challenge").unwrap();
    let accepted: Value = reqwest::Client::new()
        .put(format!(
            "{}/admin/oauth2/auth/requests/login/accept?login_challenge={challenge}",
            crate::support::env("TEST_HYDRA_ADMIN_URL")
        ))
        .json(&serde_json::json!({"subject": identity_id, "acr": "aal2", "remember": false}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let landed = browser
        .walk(accepted["redirect_to"].as_str().unwrap(), is_loopback)
        .await;
    finish_login(child, lines, &landed.url, &landed.body).await;
}

type Lines = tokio::io::Lines<BufReader<tokio::process::ChildStderr>>;

/// Runs `bibind login …` until it prints the address to sign in at.
async fn start_login(shell: &Shell, args: &[&str]) -> (Child, Lines, String) {
    let mut child: Child = shell.command(args).spawn().unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let address = loop {
        let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .expect("the sign-in address is printed")
            .unwrap()
            .expect("the command is still running");
        if line.starts_with("http") {
            break line;
        }
    };
    assert!(address.contains("code_challenge_method=S256"), "{address}");
    assert!(address.contains("client_id=bibind-cli"), "{address}");
    (child, lines, address)
}

/// Delivers Hydra's redirect to the waiting `bibind login`, which exchanges its code.
async fn finish_login(mut child: Child, mut lines: Lines, callback: &str, body: &str) {
    assert!(callback.contains("code="), "no code came back: {callback} {body}");
    let page = reqwest::get(callback).await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Signed in"));
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("login ends once the code is exchanged")
        .unwrap();
    let mut rest = String::new();
    while let Ok(Some(line)) = lines.next_line().await {
        rest.push_str(&line);
    }
    assert!(status.success(), "login failed: {rest}");
}

/// `bibind subscriptions create SLUG --plan PLAN --wait`, the engine
/// running meanwhile; the subscription as it printed it, active, after a
/// progress bar was drawn.
async fn subscribe_and_wait(shell: &Shell, harness: &Harness, slug: &str, plan: &str) -> Value {
    let mut waiting = shell
        .command(&[
            "subscriptions",
            "create",
            slug,
            "--plan",
            plan,
            "--wait",
            "-o",
            "json",
        ])
        .spawn()
        .unwrap();
    let status = loop {
        harness.settle().await;
        if let Some(status) = waiting.try_wait().unwrap() {
            break status;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let output = waiting.wait_with_output().await.unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(status.success(), "--wait failed: {stderr}");
    let subscription: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(subscription["state"], "active", "{subscription}");
    assert!(stderr.contains("100%"), "the progress was drawn: {stderr}");
    subscription
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_signs_in_with_pkce_and_subscribes_waiting_for_the_job() {
    let harness = Harness::for_browsers().await;
    let (_, email) = person_with_password("cli").await;
    let browser = Browser::new(&harness.app.base_url);
    browser.sign_in_at_kratos(&email, PASSWORD).await;
    let shell = Shell::new(&harness.app.base_url);

    // Not signed in yet: said, with its own exit status.
    let (code, _, err) = shell.run(&["orgs", "list"]).await;
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("bibind login"), "{err}");

    login(&shell, &browser).await;
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(shell.credentials()).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o600, "tokens readable by their owner only");

    // The person's own powers, as in the portal.
    let slug = format!("cli{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let created = shell
        .json(&[
            "orgs",
            "create",
            "--name",
            "Acme CLI",
            "--slug",
            &slug,
            "--country",
            "FR",
            "--billing-email",
            "billing@example.com",
        ])
        .await;
    assert_eq!(created["slug"], slug.as_str());
    assert_eq!(created["role"], "owner");
    let (code, yaml, _) = shell.run(&["orgs", "list", "--output", "yaml"]).await;
    assert_eq!(code, 0);
    assert!(yaml.contains(&format!("\"slug\": \"{slug}\"")), "{yaml}");
    let members = shell.json(&["members", "list", &slug]).await;
    assert_eq!(members[0]["email"], email.as_str());
    assert_eq!(members[0]["role"], "owner");

    // The organization's audit log, as JSON and as CSV.
    let events = shell.json(&["audit", &slug]).await;
    assert!(
        events
            .as_array()
            .unwrap()
            .iter()
            .any(|event| event["action"] == "organization.create"),
        "{events}"
    );
    let (code, csv, _) = shell
        .run(&["audit", &slug, "--csv", "--action", "organization."])
        .await;
    assert_eq!(code, 0);
    assert!(csv.starts_with("id,at,actor,organization,action"), "{csv}");
    assert!(csv.contains("organization.create"), "{csv}");

    // Subscribe and wait: the engine runs meanwhile; the command follows
    // the job's events and ends when the shop is active.
    let subscription = subscribe_and_wait(&shell, &harness, &slug, "shop-starter").await;
    assert_eq!(subscription["plan"], "shop-starter");

    // A refusal is the API's problem detail, and a failing exit status.
    let (code, _, err) = shell.run(&["orgs", "show", "no-such-organization"]).await;
    assert_eq!(code, 1);
    assert!(err.contains("(404)"), "{err}");

    // An expired access token is renewed with the refresh token, and kept.
    let kept = std::fs::read_to_string(shell.credentials()).unwrap();
    let access = |text: &str| {
        text.lines()
            .find(|line| line.starts_with("access_token"))
            .unwrap()
            .to_owned()
    };
    let expired = kept
        .lines()
        .map(|line| {
            if line.starts_with("expires_at") {
                "expires_at = 0".to_owned()
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(shell.credentials(), expired).unwrap();
    let organizations = shell.json(&["orgs", "list"]).await;
    assert_eq!(organizations[0]["slug"], slug.as_str());
    let renewed = std::fs::read_to_string(shell.credentials()).unwrap();
    assert_ne!(access(&renewed), access(&kept), "a new access token was kept");

    let (code, _, _) = shell.run(&["logout"]).await;
    assert_eq!(code, 0);
    let (code, _, _) = shell.run(&["orgs", "list"]).await;
    assert_eq!(code, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_platform_admin_approves_and_suspends_a_tenant_from_the_command_line_audited_as_in_the_portal() {
    let app = crate::support::TestApp::builder()
        .oidc()
        .approve_new_organizations()
        .spawn()
        .await;
    let (owner, _) = person_with_password("owner").await;
    let slug = format!("adm{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let new =
        control::domain::NewOrganization::parse("Waiting Co", &slug, "FR", "billing@example.com").unwrap();
    app.control
        .create_organization(&owner, &new)
        .await
        .unwrap()
        .unwrap();
    let (admin, admin_email) = person_with_password("admin").await;
    let email = control::domain::EmailAddress::parse(&admin_email).unwrap();
    app.control.grant_platform_admin(&email, "test").await.unwrap();
    let shell = Shell::new(&app.base_url);

    // Without the admin scope, the admin's operations are not theirs.
    let browser = Browser::new(&app.base_url);
    browser.sign_in_at_kratos(&admin_email, PASSWORD).await;
    login(&shell, &browser).await;
    let (code, _, err) = shell.run(&["admin", "tenants", "list"]).await;
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("admin scope"), "{err}");

    login_as_admin(&shell, &app.base_url, &admin.identity_id).await;
    let waiting = shell
        .json(&["admin", "tenants", "list", "--state", "pending_approval"])
        .await;
    assert!(
        waiting
            .as_array()
            .unwrap()
            .iter()
            .any(|tenant| tenant["slug"] == slug.as_str()),
        "{waiting}"
    );
    let (code, _, err) = shell.run(&["admin", "tenants", "approve", &slug]).await;
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = shell
        .run(&[
            "admin",
            "tenants",
            "suspend",
            &slug,
            "--reason",
            "Invoice 2026-11 unpaid",
        ])
        .await;
    assert_eq!(code, 0, "{err}");
    let tenant = shell.json(&["admin", "tenants", "show", &slug]).await;
    assert_eq!(tenant["state"], "suspended");
    assert_eq!(tenant["state_reason"], "Invoice 2026-11 unpaid");

    // A reason too short is the portal's field error, in the API's words.
    let (code, _, err) = shell
        .run(&["admin", "tenants", "resume", &slug, "--reason", "ok"])
        .await;
    assert_eq!(code, 1);
    assert!(err.contains("reason"), "{err}");

    // Audited as the portal's actions: the admin by address, the request's id.
    let events = shell
        .json(&["admin", "audit", "--organization", &slug, "--action", "tenant."])
        .await;
    let actions: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["tenant.suspend", "tenant.approve"], "{events}");
    assert!(events
        .as_array()
        .unwrap()
        .iter()
        .all(|event| event["actor"] == admin_email.as_str() && event["request_id"].is_string()));

    // The catalogue: a plan added from a file, then retired.
    let plans = shell.json(&["admin", "plans", "list"]).await;
    assert!(plans
        .as_array()
        .unwrap()
        .iter()
        .any(|plan| plan["code"] == "shop-starter"));
    let code = format!("shop-{}", &uuid::Uuid::new_v4().simple().to_string()[..6]);
    let plan = serde_json::json!({
        "offer": "ecommerce", "code": code, "name_en": "Test shop", "name_fr": "Boutique test",
        "monthly_price_cents": 1990,
        "quotas": {"cpu_millicores": 500, "memory_mib": 512, "storage_gib": 5, "seats": 3, "devices": null,
                   "backup_retention_days": 7, "openstack_vcpus": 0, "openstack_ram_mib": 0, "openstack_instances": 0},
    });
    let file = shell.config.with_extension("plan.json");
    std::fs::write(&file, plan.to_string()).unwrap();
    let (code_status, _, err) = shell
        .run(&["admin", "plans", "create", file.to_str().unwrap()])
        .await;
    let _ = std::fs::remove_file(&file);
    assert_eq!(code_status, 0, "{err}");
    // A version that is not the plan's: refused, nothing changed.
    let (code_status, _, err) = shell
        .run(&["admin", "plans", "retire", &code, "--version", "999"])
        .await;
    assert_eq!(code_status, 1);
    assert!(err.contains("(412)"), "{err}");
    let (code_status, _, err) = shell.run(&["admin", "plans", "retire", &code]).await;
    assert_eq!(code_status, 0, "{err}");
    let plans = shell.json(&["admin", "plans", "list"]).await;
    let added = plans
        .as_array()
        .unwrap()
        .iter()
        .find(|plan| plan["code"] == code.as_str())
        .unwrap();
    assert_eq!(added["monthly_price_cents"], 1990);
    assert!(added["retired_on"].is_string(), "{added}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_is_registered_shown_once_commanded_and_removed_from_the_command_line() {
    let harness = Harness::for_browsers().await;
    let (owner, email) = person_with_password("iot").await;
    let slug = crate::support::provisioning::organization_named(&harness, &owner, "Capteurs CLI").await;
    let browser = Browser::new(&harness.app.base_url);
    browser.sign_in_at_kratos(&email, PASSWORD).await;
    let shell = Shell::new(&harness.app.base_url);
    login(&shell, &browser).await;
    let space = subscribe_and_wait(&shell, &harness, &slug, "iot-lab").await;
    let space = space["id"].as_str().unwrap().to_owned();

    let device = shell
        .json(&["devices", "register", &slug, &space, "probe-7"])
        .await;
    assert_eq!(device["name"], "probe-7");
    let id = device["id"].as_str().unwrap().to_owned();
    harness.settle().await;
    let listed = shell.json(&["devices", "list", &slug, &space]).await;
    assert_eq!(listed[0]["status"], "active", "{listed}");

    let (code, out, err) = shell
        .run(&["devices", "credentials", &slug, &space, &id, "-o", "json"])
        .await;
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("shown this once"), "{err}");
    let shown: Value = serde_json::from_str(&out).unwrap();
    let (credentials, topic) = crate::devices::shown_credentials("probe-7", &shown);
    assert!(crate::devices::publish(&credentials, &credentials.password, &topic, "{\"t\":20}").await);
    let (code, _, err) = shell.run(&["devices", "credentials", &slug, &space, &id]).await;
    assert_eq!(code, 1, "shown once: {err}");

    let sent = shell
        .json(&["devices", "send", &slug, &space, &id, "{\"led\":\"on\"}"])
        .await;
    assert!(
        ["delivered", "no_listener"].contains(&sent["result"].as_str().unwrap()),
        "{sent}"
    );
    let commands = shell.json(&["devices", "commands", &slug, &space, &id]).await;
    assert_eq!(commands[0]["payload"], "{\"led\":\"on\"}");
    for step in ["disable", "remove"] {
        let (code, _, err) = shell.run(&["devices", step, &slug, &space, &id]).await;
        assert_eq!(code, 0, "{step}: {err}");
    }
    let (code, _, _) = shell.run(&["devices", "show", &slug, &space, &id]).await;
    assert_eq!(code, 1, "removed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shops_backup_is_taken_listed_downloaded_scheduled_and_restored_from_the_command_line() {
    let harness = Harness::for_browsers().await;
    let (owner, email) = person_with_password("backups").await;
    let slug = crate::support::provisioning::organization_named(&harness, &owner, "Sauvegardes CLI").await;
    let browser = Browser::new(&harness.app.base_url);
    browser.sign_in_at_kratos(&email, PASSWORD).await;
    let shell = Shell::new(&harness.app.base_url);
    login(&shell, &browser).await;
    let shop = subscribe_and_wait(&shell, &harness, &slug, "shop-starter").await;
    let shop = shop["id"].as_str().unwrap().to_owned();

    let taken = shell.json(&["backups", "take", &slug, &shop]).await;
    let backup = taken["id"].as_str().unwrap().to_owned();
    harness.settle().await;
    let listed = shell.json(&["backups", "list", &slug, &shop]).await;
    assert_eq!(listed[0]["id"], backup.as_str(), "{listed}");
    assert_eq!(listed[0]["state"], "stored", "{listed}");
    let (code, table, err) = shell.run(&["backups", "list", &slug, &shop]).await;
    assert_eq!(code, 0, "{err}");
    assert!(table.contains("OFFSITE") && table.contains("copied"), "{table}");

    let file = shell.config.join("shop.zip");
    let (code, _, err) = shell
        .run(&[
            "backups",
            "download",
            &slug,
            &backup,
            "--out",
            file.to_str().unwrap(),
        ])
        .await;
    assert_eq!(code, 0, "{err}");
    let zip = std::fs::read(&file).unwrap();
    assert!(zip.starts_with(b"PK\x03\x04"));
    assert_eq!(Some(zip.len() as u64), listed[0]["size_bytes"].as_u64());

    let (code, _, err) = shell.run(&["backups", "schedule", &slug, &shop, "4:00"]).await;
    assert_eq!(code, 1, "a time is HH:MM: {err}");
    let (code, _, err) = shell.run(&["backups", "schedule", &slug, &shop, "04:00"]).await;
    assert_eq!(code, 0, "{err}");

    let (code, _, err) = shell
        .run(&["backups", "restore", &slug, &shop, &backup, "--confirm", "wrong"])
        .await;
    assert_eq!(code, 1, "the slug must be typed: {err}");
    let restoring = shell
        .json(&["backups", "restore", &slug, &shop, &backup, "--confirm", &slug])
        .await;
    assert!(restoring["job_id"].is_string(), "{restoring}");
    harness.settle().await;
    let kinds: Vec<(String, String)> = sqlx::query_as(
        "SELECT kind, state FROM jobs WHERE subscription_id = $1::uuid AND kind LIKE 'restore.%'",
    )
    .bind(&shop)
    .fetch_all(&harness.app.pool)
    .await
    .unwrap();
    assert_eq!(kinds, [("restore.ecommerce".to_owned(), "succeeded".to_owned())]);
}
