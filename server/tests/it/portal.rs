//! Black-box tests of the server: each spawns the real application on a free
//! port with its own database, and talks HTTP to it.

use crate::support;
use control::{clock::FixedClock, domain::AdminAccess};
use reqwest::StatusCode;
use support::TestApp;
use time::{Duration, OffsetDateTime};

async fn body(response: reqwest::Response) -> String {
    response.text().await.expect("a text body")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_says_alive() {
    let app = TestApp::spawn().await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body(response).await, r#"{"status":"alive"}"#);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_checks_the_database_and_each_backend() {
    let app = TestApp::spawn().await;
    let response = app.get_operations("/readyz").await;
    assert_eq!(response.status(), StatusCode::OK);
    let report: serde_json::Value = response.json().await.unwrap();
    assert_eq!(report["status"], "ready");
    let checks = report["checks"].as_array().unwrap();
    let names: Vec<&str> = checks.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["database", "vault", "kratos", "hydra", "mqtt", "smtp"]);
    assert!(checks.iter().all(|c| c["status"] == "up"), "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_is_503_and_names_the_backend_that_is_down() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = closed.local_addr().unwrap().to_string();
    drop(closed);
    let app = TestApp::builder().mqtt_address(&address).spawn().await;
    let response = app.get_operations("/readyz").await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let text = body(response).await;
    // Names and reasons only: no address, no backend's own words.
    assert!(
        !text.contains(&address) && !text.contains("127.0.0.1") && !text.contains("://"),
        "{text}"
    );
    let report: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(report["status"], "not ready");
    let mqtt = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "mqtt")
        .unwrap();
    assert_eq!(mqtt["status"], "down");
    assert_eq!(mqtt["error"], "unreachable", "{mqtt}");
    let database = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "database")
        .unwrap();
    assert_eq!(database["status"], "up");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn landing_page_presents_the_catalog_in_english_by_default() {
    let app = TestApp::spawn().await;
    let response = app.get("/").await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = body(response).await;
    assert!(html.contains(r#"<html lang="en""#), "{html}");
    for text in [
        "E-commerce",
        "Training",
        "IoT",
        "Starter",
        "Business",
        "Academy",
        "Fleet",
        "€49",
        "€399",
        "per month",
    ] {
        assert!(html.contains(text), "missing {text:?}");
    }
    assert!(html.contains("30 user seats"));
    assert!(html.contains("1,000 devices"));
    assert!(html.contains("1 OpenStack instance<"), "singular for one");
    assert!(html.contains("Activated after review by our team"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn yearly_billing_is_a_plain_link_rendered_by_the_server() {
    let app = TestApp::spawn().await;
    let html = body(app.get("/?billing=yearly").await).await;
    assert!(
        html.contains("€490") && html.contains("per year"),
        "yearly prices: ten months"
    );
    assert!(!html.contains("per month"));
    assert!(html.contains(r#"href="/?billing=monthly#offers""#));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn landing_page_speaks_french_from_accept_language() {
    let app = TestApp::spawn().await;
    let html = body(
        app.get_with("/", &[("accept-language", "fr-FR,fr;q=0.9,en;q=0.5")])
            .await,
    )
    .await;
    assert!(html.contains(r#"<html lang="fr""#));
    for text in [
        "Formation",
        "Démarrage",
        "49\u{a0}€",
        "par mois",
        "Offres et formules",
        "Activé après validation",
    ] {
        assert!(html.contains(text), "missing {text:?}");
    }
    assert!(!html.contains("per month"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_language_cookie_wins_over_accept_language() {
    let app = TestApp::spawn().await;
    let html = body(
        app.get_with("/", &[("accept-language", "fr"), ("cookie", "bibind_locale=en")])
            .await,
    )
    .await;
    assert!(html.contains(r#"<html lang="en""#));
    assert!(html.contains("Offers and plans"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retired_plans_leave_the_landing_page() {
    let today = OffsetDateTime::now_utc();
    let clock = FixedClock::new(today);
    let app = TestApp::builder().clock(clock.clone()).spawn().await;
    let operator = support::person("operator");
    let admin = support::tenancy::platform_admin(&app, &operator).await;
    // An admin took Starter off sale yesterday; Lab leaves the catalog in
    // thirty days (retired then, seen from today).
    for (code, when) in [
        ("shop-starter", today - Duration::days(1)),
        ("iot-lab", today + Duration::days(30)),
    ] {
        clock.set(when);
        let AdminAccess::Granted(plans) = app.control.admin_plans(Some(&admin)).await.unwrap() else {
            panic!("the operator sees the plans");
        };
        let version = plans.iter().find(|plan| plan.code == code).unwrap().version;
        app.control
            .set_plan_on_sale(Some(&admin), &operator, code, version, false)
            .await
            .unwrap()
            .unwrap();
    }
    clock.set(today);
    let html = body(app.get("/").await).await;
    assert!(!html.contains(r#"data-plan="shop-starter""#));
    assert!(html.contains(r#"data-plan="shop-business""#));
    // Retirement scheduled for later: still on sale today.
    assert!(html.contains(r#"data-plan="iot-lab""#));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_catalog_server_function_answers_json() {
    let app = TestApp::spawn().await;
    let response = app.get("/api/catalog").await;
    assert_eq!(response.status(), StatusCode::OK);
    let offers: Vec<control::domain::Offer> = response.json().await.unwrap();
    let kinds: Vec<&str> = offers.iter().map(|o| o.kind.code()).collect();
    assert_eq!(kinds, ["ecommerce", "training", "iot"]);
    assert!(offers.iter().all(|o| o.plans.len() == 3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_routes_get_the_404_page_in_the_visitors_language() {
    let app = TestApp::spawn().await;
    let response = app.get_with("/no/such/page", &[("accept-language", "fr")]).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let html = body(response).await;
    assert!(html.contains("Page introuvable"));
    assert!(html.contains(r#"<html lang="fr""#));

    let response = app.get("/locale/de").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(body(response).await.contains("Page not found"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_page_gets_the_500_page_without_the_cause() {
    let app = TestApp::spawn().await;
    sqlx::query("DROP TABLE plans CASCADE")
        .execute(&app.pool)
        .await
        .unwrap();
    let response = app.get_with("/", &[("accept-language", "fr")]).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let html = body(response).await;
    assert!(html.contains("Une erreur est survenue"), "{html}");
    assert!(!html.contains("relation"), "the SQL error leaked: {html}");

    let response = app.get("/").await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(body(response).await.contains("Something went wrong"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_carry_security_headers_and_a_script_nonce() {
    let app = TestApp::spawn().await;
    let response = app.get("/").await;
    let headers = response.headers().clone();
    let csp = headers["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("'wasm-unsafe-eval'"), "{csp}");
    assert!(csp.contains("form-action 'self'"), "{csp}");
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce in the CSP")
        .to_owned();
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "strict-origin-when-cross-origin");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert!(
        headers.get("strict-transport-security").is_none(),
        "no HSTS over plain HTTP"
    );
    let html = body(response).await;
    assert!(
        html.contains(&format!(r#"nonce="{nonce}""#)),
        "the hydration script carries the nonce"
    );

    // A second page gets another nonce.
    let other = app.get("/").await;
    assert!(!other.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains(&nonce));

    let probe = app.get("/healthz").await;
    assert!(probe.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("default-src 'none'"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_has_a_request_id_and_keeps_a_given_one() {
    let app = TestApp::spawn().await;
    let response = app.get("/healthz").await;
    let generated = response.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(uuid::Uuid::parse_str(&generated).map(|_| ()), Ok(()));
    let response = app.get_with("/healthz", &[("x-request-id", "abc-123")]).await;
    assert_eq!(response.headers()["x-request-id"], "abc-123");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_and_time_requests_by_route() {
    let app = TestApp::spawn().await;
    app.get("/").await;
    app.get("/healthz").await;
    app.get("/does-not-exist-1").await;
    app.get("/does-not-exist-2").await;
    let response = app.get_operations("/metrics").await;
    assert_eq!(response.status(), StatusCode::OK);
    let text = body(response).await;
    assert!(
        text.contains(r#"http_requests_total{method="GET",route="/",status="200"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(r#"http_requests_total{method="GET",route="/healthz",status="200"} 1"#),
        "{text}"
    );
    // Unknown paths share one label, so scanners cannot blow up cardinality.
    assert!(
        text.contains(r#"http_requests_total{method="GET",route="unmatched",status="404"} 2"#),
        "{text}"
    );
    assert!(
        text.contains(r#"http_request_duration_seconds_bucket{le="0.005",method="GET",route="/"}"#)
            || text.contains(r#"http_request_duration_seconds_bucket{method="GET",route="/",le="0.005"}"#),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_language_switch_sets_a_cookie_and_returns_to_the_page() {
    let app = TestApp::spawn().await;
    let response = app.get("/locale/fr?return_to=/some/page").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/some/page");
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("bibind_locale=fr;"), "{cookie}");
    assert!(
        cookie.contains("SameSite=Lax") && cookie.contains("Path=/"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "not over plain HTTP");

    for hostile in ["//evil.example/", "https://evil.example/", "/\\evil.example"] {
        let response = app
            .client
            .get(app.url("/locale/en"))
            .query(&[("return_to", hostile)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["location"], "/", "{hostile}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn responses_are_compressed_when_the_client_accepts_it() {
    let app = TestApp::spawn().await;
    let response = app.get_with("/", &[("accept-encoding", "gzip")]).await;
    assert_eq!(response.headers()["content-encoding"], "gzip");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn built_assets_are_served_with_a_fingerprint_and_long_caching() {
    let site = std::env::temp_dir().join(format!("bibind-site-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(site.join("pkg")).unwrap();
    std::fs::write(site.join("pkg/bibind.css"), "body{margin:0}").unwrap();
    std::fs::write(
        site.join("favicon.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
    )
    .unwrap();
    let app = TestApp::builder().site_root(site.clone()).spawn().await;

    let html = body(app.get("/").await).await;
    let start = html
        .find("/pkg/bibind.css?v=")
        .expect("a fingerprinted stylesheet link");
    let version: String = html[start + "/pkg/bibind.css?v=".len()..]
        .chars()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect();
    assert_eq!(version.len(), 16, "{version}");

    let css = app.get(&format!("/pkg/bibind.css?v={version}")).await;
    assert_eq!(css.status(), StatusCode::OK);
    assert_eq!(
        css.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(body(css).await, "body{margin:0}");
    assert_eq!(app.get("/favicon.svg").await.status(), StatusCode::OK);
    std::fs::remove_dir_all(site).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_port_in_use_is_named_at_start_up() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap();
    let (config, _) = TestApp::builder().listen(address).config().await;
    let error = server::Application::build(config)
        .await
        .err()
        .expect("binding fails")
        .to_string();
    assert!(error.contains(&address.to_string()), "{error}");
    assert!(error.contains("another process"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_in_flight_requests_then_stops_listening() {
    let (config, _) = TestApp::builder().config().await;
    let app = server::Application::build(config).await.unwrap();
    let address = app.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::new();
    let in_flight = tokio::spawn({
        let client = client.clone();
        async move {
            client
                .get(format!("http://{address}/"))
                .send()
                .await
                .map(|r| r.status())
        }
    });
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    stop.send(()).unwrap();
    assert_eq!(in_flight.await.unwrap().unwrap(), StatusCode::OK);
    tokio::time::timeout(std::time::Duration::from_secs(10), server)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(client
        .get(format!("http://{address}/healthz"))
        .send()
        .await
        .is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_and_metrics_are_not_served_to_the_public() {
    let app = TestApp::spawn().await;
    for path in ["/readyz", "/metrics"] {
        assert_eq!(app.get(path).await.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(app.get_operations(path).await.status().is_success(), "{path}");
    }
    // Liveness says nothing and stays where load balancers look.
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
    assert!(
        app.operations_url.starts_with("http://127.0.0.1:"),
        "{}",
        app.operations_url
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_probes_cannot_be_used_to_hammer_the_backends() {
    // A "broker" that counts the connections made to it.
    let broker = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = broker.local_addr().unwrap().to_string();
    let connections = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = connections.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = broker.accept().await {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            drop(stream);
        }
    });
    let app = TestApp::builder().mqtt_address(&address).spawn().await;
    let (first, second) = tokio::join!(app.get_operations("/readyz"), app.get_operations("/readyz"));
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(second.status(), StatusCode::OK);
    app.get_operations("/readyz").await;
    assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 1);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    app.get_operations("/readyz").await;
    assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 2);
}
