//! `VaultClient` against the real OpenBao dev server that `cargo xtask test`
//! starts (`TEST_VAULT_ADDR`, root token `root`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::{collections::BTreeMap, time::Duration};

use control::backends::{
    vault::{policy_name, SecretStore, VaultClient},
    BackendError,
};

const ROOT_TOKEN: &str = "root";
const TIMEOUT: Duration = Duration::from_secs(1);
/// The subscription the tests' secrets are written for.
const SUBSCRIPTION: uuid::Uuid = uuid::Uuid::from_u128(0xb1b1d);

fn vault_addr() -> String {
    std::env::var("TEST_VAULT_ADDR").unwrap_or_else(|_| {
        panic!("TEST_VAULT_ADDR is not set: run the tests with `cargo xtask test`, which starts OpenBao")
    })
}

fn root() -> VaultClient {
    VaultClient::new(&vault_addr(), ROOT_TOKEN, Duration::from_secs(10)).unwrap()
}

/// The same server through vaultrs itself, to make drift behind the client's back.
fn raw_root() -> vaultrs::client::VaultClient {
    vaultrs::client::VaultClient::new(
        vaultrs::client::VaultClientSettingsBuilder::default()
            .address(vault_addr())
            .token(ROOT_TOKEN)
            .build()
            .unwrap(),
    )
    .unwrap()
}

fn unique_slug() -> String {
    format!("t{}", &uuid::Uuid::new_v4().simple().to_string()[..12])
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[tokio::test]
async fn a_tenant_gets_its_policy_and_approle_once_and_drift_is_corrected() {
    let vault = root();
    let slug = unique_slug();
    let first = vault.ensure_tenant(&slug).await.unwrap();
    assert_eq!(first.policy, policy_name(&slug));
    assert!(!first.role_id.is_empty());
    let again = vault.ensure_tenant(&slug).await.unwrap();
    assert_eq!(again, first, "a re-run changes nothing");
    let observed = vault.observe(&slug).await.unwrap();
    assert!(observed.policy_matches && observed.role);
    assert!(observed.secrets.is_empty());

    // Someone widens the policy and rebinds the role.
    let raw = raw_root();
    vaultrs::sys::policy::set(
        &raw,
        &policy_name(&slug),
        "path \"secret/*\" { capabilities = [\"read\"] }",
    )
    .await
    .unwrap();
    vaultrs::auth::approle::role::set(
        &raw,
        "approle",
        &policy_name(&slug),
        Some(
            vaultrs::api::auth::approle::requests::SetAppRoleRequestBuilder::default()
                .token_policies(vec!["default".to_owned()]),
        ),
    )
    .await
    .unwrap();
    let drifted = vault.observe(&slug).await.unwrap();
    assert!(!drifted.policy_matches && !drifted.role);

    let repaired = vault.ensure_tenant(&slug).await.unwrap();
    assert_eq!(repaired.role_id, first.role_id, "the role keeps its id");
    let observed = vault.observe(&slug).await.unwrap();
    assert!(observed.policy_matches && observed.role);

    // Deleted policy: recreated too.
    vaultrs::sys::policy::delete(&raw, &policy_name(&slug))
        .await
        .unwrap();
    assert!(!vault.observe(&slug).await.unwrap().policy_matches);
    vault.ensure_tenant(&slug).await.unwrap();
    assert!(vault.observe(&slug).await.unwrap().policy_matches);
    vault.remove_tenant(&slug, SUBSCRIPTION).await.unwrap();
}

#[tokio::test]
async fn generated_secrets_are_kept_and_only_missing_keys_are_generated() {
    let vault = root();
    let slug = unique_slug();
    let first = vault
        .ensure_generated_secret(&slug, SUBSCRIPTION, "odoo-db", &["password", "admin_password"])
        .await
        .unwrap();
    assert_eq!(first.len(), 2);
    assert!(first.values().all(|v| v.len() == 64));
    assert_ne!(first["password"], first["admin_password"]);

    let again = vault
        .ensure_generated_secret(&slug, SUBSCRIPTION, "odoo-db", &["password", "admin_password"])
        .await
        .unwrap();
    assert_eq!(again, first, "a re-run never rotates");

    let widened = vault
        .ensure_generated_secret(
            &slug,
            SUBSCRIPTION,
            "odoo-db",
            &["password", "admin_password", "master_key"],
        )
        .await
        .unwrap();
    assert_eq!(widened["password"], first["password"]);
    assert_eq!(widened["admin_password"], first["admin_password"]);
    assert_eq!(widened["master_key"].len(), 64);
    assert_eq!(
        vault.read_secret(&slug, "odoo-db").await.unwrap(),
        Some(widened.clone())
    );

    // A key written by hand is kept and not regenerated.
    let mut edited = widened.clone();
    edited.insert("password".into(), "chosen-by-an-admin".into());
    vault
        .put_secret(&slug, SUBSCRIPTION, "odoo-db", &edited)
        .await
        .unwrap();
    let kept = vault
        .ensure_generated_secret(&slug, SUBSCRIPTION, "odoo-db", &["password"])
        .await
        .unwrap();
    assert_eq!(kept, edited);

    assert_eq!(vault.read_secret(&slug, "missing").await.unwrap(), None);
    assert_eq!(vault.observe(&slug).await.unwrap().secrets, ["odoo-db"]);
    vault.remove_tenant(&slug, SUBSCRIPTION).await.unwrap();
}

#[tokio::test]
async fn concurrent_generations_agree_on_one_value() {
    let slug = unique_slug();
    let runs: Vec<_> = (0..4)
        .map(|_| {
            let slug = slug.clone();
            tokio::spawn(async move {
                root()
                    .ensure_generated_secret(&slug, SUBSCRIPTION, "shared", &["key"])
                    .await
            })
        })
        .collect();
    let mut values = Vec::new();
    for run in runs {
        values.push(run.await.unwrap().unwrap()["key"].clone());
    }
    values.dedup();
    assert_eq!(values.len(), 1, "every run returns the value that was stored");
    assert_eq!(
        root().read_secret(&slug, "shared").await.unwrap().unwrap()["key"],
        values[0]
    );
    root().remove_tenant(&slug, SUBSCRIPTION).await.unwrap();
}

#[tokio::test]
async fn a_tenants_approle_reads_its_own_secrets_and_nobody_elses() {
    let vault = root();
    let (acme, other) = (unique_slug(), unique_slug());
    let tenant = vault.ensure_tenant(&acme).await.unwrap();
    vault.ensure_tenant(&other).await.unwrap();
    vault
        .put_secret(&acme, SUBSCRIPTION, "db", &map(&[("password", "a")]))
        .await
        .unwrap();
    vault
        .put_secret(&other, SUBSCRIPTION, "db", &map(&[("password", "b")]))
        .await
        .unwrap();

    let secret_id = vault.new_secret_id(&acme).await.unwrap();
    let token = vault.approle_login(&tenant.role_id, &secret_id).await.unwrap();
    let as_tenant = VaultClient::new(&vault_addr(), &token, TIMEOUT).unwrap();
    assert_eq!(
        as_tenant.read_secret(&acme, "db").await.unwrap(),
        Some(map(&[("password", "a")]))
    );
    match as_tenant.read_secret(&other, "db").await {
        Err(BackendError::Refused { detail, .. }) => assert!(detail.starts_with("403"), "{detail}"),
        other => panic!("another tenant's secret: {other:?}"),
    }
    let write = as_tenant
        .put_secret(&acme, SUBSCRIPTION, "db", &map(&[("password", "changed")]))
        .await;
    assert!(matches!(write, Err(BackendError::Refused { .. })), "{write:?}");

    // A wrong secret id does not log in.
    let refused = vault.approle_login(&tenant.role_id, "not-the-secret-id").await;
    assert!(
        matches!(refused, Err(BackendError::Refused { .. })),
        "{refused:?}"
    );

    vault.remove_tenant(&acme, SUBSCRIPTION).await.unwrap();
    vault.remove_tenant(&other, SUBSCRIPTION).await.unwrap();
}

#[tokio::test]
async fn removing_a_tenant_deletes_every_version_its_role_and_its_policy_and_is_idempotent() {
    let vault = root();
    let slug = unique_slug();
    vault.ensure_tenant(&slug).await.unwrap();
    vault
        .put_secret(&slug, SUBSCRIPTION, "one", &map(&[("k", "1")]))
        .await
        .unwrap();
    vault
        .put_secret(&slug, SUBSCRIPTION, "one", &map(&[("k", "2")]))
        .await
        .unwrap();
    vault
        .ensure_generated_secret(&slug, SUBSCRIPTION, "two", &["k"])
        .await
        .unwrap();
    assert_eq!(vault.observe(&slug).await.unwrap().secrets, ["one", "two"]);

    vault.remove_tenant(&slug, SUBSCRIPTION).await.unwrap();
    let observed = vault.observe(&slug).await.unwrap();
    assert!(!observed.policy_matches && !observed.role && observed.secrets.is_empty());
    assert_eq!(vault.read_secret(&slug, "one").await.unwrap(), None);
    // No version left behind: the metadata is gone too.
    let metadata = vaultrs::kv2::read_metadata(&raw_root(), "secret", &format!("tenants/{slug}/one")).await;
    assert!(matches!(
        metadata,
        Err(vaultrs::error::ClientError::APIError { code: 404, .. })
    ));

    vault.remove_tenant(&slug, SUBSCRIPTION).await.unwrap();
    vault.remove_tenant(&unique_slug(), SUBSCRIPTION).await.unwrap();
}

#[tokio::test]
async fn refusals_and_outages_are_told_apart() {
    let slug = unique_slug();
    let bad_token = VaultClient::new(&vault_addr(), "not-a-token", TIMEOUT).unwrap();
    let refused = bad_token.ensure_tenant(&slug).await;
    assert!(
        matches!(refused, Err(BackendError::Refused { .. })),
        "{refused:?}"
    );

    let invalid = root()
        .put_secret("../other", SUBSCRIPTION, "db", &BTreeMap::new())
        .await;
    assert!(
        matches!(invalid, Err(BackendError::Refused { .. })),
        "{invalid:?}"
    );

    // Nobody listens there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let down = VaultClient::new(&address, ROOT_TOKEN, TIMEOUT).unwrap();
    let unavailable = down.read_secret(&slug, "db").await;
    assert!(
        matches!(unavailable, Err(BackendError::Transient { .. })),
        "{unavailable:?}"
    );

    // A server that accepts and never answers.
    let hanging = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", hanging.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = hanging.accept().await {
            held.push(socket);
        }
    });
    let slow = VaultClient::new(&address, ROOT_TOKEN, TIMEOUT).unwrap();
    let started = std::time::Instant::now();
    let timed_out = slow.read_secret(&slug, "db").await;
    assert!(
        matches!(timed_out, Err(BackendError::Transient { .. })),
        "{timed_out:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_secret_that_is_not_ours_is_never_overwritten_or_deleted() {
    let vault = root();
    let slug = unique_slug();
    // Written at the tenant's path by someone else, without Bibind's mark.
    let theirs = map(&[("password", "theirs")]);
    vaultrs::kv2::set(&raw_root(), "secret", &format!("tenants/{slug}/db"), &theirs)
        .await
        .unwrap();
    let not_ours = |result: Result<_, BackendError>| match result {
        Err(BackendError::Refused { detail, .. }) => {
            assert!(detail.contains("exists and is not ours"), "{detail}")
        }
        other => panic!("expected a refusal, got {other:?}"),
    };
    not_ours(
        vault
            .put_secret(&slug, SUBSCRIPTION, "db", &map(&[("password", "ours")]))
            .await
            .map(|_| ()),
    );
    not_ours(
        vault
            .ensure_generated_secret(&slug, SUBSCRIPTION, "db", &["password", "extra"])
            .await
            .map(|_| ()),
    );
    not_ours(vault.remove_tenant(&slug, SUBSCRIPTION).await);
    assert_eq!(
        vault.read_secret(&slug, "db").await.unwrap(),
        Some(theirs.clone())
    );

    // Another subscription's secret of the same name is not ours either.
    let other = unique_slug();
    let owner = uuid::Uuid::from_u128(0xdead);
    vault
        .put_secret(&other, owner, "db", &map(&[("password", "other")]))
        .await
        .unwrap();
    not_ours(
        vault
            .put_secret(&other, SUBSCRIPTION, "db", &map(&[("password", "ours")]))
            .await
            .map(|_| ()),
    );
    not_ours(vault.remove_tenant(&other, SUBSCRIPTION).await);
    assert_eq!(
        vault.read_secret(&other, "db").await.unwrap(),
        Some(map(&[("password", "other")]))
    );
    // What Bibind wrote carries the mark.
    let metadata = vaultrs::kv2::read_metadata(&raw_root(), "secret", &format!("tenants/{other}/db"))
        .await
        .unwrap();
    let mark = metadata.custom_metadata.unwrap_or_default();
    assert_eq!(
        (
            mark.get("managed_by").map(String::as_str),
            mark.get("bibind_subscription_id")
        ),
        (Some("bibind"), Some(&owner.to_string()))
    );
    vault.remove_tenant(&other, owner).await.unwrap();
    vaultrs::kv2::delete_metadata(&raw_root(), "secret", &format!("tenants/{slug}/db"))
        .await
        .unwrap();
}
