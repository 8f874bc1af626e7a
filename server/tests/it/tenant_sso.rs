//! A tenant's application (its Odoo, as provisioning registers it in the
//! real Hydra) signing people in with the portal as Hydra's login and
//! consent provider: only members of the tenant's organization get a code,
//! consent is asked once and remembered, and the ID token names the
//! member's role. Black box: the browser's HTTP, Hydra's public endpoints.

use crate::support;
use control::{domain::NewOrganization, Caller};
use reqwest::{header, StatusCode, Url};
use support::{
    browser::{create_identity, csrf_token_in, unique_email, Browser, Person, PASSWORD},
    env,
    odoo::odoo_admin_call,
    provisioning::Harness,
};

/// A provisioned training space of an organization named "ACME".
struct TenantApp {
    client_id: String,
    secret: String,
    redirect_uri: String,
    slug: String,
}

/// A Kratos identity with a password, as a caller of the control plane.
pub(crate) async fn person_with_password(name: &str) -> (Caller, String) {
    let email = unique_email(name);
    let identity_id = create_identity(&email, PASSWORD).await;
    (
        Caller {
            identity_id,
            email: email.clone(),
            email_verified: true,
            request_id: None,
            ip: None,
            token: None,
        },
        email,
    )
}

/// ACME's training space, provisioned for `owner` through the real engine.
async fn acme_training(harness: &Harness, owner: &Caller) -> TenantApp {
    let slug = format!("acme{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let new = NewOrganization::parse("ACME", &slug, "FR", "billing@example.com").unwrap();
    let control = harness.control();
    control.create_organization(owner, &new).await.unwrap().unwrap();
    harness.active_subscription(owner, &slug, "learn-class").await;
    let instance = control::domain::instance_name(&slug, control::domain::OfferKind::Training);
    let client_id = format!("odoo-{instance}");
    let secrets = harness
        .stack
        .backends
        .vault
        .read_secret(&instance, "service")
        .await
        .unwrap()
        .expect("the service secret");
    let client: serde_json::Value = reqwest::get(format!(
        "{}/admin/clients/{client_id}",
        env("TEST_HYDRA_ADMIN_URL")
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    TenantApp {
        secret: secrets["oauth_client_secret"].clone(),
        redirect_uri: client["redirect_uris"][0].as_str().unwrap().to_owned(),
        client_id,
        slug,
    }
}

fn authorize_url(app: &TenantApp, state: &str) -> String {
    let mut url = Url::parse(&format!("{}/oauth2/auth", env("TEST_HYDRA_PUBLIC_URL"))).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", &app.client_id)
        .append_pair("response_type", "code")
        .append_pair("scope", "openid email profile")
        .append_pair("redirect_uri", &app.redirect_uri)
        .append_pair("state", state)
        .append_pair("nonce", &format!("nonce-{state}"));
    url.to_string()
}

pub(crate) fn query(url: &str, name: &str) -> Option<String> {
    Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Decodes base64url without padding (a JWT's parts).
fn base64url(text: &str) -> Vec<u8> {
    let value = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'-' => 62,
            b'_' => 63,
            _ => panic!("not base64url: {c}"),
        }
    };
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.trim_end_matches('=').bytes() {
        buffer = (buffer << 6) | value(c);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    out
}

/// The ID token's claims, after exchanging `code` as the application does.
async fn id_token_claims(app: &TenantApp, code: &str) -> serde_json::Value {
    let response = reqwest::Client::new()
        .post(format!("{}/oauth2/token", env("TEST_HYDRA_PUBLIC_URL")))
        .basic_auth(&app.client_id, Some(&app.secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &app.redirect_uri),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let tokens: serde_json::Value = response.json().await.unwrap();
    assert!(tokens.get("refresh_token").is_none(), "{tokens}");
    let id_token = tokens["id_token"].as_str().unwrap();
    serde_json::from_slice(&base64url(id_token.split('.').nth(1).unwrap())).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provisioned_tenant_client_is_not_first_party() {
    let harness = Harness::start().await;
    let (owner, _) = person_with_password("owner").await;
    let app = acme_training(&harness, &owner).await;
    let client: serde_json::Value = reqwest::get(format!(
        "{}/admin/clients/{}",
        env("TEST_HYDRA_ADMIN_URL"),
        app.client_id
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(client["skip_consent"], false, "{client}");
    assert!(
        !client["grant_types"]
            .as_array()
            .unwrap()
            .iter()
            .any(|grant| grant == "refresh_token"),
        "{client}"
    );
    assert!(!client["scope"].as_str().unwrap().contains("offline"), "{client}");
    let (subscription, _, _) = harness.subscription(&app.slug).await;
    assert_eq!(
        client["metadata"]["bibind_subscription_id"],
        subscription.to_string()
    );

    // Made first-party behind the engine's back, the reconciler repairs it
    // back to a tenant client (never the other way round).
    let admin = reqwest::Client::new();
    let url = format!("{}/admin/clients/{}", env("TEST_HYDRA_ADMIN_URL"), app.client_id);
    let patched = admin
        .patch(&url)
        .json(&serde_json::json!([
            {"op": "replace", "path": "/skip_consent", "value": true},
        ]))
        .send()
        .await
        .unwrap();
    assert!(patched.status().is_success(), "{}", patched.status());
    harness.reconcile().await;
    harness.settle().await;
    let repaired: serde_json::Value = admin.get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(repaired["skip_consent"], false, "{repaired}");
    assert_eq!(
        repaired["metadata"]["bibind_subscription_id"],
        subscription.to_string()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_member_signing_in_to_a_tenants_application_is_refused_with_no_code() {
    let harness = Harness::start().await;
    let (owner, _) = person_with_password("owner").await;
    let app = acme_training(&harness, &owner).await;
    let (_, stranger_email) = person_with_password("stranger").await;
    let browser = Browser::new(&harness.app.base_url);
    browser.sign_in_at_kratos(&stranger_email, PASSWORD).await;

    let redirect_uri = app.redirect_uri.clone();
    let refused = browser
        .walk(&authorize_url(&app, "stranger"), |next| {
            next.starts_with(&redirect_uri)
        })
        .await;
    // The portal stops at its login page and says why, in the person's language.
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.url);
    assert!(
        refused.url.contains("/auth/login?login_challenge="),
        "{}",
        refused.url
    );
    assert!(
        refused
            .body
            .contains("You are not a member of ACME&#x27;s training space")
            || refused
                .body
                .contains("You are not a member of ACME's training space"),
        "{}",
        refused.body
    );
    let french = browser.page_in(&refused.url, "fr-FR").await;
    assert!(
        french.contains("Vous n&#x27;êtes pas membre de l&#x27;espace de formation d&#x27;ACME")
            || french.contains("Vous n'êtes pas membre de l'espace de formation d'ACME"),
        "{french}"
    );

    // Going on, Hydra sends the application an error, and no code.
    let continue_to = refused
        .body
        .split("data-back-to-application")
        .next()
        .and_then(|before| before.rsplit("href=\"").next())
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .replace("&amp;", "&");
    let back = browser
        .walk(&continue_to, |next| next.starts_with(&redirect_uri))
        .await;
    assert!(back.url.starts_with(&redirect_uri), "{}", back.url);
    assert_eq!(query(&back.url, "error").as_deref(), Some("access_denied"));
    assert_eq!(query(&back.url, "code"), None);
    assert_eq!(query(&back.url, "state").as_deref(), Some("stranger"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_is_asked_consent_once_and_the_id_token_names_their_role() {
    let harness = Harness::start().await;
    let (owner, owner_email) = person_with_password("owner").await;
    let app = acme_training(&harness, &owner).await;
    let browser = Browser::new(&harness.app.base_url);
    browser.sign_in_at_kratos(&owner_email, PASSWORD).await;
    let redirect_uri = app.redirect_uri.clone();
    let at_application = |next: &str| next.starts_with(&redirect_uri);

    // First time: the consent screen (a tenant's application is not Bibind's own).
    let asked = browser
        .walk(&authorize_url(&app, "first-time"), at_application)
        .await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.url);
    assert!(
        asked.url.contains("/auth/consent?consent_challenge="),
        "{}",
        asked.url
    );
    let landed = allow_consent(&harness, &browser, &asked, at_application).await;
    assert!(landed.url.starts_with(&redirect_uri), "{}", landed.url);
    let code = query(&landed.url, "code").expect("a code");
    let claims = id_token_claims(&app, &code).await;
    assert_eq!(claims["bibind_role"], "owner", "{claims}");
    assert_eq!(claims["bibind_organization"], app.slug.as_str(), "{claims}");
    assert_eq!(claims["email"], owner_email.as_str(), "{claims}");

    // The second time the consent is remembered: straight back with a code.
    let again = browser
        .walk(&authorize_url(&app, "second-time"), at_application)
        .await;
    assert!(
        again.url.starts_with(&redirect_uri),
        "{}: {}",
        again.url,
        again.body
    );
    let code = query(&again.url, "code").expect("a code without asking again");
    assert_eq!(id_token_claims(&app, &code).await["bibind_role"], "owner");
}

/// An organization named "ACME" with an active shop, for `owner`: its
/// slug and id.
async fn acme_shop(harness: &Harness, owner: &Caller) -> (String, uuid::Uuid) {
    let slug = support::provisioning::organization_named(harness, owner, "ACME").await;
    harness.active_subscription(owner, &slug, "shop-starter").await;
    let (organization,): (uuid::Uuid,) = sqlx::query_as("SELECT id FROM organizations WHERE slug = $1")
        .bind(&slug)
        .fetch_one(&harness.app.pool)
        .await
        .unwrap();
    (slug, organization)
}

/// Makes `person` a member with `role` by a hand in the database, as if
/// they had accepted an invitation.
pub(crate) async fn add_member_by_hand(
    harness: &Harness,
    organization: uuid::Uuid,
    person: &Person,
    role: &str,
) {
    sqlx::query(
        "INSERT INTO memberships (organization_id, identity_id, email, role, created_at) VALUES ($1, $2::uuid, $3, $4, now())",
    )
    .bind(organization)
    .bind(&person.identity_id)
    .bind(&person.email)
    .bind(role)
    .execute(&harness.app.pool)
    .await
    .unwrap();
}

/// Waits until the organization pages' read model has heard (from the
/// database's announcement) that `who`, added by hand, is a member.
pub(crate) async fn until_the_pages_know(harness: &Harness, who: &Caller, slug: &str) {
    for _ in 0..250 {
        let seen = harness.control().organization_overview(who, slug).await.unwrap();
        if seen.is_ok() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("the organization's page never showed {} as a member", who.email);
}

/// Follows `url` to the application (where `stop` says), allowing and
/// remembering the consent Hydra asks for a tenant's application the
/// first time.
pub(crate) async fn walk_allowing_consent(
    harness: &Harness,
    browser: &Browser,
    url: &str,
    stop: impl Fn(&str) -> bool + Copy,
) -> support::browser::Landed {
    let asked = browser.walk(url, stop).await;
    if !asked.url.contains("/auth/consent?consent_challenge=") {
        return asked;
    }
    allow_consent(harness, browser, &asked, stop).await
}

/// Allows, and remembers, the consent `asked` shows; follows on to where
/// `stop` says.
async fn allow_consent(
    harness: &Harness,
    browser: &Browser,
    asked: &support::browser::Landed,
    stop: impl Fn(&str) -> bool,
) -> support::browser::Landed {
    let challenge = query(&asked.url, "consent_challenge").unwrap();
    let decided = browser
        .post_form(
            &harness.app.url("/auth/consent/decision"),
            &[
                ("consent_challenge", challenge.as_str()),
                ("csrf_token", &csrf_token_in(&asked.body)),
                ("decision", "allow"),
                ("remember", "true"),
            ],
        )
        .await;
    assert_eq!(decided.status(), StatusCode::SEE_OTHER);
    let next = decided.headers()[header::LOCATION].to_str().unwrap().to_owned();
    browser.walk(&next, stop).await
}

/// What a browser sends the shop's Odoo through the ingress: its host and
/// scheme forwarded (Odoo runs in proxy mode), and its session cookie.
pub(crate) struct ShopBrowser {
    odoo: String,
    host: String,
    client: reqwest::Client,
    session: std::sync::Mutex<Option<String>>,
}

impl ShopBrowser {
    /// POSTs a `type="json"` route of the shop as its pages' scripts do:
    /// the JSON-RPC answer.
    pub(crate) async fn json(&self, path: &str, params: serde_json::Value) -> serde_json::Value {
        let body = serde_json::json!({"jsonrpc": "2.0", "method": "call", "params": params, "id": 1});
        let mut request = self
            .client
            .post(format!("{}{path}", self.odoo))
            .header("X-Forwarded-Host", &self.host)
            .header("X-Forwarded-Proto", "https")
            .json(&body);
        if let Some(sid) = self.session.lock().unwrap().clone() {
            request = request.header(header::COOKIE, format!("session_id={sid}"));
        }
        request.send().await.unwrap().json().await.unwrap()
    }

    pub(crate) fn new(odoo: &str, host: &str) -> Self {
        Self {
            odoo: odoo.to_owned(),
            host: host.to_owned(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            session: std::sync::Mutex::new(None),
        }
    }

    /// GETs `path_and_query` on the shop: (status, `Location`, body).
    pub(crate) async fn get(&self, path_and_query: &str) -> (StatusCode, Option<String>, String) {
        let mut request = self
            .client
            .get(format!("{}{path_and_query}", self.odoo))
            .header("X-Forwarded-Host", &self.host)
            .header("X-Forwarded-Proto", "https");
        if let Some(sid) = self.session.lock().unwrap().clone() {
            request = request.header(header::COOKIE, format!("session_id={sid}"));
        }
        let response = request.send().await.unwrap();
        let sid = response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .find_map(|cookie| cookie.strip_prefix("session_id="))
            .and_then(|rest| rest.split(';').next())
            .map(str::to_owned);
        if let Some(sid) = sid {
            *self.session.lock().unwrap() = Some(sid);
        }
        let status = response.status();
        let location = response
            .headers()
            .get(header::LOCATION)
            .map(|value| value.to_str().unwrap().to_owned());
        (status, location, response.text().await.unwrap())
    }
}

/// The link of the provider labelled `label` on Odoo's sign-in page.
fn provider_link(login_page: &str, label: &str) -> String {
    login_page
        .split("<a class=\"list-group-item")
        .skip(1)
        .find(|link| link.contains(&format!("</i> {label}</a>")))
        .and_then(|link| link.split("href=\"").nth(1))
        .and_then(|rest| rest.split('"').next())
        .expect("the provider's link")
        .replace("&amp;", "&")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shop_owner_signs_in_to_odoo_through_the_portal_and_an_archived_user_is_refused() {
    let harness = Harness::for_browsers().await;
    let (owner, owner_email) = person_with_password("owner").await;
    let (slug, organization_id) = acme_shop(&harness, &owner).await;
    let shop = ShopBrowser::new(
        &harness.stack.urls.odoo,
        &format!("{slug}.{}", harness.stack.settings.ecommerce_domain),
    );

    // The storefront answers at the shop's host (its database, by
    // dbfilter), named after the organization at provisioning.
    let (status, _, home) = shop.get("/").await;
    assert_eq!(status, StatusCode::OK, "{home}");
    assert!(home.contains("<title>Home | ACME</title>"), "{home}");
    assert!(home.contains("Copyright &copy; ACME"), "{home}");
    // The back office wants a session.
    let (status, location, _) = shop.get("/web").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some("/web/login"));

    // Odoo's sign-in page links the portal's Hydra with auth_oidc's code
    // flow and PKCE, for the client provisioning registered.
    let (status, _, login_page) = shop.get("/web/login").await;
    assert_eq!(status, StatusCode::OK, "{login_page}");
    let link = provider_link(&login_page, "Bibind");
    assert!(
        link.starts_with(&format!("{}/oauth2/auth?", env("TEST_HYDRA_PUBLIC_URL"))),
        "{link}"
    );
    assert_eq!(query(&link, "response_type").as_deref(), Some("code"));
    assert_eq!(query(&link, "code_challenge_method").as_deref(), Some("S256"));
    let redirect_uri = query(&link, "redirect_uri").unwrap();
    assert_eq!(redirect_uri, format!("https://{}/auth_oauth/signin", shop.host));

    // The owner, signed in at the portal, follows it: consent once, then
    // back to Odoo with a code, which Odoo exchanges and checks itself.
    let browser = Browser::new(&harness.app.base_url);
    browser.sign_in_at_kratos(&owner_email, PASSWORD).await;
    let at_odoo = |next: &str| next.starts_with(&redirect_uri);
    let landed = walk_allowing_consent(&harness, &browser, &link, at_odoo).await;
    let callback = landed
        .url
        .strip_prefix(&format!("https://{}", shop.host))
        .unwrap();
    let (status, location, _) = shop.get(callback).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some("/web"));
    let (status, _, back_office) = shop.get("/web").await;
    assert_eq!(status, StatusCode::OK, "{back_office}");
    assert!(
        back_office.contains(&format!("\"username\":\"{owner_email}\"")),
        "{back_office}"
    );

    // A code used twice is refused by Hydra: Odoo says "Access Denied".
    let (status, location, _) = shop.get(callback).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some("/web/login?oauth_error=2"));

    // From the portal: the services card shows the shop's address and,
    // to its owner, "Open back office", which lands in Odoo's back office
    // signed in, with no password page (the consent is remembered).
    browser.follow(&harness.app.url("/auth/signin")).await;
    let overview = browser.follow(&harness.app.url(&format!("/orgs/{slug}"))).await;
    assert!(
        overview.body.contains(&format!("href=\"https://{}\"", shop.host)),
        "{}",
        overview.body
    );
    let back_office = format!("/orgs/{slug}/back-office/ecommerce");
    assert!(overview.body.contains(&back_office), "{}", overview.body);
    let via_portal = browser.walk(&harness.app.url(&back_office), at_odoo).await;
    let callback = via_portal
        .url
        .strip_prefix(&format!("https://{}", shop.host))
        .unwrap_or_else(|| panic!("not back at the shop: {}", via_portal.url));
    let fresh = ShopBrowser::new(&shop.odoo, &shop.host);
    let (_, location, _) = fresh.get(callback).await;
    assert_eq!(location.as_deref(), Some("/web"));
    let (status, _, back_office_page) = fresh.get("/web").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        back_office_page.contains(&format!("\"username\":\"{owner_email}\"")),
        "{back_office_page}"
    );

    // A learner has no back office.
    let member = Person::signed_in(&harness.app.base_url, "learner").await;
    add_member_by_hand(&harness, organization_id, &member, "learner").await;
    until_the_pages_know(&harness, &member.caller(), &slug).await;
    let refused = member.browser.follow(&harness.app.url(&back_office)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.url);

    // Archived in Odoo, the owner is refused by Odoo, with its own words.
    let instance = control::domain::instance_name(&slug, control::domain::OfferKind::Ecommerce);
    archive_odoo_user(&harness, &instance, &owner_email).await;
    let signed_out = ShopBrowser::new(&shop.odoo, &shop.host);
    let (_, _, login_page) = signed_out.get("/web/login").await;
    let again = browser.walk(&provider_link(&login_page, "Bibind"), at_odoo).await;
    let callback = again.url.strip_prefix(&format!("https://{}", shop.host)).unwrap();
    let (status, location, _) = signed_out.get(callback).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some("/web/login?oauth_error=3"));
    let (_, _, refused) = signed_out.get("/web/login?oauth_error=3").await;
    assert!(
        refused.contains("You do not have access to this database"),
        "{refused}"
    );
}

/// Archives the Odoo user `login` through Odoo's external API, as its admin.
async fn archive_odoo_user(harness: &Harness, instance: &str, login: &str) {
    let no_options = serde_json::json!({});
    let ids = odoo_admin_call(
        harness,
        instance,
        "res.users",
        "search",
        serde_json::json!([[["login", "=", login]]]),
        no_options.clone(),
    )
    .await;
    assert_eq!(ids.as_array().map(Vec::len), Some(1), "{ids}");
    let archive = serde_json::json!([ids, {"active": false}]);
    odoo_admin_call(harness, instance, "res.users", "write", archive, no_options).await;
}

/// The Odoo user of `login` in `instance`: (active, the external ids of its groups).
async fn odoo_user(harness: &Harness, instance: &str, login: &str) -> (bool, Vec<String>) {
    let call = |model: &'static str, method: &'static str, args, kwargs| {
        odoo_admin_call(harness, instance, model, method, args, kwargs)
    };
    let users = call(
        "res.users",
        "search_read",
        serde_json::json!([[["login", "=", login]]]),
        serde_json::json!({"fields": ["active", "groups_id"], "context": {"active_test": false}}),
    )
    .await;
    let user = &users[0];
    let groups = call(
        "ir.model.data",
        "search_read",
        serde_json::json!([[["model", "=", "res.groups"], ["res_id", "in", user["groups_id"]]]]),
        serde_json::json!({"fields": ["module", "name"]}),
    )
    .await;
    let mut names: Vec<String> = groups
        .as_array()
        .unwrap()
        .iter()
        .map(|group| {
            format!(
                "{}.{}",
                group["module"].as_str().unwrap(),
                group["name"].as_str().unwrap()
            )
        })
        .collect();
    names.sort();
    (user["active"] == true, names)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_who_join_change_role_or_leave_are_kept_in_sync_with_the_shops_odoo() {
    let harness = Harness::for_browsers().await;
    let (owner, _) = person_with_password("owner").await;
    let (slug, organization_id) = acme_shop(&harness, &owner).await;
    let instance = control::domain::instance_name(&slug, control::domain::OfferKind::Ecommerce);

    // A member joins after provisioning: a sync job gives them a sales user.
    let member = Person::signed_in(&harness.app.base_url, "seller").await;
    add_member_by_hand(&harness, organization_id, &member, "member").await;
    harness.settle().await;
    let kinds: Vec<String> = sqlx::query_scalar(
        "SELECT j.kind FROM jobs j JOIN subscriptions s ON s.id = j.subscription_id
          WHERE s.organization_id = $1 AND j.state = 'succeeded' ORDER BY j.seq",
    )
    .bind(organization_id)
    .fetch_all(&harness.app.pool)
    .await
    .unwrap();
    assert_eq!(kinds, ["provision.ecommerce", "sync_members.ecommerce"]);
    assert_eq!(
        odoo_user(&harness, &instance, &member.email).await,
        (
            true,
            vec![
                "base.group_user".to_owned(),
                "sales_team.group_sale_salesman".to_owned()
            ]
        )
    );

    // They open the back office from the portal and land in it signed in.
    until_the_pages_know(&harness, &member.caller(), &slug).await;
    let shop_host = format!("{slug}.{}", harness.stack.settings.ecommerce_domain);
    let callback_root = format!("https://{shop_host}/auth_oauth/signin");
    let at_odoo = |next: &str| next.starts_with(&callback_root);
    let back_office = harness.app.url(&format!("/orgs/{slug}/back-office/ecommerce"));
    let landed = walk_allowing_consent(&harness, &member.browser, &back_office, at_odoo).await;
    let shop = ShopBrowser::new(&harness.stack.urls.odoo, &shop_host);
    let (_, location, _) = shop
        .get(landed.url.strip_prefix(&format!("https://{shop_host}")).unwrap())
        .await;
    assert_eq!(location.as_deref(), Some("/web"));
    let (status, _, page) = shop.get("/web").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(&format!("\"username\":\"{}\"", member.email)),
        "{page}"
    );

    // Archived behind the engine's back in Odoo: the reconciler finds it,
    // audits it and the members' sync brings the user back.
    archive_odoo_user(&harness, &instance, &member.email).await;
    harness.reconcile().await;
    harness.settle().await;
    assert!(odoo_user(&harness, &instance, &member.email).await.0);
    let drift: serde_json::Value = sqlx::query_scalar(
        "SELECT before FROM audit_events WHERE organization_id = $1 AND action = 'subscription.drift'",
    )
    .bind(organization_id)
    .fetch_one(&harness.app.pool)
    .await
    .unwrap();
    assert_eq!(
        drift["odoo"][format!("user {}", member.email)],
        "archived",
        "{drift}"
    );
    let last_kind: String = sqlx::query_scalar(
        "SELECT j.kind FROM jobs j JOIN subscriptions s ON s.id = j.subscription_id
          WHERE s.organization_id = $1 ORDER BY j.seq DESC LIMIT 1",
    )
    .bind(organization_id)
    .fetch_one(&harness.app.pool)
    .await
    .unwrap();
    assert_eq!(last_kind, "sync_members.ecommerce");

    // Made an admin: an Odoo administrator.
    sqlx::query(
        "UPDATE memberships SET role = 'admin' WHERE organization_id = $1 AND identity_id = $2::uuid",
    )
    .bind(organization_id)
    .bind(&member.identity_id)
    .execute(&harness.app.pool)
    .await
    .unwrap();
    harness.settle().await;
    assert_eq!(
        odoo_user(&harness, &instance, &member.email).await,
        (
            true,
            vec!["base.group_system".to_owned(), "base.group_user".to_owned()]
        )
    );

    // Gone from the organization: archived in Odoo, and their session there ends.
    sqlx::query("DELETE FROM memberships WHERE organization_id = $1 AND identity_id = $2::uuid")
        .bind(organization_id)
        .bind(&member.identity_id)
        .execute(&harness.app.pool)
        .await
        .unwrap();
    harness.settle().await;
    assert!(!odoo_user(&harness, &instance, &member.email).await.0);
    let (status, location, _) = shop.get("/web").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some("/web/login"));
}

/// The shop's site as its owner's page shows it.
async fn site_check(harness: &Harness, owner: &Caller, slug: &str) -> Option<control::domain::SiteCheck> {
    let page = harness
        .control()
        .organization_overview(owner, slug)
        .await
        .unwrap()
        .unwrap();
    page.subscriptions[0].site_check.clone()
}

/// Since when the organization's site has answered (or not), as stored.
async fn site_checked_since(harness: &Harness, organization: uuid::Uuid) -> time::OffsetDateTime {
    sqlx::query_scalar(
        "SELECT c.since FROM site_checks c JOIN subscriptions s ON s.id = c.subscription_id WHERE s.organization_id = $1",
    )
    .bind(organization)
    .fetch_one(&harness.app.pool)
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reconciler_checks_that_the_storefront_answers_through_the_ingress() {
    use control::domain::{SiteCheck, SiteProblem};
    let harness = Harness::for_browsers().await;
    let (owner, _) = person_with_password("owner").await;
    let (slug, organization_id) = acme_shop(&harness, &owner).await;
    // Not checked before the reconciler's first round.
    assert_eq!(site_check(&harness, &owner, &slug).await, None);

    harness.reconcile().await;
    let answers = site_check(&harness, &owner, &slug).await.expect("checked");
    assert_eq!(answers.problem, None);

    // The storefront fails: the page says since when, and why.
    let fault = sim::faults::Fault {
        status: Some(503),
        ..Default::default()
    };
    harness.stack.odoo.faults.set("web.home", fault);
    harness.reconcile().await;
    let failing = site_check(&harness, &owner, &slug).await.expect("checked");
    assert_eq!(failing.problem, Some(SiteProblem::Status(503)));
    let since = site_checked_since(&harness, organization_id).await;
    // A second failing round keeps when it began.
    harness.reconcile().await;
    assert_eq!(site_check(&harness, &owner, &slug).await, Some(failing.clone()));
    assert_eq!(site_checked_since(&harness, organization_id).await, since);

    // Back: it answers again.
    harness.stack.odoo.faults.clear();
    harness.reconcile().await;
    assert!(matches!(
        site_check(&harness, &owner, &slug).await,
        Some(SiteCheck { problem: None, .. })
    ));
}
