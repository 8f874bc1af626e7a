//! Roles and memberships go only to addresses someone proved are theirs,
//! and the operator's limits hold: an unverified account creates no
//! organization, subscribes to nothing, joins nothing and administers
//! nothing; a verification counts at once; over a limit the change is
//! refused with its numbers, nothing of it written, and the refusal audited.
//! Learners see their own membership only.

use crate::support;
use control::{
    domain::{
        AdminAccess, Locale, NewInvitation, NewOrganization, PlatformLimit, Refusal, Role, SignedInUser,
    },
    Caller,
};
use support::{
    browser::{csrf_token_in, unique_email, verify_address, Person},
    mail, tenancy, TestApp,
};

fn person(name: &str, verified: bool) -> Caller {
    Caller {
        email_verified: verified,
        ip: Some("198.51.100.7".parse().unwrap()),
        ..support::person(name)
    }
}

fn organization(slug: &str) -> NewOrganization {
    NewOrganization::parse("Acme", slug, "fr", "billing@acme.example").unwrap()
}

/// The token of the invitation last mailed to `email`.
async fn invitation_token(email: &str) -> String {
    tenancy::invitation_token(&mail::latest_to(email).await)
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.pool).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unproven_address_creates_no_organization_until_verified_and_then_at_once() {
    let app = TestApp::builder().oidc().spawn().await;
    let person = Person::signed_in_unverified(&app.base_url, "squatter").await;
    let post = |token: String| {
        let browser = &person.browser;
        let url = app.url("/orgs/new");
        async move {
            browser
                .post_form(
                    &url,
                    &[
                        ("csrf_token", token.as_str()),
                        ("name", "Acme"),
                        ("slug", "acme-verified"),
                        ("country", "FR"),
                        ("billing_email", "billing@acme.example"),
                    ],
                )
                .await
        }
    };
    let token = csrf_token_in(&person.browser.follow(&app.url("/orgs/new")).await.body);
    let refused = post(token).await;
    let location = refused.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("/orgs/new?") && location.contains("refused=address_not_verified"),
        "{location}"
    );
    let page = person.browser.follow(&app.url(&location)).await.body;
    assert!(
        page.contains("data-verify-address"),
        "the refusal links to verifying"
    );
    assert_eq!(count(&app, "SELECT count(*) FROM organizations").await, 0);
    assert_eq!(count(&app, "SELECT count(*) FROM audit_events").await, 0);

    // The code Kratos mailed is used: the very next post counts it.
    verify_address(&person.identity_id).await;
    let token = csrf_token_in(&person.browser.follow(&app.url("/orgs/new")).await.body);
    let created = post(token).await;
    assert_eq!(created.headers()["location"], "/orgs/acme-verified");
    let verified_in_audit: bool = sqlx::query_scalar(
        "SELECT actor_email_verified FROM audit_events WHERE action = 'organization.create'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(verified_in_audit, "the audit event says the address was verified");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unproven_address_subscribes_to_nothing_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let owner = person("owner", true);
    app.control
        .create_organization(&owner, &organization("acme-sub"))
        .await
        .unwrap()
        .unwrap();
    // The same person after changing their address to one not proven yet.
    let changed = Caller {
        email: unique_email("changed"),
        email_verified: false,
        ..owner.clone()
    };
    let before = count(&app, "SELECT count(*) FROM audit_events").await;
    let refused = app
        .control
        .subscribe(&changed, "acme-sub", "shop-starter")
        .await
        .unwrap();
    assert_eq!(refused, Err(Refusal::AddressNotVerified));
    assert_eq!(count(&app, "SELECT count(*) FROM subscriptions").await, 0);
    assert_eq!(count(&app, "SELECT count(*) FROM audit_events").await, before);
    app.control
        .subscribe(&owner, "acme-sub", "shop-starter")
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invitation_is_joined_only_with_the_invited_address_proven_and_waits_meanwhile() {
    let app = TestApp::spawn().await;
    let owner = person("owner", true);
    app.control
        .create_organization(&owner, &organization("acme-inv"))
        .await
        .unwrap()
        .unwrap();
    let invitee = person("invitee", false);
    let invitation = NewInvitation::parse(&invitee.email, "member").unwrap();
    app.control
        .invite_member(&owner, "acme-inv", &invitation, Locale::En)
        .await
        .unwrap()
        .unwrap();
    let token = invitation_token(&invitee.email).await;

    let refused = app.control.accept_invitation(&invitee, &token).await.unwrap();
    assert_eq!(refused, Err(Refusal::AddressNotVerified));
    assert_eq!(
        count(&app, "SELECT count(*) FROM memberships").await,
        1,
        "only the owner"
    );
    let proven = Caller {
        email_verified: true,
        ..invitee.clone()
    };
    let joined = app.control.accept_invitation(&proven, &token).await.unwrap();
    assert_eq!(joined, Ok("acme-inv".to_owned()), "the invitation was kept");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_platform_admin_whose_address_is_not_verified_is_refused_the_admin_area() {
    let app = TestApp::spawn().await;
    let ops = tenancy::platform_admin(&app, &support::person("ops")).await;
    let admin = |verified: bool| SignedInUser {
        email_verified: verified,
        ..ops.clone()
    };
    assert_eq!(
        app.control
            .admin_gate(Some(&admin(false)), "/admin")
            .await
            .unwrap(),
        AdminAccess::Forbidden
    );
    assert_eq!(
        app.control
            .admin_gate(Some(&admin(true)), "/admin")
            .await
            .unwrap(),
        AdminAccess::Granted(())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owning_more_organizations_than_allowed_is_refused_with_the_numbers_and_audited() {
    let app = TestApp::builder()
        .tenancy(server::config::TenancyConfig {
            organizations_per_account: 2,
            ..Default::default()
        })
        .spawn()
        .await;
    let owner = person("hoarder", true);
    for slug in ["hoard-1", "hoard-2"] {
        app.control
            .create_organization(&owner, &organization(slug))
            .await
            .unwrap()
            .unwrap();
    }
    let refused = app
        .control
        .create_organization(&owner, &organization("hoard-3"))
        .await
        .unwrap();
    assert_eq!(
        refused,
        Err(Refusal::Limit {
            limit: PlatformLimit::OrganizationsPerAccount,
            allowed: 2,
            current: 2,
        })
    );
    assert_eq!(count(&app, "SELECT count(*) FROM organizations").await, 2);
    let audited: (String, String, serde_json::Value) =
        sqlx::query_as("SELECT actor_email, target, after FROM audit_events WHERE action = 'limit.refused'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(audited.0, owner.email);
    assert_eq!(audited.1, "organization:hoard-3");
    assert_eq!(
        audited.2,
        serde_json::json!({ "limit": "organizations_per_account", "allowed": 2, "current": 2 })
    );
    // Someone else still may.
    app.control
        .create_organization(&person("other", true), &organization("hoard-4"))
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_from_one_address_are_limited_per_hour_and_pending_ones_per_organization() {
    let app = TestApp::builder()
        .tenancy(server::config::TenancyConfig {
            organizations_per_account: 10,
            pending_subscriptions_per_organization: 1,
            subscriptions_per_address_per_hour: 2,
            ..Default::default()
        })
        .spawn()
        .await;
    let owner = person("busy", true);
    for slug in ["busy-1", "busy-2", "busy-3"] {
        app.control
            .create_organization(&owner, &organization(slug))
            .await
            .unwrap()
            .unwrap();
    }
    app.control
        .subscribe(&owner, "busy-1", "shop-starter")
        .await
        .unwrap()
        .unwrap();
    // A second service of busy-1 while the first still waits.
    let waiting = app.control.subscribe(&owner, "busy-1", "iot-lab").await.unwrap();
    assert_eq!(
        waiting,
        Err(Refusal::Limit {
            limit: PlatformLimit::PendingSubscriptionsPerOrganization,
            allowed: 1,
            current: 1,
        })
    );
    app.control
        .subscribe(&owner, "busy-2", "shop-starter")
        .await
        .unwrap()
        .unwrap();
    // Two subscriptions from 198.51.100.7 this hour already.
    let third = app
        .control
        .subscribe(&owner, "busy-3", "shop-starter")
        .await
        .unwrap();
    assert_eq!(
        third,
        Err(Refusal::Limit {
            limit: PlatformLimit::SubscriptionsPerAddressPerHour,
            allowed: 2,
            current: 2,
        })
    );
    assert_eq!(count(&app, "SELECT count(*) FROM subscriptions").await, 2);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM audit_events WHERE action = 'limit.refused'"
        )
        .await,
        2
    );
    // From another address, busy-3 subscribes.
    let elsewhere = Caller {
        ip: Some("203.0.113.5".parse().unwrap()),
        ..owner.clone()
    };
    app.control
        .subscribe(&elsewhere, "busy-3", "shop-starter")
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_learner_sees_their_own_membership_not_the_other_members_addresses() {
    let app = TestApp::spawn().await;
    let owner = person("trainer", true);
    app.control
        .create_organization(&owner, &organization("academy"))
        .await
        .unwrap()
        .unwrap();
    let mut joined = Vec::new();
    for (name, role) in [("learner", "learner"), ("colleague", "member")] {
        let someone = person(name, true);
        let invitation = NewInvitation::parse(&someone.email, role).unwrap();
        app.control
            .invite_member(&owner, "academy", &invitation, Locale::En)
            .await
            .unwrap()
            .unwrap();
        let token = invitation_token(&someone.email).await;
        app.control
            .accept_invitation(&someone, &token)
            .await
            .unwrap()
            .unwrap();
        joined.push(someone);
    }
    let learner = &joined[0];
    let seen = app
        .control
        .organization_overview(learner, "academy")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(seen.organization.name, "Acme");
    assert_eq!(seen.organization.role, Role::Learner);
    let emails: Vec<&str> = seen.members.iter().map(|m| m.email.as_str()).collect();
    assert_eq!(emails, vec![learner.email.as_str()], "only their own row");
    assert!(seen.billing_email.is_empty());

    let colleague = &joined[1];
    let seen = app
        .control
        .organization_overview(colleague, "academy")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(seen.members.len(), 3, "members still see each other");
}
