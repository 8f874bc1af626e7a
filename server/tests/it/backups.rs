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
    let listed = harness
        .control()
        .backups(&owner, &slug, shop)
        .await
        .unwrap()
        .unwrap();
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
        .restore_backup(&owner, &slug, backup, "not the slug")
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
        .restore_backup(&owner, &slug, backup, &slug)
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
    assert_eq!(
        harness
            .control()
            .queue_due_drills(time::Duration::ZERO)
            .await
            .unwrap(),
        1
    );
    harness.settle().await;
    let listed = harness
        .control()
        .backups(&owner, &slug, shop)
        .await
        .unwrap()
        .unwrap();
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
    let listed = harness
        .control()
        .backups(&owner, &slug, shop)
        .await
        .unwrap()
        .unwrap();
    let states: Vec<BackupState> = listed.iter().map(|view| view.state).collect();
    assert_eq!(states, [BackupState::Stored, BackupState::Expired]);
    // An expired backup is not restored.
    assert_eq!(
        harness
            .control()
            .restore_backup(&owner, &slug, backup, &slug)
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
            .restore_backup(&member, &slug, backup, &slug)
            .await
            .unwrap(),
        Err(Refusal::Forbidden)
    );
    let admin = crate::support::person("admin");
    join(&harness.app, &owner, &slug, &admin, Role::Admin).await;
    assert_eq!(
        harness
            .control()
            .backups(&admin, &slug, shop)
            .await
            .unwrap()
            .unwrap()
            .len(),
        1
    );

    // Another organization's owner: through their own organization, the
    // backup and the subscription are not found; through this one, nothing is.
    let stranger = crate::support::person("stranger");
    let own = organization_named(&harness, &stranger, "Elsewhere").await;
    assert_eq!(
        harness.control().backups(&stranger, &own, shop).await.unwrap(),
        Ok(Vec::new())
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
            .restore_backup(&stranger, &own, backup, &own)
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
