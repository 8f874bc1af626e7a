//! Organizations through the control plane, against a fresh database: the
//! creator becomes the owner, a taken slug writes nothing, every creation is
//! audited in the same transaction, and an organization is invisible to
//! anyone who is not a member.

use crate::support;
use control::{
    domain::{FieldProblem, NewOrganization, Refusal, Role},
    Caller,
};
use support::TestApp;

fn caller(name: &str) -> Caller {
    Caller {
        identity_id: uuid::Uuid::new_v4().to_string(),
        email: format!("{name}@example.com"),
        email_verified: true,
        request_id: Some(format!("req-{name}")),
        ip: Some("192.0.2.7".parse().unwrap()),
        token: None,
    }
}

fn acme() -> NewOrganization {
    NewOrganization::parse("Acme Boutique", "acme", "fr", "billing@acme.example").unwrap()
}

/// A fresh application where Alice owns Acme.
async fn app_with_acme() -> TestApp {
    let app = TestApp::spawn().await;
    app.control
        .create_organization(&caller("alice"), &acme())
        .await
        .unwrap()
        .unwrap();
    app
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_creator_owns_the_new_organization_and_the_creation_is_audited() {
    let app = TestApp::spawn().await;
    let alice = caller("alice");
    let created = app
        .control
        .create_organization(&alice, &acme())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((created.slug.as_str(), created.role), ("acme", Role::Owner));

    let mine = app.control.my_organizations(&alice).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].name, "Acme Boutique");
    assert_eq!(mine[0].country, "FR");

    let overview = app
        .control
        .organization_overview(&alice, "acme")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(overview.billing_email, "billing@acme.example");
    assert_eq!(overview.members.len(), 1);
    assert_eq!(overview.members[0].email, "alice@example.com");
    assert_eq!(overview.members[0].role, Role::Owner);

    let (actor, action, target, request_id, ip, after): (String, String, String, String, String, String) =
        sqlx::query_as("SELECT actor, action, target, request_id, host(ip), after::text FROM audit_events")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(actor, alice.identity_id);
    assert_eq!(action, "organization.create");
    assert_eq!(target, "organization:acme");
    assert_eq!(request_id, "req-alice");
    assert_eq!(ip, "192.0.2.7");
    assert!(after.contains("\"owner\": \"alice@example.com\""), "{after}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taken_slug_is_a_field_error_and_writes_nothing() {
    let app = app_with_acme().await;
    let bob = caller("bob");
    let refused = app.control.create_organization(&bob, &acme()).await.unwrap();
    assert_eq!(refused, Err(Refusal::field("slug", FieldProblem::Taken)));
    let counts: (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM organizations), (SELECT count(*) FROM memberships),
                (SELECT count(*) FROM audit_events)",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(counts, (1, 1, 1), "only the first organization was written");
    assert!(app.control.my_organizations(&bob).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_organization_does_not_exist_for_a_non_member() {
    let app = app_with_acme().await;
    let mallory = caller("mallory");
    assert_eq!(
        app.control.organization_overview(&mallory, "acme").await.unwrap(),
        Err(Refusal::NotFound)
    );
    assert_eq!(
        app.control
            .organization_overview(&mallory, "no-such-org")
            .await
            .unwrap(),
        Err(Refusal::NotFound)
    );
    assert!(app.control.my_organizations(&mallory).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_refuses_what_the_domain_types_refuse() {
    // The table's checks are the last line: a slug the parser would refuse
    // cannot be written by a bug that bypasses it.
    let app = TestApp::spawn().await;
    let written = sqlx::query(
        "INSERT INTO organizations (id, slug, name, country, billing_email, state, created_at, updated_at)
         VALUES (gen_random_uuid(), 'Not A Slug', 'Acme', 'FR', 'a@b.fr', 'active', now(), now())",
    )
    .execute(&app.pool)
    .await;
    assert!(written.is_err());
}

mod through_the_portal {
    use reqwest::{header, StatusCode};

    use super::support::{
        browser::{csrf_token_in, Browser, Person},
        TestApp,
    };

    /// A person signed in to the portal (through Kratos and Hydra).
    async fn signed_in(app: &TestApp, name: &str) -> Browser {
        Person::signed_in(&app.base_url, name).await.browser
    }

    async fn form_token(app: &TestApp, browser: &Browser) -> String {
        csrf_token_in(&browser.follow(&app.url("/orgs/new")).await.body)
    }

    /// Posts the new-organization form with `token` and `fields`.
    async fn submit(app: &TestApp, browser: &Browser, token: &str, fields: [&str; 4]) -> reqwest::Response {
        let [name, slug, country, billing_email] = fields;
        browser
            .post_form(
                &app.url("/orgs/new"),
                &[
                    ("csrf_token", token),
                    ("name", name),
                    ("slug", slug),
                    ("country", country),
                    ("billing_email", billing_email),
                ],
            )
            .await
    }

    async fn count(app: &TestApp, table: &str) -> i64 {
        sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(&app.pool)
            .await
            .unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_refused_form_comes_back_with_each_problem_beside_its_field_and_writes_nothing() {
        let app = TestApp::builder().oidc().spawn().await;
        let browser = signed_in(&app, "founder").await;
        let token = form_token(&app, &browser).await;
        let refused = browser
            .post_form(
                &app.url("/orgs/new"),
                &[
                    ("csrf_token", &token),
                    ("name", " "),
                    ("slug", "Admin"),
                    ("country", "ZZ"),
                    ("billing_email", "nope"),
                ],
            )
            .await;
        assert_eq!(refused.status(), StatusCode::SEE_OTHER);
        let back = refused.headers()[header::LOCATION].to_str().unwrap().to_owned();
        assert!(back.starts_with("/orgs/new?"), "{back}");
        let page = browser.page_in(&app.url(&back), "fr").await;
        for (problem, text) in [
            ("missing", "Ce champ est obligatoire."),
            ("reserved", "Cette adresse est réservée"),
            ("unknown_country", "Choisissez un pays"),
            ("invalid_email", "adresse e-mail valide"),
        ] {
            assert!(
                page.contains(&format!("data-problem=\"{problem}\"")),
                "{problem}: {page}"
            );
            assert!(page.contains(text), "{text}");
        }
        assert!(page.contains("value=\"Admin\""), "what was typed is kept");
        assert_eq!(count(&app, "organizations").await, 0);
        assert_eq!(count(&app, "audit_events").await, 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_organization_created_in_the_portal_is_shown_to_its_owner_and_to_no_one_else() {
        let app = TestApp::builder().oidc().spawn().await;
        let owner = signed_in(&app, "owner").await;
        let token = form_token(&app, &owner).await;
        let created = submit(
            &app,
            &owner,
            &token,
            ["Acme Boutique", "acme", "FR", "billing@acme.example"],
        )
        .await;
        assert_eq!(created.headers()[header::LOCATION], "/orgs/acme");
        let page = owner.follow(&app.url("/orgs/acme")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("Acme Boutique") && page.body.contains("data-member-count=\"1\""));
        let members = owner.follow(&app.url("/orgs/acme/members")).await;
        assert_eq!(members.status, StatusCode::OK);
        assert!(members.body.contains("data-member=") && members.body.contains("data-invite-form"));
        let list = owner.follow(&app.url("/orgs")).await;
        assert!(list.body.contains("data-organization=\"acme\""));

        let stranger = signed_in(&app, "stranger").await;
        let hidden = stranger.follow(&app.url("/orgs/acme")).await;
        assert_eq!(hidden.status, StatusCode::NOT_FOUND);
        assert!(!hidden.body.contains("Acme Boutique"));
        let unknown = stranger.follow(&app.url("/orgs/no-such-org")).await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);

        // A second organization at the same address is refused beside the field.
        let token = form_token(&app, &stranger).await;
        let taken = submit(&app, &stranger, &token, ["Other", "acme", "BE", "x@y.be"]).await;
        assert!(taken.headers()[header::LOCATION]
            .to_str()
            .unwrap()
            .contains("slug%3Ataken"));
        assert_eq!(count(&app, "organizations").await, 1);
    }

    /// Acme with an IoT Lab subscription, and its owner signed in.
    async fn owner_of_an_iot_lab() -> (TestApp, Person) {
        let app = TestApp::builder().oidc().spawn().await;
        let owner = Person::signed_in(&app.base_url, "owner").await;
        app.control
            .create_organization(&owner.caller(), &super::acme())
            .await
            .unwrap()
            .unwrap();
        app.control
            .subscribe(&owner.caller(), "acme", "iot-lab")
            .await
            .unwrap()
            .unwrap();
        (app, owner)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_dashboard_shows_the_quotas_a_plan_provides_and_any_override() {
        let (app, owner) = owner_of_an_iot_lab().await;
        let page = owner.browser.follow(&app.url("/orgs/acme")).await.body;
        for provided in [
            "cpu_millicores",
            "storage_gib",
            "devices",
            "backup_retention_days",
        ] {
            assert!(
                page.contains(&format!("data-quota=\"{provided}\"")),
                "{provided}: {page}"
            );
        }
        // The IoT plans have no OpenStack project: zero, and not shown.
        for absent in ["openstack_vcpus", "openstack_ram_mib", "openstack_instances"] {
            assert!(!page.contains(&format!("data-quota=\"{absent}\"")), "{absent}");
        }

        // A platform admin's override shows, with the plan's own figure.
        // Written in the table: the admin's operation refuses a quota the
        // plan has none of, and the page shows whatever the table holds.
        sqlx::query(
            "INSERT INTO quota_overrides (subscription_id, quota, value, set_by, set_at)
             SELECT id, 'openstack_instances', 2, 'admin@bibind.example', now() FROM subscriptions",
        )
        .execute(&app.pool)
        .await
        .unwrap();
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let page = owner.browser.follow(&app.url("/orgs/acme")).await.body;
            if page.contains("data-quota=\"openstack_instances\" data-limit=\"2\"") {
                assert!(!page.contains("data-quota=\"openstack_vcpus\""));
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the override never showed: {page}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_dashboard_registers_a_device_and_refuses_a_bad_name_beside_its_field() {
        let (app, owner) = owner_of_an_iot_lab().await;
        let page = owner.browser.follow(&app.url("/orgs/acme")).await.body;
        let token = csrf_token_in(&page);
        let form_start = page.find("data-device-form").expect("the registration form");
        let action = page[..form_start]
            .rsplit("action=\"")
            .next()
            .and_then(|rest| rest.split('"').next())
            .unwrap()
            .to_owned();
        assert!(action.ends_with("/devices"), "{action}");

        let refused = owner
            .browser
            .post_form(
                &app.url(&action),
                &[("csrf_token", token.as_str()), ("name", "Capteur n°1")],
            )
            .await;
        assert_eq!(refused.status(), StatusCode::SEE_OTHER);
        let back = refused.headers()[header::LOCATION].to_str().unwrap().to_owned();
        let page = owner.browser.page_in(&app.url(&back), "fr").await;
        assert!(page.contains("data-problem=\"bad_characters\""), "{page}");
        assert!(page.contains("aria-invalid=\"true\""));
        assert!(page.contains("value=\"Capteur n°1\""), "what was typed is kept");
        assert!(!page.contains("data-device=\""), "nothing registered");

        // A token that is not this browser's: nothing is done, and the form
        // comes back filled, saying why.
        let forged = owner
            .browser
            .post_form(
                &app.url(&action),
                &[
                    ("csrf_token", "0123456789abcdef0123456789abcdef"),
                    ("name", "capteur-1"),
                ],
            )
            .await;
        let back = forged.headers()[header::LOCATION].to_str().unwrap().to_owned();
        let page = owner.browser.page_in(&app.url(&back), "fr").await;
        assert!(page.contains("data-refused=\"form_expired\""), "{back}: {page}");
        assert!(page.contains("Ce formulaire avait expiré"));
        assert!(page.contains("value=\"capteur-1\""));

        // The token of the first page still serves, after other pages were shown.
        let registered = owner
            .browser
            .post_form(
                &app.url(&action),
                &[("csrf_token", token.as_str()), ("name", "capteur-1")],
            )
            .await;
        assert_eq!(registered.status(), StatusCode::SEE_OTHER);
        let back = registered.headers()[header::LOCATION]
            .to_str()
            .unwrap()
            .to_owned();
        let page = owner.browser.follow(&app.url(&back)).await.body;
        assert!(page.contains("data-device=\"capteur-1\""), "{back}: {page}");
        assert!(!page.contains("data-problem="));
        assert!(page.contains("data-quota=\"devices\" data-used=\"1\""));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_form_refuses_a_forged_csrf_token_and_signed_out_visitors() {
        let app = TestApp::builder().oidc().spawn().await;
        let browser = signed_in(&app, "victim").await;
        let forged = browser
            .post_form(
                &app.url("/orgs/new"),
                &[
                    ("csrf_token", "forged"),
                    ("name", "Evil"),
                    ("slug", "evil"),
                    ("country", "FR"),
                    ("billing_email", "e@v.il"),
                ],
            )
            .await;
        let back = forged.headers()[header::LOCATION].to_str().unwrap().to_owned();
        assert!(back.starts_with("/orgs/new?refused=form_expired"), "{back}");
        let page = browser.page_in(&app.url(&back), "fr").await;
        assert!(
            page.contains("data-refused=\"form_expired\"") && page.contains("Ce formulaire avait expiré")
        );
        assert!(page.contains("value=\"Evil\""), "what was typed is kept");
        let anonymous = app
            .client
            .post(app.url("/orgs/new"))
            .form(&[
                ("csrf_token", "x"),
                ("name", "Evil"),
                ("slug", "evil"),
                ("country", "FR"),
                ("billing_email", "e@v.il"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(
            anonymous.headers()[header::LOCATION],
            "/auth/signin?return_to=/orgs/new"
        );
        assert_eq!(count(&app, "organizations").await, 0);
        let page = app.get("/orgs").await;
        assert_eq!(page.headers()[header::LOCATION], "/auth/signin?return_to=/orgs");
    }
}

/// Where signing in lands: the list while there is none or several, the
/// organization itself when there is one; and the admin link for admins.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_lands_on_the_one_organization_or_the_list() {
    use control::domain::{Arrival, Home, SignedInUser};
    let app = TestApp::spawn().await;
    let alice = caller("alice");
    let user = SignedInUser {
        identity_id: alice.identity_id.clone(),
        email: alice.email.clone(),
        email_verified: true,
        display_name: "Alice".into(),
        assurance_level: "aal1".into(),
    };
    let arrival = |home| Arrival {
        home,
        platform_admin: false,
    };
    assert_eq!(
        app.control.arrival(&user).await.unwrap(),
        arrival(Home::Organizations)
    );
    app.control
        .create_organization(&alice, &acme())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        app.control.arrival(&user).await.unwrap(),
        arrival(Home::Organization("acme".into()))
    );
    let globex = NewOrganization::parse("Globex", "globex", "fr", "billing@globex.example").unwrap();
    app.control
        .create_organization(&alice, &globex)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        app.control.arrival(&user).await.unwrap(),
        arrival(Home::Organizations)
    );

    sqlx::query("INSERT INTO platform_admins (identity_id, email, granted_at, granted_by) VALUES ($1::uuid, $2, now(), 'cli')")
        .bind(&alice.identity_id)
        .bind(&alice.email)
        .execute(&app.pool)
        .await
        .unwrap();
    assert!(app.control.arrival(&user).await.unwrap().platform_admin);
}
