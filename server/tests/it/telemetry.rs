//! Devices talk, on the real Mosquitto with Debian's clients and exactly
//! the credentials the portal showed: what a device publishes is consumed
//! by the portal's shared subscription and stored once, charted by numeric
//! field, shown raw when it is not JSON, and streamed to its page; over the
//! plan's rates, messages are dropped and counted; commands sent from the
//! portal reach a listening device, and the broker's answer is shown; old
//! messages go with the plan's retention.

use std::{process::Stdio, time::Duration};

use control::{
    domain::{CommandResult, DeviceCommand, DeviceCredentials, DeviceName, DeviceTelemetry, Refusal},
    Caller, Control,
};
use tokio::process::Command;
use uuid::Uuid;

use crate::{
    devices::{device_id, iot_space, publish},
    support::{
        browser::Person,
        process::{portal_environment, provisioning_environment, PortalProcess},
        provisioning::Harness,
        TestApp,
    },
};

/// Registers `names` in the space and gives the broker their identities;
/// returns the credentials shown for each.
async fn devices(
    harness: &Harness,
    owner: &Caller,
    slug: &str,
    space: Uuid,
    names: &[&str],
) -> Vec<(Uuid, DeviceCredentials)> {
    let control = harness.control();
    for name in names {
        control
            .register_device(owner, slug, space, &DeviceName::parse(name).unwrap())
            .await
            .unwrap()
            .unwrap();
    }
    harness.settle().await;
    let mut shown = Vec::new();
    for name in names {
        let id = device_id(harness, space, name).await;
        let credentials = control
            .device_credentials(owner, slug, space, id)
            .await
            .unwrap()
            .unwrap();
        shown.push((id, credentials));
    }
    shown
}

/// The device's telemetry once `ready` holds (or after 10 s, to fail).
async fn telemetry_when(
    control: &Control,
    owner: &Caller,
    slug: &str,
    space: Uuid,
    device: Uuid,
    ready: impl Fn(&DeviceTelemetry) -> bool,
) -> DeviceTelemetry {
    let mut last = None;
    for _ in 0..200 {
        let telemetry = control
            .device_telemetry(owner, slug, space, device)
            .await
            .unwrap()
            .unwrap();
        if ready(&telemetry) {
            return telemetry;
        }
        last = Some(telemetry);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the telemetry never got there: {last:#?}");
}

/// Waits for the next minute when less than 20 s are left of this one: the
/// rate limits count messages in windows of a clock minute, and a test
/// publishing across the turn of a minute would see two windows' limits.
async fn start_of_a_minute_if_late() {
    let second = time::OffsetDateTime::now_utc().second();
    if second >= 40 {
        tokio::time::sleep(Duration::from_millis(u64::from(60 - second) * 1000 + 100)).await;
    }
}

/// `mosquitto_pub -l`: each line a message, over one connection.
async fn publish_lines(credentials: &DeviceCredentials, topic: &str, lines: &[String]) {
    let mut child = Command::new("mosquitto_pub")
        .args(["-h", &credentials.host, "-p", &credentials.port.to_string()])
        .args(["-u", &credentials.username, "-P", &credentials.password])
        .args(["-V", "mqttv5", "-q", "1", "-t", topic, "-l"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("mosquitto_pub runs");
    let mut stdin = child.stdin.take().unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut stdin, (lines.join("\n") + "\n").as_bytes())
        .await
        .unwrap();
    drop(stdin);
    assert!(child.wait().await.unwrap().success());
}

/// `mosquitto_sub` as `credentials` on `topic`: the first message heard
/// within `seconds`.
fn first_message(credentials: &DeviceCredentials, topic: &str, seconds: u32) -> tokio::process::Child {
    Command::new("mosquitto_sub")
        .args(["-h", &credentials.host, "-p", &credentials.port.to_string()])
        .args(["-u", &credentials.username, "-P", &credentials.password])
        .args([
            "-V",
            "mqttv5",
            "-q",
            "1",
            "-C",
            "1",
            "-W",
            &seconds.to_string(),
            "-t",
            topic,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("mosquitto_sub runs")
}

async fn stored(app: &TestApp, device: Uuid) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM device_messages WHERE device_id = $1")
        .bind(device)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn what_a_device_publishes_is_stored_charted_listed_and_streamed_to_its_page() {
    let harness = Harness::for_browsers().await;
    let owner = Person::signed_in(&harness.app.base_url, "owner").await;
    let caller = owner.caller();
    let (slug, space) = iot_space(&harness, &caller).await;
    let shown = devices(&harness, &caller, &slug, space, &["sensor-1", "sensor-2"]).await;
    let (sensor, credentials) = &shown[0];
    let (quiet, _) = &shown[1];
    let control = harness.control();

    // The page, before anything was heard: offline, nothing to chart.
    let page_path = app::routes::device(&slug, &space.to_string(), &sensor.to_string());
    let page = owner.browser.follow(&harness.app.url(&page_path)).await;
    assert!(page.body.contains(r#"data-online="false""#), "{}", page.body);

    // Its event stream answers at once, then again when messages arrive.
    let live = app::routes::device_live(&slug, &space.to_string(), &sensor.to_string());
    let cookie = owner.browser.cookie_header(&harness.app.base_url).unwrap();
    let mut stream = reqwest::Client::new()
        .get(harness.app.url(&live))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), reqwest::StatusCode::OK);
    let first = stream.chunk().await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&first).contains("event: telemetry"));

    let topic = |sub: &str| format!("{}/{sub}", credentials.topic);
    assert!(
        publish(
            credentials,
            &credentials.password,
            &topic("telemetry"),
            r#"{"temperature": 21.5, "env": {"humidity": 40}, "label": "hall"}"#,
        )
        .await
    );
    assert!(publish(credentials, &credentials.password, &topic("pressure"), "1013.2").await);
    assert!(publish(credentials, &credentials.password, &topic("log"), "boot ok").await);
    // Another device's topic and another organization's: refused by the
    // broker, so never stored.
    publish(
        credentials,
        &credentials.password,
        &format!("tenants/{slug}/devices/sensor-2/telemetry"),
        r#"{"temperature": 99}"#,
    )
    .await;
    publish(
        credentials,
        &credentials.password,
        "tenants/someone-else/devices/x/telemetry",
        r#"{"temperature": 99}"#,
    )
    .await;

    let telemetry = telemetry_when(control, &caller, &slug, space, *sensor, |t| t.recent.len() == 3).await;
    let fields: Vec<(&str, &str)> = telemetry
        .series
        .iter()
        .map(|s| (s.field.as_str(), s.latest.as_str()))
        .collect();
    assert_eq!(
        fields,
        [
            ("env.humidity", "40"),
            ("pressure", "1013.2"),
            ("temperature", "21.5")
        ]
    );
    assert!(telemetry.activity.online && telemetry.activity.per_minute >= 3);
    let raw = &telemetry.recent[0];
    assert_eq!(
        (raw.topic.as_str(), raw.payload.as_str(), raw.json),
        ("log", "boot ok", false)
    );
    assert_eq!(telemetry.limit_per_minute, Some(60));

    // The stream sent the new state.
    let mut heard = String::new();
    while !heard.contains("boot ok") {
        let chunk = tokio::time::timeout(Duration::from_secs(5), stream.chunk())
            .await
            .expect("an event within 5 s")
            .unwrap()
            .unwrap();
        heard.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(heard.contains("temperature"), "{heard}");

    // Nothing reached sensor-2, and the forged message is nowhere.
    assert_eq!(stored(&harness.app, *quiet).await, 0);
    let forged: i64 = sqlx::query_scalar("SELECT count(*) FROM device_messages WHERE payload LIKE '%99%'")
        .fetch_one(&harness.app.pool)
        .await
        .unwrap();
    assert_eq!(forged, 0);

    // The page without JavaScript: the chart and the table of the same figures.
    let page = owner.browser.follow(&harness.app.url(&page_path)).await;
    for expected in [
        r#"data-series="temperature""#,
        "<polyline",
        r#"data-field="env.humidity""#,
        "boot ok",
        r#"data-online="true""#,
    ] {
        assert!(page.body.contains(expected), "{expected} missing");
    }

    // The list: sensor-1 online and talking, sensor-2 never heard.
    let list = control
        .device_list(&caller, &slug, space, 1, "")
        .await
        .unwrap()
        .unwrap();
    let rows: Vec<(&str, bool, bool)> = list
        .devices
        .iter()
        .map(|d| {
            (
                d.device.name.as_str(),
                d.activity.online,
                d.activity.per_minute > 0,
            )
        })
        .collect();
    assert_eq!(rows, [("sensor-1", true, true), ("sensor-2", false, false)]);
    let searched = control
        .device_list(&caller, &slug, space, 1, "sensor-2")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((searched.total, searched.devices.len()), (1, 1));
    let list_page = owner
        .browser
        .follow(&harness.app.url(&app::routes::devices(&slug, &space.to_string())))
        .await;
    assert!(
        list_page.body.contains(r#"data-devices-total="2""#),
        "{}",
        list_page.body
    );

    // Another organization's member reads none of it, nor its stream.
    let stranger = Person::signed_in(&harness.app.base_url, "stranger").await;
    assert_eq!(
        control
            .device_telemetry(&stranger.caller(), &slug, space, *sensor)
            .await
            .unwrap(),
        Err(Refusal::NotFound)
    );
    let cookie = stranger.browser.cookie_header(&harness.app.base_url).unwrap();
    let refused = reqwest::Client::new()
        .get(harness.app.url(&live))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), reqwest::StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn over_the_plans_rates_messages_are_dropped_and_counted() {
    let harness = Harness::for_browsers().await;
    let owner = Person::signed_in(&harness.app.base_url, "owner").await.caller();
    let (slug, space) = iot_space(&harness, &owner).await;
    // Tight limits on this test's own copy of the catalog.
    sqlx::query(
        "UPDATE plans SET device_messages_per_minute = 5, organization_messages_per_minute = 7 WHERE code = 'iot-lab'",
    )
    .execute(&harness.app.pool)
    .await
    .unwrap();
    let shown = devices(&harness, &owner, &slug, space, &["meter-a", "meter-b"]).await;
    let lines = |n: usize| (0..n).map(|i| format!(r#"{{"n": {i}}}"#)).collect::<Vec<_>>();
    let control = harness.control();

    // Rates are counted per minute of the clock: what follows must fall in one.
    start_of_a_minute_if_late().await;
    let (a, first) = &shown[0];
    publish_lines(first, &format!("{}/telemetry", first.topic), &lines(8)).await;
    let telemetry = telemetry_when(control, &owner, &slug, space, *a, |t| {
        t.activity.dropped_last_hour == 3
    })
    .await;
    assert_eq!(telemetry.activity.dropped_last_hour, 3);
    assert_eq!(stored(&harness.app, *a).await, 5);

    // The organization has 2 left this minute: meter-b's other 2 are dropped.
    let (b, second) = &shown[1];
    publish_lines(second, &format!("{}/telemetry", second.topic), &lines(4)).await;
    telemetry_when(control, &owner, &slug, space, *b, |t| {
        t.activity.dropped_last_hour == 2
    })
    .await;
    assert_eq!(stored(&harness.app, *b).await, 2);
    let (received, dropped): (i32, i32) =
        sqlx::query_as("SELECT sum(received)::int, sum(dropped)::int FROM organization_minutes")
            .fetch_one(&harness.app.pool)
            .await
            .unwrap();
    assert_eq!((received, dropped), (9, 2));
    let list = control
        .device_list(&owner, &slug, space, 1, "")
        .await
        .unwrap()
        .unwrap();
    let dropped: Vec<u32> = list
        .devices
        .iter()
        .map(|d| d.activity.dropped_last_hour)
        .collect();
    assert_eq!(dropped, [3, 2]);
}

#[tokio::test]
async fn a_command_reaches_a_listening_device_and_the_brokers_answer_is_shown() {
    let harness = Harness::for_browsers().await;
    let owner = Person::signed_in(&harness.app.base_url, "owner").await;
    let caller = owner.caller();
    let (slug, space) = iot_space(&harness, &caller).await;
    let shown = devices(&harness, &caller, &slug, space, &["lamp", "fan"]).await;
    let (lamp, credentials) = &shown[0];
    let control = harness.control();
    let command = DeviceCommand::parse(r#"{"led": "on"}"#).unwrap();

    // Nobody listens yet.
    assert_eq!(
        control
            .send_device_command(&caller, &slug, space, *lamp, &command)
            .await
            .unwrap(),
        Ok(CommandResult::NoListener)
    );

    // The lamp listens on its commands topic with its own credentials; the
    // fan may not listen to the lamp's.
    let listener = first_message(credentials, &credentials.commands_topic, 10);
    let (_, fan) = &shown[1];
    let eavesdropper = first_message(fan, &credentials.commands_topic, 3);
    let mut result = CommandResult::NoListener;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        result = control
            .send_device_command(&caller, &slug, space, *lamp, &command)
            .await
            .unwrap()
            .unwrap();
        if result == CommandResult::Delivered {
            break;
        }
    }
    assert_eq!(result, CommandResult::Delivered);
    let heard = listener.wait_with_output().await.unwrap();
    assert_eq!(String::from_utf8_lossy(&heard.stdout).trim(), r#"{"led": "on"}"#);
    let overheard = eavesdropper.wait_with_output().await.unwrap();
    assert_eq!(String::from_utf8_lossy(&overheard.stdout).trim(), "");

    // Through the form: JSON checked, the answer shown on the device's page.
    let page_path = app::routes::device(&slug, &space.to_string(), &lamp.to_string());
    let page = owner.browser.follow(&harness.app.url(&page_path)).await;
    let token = crate::support::browser::csrf_token_in(&page.body);
    let action = app::routes::device_command(&slug, &space.to_string(), &lamp.to_string());
    let refused = owner
        .browser
        .post_form(
            &harness.app.url(&action),
            &[("csrf_token", token.as_str()), ("command", "{led")],
        )
        .await;
    let location = refused.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.contains("not_json"), "{location}");
    let sent = owner
        .browser
        .post_form(
            &harness.app.url(&action),
            &[("csrf_token", token.as_str()), ("command", r#"{"led": "off"}"#)],
        )
        .await;
    let location = sent.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.ends_with("?sent=no_listener"), "{location}");
    let page = owner.browser.follow(&harness.app.url(&location)).await;
    assert!(page.body.contains(r#"data-command-result="no_listener""#));
    // Listed with what the broker answered each (the newest first).
    let first_listed = page.body.find("data-sent-command=").unwrap();
    assert!(page.body[first_listed..].starts_with(r#"data-sent-command="no_listener""#));
    assert!(page.body.contains(r#"data-sent-command="delivered""#));
    let audited: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_events WHERE action = 'device.command'")
            .fetch_one(&harness.app.pool)
            .await
            .unwrap();
    assert!(audited >= 3);

    // A stranger cannot command it.
    let stranger = Person::signed_in(&harness.app.base_url, "stranger").await;
    assert_eq!(
        control
            .send_device_command(&stranger.caller(), &slug, space, *lamp, &command)
            .await
            .unwrap(),
        Err(Refusal::NotFound)
    );
}

#[tokio::test]
async fn portals_on_one_database_store_every_message_once() {
    let harness = Harness::for_browsers().await;
    // Two more replicas, as processes of their own: the same database, the
    // same ingestion group (three consumers share the subscription).
    let mut environment = portal_environment(&harness.app.database);
    environment.extend(provisioning_environment(
        &harness.stack,
        &[("RUN_ENGINE", "false".to_owned())],
    ));
    let mut replicas: Vec<PortalProcess> = (0..2)
        .map(|index| {
            let log =
                std::env::temp_dir().join(format!("bibind-ingest-{}-{index}.log", harness.app.database));
            PortalProcess::spawn(&environment, &log)
        })
        .collect();
    for replica in &mut replicas {
        replica.wait_until_serving().await;
    }
    let owner = Person::signed_in(&harness.app.base_url, "owner").await.caller();
    let (slug, space) = iot_space(&harness, &owner).await;
    // Room for 300 messages in a minute.
    sqlx::query("UPDATE plans SET device_messages_per_minute = 1000 WHERE code = 'iot-lab'")
        .execute(&harness.app.pool)
        .await
        .unwrap();
    let shown = devices(&harness, &owner, &slug, space, &["probe"]).await;
    let (probe, credentials) = &shown[0];
    // Every replica has joined the group.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let lines: Vec<String> = (0..300).map(|i| format!(r#"{{"seq": {i}}}"#)).collect();
    publish_lines(credentials, &format!("{}/telemetry", credentials.topic), &lines).await;
    for _ in 0..200 {
        if stored(&harness.app, *probe).await >= 300 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Whatever would come twice has had time to.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (count, distinct): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(DISTINCT numbers->>'seq') FROM device_messages WHERE device_id = $1",
    )
    .bind(probe)
    .fetch_one(&harness.app.pool)
    .await
    .unwrap();
    assert_eq!((count, distinct), (300, 300));
    drop(replicas);
}

#[tokio::test]
async fn messages_older_than_the_plans_retention_are_deleted_and_days_are_made_ahead() {
    let harness = Harness::for_browsers().await;
    let owner = Person::signed_in(&harness.app.base_url, "owner").await.caller();
    let (slug, space) = iot_space(&harness, &owner).await;
    let shown = devices(&harness, &owner, &slug, space, &["old-timer"]).await;
    let (device, _) = &shown[0];
    // iot-lab keeps 7 days.
    for days in [0, 6, 8, 40] {
        sqlx::query(
            "INSERT INTO device_messages (subscription_id, device_id, received_at, topic, payload, numbers)
             VALUES ($1, $2, now() - make_interval(days => $3), 't', $3::text, '{}')",
        )
        .bind(space)
        .bind(device)
        .bind(days)
        .execute(&harness.app.pool)
        .await
        .unwrap();
    }
    harness.control().keep_device_messages().await.unwrap();
    let kept: Vec<String> = sqlx::query_scalar(
        "SELECT payload FROM device_messages WHERE device_id = $1 ORDER BY received_at DESC",
    )
    .bind(device)
    .fetch_all(&harness.app.pool)
    .await
    .unwrap();
    assert_eq!(kept, ["0", "6"]);
    let days: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_inherits WHERE inhparent = 'device_messages'::regclass
           AND inhrelid::regclass::text >= 'device_messages_' || to_char(now() AT TIME ZONE 'UTC', 'YYYYMMDD')
           AND inhrelid::regclass::text <> 'device_messages_default'",
    )
    .fetch_one(&harness.app.pool)
    .await
    .unwrap();
    assert_eq!(days, 3);
}
