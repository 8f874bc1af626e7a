//! ApiBibind (`/api/v1`) from outside: API clients made by an organization's
//! owner, tokens from the real Hydra (client credentials), and the API's
//! conventions (problem details, pagination, request ids, the document).

use control::{
    domain::{CreatedApiClient, NewApiClient},
    Caller,
};
use serde_json::Value;

use crate::support::{self, tenancy::create_organization, TestApp};

/// An API client of `slug` made by `owner`, as the portal's form makes it.
async fn api_client(
    app: &TestApp,
    owner: &Caller,
    slug: &str,
    role: &str,
    scopes: &[&str],
) -> CreatedApiClient {
    let scopes: Vec<String> = scopes.iter().map(|scope| (*scope).to_owned()).collect();
    let new = NewApiClient::parse("ci", role, &scopes, "30").unwrap();
    app.control
        .create_api_client(owner, slug, &new)
        .await
        .unwrap()
        .expect("an owner makes API clients")
}

/// A token for `client` from Hydra's token endpoint (client credentials).
async fn token(client: &CreatedApiClient, scope: &str) -> String {
    let answer = reqwest::Client::new()
        .post(format!("{}/oauth2/token", support::env("TEST_HYDRA_PUBLIC_URL")))
        .basic_auth(&client.client.client_id, Some(&client.client_secret))
        .form(&[("grant_type", "client_credentials"), ("scope", scope)])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200, "Hydra issues the token");
    let body: Value = answer.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

/// A token of a new API client of `slug` with `role` and `scopes`.
pub(crate) async fn client_token(
    app: &TestApp,
    owner: &Caller,
    slug: &str,
    role: &str,
    scopes: &[&str],
) -> String {
    let client = api_client(app, owner, slug, role, scopes).await;
    token(&client, &scopes.join(" ")).await
}

/// A fresh portal, an owner of Acme, an API client of Acme and its token.
struct Acme {
    app: TestApp,
    owner: Caller,
    client: CreatedApiClient,
    token: String,
}

/// [`Acme`] at `slug`, its client with `role` and the one `scope`.
async fn acme_with_client(slug: &str, role: &str, scope: &str) -> Acme {
    let app = TestApp::spawn().await;
    let owner = support::person("owner");
    create_organization(&app, &owner, "Acme", slug).await;
    let client = api_client(&app, &owner, slug, role, &[scope]).await;
    let token = token(&client, scope).await;
    Acme {
        app,
        owner,
        client,
        token,
    }
}

async fn api_get(app: &TestApp, path: &str, token: &str) -> reqwest::Response {
    app.client
        .get(app.url(&format!("/api/v1{path}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

fn is_problem(response: &reqwest::Response) -> bool {
    response
        .headers()
        .get("content-type")
        .is_some_and(|value| value == "application/problem+json")
}

#[tokio::test]
async fn an_owners_client_reads_its_organization_with_a_token_from_hydra() {
    let app = TestApp::spawn().await;
    let owner = support::person("owner");
    create_organization(&app, &owner, "Acme", "api-acme").await;
    let client = api_client(&app, &owner, "api-acme", "member", &["organizations:read"]).await;
    assert!(client.client.client_id.starts_with("bibind-api-"));
    let token = token(&client, "organizations:read").await;

    let listed = api_get(&app, "/organizations", &token).await;
    assert_eq!(listed.status(), 200);
    let listed: Value = listed.json().await.unwrap();
    assert_eq!(listed[0]["slug"], "api-acme", "its own organization, and only it");
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["role"], "member", "the role it was given");

    let one = api_get(&app, "/organizations/api-acme", &token).await;
    assert_eq!(one.status(), 200);
    let one: Value = one.json().await.unwrap();
    assert_eq!(one["name"], "Acme");
    assert!(one["subscriptions"].is_array());

    let used = app
        .control
        .api_clients(&owner, "api-acme")
        .await
        .unwrap()
        .unwrap();
    assert!(
        used[0].last_used_at.is_some(),
        "its last use is shown to the owner"
    );
}

#[tokio::test]
async fn a_client_of_one_organization_finds_nothing_of_another() {
    let app = TestApp::spawn().await;
    let (alice, bob) = (support::person("alice"), support::person("bob"));
    create_organization(&app, &alice, "Alpha", "api-alpha").await;
    create_organization(&app, &bob, "Beta", "api-beta").await;
    let every_scope = [
        "organizations:write",
        "members:write",
        "subscriptions:write",
        "devices:write",
        "audit:read",
    ];
    let client = api_client(&app, &alice, "api-alpha", "admin", &every_scope).await;
    let token = token(&client, &every_scope.join(" ")).await;
    let shop = app
        .control
        .start_subscription(&bob, "api-beta", "shop-starter")
        .await
        .unwrap()
        .unwrap();

    let beta = "/organizations/api-beta";
    for path in [
        beta.to_owned(),
        format!("{beta}/api-clients"),
        format!("{beta}/audit"),
        format!("{beta}/members"),
        format!("{beta}/invitations"),
        format!("{beta}/subscriptions"),
        format!("{beta}/subscriptions/{shop}"),
        format!("{beta}/subscriptions/{shop}/progress"),
        format!("{beta}/subscriptions/{shop}/progress/events"),
        format!("{beta}/subscriptions/{shop}/devices"),
        format!("{beta}/subscriptions/{shop}/domain"),
        format!("{beta}/courses"),
    ] {
        let path = path.as_str();
        let refused = api_get(&app, path, &token).await;
        assert_eq!(
            refused.status(),
            404,
            "{path}: Beta does not exist for Alpha's client"
        );
        assert!(is_problem(&refused));
    }
    let bobs = api_client(&app, &bob, "api-beta", "member", &["organizations:read"]).await;
    let revoke = app
        .client
        .delete(app.url(&format!(
            "/api/v1/organizations/api-beta/api-clients/{}",
            bobs.client.id
        )))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), 404);
    let still = app.control.api_clients(&bob, "api-beta").await.unwrap().unwrap();
    assert_eq!(
        still[0].state,
        control::domain::ApiClientState::Active,
        "nothing changed"
    );
}

#[tokio::test]
async fn a_read_scoped_client_is_refused_on_writes_and_a_client_makes_no_clients() {
    let app = TestApp::spawn().await;
    let owner = support::person("owner");
    create_organization(&app, &owner, "Acme", "api-scopes").await;
    let other = api_client(&app, &owner, "api-scopes", "member", &["organizations:read"]).await;
    let reader = api_client(&app, &owner, "api-scopes", "admin", &["members:read"]).await;
    let read_token = token(&reader, "members:read").await;

    let listed = api_get(&app, "/organizations/api-scopes/api-clients", &read_token).await;
    assert_eq!(listed.status(), 200, "reading is its scope");
    let revoke = app
        .client
        .delete(app.url(&format!(
            "/api/v1/organizations/api-scopes/api-clients/{}",
            other.client.id
        )))
        .bearer_auth(&read_token)
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), 403, "revoking needs members:write");
    assert!(is_problem(&revoke));

    let writer = api_client(&app, &owner, "api-scopes", "admin", &["members:write"]).await;
    let write_token = token(&writer, "members:write").await;
    let made = app
        .client
        .post(app.url("/api/v1/organizations/api-scopes/api-clients"))
        .bearer_auth(&write_token)
        .json(&serde_json::json!({"name": "child", "role": "member", "scopes": ["organizations:read"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), 403, "a client does not make clients");

    let revoked = app
        .client
        .delete(app.url(&format!(
            "/api/v1/organizations/api-scopes/api-clients/{}",
            other.client.id
        )))
        .bearer_auth(&write_token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        revoked.status(),
        204,
        "an admin client with members:write revokes"
    );
}

#[tokio::test]
async fn a_revoked_client_is_refused_at_once() {
    let Acme {
        app,
        owner,
        client,
        token,
    } = acme_with_client("api-revoke", "member", "organizations:read").await;
    assert_eq!(
        api_get(&app, "/organizations/api-revoke", &token).await.status(),
        200
    );

    let id = uuid::Uuid::parse_str(&client.client.id).unwrap();
    app.control
        .revoke_api_client(&owner, "api-revoke", id)
        .await
        .unwrap()
        .unwrap();
    let refused = api_get(&app, "/organizations/api-revoke", &token).await;
    assert_eq!(refused.status(), 401, "the token was accepted a moment ago");
    assert!(is_problem(&refused));
    assert!(refused.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Bearer"));
    let introspected: Value = reqwest::Client::new()
        .post(format!(
            "{}/admin/oauth2/introspect",
            support::env("TEST_HYDRA_ADMIN_URL")
        ))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(introspected["active"], false, "Hydra forgot its tokens too");
}

#[tokio::test]
async fn refusals_are_problem_details_in_the_callers_language() {
    let app = TestApp::spawn().await;
    let owner = support::person("owner");
    create_organization(&app, &owner, "Acme", "api-problems").await;

    let anonymous = app
        .client
        .get(app.url("/api/v1/organizations"))
        .header("x-request-id", "probe-123")
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    assert!(is_problem(&anonymous));
    assert_eq!(
        anonymous.headers()["x-request-id"],
        "probe-123",
        "the request id is echoed"
    );
    let body: Value = anonymous.json().await.unwrap();
    assert_eq!(body["type"], "/api/v1/reference#problem-unauthorized");
    assert_eq!(body["status"], 401);
    assert_eq!(body["instance"], "urn:request:probe-123");

    let garbage = api_get(&app, "/organizations", "not-a-token").await;
    assert_eq!(garbage.status(), 401);

    let unknown = app
        .client
        .get(app.url("/api/v1/no-such-thing"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    assert!(
        is_problem(&unknown),
        "the API's 404 is a problem, not the portal's page"
    );

    // Bad fields, in French, each named.
    let admin = api_client(&app, &owner, "api-problems", "admin", &["members:write"]).await;
    let person_token = token(&admin, "members:write").await;
    let refused = app
        .client
        .post(app.url("/api/v1/organizations/api-problems/api-clients"))
        .bearer_auth(&person_token)
        .header("accept-language", "fr-FR,fr;q=0.9")
        .body("{not json")
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    assert!(is_problem(&refused));
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["type"], "/api/v1/reference#problem-bad-request");
    assert!(
        body["detail"].as_str().unwrap().contains("JSON attendu"),
        "{body}"
    );
}

#[tokio::test]
async fn field_problems_name_each_field() {
    // Made through the control plane (the API refuses clients making
    // clients), then asked through the API by its parse: the same answer.
    let refusal = NewApiClient::parse("", "owner", &["audit:write".to_owned()], "999").unwrap_err();
    let fields: Vec<&str> = refusal.iter().map(|field| field.field.as_str()).collect();
    assert_eq!(fields, ["name", "role", "scopes", "lifetime_days"]);
}

#[tokio::test]
async fn a_list_is_paged_to_its_end_by_following_link() {
    let app = TestApp::spawn().await;
    let owner = support::person("owner");
    create_organization(&app, &owner, "Acme", "api-pages").await;
    let reader = api_client(&app, &owner, "api-pages", "admin", &["members:read"]).await;
    for _ in 0..4 {
        api_client(&app, &owner, "api-pages", "member", &["organizations:read"]).await;
    }
    let token = token(&reader, "members:read").await;
    let mut next = Some(app.url("/api/v1/organizations/api-pages/api-clients?limit=2"));
    let mut seen = Vec::new();
    let mut pages = 0;
    while let Some(url) = next.take() {
        let page = app.client.get(&url).bearer_auth(&token).send().await.unwrap();
        assert_eq!(page.status(), 200);
        next = page
            .headers()
            .get("link")
            .map(|link| link.to_str().unwrap().to_owned())
            .map(|link| {
                let target = link.trim_start_matches('<').split('>').next().unwrap();
                assert!(link.ends_with("rel=\"next\""), "{link}");
                app.url(target)
            });
        let items: Vec<Value> = page.json().await.unwrap();
        assert!(items.len() <= 2);
        seen.extend(
            items
                .into_iter()
                .map(|item| item["id"].as_str().unwrap().to_owned()),
        );
        pages += 1;
    }
    assert_eq!(pages, 3, "5 clients, 2 a page");
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 5, "each once: {seen:?}");

    let wrong = api_get(&app, "/organizations/api-pages/api-clients?cursor=nope", &token).await;
    assert_eq!(wrong.status(), 400);
    let too_many = api_get(&app, "/organizations/api-pages/api-clients?limit=1000", &token).await;
    assert_eq!(too_many.status(), 400);
}

#[tokio::test]
async fn the_document_describes_every_api_route_and_the_reference_explains_each_problem() {
    let app = TestApp::spawn().await;
    let document: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    assert!(document["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = document["paths"].as_object().unwrap();
    let documented: Vec<String> = paths.keys().map(|path| format!("/api/v1{path}")).collect();
    let served: Vec<&String> = app
        .route_paths
        .iter()
        .filter(|path| path.starts_with("/api/v1/"))
        .filter(|path| !path.ends_with("/openapi.json") && !path.contains("/reference"))
        .filter(|path| !path.contains("__private__axum_fallback"))
        .collect();
    assert!(!served.is_empty());
    for path in served {
        assert!(
            documented.contains(path),
            "{path} is served but not in the document"
        );
    }
    let flow = &document["components"]["securitySchemes"]["oauth2"]["flows"]["clientCredentials"];
    assert!(flow["tokenUrl"].as_str().unwrap().ends_with("/oauth2/token"));
    assert!(flow["scopes"]["subscriptions:write"].is_string());

    let reference = app.get("/api/v1/reference").await;
    assert_eq!(reference.status(), 200);
    let page = reference.text().await.unwrap();
    assert!(page.contains("id=\"problem-invalid-fields\""));
    assert!(
        !page.contains("<script"),
        "readable without scripts, nothing from elsewhere"
    );
    let french = app
        .get_with("/api/v1/reference", &[("accept-language", "fr-FR,fr;q=0.9")])
        .await
        .text()
        .await
        .unwrap();
    assert!(french.contains("<html lang=\"fr\">") && french.contains("Erreurs"));
}

#[tokio::test]
async fn an_owner_makes_a_client_in_the_portal_sees_its_secret_once_and_revokes_it() {
    use crate::support::browser::{csrf_token_in, Person};
    let app = TestApp::builder().oidc().spawn().await;
    let owner = Person::signed_in(&app.base_url, "owner").await;
    create_organization(&app, &owner.caller(), "Acme", "api-portal").await;
    let page_url = app.url("/orgs/api-portal/api-clients");
    let page = owner.browser.follow(&page_url).await;
    assert!(page.body.contains("data-no-api-clients"), "no client yet");
    let token = csrf_token_in(&page.body);

    let refused = owner
        .browser
        .post_form(
            &page_url,
            &[("csrf_token", &token), ("name", "ci"), ("role", "member")],
        )
        .await;
    assert_eq!(refused.status(), 303, "back to the form");
    let location = refused.headers()["location"].to_str().unwrap().to_owned();
    let again = owner.browser.follow(&app.url(&location)).await;
    assert!(
        again.body.contains("client-scopes-problem"),
        "the scopes are missing"
    );

    let made = owner
        .browser
        .post_form(
            &page_url,
            &[
                ("csrf_token", &token),
                ("name", "deploy bot"),
                ("role", "admin"),
                ("lifetime_days", "30"),
                ("scope:organizations:read", "on"),
                ("scope:subscriptions:write", "on"),
            ],
        )
        .await;
    assert_eq!(made.status(), 200, "the answer shows the secret");
    let body = made.text().await.unwrap();
    assert!(body.contains("data-created-client"));
    let secret = body
        .split("data-client-secret")
        .nth(1)
        .and_then(|rest| rest.split_once('>'))
        .and_then(|(_, rest)| rest.split('<').next())
        .unwrap()
        .to_owned();
    assert_eq!(secret.len(), 64, "{secret}");
    let listed = app
        .control
        .api_clients(&owner.caller(), "api-portal")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].scopes, ["organizations:read", "subscriptions:write"]);
    let client = CreatedApiClient {
        client: listed[0].clone(),
        client_secret: secret.clone(),
    };
    let bearer = self::token(&client, "organizations:read").await;
    assert_eq!(
        api_get(&app, "/organizations/api-portal", &bearer).await.status(),
        200
    );

    let later = owner.browser.follow(&page_url).await;
    assert!(!later.body.contains(&secret), "the secret is shown once");
    assert!(later.body.contains("data-api-client=\"deploy bot\""));
    let stored: Vec<(String,)> = sqlx::query_as("SELECT name FROM api_clients")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    let audit: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_events WHERE action = 'api_client.create'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(audit, 1);
    let everything = format!(
        "{:?}",
        sqlx::query_as::<_, (String,)>("SELECT row_to_json(a)::text FROM api_clients a")
            .fetch_all(&app.pool)
            .await
            .unwrap()
    );
    assert!(!everything.contains(&secret), "no secret in the database");

    let revoke_url = app.url(&format!("/orgs/api-portal/api-clients/{}/revoke", listed[0].id));
    let revoked = owner
        .browser
        .post_form(&revoke_url, &[("csrf_token", &token)])
        .await;
    assert_eq!(revoked.status(), 303);
    assert_eq!(
        api_get(&app, "/organizations/api-portal", &bearer).await.status(),
        401
    );
    let after = owner.browser.follow(&page_url).await;
    assert!(after.body.contains("data-state=\"revoked\""));
}

#[tokio::test]
async fn a_stale_etag_changes_nothing_and_the_current_one_changes_the_plan() {
    let Acme { app, token, .. } = acme_with_client("api-etag", "admin", "subscriptions:write").await;
    let base = app.url("/api/v1/organizations/api-etag/subscriptions");

    let made = app
        .client
        .post(&base)
        .bearer_auth(&token)
        .json(&serde_json::json!({"plan": "shop-starter"}))
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), 201);
    let location = made.headers()["location"].to_str().unwrap().to_owned();
    let first_tag = made.headers()["etag"].to_str().unwrap().to_owned();
    let made: Value = made.json().await.unwrap();
    assert_eq!(made["plan"], "shop-starter");
    assert_eq!(
        location,
        format!(
            "/api/v1/organizations/api-etag/subscriptions/{}",
            made["id"].as_str().unwrap()
        )
    );

    let read = app
        .client
        .get(app.url(&location))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    assert_eq!(read.headers()["etag"].to_str().unwrap(), first_tag);

    let plan = format!("{}/plan", app.url(&location));
    let body = serde_json::json!({"plan": "shop-business"});
    let unconditional = app
        .client
        .put(&plan)
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(unconditional.status(), 428, "a change names the version it read");
    assert!(is_problem(&unconditional));

    let stale = app
        .client
        .put(&plan)
        .bearer_auth(&token)
        .header("if-match", "\"999\"")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 412);
    let still: Value = app
        .client
        .get(app.url(&location))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(still["plan"], "shop-starter", "nothing changed");

    let changed = app
        .client
        .put(&plan)
        .bearer_auth(&token)
        .header("if-match", &first_tag)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 200);
    let second_tag = changed.headers()["etag"].to_str().unwrap().to_owned();
    assert_ne!(second_tag, first_tag);
    let changed: Value = changed.json().await.unwrap();
    assert_eq!(changed["plan"], "shop-business");

    let late = app
        .client
        .delete(app.url(&location))
        .bearer_auth(&token)
        .header("if-match", &first_tag)
        .send()
        .await
        .unwrap();
    assert_eq!(late.status(), 412, "cancelling with the old version");
    let cancelled = app
        .client
        .delete(app.url(&location))
        .bearer_auth(&token)
        .header("if-match", &second_tag)
        .send()
        .await
        .unwrap();
    assert_eq!(cancelled.status(), 204);

    let audit: Vec<(String, String)> = sqlx::query_as(
        "SELECT action, actor_email FROM audit_events WHERE action LIKE 'subscription.%' ORDER BY id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(audit.len(), 3, "{audit:?}");
    assert!(
        audit.iter().all(|(_, actor)| actor == "api-client:ci"),
        "audited as the client: {audit:?}"
    );
}

#[tokio::test]
async fn members_are_listed_invited_and_changed_through_the_api() {
    let Acme { app, token, .. } = acme_with_client("api-members", "admin", "members:write").await;

    let listed: Vec<Value> = api_get(&app, "/organizations/api-members/members", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["role"], "owner");

    let invite = app.url("/api/v1/organizations/api-members/invitations");
    let sent = app
        .client
        .post(&invite)
        .bearer_auth(&token)
        .json(&serde_json::json!({"email": support::browser::unique_email("new"), "role": "member"}))
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 202);
    let open: Vec<Value> = api_get(&app, "/organizations/api-members/invitations", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0]["role"], "member");
    let withdraw = app
        .client
        .delete(app.url(&format!(
            "/api/v1/organizations/api-members/invitations/{}",
            open[0]["id"].as_str().unwrap()
        )))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(withdraw.status(), 204);
    let open: Vec<Value> = api_get(&app, "/organizations/api-members/invitations", &token)
        .await
        .json()
        .await
        .unwrap();
    assert!(open.is_empty(), "withdrawn");
    let owner_invite = app
        .client
        .post(&invite)
        .bearer_auth(&token)
        .json(&serde_json::json!({"email": support::browser::unique_email("boss"), "role": "owner"}))
        .send()
        .await
        .unwrap();
    assert_eq!(owner_invite.status(), 403, "an admin client makes no owners");
    let bad = app
        .client
        .post(&invite)
        .bearer_auth(&token)
        .json(&serde_json::json!({"email": "not an address", "role": "member"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
    let body: Value = bad.json().await.unwrap();
    assert_eq!(body["errors"][0]["field"], "email");

    let owner_id = listed[0]["id"].as_str().unwrap();
    let demote = app
        .client
        .put(app.url(&format!(
            "/api/v1/organizations/api-members/members/{owner_id}/role"
        )))
        .bearer_auth(&token)
        .json(&serde_json::json!({"role": "member"}))
        .send()
        .await
        .unwrap();
    assert_eq!(demote.status(), 403, "an admin client changes no owner");
    let anonymous = app
        .client
        .put(app.url(&format!(
            "/api/v1/organizations/api-members/members/{owner_id}/role"
        )))
        .send()
        .await
        .unwrap();
    let status = anonymous.status();
    let text = anonymous.text().await.unwrap();
    assert_eq!(status, 401, "{text}");
}

#[tokio::test]
async fn a_post_with_an_idempotency_key_is_done_once_and_its_answer_replayed() {
    let Acme { app, token, .. } = acme_with_client("api-once", "admin", "subscriptions:write").await;
    let url = app.url("/api/v1/organizations/api-once/subscriptions");
    let post = |plan: &'static str, key: &'static str| {
        app.client
            .post(&url)
            .bearer_auth(&token)
            .header("idempotency-key", key)
            .json(&serde_json::json!({ "plan": plan }))
            .send()
    };

    let first = post("shop-starter", "order-1").await.unwrap();
    assert_eq!(first.status(), 201);
    let location = first.headers()["location"].clone();
    let first_body = first.text().await.unwrap();
    let again = post("shop-starter", "order-1").await.unwrap();
    assert_eq!(again.status(), 201, "the same answer");
    assert_eq!(again.headers()["location"], location);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.text().await.unwrap(), first_body);
    let made: i64 = sqlx::query_scalar("SELECT count(*) FROM subscriptions")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(made, 1, "subscribed once");

    let other = post("shop-business", "order-1").await.unwrap();
    assert_eq!(other.status(), 422);
    assert!(is_problem(&other));
    let body: Value = other.json().await.unwrap();
    assert_eq!(body["type"], "/api/v1/reference#problem-idempotency-key-reused");

    // A refusal is an answer too: kept and replayed.
    let refused = post("shop-business", "order-2").await.unwrap();
    assert_eq!(refused.status(), 409, "already subscribed to the offer");
    let replayed = post("shop-business", "order-2").await.unwrap();
    assert_eq!(replayed.status(), 409);
    assert_eq!(replayed.headers()["idempotent-replayed"], "true");
}

#[tokio::test]
async fn every_answer_tells_the_clients_rate_and_past_it_says_when_to_retry() {
    let Acme { app, token, .. } = acme_with_client("api-rate", "member", "organizations:read").await;
    let first = api_get(&app, "/organizations", &token).await;
    assert_eq!(first.status(), 200);
    let policy = first.headers()["ratelimit-policy"].to_str().unwrap().to_owned();
    assert_eq!(policy, "\"per-client\";q=600;w=60");
    let state = first.headers()["ratelimit"].to_str().unwrap().to_owned();
    assert!(state.starts_with("\"per-client\";r=599;t="), "{state}");

    let mut refused = None;
    for _ in 0..600 {
        let answer = api_get(&app, "/organizations", &token).await;
        if answer.status() == 429 {
            refused = Some(answer);
            break;
        }
    }
    let refused = refused.expect("the 601st request in a minute is refused");
    assert!(is_problem(&refused));
    let wait: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait));
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["type"], "/api/v1/reference#problem-rate-limited");
}

#[tokio::test]
async fn the_audit_log_is_paged_to_its_end_and_exported_as_csv_without_addresses() {
    let Acme {
        app, owner, token, ..
    } = acme_with_client("api-audit", "admin", "audit:read").await;
    // Sixty role changes, from a known address: more than one page.
    sqlx::query(
        "INSERT INTO audit_events (at, actor, actor_email, actor_email_verified, organization_id, action, target, ip)
         SELECT now() - make_interval(secs => n), $1, $2, true, o.id, 'membership.role_change',
                'member:m' || n || '@example.com', '203.0.113.7'::inet
           FROM organizations o, generate_series(1, 60) n WHERE o.slug = 'api-audit'",
    )
    .bind(&owner.identity_id)
    .bind(&owner.email)
    .execute(&app.pool)
    .await
    .unwrap();

    let mut url = app.url("/api/v1/organizations/api-audit/audit?action=membership.");
    let mut seen = Vec::new();
    loop {
        let page = app.client.get(&url).bearer_auth(&token).send().await.unwrap();
        assert_eq!(page.status(), 200);
        let next = page
            .headers()
            .get("link")
            .map(|link| link.to_str().unwrap().to_owned());
        let events: Vec<Value> = page.json().await.unwrap();
        assert!(events
            .iter()
            .all(|event| event["action"] == "membership.role_change"));
        assert!(events.iter().all(|event| event.get("ip").is_none()));
        seen.extend(events.into_iter().map(|event| event["id"].as_i64().unwrap()));
        match next {
            Some(link) => {
                assert!(link.contains("action=membership."), "the filter is kept: {link}");
                let path = link.trim_start_matches('<').split('>').next().unwrap();
                url = app.url(path);
            }
            None => break,
        }
    }
    assert_eq!(seen.len(), 60, "every event once");
    let mut distinct = seen.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), 60, "none twice");

    let csv = app
        .client
        .get(app.url("/api/v1/organizations/api-audit/audit?action=membership."))
        .bearer_auth(&token)
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let text = csv.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "id,at,actor,organization,action,target,before,after,request_id,ip"
    );
    assert_eq!(lines.len(), 61);
    assert!(!text.contains("203.0.113.7"), "customers do not read addresses");

    let refused = app
        .client
        .get(app.url("/api/v1/organizations/api-audit/audit?since=yesterday"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
    assert!(is_problem(&refused));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_is_registered_shown_once_commanded_and_removed_through_the_api() {
    let harness = crate::support::provisioning::Harness::for_browsers().await;
    let owner = crate::support::browser::Person::signed_in(&harness.app.base_url, "owner")
        .await
        .caller();
    let (slug, space) = crate::devices::iot_space(&harness, &owner).await;
    let app = &harness.app;
    let token = client_token(app, &owner, &slug, "member", &["devices:write"]).await;
    let devices = app.url(&format!(
        "/api/v1/organizations/{slug}/subscriptions/{space}/devices"
    ));

    let registered = app
        .client
        .post(&devices)
        .bearer_auth(&token)
        .json(&serde_json::json!({"name": "Probe-01"}))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), 201);
    let location = registered.headers()["location"].to_str().unwrap().to_owned();
    let device: Value = registered.json().await.unwrap();
    assert_eq!(device["name"], "probe-01");
    assert!(location.ends_with(device["id"].as_str().unwrap()));
    let one = app.url(&location);

    // Not on the broker yet: nothing to show.
    let early = app
        .client
        .post(format!("{one}/credentials"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(early.status(), 409);
    harness.settle().await;
    let key = [("idempotency-key", "show-probe-01")];
    let mut shown = None;
    for _ in 0..2 {
        let mut request = app.client.post(format!("{one}/credentials")).bearer_auth(&token);
        for (name, value) in key {
            request = request.header(name, value);
        }
        let answer = request.send().await.unwrap();
        assert_eq!(answer.status(), 200);
        let body: Value = answer.json().await.unwrap();
        match shown {
            None => shown = Some(body),
            // The replay of the same request does not show the password again.
            Some(_) => assert!(body.get("password").is_none(), "{body}"),
        }
    }
    let shown = shown.unwrap();
    let (credentials, topic) = crate::devices::shown_credentials("probe-01", &shown);
    assert!(crate::devices::publish(&credentials, &credentials.password, &topic, "{\"t\":21.5}").await);
    let again = app
        .client
        .post(format!("{one}/credentials"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409, "shown once");

    let listed: Vec<Value> = api_get(
        app,
        &format!("/organizations/{slug}/subscriptions/{space}/devices"),
        &token,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["status"], "active");
    let telemetry = app
        .client
        .get(format!("{one}/telemetry"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(telemetry.status(), 200);
    let sent = app
        .client
        .post(format!("{one}/commands"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"command": {"led": "on"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 200);
    let sent: Value = sent.json().await.unwrap();
    assert!(
        ["delivered", "no_listener"].contains(&sent["result"].as_str().unwrap()),
        "{sent}"
    );
    let history: Vec<Value> = app
        .client
        .get(format!("{one}/commands"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(history[0]["payload"], "{\"led\":\"on\"}");

    let disabled = app
        .client
        .post(format!("{one}/disable"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(disabled.status(), 204);
    let removed = app.client.delete(&one).bearer_auth(&token).send().await.unwrap();
    assert_eq!(removed.status(), 204);
    let gone = app.client.get(&one).bearer_auth(&token).send().await.unwrap();
    assert_eq!(gone.status(), 404);
}

/// Each portal form and the API operation with its power (ARCHITECTURE.md's
/// parity table), or why it is for people in a browser only.
const PARITY: &[(&str, &str)] = &[
    ("/orgs/new", "POST /organizations"),
    (
        "/orgs/{slug}/invitations",
        "POST /organizations/{slug}/invitations",
    ),
    (
        "/orgs/{slug}/invitations/{id}/revoke",
        "DELETE /organizations/{slug}/invitations/{id}",
    ),
    (
        "/orgs/{slug}/members/{id}/role",
        "PUT /organizations/{slug}/members/{id}/role",
    ),
    (
        "/orgs/{slug}/members/{id}/remove",
        "DELETE /organizations/{slug}/members/{id}",
    ),
    (
        "/orgs/{slug}/subscriptions",
        "POST /organizations/{slug}/subscriptions",
    ),
    (
        "/orgs/{slug}/subscriptions/{id}/plan",
        "PUT /organizations/{slug}/subscriptions/{id}/plan",
    ),
    (
        "/orgs/{slug}/subscriptions/{id}/cancel",
        "DELETE /organizations/{slug}/subscriptions/{id}",
    ),
    (
        "/orgs/{slug}/subscriptions/{id}/devices",
        "POST /organizations/{slug}/subscriptions/{id}/devices",
    ),
    (
        "/orgs/{slug}/subscriptions/{id}/devices/{device}/remove",
        "DELETE /organizations/{slug}/subscriptions/{id}/devices/{device}",
    ),
    (
        "/orgs/{slug}/subscriptions/{id}/devices/{device}/{change}",
        "POST /organizations/{slug}/subscriptions/{id}/devices/{device}/{change}",
    ),
    (
        "/orgs/{slug}/subscriptions/{id}/devices/{device}/command",
        "POST /organizations/{slug}/subscriptions/{id}/devices/{device}/commands",
    ),
    (
        "/orgs/{slug}/subscriptions/{id}/domain",
        "PUT /organizations/{slug}/subscriptions/{id}/domain",
    ),
    (
        "/orgs/{slug}/subscriptions/{id}/backups",
        "POST /organizations/{slug}/subscriptions/{id}/backups",
    ),
    (
        "/orgs/{slug}/subscriptions/{id}/backups/schedule",
        "PUT /organizations/{slug}/subscriptions/{id}/backup-schedule",
    ),
    (
        "/orgs/{slug}/backups/{backup}/restore",
        "POST /organizations/{slug}/backups/{backup}/restore",
    ),
    (
        "/orgs/{slug}/backups/{backup}/download",
        "POST /organizations/{slug}/backups/{backup}/download-link",
    ),
    (
        "/orgs/{slug}/subscriptions/{id}/domain/{action}",
        "POST /organizations/{slug}/subscriptions/{id}/domain/check",
    ),
    (
        "/orgs/{slug}/subscriptions/{id}/modules/{module}/{change}",
        "PUT /organizations/{slug}/subscriptions/{id}/modules/{module}",
    ),
    (
        "/orgs/{slug}/api-clients",
        "POST /organizations/{slug}/api-clients",
    ),
    (
        "/orgs/{slug}/api-clients/{id}/revoke",
        "DELETE /organizations/{slug}/api-clients/{id}",
    ),
    (
        "/orgs/{slug}/learners/imports",
        "POST /organizations/{slug}/learner-imports",
    ),
    (
        "/orgs/{slug}/learners/imports/{id}/send",
        "POST /organizations/{slug}/learner-imports/{id}/send",
    ),
    (
        "/orgs/{slug}/courses/{course}/{change}",
        "POST /organizations/{slug}/courses/{course}/{change}",
    ),
    (
        "/admin/tenants/{slug}/{action}",
        "POST /admin/organizations/{slug}/{action}",
    ),
    (
        "/admin/subscriptions/{id}/{action}",
        "POST /admin/subscriptions/{id}/{action}",
    ),
    ("/admin/jobs/{id}/{action}", "POST /admin/jobs/{id}/{action}"),
    ("/admin/plans", "POST /admin/plans"),
    ("/admin/plans/{code}", "PUT /admin/plans/{code}"),
    (
        "/admin/plans/{code}/{action}",
        "POST /admin/plans/{code}/{action}",
    ),
];

/// Forms only a person in a browser has a use for.
const PEOPLE_ONLY: &[(&str, &str)] = &[
    (
        "/invitations/{token}/accept",
        "the invitee accepts with their own account",
    ),
    (
        "/auth/submit/{kind}",
        "sign-in, sign-up, recovery and settings forms, relayed to Kratos",
    ),
    ("/auth/logout", "ends the browser's session"),
    ("/auth/backchannel-logout", "Hydra's call, not a person's"),
    ("/auth/consent/decision", "a person's consent to an application"),
    ("/account/sessions/revoke", "the browser sessions of the person"),
];

#[tokio::test]
async fn every_portal_form_has_an_api_operation_or_says_why_not() {
    let app = TestApp::spawn().await;
    let document: Value = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // Which of the portal's routes take a POST: a form (a page answers 405).
    let mut forms = Vec::new();
    for route in &app.route_paths {
        if route.starts_with("/api/") || route.contains('*') || route.starts_with("/pkg") {
            continue;
        }
        let filled: String = route
            .split('/')
            .map(|part| if part.starts_with('{') { "x" } else { part })
            .collect::<Vec<_>>()
            .join("/");
        let answer = app.client.post(app.url(&filled)).send().await.unwrap();
        if answer.status() != 405 {
            forms.push(route.clone());
        }
    }
    assert!(forms.len() >= PARITY.len(), "forms found: {forms:?}");
    for form in &forms {
        let mapped = PARITY.iter().find(|(path, _)| path == form);
        let excused = PEOPLE_ONLY.iter().any(|(path, _)| path == form);
        let Some((_, operation)) = mapped else {
            assert!(
                excused,
                "the portal's form {form} has no API operation (ApiBibind parity)"
            );
            continue;
        };
        let (method, path) = operation.split_once(' ').unwrap();
        assert!(
            document["paths"][path][method.to_lowercase()].is_object(),
            "{form}: {operation} is not in the API's document"
        );
    }
    for (path, _) in PARITY.iter().chain(PEOPLE_ONLY) {
        assert!(
            forms.iter().any(|form| form == path),
            "{path} is not a form the portal serves"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trainers_script_reads_courses_uploads_a_file_previews_it_sends_it_and_assigns() {
    let harness = crate::support::provisioning::Harness::for_browsers().await;
    let owner = crate::support::browser::Person::signed_in(&harness.app.base_url, "trainer")
        .await
        .caller();
    let (slug, _, space) = crate::training::campus(&harness, &owner).await;
    let instance = control::domain::instance_name(&slug, control::domain::OfferKind::Training);
    let (course, _) = crate::training::course_in_odoo(&harness, &instance, "Rust basics", 1).await;
    harness.runner.read_training(space).await.unwrap();
    let app = &harness.app;
    let token = client_token(app, &owner, &slug, "admin", &["members:write"]).await;

    let training: Value = api_get(app, &format!("/organizations/{slug}/courses"), &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(training["courses"][0]["id"], course);
    let code = training["courses"][0]["code"].as_str().unwrap().to_owned();

    let file = format!(
        "email,first_name,last_name,language,courses\n{},Ada,Lovelace,fr,{code}\nnot-an-address,Carl,Nobody,,\n",
        crate::support::browser::unique_email("ada")
    );
    let uploaded = app
        .client
        .post(app.url(&format!("/api/v1/organizations/{slug}/learner-imports")))
        .bearer_auth(&token)
        .json(&serde_json::json!({"file_name": "learners.csv", "content": file}))
        .send()
        .await
        .unwrap();
    assert_eq!(uploaded.status(), 201);
    let location = uploaded.headers()["location"].to_str().unwrap().to_owned();
    let preview: Value = uploaded.json().await.unwrap();
    assert_eq!(preview["to_invite"], 1);
    assert_eq!(preview["rows"][1]["problems"], serde_json::json!(["bad_email"]));
    let again: Value = app
        .client
        .get(app.url(&location))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["id"], preview["id"]);
    let sent = app
        .client
        .post(app.url(&format!("{location}/send")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 200);
    assert_eq!(sent.json::<Value>().await.unwrap()["invited"], 1);
    let gone = app
        .client
        .get(app.url(&location))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 404, "a file is sent once");

    // The owner has an Odoo user: assigned to the course, then taken out.
    let trainee = training["trainees"][0]["id"].as_str().unwrap().to_owned();
    for change in ["assign", "remove"] {
        let changed = app
            .client
            .post(app.url(&format!("/api/v1/organizations/{slug}/courses/{course}/{change}")))
            .bearer_auth(&token)
            .json(&serde_json::json!({"learners": [trainee]}))
            .send()
            .await
            .unwrap();
        assert_eq!(changed.status(), 204, "{change}");
    }
    let refused = app
        .client
        .post(app.url(&format!("/api/v1/organizations/{slug}/courses/{course}/assign")))
        .bearer_auth(&token)
        .json(&serde_json::json!({"learners": ["not-an-id"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shops_own_domain_is_claimed_checked_and_given_up_and_modules_are_refused_by_name() {
    let harness = crate::support::provisioning::Harness::for_browsers().await;
    let (owner, slug, shop) = harness.shop_owner("Boutique").await;
    let app = &harness.app;
    let token = client_token(app, &owner, &slug, "admin", &["subscriptions:write"]).await;
    let domain = app.url(&format!(
        "/api/v1/organizations/{slug}/subscriptions/{shop}/domain"
    ));

    let none: Value = app
        .client
        .get(&domain)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(none["state"], "none");
    let nothing = app
        .client
        .delete(&domain)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(nothing.status(), 409, "no domain to give up");
    let claimed = app
        .client
        .put(&domain)
        .bearer_auth(&token)
        .json(&serde_json::json!({"domain": "shop.example-bibind-test.fr"}))
        .send()
        .await
        .unwrap();
    assert_eq!(claimed.status(), 200);
    let claimed: Value = claimed.json().await.unwrap();
    assert_eq!(claimed["state"], "pending");
    assert!(claimed["records"]
        .as_array()
        .unwrap()
        .iter()
        .any(|record| record["kind"] == "TXT"));
    let checked: Value = app
        .client
        .post(format!("{domain}/check"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(checked["verified"], false, "no such records exist: {checked}");
    assert!(checked["problem"]["kind"].is_string(), "{checked}");
    let removed = app
        .client
        .delete(&domain)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), 204);

    let unknown = app
        .client
        .put(app.url(&format!(
            "/api/v1/organizations/{slug}/subscriptions/{shop}/modules/not_a_module"
        )))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert!(
        unknown.status() == 422 || unknown.status() == 409,
        "{}",
        unknown.status()
    );
    assert!(is_problem(&unknown));
}
