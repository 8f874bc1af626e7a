//! Devices talking, run by `cargo xtask bench` against its PostgreSQL and
//! its real Mosquitto: 1,000 devices (1,000 MQTT connections) each publish
//! once a second for 60 s; the portal's ingestion, in a process of its own
//! (this program started again with `ingest`), consumes them through its
//! shared subscription. Printed: the lag from publish to stored (p50, p99,
//! worst), messages lost or stored twice, the ingesting process's memory;
//! then a subscription of 10,000 registered devices: the device list's
//! pages (p50, p99).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use control::{
    backends::mqtt::{MqttAccess, MqttAdminClient},
    clock::SystemClock,
    domain::NewOrganization,
    infra::store::Db,
    ingest::Ingest,
    Caller, Control,
};
use rumqttc::v5::{mqttbytes::QoS, AsyncClient, MqttOptions};
use uuid::Uuid;

const DEVICES: usize = 1_000;
const SECONDS: u64 = 60;
const LISTED: usize = 10_000;
const LIST_READS: usize = 300;
const GROUP: &str = "bench";

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name}: `cargo xtask bench` sets it"))
}

fn admin() -> MqttAdminClient {
    MqttAdminClient::new(
        &env("TEST_MQTT_ADDRESS"),
        &env("TEST_MQTT_ADMIN_USERNAME"),
        &env("TEST_MQTT_ADMIN_PASSWORD"),
        Duration::from_secs(10),
    )
    .unwrap()
}

async fn control() -> Control {
    let db = Db::connect_lazy(&env("BENCH_DATABASE_URL"), 8).unwrap();
    db.migrate().await.unwrap();
    Control::new(db, Arc::new(SystemClock))
}

/// A process's resident memory, in KiB.
fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .unwrap_or(0)
}

fn now_ms() -> u64 {
    u64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis()).unwrap()
}

/// An organization with an IoT subscription to `plan` and `devices`
/// registered (written directly: registering is not what is measured).
async fn space(control: &Control, owner: &Caller, plan: &str, devices: usize) -> (String, Uuid) {
    let slug = format!("iot-{}", &Uuid::new_v4().simple().to_string()[..12]);
    let new = NewOrganization::parse("Bench Devices", &slug, "FR", "owner@bench.example").unwrap();
    control.create_organization(owner, &new).await.unwrap().unwrap();
    control.subscribe(owner, &slug, plan).await.unwrap().unwrap();
    let pool = control.db().pool();
    let subscription: Uuid = sqlx::query_scalar(
        "SELECT s.id FROM subscriptions s JOIN organizations o ON o.id = s.organization_id WHERE o.slug = $1",
    )
    .bind(&slug)
    .fetch_one(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO devices (id, subscription_id, name, created_at)
         SELECT gen_random_uuid(), $1, 'd' || lpad(i::text, 5, '0'), now() FROM generate_series(0, $2 - 1) AS i",
    )
    .bind(subscription)
    .bind(i32::try_from(devices).unwrap())
    .execute(pool)
    .await
    .unwrap();
    (slug, subscription)
}

/// The ingestion alone, until killed: what the portal runs.
async fn ingest() {
    let control = control().await;
    Ingest::new(control, admin().portal_client(GROUP), "bench")
        .run()
        .await;
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() {
    if std::env::args().nth(1).as_deref() == Some("ingest") {
        return ingest().await;
    }
    let control = control().await;
    let owner = Caller {
        identity_id: Uuid::new_v4().to_string(),
        email: "owner@bench.example".into(),
        email_verified: true,
        request_id: None,
        ip: None,
        token: None,
    };
    let (slug, subscription) = space(&control, &owner, "iot-fleet", DEVICES).await;
    // The devices connect with the tenant's own client (its role publishes
    // under every device's topic): one dynamic-security client, a
    // connection per device.
    let admin = admin();
    admin.ensure_tenant_role(&slug, subscription).await.unwrap();
    let username = format!("{slug}-ingest");
    let password = Uuid::new_v4().simple().to_string();
    admin
        .ensure_client(&slug, subscription, &username, &password)
        .await
        .unwrap();

    let mut ingesting = std::process::Command::new(std::env::current_exe().unwrap())
        .arg("ingest")
        .spawn()
        .unwrap();
    let pid = ingesting.id();
    let (host, port) = env("TEST_MQTT_ADDRESS")
        .rsplit_once(':')
        .map(|(host, port)| (host.to_owned(), port.parse::<u16>().unwrap()))
        .unwrap();
    let connect = |id: usize| {
        let mut options = MqttOptions::new(format!("bench-{slug}-{id}"), &host, port);
        options
            .set_credentials(&username, &password)
            .set_keep_alive(Duration::from_secs(30))
            // Else rumqttc keeps a table the size of Mosquitto's Receive
            // Maximum (65,535 publishes, some 14 MB) per connection.
            .set_outgoing_inflight_upper_limit(16);
        let (client, mut events) = AsyncClient::new(options, 100);
        tokio::spawn(async move { while events.poll().await.is_ok() {} });
        client
    };
    let pool = control.db().pool().clone();
    let count = |query: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(query)
                .bind(subscription)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    // A probe until the ingestion is subscribed.
    let probe = connect(DEVICES);
    let started = Instant::now();
    while count("SELECT count(*) FROM device_messages WHERE subscription_id = $1").await == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the ingestion never stored the probe"
        );
        probe
            .publish(
                format!("tenants/{slug}/devices/d00000/probe"),
                QoS::AtLeastOnce,
                false,
                "1",
            )
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let rss_idle = rss_kib(pid);

    let clients: Vec<AsyncClient> = (0..DEVICES).map(connect).collect();
    let start = tokio::time::Instant::now() + Duration::from_secs(2);
    let publishers: Vec<_> = clients
        .into_iter()
        .enumerate()
        .map(|(index, client)| {
            let topic = format!("tenants/{slug}/devices/d{index:05}/telemetry");
            tokio::spawn(async move {
                let offset =
                    Duration::from_micros(u64::try_from(index).unwrap() * 1_000_000 / DEVICES as u64);
                for second in 0..SECONDS {
                    tokio::time::sleep_until(start + offset + Duration::from_secs(second)).await;
                    let payload = format!(
                        r#"{{"seq": {second}, "sent": {}, "temperature": 20.5}}"#,
                        now_ms()
                    );
                    client
                        .publish(topic.clone(), QoS::AtLeastOnce, false, payload)
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    let peak = Arc::new(AtomicU64::new(0));
    let sampling = {
        let peak = peak.clone();
        tokio::spawn(async move {
            loop {
                peak.fetch_max(rss_kib(pid), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        })
    };
    for publisher in publishers {
        publisher.await.unwrap();
    }
    let expected = i64::try_from(DEVICES as u64 * SECONDS).unwrap();
    let drained = Instant::now();
    let seq = "SELECT count(*) FROM device_messages WHERE subscription_id = $1 AND numbers ? 'seq'";
    while count(seq).await < expected && drained.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    sampling.abort();
    let rss_peak = peak.load(Ordering::Relaxed).max(rss_kib(pid));
    let rss_end = rss_kib(pid);
    let (stored, distinct): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(DISTINCT (device_id, numbers->>'seq'))
           FROM device_messages WHERE subscription_id = $1 AND numbers ? 'seq'",
    )
    .bind(subscription)
    .fetch_one(&pool)
    .await
    .unwrap();
    let mut lags: Vec<f64> = sqlx::query_scalar(
        "SELECT extract(epoch FROM received_at)::float8 * 1000 - (numbers->>'sent')::float8
           FROM device_messages WHERE subscription_id = $1 AND numbers ? 'seq'",
    )
    .bind(subscription)
    .fetch_all(&pool)
    .await
    .unwrap();
    lags.sort_by(f64::total_cmp);
    let dropped: i64 = sqlx::query_scalar("SELECT coalesce(sum(dropped), 0) FROM device_minutes m JOIN devices d ON d.id = m.device_id WHERE d.subscription_id = $1")
        .bind(subscription)
        .fetch_one(&pool)
        .await
        .unwrap();
    let _ = ingesting.kill();
    let _ = ingesting.wait();

    println!(
        "\ndevice telemetry, {DEVICES} devices (one MQTT connection each) publishing once a second for {SECONDS} s, QoS 1, real Mosquitto, ingestion in its own process:"
    );
    println!(
        "lag publish → stored: p50 {:.0} ms, p99 {:.0} ms, worst {:.0} ms (target p99 ≤ 1,000 ms)",
        percentile(&lags, 0.5),
        percentile(&lags, 0.99),
        lags.last().copied().unwrap_or(0.0)
    );
    println!(
        "messages: {expected} published, {stored} stored, {} lost, {} stored twice, {dropped} dropped over the plan's rates",
        expected - distinct,
        stored - distinct
    );
    println!(
        "the ingesting process's memory: RSS {rss_idle} KiB subscribed and idle, {rss_peak} KiB at most while ingesting, {rss_end} KiB after"
    );

    // The device list of a subscription with 10,000 devices.
    let (slug, subscription) = space(&control, &owner, "iot-industry", LISTED).await;
    sqlx::query(
        "INSERT INTO device_activity (device_id, last_seen_at)
         SELECT id, now() - make_interval(secs => random() * 600) FROM devices WHERE subscription_id = $1",
    )
    .bind(subscription)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO device_minutes (device_id, minute, received, dropped)
         SELECT id, date_trunc('minute', now()) - make_interval(mins => m), 60, 0
           FROM devices, generate_series(0, 59) AS m WHERE subscription_id = $1",
    )
    .bind(subscription)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("ANALYZE").execute(&pool).await.unwrap();
    let pages = u32::try_from(LISTED.div_ceil(50)).unwrap();
    let mut reads = Vec::with_capacity(LIST_READS);
    for read in 0..LIST_READS {
        let page = u32::try_from(read).unwrap() % pages + 1;
        let search = if read % 10 == 0 { "d012" } else { "" };
        let started = Instant::now();
        let list = control
            .device_list(&owner, &slug, subscription, page, search)
            .await
            .unwrap()
            .unwrap();
        reads.push(started.elapsed().as_secs_f64() * 1000.0);
        assert!(!list.devices.is_empty());
    }
    reads.sort_by(f64::total_cmp);
    println!(
        "device list, {LISTED} devices registered, a page of 50 with each one's activity ({LIST_READS} reads, every page, some searched): p50 {:.1} ms, p99 {:.1} ms (target p99 ≤ 50 ms)",
        percentile(&reads, 0.5),
        percentile(&reads, 0.99)
    );
}
