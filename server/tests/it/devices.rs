//! Each device its own identity on the real Mosquitto: registered, the
//! engine makes its client and role and keeps its password in Vault; the
//! password is shown once; Debian's `mosquitto_pub` connects with exactly
//! what was shown and publishes under the device's topic (the tenant's
//! ingestion hears it), not under another device's; rotated, disabled or
//! removed, the device is refused.

use std::process::Stdio;

use control::{
    admin::decisions::Reason,
    domain::{DeviceChange, DeviceCredentials, DeviceName, Refusal},
    Caller,
};
use tokio::process::Command;

use crate::support::{browser::Person, provisioning::Harness};

pub(crate) async fn iot_space(harness: &Harness, owner: &Caller) -> (String, uuid::Uuid) {
    let slug = crate::support::provisioning::organization_named(harness, owner, "Capteurs").await;
    let space = harness.active_subscription(owner, &slug, "iot-lab").await;
    (slug, space)
}

pub(crate) async fn device_id(harness: &Harness, space: uuid::Uuid, name: &str) -> uuid::Uuid {
    sqlx::query_scalar(
        "SELECT id FROM devices WHERE subscription_id = $1 AND name = $2 AND removed_at IS NULL",
    )
    .bind(space)
    .bind(name)
    .fetch_one(&harness.app.pool)
    .await
    .unwrap()
}

/// The credentials the API (or the command line) showed as JSON, and the
/// topic the device publishes its telemetry on.
pub(crate) fn shown_credentials(device: &str, shown: &serde_json::Value) -> (DeviceCredentials, String) {
    let text = |key: &str| shown[key].as_str().unwrap().to_owned();
    let credentials = DeviceCredentials {
        device: device.to_owned(),
        host: text("host"),
        port: u16::try_from(shown["port"].as_u64().unwrap()).unwrap(),
        tls: shown["tls"].as_bool().unwrap_or(false),
        username: text("username"),
        password: text("password"),
        topic: text("topic"),
        commands_topic: text("commands_topic"),
    };
    let telemetry = format!("{}/telemetry", credentials.topic.trim_end_matches("/#"));
    (credentials, telemetry)
}

/// `mosquitto_pub` with the shown credentials: whether it connected and
/// handed the message over (QoS 1, MQTT v5).
pub(crate) async fn publish(
    credentials: &DeviceCredentials,
    password: &str,
    topic: &str,
    message: &str,
) -> bool {
    Command::new("mosquitto_pub")
        .args(["-h", &credentials.host, "-p", &credentials.port.to_string()])
        .args(["-u", &credentials.username, "-P", password])
        .args(["-V", "mqttv5", "-q", "1", "-t", topic, "-m", message])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await
        .expect("mosquitto_pub (Debian's mosquitto-clients) runs")
        .success()
}

/// Starts `mosquitto_sub` on the tenant's topics as its ingestion client,
/// returning what it heard within `seconds`.
fn listen(
    host: &str,
    port: u16,
    username: &str,
    password: &str,
    slug: &str,
    seconds: u32,
) -> tokio::process::Child {
    Command::new("mosquitto_sub")
        .args([
            "-h",
            host,
            "-p",
            &port.to_string(),
            "-u",
            username,
            "-P",
            password,
        ])
        .args(["-V", "mqttv5", "-q", "1", "-v", "-W", &seconds.to_string()])
        .args(["-t", &format!("tenants/{slug}/#")])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("mosquitto_sub runs")
}

#[tokio::test]
async fn a_device_connects_with_the_password_shown_once_under_its_own_topic_only() {
    let harness = Harness::for_browsers().await;
    let owner = Person::signed_in(&harness.app.base_url, "owner").await.caller();
    let (slug, space) = iot_space(&harness, &owner).await;
    let control = harness.control();
    for name in ["sensor-1", "sensor-2"] {
        let registered = control
            .register_device(&owner, &slug, space, &DeviceName::parse(name).unwrap())
            .await
            .unwrap();
        assert_eq!(registered, Ok(()));
    }
    let device = device_id(&harness, space, "sensor-1").await;
    // Nothing to show before the broker has it.
    assert_eq!(
        control
            .device_credentials(&owner, &slug, space, device)
            .await
            .unwrap(),
        Err(Refusal::WrongState)
    );
    harness.settle().await;
    let shown = control
        .device_credentials(&owner, &slug, space, device)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(shown.username, format!("{slug}.sensor-1"));
    assert_eq!(shown.topic, format!("tenants/{slug}/devices/sensor-1"));
    assert_eq!(shown.commands_topic, format!("tenants/{slug}/commands/sensor-1"));
    // Once.
    assert_eq!(
        control
            .device_credentials(&owner, &slug, space, device)
            .await
            .unwrap(),
        Err(Refusal::WrongState)
    );
    // Never in the database.
    let leaked: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_events WHERE after::text LIKE '%' || $1 || '%'")
            .bind(&shown.password)
            .fetch_one(&harness.app.pool)
            .await
            .unwrap();
    assert_eq!(leaked, 0);

    // The tenant's ingestion hears the device's telemetry, and nothing it
    // tried to put under another device's topic.
    let instance = control::domain::instance_name(&slug, control::domain::OfferKind::Iot);
    let service = harness
        .stack
        .backends
        .vault
        .read_secret(&instance, "service")
        .await
        .unwrap()
        .unwrap();
    let ingest = format!("{slug}-ingest");
    let listener = listen(
        &shown.host,
        shown.port,
        &ingest,
        &service["mqtt_ingest_password"],
        &slug,
        3,
    );
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let telemetry = format!("{}/telemetry", shown.topic);
    assert!(publish(&shown, &shown.password, &telemetry, r#"{"temperature": 21.5}"#).await);
    publish(
        &shown,
        &shown.password,
        &format!("tenants/{slug}/devices/sensor-2/telemetry"),
        "forged",
    )
    .await;
    publish(&shown, &shown.password, &shown.commands_topic, "self-command").await;
    let heard = listener.wait_with_output().await.unwrap();
    let heard = String::from_utf8_lossy(&heard.stdout);
    assert!(
        heard.contains(&format!("{telemetry} {{\"temperature\": 21.5}}")),
        "{heard}"
    );
    assert!(
        !heard.contains("forged") && !heard.contains("self-command"),
        "{heard}"
    );

    // Rotated: the old password is refused once the broker has the new one.
    assert_eq!(
        control
            .change_device(&owner, &slug, space, device, DeviceChange::Rotate)
            .await
            .unwrap(),
        Ok(())
    );
    harness.settle().await;
    assert!(!publish(&shown, &shown.password, &telemetry, "old").await);
    let rotated = control
        .device_credentials(&owner, &slug, space, device)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(rotated.password, shown.password);
    assert!(publish(&rotated, &rotated.password, &telemetry, "new").await);

    // Disabled, then enabled.
    control
        .change_device(&owner, &slug, space, device, DeviceChange::Disable)
        .await
        .unwrap()
        .unwrap();
    harness.settle().await;
    assert!(!publish(&rotated, &rotated.password, &telemetry, "off").await);
    control
        .change_device(&owner, &slug, space, device, DeviceChange::Enable)
        .await
        .unwrap()
        .unwrap();
    harness.settle().await;
    assert!(publish(&rotated, &rotated.password, &telemetry, "on").await);

    // Suspended, every device is out; resumed, each comes back as its
    // owner left it (sensor-2, turned off, stays off).
    let other = device_id(&harness, space, "sensor-2").await;
    let second = control
        .device_credentials(&owner, &slug, space, other)
        .await
        .unwrap()
        .unwrap();
    let second_topic = format!("{}/telemetry", second.topic);
    assert!(publish(&second, &second.password, &second_topic, "on").await);
    control
        .change_device(&owner, &slug, space, other, DeviceChange::Disable)
        .await
        .unwrap()
        .unwrap();
    harness.settle().await;
    let (user, operator) = &harness.admin;
    let version = harness.tenant_version(&slug).await;
    control
        .suspend_organization(
            Some(user),
            operator,
            &slug,
            version,
            &Reason::parse("Unpaid invoice").unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    harness.settle().await;
    assert!(!publish(&rotated, &rotated.password, &telemetry, "suspended").await);
    let version = harness.tenant_version(&slug).await;
    control
        .resume_organization(
            Some(user),
            operator,
            &slug,
            version,
            &Reason::parse("Invoice paid").unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    harness.settle().await;
    assert!(publish(&rotated, &rotated.password, &telemetry, "resumed").await);
    assert!(!publish(&second, &second.password, &second_topic, "still off").await);

    // Removed: its client and secret are gone, then its row.
    control
        .remove_device(&owner, &slug, space, device)
        .await
        .unwrap()
        .unwrap();
    harness.settle().await;
    assert!(!publish(&rotated, &rotated.password, &telemetry, "gone").await);
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM devices WHERE id = $1")
        .bind(device)
        .fetch_one(&harness.app.pool)
        .await
        .unwrap();
    assert_eq!(rows, 0);
    let secret = harness
        .stack
        .backends
        .vault
        .read_secret(&instance, &format!("device-{}", device.simple()))
        .await
        .unwrap();
    assert_eq!(secret, None);

    // Another organization's member sees nothing of it.
    let stranger = Person::signed_in(&harness.app.base_url, "stranger")
        .await
        .caller();
    let other = device_id(&harness, space, "sensor-2").await;
    assert_eq!(
        control
            .device_credentials(&stranger, &slug, space, other)
            .await
            .unwrap(),
        Err(Refusal::NotFound)
    );
}

#[tokio::test]
async fn the_password_is_shown_on_the_answer_to_show_once_and_never_again() {
    let harness = Harness::for_browsers().await;
    let owner = Person::signed_in(&harness.app.base_url, "owner").await;
    let (slug, space) = iot_space(&harness, &owner.caller()).await;
    harness
        .control()
        .register_device(
            &owner.caller(),
            &slug,
            space,
            &DeviceName::parse("meter").unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    let device = device_id(&harness, space, "meter").await;
    let page_path = app::routes::device(&slug, &space.to_string(), &device.to_string());
    let waiting = owner.browser.follow(&harness.app.url(&page_path)).await;
    assert!(waiting.body.contains("data-password-note"), "{}", waiting.body);
    assert!(!waiting.body.contains(r#"data-device-action="reveal""#));
    harness.settle().await;

    let page = owner.browser.follow(&harness.app.url(&page_path)).await;
    assert!(
        page.body.contains(r#"data-device-action="reveal""#),
        "{}",
        page.body
    );
    assert!(page.body.contains(&format!("{slug}.meter")));
    let token = crate::support::browser::csrf_token_in(&page.body);
    let reveal = app::routes::device_change(&slug, &space.to_string(), &device.to_string(), "reveal");
    let shown = owner
        .browser
        .post_form(&harness.app.url(&reveal), &[("csrf_token", token.as_str())])
        .await;
    assert_eq!(shown.status(), reqwest::StatusCode::OK);
    assert_eq!(
        shown.headers()["cache-control"].to_str().unwrap_or_default(),
        "no-store"
    );
    let body = shown.text().await.unwrap();
    let instance = control::domain::instance_name(&slug, control::domain::OfferKind::Iot);
    let secret = harness
        .stack
        .backends
        .vault
        .read_secret(&instance, &format!("device-{}", device.simple()))
        .await
        .unwrap()
        .unwrap();
    assert!(
        body.contains(&secret["password"]),
        "the answer shows the password"
    );
    assert!(body.contains("data-download"));

    // Asked again: back to the device's page, saying why; the password page alone shows nothing.
    let again = owner
        .browser
        .post_form(&harness.app.url(&reveal), &[("csrf_token", token.as_str())])
        .await;
    assert_eq!(again.status(), reqwest::StatusCode::SEE_OTHER);
    let location = again.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with(&page_path) && location.contains("wrong_state"),
        "{location}"
    );
    let plain = owner
        .browser
        .follow(&harness.app.url(&app::routes::device_password(
            &slug,
            &space.to_string(),
            &device.to_string(),
        )))
        .await;
    assert!(plain.body.contains("data-password-gone"), "{}", plain.body);
    assert!(!plain.body.contains(&secret["password"]));
}
