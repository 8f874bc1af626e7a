//! Backups against the real storage of the test services (two versitygw
//! servers, primary and off site), the simulated Odoo and the real OpenBao
//! (each organization's key): taken, stored sealed in both places with
//! their checksum, restored over changed data, drilled, pruned; a storage
//! cut mid-upload leaves nothing behind; nobody but the organization's
//! owners and admins reaches them.

use std::sync::{
    atomic::{AtomicU64, Ordering},
    Arc,
};

use bytes::Bytes;
use control::{
    backends::object_storage::{ByteStream, ObjectStorage, Site},
    backups::{self, sealing::MAGIC, BackupKey},
    domain::{BackupState, FieldError, FieldProblem, OfferKind, OffsiteState, Refusal, Role},
};
use futures_util::{stream, StreamExt, TryStreamExt};
use uuid::Uuid;

use crate::support::{
    backends::{storage_endpoint, test_storage},
    odoo::odoo_admin_call,
    provisioning::{organization_named, Harness},
    proxy::{Mode, Proxy},
    tenancy::join,
};

async fn partner_names(harness: &Harness, instance: &str) -> Vec<String> {
    let found = odoo_admin_call(
        harness,
        instance,
        "res.partner",
        "search_read",
        serde_json::json!([[["name", "like", "Customer"]]]),
        serde_json::json!({"fields": ["name"], "order": "name"}),
    )
    .await;
    let mut names: Vec<String> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

async fn add_partner(harness: &Harness, instance: &str, name: &str) {
    odoo_admin_call(
        harness,
        instance,
        "res.partner",
        "create",
        serde_json::json!([{"name": name}]),
        serde_json::json!({}),
    )
    .await;
}

/// The subscription's backups as its owner (or admin) `who` sees them.
async fn backups_of(
    harness: &Harness,
    who: &control::Caller,
    slug: &str,
    subscription: Uuid,
) -> Vec<control::domain::BackupView> {
    harness
        .control()
        .backups(who, slug, subscription)
        .await
        .unwrap()
        .unwrap()
}

/// Every drill due now queued (`expected` of them) and run.
async fn drill_now(harness: &Harness, expected: usize) {
    assert_eq!(
        harness
            .control()
            .queue_due_drills(time::Duration::ZERO)
            .await
            .unwrap(),
        expected
    );
    harness.settle().await;
}

async fn object_key(harness: &Harness, backup: Uuid) -> String {
    sqlx::query_scalar("SELECT object_key FROM backups WHERE id = $1")
        .bind(backup)
        .fetch_one(&harness.app.pool)
        .await
        .unwrap()
}

async fn read_all(source: ByteStream) -> Result<Vec<u8>, String> {
    let pieces: Vec<Bytes> = source.try_collect().await.map_err(|error| error.to_string())?;
    Ok(pieces.concat())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_backs_up_a_shop_changes_it_and_gets_the_old_data_back() {
    let harness = Harness::start().await;
    let (owner, slug, shop) = harness.shop_owner("Backed Up").await;
    let instance = control::domain::instance_name(&slug, OfferKind::Ecommerce);
    add_partner(&harness, &instance, "Customer kept").await;

    let (backup, _job) = harness
        .control()
        .take_backup(&owner, &slug, shop)
        .await
        .unwrap()
        .unwrap();
    harness.settle().await;
    let listed = backups_of(&harness, &owner, &slug, shop).await;
    assert_eq!(listed.len(), 1);
    let view = &listed[0];
    assert_eq!(view.id, backup.to_string());
    assert_eq!(view.state, BackupState::Stored);
    assert_eq!(view.offsite, Some(OffsiteState::Copied));
    let sha256 = view.sha256.clone().unwrap();
    assert_eq!(sha256.len(), 64);

    // Both storages hold the same sealed object; it shows nothing of the
    // zip inside, opens with the organization's key to the recorded
    // checksum, and with no other key.
    let storage = test_storage();
    let key = object_key(&harness, backup).await;
    let primary = read_all(storage.read(Site::Primary, &key).await.unwrap())
        .await
        .unwrap();
    let offsite = read_all(storage.read(Site::Offsite, &key).await.unwrap())
        .await
        .unwrap();
    assert_eq!(primary, offsite);
    assert!(primary.starts_with(MAGIC));
    assert!(!primary.windows(8).any(|window| window == b"dump.sql"));
    let organization: Uuid = sqlx::query_scalar("SELECT organization_id FROM backups WHERE id = $1")
        .bind(backup)
        .fetch_one(&harness.app.pool)
        .await
        .unwrap();
    let own_key = harness
        .stack
        .backends
        .vault
        .ensure_organization_key(organization, backups::KEY_NAME)
        .await
        .unwrap();
    let own_key = BackupKey::parse_hex(&own_key).unwrap();
    let zip = read_all(
        backups::open_stored(&storage, Site::Offsite, &key, &own_key, backup, &sha256)
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    assert!(zip.starts_with(b"PK\x03\x04"));
    assert_eq!(Some(zip.len() as u64), view.size_bytes);
    let other_key = BackupKey::parse_hex(&"5a".repeat(32)).unwrap();
    let refused = read_all(
        backups::open_stored(&storage, Site::Primary, &key, &other_key, backup, &sha256)
            .await
            .unwrap(),
    )
    .await;
    assert!(refused.unwrap_err().contains("cannot be opened"));
    let wrong_sum = read_all(
        backups::open_stored(&storage, Site::Primary, &key, &own_key, backup, &"0".repeat(64))
            .await
            .unwrap(),
    )
    .await;
    assert!(wrong_sum.unwrap_err().contains("checksum"));

    // The shop changes; the owner restores: the typed confirmation first.
    add_partner(&harness, &instance, "Customer added later").await;
    assert_eq!(
        partner_names(&harness, &instance).await,
        ["Customer added later", "Customer kept"]
    );
    let unconfirmed = harness
        .control()
        .restore_backup(&owner, &slug, backup, "not the slug", None)
        .await
        .unwrap();
    assert_eq!(
        unconfirmed,
        Err(Refusal::Fields(vec![FieldError {
            field: "confirmation".into(),
            problem: FieldProblem::Mismatch
        }]))
    );
    harness
        .control()
        .restore_backup(&owner, &slug, backup, &slug, None)
        .await
        .unwrap()
        .unwrap();
    harness.settle().await;
    assert_eq!(partner_names(&harness, &instance).await, ["Customer kept"]);
    let kinds: Vec<(String, String)> =
        sqlx::query_as("SELECT kind, state FROM jobs WHERE subscription_id = $1 AND kind LIKE 'restore.%'")
            .bind(shop)
            .fetch_all(&harness.app.pool)
            .await
            .unwrap();
    assert_eq!(kinds, [("restore.ecommerce".to_owned(), "succeeded".to_owned())]);
    let (state, applied): (String, String) =
        sqlx::query_as("SELECT state, applied_state FROM subscriptions WHERE id = $1")
            .bind(shop)
            .fetch_one(&harness.app.pool)
            .await
            .unwrap();
    assert_eq!((state.as_str(), applied.as_str()), ("active", "running"));
    // No staging database is left behind.
    let databases = odoo_databases(&harness).await;
    assert!(databases.contains(&instance));
    assert!(
        !databases
            .iter()
            .any(|name| name.starts_with(&format!("{instance}-"))),
        "{databases:?}"
    );

    // A drill restores the latest backup aside, checks it and tears it down.
    drill_now(&harness, 1).await;
    let listed = backups_of(&harness, &owner, &slug, shop).await;
    assert!(listed[0].verified_at.is_some());
    assert!(!odoo_databases(&harness)
        .await
        .iter()
        .any(|name| name.ends_with("-drill")));

    // Retention: a second backup, the first past its expiry; exactly that one goes.
    let (second, _) = harness
        .control()
        .take_backup(&owner, &slug, shop)
        .await
        .unwrap()
        .unwrap();
    harness.settle().await;
    sqlx::query("UPDATE backups SET expires_at = now() - interval '1 day' WHERE id = $1")
        .bind(backup)
        .execute(&harness.app.pool)
        .await
        .unwrap();
    assert_eq!(harness.runner.prune_expired_backups().await.unwrap(), 1);
    let second_key = object_key(&harness, second).await;
    for site in [Site::Primary, Site::Offsite] {
        assert_eq!(storage.size(site, &key).await.unwrap(), None);
        assert!(storage.size(site, &second_key).await.unwrap().is_some());
    }
    let listed = backups_of(&harness, &owner, &slug, shop).await;
    let states: Vec<BackupState> = listed.iter().map(|view| view.state).collect();
    assert_eq!(states, [BackupState::Stored, BackupState::Expired]);
    // An expired backup is not restored.
    assert_eq!(
        harness
            .control()
            .restore_backup(&owner, &slug, backup, &slug, None)
            .await
            .unwrap(),
        Err(Refusal::WrongState)
    );
}

async fn odoo_databases(harness: &Harness) -> Vec<String> {
    let body = serde_json::json!({
        "jsonrpc": "2.0", "method": "call", "id": 1,
        "params": {"service": "db", "method": "list", "args": []},
    });
    let answer: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/jsonrpc", harness.stack.urls.odoo))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|name| name.as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_organizations_owners_and_admins_reach_its_backups() {
    let harness = Harness::start().await;
    let (owner, slug, shop) = harness.shop_owner("Guarded").await;
    let (backup, _) = harness
        .control()
        .take_backup(&owner, &slug, shop)
        .await
        .unwrap()
        .unwrap();
    harness.settle().await;

    let member = crate::support::person("member");
    join(&harness.app, &owner, &slug, &member, Role::Member).await;
    assert_eq!(
        harness.control().backups(&member, &slug, shop).await.unwrap(),
        Err(Refusal::Forbidden)
    );
    assert_eq!(
        harness.control().take_backup(&member, &slug, shop).await.unwrap(),
        Err(Refusal::Forbidden)
    );
    assert_eq!(
        harness
            .control()
            .restore_backup(&member, &slug, backup, &slug, None)
            .await
            .unwrap(),
        Err(Refusal::Forbidden)
    );
    let admin = crate::support::person("admin");
    join(&harness.app, &owner, &slug, &admin, Role::Admin).await;
    assert_eq!(backups_of(&harness, &admin, &slug, shop).await.len(), 1);

    // Another organization's owner: through their own organization, the
    // backup and the subscription are not found; through this one, nothing is.
    let stranger = crate::support::person("stranger");
    let own = organization_named(&harness, &stranger, "Elsewhere").await;
    assert_eq!(
        harness.control().backups(&stranger, &own, shop).await.unwrap(),
        Err(Refusal::NotFound)
    );
    assert_eq!(
        harness
            .control()
            .take_backup(&stranger, &own, shop)
            .await
            .unwrap(),
        Err(Refusal::NotFound)
    );
    assert_eq!(
        harness
            .control()
            .restore_backup(&stranger, &own, backup, &own, None)
            .await
            .unwrap(),
        Err(Refusal::NotFound)
    );
    assert_eq!(
        harness.control().backups(&stranger, &slug, shop).await.unwrap(),
        Err(Refusal::NotFound)
    );
    let jobs: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM jobs WHERE subscription_id = $1 AND kind NOT LIKE 'provision.%'",
    )
    .bind(shop)
    .fetch_one(&harness.app.pool)
    .await
    .unwrap();
    assert_eq!(jobs, 1, "only the owner's backup was queued");
}

/// `size` bytes of a pattern, in pieces of 1 MiB; `after` is called once
/// when `cut_at` bytes have gone.
fn generated(size: u64, cut_at: u64, after: impl Fn() + Send + Sync + 'static) -> ByteStream {
    const PIECE: u64 = 1024 * 1024;
    let sent = Arc::new(AtomicU64::new(0));
    let pieces = size.div_ceil(PIECE);
    Box::pin(stream::iter(0..pieces).map(move |index| {
        let total = sent.fetch_add(PIECE, Ordering::SeqCst) + PIECE;
        if total >= cut_at && total - PIECE < cut_at {
            after();
        }
        let len = PIECE.min(size - index * PIECE) as usize;
        Ok(Bytes::from(vec![(index % 251) as u8; len]))
    }))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storage_cut_mid_upload_leaves_no_object_and_the_retry_stores_exactly_one() {
    let (proxy, proxied) = Proxy::in_front_of(&storage_endpoint("PRIMARY").url).await;
    let proxy = Arc::new(proxy);
    let primary = control::backends::object_storage::Endpoint {
        url: proxied,
        ..storage_endpoint("PRIMARY")
    };
    let storage = ObjectStorage::new(
        &primary,
        &storage_endpoint("OFFSITE"),
        std::time::Duration::from_secs(10),
    )
    .unwrap();
    let direct = test_storage();
    let key_bytes = "3c".repeat(32);
    let key = BackupKey::parse_hex(&key_bytes).unwrap();
    let prefix = format!("tests/cut-{}", Uuid::new_v4());
    let backup = Uuid::new_v4();
    let object = format!("{prefix}/{backup}.bbk");

    // 40 MiB; the storage goes away after 20 (three 8 MiB parts are out by then).
    let cutter = proxy.clone();
    let source = generated(40 << 20, 20 << 20, move || cutter.set(Mode::Refuse));
    let failed = backups::store_sealed(&storage, &object, &key, backup, source).await;
    assert!(failed.is_err(), "the upload went through a cut");
    proxy.set(Mode::Pass);
    assert_eq!(direct.size(Site::Primary, &object).await.unwrap(), None);
    assert!(direct.keys(Site::Primary, &prefix).await.unwrap().is_empty());

    // The engine's retry: the same name, all of it, once.
    let stored = backups::store_sealed(
        &storage,
        &object,
        &key,
        backup,
        generated(40 << 20, u64::MAX, || {}),
    )
    .await
    .unwrap();
    assert_eq!(stored.digested.size, 40 << 20);
    assert_eq!(
        direct.keys(Site::Primary, &prefix).await.unwrap(),
        [object.as_str()]
    );
    assert_eq!(
        direct.size(Site::Primary, &object).await.unwrap(),
        Some(stored.sealed_bytes)
    );
    let opened = read_all(
        backups::open_stored(
            &direct,
            Site::Primary,
            &object,
            &key,
            backup,
            &stored.digested.sha256,
        )
        .await
        .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(opened.len() as u64, 40 << 20);
    direct.remove(&object).await.unwrap();
}

/// A script's calls to the API with its client's token.
struct Script<'a> {
    client: &'a reqwest::Client,
    token: String,
}

impl Script<'_> {
    async fn call(
        &self,
        method: reqwest::Method,
        url: &str,
        body: Option<serde_json::Value>,
    ) -> reqwest::Response {
        let mut request = self.client.request(method, url).bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.unwrap()
    }

    async fn json(&self, url: &str) -> serde_json::Value {
        let answer = self.call(reqwest::Method::GET, url, None).await;
        assert_eq!(answer.status(), 200, "GET {url}");
        answer.json().await.unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_script_lists_takes_schedules_downloads_and_restores_backups_through_the_api() {
    use reqwest::Method;
    let harness = Harness::for_browsers().await;
    let (owner, slug, shop) = harness.shop_owner("Scripted").await;
    let app = &harness.app;
    let token = crate::api::client_token(app, &owner, &slug, "admin", &["subscriptions:write"]).await;
    let script = Script {
        client: &app.client,
        token,
    };
    let base = app.url(&format!("/api/v1/organizations/{slug}/subscriptions/{shop}"));
    let list = format!("{base}/backups");
    let schedule = format!("{base}/backup-schedule");

    let listed = script.json(&list).await;
    assert_eq!(listed["backup_time"], "02:00");
    assert_eq!(listed["backups"], serde_json::json!([]));
    assert!(listed["retention_days"].as_u64().unwrap() > 0);
    let refused = script
        .call(Method::PUT, &schedule, Some(serde_json::json!({"time": "25:00"})))
        .await;
    assert_eq!(refused.status(), 422);
    let scheduled = script
        .call(Method::PUT, &schedule, Some(serde_json::json!({"time": "03:15"})))
        .await;
    assert_eq!(scheduled.status(), 204);

    let taken = script.call(Method::POST, &list, None).await;
    assert_eq!(taken.status(), 202);
    let taken: serde_json::Value = taken.json().await.unwrap();
    let backup = taken["id"].as_str().unwrap().to_owned();
    // Busy while its job is open: a second one is refused.
    assert_eq!(script.call(Method::POST, &list, None).await.status(), 409);
    harness.settle().await;
    let listed = script.json(&list).await;
    assert_eq!(listed["backup_time"], "03:15");
    let one = &listed["backups"][0];
    assert_eq!(one["id"], backup.as_str());
    assert_eq!(one["state"], "stored");
    assert_eq!(one["offsite"], "copied");
    assert_eq!(one["origin"], "on_demand");

    // A download link gives the zip whose size and checksum were recorded.
    let org_base = app.url(&format!("/api/v1/organizations/{slug}/backups/{backup}"));
    let link = script
        .call(Method::POST, &format!("{org_base}/download-link"), None)
        .await;
    assert_eq!(link.status(), 201);
    let link: serde_json::Value = link.json().await.unwrap();
    let url = reqwest::Url::parse(link["url"].as_str().unwrap()).unwrap();
    let download = app.client.get(app.url(url.path())).send().await.unwrap();
    assert_eq!(download.status(), 200);
    assert_eq!(download.headers()["content-type"], "application/zip");
    assert!(download.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains(".zip"));
    let zip = download.bytes().await.unwrap();
    assert_eq!(Some(zip.len() as u64), one["size_bytes"].as_u64());
    use sha2::Digest;
    assert_eq!(
        hex::encode(sha2::Sha256::digest(&zip)),
        one["sha256"].as_str().unwrap()
    );
    // Once expired, the link leads nowhere; a made-up one never did.
    sqlx::query("UPDATE backup_downloads SET expires_at = now() - interval '1 second'")
        .execute(&app.pool)
        .await
        .unwrap();
    let expired = app.client.get(app.url(url.path())).send().await.unwrap();
    assert_eq!(expired.status(), 404);
    let made_up = app
        .client
        .get(app.url(&format!("/backups/{}", "ab".repeat(32))))
        .send()
        .await
        .unwrap();
    assert_eq!(made_up.status(), 404);

    let restore = format!("{org_base}/restore");
    let unconfirmed = script
        .call(
            Method::POST,
            &restore,
            Some(serde_json::json!({"confirmation": "nope"})),
        )
        .await;
    assert_eq!(unconfirmed.status(), 422);
    let restoring = script
        .call(
            Method::POST,
            &restore,
            Some(serde_json::json!({"confirmation": slug})),
        )
        .await;
    assert_eq!(restoring.status(), 202);
    let restoring: serde_json::Value = restoring.json().await.unwrap();
    harness.settle().await;
    let state: String = sqlx::query_scalar("SELECT state FROM jobs WHERE id = $1::uuid")
        .bind(restoring["job_id"].as_str().unwrap())
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(state, "succeeded");

    // A member's client reads nothing of it; another organization's finds nothing.
    let member = Script {
        client: &app.client,
        token: crate::api::client_token(app, &owner, &slug, "member", &["subscriptions:read"]).await,
    };
    assert_eq!(member.call(Method::GET, &list, None).await.status(), 403);
    let stranger = crate::support::person("stranger");
    let other = organization_named(&harness, &stranger, "Other Shop").await;
    let outsider = Script {
        client: &app.client,
        token: crate::api::client_token(app, &stranger, &other, "admin", &["subscriptions:write"]).await,
    };
    let hidden = outsider
        .call(Method::POST, &format!("{org_base}/download-link"), None)
        .await;
    assert_eq!(hidden.status(), 404);
    assert_eq!(outsider.call(Method::GET, &list, None).await.status(), 404);
}

async fn messages(harness: &Harness, space: Uuid) -> Vec<(String, String, Option<String>)> {
    sqlx::query_as(
        "SELECT topic, payload, numbers::text FROM device_messages WHERE subscription_id = $1 ORDER BY received_at, topic",
    )
    .bind(space)
    .fetch_all(&harness.app.pool)
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_iot_spaces_messages_are_backed_up_drilled_and_restored() {
    let harness = Harness::start().await;
    let owner = crate::support::person("owner");
    let slug = organization_named(&harness, &owner, "Capteurs Sauvegardes").await;
    let space = harness.active_subscription(&owner, &slug, "iot-lab").await;
    let device = Uuid::new_v4();
    // 12,000 messages: more than one batch of the cursor and of the restore.
    sqlx::query(
        "INSERT INTO device_messages (subscription_id, device_id, received_at, topic, payload, numbers)
         SELECT $1, $2, now() - make_interval(secs => i), 'telemetry', '{\"t\":' || i || '}',
                CASE WHEN i % 2 = 0 THEN jsonb_build_object('t', i) END
           FROM generate_series(1, 12000) AS i",
    )
    .bind(space)
    .bind(device)
    .execute(&harness.app.pool)
    .await
    .unwrap();
    let before = messages(&harness, space).await;
    assert_eq!(before.len(), 12_000);

    let (backup, _) = harness
        .control()
        .take_backup(&owner, &slug, space)
        .await
        .unwrap()
        .unwrap();
    harness.settle().await;
    let listed = backups_of(&harness, &owner, &slug, space).await;
    assert_eq!(
        listed[0].state,
        BackupState::Stored,
        "{:?}",
        harness.failed_jobs().await
    );
    assert_eq!(listed[0].offsite, Some(OffsiteState::Copied));

    // The drill reads the off-site copy through and checks every line.
    drill_now(&harness, 1).await;
    let listed = backups_of(&harness, &owner, &slug, space).await;
    assert!(listed[0].verified_at.is_some());

    // Messages change; the restore puts back exactly those of the backup.
    sqlx::query("DELETE FROM device_messages WHERE subscription_id = $1 AND topic = 'telemetry' AND payload LIKE '{\"t\":1%'")
        .bind(space)
        .execute(&harness.app.pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO device_messages (subscription_id, device_id, received_at, topic, payload) VALUES ($1, $2, now(), 'late', 'x')",
    )
    .bind(space)
    .bind(device)
    .execute(&harness.app.pool)
    .await
    .unwrap();
    assert_ne!(messages(&harness, space).await, before);
    harness
        .control()
        .restore_backup(&owner, &slug, backup, &slug, None)
        .await
        .unwrap()
        .unwrap();
    harness.settle().await;
    assert_eq!(messages(&harness, space).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_shops_backup_is_restored_into_its_successor_and_nowhere_else() {
    let harness = Harness::start().await;
    let (owner, slug, shop) = harness.shop_owner("Renaissance").await;
    let instance = control::domain::instance_name(&slug, OfferKind::Ecommerce);
    add_partner(&harness, &instance, "Customer of the first shop").await;
    let (backup, _) = harness
        .control()
        .take_backup(&owner, &slug, shop)
        .await
        .unwrap()
        .unwrap();
    harness.settle().await;

    // While its own service lives, a backup goes nowhere else.
    let training = harness.active_subscription(&owner, &slug, "learn-academy").await;
    assert_eq!(
        harness
            .control()
            .restore_backup(&owner, &slug, backup, &slug, Some(training))
            .await
            .unwrap(),
        Err(Refusal::WrongState)
    );

    // The shop is closed (its Odoo dropped), then subscribed to again.
    let version: i32 = sqlx::query_scalar("SELECT version FROM subscriptions WHERE id = $1")
        .bind(shop)
        .fetch_one(&harness.app.pool)
        .await
        .unwrap();
    harness
        .control()
        .cancel_subscription(&owner, &slug, shop, version)
        .await
        .unwrap()
        .unwrap();
    harness.settle().await;
    let successor = harness.active_subscription(&owner, &slug, "shop-starter").await;
    assert_ne!(successor, shop);
    assert_eq!(partner_names(&harness, &instance).await, Vec::<String>::new());

    // Its page lists the closed shop's backup, restorable into it.
    let listed = backups_of(&harness, &owner, &slug, successor).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].subscription_id, shop.to_string());
    assert_eq!(
        harness
            .control()
            .restore_backup(&owner, &slug, backup, &slug, Some(training))
            .await
            .unwrap(),
        Err(Refusal::WrongState),
        "not into another offer"
    );
    harness
        .control()
        .restore_backup(&owner, &slug, backup, &slug, Some(successor))
        .await
        .unwrap()
        .unwrap();
    harness.settle().await;
    assert_eq!(
        partner_names(&harness, &instance).await,
        ["Customer of the first shop"]
    );
    // The backup stays the closed shop's.
    let listed = backups_of(&harness, &owner, &slug, successor).await;
    assert_eq!(listed[0].subscription_id, shop.to_string());
}

async fn owner_email(harness: &Harness, slug: &str) -> String {
    sqlx::query_scalar(
        "SELECT m.email FROM memberships m JOIN organizations o ON o.id = m.organization_id
          WHERE o.slug = $1 AND m.role = 'owner'",
    )
    .bind(slug)
    .fetch_one(&harness.app.pool)
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_backups_failing_in_a_row_tell_the_owner_once_and_show_to_admins() {
    let harness = Harness::start().await;
    let (owner, slug, shop) = harness.shop_owner("Failing Backups").await;
    // Odoo refuses its backups (a 400: no retry, each job fails at once).
    let refused = sim::faults::Fault {
        status: Some(400),
        ..Default::default()
    };
    harness.stack.odoo.faults.set("web.database.backup", refused);
    for _ in 0..4 {
        harness
            .control()
            .take_backup(&owner, &slug, shop)
            .await
            .unwrap()
            .unwrap();
        harness.settle().await;
    }
    let listed = backups_of(&harness, &owner, &slug, shop).await;
    assert!(
        listed.iter().all(|view| view.state == BackupState::Failed),
        "{listed:?}"
    );
    let subjects = crate::support::mail::subjects_to(&owner_email(&harness, &slug).await).await;
    let alerts: Vec<&String> = subjects
        .iter()
        .filter(|subject| subject.contains("failing") || subject.contains("échouent"))
        .collect();
    assert_eq!(alerts.len(), 1, "{subjects:?}");

    // Admins see it among the services that need a look, and on the tenant's page.
    let (user, _) = &harness.admin;
    let control::domain::AdminAccess::Granted(attention) =
        harness.control().admin_backups(Some(user), true).await.unwrap()
    else {
        panic!("the operator sees the backups");
    };
    let service = attention
        .iter()
        .find(|service| service.subscription_id == shop.to_string())
        .unwrap();
    assert_eq!(service.failed_in_a_row, 4);
    assert_eq!(service.last_stored_at, None);

    // A backup that works ends the run: nothing needs a look any more.
    harness.stack.odoo.faults.clear();
    harness
        .control()
        .take_backup(&owner, &slug, shop)
        .await
        .unwrap()
        .unwrap();
    harness.settle().await;
    let control::domain::AdminAccess::Granted(attention) =
        harness.control().admin_backups(Some(user), true).await.unwrap()
    else {
        panic!("the operator sees the backups");
    };
    assert!(
        !attention
            .iter()
            .any(|service| service.subscription_id == shop.to_string()),
        "{attention:?}"
    );
    let control::domain::AdminAccess::Granted(Some(tenant)) = harness
        .control()
        .organization_detail(Some(user), &slug)
        .await
        .unwrap()
    else {
        panic!("the operator sees the tenant");
    };
    assert_eq!(tenant.backups.len(), 1);
    assert!(tenant.backups[0].last_stored_at.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daily_backup_is_queued_once_per_slot_from_the_day_after_the_service_began() {
    let harness = Harness::start().await;
    let (_owner, _slug, shop) = harness.shop_owner("Daily").await;
    // Just subscribed: its first slot is still to come.
    assert_eq!(harness.control().queue_scheduled_backups().await.unwrap(), 0);
    // Subscribed two days ago, backed up at midnight (UTC): today's is due, once.
    sqlx::query("UPDATE subscriptions SET created_at = now() - interval '2 days', backup_time = '00:00' WHERE id = $1")
        .bind(shop)
        .execute(&harness.app.pool)
        .await
        .unwrap();
    assert_eq!(harness.control().queue_scheduled_backups().await.unwrap(), 1);
    harness.settle().await;
    assert_eq!(harness.control().queue_scheduled_backups().await.unwrap(), 0);
    let origin: String = sqlx::query_scalar("SELECT origin FROM backups WHERE subscription_id = $1")
        .bind(shop)
        .fetch_one(&harness.app.pool)
        .await
        .unwrap();
    assert_eq!(origin, "scheduled");
}
