//! The admin side of tenancy through the control plane, against a fresh
//! database: the tenant search's filters, sorting and pages; approvals;
//! suspension with a reason the customer reads; closing after a typed
//! confirmation; plans edited by two admins at once; quota overrides; the
//! platform's audit log. Everyone but a platform admin at AAL2 is refused.

use crate::support;
use control::{
    admin::decisions::{Decision, Reason},
    domain::{
        AdminAccess, AuditFilter, FieldProblem, Locale, NewInvitation, NewOrganization, OfferKind,
        OrganizationSearch, OrganizationSort, PlanForm, QuotaKind, Refusal, SignedInUser, SubscriptionState,
    },
    Caller,
};
use support::{
    provisioning::{organization, Harness},
    TestApp,
};
use uuid::Uuid;

use support::person;

/// A platform admin signed in with a second factor.
async fn admin(app: &TestApp) -> (SignedInUser, Caller) {
    let caller = person("operator");
    (support::tenancy::platform_admin(app, &caller).await, caller)
}

fn customer_user(caller: &Caller) -> SignedInUser {
    SignedInUser {
        identity_id: caller.identity_id.clone(),
        email: caller.email.clone(),
        email_verified: true,
        display_name: "Customer".into(),
        assurance_level: "aal2".into(),
    }
}

async fn create(app: &TestApp, owner: &Caller, name: &str, slug: &str, country: &str) {
    let new = NewOrganization::parse(name, slug, country, "billing@example.com").unwrap();
    app.control
        .create_organization(owner, &new)
        .await
        .unwrap()
        .unwrap();
}

async fn version_of(app: &TestApp, slug: &str) -> i32 {
    sqlx::query_scalar("SELECT version FROM organizations WHERE slug = $1")
        .bind(slug)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tenant_search_filters_sorts_and_pages() {
    // One owner of sixty shops: over the default limit of organizations per account.
    let app = TestApp::builder()
        .tenancy(server::config::TenancyConfig {
            organizations_per_account: 60,
            ..Default::default()
        })
        .spawn()
        .await;
    let (user, operator) = admin(&app).await;
    let owner = person("owner");
    for n in 0..60 {
        let country = if n % 3 == 0 { "BE" } else { "FR" };
        create(
            &app,
            &owner,
            &format!("Shop {n:02}"),
            &format!("shop-{n:02}"),
            country,
        )
        .await;
    }
    for n in 0..5 {
        app.control
            .subscribe(&owner, &format!("shop-{n:02}"), "iot-fleet")
            .await
            .unwrap()
            .unwrap();
    }
    // Two shops on a shop plan, one of them also on the IoT plan: counted once each.
    for slug in ["shop-04", "shop-05"] {
        app.control
            .subscribe(&owner, slug, "shop-starter")
            .await
            .unwrap()
            .unwrap();
    }
    let reason = Reason::parse("Unpaid invoice").unwrap();
    for slug in ["shop-10", "shop-11"] {
        let version = version_of(&app, slug).await;
        app.control
            .suspend_organization(Some(&user), &operator, slug, version, &reason)
            .await
            .unwrap()
            .unwrap();
    }
    let search = |query: OrganizationSearch| {
        let (control, user) = (app.control.clone(), user.clone());
        async move {
            match control.search_organizations(Some(&user), &query).await.unwrap() {
                AdminAccess::Granted(page) => page,
                other => panic!("refused: {other:?}"),
            }
        }
    };

    let first = search(OrganizationSearch {
        page: 1,
        ..Default::default()
    })
    .await;
    assert_eq!((first.total, first.rows.len(), first.pages()), (60, 25, 3));
    assert_eq!(first.rows[0].slug, "shop-00");
    assert_eq!(first.rows[0].members, 1);
    assert_eq!(first.rows[0].plans, ["iot-fleet"]);
    let last = search(OrganizationSearch {
        page: 3,
        ..Default::default()
    })
    .await;
    assert_eq!(last.rows.len(), 10);
    assert_eq!(last.rows[9].slug, "shop-59");

    let belgian = search(OrganizationSearch {
        country: Some("be".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(belgian.total, 20);
    let suspended = search(OrganizationSearch {
        state: Some("suspended".into()),
        ..Default::default()
    })
    .await;
    let slugs: Vec<&str> = suspended.rows.iter().map(|r| r.slug.as_str()).collect();
    assert_eq!(slugs, ["shop-10", "shop-11"]);
    let iot = search(OrganizationSearch {
        offer: Some(OfferKind::Iot),
        ..Default::default()
    })
    .await;
    assert_eq!(iot.total, 5);
    let fleet = search(OrganizationSearch {
        plan: Some("iot-fleet".into()),
        country: Some("FR".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(fleet.total, 3, "shop-01, 02 and 04");
    let starter = search(OrganizationSearch {
        plan: Some("shop-starter".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(starter.total, 2);
    let slugs: Vec<&str> = starter.rows.iter().map(|r| r.slug.as_str()).collect();
    assert_eq!(slugs, ["shop-04", "shop-05"]);
    let neither = search(OrganizationSearch {
        offer: Some(OfferKind::Iot),
        plan: Some("shop-starter".into()),
        ..Default::default()
    })
    .await;
    assert_eq!((neither.total, neither.rows.len()), (0, 0));
    let unknown_plan = search(OrganizationSearch {
        plan: Some("no-such-plan".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(unknown_plan.total, 0);
    assert!(unknown_plan.rows.is_empty());
    let text = search(OrganizationSearch {
        text: Some("OP 4".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(text.total, 10, "shop-40 … shop-49 by name");
    let newest = search(OrganizationSearch {
        sort: OrganizationSort::NewestFirst,
        ..Default::default()
    })
    .await;
    assert_eq!(newest.rows[0].slug, "shop-59");
    let wildcard = search(OrganizationSearch {
        text: Some("%".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(wildcard.total, 0, "LIKE wildcards are taken literally");

    // A customer, even at AAL2, is not an admin.
    let refused = app
        .control
        .search_organizations(Some(&customer_user(&owner)), &OrganizationSearch::default())
        .await
        .unwrap();
    assert_eq!(refused, AdminAccess::Forbidden);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_organizations_and_subscriptions_wait_for_approval_and_rejections_say_why() {
    let app = TestApp::builder().approve_new_organizations().spawn().await;
    let (user, operator) = admin(&app).await;
    let owner = person("owner");
    create(&app, &owner, "Waiting", "waiting", "FR").await;
    let control = &app.control;
    control
        .subscribe(&owner, "waiting", "learn-class")
        .await
        .unwrap()
        .unwrap();
    control
        .subscribe(&owner, "waiting", "shop-scale")
        .await
        .unwrap()
        .unwrap();
    assert!(states(&app, "waiting")
        .await
        .iter()
        .all(|(_, state, _)| *state == SubscriptionState::AwaitingApproval));

    // A customer cannot approve; a stale form is refused.
    let version = version_of(&app, "waiting").await;
    assert_eq!(
        control
            .decide_organization(
                Some(&customer_user(&owner)),
                &owner,
                "waiting",
                version,
                &Decision::Approve
            )
            .await
            .unwrap(),
        Err(Refusal::Forbidden)
    );
    assert_eq!(
        control
            .decide_organization(Some(&user), &operator, "waiting", version - 1, &Decision::Approve)
            .await
            .unwrap(),
        Err(Refusal::Stale)
    );
    control
        .decide_organization(Some(&user), &operator, "waiting", version, &Decision::Approve)
        .await
        .unwrap()
        .unwrap();
    // The training plan needed only the organization's approval; Scale needs its own.
    let after = states(&app, "waiting").await;
    let state_of = |offer| {
        after
            .iter()
            .find(|(o, _, _)| *o == offer)
            .map(|(_, state, _)| *state)
    };
    assert_eq!(state_of(OfferKind::Training), Some(SubscriptionState::Requested));
    assert_eq!(
        state_of(OfferKind::Ecommerce),
        Some(SubscriptionState::AwaitingApproval)
    );

    let overview = control
        .organization_overview(&owner, "waiting")
        .await
        .unwrap()
        .unwrap();
    let scale = overview
        .subscriptions
        .iter()
        .find(|s| s.offer == OfferKind::Ecommerce)
        .unwrap();
    let reason = Reason::parse("Scale needs a signed contract first").unwrap();
    control
        .decide_subscription(
            Some(&user),
            &operator,
            scale.id.parse().unwrap(),
            scale.version,
            &Decision::Reject(reason),
        )
        .await
        .unwrap()
        .unwrap();
    let overview = control
        .organization_overview(&owner, "waiting")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        overview.subscriptions.len(),
        1,
        "the rejected subscription is closed"
    );
    let rejected: (String, Option<String>) =
        sqlx::query_as("SELECT state, state_reason FROM subscriptions WHERE id = $1::uuid")
            .bind(&scale.id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        rejected,
        (
            "closed".into(),
            Some("Scale needs a signed contract first".into())
        )
    );
}

/// The offer, state and reason of each live subscription of `slug`.
async fn states(app: &TestApp, slug: &str) -> Vec<(OfferKind, SubscriptionState, Option<String>)> {
    let owner = owner_of(app, slug).await;
    let overview = app
        .control
        .organization_overview(&owner, slug)
        .await
        .unwrap()
        .unwrap();
    overview
        .subscriptions
        .iter()
        .map(|s| (s.offer, s.state, s.reason.clone()))
        .collect()
}

/// The owner of `slug` (its first member), as a caller.
async fn owner_of(app: &TestApp, slug: &str) -> Caller {
    let (identity_id, email): (Uuid, String) = sqlx::query_as(
        "SELECT m.identity_id, m.email FROM memberships m JOIN organizations o ON o.id = m.organization_id
          WHERE o.slug = $1 AND m.role = 'owner' LIMIT 1",
    )
    .bind(slug)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    Caller {
        identity_id: identity_id.to_string(),
        email,
        email_verified: true,
        request_id: None,
        ip: None,
        token: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_suspension_shows_its_reason_to_the_customer_until_resumed_and_closing_needs_the_typed_slug() {
    let harness = Harness::start().await;
    let app = &harness.app;
    let (user, operator) = harness.admin.clone();
    let owner = person("owner");
    let slug = organization(&harness, &owner).await;
    let control = &app.control;
    harness.active_subscription(&owner, &slug, "iot-lab").await;

    let reason = Reason::parse("Unpaid invoice 2026-11").unwrap();
    let version = version_of(app, &slug).await;
    control
        .suspend_organization(Some(&user), &operator, &slug, version, &reason)
        .await
        .unwrap()
        .unwrap();
    let seen = control
        .organization_overview(&owner, &slug)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        seen.organization.state,
        control::domain::OrganizationState::Suspended
    );
    assert_eq!(seen.state_reason.as_deref(), Some("Unpaid invoice 2026-11"));
    assert_eq!(seen.subscriptions[0].state, SubscriptionState::Suspended);
    assert_eq!(
        seen.subscriptions[0].reason, None,
        "the organization's reason is said once, not again on its services"
    );
    // A learner sees that it is suspended, not why (billing is the owners').
    let learner = person("learner");
    sqlx::query(
        "INSERT INTO memberships (organization_id, identity_id, email, role, created_at)
         SELECT id, $2::uuid, $3, 'learner', now() FROM organizations WHERE slug = $1",
    )
    .bind(&slug)
    .bind(&learner.identity_id)
    .bind(&learner.email)
    .execute(&app.pool)
    .await
    .unwrap();
    let mut seen_by_learner = None;
    for _ in 0..50 {
        if let Ok(page) = control.organization_overview(&learner, &slug).await.unwrap() {
            seen_by_learner = Some(page);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let seen_by_learner = seen_by_learner.expect("the learner sees the organization");
    assert_eq!(
        seen_by_learner.organization.state,
        control::domain::OrganizationState::Suspended
    );
    assert_eq!(seen_by_learner.state_reason, None);
    assert_eq!(
        seen_by_learner.subscriptions[0].state,
        SubscriptionState::Suspended
    );
    assert_eq!(seen_by_learner.subscriptions[0].reason, None);
    assert_eq!(
        control.subscribe(&owner, &slug, "shop-starter").await.unwrap(),
        Err(Refusal::WrongState),
        "a suspended tenant cannot subscribe"
    );
    assert_eq!(
        control
            .suspend_organization(Some(&user), &operator, &slug, version, &reason)
            .await
            .unwrap(),
        Err(Refusal::Stale)
    );
    control
        .resume_organization(
            Some(&user),
            &operator,
            &slug,
            version + 1,
            &Reason::parse("Invoice paid").unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    let seen = control
        .organization_overview(&owner, &slug)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (seen.organization.state.as_str(), seen.state_reason.as_deref()),
        ("active", Some("Invoice paid")),
        "the owner reads why it was resumed"
    );
    assert_eq!(seen.subscriptions[0].state, SubscriptionState::Active);

    let invitation = NewInvitation::parse("late@example.com", "member").unwrap();
    control
        .invite_member(&owner, &slug, &invitation, Locale::En)
        .await
        .unwrap()
        .unwrap();
    let version = version_of(app, &slug).await;
    assert_eq!(
        control
            .close_organization(Some(&user), &operator, &slug, version, &slug[..slug.len() - 1])
            .await
            .unwrap(),
        Err(Refusal::field("confirmation", FieldProblem::Mismatch))
    );
    control
        .close_organization(Some(&user), &operator, &slug, version, &slug)
        .await
        .unwrap()
        .unwrap();
    assert!(control.my_organizations(&owner).await.unwrap().is_empty());
    assert_eq!(
        control.organization_overview(&owner, &slug).await.unwrap(),
        Err(Refusal::NotFound)
    );
    let left: (String, i64) = sqlx::query_as(
        "SELECT (SELECT state FROM subscriptions), (SELECT count(*) FROM invitations WHERE revoked_at IS NULL)",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(left, ("deprovisioning".into(), 0));

    let actions: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_events WHERE action LIKE 'tenant.%' ORDER BY id")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(actions, ["tenant.suspend", "tenant.resume", "tenant.close"]);
    let page = match control
        .platform_audit(
            Some(&user),
            &AuditFilter {
                organization: Some(slug.clone()),
                action: Some("tenant.".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
    {
        AdminAccess::Granted(Ok(page)) => page,
        other => panic!("{other:?}"),
    };
    assert_eq!(page.entries.len(), 3);
    assert_eq!(page.entries[0].actor, operator.email);
    assert!(page.entries[2]
        .after
        .as_deref()
        .unwrap_or_default()
        .contains("Unpaid invoice"));
}

fn plan_form(code: &str, seats: &str) -> PlanForm {
    PlanForm {
        offer: "training".into(),
        code: code.into(),
        name_en: "School".into(),
        name_fr: "École".into(),
        monthly_price: "59".into(),
        cpu_millicores: "1000".into(),
        memory_mib: "2048".into(),
        storage_gib: "20".into(),
        seats: seats.into(),
        devices: "".into(),
        backup_retention_days: "14".into(),
        openstack_vcpus: "0".into(),
        openstack_ram_mib: "0".into(),
        openstack_instances: "0".into(),
        requires_approval: None,
        included_modules: "website_slides_forum".into(),
        optional_modules: "website_slides_survey, website_blog".into(),
        ..PlanForm::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_iot_plans_telemetry_limits_are_set_by_its_form_and_read_back() {
    let app = TestApp::spawn().await;
    let (user, operator) = admin(&app).await;
    let form = PlanForm {
        offer: "iot".into(),
        code: "iot-farm".into(),
        seats: String::new(),
        devices: "200".into(),
        included_modules: String::new(),
        optional_modules: String::new(),
        device_messages_per_minute: "30".into(),
        organization_messages_per_minute: "5000".into(),
        telemetry_retention_days: "14".into(),
        ..plan_form("iot-farm", "")
    };
    let draft = form.parse().unwrap();
    app.control
        .create_plan(Some(&user), &operator, &draft)
        .await
        .unwrap()
        .unwrap();
    let plans = match app.control.admin_plans(Some(&user)).await.unwrap() {
        control::domain::AdminAccess::Granted(plans) => plans,
        other => panic!("{other:?}"),
    };
    let farm = plans.iter().find(|plan| plan.code == "iot-farm").unwrap();
    assert_eq!(
        farm.telemetry,
        Some(control::domain::TelemetryLimits {
            device_messages_per_minute: 30,
            organization_messages_per_minute: 5000,
            retention_days: 14,
        })
    );
    // What the ingestion reads.
    let limits: (i32, i32, i32) = sqlx::query_as(
        "SELECT device_messages_per_minute, organization_messages_per_minute, telemetry_retention_days
           FROM plans WHERE code = 'iot-farm'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(limits, (30, 5000, 14));
    // Edited: the form shows them, and a zero is refused beside its field.
    let edit = PlanForm {
        device_messages_per_minute: "0".into(),
        ..PlanForm::of(farm)
    };
    let refused: Vec<String> = edit.parse().unwrap_err().into_iter().map(|e| e.field).collect();
    assert_eq!(refused, ["device_messages_per_minute"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plans_are_created_edited_without_lost_updates_and_retired_but_kept_by_subscribers() {
    let app = TestApp::spawn().await;
    let (user, operator) = admin(&app).await;
    let (_, other_operator) = admin(&app).await;
    let control = &app.control;
    let draft = plan_form("learn-school", "60").parse().unwrap();
    control
        .create_plan(Some(&user), &operator, &draft)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        control.create_plan(Some(&user), &operator, &draft).await.unwrap(),
        Err(Refusal::field("code", FieldProblem::Taken))
    );
    let owner = person("owner");
    create(&app, &owner, "School", "school", "FR").await;
    control
        .subscribe(&owner, "school", "learn-school")
        .await
        .unwrap()
        .unwrap();

    // Two admins opened the plan at version 1; the second save is stale.
    let cheaper = PlanForm {
        monthly_price: "49".into(),
        ..plan_form("learn-school", "60")
    }
    .parse()
    .unwrap();
    let bigger = PlanForm {
        seats: "80".into(),
        ..plan_form("learn-school", "60")
    }
    .parse()
    .unwrap();
    control
        .update_plan(Some(&user), &operator, "learn-school", 1, &cheaper)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        control
            .update_plan(Some(&user), &other_operator, "learn-school", 1, &bigger)
            .await
            .unwrap(),
        Err(Refusal::Stale)
    );
    control
        .set_plan_on_sale(Some(&user), &operator, "learn-school", 2, false)
        .await
        .unwrap()
        .unwrap();
    let catalog = control.public_catalog().await.unwrap();
    assert!(catalog
        .iter()
        .flat_map(|o| &o.plans)
        .all(|p| p.code.as_str() != "learn-school"));
    let kept = control
        .organization_overview(&owner, "school")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        kept.subscriptions[0].plan_code, "learn-school",
        "a retired plan stays on its subscriptions"
    );
    assert_eq!(
        control
            .subscribe(&person("late"), "school", "learn-school")
            .await
            .unwrap(),
        Err(Refusal::NotFound)
    );
    control
        .set_plan_on_sale(Some(&user), &operator, "learn-school", 3, true)
        .await
        .unwrap()
        .unwrap();
    let plans = match control.admin_plans(Some(&user)).await.unwrap() {
        AdminAccess::Granted(plans) => plans,
        other => panic!("{other:?}"),
    };
    let school = plans.iter().find(|p| p.code == "learn-school").unwrap();
    assert_eq!(
        (
            school.monthly_price_cents,
            school.subscriptions,
            school.retired_on.as_deref()
        ),
        (4900, 1, None)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quota_override_shows_as_the_effective_quota_and_cannot_go_below_usage() {
    let app = TestApp::spawn().await;
    let (user, operator) = admin(&app).await;
    let owner = person("owner");
    create(&app, &owner, "Acme", "acme", "FR").await;
    let control = &app.control;
    control
        .subscribe(&owner, "acme", "shop-starter")
        .await
        .unwrap()
        .unwrap();
    for n in 0..2 {
        let invitation = NewInvitation::parse(&format!("colleague{n}@example.com"), "member").unwrap();
        control
            .invite_member(&owner, "acme", &invitation, Locale::En)
            .await
            .unwrap()
            .unwrap();
    }
    let subscription: Uuid = control
        .organization_overview(&owner, "acme")
        .await
        .unwrap()
        .unwrap()
        .subscriptions[0]
        .id
        .parse()
        .unwrap();
    assert_eq!(
        control
            .set_quota_override(Some(&user), &operator, subscription, QuotaKind::Seats, Some(2))
            .await
            .unwrap(),
        Err(Refusal::Quota {
            quota: QuotaKind::Seats,
            limit: 2,
            requested: 3
        })
    );
    control
        .set_quota_override(Some(&user), &operator, subscription, QuotaKind::Seats, Some(12))
        .await
        .unwrap()
        .unwrap();
    let seats = |overview: control::domain::OrganizationOverview| {
        overview.subscriptions[0]
            .quotas
            .iter()
            .find(|q| q.quota == QuotaKind::Seats)
            .cloned()
            .unwrap()
    };
    let effective = seats(
        control
            .organization_overview(&owner, "acme")
            .await
            .unwrap()
            .unwrap(),
    );
    assert_eq!(
        (effective.limit, effective.plan_limit, effective.used),
        (12, Some(5), Some(3))
    );
    control
        .set_quota_override(Some(&user), &operator, subscription, QuotaKind::Seats, None)
        .await
        .unwrap()
        .unwrap();
    let effective = seats(
        control
            .organization_overview(&owner, "acme")
            .await
            .unwrap()
            .unwrap(),
    );
    assert_eq!((effective.limit, effective.plan_limit), (5, None));
    assert_eq!(
        control
            .set_quota_override(Some(&user), &operator, subscription, QuotaKind::Devices, Some(3))
            .await
            .unwrap(),
        Err(Refusal::field("quota", FieldProblem::Unknown)),
        "an e-commerce plan has no devices"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_service_keeps_its_plan_until_a_plan_change_is_approved() {
    let harness = Harness::start().await;
    let app = &harness.app;
    let (user, operator) = harness.admin.clone();
    let owner = person("owner");
    let slug = organization(&harness, &owner).await;
    let control = &app.control;
    harness.active_subscription(&owner, &slug, "shop-business").await;
    let current = |app: &TestApp| {
        let (control, owner, slug) = (app.control.clone(), owner.clone(), slug.clone());
        async move {
            control
                .organization_overview(&owner, &slug)
                .await
                .unwrap()
                .unwrap()
                .subscriptions[0]
                .clone()
        }
    };

    // Scale needs approval: the service stays on Business, active, until then.
    let before = current(app).await;
    control
        .change_plan(
            &owner,
            &slug,
            before.id.parse().unwrap(),
            "shop-scale",
            before.version,
        )
        .await
        .unwrap()
        .unwrap();
    let waiting = current(app).await;
    assert_eq!(
        (waiting.plan_code.as_str(), waiting.state),
        ("shop-business", SubscriptionState::Active)
    );
    assert_eq!(
        waiting.pending_plan.as_ref().map(|(code, _)| code.as_str()),
        Some("shop-scale")
    );

    let reason = Reason::parse("Scale needs a signed contract").unwrap();
    control
        .decide_subscription(
            Some(&user),
            &operator,
            waiting.id.parse().unwrap(),
            waiting.version,
            &Decision::Reject(reason),
        )
        .await
        .unwrap()
        .unwrap();
    let refused = current(app).await;
    assert_eq!(
        (refused.plan_code.as_str(), refused.state),
        ("shop-business", SubscriptionState::Active)
    );
    assert_eq!(
        (refused.pending_plan, refused.reason.as_deref()),
        (None, Some("Scale needs a signed contract"))
    );

    control
        .change_plan(
            &owner,
            &slug,
            refused.id.parse().unwrap(),
            "shop-scale",
            refused.version,
        )
        .await
        .unwrap()
        .unwrap();
    let again = current(app).await;
    control
        .decide_subscription(
            Some(&user),
            &operator,
            again.id.parse().unwrap(),
            again.version,
            &Decision::Approve,
        )
        .await
        .unwrap()
        .unwrap();
    let approved = current(app).await;
    assert_eq!(
        (approved.plan_code.as_str(), approved.state),
        ("shop-scale", SubscriptionState::Active)
    );
    assert_eq!((approved.pending_plan, approved.reason), (None, None));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resuming_puts_each_subscription_back_where_the_suspension_found_it() {
    let harness = Harness::start().await;
    let app = &harness.app;
    let (user, operator) = harness.admin.clone();
    let owner = person("owner");
    let slug = organization(&harness, &owner).await;
    let control = &app.control;
    harness.active_subscription(&owner, &slug, "iot-lab").await;
    control
        .subscribe(&owner, &slug, "shop-starter")
        .await
        .unwrap()
        .unwrap();
    let reason = Reason::parse("Unpaid invoice").unwrap();
    let version = version_of(app, &slug).await;
    control
        .suspend_organization(Some(&user), &operator, &slug, version, &reason)
        .await
        .unwrap()
        .unwrap();
    assert!(states(app, &slug)
        .await
        .iter()
        .all(|(_, state, _)| *state == SubscriptionState::Suspended));
    control
        .resume_organization(
            Some(&user),
            &operator,
            &slug,
            version + 1,
            &Reason::parse("Invoice paid").unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    let mut after = states(app, &slug).await;
    after.sort_by_key(|(offer, _, _)| offer.code());
    assert_eq!(
        after,
        [
            (OfferKind::Ecommerce, SubscriptionState::Requested, None),
            (OfferKind::Iot, SubscriptionState::Active, None)
        ],
        "never provisioned stays requested; running is running again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_cannot_lower_a_limit_under_what_a_tenant_uses() {
    let app = TestApp::spawn().await;
    let (user, operator) = admin(&app).await;
    let owner = person("owner");
    create(&app, &owner, "Acme", "acme", "FR").await;
    let control = &app.control;
    control
        .subscribe(&owner, "acme", "shop-starter")
        .await
        .unwrap()
        .unwrap();
    for n in 0..3 {
        let invitation = NewInvitation::parse(&format!("colleague{n}@example.com"), "member").unwrap();
        control
            .invite_member(&owner, "acme", &invitation, Locale::En)
            .await
            .unwrap()
            .unwrap();
    }
    // The plan's seats go from 5 to 3 while Acme holds 4.
    let plans = match control.admin_plans(Some(&user)).await.unwrap() {
        AdminAccess::Granted(plans) => plans,
        other => panic!("{other:?}"),
    };
    let starter = plans.iter().find(|p| p.code == "shop-starter").unwrap();
    let fewer = PlanForm {
        seats: "3".into(),
        ..PlanForm::of(starter)
    }
    .parse()
    .unwrap();
    assert_eq!(
        control
            .update_plan(Some(&user), &operator, "shop-starter", starter.version, &fewer)
            .await
            .unwrap(),
        Err(Refusal::Quota {
            quota: QuotaKind::Seats,
            limit: 3,
            requested: 4
        })
    );
    // An override above usage, then removing it while usage has grown past the plan.
    let subscription: Uuid = control
        .organization_overview(&owner, "acme")
        .await
        .unwrap()
        .unwrap()
        .subscriptions[0]
        .id
        .parse()
        .unwrap();
    control
        .set_quota_override(Some(&user), &operator, subscription, QuotaKind::Seats, Some(10))
        .await
        .unwrap()
        .unwrap();
    for n in 3..6 {
        let invitation = NewInvitation::parse(&format!("colleague{n}@example.com"), "member").unwrap();
        control
            .invite_member(&owner, "acme", &invitation, Locale::En)
            .await
            .unwrap()
            .unwrap();
    }
    assert_eq!(
        control
            .set_quota_override(Some(&user), &operator, subscription, QuotaKind::Seats, None)
            .await
            .unwrap(),
        Err(Refusal::Quota {
            quota: QuotaKind::Seats,
            limit: 5,
            requested: 7
        })
    );
    assert_eq!(
        control
            .set_quota_override(
                Some(&user),
                &operator,
                subscription,
                QuotaKind::Seats,
                Some(2_000_000_000)
            )
            .await
            .unwrap(),
        Err(Refusal::field("value", FieldProblem::OutOfRange))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_read_their_log_without_addresses_or_bibind_staff_names() {
    let app = TestApp::spawn().await;
    let (user, operator) = admin(&app).await;
    let owner = Caller {
        ip: Some("198.51.100.4".parse().unwrap()),
        request_id: Some("req-owner".into()),
        ..person("owner")
    };
    create(&app, &owner, "Acme", "acme", "FR").await;
    let reason = Reason::parse("Checking the account").unwrap();
    let version = version_of(&app, "acme").await;
    app.control
        .suspend_organization(Some(&user), &operator, "acme", version, &reason)
        .await
        .unwrap()
        .unwrap();
    let page = app
        .control
        .organization_audit(&owner, "acme", &AuditFilter::default())
        .await
        .unwrap()
        .unwrap();
    let seen: Vec<(&str, &str)> = page
        .entries
        .iter()
        .map(|e| (e.action.as_str(), e.actor.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            ("tenant.suspend", "Bibind"),
            ("organization.create", owner.email.as_str())
        ]
    );
    assert!(page
        .entries
        .iter()
        .all(|e| e.ip.is_none() && e.request_id.is_none()));
    // The platform's own log keeps them.
    let platform = match app
        .control
        .platform_audit(
            Some(&user),
            &AuditFilter {
                organization: Some("acme".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
    {
        AdminAccess::Granted(Ok(page)) => page,
        other => panic!("{other:?}"),
    };
    assert_eq!(platform.entries[0].actor, operator.email);
    assert_eq!(platform.entries[1].ip.as_deref(), Some("198.51.100.4"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_export_reads_keyset_pages_newest_first_without_gaps_or_repeats() {
    let app = TestApp::spawn().await;
    let (user, operator) = admin(&app).await;
    create(&app, &operator, "Acme", "acme", "FR").await;
    // Many entries share an instant, so pages end inside ties of `at`.
    sqlx::query(
        "INSERT INTO audit_events (at, actor, organization_id, action, target)
         SELECT timestamptz '2025-06-01 00:00:00+00' + (i % 7) * interval '1 hour', 'seed', o.id,
                'quota.override', 'entry-' || i
           FROM organizations o, generate_series(1, 2345) i WHERE o.slug = 'acme'",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let export_of = |filter: AuditFilter| {
        let (control, user) = (&app.control, &user);
        async move {
            match control.audit_export(Some(user), &filter).await.unwrap() {
                AdminAccess::Granted(Ok(export)) => export,
                _ => panic!("the platform admin's export was refused"),
            }
        }
    };
    let mut export = export_of(AuditFilter {
        organization: Some("acme".into()),
        action: Some("quota.".into()),
        since: Some("2025-06-01".into()),
        until: Some("2025-06-30".into()),
        ..Default::default()
    })
    .await;
    let (mut pages, mut ids) = (Vec::new(), Vec::new());
    while let Some(page) = export.next_page().await.unwrap() {
        pages.push(page.len());
        ids.extend(page.iter().map(|entry| entry.id));
    }
    assert_eq!(pages, [1000, 1000, 345]);
    let newest_first: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM audit_events WHERE action = 'quota.override' ORDER BY at DESC, id DESC",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(ids, newest_first);

    let mut nobody = export_of(AuditFilter {
        organization: Some("no-such-tenant".into()),
        ..Default::default()
    })
    .await;
    assert!(nobody.next_page().await.unwrap().is_none());
}
