//! A training organization enrolling 1,000 learners from one CSV file, run
//! by `cargo xtask bench` against its PostgreSQL: the time to keep the file
//! and show its preview (every line checked against the organization, the
//! seats for the whole file), and the time the trainer's confirmation
//! takes (invitations written and queued; the letters go out through the
//! engine, not while the page waits), with this process's peak memory.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::{sync::Arc, time::Instant};

use control::{
    clock::SystemClock,
    domain::{Locale, NewOrganization},
    infra::{mail::Mailer, store::Db},
    Caller, Control,
};

const LEARNERS: usize = 1_000;
const ROUNDS: usize = 5;

/// This process's resident and peak resident memory, in KiB.
fn memory_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kib| kib.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn learners_file(round: usize) -> String {
    let mut file = String::from("email;first name;last name;language;courses\n");
    for index in 0..LEARNERS {
        let language = if index % 2 == 0 { "fr" } else { "en" };
        file.push_str(&format!(
            "learner-{round}-{index}@bench.example;Learner;Number {index};{language};\n"
        ));
    }
    file
}

#[tokio::main]
async fn main() {
    let url = std::env::var("BENCH_DATABASE_URL").expect("BENCH_DATABASE_URL: `cargo xtask bench` sets it");
    let smtp = std::env::var("TEST_SMTP_ADDRESS").expect("TEST_SMTP_ADDRESS: `cargo xtask bench` sets it");
    let db = Db::connect_lazy(&url, 8).unwrap();
    db.migrate().await.unwrap();
    let control = Control::new(db, Arc::new(SystemClock))
        .with_mailer(Mailer::smtp(&smtp, "Bibind <no-reply@bibind.localhost>").unwrap());
    let trainer = Caller {
        identity_id: uuid::Uuid::new_v4().to_string(),
        email: "trainer@bench.example".into(),
        email_verified: true,
        request_id: None,
        ip: None,
        token: None,
    };
    let mut previews = Vec::new();
    let mut confirmations = Vec::new();
    let (rss_before, _) = memory_kib();
    for round in 0..ROUNDS {
        // A new organization each round: every line is a new learner.
        let slug = format!("enrol-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        let new = NewOrganization::parse("Bench Campus", &slug, "FR", "trainer@bench.example").unwrap();
        control
            .create_organization(&trainer, &new)
            .await
            .unwrap()
            .unwrap();
        control
            .subscribe(&trainer, &slug, "learn-academy")
            .await
            .unwrap()
            .unwrap();
        let file = learners_file(round);

        let started = Instant::now();
        let import = control
            .upload_learners(&trainer, &slug, "learners.csv", &file)
            .await
            .unwrap()
            .unwrap();
        let preview = control
            .learner_import(&trainer, &slug, import)
            .await
            .unwrap()
            .unwrap();
        previews.push(started.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(preview.to_invite as usize, LEARNERS, "{:?}", preview.over_seats);

        let started = Instant::now();
        let sent = control
            .send_learner_invitations(&trainer, &slug, import, Locale::En)
            .await
            .unwrap()
            .unwrap();
        confirmations.push(started.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(sent as usize, LEARNERS);
    }
    let (rss_after, peak) = memory_kib();
    previews.sort_by(f64::total_cmp);
    confirmations.sort_by(f64::total_cmp);
    println!("\nbulk enrolment, a CSV file of {LEARNERS} learners, {ROUNDS} organizations, PostgreSQL on loopback:");
    println!(
        "upload and preview (every line checked, seats for the whole file): median {:.0} ms, worst {:.0} ms (target < 10 s)",
        previews[ROUNDS / 2],
        previews[ROUNDS - 1]
    );
    println!(
        "confirmation ({LEARNERS} invitations written and audited, one engine job queued for the letters): median {:.0} ms, worst {:.0} ms",
        confirmations[ROUNDS / 2],
        confirmations[ROUNDS - 1]
    );
    println!(
        "memory of the process doing it: RSS {rss_before} KiB before, {rss_after} KiB after, peak {peak} KiB"
    );
}
