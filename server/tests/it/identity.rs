//! The portal as Kratos' UI, against the real Kratos `cargo xtask test` runs:
//! flows are fetched with the browser's cookies and rendered as forms that
//! post straight to Kratos; stale or missing flows start afresh.

use crate::support;
use reqwest::{header, StatusCode};
use support::{env, TestApp};

/// Starts a browser flow at Kratos the way a browser does; returns the flow
/// id and the CSRF cookie Kratos set.
async fn start_flow(kind: &str) -> (String, String) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = client
        .get(format!(
            "{}/self-service/{kind}/browser",
            env("TEST_KRATOS_PUBLIC_URL")
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()[header::LOCATION].to_str().unwrap().to_owned();
    let flow = location
        .split("flow=")
        .nth(1)
        .expect("a flow id in the redirect")
        .to_owned();
    let cookies: Vec<String> = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|c| c.to_str().unwrap().split(';').next().unwrap().to_owned())
        .collect();
    (flow, cookies.join("; "))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_flow_the_browser_is_sent_to_kratos_to_start_one() {
    let app = TestApp::spawn().await;
    for kind in ["login", "registration", "recovery", "verification", "settings"] {
        let response = app.get(&format!("/auth/{kind}")).await;
        assert!(
            response.status().is_redirection(),
            "{kind}: {}",
            response.status()
        );
        let location = response.headers()[header::LOCATION].to_str().unwrap();
        assert_eq!(
            location,
            format!("{}/self-service/{kind}/browser", env("TEST_KRATOS_PUBLIC_URL"))
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_registration_form_posts_through_the_portal_with_its_csrf_token_in_french() {
    let app = TestApp::spawn().await;
    let (flow, cookie) = start_flow("registration").await;
    let response = app
        .get_with(
            &format!("/auth/registration?flow={flow}"),
            &[("cookie", &cookie), ("accept-language", "fr")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let html = response.text().await.unwrap();
    let kratos = env("TEST_KRATOS_PUBLIC_URL");
    // Sign-in forms end at OAuth2 clients' redirect URIs: no form-action there.
    assert!(!csp.contains("form-action"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    // Through the portal, which counts the attempt before relaying it.
    assert!(
        html.contains(&format!(r#"action="/auth/submit/registration?flow={flow}""#)),
        "{html}"
    );
    assert!(!html.contains(&format!(r#"action="{kratos}"#)), "{html}");
    assert!(html.contains(r#"name="csrf_token""#));
    for label in [
        "Adresse e-mail",
        "Prénom",
        "Nom",
        "Langue préférée",
        "Créer un compte",
    ] {
        assert!(html.contains(label), "missing {label:?}");
    }
    assert!(html.contains(r#"name="traits.email""#));
    assert!(html.contains("Créez votre compte Bibind"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flow_without_its_csrf_cookie_or_unknown_starts_again() {
    let app = TestApp::spawn().await;
    let (flow, _cookie) = start_flow("login").await;
    let kratos = env("TEST_KRATOS_PUBLIC_URL");
    // The browser lost its CSRF cookie (or another browser replays the link).
    let response = app.get(&format!("/auth/login?flow={flow}")).await;
    assert!(response.status().is_redirection());
    assert!(response.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .starts_with(&format!("{kratos}/self-service/login/browser")));
    // An id Kratos never issued, and one that is not even an id.
    for id in ["0b9c0c8e-96a1-4d51-9a39-0f6e1c2b7d11", "<script>"] {
        let response = app.get(&format!("/auth/login?flow={id}")).await;
        assert!(response.status().is_redirection(), "{id}");
        assert!(
            response.headers()[header::LOCATION]
                .to_str()
                .unwrap()
                .starts_with(&kratos),
            "{id}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_out_visitors_are_offered_to_sign_in_and_up() {
    let app = TestApp::spawn().await;
    let html = app.get("/").await.text().await.unwrap();
    assert!(html.contains(r#"href="/auth/signin""#));
    assert!(html.contains(r#"href="/auth/registration""#));
    assert!(!html.contains("data-signed-in"));
    // Signing out without a session just comes home.
    let response = app.get("/auth/logout").await;
    assert!(response.status().is_redirection());
    assert_eq!(response.headers()[header::LOCATION], "/");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn portal_forms_refuse_a_missing_or_forged_csrf_token() {
    let app = TestApp::spawn().await;
    // Back to the form, saying it had expired, with nothing done.
    for (path, body, back) in [
        (
            "/account/sessions/revoke",
            "csrf_token=forged",
            "/account/sessions?refused=form_expired",
        ),
        (
            "/auth/consent/decision",
            "consent_challenge=x&csrf_token=forged&decision=allow",
            "/auth/consent?refused=form_expired&consent_challenge=x",
        ),
    ] {
        let response = app
            .client
            .post(app.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", "bibind_sessions_csrf=other; bibind_consent_csrf=other")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(response.headers()[header::LOCATION], back, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sessions_page_sends_signed_out_visitors_to_sign_in() {
    let app = TestApp::spawn().await;
    let response = app.get("/account/sessions").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()[header::LOCATION],
        "/auth/signin?return_to=/account/sessions"
    );
}
