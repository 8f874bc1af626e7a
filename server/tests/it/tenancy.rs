//! Members, invitations, subscriptions and quotas through the control
//! plane, against a fresh database and the real SMTP sink: roles are
//! enforced, an organization keeps an owner, quotas are checked before
//! anything is written, and every change is audited with the change.

use crate::support;
use control::{
    clock::FixedClock,
    domain::{
        AuditFilter, DeviceName, FieldProblem, Locale, NewInvitation, NewOrganization, OfferKind, QuotaKind,
        Refusal, Role, SubscriptionState,
    },
    Caller,
};
use support::{
    browser::unique_email,
    mail,
    tenancy::{self, invitation_token},
    TestApp,
};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// Someone calling from 192.0.2.9 with request id `req-<name>`, as the audit trail records.
fn person(name: &str) -> Caller {
    Caller {
        request_id: Some(format!("req-{name}")),
        ip: Some("192.0.2.9".parse().unwrap()),
        ..support::person(name)
    }
}

fn id(caller: &Caller) -> Uuid {
    caller.identity_id.parse().unwrap()
}

struct Acme {
    app: TestApp,
    owner: Caller,
    slug: String,
}

/// A fresh application where `owner` owns an organization.
async fn acme() -> Acme {
    acme_on(TestApp::builder()).await
}

/// As `acme`, on an application built by `builder`.
async fn acme_on(builder: support::TestAppBuilder) -> Acme {
    let app = builder.spawn().await;
    let owner = person("owner");
    let slug = format!("acme-{}", &Uuid::new_v4().simple().to_string()[..8]);
    let new = NewOrganization::parse("Acme", &slug, "FR", "billing@acme.example").unwrap();
    app.control
        .create_organization(&owner, &new)
        .await
        .unwrap()
        .unwrap();
    Acme { app, owner, slug }
}

impl Acme {
    /// Invites `who` with `role` and has them accept through the e-mailed link.
    async fn join(&self, who: &Caller, role: Role) {
        tenancy::join(&self.app, &self.owner, &self.slug, who, role).await;
    }

    async fn role_of(&self, who: &Caller) -> Option<Role> {
        let overview = self
            .app
            .control
            .organization_overview(&self.owner, &self.slug)
            .await
            .unwrap()
            .unwrap();
        overview
            .members
            .iter()
            .find(|m| m.email == who.email)
            .map(|m| m.role)
    }

    async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(&self.app.pool).await.unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invitation_is_mailed_accepted_once_and_only_by_its_addressee() {
    let acme = acme().await;
    let ada = person("ada");
    let invitation = NewInvitation::parse(&ada.email, "admin").unwrap();
    acme.app
        .control
        .invite_member(&acme.owner, &acme.slug, &invitation, Locale::Fr)
        .await
        .unwrap()
        .unwrap();
    let letter = mail::latest_to(&ada.email).await;
    assert!(
        letter.subject.contains("vous invite à rejoindre Acme"),
        "{}",
        letter.subject
    );
    assert!(letter.text.contains("administrateur"), "{}", letter.text);
    let token = invitation_token(&letter);

    // Only the token's hash is stored.
    let stored = acme
        .count(&format!(
            "SELECT count(*) FROM invitations WHERE position('{token}' in encode(token_sha256, 'hex')) > 0"
        ))
        .await;
    assert_eq!(stored, 0);

    let preview = acme
        .app
        .control
        .invitation_preview(&token, None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (preview.organization_name.as_str(), preview.role),
        ("Acme", Role::Admin)
    );

    let eve = person("eve");
    assert_eq!(
        acme.app.control.accept_invitation(&eve, &token).await.unwrap(),
        Err(Refusal::WrongAccount)
    );
    assert_eq!(
        acme.app.control.accept_invitation(&ada, &token).await.unwrap(),
        Ok(acme.slug.clone())
    );
    assert_eq!(acme.role_of(&ada).await, Some(Role::Admin));
    // Single use.
    assert_eq!(
        acme.app.control.accept_invitation(&ada, &token).await.unwrap(),
        Err(Refusal::InvitationGone)
    );
    assert!(acme
        .app
        .control
        .invitation_preview(&token, None)
        .await
        .unwrap()
        .is_none());
    let actions: Vec<String> = sqlx::query_scalar("SELECT action FROM audit_events ORDER BY id")
        .fetch_all(&acme.app.pool)
        .await
        .unwrap();
    assert_eq!(
        actions,
        ["organization.create", "invitation.create", "membership.join"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_and_withdrawn_invitations_do_not_open() {
    let clock = FixedClock::new(OffsetDateTime::now_utc());
    let acme = acme_on(TestApp::builder().clock(clock.clone())).await;
    let (late, withdrawn) = (person("late"), person("withdrawn"));
    let invite = |who: &Caller| {
        let invitation = NewInvitation::parse(&who.email, "member").unwrap();
        let (control, owner, slug) = (acme.app.control.clone(), acme.owner.clone(), acme.slug.clone());
        async move {
            control
                .invite_member(&owner, &slug, &invitation, Locale::En)
                .await
                .unwrap()
                .unwrap();
        }
    };
    // Invited eight days ago: a week's invitation, expired a day ago.
    invite(&late).await;
    clock.advance(Duration::days(8));
    invite(&withdrawn).await;
    let late_token = invitation_token(&mail::latest_to(&late.email).await);
    assert_eq!(
        acme.app
            .control
            .accept_invitation(&late, &late_token)
            .await
            .unwrap(),
        Err(Refusal::InvitationGone)
    );

    let withdrawn_token = invitation_token(&mail::latest_to(&withdrawn.email).await);
    let overview = acme
        .app
        .control
        .organization_overview(&acme.owner, &acme.slug)
        .await
        .unwrap()
        .unwrap();
    let pending = overview
        .invitations
        .iter()
        .find(|i| i.email == withdrawn.email)
        .unwrap();
    acme.app
        .control
        .revoke_invitation(&acme.owner, &acme.slug, pending.id.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        acme.app
            .control
            .accept_invitation(&withdrawn, &withdrawn_token)
            .await
            .unwrap(),
        Err(Refusal::InvitationGone)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_decide_who_changes_what_and_an_owner_always_remains() {
    let acme = acme().await;
    let (admin, member) = (person("admin"), person("member"));
    acme.join(&admin, Role::Admin).await;
    acme.join(&member, Role::Member).await;
    let control = &acme.app.control;

    // A member may not invite; an admin may, but not an owner.
    let someone = NewInvitation::parse("someone@example.com", "member").unwrap();
    assert_eq!(
        control
            .invite_member(&member, &acme.slug, &someone, Locale::En)
            .await
            .unwrap(),
        Err(Refusal::Forbidden)
    );
    let new_owner = NewInvitation::parse("boss@example.com", "owner").unwrap();
    assert_eq!(
        control
            .invite_member(&admin, &acme.slug, &new_owner, Locale::En)
            .await
            .unwrap(),
        Err(Refusal::Forbidden)
    );
    // An admin neither promotes to owner nor touches the owner.
    assert_eq!(
        control
            .change_member_role(&admin, &acme.slug, id(&member), Role::Owner)
            .await
            .unwrap(),
        Err(Refusal::Forbidden)
    );
    assert_eq!(
        control
            .remove_member(&admin, &acme.slug, id(&acme.owner))
            .await
            .unwrap(),
        Err(Refusal::Forbidden)
    );
    // The only owner cannot step down or leave.
    assert_eq!(
        control
            .change_member_role(&acme.owner, &acme.slug, id(&acme.owner), Role::Admin)
            .await
            .unwrap(),
        Err(Refusal::LastOwner)
    );
    assert_eq!(
        control
            .remove_member(&acme.owner, &acme.slug, id(&acme.owner))
            .await
            .unwrap(),
        Err(Refusal::LastOwner)
    );
    // With a second owner, the first may step down.
    control
        .change_member_role(&acme.owner, &acme.slug, id(&admin), Role::Owner)
        .await
        .unwrap()
        .unwrap();
    control
        .change_member_role(&acme.owner, &acme.slug, id(&acme.owner), Role::Member)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(acme.role_of(&acme.owner).await, Some(Role::Member));
    // A member leaves by themselves; an outsider sees nothing.
    control
        .remove_member(&member, &acme.slug, id(&member))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(acme.role_of(&member).await, None);
    assert_eq!(
        control
            .remove_member(&member, &acme.slug, id(&admin))
            .await
            .unwrap(),
        Err(Refusal::NotFound)
    );
    let change: (String, String, String) = sqlx::query_as(
        "SELECT target, before::text, after::text FROM audit_events
          WHERE action = 'membership.role_change' ORDER BY id LIMIT 1",
    )
    .fetch_one(&acme.app.pool)
    .await
    .unwrap();
    assert_eq!(change.0, format!("member:{}", admin.email));
    assert_eq!(
        (change.1.as_str(), change.2.as_str()),
        (r#"{"role": "admin"}"#, r#"{"role": "owner"}"#)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_follow_their_plan_and_refuse_what_does_not_fit() {
    let acme = acme().await;
    let control = &acme.app.control;
    let (owner, slug) = (&acme.owner, acme.slug.as_str());

    assert_eq!(
        control.subscribe(owner, slug, "no-such-plan").await.unwrap(),
        Err(Refusal::field("plan", FieldProblem::Unknown))
    );
    control
        .subscribe(owner, slug, "shop-starter")
        .await
        .unwrap()
        .unwrap();
    control
        .subscribe(owner, slug, "learn-academy")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        control.subscribe(owner, slug, "shop-business").await.unwrap(),
        Err(Refusal::AlreadySubscribed)
    );
    let overview = control.organization_overview(owner, slug).await.unwrap().unwrap();
    let states: Vec<(&str, SubscriptionState)> = overview
        .subscriptions
        .iter()
        .map(|s| (s.plan_code.as_str(), s.state))
        .collect();
    assert_eq!(
        states,
        [
            ("shop-starter", SubscriptionState::Requested),
            ("learn-academy", SubscriptionState::AwaitingApproval)
        ]
    );
    let shop = &overview.subscriptions[0];
    let seats = shop.quotas.iter().find(|q| q.quota == QuotaKind::Seats).unwrap();
    assert_eq!((seats.used, seats.limit), (Some(1), 5));

    // Starter has 5 seats: 4 more people fit, the 6th is refused with its numbers.
    for n in 0..4 {
        let invitation = NewInvitation::parse(&format!("p{n}-{}", unique_email("seat")), "member").unwrap();
        control
            .invite_member(owner, slug, &invitation, Locale::En)
            .await
            .unwrap()
            .unwrap();
    }
    let sixth = NewInvitation::parse("sixth@example.com", "member").unwrap();
    assert_eq!(
        control
            .invite_member(owner, slug, &sixth, Locale::En)
            .await
            .unwrap(),
        Err(Refusal::Quota {
            quota: QuotaKind::Seats,
            limit: 5,
            requested: 6
        })
    );
    assert_eq!(
        acme.count("SELECT count(*) FROM invitations WHERE email = 'sixth@example.com'")
            .await,
        0
    );
    // Learners do not take e-commerce seats.
    let learner = NewInvitation::parse("learner@example.com", "learner").unwrap();
    control
        .invite_member(owner, slug, &learner, Locale::En)
        .await
        .unwrap()
        .unwrap();

    // A stale form is refused; a current one moves the plan.
    let id: Uuid = shop.id.parse().unwrap();
    assert_eq!(
        control
            .change_plan(owner, slug, id, "shop-business", shop.version + 1)
            .await
            .unwrap(),
        Err(Refusal::Stale)
    );
    control
        .change_plan(owner, slug, id, "shop-business", shop.version)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        control
            .change_plan(owner, slug, id, "learn-class", shop.version + 1)
            .await
            .unwrap(),
        Err(Refusal::field("plan", FieldProblem::Unknown)),
        "a plan of another offer"
    );
    // Back to Starter would hold 5 seat holders in 5 seats; the training
    // plan with 30 seats holds 7.
    let before = acme.count("SELECT count(*) FROM audit_events").await;
    sqlx::query("UPDATE plans SET seats = 4 WHERE code = 'shop-starter'")
        .execute(&acme.app.pool)
        .await
        .unwrap();
    assert_eq!(
        control
            .change_plan(owner, slug, id, "shop-starter", shop.version + 1)
            .await
            .unwrap(),
        Err(Refusal::Quota {
            quota: QuotaKind::Seats,
            limit: 4,
            requested: 5
        })
    );
    assert_eq!(
        acme.count("SELECT count(*) FROM audit_events").await,
        before,
        "nothing written"
    );

    // Cancelling what was never provisioned closes it at once.
    control
        .cancel_subscription(owner, slug, id, shop.version + 1)
        .await
        .unwrap()
        .unwrap();
    let overview = control.organization_overview(owner, slug).await.unwrap().unwrap();
    assert_eq!(overview.subscriptions.len(), 1);
    assert_eq!(
        control.subscribe(owner, slug, "shop-starter").await.unwrap(),
        Err(Refusal::Quota {
            quota: QuotaKind::Seats,
            limit: 4,
            requested: 5
        }),
        "subscribing checks the seats too"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_owners_and_admins_read_the_audit_log_and_filters_narrow_it() {
    let acme = acme().await;
    let member = person("member");
    acme.join(&member, Role::Member).await;
    let control = &acme.app.control;
    control
        .subscribe(&acme.owner, &acme.slug, "iot-lab")
        .await
        .unwrap()
        .unwrap();

    let all = control
        .organization_audit(&acme.owner, &acme.slug, &AuditFilter::default())
        .await
        .unwrap()
        .unwrap();
    let actions: Vec<&str> = all.entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "subscription.create",
            "membership.join",
            "invitation.create",
            "organization.create"
        ]
    );
    assert_eq!(all.entries[0].ip, None, "customers do not see addresses");
    // What the entry's sentence names is read with it: the offer, the plan's names.
    assert_eq!(all.entries[0].offer, Some(OfferKind::Iot));
    let lab = &all.entries[0].plan_names["iot-lab"];
    assert_eq!((lab.en.as_str(), lab.fr.as_str()), ("Lab", "Labo"));
    assert_eq!(
        all.entries[1].offer, None,
        "a membership concerns no subscription"
    );
    let memberships = control
        .organization_audit(
            &acme.owner,
            &acme.slug,
            &AuditFilter {
                action: Some("membership.".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(memberships.entries.len(), 1);
    assert_eq!(memberships.entries[0].actor, member.email);
    let bad_day = control
        .organization_audit(
            &acme.owner,
            &acme.slug,
            &AuditFilter {
                since: Some("26/11/2026".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(bad_day, Err(Refusal::field("since", FieldProblem::InvalidDate)));
    assert_eq!(
        control
            .organization_audit(&member, &acme.slug, &AuditFilter::default())
            .await
            .unwrap(),
        Err(Refusal::Forbidden)
    );
    assert_eq!(
        control
            .organization_audit(&person("stranger"), &acme.slug, &AuditFilter::default())
            .await
            .unwrap(),
        Err(Refusal::NotFound)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_owners_withdraw_or_replace_an_invitation_to_become_owner() {
    let acme = acme().await;
    let admin = person("admin");
    acme.join(&admin, Role::Admin).await;
    let control = &acme.app.control;
    let heir = NewInvitation::parse("heir@example.com", "owner").unwrap();
    control
        .invite_member(&acme.owner, &acme.slug, &heir, Locale::En)
        .await
        .unwrap()
        .unwrap();
    let overview = control
        .organization_overview(&acme.owner, &acme.slug)
        .await
        .unwrap()
        .unwrap();
    let invitation: Uuid = overview
        .invitations
        .iter()
        .find(|i| i.email == "heir@example.com")
        .unwrap()
        .id
        .parse()
        .unwrap();
    assert_eq!(
        control
            .revoke_invitation(&admin, &acme.slug, invitation)
            .await
            .unwrap(),
        Err(Refusal::Forbidden)
    );
    let downgrade = NewInvitation::parse("heir@example.com", "member").unwrap();
    assert_eq!(
        control
            .invite_member(&admin, &acme.slug, &downgrade, Locale::En)
            .await
            .unwrap(),
        Err(Refusal::Forbidden)
    );
    let still = control
        .organization_overview(&acme.owner, &acme.slug)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        still.invitations.iter().filter(|i| i.role == Role::Owner).count(),
        1,
        "nothing was changed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_count_against_their_quota_and_learners_cannot_register_them() {
    let acme = acme().await;
    let (member, learner) = (person("member"), person("learner"));
    acme.join(&member, Role::Member).await;
    acme.join(&learner, Role::Learner).await;
    let control = &acme.app.control;
    control
        .subscribe(&acme.owner, &acme.slug, "iot-lab")
        .await
        .unwrap()
        .unwrap();
    let subscription: Uuid = control
        .organization_overview(&member, &acme.slug)
        .await
        .unwrap()
        .unwrap()
        .subscriptions[0]
        .id
        .parse()
        .unwrap();
    let operator = person("operator");
    let admin = tenancy::platform_admin(&acme.app, &operator).await;
    control
        .set_quota_override(Some(&admin), &operator, subscription, QuotaKind::Devices, Some(2))
        .await
        .unwrap()
        .unwrap();
    let name = |raw: &str| DeviceName::parse(raw).unwrap();
    for device in ["sensor-1", "sensor-2"] {
        control
            .register_device(&member, &acme.slug, subscription, &name(device))
            .await
            .unwrap()
            .unwrap();
    }
    assert_eq!(
        control
            .register_device(&member, &acme.slug, subscription, &name("sensor-3"))
            .await
            .unwrap(),
        Err(Refusal::Quota {
            quota: QuotaKind::Devices,
            limit: 2,
            requested: 3
        })
    );
    assert_eq!(
        control
            .register_device(&learner, &acme.slug, subscription, &name("sensor-9"))
            .await
            .unwrap(),
        Err(Refusal::Forbidden)
    );
    assert_eq!(
        control
            .register_device(&person("stranger"), &acme.slug, subscription, &name("sensor-9"))
            .await
            .unwrap(),
        Err(Refusal::NotFound)
    );
    let overview = control
        .organization_overview(&member, &acme.slug)
        .await
        .unwrap()
        .unwrap();
    let iot = &overview.subscriptions[0];
    let devices = iot.quotas.iter().find(|q| q.quota == QuotaKind::Devices).unwrap();
    assert_eq!(
        (devices.used, devices.limit, devices.plan_limit),
        (Some(2), 2, Some(50))
    );
    let first: Uuid = iot.devices[0].id.parse().unwrap();
    assert_eq!(
        control
            .register_device(&member, &acme.slug, subscription, &name("sensor-1"))
            .await
            .unwrap(),
        Err(Refusal::field("name", FieldProblem::Taken)),
        "a name already registered says so, full or not"
    );
    control
        .remove_device(&member, &acme.slug, subscription, first)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        control
            .register_device(&member, &acme.slug, subscription, &name("sensor-2"))
            .await
            .unwrap(),
        Err(Refusal::field("name", FieldProblem::Taken))
    );
    control
        .register_device(&member, &acme.slug, subscription, &name("sensor-3"))
        .await
        .unwrap()
        .unwrap();
    let actions: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_events WHERE action LIKE 'device.%' ORDER BY id")
            .fetch_all(&acme.app.pool)
            .await
            .unwrap();
    assert_eq!(
        actions,
        [
            "device.register",
            "device.register",
            "device.remove",
            "device.register"
        ]
    );
}
