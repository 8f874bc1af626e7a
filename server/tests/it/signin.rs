//! The portal's own sign-in as an OpenID client of the real Hydra, with the
//! real Kratos behind it: authorization code + PKCE, state and nonce, a
//! session renewed at sign-in, sign-out through Kratos and Hydra, and
//! back-channel logout. Each test is a black box: HTTP in, HTTP out.

use crate::support;
use reqwest::{header, StatusCode, Url};
use server::config::SessionConfig;
use support::{
    browser::{create_identity, csrf_token_in, unique_email, Browser, PASSWORD},
    env, TestApp,
};

const SESSION_COOKIE: &str = "bibind_session";

fn query(url: &str, name: &str) -> Option<String> {
    Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// How many portal sessions the database holds.
async fn portal_sessions(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM tower_sessions.session")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// Whether the portal's home page shows `browser` as signed in.
async fn shows_signed_in(app: &TestApp, browser: &Browser) -> bool {
    browser
        .follow(&app.url("/"))
        .await
        .body
        .contains("data-signed-in")
}

/// A person with a Kratos session in `browser`, and a test portal that signs in at Hydra.
async fn signed_in_at_kratos() -> (TestApp, Browser, String) {
    signed_in_at_kratos_with(TestApp::builder()).await
}

async fn signed_in_at_kratos_with(builder: support::TestAppBuilder) -> (TestApp, Browser, String) {
    let app = builder.oidc().spawn().await;
    let email = unique_email("ada");
    create_identity(&email, PASSWORD).await;
    let browser = Browser::new(&app.base_url);
    browser.sign_in_at_kratos(&email, PASSWORD).await;
    (app, browser, email)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_goes_to_hydra_with_pkce_a_state_and_a_nonce() {
    let app = TestApp::builder().oidc().spawn().await;
    let browser = Browser::new(&app.base_url);
    let landed = browser.walk(&app.url("/auth/signin"), |_| true).await;
    assert_eq!(landed.status, StatusCode::SEE_OTHER);
    assert!(
        landed.url.starts_with(&env("TEST_HYDRA_PUBLIC_URL")),
        "{}",
        landed.url
    );
    assert_eq!(query(&landed.url, "response_type").as_deref(), Some("code"));
    assert_eq!(
        query(&landed.url, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert!(query(&landed.url, "code_challenge").is_some_and(|c| c.len() >= 43));
    assert!(query(&landed.url, "state").is_some_and(|s| s.len() >= 16));
    assert!(query(&landed.url, "nonce").is_some_and(|n| n.len() >= 16));
    assert!(query(&landed.url, "scope").is_some_and(|s| s.contains("openid")));

    // The pending sign-in lives in a session cookie: HttpOnly, SameSite=Lax.
    let response = app.get("/auth/signin").await;
    let cookie = response.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with(&format!("{SESSION_COOKIE}=")), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain HTTP here: {cookie}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kratos_session_signs_in_without_a_password_and_renews_the_session_id() {
    let (app, browser, email) = signed_in_at_kratos().await;
    let start = browser
        .walk(&app.url("/auth/signin?return_to=/account/sessions"), |_| true)
        .await;
    let before = browser
        .cookie(&app.base_url, SESSION_COOKIE)
        .expect("a pending session");

    let landed = browser.follow(&start.url).await;
    assert_eq!(landed.status, StatusCode::OK, "{}: {}", landed.url, landed.body);
    assert_eq!(landed.url, app.url("/account/sessions"));
    let after = browser
        .cookie(&app.base_url, SESSION_COOKIE)
        .expect("a signed-in session");
    assert_ne!(before, after, "the session id is renewed at sign-in");

    let home = browser.follow(&app.url("/")).await;
    assert!(
        home.body.contains(&format!("data-signed-in=\"{email}\"")),
        "{}",
        home.body
    );
    // The ID token's claims: the name comes from Kratos through Hydra's consent.
    assert!(home.body.contains("Ada Lovelace"));

    // The portal keeps no token: only where the session came from.
    let (hydra_sid, kratos_sid): (Option<String>, Option<String>) =
        sqlx::query_as("SELECT hydra_sid, kratos_session_id FROM portal_logins")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(hydra_sid.is_some() && kratos_sid.is_some());
}

/// A portal Kratos sends browsers back to: Kratos lets flows return only
/// to the end-to-end portal's address, which the test browser takes here.
async fn kratos_returns_to() -> TestApp {
    TestApp::builder()
        .oidc()
        .public_url(&format!("http://localhost:{}", env("TEST_PORTAL_PORT")))
        .spawn()
        .await
}

/// Starts signing in to go to `return_to` and posts the sign-in form that
/// comes (through the portal's relay); returns the flow id and the answer.
async fn sign_in_on_the_form(
    app: &TestApp,
    browser: &Browser,
    return_to: &str,
    email: &str,
    password: &str,
) -> (String, reqwest::Response) {
    let form = browser
        .follow(&app.url(&format!("/auth/signin?return_to={return_to}")))
        .await;
    assert!(form.url.contains("/auth/login?flow="), "{}", form.url);
    let flow = query(&form.url, "flow").unwrap();
    let submitted = browser
        .post_form(
            &app.url(&format!("/auth/submit/login?flow={flow}")),
            &[
                ("identifier", email),
                ("password", password),
                ("method", "password"),
                ("csrf_token", &csrf_token_in(&form.body)),
            ],
        )
        .await;
    (flow, submitted)
}

/// Signed in on the portal's form, the browser goes straight on to Hydra:
/// the login challenge Kratos would send it back to the portal for is
/// answered on the way, with the session Kratos has just made.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sign_in_form_answers_the_login_challenge_on_its_way_to_hydra() {
    let app = kratos_returns_to().await;
    let email = unique_email("grace");
    create_identity(&email, PASSWORD).await;
    let browser = Browser::new(&app.base_url);
    let (_, submitted) = sign_in_on_the_form(&app, &browser, "/account/sessions", &email, PASSWORD).await;
    assert_eq!(submitted.status(), StatusCode::SEE_OTHER);
    let onward = submitted.headers()[header::LOCATION].to_str().unwrap().to_owned();
    assert!(
        onward.starts_with(&format!("{}/oauth2/auth?", env("TEST_HYDRA_PUBLIC_URL")))
            && query(&onward, "login_verifier").is_some(),
        "{onward}"
    );
    assert!(browser
        .cookie(&env("TEST_KRATOS_PUBLIC_URL"), "ory_kratos_session")
        .is_some());

    let landed = browser.follow(&onward).await;
    assert_eq!(landed.url, app.url("/account/sessions"), "{}", landed.body);
    assert!(shows_signed_in(&app, &browser).await);
}

/// A wrong password is no sign-in: the form comes back, nothing is answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_on_the_sign_in_form_answers_no_login_challenge() {
    let app = kratos_returns_to().await;
    let email = unique_email("wrong");
    create_identity(&email, PASSWORD).await;
    let browser = Browser::new(&app.base_url);
    let (flow, submitted) = sign_in_on_the_form(&app, &browser, "/", &email, "not the password").await;
    let back = submitted.headers()[header::LOCATION].to_str().unwrap().to_owned();
    assert!(back.contains(&format!("/auth/login?flow={flow}")), "{back}");
    assert!(!shows_signed_in(&app, &browser).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_ends_the_portal_kratos_and_hydra_sessions() {
    let (app, browser, email) = signed_in_at_kratos().await;
    browser.follow(&app.url("/auth/signin")).await;
    let home = browser.follow(&app.url("/")).await;
    assert!(home.body.contains(&format!("data-signed-in=\"{email}\"")));

    // A GET asks; the form posts the session's token.
    let asked = browser.follow(&app.url("/auth/logout")).await;
    let token = csrf_token_in(&asked.body);
    let posted = browser
        .post_form(&app.url("/auth/logout"), &[("csrf_token", token.as_str())])
        .await;
    assert_eq!(posted.status(), StatusCode::SEE_OTHER);
    let next = posted.headers()[header::LOCATION].to_str().unwrap().to_owned();
    let out = browser.follow(&next).await;
    assert_eq!(out.status, StatusCode::OK, "{}", out.url);
    assert!(!out.body.contains("data-signed-in"));
    let whoami = browser
        .client
        .get(format!("{}/sessions/whoami", env("TEST_KRATOS_PUBLIC_URL")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        whoami.status(),
        StatusCode::UNAUTHORIZED,
        "the Kratos session ended"
    );
    let sessions = portal_sessions(&app).await;
    assert_eq!(
        sessions, 0,
        "the portal session is deleted, not just forgotten by the browser"
    );

    // Hydra forgot the login too: signing in again goes to Kratos' login form.
    let again = browser
        .walk(&app.url("/auth/signin"), |next| {
            next.contains("/self-service/login/browser")
        })
        .await;
    assert!(again.url.contains("/self-service/login/browser"), "{}", again.url);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logout_started_at_hydra_reaches_the_portal_by_back_channel() {
    let (app, browser, email) = signed_in_at_kratos().await;
    browser.follow(&app.url("/auth/signin")).await;
    assert!(browser
        .follow(&app.url("/"))
        .await
        .body
        .contains(&format!("data-signed-in=\"{email}\"")));

    // Another application logs the person out at Hydra; the portal's logout
    // provider asks them, they confirm, and Hydra tells each client of that login.
    let asked = browser
        .follow(&format!(
            "{}/oauth2/sessions/logout",
            env("TEST_HYDRA_PUBLIC_URL")
        ))
        .await;
    let challenge = query(&asked.url, "logout_challenge").expect("the sign-out question");
    let confirmed = browser
        .post_form(
            &app.url("/auth/logout"),
            &[
                ("csrf_token", csrf_token_in(&asked.body).as_str()),
                ("logout_challenge", challenge.as_str()),
            ],
        )
        .await;
    let next = confirmed.headers()[header::LOCATION].to_str().unwrap().to_owned();
    browser.follow(&next).await;
    let mut signed_out = false;
    for _ in 0..50 {
        let remaining = portal_sessions(&app).await;
        if remaining == 0 {
            signed_out = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(signed_out, "the back-channel logout ended the portal session");
    assert!(!shows_signed_in(&app, &browser).await);
}

/// Sessions are read through memory; a session another replica ends (here:
/// its row deleted behind this portal's back) must end here too, at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_ended_by_another_replica_ends_here_at_once() {
    let (app, browser, _) = signed_in_at_kratos().await;
    browser.follow(&app.url("/auth/signin")).await;
    // Read twice, so that the second read may come from memory.
    assert!(shows_signed_in(&app, &browser).await);
    assert!(shows_signed_in(&app, &browser).await);

    sqlx::query("DELETE FROM tower_sessions.session")
        .execute(&app.pool)
        .await
        .unwrap();
    let ended = std::time::Instant::now();
    let mut still_signed_in = 0;
    while shows_signed_in(&app, &browser).await {
        still_signed_in += 1;
        assert!(
            ended.elapsed() < std::time::Duration::from_secs(2),
            "the session deleted elsewhere still opened {still_signed_in} pages"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_or_replayed_callback_is_refused_with_a_page_to_start_again() {
    let (app, browser, _) = signed_in_at_kratos().await;
    let callback = browser
        .walk(&app.url("/auth/signin"), |next| next.contains("/auth/callback"))
        .await;
    assert!(callback.url.contains("/auth/callback?code="), "{}", callback.url);
    let state = query(&callback.url, "state").unwrap();
    let tampered = callback.url.replace(&state, "forged-state-value");

    let refused = browser.walk(&tampered, |_| true).await;
    assert_eq!(refused.url, app.url("/auth/error?reason=expired"));
    let page = browser
        .client
        .get(app.url("/auth/error?reason=expired"))
        .header(header::ACCEPT_LANGUAGE, "fr")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::BAD_REQUEST);
    let body = page.text().await.unwrap();
    assert!(
        body.contains("Recommencer") && body.contains("/auth/signin"),
        "{body}"
    );

    // The genuine callback now finds its pending sign-in used up.
    let replayed = browser.walk(&callback.url, |_| true).await;
    assert_eq!(replayed.url, app.url("/auth/error?reason=expired"));
    assert!(!shows_signed_in(&app, &browser).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_without_a_sign_in_or_refused_by_the_provider_explains_itself() {
    let app = TestApp::builder().oidc().spawn().await;
    let stray = app.get("/auth/callback?code=abc&state=def").await;
    assert_eq!(stray.headers()[header::LOCATION], "/auth/error?reason=expired");
    let denied = app
        .get("/auth/callback?error=access_denied&error_description=no&state=x")
        .await;
    assert_eq!(denied.headers()[header::LOCATION], "/auth/error?reason=denied");
    let page = app
        .get_with("/auth/error?reason=denied", &[("accept-language", "en")])
        .await;
    assert_eq!(page.status(), StatusCode::FORBIDDEN);
    assert!(page.text().await.unwrap().contains("Sign-in cancelled"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_login_challenge_gets_the_start_again_page() {
    let app = TestApp::builder().oidc().spawn().await;
    let response = app.get("/auth/login?login_challenge=not-a-real-challenge").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()[header::LOCATION], "/auth/error?reason=expired");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_suspended_clients_sign_in_is_refused_by_the_login_provider_until_resumed() {
    use control::backends::oauth_clients::{HydraClients, OAuthClients};
    let (app, browser, _) = signed_in_at_kratos().await;
    let clients =
        HydraClients::new(&env("TEST_HYDRA_ADMIN_URL"), std::time::Duration::from_secs(10)).unwrap();
    // The portal's own client stands in for a tenant's application.
    let client_id = format!("portal-{}", app.database);
    clients.set_client_enabled(&client_id, false).await.unwrap();

    // Hydra sends the login refusal (`access_denied`) to the client's callback.
    let refused = browser.follow(&app.url("/auth/signin")).await;
    assert_eq!(refused.url, app.url("/auth/error?reason=denied"));
    assert!(!shows_signed_in(&app, &browser).await);

    clients.set_client_enabled(&client_id, true).await.unwrap();
    let landed = browser.follow(&app.url("/auth/signin")).await;
    assert_eq!(
        landed.url,
        app.url("/orgs"),
        "no organization yet: the list, to create one"
    );
    assert!(shows_signed_in(&app, &browser).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_back_channel_logout_token_is_refused() {
    let app = TestApp::builder().oidc().spawn().await;
    let response = app
        .client
        .post(app.url("/auth/backchannel-logout"))
        .form(&[("logout_token", "eyJhbGciOiJub25lIn0.eyJzaWQiOiJ4In0.")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoking_another_kratos_session_signs_that_browser_out_of_the_portal() {
    let (app, first, email) = signed_in_at_kratos().await;
    first.follow(&app.url("/auth/signin")).await;
    let second = Browser::new(&app.base_url);
    second.sign_in_at_kratos(&email, PASSWORD).await;
    second.follow(&app.url("/auth/signin")).await;
    assert!(shows_signed_in(&app, &second).await);

    // The first browser signs every other session out from its sessions page.
    let page = first.follow(&app.url("/account/sessions")).await;
    let token = page
        .body
        .split("name=\"csrf_token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the revoke form's CSRF token")
        .to_owned();

    // A token that is not this browser's changes nothing, and the page says
    // why.
    let forged = first
        .client
        .post(app.url("/account/sessions/revoke"))
        .form(&[("csrf_token", "0".repeat(32).as_str())])
        .send()
        .await
        .unwrap();
    let back = forged.headers()[header::LOCATION].to_str().unwrap().to_owned();
    assert_eq!(back, "/account/sessions?refused=form_expired");
    let page = first.follow(&app.url(&back)).await;
    assert!(
        page.body.contains("data-refused=\"form_expired\""),
        "{}",
        page.body
    );
    assert!(page.body.contains("This form had expired"));
    assert!(shows_signed_in(&app, &second).await);

    let revoked = first
        .client
        .post(app.url("/account/sessions/revoke"))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.headers()[header::LOCATION], "/account/sessions");

    assert!(!shows_signed_in(&app, &second).await);
    assert!(shows_signed_in(&app, &first).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoking_another_persons_session_by_its_id_ends_nothing() {
    let app = TestApp::builder().oidc().spawn().await;
    let mallory = support::browser::Person::signed_in(&app.base_url, "mallory").await;
    let victim = support::browser::Person::signed_in(&app.base_url, "victim").await;
    assert!(shows_signed_in(&app, &victim.browser).await);
    let kratos_admin = support::env("TEST_KRATOS_ADMIN_URL");
    let sessions: serde_json::Value = reqwest::get(format!(
        "{kratos_admin}/admin/identities/{}/sessions",
        victim.identity_id
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let victims_session = sessions[0]["id"].as_str().unwrap().to_owned();

    // Mallory posts the victim's session id from her own sessions page.
    let page = mallory.browser.follow(&app.url("/account/sessions")).await;
    let token = csrf_token_in(&page.body);
    mallory
        .browser
        .client
        .post(app.url("/account/sessions/revoke"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("session_id", victims_session.as_str()),
        ])
        .send()
        .await
        .unwrap();

    assert!(
        shows_signed_in(&app, &victim.browser).await,
        "the portal session stays"
    );
    let still: serde_json::Value = reqwest::get(format!("{kratos_admin}/admin/sessions/{victims_session}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(still["active"], true, "the Kratos session stays: {still}");
    let links: i64 = sqlx::query_scalar("SELECT count(*) FROM portal_logins WHERE subject = $1")
        .bind(&victim.identity_id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(links, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_login_challenge_ends_on_the_start_again_page() {
    let (app, browser, _) = signed_in_at_kratos().await;
    let challenge = browser
        .walk(&app.url("/auth/signin"), |next| {
            next.contains("/auth/login?login_challenge=")
        })
        .await;
    assert!(challenge.url.contains("login_challenge="), "{}", challenge.url);
    let landed = browser.follow(&challenge.url).await;
    assert_eq!(landed.url, app.url("/orgs"));

    // Hydra's challenges are sealed, not stored: the replay is caught when
    // its verifier comes back used, and Hydra refuses the authorization
    // (`access_denied`), which the portal explains with a way to start again.
    let again = browser.follow(&challenge.url).await;
    assert!(
        again.url.starts_with(&app.url("/auth/error?reason=")),
        "{}",
        again.url
    );
    assert!(again.status.is_client_error(), "{}", again.url);
    assert!(again.body.contains("Start again") && again.body.contains("href=\"/auth/signin\""));
    assert!(!again.body.contains("data-signed-in=\"\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_past_its_absolute_lifetime_is_signed_out_however_active() {
    let lifetime = SessionConfig {
        idle_timeout_minutes: 30,
        absolute_timeout_hours: 0,
    };
    let (app, browser, _) = signed_in_at_kratos_with(TestApp::builder().session(lifetime)).await;
    let landed = browser.follow(&app.url("/auth/signin?return_to=/")).await;
    assert_eq!(landed.url, app.url("/"));
    assert!(!shows_signed_in(&app, &browser).await);
    let sessions = portal_sessions(&app).await;
    assert_eq!(sessions, 0, "the expired session is deleted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_session_expires() {
    let idle = SessionConfig {
        idle_timeout_minutes: 0,
        absolute_timeout_hours: 12,
    };
    let (app, browser, _) = signed_in_at_kratos_with(TestApp::builder().session(idle)).await;
    browser.follow(&app.url("/auth/signin")).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert!(!shows_signed_in(&app, &browser).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_https_the_session_cookie_is_secure() {
    let builder = TestApp::builder().bind_now();
    let port = builder.port();
    let app = builder
        .public_url(&format!("https://localhost:{port}"))
        .oidc()
        .spawn()
        .await;
    let response = app.get("/auth/signin").await;
    let cookie = response.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    // `__Host-`: no sibling subdomain can set or replace it.
    assert!(
        cookie.starts_with(&format!("__Host-{SESSION_COOKIE}=")),
        "{cookie}"
    );
    assert!(
        cookie.contains("Secure") && cookie.contains("HttpOnly") && cookie.contains("Path=/"),
        "{cookie}"
    );
    assert!(!cookie.contains("Domain"), "{cookie}");
}

/// A captured back-channel logout token, posted again, ends nothing: its
/// `jti` is recorded in the database, so the refusal holds on every replica.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_logout_token_is_refused_on_every_replica() {
    use control::identity::LogoutNotice;
    let first = TestApp::spawn().await;
    let second = TestApp::builder().database(&first.database).spawn().await;
    let now = time::OffsetDateTime::now_utc();
    let notice = LogoutNotice {
        subject: None,
        session_id: Some("login-session".into()),
        token_id: uuid::Uuid::new_v4().to_string(),
        usable_until: now + time::Duration::minutes(5),
    };
    assert!(first.control.first_use_of_logout_token(&notice).await.unwrap());
    assert!(!second.control.first_use_of_logout_token(&notice).await.unwrap());
    assert!(!first.control.first_use_of_logout_token(&notice).await.unwrap());

    // Tokens past their usable time are forgotten (they would be refused as stale anyway).
    let stale = LogoutNotice {
        token_id: uuid::Uuid::new_v4().to_string(),
        usable_until: now - time::Duration::minutes(1),
        ..notice.clone()
    };
    sqlx::query("INSERT INTO seen_logout_tokens (jti, expires_at) VALUES ($1, $2)")
        .bind(&stale.token_id)
        .bind(stale.usable_until)
        .execute(&first.pool)
        .await
        .unwrap();
    let fresh = LogoutNotice {
        token_id: uuid::Uuid::new_v4().to_string(),
        ..notice
    };
    assert!(second.control.first_use_of_logout_token(&fresh).await.unwrap());
    let kept: Vec<String> = sqlx::query_scalar("SELECT jti FROM seen_logout_tokens ORDER BY jti")
        .fetch_all(&first.pool)
        .await
        .unwrap();
    assert!(!kept.contains(&stale.token_id), "{kept:?}");
    assert_eq!(kept.len(), 2);
}
