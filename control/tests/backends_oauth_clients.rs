//! `HydraClients` against the real Hydra v2.3.0 that `cargo xtask test`
//! starts (`TEST_HYDRA_ADMIN_URL`; the public URL to check client secrets).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use control::backends::{
    oauth_clients::{HydraClients, OAuthClientSpec, OAuthClients},
    BackendError,
};
use serde_json::{json, Value};

const TIMEOUT: Duration = Duration::from_secs(1);

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the tests with `cargo xtask test`, which starts Hydra")
    })
}

fn clients() -> HydraClients {
    HydraClients::new(&env("TEST_HYDRA_ADMIN_URL"), Duration::from_secs(10)).unwrap()
}

fn spec() -> OAuthClientSpec {
    let id = format!("odoo-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    OAuthClientSpec {
        client_id: id.clone(),
        name: format!("Odoo ({id})"),
        redirect_uris: vec![format!("https://{id}.example/auth_oauth/signin")],
        post_logout_redirect_uris: vec![format!("https://{id}.example/")],
        backchannel_logout_uri: Some(format!("https://{id}.example/auth_oidc/backchannel_logout")),
        organization_id: uuid::Uuid::new_v4(),
        subscription_id: uuid::Uuid::new_v4(),
    }
}

/// Whether Hydra accepts `secret` as the client's: its revocation endpoint
/// authenticates the client before anything else.
async fn secret_is_valid(client_id: &str, secret: &str) -> bool {
    let status = reqwest::Client::new()
        .post(format!("{}/oauth2/revoke", env("TEST_HYDRA_PUBLIC_URL")))
        .basic_auth(client_id, Some(secret))
        .form(&[("token", "not-a-token")])
        .send()
        .await
        .unwrap()
        .status();
    status.is_success()
}

async fn raw_client(client_id: &str) -> Value {
    reqwest::get(format!(
        "{}/admin/clients/{client_id}",
        env("TEST_HYDRA_ADMIN_URL")
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap()
}

/// Changes fields of the client behind the backend's back.
async fn drift(client_id: &str, patch: Value) {
    let status = reqwest::Client::new()
        .patch(format!(
            "{}/admin/clients/{client_id}",
            env("TEST_HYDRA_ADMIN_URL")
        ))
        .json(&patch)
        .send()
        .await
        .unwrap()
        .status();
    assert!(status.is_success(), "{status}");
}

#[tokio::test]
async fn a_client_is_created_once_with_its_secret_and_drift_is_corrected_without_a_new_secret() {
    let hydra = clients();
    let spec = spec();
    hydra.ensure_client(&spec, "first-secret-123").await.unwrap();
    hydra.ensure_client(&spec, "first-secret-123").await.unwrap();
    let observed = hydra.observe(&spec.client_id).await.unwrap().unwrap();
    assert_eq!(observed.name, spec.name);
    assert_eq!(observed.redirect_uris, spec.redirect_uris);
    assert_eq!(observed.post_logout_redirect_uris, spec.post_logout_redirect_uris);
    assert_eq!(observed.backchannel_logout_uri, spec.backchannel_logout_uri);
    assert!(observed.enabled);
    assert!(secret_is_valid(&spec.client_id, "first-secret-123").await);
    let raw = raw_client(&spec.client_id).await;
    // A tenant's client: consent asked, no refresh token, owned by its subscription.
    assert_eq!(raw["skip_consent"], false);
    assert_eq!(raw["grant_types"], json!(["authorization_code"]));
    assert_eq!(
        raw["metadata"]["bibind_subscription_id"],
        spec.subscription_id.to_string()
    );
    assert_eq!(
        raw["metadata"]["bibind_organization_id"],
        spec.organization_id.to_string()
    );
    assert!(!observed.first_party);

    drift(
        &spec.client_id,
        json!([
            {"op": "replace", "path": "/redirect_uris", "value": [format!("https://{}.example/elsewhere", spec.client_id)]},
            {"op": "replace", "path": "/skip_consent", "value": true},
        ]),
    )
    .await;
    assert_eq!(
        hydra
            .observe(&spec.client_id)
            .await
            .unwrap()
            .unwrap()
            .redirect_uris,
        [format!("https://{}.example/elsewhere", spec.client_id)]
    );
    // The secret passed now would only be used to create the client.
    hydra.ensure_client(&spec, "another-secret-456").await.unwrap();
    let repaired = hydra.observe(&spec.client_id).await.unwrap().unwrap();
    assert_eq!(repaired.redirect_uris, spec.redirect_uris);
    assert_eq!(raw_client(&spec.client_id).await["skip_consent"], false);
    assert!(!repaired.first_party);
    assert!(secret_is_valid(&spec.client_id, "first-secret-123").await);
    assert!(!secret_is_valid(&spec.client_id, "another-secret-456").await);

    // Changed by Bibind: the back-channel URI goes away.
    let without_logout = OAuthClientSpec {
        backchannel_logout_uri: None,
        ..spec.clone()
    };
    hydra
        .ensure_client(&without_logout, "first-secret-123")
        .await
        .unwrap();
    assert_eq!(
        hydra
            .observe(&spec.client_id)
            .await
            .unwrap()
            .unwrap()
            .backchannel_logout_uri,
        None
    );
    hydra.remove_client(&spec.client_id).await.unwrap();
}

#[tokio::test]
async fn another_subscriptions_client_of_the_same_id_is_not_taken_over() {
    let hydra = clients();
    let spec = spec();
    hydra.ensure_client(&spec, "first-secret-123").await.unwrap();
    let intruder = OAuthClientSpec {
        subscription_id: uuid::Uuid::new_v4(),
        redirect_uris: vec!["https://elsewhere.example/auth_oauth/signin".into()],
        ..spec.clone()
    };
    let error = hydra
        .ensure_client(&intruder, "other-secret-456")
        .await
        .unwrap_err();
    assert!(matches!(error, BackendError::Refused { .. }), "{error:?}");
    assert!(error.to_string().contains("exists and is not ours"), "{error}");
    let observed = hydra.observe(&spec.client_id).await.unwrap().unwrap();
    assert_eq!(observed.redirect_uris, spec.redirect_uris);
    assert_eq!(observed.subscription_id, Some(spec.subscription_id.to_string()));
    hydra.remove_client(&spec.client_id).await.unwrap();
}

#[tokio::test]
async fn suspension_is_kept_by_drift_repairs_until_resumed() {
    let hydra = clients();
    let spec = spec();
    hydra.ensure_client(&spec, "secret-secret").await.unwrap();
    hydra.set_client_enabled(&spec.client_id, false).await.unwrap();
    hydra.set_client_enabled(&spec.client_id, false).await.unwrap();
    assert!(!hydra.observe(&spec.client_id).await.unwrap().unwrap().enabled);
    assert_eq!(
        raw_client(&spec.client_id).await["metadata"]["bibind_suspended"],
        true
    );

    // A repair of other fields does not resume it.
    drift(
        &spec.client_id,
        json!([{"op": "replace", "path": "/client_name", "value": "renamed"}]),
    )
    .await;
    hydra.ensure_client(&spec, "secret-secret").await.unwrap();
    let observed = hydra.observe(&spec.client_id).await.unwrap().unwrap();
    assert_eq!(observed.name, spec.name);
    assert!(!observed.enabled);
    assert!(secret_is_valid(&spec.client_id, "secret-secret").await);

    hydra.set_client_enabled(&spec.client_id, true).await.unwrap();
    hydra.set_client_enabled(&spec.client_id, true).await.unwrap();
    assert!(hydra.observe(&spec.client_id).await.unwrap().unwrap().enabled);
    assert_eq!(
        raw_client(&spec.client_id).await["metadata"],
        json!({
            "bibind_organization_id": spec.organization_id.to_string(),
            "bibind_subscription_id": spec.subscription_id.to_string(),
        })
    );
    hydra.remove_client(&spec.client_id).await.unwrap();
}

#[tokio::test]
async fn removal_is_idempotent_and_a_missing_client_is_told_apart() {
    let hydra = clients();
    let spec = spec();
    hydra.ensure_client(&spec, "secret-secret").await.unwrap();
    hydra.remove_client(&spec.client_id).await.unwrap();
    assert_eq!(hydra.observe(&spec.client_id).await.unwrap(), None);
    assert!(!secret_is_valid(&spec.client_id, "secret-secret").await);
    hydra.remove_client(&spec.client_id).await.unwrap();

    // Suspending what is gone is done; resuming it is not possible.
    hydra.set_client_enabled(&spec.client_id, false).await.unwrap();
    let resumed = hydra.set_client_enabled(&spec.client_id, true).await;
    assert!(
        matches!(resumed, Err(BackendError::Refused { .. })),
        "{resumed:?}"
    );
}

#[tokio::test]
async fn refusals_and_outages_are_told_apart() {
    let hydra = clients();
    let invalid = OAuthClientSpec {
        redirect_uris: vec!["https://app.example/cb#fragment".into()],
        ..spec()
    };
    match hydra.ensure_client(&invalid, "secret-secret").await {
        Err(BackendError::Refused { detail, .. }) => assert!(detail.starts_with("400"), "{detail}"),
        other => panic!("a redirect URI with a fragment: {other:?}"),
    }
    let short_secret = hydra.ensure_client(&spec(), "short").await;
    assert!(
        matches!(short_secret, Err(BackendError::Refused { .. })),
        "{short_secret:?}"
    );

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let down = HydraClients::new(&address, TIMEOUT).unwrap();
    let unavailable = down.observe("any").await;
    assert!(
        matches!(unavailable, Err(BackendError::Transient { .. })),
        "{unavailable:?}"
    );

    let hanging = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", hanging.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = hanging.accept().await {
            held.push(socket);
        }
    });
    let slow = HydraClients::new(&address, TIMEOUT).unwrap();
    let started = std::time::Instant::now();
    let timed_out = slow.remove_client("any").await;
    assert!(
        matches!(timed_out, Err(BackendError::Transient { .. })),
        "{timed_out:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}
