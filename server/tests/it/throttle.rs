//! Every self-service form posts through the portal, which counts each
//! attempt per client address and per account (from that address) before
//! relaying it to the real Kratos; over a limit, the form comes back with the
//! time to wait. An account tried from many addresses is slowed down, never
//! locked; an attempt that cannot be counted is refused.

use crate::support;
use reqwest::{header, StatusCode};
use support::{
    browser::{create_identity, unique_email, Browser, PASSWORD},
    env, TestApp,
};

fn location(response: &reqwest::Response) -> String {
    response.headers()[header::LOCATION].to_str().unwrap().to_owned()
}

async fn try_password(
    app: &TestApp,
    browser: &Browser,
    flow: &str,
    csrf: &str,
    identifier: &str,
    password: &str,
) -> reqwest::Response {
    try_password_from(app, browser, flow, csrf, identifier, password, &[]).await
}

/// As `try_password`, with these headers (`X-Forwarded-For`).
async fn try_password_from(
    app: &TestApp,
    browser: &Browser,
    flow: &str,
    csrf: &str,
    identifier: &str,
    password: &str,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    browser
        .post_form_with(
            &app.url(&format!("/auth/submit/login?flow={flow}")),
            &[
                ("identifier", identifier),
                ("password", password),
                ("method", "password"),
                ("csrf_token", csrf),
            ],
            headers,
        )
        .await
}

/// Starts a `kind` flow at Kratos as a browser does and posts `fields`
/// (with the flow's CSRF token) through the portal's relay; returns the
/// flow id and the portal's answer.
async fn submit_through_portal(
    app: &TestApp,
    browser: &Browser,
    kind: &str,
    fields: &[(&str, &str)],
) -> (String, reqwest::Response) {
    let (flow, csrf) = browser.start_kratos_flow(kind).await;
    let mut form = fields.to_vec();
    form.push(("csrf_token", &csrf));
    let response = browser
        .post_form(&app.url(&format!("/auth/submit/{kind}?flow={flow}")), &form)
        .await;
    (flow, response)
}

fn limited(response: &reqwest::Response) -> bool {
    response
        .headers()
        .get(header::LOCATION)
        .is_some_and(|to| to.to_str().unwrap().contains("retry_after="))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_relayed_by_the_portal_gets_the_kratos_session_cookie() {
    let app = TestApp::spawn().await;
    let email = unique_email("relay");
    create_identity(&email, PASSWORD).await;
    let browser = Browser::new(&app.base_url);
    let (flow, csrf) = browser.start_kratos_flow("login").await;

    let response = try_password(&app, &browser, &flow, &csrf, &email, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    // Kratos sends the browser on to the portal's OpenID sign-in.
    assert!(
        location(&response).ends_with("/auth/signin"),
        "{}",
        location(&response)
    );
    assert!(browser
        .cookie(&env("TEST_KRATOS_PUBLIC_URL"), "ory_kratos_session")
        .is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_attempts_at_one_account_pause_its_sign_in_with_the_time_to_wait() {
    let app = TestApp::spawn().await;
    let email = unique_email("guessed");
    create_identity(&email, PASSWORD).await;
    let browser = Browser::new(&app.base_url);
    let (flow, csrf) = browser.start_kratos_flow("login").await;

    for attempt in 1..=10 {
        let response = try_password(&app, &browser, &flow, &csrf, &email, "not the password").await;
        let to = location(&response);
        assert!(
            to.contains("/auth/login?flow=") && !to.contains("retry_after"),
            "attempt {attempt}: {to}"
        );
    }
    // The right password does not help any more: the account is paused.
    let refused = try_password(&app, &browser, &flow, &csrf, &email, PASSWORD).await;
    let to = location(&refused);
    let wait: i64 = to.split("retry_after=").nth(1).unwrap().parse().unwrap();
    assert!(to.starts_with(&format!("/auth/login?flow={flow}&")), "{to}");
    assert!((1..=15 * 60).contains(&wait), "{wait}");
    assert!(browser
        .cookie(&env("TEST_KRATOS_PUBLIC_URL"), "ory_kratos_session")
        .is_none());

    let page = browser.page_in(&app.url(&to), "fr").await;
    assert!(page.contains("Trop de tentatives"), "{page}");
    assert!(page.contains("15 minutes"), "{page}");
    assert!(page.contains("role=\"alert\""));

    // Another account from the same address is not affected.
    let other = unique_email("bystander");
    create_identity(&other, PASSWORD).await;
    let allowed = try_password(&app, &browser, &flow, &csrf, &other, PASSWORD).await;
    assert!(!location(&allowed).contains("retry_after"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_attempts_from_one_address_pause_sign_in_whatever_the_account() {
    let app = TestApp::spawn().await;
    let browser = Browser::new(&app.base_url);
    let (flow, csrf) = browser.start_kratos_flow("login").await;
    for attempt in 1..=30 {
        let response = try_password(&app, &browser, &flow, &csrf, &unique_email("spray"), "guess").await;
        assert!(!location(&response).contains("retry_after"), "attempt {attempt}");
    }
    let refused = try_password(&app, &browser, &flow, &csrf, &unique_email("spray"), "guess").await;
    assert!(location(&refused).contains("retry_after="));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recovery_mails_for_one_account_are_limited_to_five_an_hour() {
    let app = TestApp::spawn().await;
    let email = unique_email("recovering");
    create_identity(&email, PASSWORD).await;
    let browser = Browser::new(&app.base_url);
    for attempt in 1..=6 {
        let (_, response) = submit_through_portal(
            &app,
            &browser,
            "recovery",
            &[("email", email.as_str()), ("method", "code")],
        )
        .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let limited = location(&response).contains("retry_after=");
        assert_eq!(
            limited,
            attempt == 6,
            "attempt {attempt}: {}",
            location(&response)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_self_service_flows_are_relayed_and_only_with_a_flow_id() {
    let app = TestApp::spawn().await;
    let browser = Browser::new(&app.base_url);
    let other = browser
        .post_form(&app.url("/auth/submit/logout?flow=x"), &[("a", "b")])
        .await;
    assert_eq!(other.status(), StatusCode::NOT_FOUND);
    let bogus = browser
        .post_form(
            &app.url("/auth/submit/login?flow=../../admin"),
            &[("identifier", "a")],
        )
        .await;
    assert_eq!(location(&bogus), "/auth/error?reason=unavailable");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_forwarded_for_header_does_not_dodge_the_address_limit() {
    // No trusted proxy: the header is the client's own words.
    let app = TestApp::spawn().await;
    let browser = Browser::new(&app.base_url);
    let (flow, csrf) = browser.start_kratos_flow("login").await;
    for attempt in 1..=31 {
        let forged = format!("198.51.100.{attempt}");
        let response = try_password_from(
            &app,
            &browser,
            &flow,
            &csrf,
            &unique_email("spray"),
            "guess",
            &[("x-forwarded-for", &forged)],
        )
        .await;
        assert_eq!(limited(&response), attempt == 31, "attempt {attempt}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_each_client_has_its_own_address_limit() {
    let app = TestApp::builder().trusted_proxies(&["127.0.0.0/8"]).spawn().await;
    let browser = Browser::new(&app.base_url);
    let (flow, csrf) = browser.start_kratos_flow("login").await;
    // The client wrote the left-most entry; the proxy appended the real one.
    let crowded = [("x-forwarded-for", "6.6.6.6, 203.0.113.7")];
    for attempt in 1..=31 {
        let response = try_password_from(
            &app,
            &browser,
            &flow,
            &csrf,
            &unique_email("spray"),
            "guess",
            &crowded,
        )
        .await;
        assert_eq!(limited(&response), attempt == 31, "attempt {attempt}");
    }
    // Another client behind the same proxy is not paused…
    let elsewhere = [("x-forwarded-for", "6.6.6.6, 203.0.113.8")];
    let response = try_password_from(
        &app,
        &browser,
        &flow,
        &csrf,
        &unique_email("spray"),
        "guess",
        &elsewhere,
    )
    .await;
    assert!(!limited(&response));
    // …and changing the left-most entry does not free the paused one.
    let forged = [("x-forwarded-for", "1.2.3.4, 203.0.113.7")];
    let response = try_password_from(
        &app,
        &browser,
        &flow,
        &csrf,
        &unique_email("spray"),
        "guess",
        &forged,
    )
    .await;
    assert!(limited(&response));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_json_bodied_sign_in_is_counted_per_account() {
    let app = TestApp::spawn().await;
    let email = unique_email("json-guessed");
    create_identity(&email, PASSWORD).await;
    let browser = Browser::new(&app.base_url);
    let (flow, csrf) = browser.start_kratos_flow("login").await;
    let post_json = || async {
        browser
            .client
            .post(app.url(&format!("/auth/submit/login?flow={flow}")))
            .header(header::ACCEPT, "application/json")
            .json(&serde_json::json!({
                "identifier": email.to_uppercase(),
                "password": "not the password",
                "method": "password",
                "csrf_token": csrf,
            }))
            .send()
            .await
            .unwrap()
    };
    for attempt in 1..=10 {
        let response = post_json().await;
        assert_ne!(
            response.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "attempt {attempt}"
        );
    }
    let refused = post_json().await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().contains_key(header::RETRY_AFTER));
    // A form post at the same account counts in the same place.
    let form = try_password(&app, &browser, &flow, &csrf, &email, PASSWORD).await;
    assert!(limited(&form));
    // Any other body is refused before reaching Kratos uncounted.
    let multipart = browser
        .client
        .post(app.url(&format!("/auth/submit/login?flow={flow}")))
        .header(header::CONTENT_TYPE, "multipart/form-data; boundary=x")
        .body(format!(
            "--x\r\nContent-Disposition: form-data; name=\"identifier\"\r\n\r\n{email}\r\n--x--\r\n"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(multipart.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ups_for_one_address_are_throttled() {
    let app = TestApp::spawn().await;
    let email = unique_email("signing-up");
    let browser = Browser::new(&app.base_url);
    for attempt in 1..=6 {
        let (flow, response) = submit_through_portal(
            &app,
            &browser,
            "registration",
            &[
                ("traits.email", email.as_str()),
                // Too short: Kratos refuses it, nothing is created.
                ("password", "short"),
                ("method", "password"),
            ],
        )
        .await;
        assert!(
            response.status().is_redirection(),
            "attempt {attempt}: {} {}",
            response.status(),
            location(&response)
        );
        assert_eq!(
            limited(&response),
            attempt == 6,
            "attempt {attempt}: {}",
            location(&response)
        );
        if attempt == 6 {
            assert!(location(&response).starts_with(&format!("/auth/registration?flow={flow}&")));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ups_over_an_addresss_limit_are_refused_and_audited_once_per_window() {
    let app = TestApp::spawn().await;
    let allowed = server::config::RateLimitsConfig::default().registration_per_ip;
    let browser = Browser::new(&app.base_url);
    for attempt in 1..=allowed + 2 {
        // A new address each time: only the per-address count can refuse.
        let email = unique_email(&format!("wave{attempt}"));
        let (_, response) = submit_through_portal(
            &app,
            &browser,
            "registration",
            &[
                ("traits.email", email.as_str()),
                ("password", "short"),
                ("method", "password"),
            ],
        )
        .await;
        assert_eq!(limited(&response), attempt > allowed, "attempt {attempt}");
    }
    let audited: Vec<(String, Option<String>, serde_json::Value)> =
        sqlx::query_as("SELECT target, host(ip), after FROM audit_events WHERE action = 'limit.refused'")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(audited.len(), 1, "one event per window, not one per refusal");
    assert_eq!(audited[0].0, "sign-up");
    assert_eq!(audited[0].1.as_deref(), Some("127.0.0.1"));
    assert_eq!(audited[0].2["limit"], "sign_ups_per_address");
    assert_eq!(audited[0].2["allowed"], allowed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verification_mails_for_one_address_are_throttled() {
    let app = TestApp::spawn().await;
    let email = unique_email("verifying");
    create_identity(&email, PASSWORD).await;
    let browser = Browser::new(&app.base_url);
    for attempt in 1..=6 {
        let (_, response) = submit_through_portal(
            &app,
            &browser,
            "verification",
            &[("email", email.as_str()), ("method", "code")],
        )
        .await;
        assert_eq!(
            limited(&response),
            attempt == 6,
            "attempt {attempt}: {}",
            location(&response)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_that_cannot_be_counted_is_refused_not_waved_through() {
    let app = TestApp::spawn().await;
    let email = unique_email("uncounted");
    create_identity(&email, PASSWORD).await;
    let browser = Browser::new(&app.base_url);
    let (flow, csrf) = browser.start_kratos_flow("login").await;
    // The counters' table is gone, as when the database fails.
    sqlx::query("DROP TABLE auth_attempts")
        .execute(&app.pool)
        .await
        .unwrap();

    let response = try_password(&app, &browser, &flow, &csrf, &email, PASSWORD).await;
    assert_eq!(location(&response), "/auth/error?reason=uncounted");
    assert!(browser
        .cookie(&env("TEST_KRATOS_PUBLIC_URL"), "ory_kratos_session")
        .is_none());
    let page = browser
        .page_in(&app.url("/auth/error?reason=uncounted"), "fr")
        .await;
    assert!(page.contains("momentanément suspendu"), "{page}");
    let page = browser
        .page_in(&app.url("/auth/error?reason=uncounted"), "en")
        .await;
    assert!(page.contains("paused for a moment"), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attacker_guessing_an_account_does_not_lock_its_owner_out() {
    let app = TestApp::builder().trusted_proxies(&["127.0.0.0/8"]).spawn().await;
    let email = unique_email("targeted");
    create_identity(&email, PASSWORD).await;
    let attacker = Browser::new(&app.base_url);
    let (flow, csrf) = attacker.start_kratos_flow("login").await;
    let from_attacker = [("x-forwarded-for", "203.0.113.66")];
    for attempt in 1..=11 {
        let response =
            try_password_from(&app, &attacker, &flow, &csrf, &email, "guess", &from_attacker).await;
        assert_eq!(limited(&response), attempt == 11, "attempt {attempt}");
    }

    // The owner, elsewhere, is slowed down a little but gets in.
    let owner = Browser::new(&app.base_url);
    let (flow, csrf) = owner.start_kratos_flow("login").await;
    let started = std::time::Instant::now();
    let response = try_password_from(
        &app,
        &owner,
        &flow,
        &csrf,
        &email,
        PASSWORD,
        &[("x-forwarded-for", "198.51.100.20")],
    )
    .await;
    assert!(
        location(&response).ends_with("/auth/signin"),
        "{}",
        location(&response)
    );
    assert!(owner
        .cookie(&env("TEST_KRATOS_PUBLIC_URL"), "ory_kratos_session")
        .is_some());
    assert!(started.elapsed() >= std::time::Duration::from_secs(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_trail_records_the_client_behind_a_trusted_proxy_not_a_forged_one() {
    use support::browser::{csrf_token_in, Person};

    let app = TestApp::builder()
        .oidc()
        .trusted_proxies(&["127.0.0.0/8"])
        .spawn()
        .await;
    let founder = Person::signed_in(&app.base_url, "audited").await.browser;
    let token = csrf_token_in(&founder.follow(&app.url("/orgs/new")).await.body);
    let created = founder
        .post_form_with(
            &app.url("/orgs/new"),
            &[
                ("csrf_token", &token),
                ("name", "Audited"),
                ("slug", "audited"),
                ("country", "FR"),
                ("billing_email", "billing@audited.example"),
            ],
            // The client wrote the first entry; the proxy appended the second.
            &[("x-forwarded-for", "6.6.6.6, 198.51.100.44")],
        )
        .await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let ip: String =
        sqlx::query_scalar("SELECT host(ip) FROM audit_events WHERE action = 'organization.create'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(ip, "198.51.100.44");
}

/// The dev and test stacks put a gate in front of Kratos' public API, as the
/// ingress of `deploy/` does in production: a self-service form posted
/// straight to Kratos is refused there, so no attempt escapes the portal's
/// counting; starting a flow there still works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_posted_straight_to_kratos_is_refused_at_its_gate() {
    let gate = env("TEST_KRATOS_GATE_URL");
    let kratos = env("TEST_KRATOS_PUBLIC_URL");
    let email = unique_email("direct");
    create_identity(&email, PASSWORD).await;
    let browser = Browser::new("http://localhost");
    let started = browser
        .client
        .get(format!("{gate}/self-service/login/browser"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        started.status(),
        StatusCode::SEE_OTHER,
        "flows start through the gate"
    );

    let (flow, csrf) = browser.start_kratos_flow("login").await;
    let fields = [
        ("identifier", email.as_str()),
        ("password", PASSWORD),
        ("method", "password"),
        ("csrf_token", csrf.as_str()),
    ];
    let direct = browser
        .post_form(&format!("{gate}/self-service/login?flow={flow}"), &fields)
        .await;
    assert_eq!(direct.status(), StatusCode::FORBIDDEN);
    assert!(browser.cookie(&kratos, "ory_kratos_session").is_none());
    // Kratos itself, where the portal relays, takes the very same post.
    let relayed = browser
        .post_form(&format!("{kratos}/self-service/login?flow={flow}"), &fields)
        .await;
    assert_eq!(relayed.status(), StatusCode::SEE_OTHER);
    assert!(browser.cookie(&kratos, "ory_kratos_session").is_some());
}
