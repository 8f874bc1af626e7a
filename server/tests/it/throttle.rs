//! Sign-in and recovery forms post through the portal, which counts each
//! attempt per IP address and per account before relaying it to the real
//! Kratos; over a limit, the form comes back with the time to wait.

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
    browser
        .post_form(
            &app.url(&format!("/auth/submit/login?flow={flow}")),
            &[
                ("identifier", identifier),
                ("password", password),
                ("method", "password"),
                ("csrf_token", csrf),
            ],
        )
        .await
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
        let (flow, csrf) = browser.start_kratos_flow("recovery").await;
        let response = browser
            .post_form(
                &app.url(&format!("/auth/submit/recovery?flow={flow}")),
                &[
                    ("email", email.as_str()),
                    ("method", "code"),
                    ("csrf_token", &csrf),
                ],
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
async fn only_sign_in_and_recovery_are_relayed_and_only_with_a_flow_id() {
    let app = TestApp::spawn().await;
    let browser = Browser::new(&app.base_url);
    let other = browser
        .post_form(&app.url("/auth/submit/settings?flow=x"), &[("a", "b")])
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
