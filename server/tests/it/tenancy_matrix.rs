//! The cross-tenant and role matrix, through the portal over HTTP with real
//! sign-ins: every page, server function and form of an organization, called
//! by each of its roles and by a stranger (with the stranger's own
//! organization's address and another organization's ids). What a caller may
//! not see answers 404, what they see but may not change answers 403, and
//! nothing of the other organization appears in what a stranger gets back.

use crate::support;
use control::domain::{Locale, NewInvitation, NewOrganization, Role};
use reqwest::StatusCode;
use support::{
    browser::{csrf_token_in, Person},
    TestApp,
};

struct World {
    app: TestApp,
    owner: Person,
    admin: Person,
    member: Person,
    learner: Person,
    /// Owns `other`, belongs to nothing else.
    stranger: Person,
    subscription: String,
    invitation: String,
}

const ACME: &str = "acme-matrix";
const OTHER: &str = "other-matrix";

async fn world() -> World {
    let app = TestApp::builder().oidc().spawn().await;
    // One after the other: Hydra drops connections when many sign-ins race.
    let owner = Person::signed_in(&app.base_url, "owner").await;
    let admin = Person::signed_in(&app.base_url, "admin").await;
    let member = Person::signed_in(&app.base_url, "member").await;
    let learner = Person::signed_in(&app.base_url, "learner").await;
    let stranger = Person::signed_in(&app.base_url, "stranger").await;
    let control = &app.control;
    for (who, slug) in [(&owner, ACME), (&stranger, OTHER)] {
        let new = NewOrganization::parse("Acme Matrix", slug, "FR", "billing@acme.example").unwrap();
        control
            .create_organization(&who.caller(), &new)
            .await
            .unwrap()
            .unwrap();
    }
    for (who, role) in [
        (&admin, Role::Admin),
        (&member, Role::Member),
        (&learner, Role::Learner),
    ] {
        sqlx::query(
            "INSERT INTO memberships (organization_id, identity_id, email, role, created_at)
             SELECT id, $2::uuid, $3, $4, now() FROM organizations WHERE slug = $1",
        )
        .bind(ACME)
        .bind(&who.identity_id)
        .bind(&who.email)
        .bind(role.as_str())
        .execute(&app.pool)
        .await
        .unwrap();
    }
    control
        .subscribe(&owner.caller(), ACME, "iot-lab")
        .await
        .unwrap()
        .unwrap();
    let invitee = NewInvitation::parse("invitee@example.com", "member").unwrap();
    control
        .invite_member(&owner.caller(), ACME, &invitee, Locale::En)
        .await
        .unwrap()
        .unwrap();
    let overview = control
        .organization_overview(&owner.caller(), ACME)
        .await
        .unwrap()
        .unwrap();
    World {
        subscription: overview.subscriptions[0].id.clone(),
        invitation: overview.invitations[0].id.clone(),
        app,
        owner,
        admin,
        member,
        learner,
        stranger,
    }
}

/// The status of a GET, and its body (a page, or a server function's JSON).
async fn get(world: &World, who: &Person, path: &str) -> (StatusCode, String) {
    let accept = if path.starts_with("/api/") {
        "application/json"
    } else {
        "text/html"
    };
    let response = who
        .browser
        .client
        .get(world.app.url(path))
        .header("accept", accept)
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

/// Posts a form as `who`, with a valid CSRF token of their own.
async fn post(world: &World, who: &Person, path: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
    let own = if std::ptr::eq(who, &world.stranger) {
        OTHER
    } else {
        ACME
    };
    // Every role's members page has a form: their own "leave".
    let page = who
        .browser
        .follow(&world.app.url(&format!("/orgs/{own}/members")))
        .await;
    let token = csrf_token_in(&page.body);
    let mut form = vec![("csrf_token", token.as_str())];
    form.extend_from_slice(fields);
    let response = who.browser.post_form(&world.app.url(path), &form).await;
    (response.status(), response.text().await.unwrap())
}

async fn audit_count(world: &World) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM audit_events")
        .fetch_one(&world.app.pool)
        .await
        .unwrap()
}

/// Nothing that identifies Acme's people or records leaks to a stranger.
fn assert_no_leak(world: &World, body: &str, context: &str) {
    for secret in [
        world.owner.email.as_str(),
        world.member.email.as_str(),
        "invitee@example.com",
        world.subscription.as_str(),
    ] {
        assert!(!body.contains(secret), "{context}: the stranger saw {secret}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_and_server_functions_answer_404_to_strangers_and_403_to_roles_without_the_right() {
    let w = world().await;
    let everyone = [&w.owner, &w.admin, &w.member, &w.learner, &w.stranger];
    let reads: [(&str, [u16; 5]); 8] = [
        ("/orgs/acme-matrix", [200, 200, 200, 200, 404]),
        ("/orgs/acme-matrix/members", [200, 200, 200, 200, 404]),
        ("/orgs/acme-matrix/services", [200, 200, 403, 403, 404]),
        ("/orgs/acme-matrix/audit", [200, 200, 403, 403, 404]),
        ("/api/orgs/overview?slug=acme-matrix", [200, 200, 200, 200, 404]),
        (
            "/api/orgs/overview?slug=acme-matrix&section=members",
            [200, 200, 200, 200, 404],
        ),
        (
            "/api/orgs/overview?slug=acme-matrix&section=services",
            [200, 200, 403, 403, 404],
        ),
        ("/api/orgs/audit?slug=acme-matrix", [200, 200, 403, 403, 404]),
    ];
    for (path, expected) in reads {
        for (who, status) in everyone.iter().zip(expected) {
            let (got, body) = get(&w, who, path).await;
            assert_eq!(got.as_u16(), status, "GET {path} as {}", who.email);
            if std::ptr::eq(*who, &w.stranger) {
                assert_no_leak(&w, &body, path);
            }
        }
    }
    // A stranger's own organization is theirs, and shows nothing of Acme's.
    let (status, body) = get(&w, &w.stranger, "/orgs/other-matrix").await;
    assert_eq!(status, StatusCode::OK);
    assert_no_leak(&w, &body, "their own organization");
    let (_, list) = get(&w, &w.stranger, "/api/orgs/mine").await;
    assert!(!list.contains(ACME));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_refuse_roles_without_the_right_with_403_and_strangers_with_404_and_write_nothing() {
    let w = world().await;
    let before = audit_count(&w).await;
    let (sub, inv, member_id, admin_id) = (
        w.subscription.clone(),
        w.invitation.clone(),
        w.member.identity_id.clone(),
        w.admin.identity_id.clone(),
    );
    let owner_id = w.owner.identity_id.clone();
    let forms: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            "/orgs/acme-matrix/invitations".into(),
            vec![("email", "new@example.com"), ("role", "member")],
        ),
        (format!("/orgs/acme-matrix/invitations/{inv}/revoke"), vec![]),
        (
            format!("/orgs/acme-matrix/members/{admin_id}/role"),
            vec![("role", "learner")],
        ),
        (format!("/orgs/acme-matrix/members/{admin_id}/remove"), vec![]),
        (format!("/orgs/acme-matrix/members/{owner_id}/remove"), vec![]),
        (
            "/orgs/acme-matrix/subscriptions".into(),
            vec![("plan", "shop-starter")],
        ),
        (
            format!("/orgs/acme-matrix/subscriptions/{sub}/plan"),
            vec![("plan", "iot-fleet"), ("version", "1")],
        ),
        (
            format!("/orgs/acme-matrix/subscriptions/{sub}/cancel"),
            vec![("version", "1")],
        ),
    ];
    for (path, fields) in &forms {
        for who in [&w.member, &w.learner] {
            let (status, _) = post(&w, who, path, fields).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "POST {path} as a {}", who.email);
        }
        let (status, body) = post(&w, &w.stranger, path, fields).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "POST {path} as a stranger");
        assert_no_leak(&w, &body, path);
        // With their own organization's address and Acme's ids: still nothing.
        let (status, _) = post(&w, &w.stranger, &path.replace(ACME, OTHER), fields).await;
        let expected = if path.ends_with("/invitations") || path.ends_with("/subscriptions") {
            StatusCode::SEE_OTHER // a new invitation or subscription of their own
        } else {
            StatusCode::NOT_FOUND
        };
        assert_eq!(
            status,
            expected,
            "POST {} as its owner, with Acme's ids",
            path.replace(ACME, OTHER)
        );
    }
    // Members use the services (register devices); learners do not, strangers see nothing.
    let devices = format!("/orgs/acme-matrix/subscriptions/{sub}/devices");
    let (status, _) = post(&w, &w.learner, &devices, &[("name", "sensor-x")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = post(&w, &w.stranger, &devices, &[("name", "sensor-x")]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = post(
        &w,
        &w.stranger,
        &devices.replace(ACME, OTHER),
        &[("name", "sensor-x")],
    )
    .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "Acme's subscription under their own address"
    );

    // An admin may manage members but not the owner.
    let (status, _) = post(
        &w,
        &w.admin,
        &format!("/orgs/acme-matrix/members/{owner_id}/remove"),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = post(
        &w,
        &w.admin,
        &format!("/orgs/acme-matrix/members/{member_id}/role"),
        &[("role", "owner")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Only the stranger's own invitation and subscription were written.
    assert_eq!(audit_count(&w).await, before + 2);
    let acme_events: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events e JOIN organizations o ON o.id = e.organization_id WHERE o.slug = $1",
    )
    .bind(ACME)
    .fetch_one(&w.app.pool)
    .await
    .unwrap();
    assert_eq!(
        acme_events, 3,
        "Acme's log holds its creation, subscription and invitation only"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_portal_refuses_every_customer_role_with_403_and_writes_nothing() {
    let w = world().await;
    let before = audit_count(&w).await;
    let reads = [
        "/admin/tenants",
        "/admin/tenants/acme-matrix",
        "/admin/plans",
        "/admin/audit",
        "/api/admin/tenants",
        "/api/admin/tenant?slug=acme-matrix",
        "/api/admin/audit",
    ];
    for who in [&w.owner, &w.admin, &w.member, &w.stranger] {
        for path in reads {
            let (status, body) = get(&w, who, path).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "GET {path} as {}", who.email);
            assert!(
                !body.contains("invitee@example.com"),
                "GET {path} leaked a member"
            );
        }
        let csv = who
            .browser
            .client
            .get(w.app.url("/admin/audit.csv"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            csv.status(),
            StatusCode::FORBIDDEN,
            "the CSV export as {}",
            who.email
        );
        // Even with their session's own CSRF token, the control plane's gate refuses.
        let token = csrf_token_in(&who.browser.follow(&w.app.url("/orgs/new")).await.body);
        let sub = format!("/admin/subscriptions/{}/quota", w.subscription);
        for (path, fields) in [
            (
                "/admin/tenants/acme-matrix/suspend",
                vec![("reason", "Because I can"), ("version", "1")],
            ),
            (
                "/admin/tenants/acme-matrix/close",
                vec![("confirmation", "acme-matrix"), ("version", "1")],
            ),
            (
                sub.as_str(),
                vec![("quota", "devices"), ("value", "100000"), ("slug", ACME)],
            ),
            ("/admin/plans/iot-lab/retire", vec![("version", "1")]),
        ] {
            let mut form = vec![("csrf_token", token.as_str())];
            form.extend(fields);
            let response = who.browser.post_form(&w.app.url(path), &form).await;
            assert_eq!(
                response.status(),
                StatusCode::FORBIDDEN,
                "POST {path} as {}",
                who.email
            );
        }
    }
    assert_eq!(audit_count(&w).await, before);
}
