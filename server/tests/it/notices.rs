//! Customers hear by e-mail what happens to their services and their
//! organization, each in the language of their account: notices ride the
//! engine's queue, so a mail relay that refuses is tried again later, and
//! nobody is told twice.

use std::sync::Arc;

use control::{
    admin::decisions::Reason,
    domain::{RetryPolicy, Role},
    infra::mail::Mailer,
    jobs::{AfterStep, Worker},
    provisioning::ProvisioningRunner,
    Caller,
};

use crate::support::{
    browser::{create_identity_speaking, unique_email},
    mail,
    provisioning::{person, Harness},
    tenancy::{create_organization, join},
};

/// Someone whose Kratos account chose `locale`.
async fn speaking(name: &str, locale: &str) -> Caller {
    let email = unique_email(name);
    Caller {
        identity_id: create_identity_speaking(locale, &email).await,
        email,
        ..person(name)
    }
}

async fn unsent(harness: &Harness) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM notifications WHERE sent_at IS NULL")
        .fetch_one(&harness.app.pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owners_and_admins_hear_of_their_services_and_organization_in_their_language() {
    let harness = Harness::start().await;
    let owner = speaking("owner", "fr").await;
    let admin = speaking("admin", "en").await;
    let member = person("member");
    let slug = format!("notices-{}", uuid::Uuid::new_v4().simple());
    let slug = &slug[..30];
    create_organization(&harness.app, &owner, "Acme", slug).await;
    join(&harness.app, &owner, slug, &admin, Role::Admin).await;
    join(&harness.app, &owner, slug, &member, Role::Member).await;
    harness.settle().await;
    // The owner hears who joined, in French; who joined is not told of it.
    let joined = mail::latest_about(&owner.email, "a rejoint Acme").await;
    assert_eq!(joined.subject, format!("{} a rejoint Acme", member.email));
    assert!(joined.text.contains(&format!("/orgs/{slug}")), "{}", joined.text);
    assert!(mail::subjects_to(&member.email)
        .await
        .iter()
        .all(|s| !s.contains("joined")));

    harness.active_subscription(&owner, slug, "iot-lab").await;
    let ready = mail::latest_about(&owner.email, "est prêt").await;
    assert_eq!(ready.subject, "Votre service IoT pour Acme est prêt");
    let ready = mail::latest_about(&admin.email, "is ready").await;
    assert_eq!(ready.subject, "Your IoT service for Acme is ready");
    let member_mail = mail::subjects_to(&member.email).await;
    assert_eq!(
        member_mail.len(),
        1,
        "members get their invitation, not the service's news: {member_mail:?}"
    );

    let (user, operator) = &harness.admin;
    let version = harness.tenant_version(slug).await;
    let reason = Reason::parse("Unpaid invoice").unwrap();
    harness
        .control()
        .suspend_organization(Some(user), operator, slug, version, &reason)
        .await
        .unwrap()
        .unwrap();
    harness.settle().await;
    let suspended = mail::latest_about(&admin.email, "is suspended").await;
    assert_eq!(suspended.subject, "Acme is suspended on Bibind");
    assert!(
        suspended.text.contains("Why: Unpaid invoice") && suspended.text.contains("reply to this message")
    );
    assert!(
        suspended.reply_to.contains("support@"),
        "replies reach Bibind: {:?}",
        suspended.reply_to
    );
    let suspendue = mail::latest_about(&owner.email, "est suspendue").await;
    assert!(
        suspendue.text.contains("Motif : Unpaid invoice"),
        "{}",
        suspendue.text
    );

    assert_eq!(unsent(&harness).await, 0);
    let subjects = mail::subjects_to(&admin.email).await;
    assert_eq!(
        subjects.iter().filter(|s| s.contains("is ready")).count(),
        1,
        "told once: {subjects:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notice_the_relay_refused_is_sent_on_a_later_attempt() {
    let harness = Harness::start().await;
    let owner = person("owner");
    let member = person("member");
    let slug = format!("relay-{}", uuid::Uuid::new_v4().simple());
    let slug = &slug[..30];
    create_organization(&harness.app, &owner, "Acme", slug).await;
    join(&harness.app, &owner, slug, &member, Role::Member).await;

    // A worker whose relay does not answer: the notice waits, unsent.
    let no_relay = harness
        .app
        .control
        .clone()
        .with_mailer(Mailer::smtp("127.0.0.1:9", "Bibind <portal@bibind.test>").unwrap());
    let runner = Arc::new(ProvisioningRunner::new(
        no_relay.clone(),
        harness.stack.backends.clone(),
        harness.stack.settings.clone(),
    ));
    let worker = Worker::new(no_relay, "no-relay", runner).with_policy(RetryPolicy {
        max_attempts: 5,
        first_delay: time::Duration::milliseconds(50),
        max_delay: time::Duration::milliseconds(100),
    });
    let (_, after) = worker.run_one().await.unwrap().expect("the notice job");
    assert_eq!(after, AfterStep::Settled(control::domain::JobState::Waiting));
    assert_eq!(unsent(&harness).await, 1);
    assert!(mail::subjects_to(&owner.email)
        .await
        .iter()
        .all(|s| !s.contains("joined")));

    // The next attempt, with the relay back, sends it once.
    harness.settle().await;
    assert_eq!(unsent(&harness).await, 0);
    let joined = mail::latest_about(&owner.email, "joined Acme").await;
    assert_eq!(joined.subject, format!("{} joined Acme", member.email));
    let subjects = mail::subjects_to(&owner.email).await;
    assert_eq!(
        subjects.iter().filter(|s| s.contains("joined")).count(),
        1,
        "{subjects:?}"
    );
}
