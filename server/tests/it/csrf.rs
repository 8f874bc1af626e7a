//! The portal's own forms against cross-site request forgery: every token is
//! bound to the portal session (no cookie can carry one in from a sibling
//! subdomain), a post another site made the browser send is refused by its
//! `Origin` / `Sec-Fetch-Site`, and honest posts, from several tabs, still
//! work. Sign-out is such a form too; a GET only asks. Every portal answer
//! says `Cache-Control: no-store`.

use reqwest::{header, StatusCode};

use crate::support::{
    browser::{csrf_token_in, Browser, Person},
    env, TestApp,
};

async fn organizations(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM organizations")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

async fn new_org_token(app: &TestApp, browser: &Browser) -> String {
    csrf_token_in(&browser.follow(&app.url("/orgs/new")).await.body)
}

/// Posts the new-organization form for `slug` with `token` and extra headers.
async fn create_org(
    app: &TestApp,
    browser: &Browser,
    token: &str,
    slug: &str,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut request = browser
        .client
        .post(app.url("/orgs/new"))
        .header(header::ACCEPT, "text/html")
        .form(&[
            ("csrf_token", token),
            ("name", "Acme Formation"),
            ("slug", slug),
            ("country", "FR"),
            ("billing_email", "billing@acme.example"),
        ]);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

fn location(response: &reqwest::Response) -> String {
    response.headers()[header::LOCATION].to_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_token_from_another_persons_session_is_refused_even_with_a_planted_cookie() {
    let app = TestApp::builder().oidc().spawn().await;
    let victim = Person::signed_in(&app.base_url, "victim").await;
    let attacker = Person::signed_in(&app.base_url, "attacker").await;
    // The attacker's own, valid token, and (as a sibling subdomain could)
    // every cookie that once carried a form token, planted in the victim's browser.
    let token = new_org_token(&app, &attacker.browser).await;
    for cookie in [
        "bibind_new_org_csrf",
        "bibind_org_csrf",
        "__Host-bibind_new_org_csrf",
    ] {
        victim
            .browser
            .add_cookie(&app.url("/orgs"), &format!("{cookie}={token}; Path=/"));
    }

    let forged = create_org(&app, &victim.browser, &token, "acme-forged", &[]).await;
    assert_eq!(forged.status(), StatusCode::SEE_OTHER);
    let back = location(&forged);
    assert!(back.starts_with("/orgs/new?"), "{back}");
    assert!(back.contains("refused=form_expired"), "{back}");
    let page = victim.browser.follow(&app.url(&back)).await;
    assert!(page.body.contains("This form had expired") || page.body.contains("avait expiré"));
    assert!(
        page.body.contains("value=\"acme-forged\""),
        "what was typed comes back"
    );
    assert_eq!(organizations(&app).await, 0, "nothing written");

    // The victim's own token works, from any of their tabs (one per session).
    let first_tab = new_org_token(&app, &victim.browser).await;
    let second_tab = new_org_token(&app, &victim.browser).await;
    assert_eq!(first_tab, second_tab);
    assert_ne!(first_tab, token, "each session has its own token");
    let honest = create_org(&app, &victim.browser, &first_tab, "acme-honest", &[]).await;
    assert_eq!(location(&honest), "/orgs/acme-honest");
    assert_eq!(organizations(&app).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_sent_by_another_site_or_a_sibling_subdomain_is_refused_and_writes_nothing() {
    let app = TestApp::builder().oidc().spawn().await;
    let person = Person::signed_in(&app.base_url, "target").await;
    // Even with the right token (as if the other site had read it somehow).
    let token = new_org_token(&app, &person.browser).await;
    for headers in [
        &[("origin", "http://evil.example")][..],
        &[("origin", "null")][..],
        &[("sec-fetch-site", "cross-site")][..],
        &[
            ("sec-fetch-site", "same-site"),
            ("origin", "http://tenant.localhost"),
        ][..],
    ] {
        let refused = create_org(&app, &person.browser, &token, "acme-cross", headers).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{headers:?}");
        assert_eq!(refused.headers()[header::CACHE_CONTROL], "no-store");
        let body = refused.text().await.unwrap();
        assert!(body.contains(">403<"), "the 403 page: {body}");
    }
    assert_eq!(organizations(&app).await, 0, "nothing written");

    // The same post from the portal's own page goes through.
    let origin = app.base_url.clone();
    let honest = create_org(
        &app,
        &person.browser,
        &token,
        "acme-same",
        &[("origin", origin.as_str()), ("sec-fetch-site", "same-origin")],
    )
    .await;
    assert_eq!(location(&honest), "/orgs/acme-same");
    assert_eq!(organizations(&app).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consent_decision_needs_the_token_of_the_browsers_own_session() {
    let app = TestApp::spawn().await;
    // A signed-out browser gets its token with the page that asks (a
    // session starts for it); a token from another browser is refused.
    let other = Browser::new(&app.base_url);
    let theirs = other
        .client
        .post(app.url("/auth/consent/decision"))
        .form(&[
            ("consent_challenge", "x"),
            ("csrf_token", "0123456789abcdef0123456789abcdef"),
            ("decision", "allow"),
        ])
        .header(
            header::COOKIE,
            "bibind_consent_csrf=0123456789abcdef0123456789abcdef",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        location(&theirs),
        "/auth/consent?refused=form_expired&consent_challenge=x"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_to_sign_out_only_asks_and_a_forged_sign_out_changes_nothing() {
    let app = TestApp::builder().oidc().spawn().await;
    let person = Person::signed_in(&app.base_url, "leaver").await;
    let browser = &person.browser;
    let signed_in = async || {
        browser
            .follow(&app.url("/"))
            .await
            .body
            .contains("data-signed-in")
    };
    assert!(signed_in().await);

    // An <img src="/auth/logout"> or a link: a question, nothing ended.
    let asked = browser.follow(&app.url("/auth/logout")).await;
    assert_eq!(asked.status, StatusCode::OK);
    assert!(asked.body.contains("data-confirm-sign-out"), "{}", asked.body);
    assert!(signed_in().await);
    let token = csrf_token_in(&asked.body);
    let header_token = csrf_token_in(&browser.follow(&app.url("/")).await.body);
    assert_eq!(
        token, header_token,
        "the header's sign-out button carries the same token"
    );

    // Posted by another site, or without the session's token: nothing ended.
    let cross = browser
        .client
        .post(app.url("/auth/logout"))
        .header("origin", "http://evil.example")
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), StatusCode::FORBIDDEN);
    let forged = browser
        .post_form(
            &app.url("/auth/logout"),
            &[("csrf_token", "0123456789abcdef0123456789abcdef")],
        )
        .await;
    assert_eq!(location(&forged), "/auth/logout?refused=form_expired");
    assert!(signed_in().await);

    // The person's own post signs them out, at Kratos too.
    let out = browser
        .post_form(&app.url("/auth/logout"), &[("csrf_token", token.as_str())])
        .await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    let landed = browser.follow(&location_url(&app, &out)).await;
    assert_eq!(landed.status, StatusCode::OK, "{}", landed.url);
    assert!(!signed_in().await);
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
}

/// An absolute URL for a response's `Location`.
fn location_url(app: &TestApp, response: &reqwest::Response) -> String {
    let location = location(response);
    if location.starts_with('/') {
        app.url(&location)
    } else {
        location
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logout_an_application_asks_hydra_for_is_confirmed_by_the_person_first() {
    let app = TestApp::builder().oidc().spawn().await;
    let person = Person::signed_in(&app.base_url, "asked").await;
    let browser = &person.browser;
    // Any page can send the browser to Hydra's logout endpoint.
    let hydra = env("TEST_HYDRA_PUBLIC_URL");
    let asked = browser
        .walk(&format!("{hydra}/oauth2/sessions/logout"), |_| false)
        .await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.url);
    assert!(
        asked.url.contains("/auth/logout?logout_challenge="),
        "{}",
        asked.url
    );
    assert!(asked.body.contains("data-asked-by-application"), "{}", asked.body);
    let kratos_whoami = format!("{}/sessions/whoami", env("TEST_KRATOS_PUBLIC_URL"));
    let still = browser.client.get(&kratos_whoami).send().await.unwrap();
    assert_eq!(
        still.status(),
        StatusCode::OK,
        "nothing ended before the person says so"
    );

    // They confirm: the challenge is accepted, the sessions end.
    let challenge = asked
        .body
        .split("name=\"logout_challenge\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the challenge in the form")
        .to_owned();
    let confirmed = browser
        .post_form(
            &app.url("/auth/logout"),
            &[
                ("csrf_token", csrf_token_in(&asked.body).as_str()),
                ("logout_challenge", challenge.as_str()),
            ],
        )
        .await;
    assert_eq!(confirmed.status(), StatusCode::SEE_OTHER);
    browser.follow(&location_url(&app, &confirmed)).await;
    let ended = browser.client.get(&kratos_whoami).send().await.unwrap();
    assert_eq!(ended.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_in_pages_server_functions_and_exports_are_never_stored_by_caches() {
    let app = TestApp::builder().oidc().spawn().await;
    let person = Person::signed_in(&app.base_url, "cached").await;
    for path in [
        "/orgs",
        "/orgs/new",
        "/account/sessions",
        "/api/auth/whoami",
        "/admin/audit.csv",
    ] {
        let response = person
            .browser
            .client
            .get(app.url(path))
            .header(header::ACCEPT, "text/html")
            .send()
            .await
            .unwrap();
        assert_eq!(
            response
                .headers()
                .get(header::CACHE_CONTROL)
                .map(|v| v.to_str().unwrap()),
            Some("no-store"),
            "{path} answered {}",
            response.status()
        );
    }
}

/// A stand-in for Kratos' public API that records the `Cookie` header of
/// every request and knows no flow.
async fn recording_kratos() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use axum::{http::HeaderMap, routing::any, Router};
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let recorded = seen.clone();
    let app = Router::new().fallback(any(move |headers: HeaderMap| {
        let recorded = recorded.clone();
        async move {
            let cookie = headers
                .get(header::COOKIE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            recorded.lock().unwrap().push(cookie);
            (axum::http::StatusCode::NOT_FOUND, "{}")
        }
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_portal_session_cookie_never_reaches_kratos() {
    let (kratos, seen) = recording_kratos().await;
    let (mut config, _database) = TestApp::builder().config().await;
    config.kratos = Some(server::config::OryConfig {
        public_url: kratos,
        admin_url: env("TEST_KRATOS_ADMIN_URL"),
        internal_url: None,
    });
    let app = server::Application::build(config).await.unwrap();
    let base = format!("http://127.0.0.1:{}", app.local_addr().port());
    tokio::spawn(app.run_until_stopped(std::future::pending()));

    // A page that fetches a Kratos flow with the browser's cookies.
    let flow = uuid::Uuid::new_v4();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{base}/auth/login?flow={flow}"))
        .header(
            header::COOKIE,
            "bibind_session=portal-secret; csrf_token_806060ca=kratos-csrf; bibind_locale=fr; \
             __Host-bibind_session=portal-secret-too",
        )
        .send()
        .await
        .unwrap();
    let seen = seen.lock().unwrap().clone();
    assert!(!seen.is_empty(), "the portal asked Kratos for the flow");
    for cookie in &seen {
        assert_eq!(cookie, "csrf_token_806060ca=kratos-csrf", "Kratos saw: {cookie}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_out_browser_posts_with_the_token_its_page_started_a_session_with() {
    let app = TestApp::spawn().await;
    // Pages without a form for signed-out visitors start no session.
    for path in ["/", "/auth/logout", "/orgs/new"] {
        let response = app.get(path).await;
        assert!(
            response.headers().get(header::SET_COOKIE).is_none(),
            "{path} set {:?}",
            response.headers().get(header::SET_COOKIE)
        );
    }
    // The question an application's logout request leads to, asked of a
    // browser without a portal session (as the consent question can be).
    let question = "/auth/logout?logout_challenge=not-a-real-challenge";
    let mine = Browser::new(&app.base_url);
    let page = mine.follow(&app.url(question)).await;
    assert!(page.body.contains("data-confirm-sign-out"), "{}", page.body);
    assert!(
        mine.cookie(&app.url("/"), "bibind_session").is_some(),
        "the page started a session to hold its token"
    );
    let token = csrf_token_in(&page.body);
    let other = Browser::new(&app.base_url);
    let theirs = csrf_token_in(&other.follow(&app.url(question)).await.body);
    assert_ne!(token, theirs);

    let fields = |token: &str| {
        vec![
            ("csrf_token", token.to_owned()),
            ("logout_challenge", "not-a-real-challenge".to_owned()),
        ]
    };
    let refused = mine
        .client
        .post(app.url("/auth/logout"))
        .form(&fields(&theirs))
        .send()
        .await
        .unwrap();
    assert_eq!(
        location(&refused),
        "/auth/logout?refused=form_expired&logout_challenge=not-a-real-challenge"
    );
    // Its own token gets through to Hydra (which knows no such challenge).
    let accepted = mine
        .client
        .post(app.url("/auth/logout"))
        .form(&fields(&token))
        .send()
        .await
        .unwrap();
    assert!(
        !location(&accepted).contains("form_expired"),
        "{}",
        location(&accepted)
    );
}
