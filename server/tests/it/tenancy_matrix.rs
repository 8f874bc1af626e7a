//! The cross-tenant and role matrix, through the portal over HTTP with real
//! sign-ins: every page, server function and form of an organization, called
//! by each of its roles and by a stranger (with the stranger's own
//! organization's address and another organization's ids). What a caller may
//! not see answers 404, what they see but may not change answers 403, and
//! nothing of the other organization appears in what a stranger gets back.

use crate::support;
use control::domain::{EmailAddress, Locale, NewInvitation, NewOrganization, Role};
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
/// What `world` writes in Acme's audit log, and nothing else may.
const ACME_SETUP_EVENTS: i64 = 9;
const ACME_SETUP_LOG: &str =
    "Acme's log holds its creation, its three members' invitations and joins, its subscription and invitation only";

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
        support::tenancy::join(&app, &owner.caller(), ACME, &who.caller(), role).await;
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
    let reads: [(&str, [u16; 5]); 10] = [
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
        ("/orgs/acme-matrix/plans/iot-fleet", [200, 200, 403, 403, 404]),
        (
            "/api/orgs/plan-review?slug=acme-matrix&plan=iot-fleet",
            [200, 200, 403, 403, 404],
        ),
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
    assert_eq!(acme_events, ACME_SETUP_EVENTS, "{ACME_SETUP_LOG}");
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

/// What someone from outside Acme (or without the right) gets from a route.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Answer {
    /// 200; the body must still hold nothing of Acme's people or records.
    Shown,
    /// 303 to the portal's sign-in.
    SignIn,
    /// 200 with no content, only the reason (signed out, second factor
    /// owed): what a hydrated page needs to send the person on.
    Withheld,
    /// 401: an event stream asked for by someone signed out.
    Unauthorized,
    NotFound,
    Forbidden,
    /// 303 elsewhere in the portal, with nothing done (a page that explains).
    Elsewhere,
    /// Open to everyone (landing, sign-in flows, assets): only checked for leaks.
    Public,
}

use Answer::*;

/// One request of the matrix: the route as the router names it, and what
/// each outsider gets: signed out, a stranger (owner of another
/// organization), Acme's learner, a platform admin signed in without their
/// second factor (AAL1, not a member of Acme).
struct Entry {
    route: &'static str,
    method: &'static str,
    path: String,
    fields: Vec<(&'static str, &'static str)>,
    expect: [Answer; 4],
}

fn entry(route: &'static str, method: &'static str, path: impl Into<String>, expect: [Answer; 4]) -> Entry {
    Entry {
        route,
        method,
        path: path.into(),
        fields: Vec::new(),
        expect,
    }
}

/// Fields valid enough that only the caller's rights decide.
const PLAN_FIELDS: [(&str, &str); 14] = [
    ("offer", "iot"),
    ("code", "iot-matrix"),
    ("name_en", "Matrix"),
    ("name_fr", "Matrice"),
    ("monthly_price", "10"),
    ("cpu_millicores", "500"),
    ("memory_mib", "512"),
    ("storage_gib", "1"),
    ("seats", "1"),
    ("devices", "5"),
    ("backup_retention_days", "7"),
    ("openstack_vcpus", "0"),
    ("openstack_ram_mib", "0"),
    ("openstack_instances", "0"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_answers_outsiders_as_the_matrix_says_and_no_route_is_missing() {
    let w = world().await;
    let ops = Person::signed_in(&w.app.base_url, "ops").await;
    w.app
        .control
        .grant_platform_admin(&EmailAddress::parse(&ops.email).unwrap(), "test")
        .await
        .unwrap();
    let anonymous = support::browser::Browser::new(&w.app.base_url);
    let (sub, inv, member) = (&w.subscription, &w.invitation, &w.member.identity_id);
    let nobody = uuid::Uuid::new_v4();
    let bogus_token = "0".repeat(64);
    let org = [SignIn, NotFound, Shown, NotFound];
    let org_managers = [SignIn, NotFound, Forbidden, NotFound];
    let org_form = [SignIn, NotFound, Forbidden, NotFound];
    let org_api = [Withheld, NotFound, Shown, NotFound];
    let org_api_managers = [Withheld, NotFound, Forbidden, NotFound];
    let admin_page = [SignIn, Forbidden, Forbidden, Forbidden];
    let admin_api = [Withheld, Forbidden, Forbidden, Withheld];
    let signed_in_page = [SignIn, Shown, Shown, Shown];
    let public = [Public; 4];
    let with = |mut entry: Entry, fields: &[(&'static str, &'static str)]| {
        entry.fields = fields.to_vec();
        entry
    };
    let entries = vec![
        // Public pages, flows and assets.
        entry("/", "GET", "/", public),
        entry("/favicon.svg", "GET", "/favicon.svg", public),
        entry("/passkeys.js", "GET", "/passkeys.js", public),
        entry("/local-times.js", "GET", "/local-times.js", public),
        entry("/robots.txt", "GET", "/robots.txt", public),
        entry("/pkg", "GET", "/pkg", public),
        entry("/pkg/", "GET", "/pkg/", public),
        entry(
            "/pkg/{*__private__axum_nest_tail_param}",
            "GET",
            "/pkg/x.js",
            public,
        ),
        entry("/{*__private__axum_fallback}", "GET", "/no-such-page", public),
        entry("/healthz", "GET", "/healthz", public),
        // The API knows tokens, not sessions: a browser gets 401 (its
        // cross-tenant rows, with tokens, are in `api.rs`).
        entry("/api/v1", "GET", "/api/v1", public),
        entry(
            "/api/v1/{*__private__axum_fallback}",
            "GET",
            "/api/v1/nothing",
            public,
        ),
        entry("/api/v1/openapi.json", "GET", "/api/v1/openapi.json", public),
        entry("/api/v1/reference", "GET", "/api/v1/reference", public),
        entry("/api/v1/reference.css", "GET", "/api/v1/reference.css", public),
        entry(
            "/api/v1/organizations",
            "GET",
            "/api/v1/organizations",
            [Unauthorized; 4],
        ),
        entry(
            "/api/v1/organizations/{slug}",
            "GET",
            format!("/api/v1/organizations/{ACME}"),
            [Unauthorized; 4],
        ),
        entry(
            "/api/v1/organizations/{slug}/api-clients",
            "GET",
            format!("/api/v1/organizations/{ACME}/api-clients"),
            [Unauthorized; 4],
        ),
        entry(
            "/api/v1/admin/audit",
            "GET",
            "/api/v1/admin/audit",
            [Unauthorized; 4],
        ),
        entry(
            "/api/v1/admin/jobs/{id}/{action}",
            "POST",
            format!("/api/v1/admin/jobs/{nobody}/retry"),
            [Unauthorized; 4],
        ),
        entry(
            "/api/v1/admin/plans",
            "GET",
            "/api/v1/admin/plans",
            [Unauthorized; 4],
        ),
        entry(
            "/api/v1/admin/plans/{code}",
            "PUT",
            "/api/v1/admin/plans/shop-starter",
            [Unauthorized; 4],
        ),
        entry(
            "/api/v1/admin/plans/{code}/{action}",
            "POST",
            "/api/v1/admin/plans/shop-starter/retire",
            [Unauthorized; 4],
        ),
        entry(
            "/api/v1/admin/organizations",
            "GET",
            "/api/v1/admin/organizations",
            [Unauthorized; 4],
        ),
        entry(
            "/api/v1/admin/organizations/{slug}",
            "GET",
            format!("/api/v1/admin/organizations/{ACME}"),
            [Unauthorized; 4],
        ),
        entry(
            "/api/v1/admin/organizations/{slug}/{action}",
            "POST",
            format!("/api/v1/admin/organizations/{ACME}/approve"),
            [Unauthorized; 4],
        ),
        entry(
            "/api/v1/admin/subscriptions/{id}/quotas/{quota}",
            "PUT",
            format!("/api/v1/admin/subscriptions/{sub}/quotas/seats"),
            [Unauthorized; 4],
        ),
        entry(
            "/api/v1/admin/subscriptions/{id}/{action}",
            "POST",
            format!("/api/v1/admin/subscriptions/{sub}/approve"),
            [Unauthorized; 4],
        ),
        entry(
            "/api/v1/organizations/{slug}/audit",
            "GET",
            format!("/api/v1/organizations/{ACME}/audit"),
            [Unauthorized; 4],
        ),
        entry(
            "/api/v1/organizations/{slug}/members",
            "GET",
            format!("/api/v1/organizations/{ACME}/members"),
            [Unauthorized; 4],
        ),
        entry(
            "/api/v1/organizations/{slug}/members/{id}",
            "DELETE",
            format!("/api/v1/organizations/{ACME}/members/{member}"),
            [Unauthorized; 4],
        ),
        entry(
            "/api/v1/organizations/{slug}/members/{id}/role",
            "PUT",
            format!("/api/v1/organizations/{ACME}/members/{member}/role"),
            [Unauthorized; 4],
        ),
        entry(
            "/api/v1/organizations/{slug}/invitations",
            "POST",
            format!("/api/v1/organizations/{ACME}/invitations"),
            [Unauthorized; 4],
        ),
        entry(
            "/api/v1/organizations/{slug}/invitations/{id}",
            "DELETE",
            format!("/api/v1/organizations/{ACME}/invitations/{inv}"),
            [Unauthorized; 4],
        ),
        entry(
            "/api/v1/organizations/{slug}/subscriptions",
            "GET",
            format!("/api/v1/organizations/{ACME}/subscriptions"),
            [Unauthorized; 4],
        ),
        entry(
            "/api/v1/organizations/{slug}/subscriptions/{id}",
            "DELETE",
            format!("/api/v1/organizations/{ACME}/subscriptions/{sub}"),
            [Unauthorized; 4],
        ),
        entry(
            "/api/v1/organizations/{slug}/subscriptions/{id}/devices",
            "GET",
            format!("/api/v1/organizations/{ACME}/subscriptions/{sub}/devices"),
            [Unauthorized; 4],
        ),
        entry(
            "/api/v1/organizations/{slug}/subscriptions/{id}/devices/{device}",
            "GET",
            format!("/api/v1/organizations/{ACME}/subscriptions/{sub}/devices/{nobody}"),
            [Unauthorized; 4],
        ),
        entry(
            "/api/v1/organizations/{slug}/subscriptions/{id}/devices/{device}/{change}",
            "POST",
            format!("/api/v1/organizations/{ACME}/subscriptions/{sub}/devices/{nobody}/disable"),
            [Unauthorized; 4],
        ),
        entry(
            "/api/v1/organizations/{slug}/subscriptions/{id}/devices/{device}/credentials",
            "POST",
            format!("/api/v1/organizations/{ACME}/subscriptions/{sub}/devices/{nobody}/credentials"),
            [Unauthorized; 4],
        ),
        entry(
            "/api/v1/organizations/{slug}/subscriptions/{id}/devices/{device}/telemetry",
            "GET",
            format!("/api/v1/organizations/{ACME}/subscriptions/{sub}/devices/{nobody}/telemetry"),
            [Unauthorized; 4],
        ),
        entry(
            "/api/v1/organizations/{slug}/subscriptions/{id}/devices/{device}/commands",
            "GET",
            format!("/api/v1/organizations/{ACME}/subscriptions/{sub}/devices/{nobody}/commands"),
            [Unauthorized; 4],
        ),
        entry(
            "/api/v1/organizations/{slug}/courses",
            "GET",
            format!("/api/v1/organizations/{ACME}/courses"),
            [Unauthorized; 4],
        ),
        entry(
            "/api/v1/organizations/{slug}/courses/{course}/{change}",
            "POST",
            format!("/api/v1/organizations/{ACME}/courses/1/assign"),
            [Unauthorized; 4],
        ),
        entry(
            "/api/v1/organizations/{slug}/learner-imports",
            "POST",
            format!("/api/v1/organizations/{ACME}/learner-imports"),
            [Unauthorized; 4],
        ),
        entry(
            "/api/v1/organizations/{slug}/learner-imports/{id}",
            "GET",
            format!("/api/v1/organizations/{ACME}/learner-imports/{nobody}"),
            [Unauthorized; 4],
        ),
        entry(
            "/api/v1/organizations/{slug}/learner-imports/{id}/send",
            "POST",
            format!("/api/v1/organizations/{ACME}/learner-imports/{nobody}/send"),
            [Unauthorized; 4],
        ),
        entry(
            "/api/v1/organizations/{slug}/subscriptions/{id}/domain",
            "GET",
            format!("/api/v1/organizations/{ACME}/subscriptions/{sub}/domain"),
            [Unauthorized; 4],
        ),
        entry(
            "/api/v1/organizations/{slug}/subscriptions/{id}/domain/check",
            "POST",
            format!("/api/v1/organizations/{ACME}/subscriptions/{sub}/domain/check"),
            [Unauthorized; 4],
        ),
        entry(
            "/api/v1/organizations/{slug}/subscriptions/{id}/backups",
            "GET",
            format!("/api/v1/organizations/{ACME}/subscriptions/{sub}/backups"),
            [Unauthorized; 4],
        ),
        entry(
            "/api/v1/organizations/{slug}/subscriptions/{id}/backup-schedule",
            "PUT",
            format!("/api/v1/organizations/{ACME}/subscriptions/{sub}/backup-schedule"),
            [Unauthorized; 4],
        ),
        entry(
            "/api/v1/organizations/{slug}/backups/{backup}/restore",
            "POST",
            format!("/api/v1/organizations/{ACME}/backups/{nobody}/restore"),
            [Unauthorized; 4],
        ),
        entry(
            "/api/v1/organizations/{slug}/backups/{backup}/download-link",
            "POST",
            format!("/api/v1/organizations/{ACME}/backups/{nobody}/download-link"),
            [Unauthorized; 4],
        ),
        entry(
            "/api/v1/organizations/{slug}/subscriptions/{id}/modules/{module}",
            "PUT",
            format!("/api/v1/organizations/{ACME}/subscriptions/{sub}/modules/website_blog"),
            [Unauthorized; 4],
        ),
        entry(
            "/api/v1/organizations/{slug}/subscriptions/{id}/progress",
            "GET",
            format!("/api/v1/organizations/{ACME}/subscriptions/{sub}/progress"),
            [Unauthorized; 4],
        ),
        entry(
            "/api/v1/organizations/{slug}/subscriptions/{id}/progress/events",
            "GET",
            format!("/api/v1/organizations/{ACME}/subscriptions/{sub}/progress/events"),
            [Unauthorized; 4],
        ),
        entry(
            "/api/v1/organizations/{slug}/subscriptions/{id}/plan",
            "PUT",
            format!("/api/v1/organizations/{ACME}/subscriptions/{sub}/plan"),
            [Unauthorized; 4],
        ),
        entry(
            "/api/v1/organizations/{slug}/api-clients/{id}",
            "DELETE",
            format!("/api/v1/organizations/{ACME}/api-clients/{nobody}"),
            [Unauthorized; 4],
        ),
        entry("/denied", "GET", "/denied", public),
        entry("/locale/en", "GET", "/locale/en", public),
        entry("/locale/fr", "GET", "/locale/fr", public),
        entry("/auth/login", "GET", "/auth/login", public),
        entry("/auth/registration", "GET", "/auth/registration", public),
        entry("/auth/recovery", "GET", "/auth/recovery", public),
        entry("/auth/verification", "GET", "/auth/verification", public),
        entry("/auth/settings", "GET", "/auth/settings", public),
        entry("/auth/error", "GET", "/auth/error", public),
        entry(
            "/auth/consent",
            "GET",
            "/auth/consent?consent_challenge=x",
            public,
        ),
        entry("/auth/consent/decision", "POST", "/auth/consent/decision", public),
        entry("/auth/signin", "GET", "/auth/signin", public),
        entry("/auth/callback", "GET", "/auth/callback?code=x&state=y", public),
        entry("/auth/logout", "GET", "/auth/logout", public),
        entry(
            "/auth/oauth2-logout",
            "GET",
            "/auth/oauth2-logout?logout_challenge=x",
            public,
        ),
        entry(
            "/auth/backchannel-logout",
            "POST",
            "/auth/backchannel-logout",
            public,
        ),
        entry("/auth/submit/{kind}", "POST", "/auth/submit/login?flow=x", public),
        entry("/api/auth/flow", "GET", "/api/auth/flow?kind=login&id=x", public),
        entry(
            "/api/auth/consent",
            "GET",
            "/api/auth/consent?challenge=x",
            public,
        ),
        entry("/api/auth/sign-out", "GET", "/api/auth/sign-out", public),
        entry("/api/auth/whoami", "GET", "/api/auth/whoami", public),
        entry("/api/catalog", "GET", "/api/catalog", public),
        // An invitation's page is for whoever holds its token; a wrong one is gone.
        entry(
            "/invitations/{token}",
            "GET",
            format!("/invitations/{bogus_token}"),
            [NotFound; 4],
        ),
        entry(
            "/api/invitations/preview",
            "GET",
            format!("/api/invitations/preview?token={bogus_token}"),
            [NotFound; 4],
        ),
        entry(
            "/invitations/{token}/accept",
            "POST",
            format!("/invitations/{bogus_token}/accept"),
            [SignIn, Elsewhere, Elsewhere, Elsewhere],
        ),
        // The signed-in person's own pages.
        entry("/orgs", "GET", "/orgs", signed_in_page),
        entry("/orgs/new", "GET", "/orgs/new", signed_in_page),
        entry("/account/sessions", "GET", "/account/sessions", signed_in_page),
        entry(
            "/api/orgs/mine",
            "GET",
            "/api/orgs/mine",
            [Withheld, Shown, Shown, Shown],
        ),
        entry(
            "/api/orgs/new-form",
            "GET",
            "/api/orgs/new-form",
            [Withheld, Shown, Shown, Shown],
        ),
        entry(
            "/api/account/sessions",
            "GET",
            "/api/account/sessions",
            [Shown, Shown, Shown, Shown],
        ),
        entry(
            "/account/sessions/revoke",
            "POST",
            "/account/sessions/revoke",
            [Elsewhere, Elsewhere, Elsewhere, Elsewhere],
        ),
        with(
            entry(
                "/orgs/new",
                "POST",
                "/orgs/new",
                [SignIn, Elsewhere, Elsewhere, Elsewhere],
            ),
            &[
                ("name", "Acme"),
                ("slug", ACME),
                ("country", "FR"),
                ("billing_email", "b@acme.example"),
            ],
        ),
        // Acme's pages, server functions and forms.
        entry("/orgs/{slug}", "GET", format!("/orgs/{ACME}"), org),
        entry(
            "/orgs/{slug}/members",
            "GET",
            format!("/orgs/{ACME}/members"),
            org,
        ),
        entry(
            "/orgs/{slug}/services",
            "GET",
            format!("/orgs/{ACME}/services"),
            org_managers,
        ),
        entry(
            "/orgs/{slug}/modules",
            "GET",
            format!("/orgs/{ACME}/modules"),
            org_managers,
        ),
        entry(
            "/orgs/{slug}/audit",
            "GET",
            format!("/orgs/{ACME}/audit"),
            org_managers,
        ),
        entry(
            "/orgs/{slug}/api-clients",
            "GET",
            format!("/orgs/{ACME}/api-clients"),
            org_managers,
        ),
        with(
            entry(
                "/orgs/{slug}/api-clients",
                "POST",
                format!("/orgs/{ACME}/api-clients"),
                org_form,
            ),
            &[
                ("name", "intruder"),
                ("role", "admin"),
                ("scope:members:write", "on"),
            ],
        ),
        entry(
            "/orgs/{slug}/api-clients/{id}/revoke",
            "POST",
            format!("/orgs/{ACME}/api-clients/{nobody}/revoke"),
            org_form,
        ),
        entry(
            "/api/orgs/api-clients",
            "GET",
            format!("/api/orgs/api-clients?slug={ACME}"),
            org_api_managers,
        ),
        entry(
            "/orgs/{slug}/back-office/{offer}",
            "GET",
            format!("/orgs/{ACME}/back-office/ecommerce"),
            org_managers,
        ),
        entry(
            "/orgs/{slug}/plans/{code}",
            "GET",
            format!("/orgs/{ACME}/plans/shop-starter"),
            org_managers,
        ),
        entry(
            "/api/orgs/plan-review",
            "GET",
            format!("/api/orgs/plan-review?slug={ACME}&plan=shop-starter"),
            org_api_managers,
        ),
        // A plan card's link: sign in first, then on to an organization.
        entry(
            "/plans/{code}",
            "GET",
            "/plans/shop-starter",
            [SignIn, Elsewhere, Elsewhere, Elsewhere],
        ),
        entry(
            "/orgs/{slug}/subscriptions/{id}/progress",
            "GET",
            format!("/orgs/{ACME}/subscriptions/{sub}/progress"),
            [Unauthorized, NotFound, Shown, NotFound],
        ),
        entry(
            "/api/orgs/overview",
            "GET",
            format!("/api/orgs/overview?slug={ACME}"),
            org_api,
        ),
        entry(
            "/api/orgs/audit",
            "GET",
            format!("/api/orgs/audit?slug={ACME}"),
            org_api_managers,
        ),
        with(
            entry(
                "/orgs/{slug}/invitations",
                "POST",
                format!("/orgs/{ACME}/invitations"),
                org_form,
            ),
            &[("email", "new@example.com"), ("role", "member")],
        ),
        entry(
            "/orgs/{slug}/invitations/{id}/revoke",
            "POST",
            format!("/orgs/{ACME}/invitations/{inv}/revoke"),
            org_form,
        ),
        with(
            entry(
                "/orgs/{slug}/members/{id}/role",
                "POST",
                format!("/orgs/{ACME}/members/{member}/role"),
                org_form,
            ),
            &[("role", "owner")],
        ),
        entry(
            "/orgs/{slug}/members/{id}/remove",
            "POST",
            format!("/orgs/{ACME}/members/{member}/remove"),
            org_form,
        ),
        with(
            entry(
                "/orgs/{slug}/subscriptions",
                "POST",
                format!("/orgs/{ACME}/subscriptions"),
                org_form,
            ),
            &[("plan", "shop-starter")],
        ),
        with(
            entry(
                "/orgs/{slug}/subscriptions/{id}/plan",
                "POST",
                format!("/orgs/{ACME}/subscriptions/{sub}/plan"),
                org_form,
            ),
            &[("plan", "iot-fleet"), ("version", "1")],
        ),
        with(
            entry(
                "/orgs/{slug}/subscriptions/{id}/cancel",
                "POST",
                format!("/orgs/{ACME}/subscriptions/{sub}/cancel"),
                org_form,
            ),
            &[("version", "1")],
        ),
        with(
            entry(
                "/orgs/{slug}/subscriptions/{id}/devices",
                "POST",
                format!("/orgs/{ACME}/subscriptions/{sub}/devices"),
                org_form,
            ),
            &[("name", "sensor-x")],
        ),
        entry(
            "/orgs/{slug}/subscriptions/{id}/devices/{device}/remove",
            "POST",
            format!("/orgs/{ACME}/subscriptions/{sub}/devices/{nobody}/remove"),
            org_form,
        ),
        with(
            entry(
                "/orgs/{slug}/subscriptions/{id}/domain",
                "POST",
                format!("/orgs/{ACME}/subscriptions/{sub}/domain"),
                org_form,
            ),
            &[("domain", "shop.matrix.example")],
        ),
        entry(
            "/orgs/{slug}/subscriptions/{id}/domain/{action}",
            "POST",
            format!("/orgs/{ACME}/subscriptions/{sub}/domain/remove"),
            org_form,
        ),
        entry(
            "/orgs/{slug}/subscriptions/{id}/modules/{module}/{change}",
            "POST",
            format!("/orgs/{ACME}/subscriptions/{sub}/modules/website_blog/add"),
            org_form,
        ),
        // A training space's courses and learners' files.
        entry("/learning", "GET", "/learning", signed_in_page),
        entry(
            "/api/learning",
            "GET",
            "/api/learning",
            [Withheld, Shown, Shown, Shown],
        ),
        entry(
            "/orgs/{slug}/courses",
            "GET",
            format!("/orgs/{ACME}/courses"),
            org_managers,
        ),
        entry(
            "/api/orgs/courses",
            "GET",
            format!("/api/orgs/courses?slug={ACME}"),
            org_api_managers,
        ),
        entry(
            "/orgs/{slug}/courses/progress.csv",
            "GET",
            format!("/orgs/{ACME}/courses/progress.csv"),
            org_managers,
        ),
        // Acme has no course: nobody's to continue, its learner's neither.
        entry(
            "/orgs/{slug}/courses/{course}/continue",
            "GET",
            format!("/orgs/{ACME}/courses/1/continue"),
            [SignIn, NotFound, NotFound, NotFound],
        ),
        with(
            entry(
                "/orgs/{slug}/courses/{course}/{change}",
                "POST",
                format!("/orgs/{ACME}/courses/1/assign"),
                org_form,
            ),
            &[("learner", "00000000-0000-4000-8000-000000000000")],
        ),
        with(
            entry(
                "/orgs/{slug}/learners/imports",
                "POST",
                format!("/orgs/{ACME}/learners/imports"),
                org_form,
            ),
            &[(
                "file",
                "email,first name,last name\nnew@example.com,New,Learner\n",
            )],
        ),
        entry(
            "/orgs/{slug}/learners/imports/{id}",
            "GET",
            format!("/orgs/{ACME}/learners/imports/{nobody}"),
            org_managers,
        ),
        entry(
            "/api/orgs/learner-import",
            "GET",
            format!("/api/orgs/learner-import?slug={ACME}&id={nobody}"),
            org_api_managers,
        ),
        entry(
            "/orgs/{slug}/learners/imports/{id}/send",
            "POST",
            format!("/orgs/{ACME}/learners/imports/{nobody}/send"),
            org_form,
        ),
        // A device's page, its password page, its forms.
        entry(
            "/orgs/{slug}/subscriptions/{id}/devices/{device}",
            "GET",
            format!("/orgs/{ACME}/subscriptions/{sub}/devices/{nobody}"),
            org_managers,
        ),
        entry(
            "/orgs/{slug}/subscriptions/{id}/devices/{device}/password",
            "GET",
            format!("/orgs/{ACME}/subscriptions/{sub}/devices/{nobody}/password"),
            org_managers,
        ),
        entry(
            "/orgs/{slug}/subscriptions/{id}/devices/{device}/{change}",
            "POST",
            format!("/orgs/{ACME}/subscriptions/{sub}/devices/{nobody}/reveal"),
            org_form,
        ),
        entry(
            "/api/orgs/device",
            "GET",
            format!("/api/orgs/device?slug={ACME}&subscription={sub}&device={nobody}"),
            org_api_managers,
        ),
        entry(
            "/orgs/{slug}/subscriptions/{id}/devices",
            "GET",
            format!("/orgs/{ACME}/subscriptions/{sub}/devices"),
            org_managers,
        ),
        entry(
            "/api/orgs/devices",
            "GET",
            format!("/api/orgs/devices?slug={ACME}&subscription={sub}&page=1&search="),
            org_api_managers,
        ),
        entry(
            "/orgs/{slug}/subscriptions/{id}/devices/{device}/live",
            "GET",
            format!("/orgs/{ACME}/subscriptions/{sub}/devices/{nobody}/live"),
            [Unauthorized, NotFound, Forbidden, NotFound],
        ),
        with(
            entry(
                "/orgs/{slug}/subscriptions/{id}/devices/{device}/command",
                "POST",
                format!("/orgs/{ACME}/subscriptions/{sub}/devices/{nobody}/command"),
                org_form,
            ),
            &[("command", "{\"led\": \"on\"}")],
        ),
        entry(
            "/api/orgs/device-password",
            "GET",
            format!("/api/orgs/device-password?slug={ACME}&subscription={sub}&device={nobody}"),
            org_api_managers,
        ),
        // A service's backups: its page and forms, and download links.
        entry(
            "/orgs/{slug}/subscriptions/{id}/backups",
            "GET",
            format!("/orgs/{ACME}/subscriptions/{sub}/backups"),
            org_managers,
        ),
        entry(
            "/api/orgs/backups",
            "GET",
            format!("/api/orgs/backups?slug={ACME}&subscription={sub}"),
            org_api_managers,
        ),
        entry(
            "/orgs/{slug}/subscriptions/{id}/backups",
            "POST",
            format!("/orgs/{ACME}/subscriptions/{sub}/backups"),
            org_form,
        ),
        with(
            entry(
                "/orgs/{slug}/subscriptions/{id}/backups/schedule",
                "POST",
                format!("/orgs/{ACME}/subscriptions/{sub}/backups/schedule"),
                org_form,
            ),
            &[("time", "03:00")],
        ),
        with(
            entry(
                "/orgs/{slug}/backups/{backup}/restore",
                "POST",
                format!("/orgs/{ACME}/backups/{nobody}/restore"),
                org_form,
            ),
            &[("confirmation", ACME)],
        ),
        entry(
            "/orgs/{slug}/backups/{backup}/download",
            "POST",
            format!("/orgs/{ACME}/backups/{nobody}/download"),
            org_form,
        ),
        entry(
            "/backups/{token}",
            "GET",
            format!("/backups/{bogus_token}"),
            [NotFound; 4],
        ),
        // The admin portal.
        entry("/admin", "GET", "/admin", admin_page),
        entry("/admin/tenants", "GET", "/admin/tenants", admin_page),
        entry(
            "/admin/tenants/{slug}",
            "GET",
            format!("/admin/tenants/{ACME}"),
            admin_page,
        ),
        entry("/admin/plans", "GET", "/admin/plans", admin_page),
        entry("/admin/plans/{code}", "GET", "/admin/plans/iot-lab", admin_page),
        entry("/admin/audit", "GET", "/admin/audit", admin_page),
        entry(
            "/admin/audit.csv",
            "GET",
            "/admin/audit.csv",
            [SignIn, Forbidden, Forbidden, Elsewhere],
        ),
        entry("/api/admin/overview", "GET", "/api/admin/overview", admin_api),
        entry("/api/admin/tenants", "GET", "/api/admin/tenants", admin_api),
        entry(
            "/api/admin/tenant",
            "GET",
            format!("/api/admin/tenant?slug={ACME}"),
            admin_api,
        ),
        entry("/api/admin/plans", "GET", "/api/admin/plans", admin_api),
        entry("/api/admin/audit", "GET", "/api/admin/audit", admin_api),
        entry("/admin/backups", "GET", "/admin/backups", admin_page),
        entry(
            "/api/admin/backups",
            "GET",
            "/api/admin/backups?all=false",
            admin_api,
        ),
        with(
            entry(
                "/admin/tenants/{slug}/{action}",
                "POST",
                format!("/admin/tenants/{ACME}/suspend"),
                admin_page,
            ),
            &[("reason", "Because I can, says the attacker"), ("version", "1")],
        ),
        with(
            entry(
                "/admin/subscriptions/{id}/{action}",
                "POST",
                format!("/admin/subscriptions/{sub}/approve"),
                admin_page,
            ),
            &[("version", "1")],
        ),
        entry(
            "/admin/jobs/{id}/{action}",
            "POST",
            format!("/admin/jobs/{nobody}/retry"),
            admin_page,
        ),
        with(
            entry("/admin/plans", "POST", "/admin/plans", admin_page),
            &PLAN_FIELDS,
        ),
        with(
            entry("/admin/plans/{code}", "POST", "/admin/plans/iot-lab", admin_page),
            &[PLAN_FIELDS.as_slice(), &[("version", "1")]].concat(),
        ),
        with(
            entry(
                "/admin/plans/{code}/{action}",
                "POST",
                "/admin/plans/iot-lab/retire",
                admin_page,
            ),
            &[("version", "1")],
        ),
    ];

    // Every route the router serves has a row, and every row a route.
    let routed: std::collections::BTreeSet<&str> = w.app.route_paths.iter().map(String::as_str).collect();
    let listed: std::collections::BTreeSet<&str> = entries.iter().map(|e| e.route).collect();
    let missing: Vec<_> = routed.difference(&listed).collect();
    assert!(
        missing.is_empty(),
        "routes without a row in the matrix: {missing:?}"
    );
    let stale: Vec<_> = listed.difference(&routed).collect();
    assert!(
        stale.is_empty(),
        "rows for routes the router no longer has: {stale:?}"
    );

    let actors: [(&str, &support::browser::Browser); 4] = [
        ("signed out", &anonymous),
        ("a stranger", &w.stranger.browser),
        ("Acme's learner", &w.learner.browser),
        ("an admin at AAL1", &ops.browser),
    ];
    for entry in &entries {
        for ((who, browser), expected) in actors.iter().zip(entry.expect) {
            let context = format!("{} {} as {who}", entry.method, entry.path);
            let response = if entry.method == "GET" {
                browser.client.get(w.app.url(&entry.path)).send().await.unwrap()
            } else if entry.method != "POST" {
                // The API's other methods (DELETE, PUT): no form, no token.
                let method = reqwest::Method::from_bytes(entry.method.as_bytes()).unwrap();
                browser
                    .client
                    .request(method, w.app.url(&entry.path))
                    .send()
                    .await
                    .unwrap()
            } else {
                // Their own form token: the page's session is theirs.
                let token = if *who == "signed out" {
                    String::new()
                } else {
                    let page = browser.follow(&w.app.url("/orgs/new")).await;
                    csrf_token_in(&page.body)
                };
                let mut form = vec![("csrf_token", token.as_str())];
                form.extend(entry.fields.iter().copied());
                browser.post_form(&w.app.url(&entry.path), &form).await
            };
            let status = response.status().as_u16();
            let location = response
                .headers()
                .get("location")
                .and_then(|l| l.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let streaming = response
                .headers()
                .get("content-type")
                .is_some_and(|t| t.as_bytes().starts_with(b"text/event-stream"));
            let body = if streaming {
                String::new()
            } else {
                response.text().await.unwrap_or_default()
            };
            match expected {
                Shown => assert_eq!(status, 200, "{context}"),
                SignIn => {
                    assert_eq!(status, 303, "{context}");
                    assert!(location.starts_with("/auth/signin"), "{context}: to {location}");
                }
                Withheld => {
                    assert_eq!(status, 200, "{context}");
                    assert!(
                        body.contains("SignInRequired") || body.contains("SecondFactorRequired"),
                        "{context}: {body}"
                    );
                }
                Unauthorized => assert_eq!(status, 401, "{context}"),
                NotFound => assert_eq!(status, 404, "{context}"),
                Forbidden => assert_eq!(status, 403, "{context}"),
                Elsewhere => {
                    assert_eq!(status, 303, "{context}");
                    assert!(!location.starts_with("/auth/signin"), "{context}: to {location}");
                }
                Public => assert!(status < 500, "{context}: {status}"),
            }
            // The learner belongs to Acme and may read its overview; nobody
            // else reads anything of Acme's but the address they asked for
            // (a sign-in link comes back to it).
            if *who != "Acme's learner" {
                let encoded = serde_urlencoded::to_string([("", &entry.path)]).unwrap_or_default();
                let encoded = encoded.trim_start_matches('=');
                let answered = body.replace(&entry.path, "").replace(encoded, "");
                assert_no_leak(&w, &answered, &context);
            }
        }
    }
    // Outsiders changed nothing: no audit event beyond the stranger-free setup.
    let acme_changes: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events e JOIN organizations o ON o.id = e.organization_id WHERE o.slug = $1",
    )
    .bind(ACME)
    .fetch_one(&w.app.pool)
    .await
    .unwrap();
    assert_eq!(acme_changes, ACME_SETUP_EVENTS, "{ACME_SETUP_LOG}");
    let plans: i64 = sqlx::query_scalar("SELECT count(*) FROM plans WHERE code = 'iot-matrix'")
        .fetch_one(&w.app.pool)
        .await
        .unwrap();
    assert_eq!(plans, 0);
}
