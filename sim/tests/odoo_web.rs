//! The Odoo simulator's web side, as a browser meets it: each host reaches
//! its database (dbfilter, behind a proxy), the storefront, the sign-in
//! page with its CSRF token and providers, a password sign-in, the back
//! office for internal users only, and Odoo's own answers to what is
//! refused. (OpenID Connect sign-in against the real Hydra, with the portal
//! as login provider, is proven in the server's tests: `tenant_sso`.)

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use control::backends::odoo::{Odoo, OdooClient, OdooInstance, OdooOAuthProvider};
use reqwest::{header, redirect::Policy, StatusCode};
use serde_json::{json, Value};
use sim::{faults::Fault, odoo::Simulator, Served};
use support::set_fault;

const MASTER_PASSWORD: &str = "master-secret";

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Two shops, `acme` and `beta`, each with website_sale and auth_oidc, on
/// one simulator whose `*.shop.example` hosts reach `shop-<label>`.
async fn two_shops() -> Result<(Simulator, Served), Box<dyn std::error::Error>> {
    let simulator = Simulator::new(MASTER_PASSWORD);
    simulator.set_web(vec!["shop.example=^shop-%d$".parse()?], true);
    let served = sim::serve(simulator.router()).await?;
    let client = OdooClient::new(MASTER_PASSWORD, Duration::from_secs(5))?;
    for name in ["acme", "beta"] {
        let instance = OdooInstance {
            url: served.url(),
            database: format!("shop-{name}"),
            admin_login: "admin".to_owned(),
            admin_password: format!("{name}-admin-secret"),
            lang: "en_US".to_owned(),
        };
        client.ensure_database(&instance).await?;
        client
            .ensure_modules(&instance, &["website_sale", "auth_oidc"])
            .await?;
        client
            .ensure_oauth_provider(
                &instance,
                &OdooOAuthProvider {
                    name: "Bibind".to_owned(),
                    client_id: format!("odoo-{name}"),
                    client_secret: "client-secret".to_owned(),
                    auth_endpoint: "https://auth.example/oauth2/auth".to_owned(),
                    token_endpoint: "https://auth.example/oauth2/token".to_owned(),
                    jwks_uri: "https://auth.example/.well-known/jwks.json".to_owned(),
                    validation_endpoint: "https://auth.example/userinfo".to_owned(),
                    scope: "openid email profile".to_owned(),
                    label: "Sign in with Bibind".to_owned(),
                },
            )
            .await?;
    }
    Ok((simulator, served))
}

/// A browser reaching `host` through the proxy, keeping its session cookie.
struct Visitor {
    base: String,
    host: String,
    client: reqwest::Client,
    cookie: std::sync::Mutex<Option<String>>,
}

struct Page {
    status: StatusCode,
    location: Option<String>,
    body: String,
}

impl Visitor {
    fn new(served: &Served, host: &str) -> Self {
        Self {
            base: served.url(),
            host: host.to_owned(),
            client: reqwest::Client::builder()
                .redirect(Policy::none())
                .build()
                .unwrap(),
            cookie: std::sync::Mutex::new(None),
        }
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Page {
        let mut request = request
            .header("X-Forwarded-Host", &self.host)
            .header("X-Forwarded-Proto", "https");
        if let Some(cookie) = self.cookie.lock().unwrap().clone() {
            request = request.header(header::COOKIE, cookie);
        }
        let response = request.send().await.unwrap();
        if let Some(cookie) = response
            .headers()
            .get(header::SET_COOKIE)
            .and_then(|value| value.to_str().ok())
        {
            assert!(cookie.contains("HttpOnly; Path=/"), "{cookie}");
            *self.cookie.lock().unwrap() = cookie.split(';').next().map(str::to_owned);
        }
        Page {
            status: response.status(),
            location: response
                .headers()
                .get(header::LOCATION)
                .map(|value| value.to_str().unwrap().to_owned()),
            body: response.text().await.unwrap(),
        }
    }

    async fn get(&self, path: &str) -> Page {
        self.send(self.client.get(format!("{}{path}", self.base))).await
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        self.send(self.client.post(format!("{}{path}", self.base)).form(form))
            .await
    }
}

fn csrf_token(page: &str) -> String {
    page.split("name=\"csrf_token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a CSRF token")
        .to_owned()
}

#[tokio::test]
async fn each_host_reaches_its_own_shop_and_an_unknown_one_none() -> TestResult {
    let (simulator, served) = two_shops().await?;
    let acme = Visitor::new(&served, "acme.shop.example");
    let home = acme.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(
        home.body.contains("<title>Home | My Website</title>"),
        "{}",
        home.body
    );
    assert!(home.body.contains("Copyright &copy; My Company"), "{}", home.body);
    let shop = acme.get("/shop").await;
    assert!(
        shop.body.contains("<title>Shop | My Website</title>"),
        "{}",
        shop.body
    );
    assert!(shop.body.contains("No product defined"), "{}", shop.body);
    // Each shop's sign-in page offers its own client.
    let acme_login = acme.get("/web/login").await.body;
    assert!(acme_login.contains("client_id=odoo-acme"), "{acme_login}");
    let beta_login = Visitor::new(&served, "www.beta.shop.example:443")
        .get("/web/login")
        .await
        .body;
    assert!(beta_login.contains("client_id=odoo-beta"), "{beta_login}");
    // A host no filter lets through reaches no database.
    let nowhere = Visitor::new(&served, "acme.elsewhere.example").get("/").await;
    assert_eq!(nowhere.status, StatusCode::SEE_OTHER);
    assert_eq!(nowhere.location.as_deref(), Some("/web/database/selector"));
    assert_eq!(simulator.database_names().len(), 2);
    Ok(())
}

#[tokio::test]
async fn the_sign_in_page_links_the_provider_with_pkce_and_the_state_odoo_reads() -> TestResult {
    let (_simulator, served) = two_shops().await?;
    let page = Visitor::new(&served, "acme.shop.example")
        .get("/web/login?redirect=/odoo/action-1")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let link = page
        .body
        .split("href=\"https://auth.example/oauth2/auth?")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the provider's link")
        .replace("&amp;", "&");
    let params: std::collections::HashMap<String, String> = url::form_urlencoded::parse(link.as_bytes())
        .into_owned()
        .collect();
    assert_eq!(params["response_type"], "code");
    assert_eq!(
        params["redirect_uri"],
        "https://acme.shop.example/auth_oauth/signin"
    );
    assert_eq!(params["scope"], "openid email profile");
    assert_eq!(params["code_challenge_method"], "S256");
    assert_eq!(params["code_challenge"].len(), 43);
    assert!(!params["nonce"].is_empty());
    let state: serde_json::Value = serde_json::from_str(&params["state"])?;
    assert_eq!(state["d"], "shop-acme");
    assert!(state["p"].as_i64().is_some());
    assert_eq!(state["r"], "https%3A%2F%2Facme.shop.example%2Fodoo%2Faction-1");
    // The challenge is the provider's one verifier's: the same on every page.
    let again = Visitor::new(&served, "acme.shop.example")
        .get("/web/login")
        .await
        .body;
    assert!(again.contains(&format!("code_challenge={}", params["code_challenge"])));
    Ok(())
}

#[tokio::test]
async fn a_password_sign_in_needs_the_csrf_token_and_opens_the_back_office() -> TestResult {
    let (_simulator, served) = two_shops().await?;
    let visitor = Visitor::new(&served, "acme.shop.example");
    let back_office = visitor.get("/web?debug=1").await;
    assert_eq!(back_office.status, StatusCode::SEE_OTHER);
    assert_eq!(back_office.location.as_deref(), Some("/web/login?debug=1"));

    let page = visitor.get("/web/login").await;
    let token = csrf_token(&page.body);
    let forged = visitor
        .post(
            "/web/login",
            &[
                ("login", "admin"),
                ("password", "acme-admin-secret"),
                ("csrf_token", "forged"),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST);
    assert!(
        forged.body.contains("Session expired (invalid CSRF token)"),
        "{}",
        forged.body
    );

    let wrong = visitor
        .post(
            "/web/login",
            &[("login", "admin"), ("password", "nope"), ("csrf_token", &token)],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::OK);
    assert!(wrong.body.contains("Wrong login/password"), "{}", wrong.body);
    assert!(wrong.body.contains("value=\"admin\""), "the login is kept");
    // Another shop's password does not open this one.
    let other = visitor
        .post(
            "/web/login",
            &[
                ("login", "admin"),
                ("password", "beta-admin-secret"),
                ("csrf_token", &token),
            ],
        )
        .await;
    assert!(other.body.contains("Wrong login/password"));

    let signed_in = visitor
        .post(
            "/web/login",
            &[
                ("login", "admin"),
                ("password", "acme-admin-secret"),
                ("csrf_token", &token),
            ],
        )
        .await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    // With website installed, internal users land on `/web?`.
    assert_eq!(signed_in.location.as_deref(), Some("/web?"));
    let client = visitor.get("/web").await;
    assert_eq!(client.status, StatusCode::OK);
    assert!(
        client.body.contains("odoo.__session_info__ = {"),
        "{}",
        client.body
    );
    assert!(client.body.contains("\"db\":\"shop-acme\""), "{}", client.body);

    // The session belongs to its database: at another shop's host it is
    // not signed in.
    let elsewhere = Visitor::new(&served, "beta.shop.example");
    *elsewhere.cookie.lock().unwrap() = visitor.cookie.lock().unwrap().clone();
    assert_eq!(elsewhere.get("/web").await.status, StatusCode::SEE_OTHER);

    let out = visitor.get("/web/session/logout").await;
    assert_eq!(out.location.as_deref(), Some("/web"));
    assert_eq!(visitor.get("/web").await.location.as_deref(), Some("/web/login"));
    Ok(())
}

#[tokio::test]
async fn a_failed_provider_sign_in_shows_odoos_own_message() -> TestResult {
    let (_simulator, served) = two_shops().await?;
    let visitor = Visitor::new(&served, "acme.shop.example");
    // A state for a database this host does not reach: a 400.
    let state = r#"{"d": "shop-beta", "p": 4, "r": "https%3A%2F%2Fbeta.shop.example%2Fweb"}"#;
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("code", "x")
        .append_pair("state", state)
        .finish();
    let refused = visitor.get(&format!("/auth_oauth/signin?{query}")).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    // A provider that does not exist: "Access Denied".
    let state = r#"{"d": "shop-acme", "p": 999, "r": "https%3A%2F%2Facme.shop.example%2Fweb"}"#;
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("code", "x")
        .append_pair("state", state)
        .finish();
    let missing = visitor.get(&format!("/auth_oauth/signin?{query}")).await;
    assert_eq!(missing.location.as_deref(), Some("/web/login?oauth_error=2"));
    for (code, message) in [
        ("1", "Sign up is not allowed on this database."),
        ("2", "Access Denied"),
        (
            "3",
            "You do not have access to this database or your invitation has expired.",
        ),
    ] {
        let page = visitor.get(&format!("/web/login?oauth_error={code}")).await;
        assert!(page.body.contains(message), "{code}: {}", page.body);
    }
    // Without parameters the page moves the fragment into the query.
    let fragment = visitor.get("/auth_oauth/signin").await;
    assert!(fragment.body.contains("l.hash.substring(1)"), "{}", fragment.body);
    Ok(())
}

/// `object.execute_kw` as a shop's administrator, over JSON-RPC.
async fn admin_call(served: &Served, shop: &str, model: &str, method: &str, args: Value) -> Value {
    let params = json!([
        format!("shop-{shop}"),
        2,
        format!("{shop}-admin-secret"),
        model,
        method,
        args
    ]);
    let body = json!({"jsonrpc": "2.0", "method": "call", "params": {"service": "object", "method": "execute_kw", "args": params}, "id": 1});
    reqwest::Client::new()
        .post(format!("{}/jsonrpc", served.url()))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_websites_own_domain_reaches_its_database_while_it_is_set() -> TestResult {
    let (_simulator, served) = two_shops().await?;
    let custom = Visitor::new(&served, "shop.example.fr");
    let before = custom.get("/").await;
    assert_eq!(before.location.as_deref(), Some("/web/database/selector"));

    // Written without a scheme and with another case: Odoo stores
    // `https://…` and compares hosts whatever their case and port.
    let written = admin_call(
        &served,
        "acme",
        "website",
        "write",
        json!([[1], {"name": "ACME Boutique", "domain": "Shop.Example.FR/"}]),
    )
    .await;
    assert_eq!(written["result"], true, "{written}");
    let read = admin_call(&served, "acme", "website", "read", json!([[1], ["domain"]])).await;
    assert_eq!(read["result"][0]["domain"], "https://Shop.Example.FR");
    let home = Visitor::new(&served, "shop.example.fr:443").get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(
        home.body.contains("<title>Home | ACME Boutique</title>"),
        "{}",
        home.body
    );
    let shop = custom.get("/shop").await;
    assert!(
        shop.body.contains("<title>Shop | ACME Boutique</title>"),
        "{}",
        shop.body
    );
    assert!(custom
        .get("/web/login")
        .await
        .body
        .contains("client_id=odoo-acme"));
    // Without a proxy in front, the `Host` header itself.
    let direct = reqwest::Client::new()
        .get(format!("{}/", served.url()))
        .header(header::HOST, "shop.example.fr")
        .send()
        .await?
        .text()
        .await?;
    assert!(direct.contains("<title>Home | ACME Boutique</title>"), "{direct}");
    // The shop's own host still reaches it; another shop's domain is another host.
    assert_eq!(
        Visitor::new(&served, "acme.shop.example").get("/").await.status,
        StatusCode::OK
    );
    assert!(Visitor::new(&served, "www.shop.example.fr")
        .get("/")
        .await
        .location
        .is_some());

    // Claimed by two databases: the ingress cannot tell, none is reached.
    let beta = admin_call(
        &served,
        "beta",
        "website",
        "write",
        json!([[1], {"domain": "https://shop.example.fr"}]),
    )
    .await;
    assert_eq!(beta["result"], true, "{beta}");
    assert_eq!(custom.get("/").await.status, StatusCode::SEE_OTHER);
    admin_call(
        &served,
        "beta",
        "website",
        "write",
        json!([[1], {"domain": false}]),
    )
    .await;
    assert_eq!(custom.get("/").await.status, StatusCode::OK);

    // Cleared: the domain leads nowhere again.
    admin_call(
        &served,
        "acme",
        "website",
        "write",
        json!([[1], {"domain": false}]),
    )
    .await;
    let after = custom.get("/").await;
    assert_eq!(after.location.as_deref(), Some("/web/database/selector"));
    Ok(())
}

#[tokio::test]
async fn a_websites_domain_is_unique_in_its_database() -> TestResult {
    let (_simulator, served) = two_shops().await?;
    admin_call(
        &served,
        "acme",
        "website",
        "write",
        json!([[1], {"domain": "shop.example.fr"}]),
    )
    .await;
    let second = admin_call(
        &served,
        "acme",
        "website",
        "create",
        json!([{"name": "Second", "domain": "https://shop.example.fr/"}]),
    )
    .await;
    assert_eq!(second["error"]["data"]["name"], "odoo.exceptions.ValidationError");
    assert_eq!(
        second["error"]["data"]["message"],
        "The operation cannot be completed: Website Domain should be unique."
    );
    Ok(())
}

#[tokio::test]
async fn the_storefront_answers_an_injected_fault_as_the_proxy_would() -> TestResult {
    let (_simulator, served) = two_shops().await?;
    let acme = Visitor::new(&served, "acme.shop.example");
    let once = |status| Fault {
        status: Some(status),
        times: Some(1),
        ..Fault::default()
    };
    set_fault(&served, "web.home", once(503)).await?;
    let home = acme.get("/").await;
    assert_eq!(home.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(home.body.contains("<center>nginx</center>"), "{}", home.body);
    assert_eq!(acme.get("/").await.status, StatusCode::OK);
    // `/shop` has its own operation: `/` is not affected by it.
    set_fault(&served, "web.shop", once(502)).await?;
    assert_eq!(acme.get("/").await.status, StatusCode::OK);
    assert_eq!(acme.get("/shop").await.status, StatusCode::BAD_GATEWAY);
    assert_eq!(acme.get("/shop").await.status, StatusCode::OK);
    Ok(())
}
