//! A client of Kratos' public API for a server-rendered UI: flows are fetched
//! with the browser's cookies forwarded unchanged (Kratos checks its CSRF
//! cookie), never created from the server.

use std::time::Duration;

use reqwest::{header, StatusCode};
use serde::Deserialize;

use super::{upstream::TimedSend, Failure};
use crate::{
    domain::{ActiveSession, EmailAddress, FlowKind, FlowOutcome, SignedInUser},
    Error, Result,
};

const FAIL: Failure = Failure("kratos");
const UPSTREAM: &str = "kratos";

const TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone, Debug)]
pub struct Kratos {
    http: reqwest::Client,
    /// Kratos' public API as browsers reach it (flows start there).
    public_url: String,
    /// The same API as the portal reaches it: behind the ingress that
    /// refuses browsers' self-service posts, the portal relays them here.
    api_url: String,
    admin_url: Option<String>,
}

/// `request` with the browser's cookies that are Kratos' business: the
/// portal's own (see [`cookies_for_kratos`]) stay in the portal.
fn with_browser_cookies(request: reqwest::RequestBuilder, cookie: Option<&str>) -> reqwest::RequestBuilder {
    match cookie.and_then(cookies_for_kratos) {
        Some(cookie) => request.header(header::COOKIE, cookie),
        None => request,
    }
}

/// A browser's `Cookie` header without the portal's own cookies (its
/// session, whatever its prefix, its language, a pending invitation: every
/// `bibind_` cookie), which are no business of Kratos; `None` when nothing
/// is left.
pub fn cookies_for_kratos(browser_cookie: &str) -> Option<String> {
    let kept: Vec<&str> = browser_cookie
        .split(';')
        .map(str::trim)
        .filter(|pair| !pair.is_empty())
        .filter(|pair| {
            let name = pair.split_once('=').map_or(*pair, |(name, _)| name).trim();
            !is_portal_cookie(name)
        })
        .collect();
    (!kept.is_empty()).then(|| kept.join("; "))
}

/// The cookie in which Kratos keeps a browser's session: Kratos' default
/// name, which `deploy/ory/kratos.yml` keeps.
pub const KRATOS_SESSION_COOKIE: &str = "ory_kratos_session";

/// Whether a browser's `Cookie` header holds a Kratos session: without one
/// (only Kratos' or Hydra's CSRF cookies, say), whoami can only say no.
fn holds_session(browser_cookie: &str) -> bool {
    browser_cookie
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .any(|(name, value)| name == KRATOS_SESSION_COOKIE && !value.is_empty())
}

/// The browser's `Cookie` header once it has taken `set_cookies` (a
/// response's `Set-Cookie` values): each replaces the cookie of its name,
/// or removes it when it expires at once (`Max-Age` zero or less).
pub fn cookies_after(browser_cookie: Option<&str>, set_cookies: &[String]) -> String {
    let mut cookies: Vec<(String, String)> = browser_cookie
        .unwrap_or_default()
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect();
    for set_cookie in set_cookies {
        let mut parts = set_cookie.split(';');
        let Some((name, value)) = parts.next().and_then(|pair| pair.split_once('=')) else {
            continue;
        };
        let name = name.trim();
        let expired = parts.any(|attribute| {
            attribute.split_once('=').is_some_and(|(key, seconds)| {
                key.trim().eq_ignore_ascii_case("max-age")
                    && seconds.trim().parse::<i64>().is_ok_and(|s| s <= 0)
            })
        });
        cookies.retain(|(kept, _)| kept != name);
        if !expired {
            cookies.push((name.to_owned(), value.trim().to_owned()));
        }
    }
    cookies
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("; ")
}

fn is_portal_cookie(name: &str) -> bool {
    let unprefixed = name
        .strip_prefix("__Host-")
        .or_else(|| name.strip_prefix("__Secure-"))
        .unwrap_or(name);
    unprefixed.starts_with("bibind_")
}

#[derive(Deserialize)]
struct ErrorEnvelope {
    error: ErrorBody,
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    details: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct SessionBody {
    id: String,
    identity: IdentityBody,
    #[serde(default)]
    authenticator_assurance_level: Option<String>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    authenticated_at: Option<time::OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    expires_at: Option<time::OffsetDateTime>,
    #[serde(default)]
    authentication_methods: Option<Vec<AuthenticationMethod>>,
}

#[derive(Deserialize)]
struct AuthenticationMethod {
    #[serde(default)]
    method: String,
}

/// A browser's Kratos session.
#[derive(Debug, Clone, PartialEq)]
pub enum SessionCheck {
    SignedOut,
    /// The first factor is done; Kratos wants the second before the session counts.
    SecondFactorRequired,
    Active(KratosSession),
}

#[derive(Debug, Clone, PartialEq)]
pub struct KratosSession {
    pub id: String,
    pub user: SignedInUser,
    pub authenticated_at: Option<time::OffsetDateTime>,
    pub expires_at: Option<time::OffsetDateTime>,
    /// How the person proved who they are (`password`, `totp`, …), for the ID token's `amr`.
    pub methods: Vec<String>,
}

impl SessionBody {
    fn into_kratos_session(self) -> KratosSession {
        let name = self
            .identity
            .traits
            .name
            .map(|n| format!("{} {}", n.first, n.last).trim().to_owned())
            .unwrap_or_default();
        let email = self.identity.traits.email;
        let email_verified = is_verified(&self.identity.verifiable_addresses, &email);
        KratosSession {
            id: self.id,
            user: SignedInUser {
                identity_id: self.identity.id,
                email_verified,
                display_name: if name.is_empty() { email.clone() } else { name },
                email,
                assurance_level: self
                    .authenticator_assurance_level
                    .unwrap_or_else(|| "aal1".into()),
            },
            authenticated_at: self.authenticated_at,
            expires_at: self.expires_at,
            methods: self
                .authentication_methods
                .unwrap_or_default()
                .into_iter()
                .map(|m| m.method)
                .filter(|m| !m.is_empty())
                .collect(),
        }
    }
}

#[derive(Deserialize)]
struct IdentityBody {
    id: String,
    traits: Traits,
    #[serde(default)]
    verifiable_addresses: Vec<VerifiableAddress>,
}

#[derive(Deserialize)]
struct Traits {
    email: String,
    #[serde(default)]
    name: Option<Name>,
}

#[derive(Deserialize)]
struct Name {
    #[serde(default)]
    first: String,
    #[serde(default)]
    last: String,
}

#[derive(Deserialize)]
struct SessionSummary {
    id: String,
    #[serde(default)]
    authenticated_at: Option<String>,
    #[serde(default)]
    devices: Option<Vec<Device>>,
}

#[derive(Deserialize)]
struct Device {
    #[serde(default)]
    user_agent: Option<String>,
    #[serde(default)]
    ip_address: Option<String>,
}

impl SessionSummary {
    fn into_active(self, current: bool) -> ActiveSession {
        let device = self.devices.and_then(|d| d.into_iter().last());
        ActiveSession {
            id: self.id,
            current,
            authenticated_at: self.authenticated_at.unwrap_or_default(),
            user_agent: device.as_ref().and_then(|d| d.user_agent.clone()),
            ip_address: device.and_then(|d| d.ip_address),
        }
    }
}

#[derive(Deserialize)]
struct LogoutBody {
    logout_url: String,
}

impl Kratos {
    /// A client of the public API, and of the admin API when `admin_url` is given.
    pub fn new(public_url: &str, admin_url: Option<&str>) -> Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| FAIL.because(format!("cannot build the HTTP client: {e}")))?;
        let public_url = public_url.trim_end_matches('/').to_owned();
        Ok(Self {
            http,
            api_url: public_url.clone(),
            public_url,
            admin_url: admin_url.map(|url| url.trim_end_matches('/').to_owned()),
        })
    }

    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// Calls Kratos' public API at `url` rather than where browsers reach it
    /// (`[kratos] internal_url`).
    pub fn with_internal_url(mut self, url: &str) -> Self {
        url.trim_end_matches('/').clone_into(&mut self.api_url);
        self
    }

    /// Where to send the browser to start a flow. `return_to` must be on
    /// Kratos' allow-list; Hydra's `login_challenge` rides along when given.
    pub fn browser_start_url(
        &self,
        kind: FlowKind,
        return_to: Option<&str>,
        login_challenge: Option<&str>,
    ) -> String {
        let params: Vec<(&str, &str)> = [("return_to", return_to), ("login_challenge", login_challenge)]
            .into_iter()
            .filter_map(|(name, value)| Some((name, value?)))
            .collect();
        self.browser_start_url_with(kind, &params)
    }

    /// [`Self::browser_start_url`] with any query parameters (`aal`, `refresh`, …).
    pub fn browser_start_url_with(&self, kind: FlowKind, params: &[(&str, &str)]) -> String {
        let mut url = format!("{}/self-service/{}/browser", self.public_url, kind.slug());
        let mut separator = '?';
        for (name, value) in params {
            url.push(separator);
            url.push_str(name);
            url.push('=');
            url.push_str(&encode_query_value(value));
            separator = '&';
        }
        url
    }

    /// Fetches flow `id`, forwarding the browser's `Cookie` header.
    pub async fn flow(&self, kind: FlowKind, id: &str, cookie: Option<&str>) -> Result<FlowOutcome> {
        let restart = self.browser_start_url(kind, None, None);
        if !is_flow_id(id) {
            return Ok(FlowOutcome::Restart(restart));
        }
        let url = format!("{}/self-service/{}/flows?id={id}", self.api_url, kind.slug());
        let request = self.http.get(url).header(header::ACCEPT, "application/json");
        let response = with_browser_cookies(request, cookie)
            .timed_send(UPSTREAM)
            .await
            .map_err(|e| FAIL.unreachable(e))?;
        match response.status() {
            StatusCode::OK => Ok(FlowOutcome::Ready(
                response.json().await.map_err(|e| FAIL.malformed(e))?,
            )),
            // 410 expired, 403 CSRF cookie missing or stale, 404 unknown: start afresh.
            StatusCode::GONE | StatusCode::FORBIDDEN | StatusCode::NOT_FOUND | StatusCode::BAD_REQUEST => {
                let body: Option<ErrorEnvelope> = response.json().await.ok();
                let redirect = body
                    .as_ref()
                    .and_then(|b| b.error.details.as_ref())
                    .and_then(|d| d.get("redirect_to"))
                    .and_then(|v| v.as_str())
                    .filter(|url| url.starts_with(&self.public_url))
                    .map(str::to_owned);
                if let Some(id) = body.as_ref().and_then(|b| b.error.id.as_deref()) {
                    tracing::info!(flow = kind.slug(), reason = id, "restarting a self-service flow");
                }
                Ok(FlowOutcome::Restart(redirect.unwrap_or(restart)))
            }
            status => Err(FAIL.because(format!("fetching a {} flow answered {status}", kind.slug()))),
        }
    }

    /// Relays a browser's form post for flow `flow_id` to Kratos, as the
    /// browser would have sent it, and returns Kratos' answer for the browser.
    pub async fn submit_browser_form(
        &self,
        kind: FlowKind,
        flow_id: &str,
        form: RelayedForm<'_>,
    ) -> Result<RelayedAnswer> {
        if !is_flow_id(flow_id) {
            return Err(FAIL.because("not a flow id".to_owned()));
        }
        let mut request = self
            .http
            .post(format!(
                "{}/self-service/{}?flow={flow_id}",
                self.api_url,
                kind.slug()
            ))
            .header(header::CONTENT_TYPE, form.content_type)
            .header("x-forwarded-for", form.client_ip.to_string())
            .body(form.body);
        request = with_browser_cookies(request, form.cookie);
        for (name, value) in [
            (header::ACCEPT, form.accept),
            (header::USER_AGENT, form.user_agent),
        ] {
            if let Some(value) = value {
                request = request.header(name, value);
            }
        }
        let response = request
            .timed_send(UPSTREAM)
            .await
            .map_err(|e| FAIL.unreachable(e))?;
        let headers = response.headers();
        let text =
            |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let location = text(header::LOCATION);
        let content_type = text(header::CONTENT_TYPE);
        let set_cookies = headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_owned)
            .collect();
        let status = response.status().as_u16();
        let body = response.bytes().await.map_err(|e| FAIL.malformed(e))?.to_vec();
        Ok(RelayedAnswer {
            status,
            location,
            set_cookies,
            content_type,
            body,
        })
    }

    /// A GET on the public API as the browser whose cookies these are.
    async fn get_with_cookie(&self, path: &str, cookie: &str) -> Result<reqwest::Response> {
        let request = self.http.get(format!("{}{path}", self.api_url));
        with_browser_cookies(request, Some(cookie))
            .timed_send(UPSTREAM)
            .await
            .map_err(|e| FAIL.unreachable(e))
    }

    /// The signed-in user of the browser whose cookies these are, if any.
    pub async fn whoami(&self, cookie: Option<&str>) -> Result<Option<SignedInUser>> {
        Ok(match self.session(cookie).await? {
            SessionCheck::Active(session) => Some(session.user),
            SessionCheck::SignedOut | SessionCheck::SecondFactorRequired => None,
        })
    }

    /// This browser's Kratos session, as the login provider needs it.
    /// A browser without Kratos' session cookie (a first visit, or one with
    /// only CSRF cookies) has no session there: Kratos is not asked.
    pub async fn session(&self, cookie: Option<&str>) -> Result<SessionCheck> {
        let Some(cookie) = cookie
            .filter(|cookie| holds_session(cookie))
            .and_then(cookies_for_kratos)
        else {
            return Ok(SessionCheck::SignedOut);
        };
        let response = self.get_with_cookie("/sessions/whoami", &cookie).await?;
        match response.status() {
            StatusCode::OK => {
                let session: SessionBody = response.json().await.map_err(|e| FAIL.malformed(e))?;
                Ok(SessionCheck::Active(session.into_kratos_session()))
            }
            StatusCode::UNAUTHORIZED => Ok(SessionCheck::SignedOut),
            // Signed in with a first factor; the second is still owed.
            StatusCode::FORBIDDEN => Ok(SessionCheck::SecondFactorRequired),
            status => Err(FAIL.because(format!("whoami answered {status}"))),
        }
    }

    /// This browser's session first, then the person's other active sessions.
    /// Empty when not signed in.
    pub async fn my_sessions(&self, cookie: Option<&str>) -> Result<Vec<ActiveSession>> {
        let Some(cookie) = cookie else {
            return Ok(Vec::new());
        };
        let current = self.get_with_cookie("/sessions/whoami", cookie).await?;
        if current.status() != StatusCode::OK {
            return Ok(Vec::new());
        }
        let current: SessionSummary = current.json().await.map_err(|e| FAIL.malformed(e))?;
        let others = self.get_with_cookie("/sessions", cookie).await?;
        if !others.status().is_success() {
            return Err(FAIL.because(format!("listing sessions answered {}", others.status())));
        }
        let others: Vec<SessionSummary> = others.json().await.map_err(|e| FAIL.malformed(e))?;
        let mut sessions = vec![current.into_active(true)];
        sessions.extend(others.into_iter().map(|s| s.into_active(false)));
        Ok(sessions)
    }

    /// Ends one of the person's other sessions (`Some(id)`), or all of them.
    /// Kratos checks that the session belongs to the cookie's owner.
    pub async fn revoke_sessions(&self, cookie: Option<&str>, id: Option<&str>) -> Result<()> {
        let Some(cookie) = cookie else { return Ok(()) };
        let url = match id {
            Some(id) if id.chars().all(|c| c.is_ascii_hexdigit() || c == '-') => {
                format!("{}/sessions/{id}", self.api_url)
            }
            Some(_) => return Err(FAIL.because("not a session id".to_owned())),
            None => format!("{}/sessions", self.api_url),
        };
        let response = with_browser_cookies(self.http.delete(url), Some(cookie))
            .timed_send(UPSTREAM)
            .await
            .map_err(|e| FAIL.unreachable(e))?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(FAIL.because(format!("revoking sessions answered {}", response.status())))
        }
    }

    /// The URL that ends this browser's Kratos session, if it has one.
    pub async fn logout_url(&self, cookie: Option<&str>, return_to: Option<&str>) -> Result<Option<String>> {
        let Some(cookie) = cookie else { return Ok(None) };
        let mut url = format!("{}/self-service/logout/browser", self.api_url);
        if let Some(return_to) = return_to {
            url.push_str("?return_to=");
            url.push_str(&encode_query_value(return_to));
        }
        let response = with_browser_cookies(self.http.get(url), Some(cookie))
            .timed_send(UPSTREAM)
            .await
            .map_err(|e| FAIL.unreachable(e))?;
        match response.status() {
            StatusCode::OK => Ok(Some(
                response
                    .json::<LogoutBody>()
                    .await
                    .map_err(|e| FAIL.malformed(e))?
                    .logout_url,
            )),
            StatusCode::UNAUTHORIZED => Ok(None),
            status => Err(FAIL.because(format!("logout answered {status}"))),
        }
    }
}

#[derive(Deserialize)]
struct ListedIdentity {
    id: String,
    #[serde(default)]
    verifiable_addresses: Vec<VerifiableAddress>,
}

/// An identity found by its address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundIdentity {
    pub id: String,
    /// Whether the address searched for is verified on it.
    pub email_verified: bool,
}

#[derive(Deserialize)]
struct AdminIdentity {
    traits: AdminTraits,
    #[serde(default)]
    verifiable_addresses: Vec<VerifiableAddress>,
}

#[derive(Deserialize)]
struct AdminTraits {
    email: String,
    #[serde(default)]
    name: Option<Name>,
    #[serde(default)]
    locale: Option<String>,
}

#[derive(Deserialize)]
struct IdentityCredentials {
    #[serde(default)]
    credentials: std::collections::HashMap<String, serde_json::Value>,
}

#[derive(Deserialize)]
struct VerifiableAddress {
    value: String,
    #[serde(default)]
    verified: bool,
}

/// Whether `email` is among the identity's addresses that Kratos saw proven
/// (a code or link sent there was used). The one rule for "verified".
fn is_verified(addresses: &[VerifiableAddress], email: &str) -> bool {
    addresses
        .iter()
        .any(|address| address.verified && address.value.eq_ignore_ascii_case(email))
}

impl Kratos {
    fn admin_url(&self) -> Result<&str> {
        self.admin_url
            .as_deref()
            .ok_or(Error::NotConfigured("Kratos' admin API"))
    }

    /// An identity from the admin API, read as `T`.
    async fn admin_identity<T: serde::de::DeserializeOwned>(&self, identity_id: &str) -> Result<T> {
        // Identity ids are UUIDs, like flow ids: nothing else goes into the path.
        if !is_flow_id(identity_id) {
            return Err(FAIL.because(format!("{identity_id:?} is not an identity id")));
        }
        let url = format!("{}/admin/identities/{identity_id}", self.admin_url()?);
        let response = self
            .http
            .get(url)
            .timed_send(UPSTREAM)
            .await
            .map_err(|e| FAIL.unreachable(e))?;
        if !response.status().is_success() {
            return Err(FAIL.because(format!(
                "reading identity {identity_id} answered {}",
                response.status()
            )));
        }
        response.json().await.map_err(|e| FAIL.malformed(e))
    }

    /// What an ID token may say about this identity (OpenID standard claims).
    pub async fn id_token_claims(&self, identity_id: &str) -> Result<crate::identity::IdTokenClaims> {
        let identity: AdminIdentity = self.admin_identity(identity_id).await?;
        let verified = is_verified(&identity.verifiable_addresses, &identity.traits.email);
        let (given, family) = identity
            .traits
            .name
            .map(|n| (n.first, n.last))
            .unwrap_or_default();
        let full = format!("{given} {family}").trim().to_owned();
        Ok(crate::identity::IdTokenClaims {
            email: Some(identity.traits.email),
            email_verified: Some(verified),
            name: (!full.is_empty()).then_some(full),
            given_name: (!given.is_empty()).then_some(given),
            family_name: (!family.is_empty()).then_some(family),
            locale: identity.traits.locale,
            ..Default::default()
        })
    }

    /// Whether the identity has enrolled a second factor (TOTP or recovery
    /// codes). Kratos lists a `webauthn` credential for every identity (its
    /// identifier, no key), so that one does not count.
    pub async fn has_second_factor(&self, identity_id: &str) -> Result<bool> {
        let identity: IdentityCredentials = self.admin_identity(identity_id).await?;
        Ok(identity
            .credentials
            .keys()
            .any(|kind| matches!(kind.as_str(), "totp" | "lookup_secret")))
    }

    /// The identity whose login identifier is this e-mail address, and
    /// whether that address is verified.
    pub async fn find_identity_by_email(&self, email: &EmailAddress) -> Result<Option<FoundIdentity>> {
        let url = format!(
            "{}/admin/identities?credentials_identifier={}",
            self.admin_url()?,
            encode_query_value(email.as_str())
        );
        let response = self
            .http
            .get(url)
            .timed_send(UPSTREAM)
            .await
            .map_err(|e| FAIL.unreachable(e))?;
        if !response.status().is_success() {
            return Err(FAIL.because(format!("listing identities answered {}", response.status())));
        }
        let identities: Vec<ListedIdentity> = response.json().await.map_err(|e| FAIL.malformed(e))?;
        Ok(identities.into_iter().next().map(|identity| FoundIdentity {
            email_verified: is_verified(&identity.verifiable_addresses, email.as_str()),
            id: identity.id,
        }))
    }
}

/// A browser's form post, as relayed to Kratos.
#[derive(Debug, Clone)]
pub struct RelayedForm<'a> {
    pub cookie: Option<&'a str>,
    pub content_type: &'a str,
    pub accept: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub client_ip: std::net::IpAddr,
    pub body: Vec<u8>,
}

/// Kratos' answer to a relayed form post, to hand back to the browser.
#[derive(Debug, Clone)]
pub struct RelayedAnswer {
    pub status: u16,
    pub location: Option<String>,
    pub set_cookies: Vec<String>,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

/// Flow ids are UUIDs: anything else is not sent on to Kratos.
fn is_flow_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 100 && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
}

/// Percent-encodes a query value (RFC 3986 unreserved characters kept).
pub(crate) fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(char::from(byte)),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_urls_carry_return_to_and_the_login_challenge() {
        let kratos = Kratos::new("http://127.0.0.1:4433/", None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            kratos.browser_start_url(FlowKind::Login, None, None),
            "http://127.0.0.1:4433/self-service/login/browser"
        );
        assert_eq!(
            kratos.browser_start_url(FlowKind::Registration, Some("http://127.0.0.1:3000/a b"), Some("c&d")),
            "http://127.0.0.1:4433/self-service/registration/browser?return_to=http%3A%2F%2F127.0.0.1%3A3000%2Fa%20b&login_challenge=c%26d"
        );
    }
    #[test]
    fn the_portal_session_cookie_never_reaches_kratos() {
        let browser = "bibind_session=portal-secret; ory_kratos_session=k; __Host-bibind_session=p2; \
                       csrf_token_806060ca=c; bibind_locale=fr; bibind_invitation=inv";
        assert_eq!(
            cookies_for_kratos(browser).as_deref(),
            Some("ory_kratos_session=k; csrf_token_806060ca=c")
        );
        assert_eq!(cookies_for_kratos("bibind_session=only"), None);
        assert_eq!(cookies_for_kratos(""), None);
    }

    #[test]
    fn only_a_kratos_session_cookie_is_worth_asking_kratos_about() {
        assert!(holds_session("bibind_session=p; ory_kratos_session=k"));
        assert!(holds_session("ory_kratos_session=k"));
        assert!(!holds_session(
            "csrf_token_806060ca=c; ory_hydra_login_csrf_dev_1=h"
        ));
        assert!(!holds_session("ory_kratos_session_old=k; x=ory_kratos_session"));
        assert!(!holds_session("ory_kratos_session="));
        assert!(!holds_session(""));
    }

    #[test]
    fn a_browsers_cookies_take_what_a_response_sets() {
        let set = [
            "ory_kratos_session=new; Path=/; Max-Age=86400; HttpOnly; SameSite=Lax".to_owned(),
            "csrf_token_806060ca=; Path=/; max-age=0".to_owned(),
            "fresh=1".to_owned(),
        ];
        assert_eq!(
            cookies_after(
                Some("bibind_session=p; csrf_token_806060ca=c; ory_kratos_session=old"),
                &set
            ),
            "bibind_session=p; ory_kratos_session=new; fresh=1"
        );
        assert_eq!(cookies_after(None, &set[..1]), "ory_kratos_session=new");
        assert_eq!(cookies_after(Some("a=1"), &[]), "a=1");
    }

    #[test]
    fn requests_to_kratos_carry_no_portal_cookie() {
        let request = with_browser_cookies(
            reqwest::Client::new().get("http://127.0.0.1:9/sessions/whoami"),
            Some("bibind_session=portal-secret; ory_kratos_session=k"),
        )
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(request.headers()[header::COOKIE], "ory_kratos_session=k");
        let without = with_browser_cookies(
            reqwest::Client::new().get("http://127.0.0.1:9/sessions/whoami"),
            Some("bibind_session=portal-secret"),
        )
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(without.headers().get(header::COOKIE).is_none());
    }
}
