//! A cookie-keeping HTTP client that walks redirect chains the way a
//! browser does, for sign-in round trips through the real Kratos and Hydra.
//! Hydra sends the browser to the login/consent/logout URLs of the portal it
//! was configured with (the end-to-end portal); those are rewritten to the
//! test's own portal.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use reqwest::{cookie::CookieStore, header, StatusCode, Url};

use super::env;

pub const PASSWORD: &str = "correct horse battery staple";

pub struct Browser {
    pub client: reqwest::Client,
    jar: Arc<reqwest::cookie::Jar>,
    portal: String,
}

/// Where a walk through redirects stopped.
pub struct Landed {
    pub url: String,
    pub status: StatusCode,
    pub body: String,
}

impl Browser {
    pub fn new(portal_base_url: &str) -> Self {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        // A hung server fails the test with the URL rather than stalling the run.
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(30))
            .cookie_provider(jar.clone())
            .build()
            .unwrap();
        Self {
            client,
            jar,
            portal: portal_base_url.trim_end_matches('/').to_owned(),
        }
    }

    /// The value of cookie `name` as the browser would send it to `url`.
    pub fn cookie(&self, url: &str, name: &str) -> Option<String> {
        self.cookie_header(url)?
            .split("; ")
            .find_map(|pair| pair.strip_prefix(&format!("{name}=")).map(str::to_owned))
    }

    /// The `Cookie` header this browser sends to `url`: every cookie it holds for that host.
    pub fn cookie_header(&self, url: &str) -> Option<String> {
        let header = self.jar.cookies(&Url::parse(url).unwrap())?;
        Some(header.to_str().unwrap().to_owned())
    }

    /// Puts a cookie in the jar for `url`, as a page's `Set-Cookie` would.
    pub fn add_cookie(&self, url: &str, cookie: &str) {
        self.jar.add_cookie_str(cookie, &Url::parse(url).unwrap());
    }

    /// URLs of the end-to-end portal (where Hydra's login, consent and
    /// logout URLs point) go to this test's portal instead.
    fn rewrite(&self, url: &str) -> String {
        let e2e = format!("http://localhost:{}", env("TEST_PORTAL_PORT"));
        match url.strip_prefix(&e2e) {
            Some(rest) => format!("{}{rest}", self.portal),
            None => url.to_owned(),
        }
    }

    /// GETs `url` and follows redirects until a page answers or `stop` says
    /// the next URL must not be followed.
    pub async fn walk(&self, url: &str, stop: impl Fn(&str) -> bool) -> Landed {
        self.try_walk(url, stop)
            .await
            .unwrap_or_else(|error| panic!("{error}"))
    }

    /// As [`Self::walk`], with a request that got no answer (refused, reset,
    /// timed out) as an error rather than a panic.
    pub async fn try_walk(&self, url: &str, stop: impl Fn(&str) -> bool) -> Result<Landed, String> {
        let mut url = self.rewrite(url);
        for _ in 0..25 {
            let response = match self
                .client
                .get(&url)
                .header(header::ACCEPT, "text/html")
                .send()
                .await
            {
                Ok(response) => response,
                Err(error) => return Err(format!("GET {url}: {error:?}")),
            };
            let status = response.status();
            if !status.is_redirection() {
                let body = response
                    .text()
                    .await
                    .map_err(|error| format!("GET {url}: {error:?}"))?;
                return Ok(Landed { url, status, body });
            }
            let location = response.headers()[header::LOCATION].to_str().unwrap();
            let next = Url::parse(&url).unwrap().join(location).unwrap().to_string();
            let next = self.rewrite(&next);
            if stop(&next) {
                return Ok(Landed {
                    url: next,
                    status,
                    body: String::new(),
                });
            }
            url = next;
        }
        Err(format!("more than 25 redirects, last at {url}"))
    }

    pub async fn follow(&self, url: &str) -> Landed {
        self.walk(url, |_| false).await
    }

    /// Starts a Kratos browser flow as a browser does (Kratos sets its CSRF
    /// cookie); returns the flow id and the CSRF token its form carries.
    pub async fn start_kratos_flow(&self, kind: &str) -> (String, String) {
        let kratos = env("TEST_KRATOS_PUBLIC_URL");
        let start = self
            .client
            .get(format!("{kratos}/self-service/{kind}/browser"))
            .send()
            .await
            .unwrap();
        assert_eq!(start.status(), StatusCode::SEE_OTHER);
        let location = start.headers()[header::LOCATION].to_str().unwrap().to_owned();
        let flow = location.split("flow=").nth(1).unwrap().to_owned();
        let flow_json: serde_json::Value = self
            .client
            .get(format!("{kratos}/self-service/{kind}/flows?id={flow}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let csrf = flow_json["ui"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["attributes"]["name"] == "csrf_token")
            .and_then(|n| n["attributes"]["value"].as_str())
            .unwrap()
            .to_owned();
        (flow, csrf)
    }

    /// The page at `url` (no redirect followed) in `language`.
    pub async fn page_in(&self, url: &str, language: &str) -> String {
        self.client
            .get(url)
            .header(header::ACCEPT_LANGUAGE, language)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// Posts `body` as `content_type` (a multipart form a test writes out).
    pub async fn post_raw(&self, url: &str, content_type: &str, body: String) -> reqwest::Response {
        self.client
            .post(url)
            .header(header::ACCEPT, "text/html")
            .header(header::CONTENT_TYPE, content_type)
            .body(body)
            .send()
            .await
            .unwrap()
    }

    /// Posts a form as a browser does (no redirect followed).
    pub async fn post_form(&self, url: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.post_form_with(url, fields, &[]).await
    }

    /// As `post_form`, with these headers too (`X-Forwarded-For` …).
    pub async fn post_form_with(
        &self,
        url: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut request = self
            .client
            .post(url)
            .header(header::ACCEPT, "text/html")
            .form(fields);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send().await.unwrap()
    }

    /// Signs in at Kratos with a browser flow (its CSRF cookie, then the
    /// form post), leaving the Kratos session cookie in the jar.
    pub async fn sign_in_at_kratos(&self, email: &str, password: &str) {
        let kratos = env("TEST_KRATOS_PUBLIC_URL");
        let (flow, csrf) = self.start_kratos_flow("login").await;
        let submitted = self
            .post_form(
                &format!("{kratos}/self-service/login?flow={flow}"),
                &[
                    ("identifier", email),
                    ("password", password),
                    ("method", "password"),
                    ("csrf_token", &csrf),
                ],
            )
            .await;
        assert_eq!(
            submitted.status(),
            StatusCode::SEE_OTHER,
            "Kratos refused the sign-in"
        );
        assert!(self.cookie(&kratos, "ory_kratos_session").is_some());
    }
}

/// Creates a Kratos identity with a password and its address verified (as
/// after following the code Kratos mailed); returns its id.
pub async fn create_identity(email: &str, password: &str) -> String {
    create_identity_with(email, password, true).await
}

/// Creates a Kratos identity whose address nobody has proven yet.
pub async fn create_unverified_identity(email: &str, password: &str) -> String {
    create_identity_with(email, password, false).await
}

async fn create_identity_with(email: &str, password: &str, verified: bool) -> String {
    let mut body = serde_json::json!({
        "schema_id": "bibind-user",
        "traits": { "email": email, "name": { "first": "Ada", "last": "Lovelace" }, "locale": "en" },
        "credentials": { "password": { "config": { "password": password } } }
    });
    if verified {
        body["verifiable_addresses"] = serde_json::json!([
            { "value": email, "verified": true, "via": "email", "status": "completed" }
        ]);
    }
    let response = reqwest::Client::new()
        .post(format!("{}/admin/identities", env("TEST_KRATOS_ADMIN_URL")))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Creates an identity whose `traits.locale` is `locale`, address
/// unverified, no credentials; returns its id.
pub async fn create_identity_speaking(locale: &str, email: &str) -> String {
    let response = reqwest::Client::new()
        .post(format!("{}/admin/identities", env("TEST_KRATOS_ADMIN_URL")))
        .json(&serde_json::json!({
            "schema_id": "bibind-user",
            "traits": { "email": email, "name": { "first": "Camille", "last": "Martin" }, "locale": locale },
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::CREATED,
        "{:?}",
        response.text().await
    );
    response.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Marks the identity's address verified, as Kratos does when the code it
/// mailed is used.
pub async fn verify_address(identity_id: &str) {
    let response = reqwest::Client::new()
        .patch(format!(
            "{}/admin/identities/{identity_id}",
            env("TEST_KRATOS_ADMIN_URL")
        ))
        .json(&serde_json::json!([
            { "op": "replace", "path": "/verifiable_addresses/0/verified", "value": true },
            { "op": "replace", "path": "/verifiable_addresses/0/status", "value": "completed" }
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{:?}", response.text().await);
}

pub fn unique_email(name: &str) -> String {
    format!("{name}.{}@example.com", uuid::Uuid::new_v4().simple())
}

/// Someone with a Kratos account, signed in to a test portal in their own browser.
pub struct Person {
    pub browser: Browser,
    pub email: String,
    pub identity_id: String,
}

impl Person {
    /// Creates the account and signs in at `portal` (through Kratos and Hydra).
    pub async fn signed_in(portal_base_url: &str, name: &str) -> Self {
        let email = unique_email(name);
        let identity_id = create_identity(&email, PASSWORD).await;
        Self::sign_in_as(portal_base_url, email, identity_id).await
    }

    /// Someone who signed up but has not verified their address yet.
    pub async fn signed_in_unverified(portal_base_url: &str, name: &str) -> Self {
        let email = unique_email(name);
        let identity_id = create_unverified_identity(&email, PASSWORD).await;
        Self::sign_in_as(portal_base_url, email, identity_id).await
    }

    async fn sign_in_as(portal_base_url: &str, email: String, identity_id: String) -> Self {
        let browser = Browser::new(portal_base_url);
        browser.sign_in_at_kratos(&email, PASSWORD).await;
        browser
            .follow(&format!("{}/auth/signin", portal_base_url.trim_end_matches('/')))
            .await;
        Self {
            browser,
            email,
            identity_id,
        }
    }

    /// Who they are to the control plane.
    pub fn caller(&self) -> control::Caller {
        control::Caller {
            identity_id: self.identity_id.clone(),
            email: self.email.clone(),
            email_verified: true,
            request_id: None,
            ip: None,
            token: None,
        }
    }
}

/// The value of the first hidden `csrf_token` field of a page.
pub fn csrf_token_in(body: &str) -> String {
    body.split("name=\"csrf_token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the page has a form with a CSRF token")
        .to_owned()
}
