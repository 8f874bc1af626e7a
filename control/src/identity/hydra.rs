//! A client of Hydra's admin API for the portal's role as login, consent and
//! logout provider. Challenges are opaque strings: passed through, never parsed.

use std::time::Duration;

use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::kratos::encode_query_value;
use super::{upstream::TimedSend, Failure};
use crate::Result;

const FAIL: Failure = Failure("hydra");
const UPSTREAM: &str = "hydra";

#[derive(Clone, Debug)]
pub struct Hydra {
    http: reqwest::Client,
    admin_url: String,
}

/// A consent request, as the consent page needs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConsentRequest {
    pub challenge: String,
    /// A remembered consent already covers the scopes.
    pub skip: bool,
    /// The Kratos identity id.
    pub subject: String,
    pub client: OAuthClient,
    pub requested_scope: Vec<String>,
    pub requested_access_token_audience: Vec<String>,
    /// How the person signed in (`aal1`, `aal2`), from the accepted login.
    #[serde(default)]
    pub acr: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OAuthClient {
    pub client_id: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub client_name: String,
    /// First-party clients (the portal itself, Bibind's provisioned
    /// applications) skip the consent screen.
    #[serde(default, deserialize_with = "null_as_default")]
    pub skip_consent: bool,
    /// Hydra v2.3.0 sends `null` when unset.
    #[serde(default, deserialize_with = "null_as_default")]
    pub skip_logout_consent: bool,
    #[serde(default, deserialize_with = "null_as_default")]
    pub metadata: ClientMetadata,
}

/// The key of a client's `metadata` that marks it suspended: Hydra has no
/// such state, so the portal, as login and consent provider, refuses its
/// challenges (and the suspension revokes its tokens).
pub const SUSPENDED_METADATA_KEY: &str = "bibind_suspended";

/// What Bibind keeps in a client's `metadata` (other keys are ignored).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClientMetadata {
    #[serde(default, deserialize_with = "null_as_default")]
    pub bibind_suspended: bool,
    /// A tenant's application: the organization it belongs to. Only its
    /// members may sign in to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bibind_organization_id: Option<String>,
    /// A tenant's application: the subscription that provisioned it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bibind_subscription_id: Option<String>,
    /// An organization's API client (client credentials, no sign-in).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bibind_api_organization_id: Option<String>,
}

impl OAuthClient {
    /// The client's tenant is suspended: nobody may sign in to it.
    pub fn is_suspended(&self) -> bool {
        self.metadata.bibind_suspended
    }

    /// A tenant's application (not one of Bibind's own): only the members of
    /// its organization may sign in, and it never skips consent.
    pub fn is_tenant_client(&self) -> bool {
        self.metadata.bibind_organization_id.is_some() || self.metadata.bibind_subscription_id.is_some()
    }
}

fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

#[derive(Deserialize)]
struct RawConsentRequest {
    challenge: String,
    #[serde(default, deserialize_with = "null_as_default")]
    skip: bool,
    #[serde(default, deserialize_with = "null_as_default")]
    subject: String,
    client: OAuthClient,
    #[serde(default)]
    requested_scope: Option<Vec<String>>,
    #[serde(default)]
    requested_access_token_audience: Option<Vec<String>>,
    #[serde(default)]
    acr: Option<String>,
}

#[derive(Deserialize)]
struct RedirectTo {
    redirect_to: String,
}

/// Claims added to the ID token (and `/userinfo`) when consent is given.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct IdTokenClaims {
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub locale: Option<String>,
    /// For a tenant's application: the organization's slug…
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bibind_organization: Option<String>,
    /// …and the person's role in it (`owner`, `admin`, `member`, `learner`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bibind_role: Option<String>,
}

/// A login request, as the login provider needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct LoginRequest {
    pub challenge: String,
    /// Hydra remembers this browser's login: accept it for `subject`.
    pub skip: bool,
    pub subject: String,
    /// The authorization request as the client sent it (`prompt`, `max_age`).
    pub request_url: String,
    pub client: OAuthClient,
}

#[derive(Deserialize)]
struct RawLoginRequest {
    challenge: String,
    #[serde(default, deserialize_with = "null_as_default")]
    skip: bool,
    #[serde(default, deserialize_with = "null_as_default")]
    subject: String,
    #[serde(default, deserialize_with = "null_as_default")]
    request_url: String,
    client: OAuthClient,
}

/// Who signed in, and how, as Hydra records it.
#[derive(Debug, Clone, PartialEq)]
pub struct AcceptedLogin {
    /// The Kratos identity id.
    pub subject: String,
    /// The Kratos session: Hydra disables it when the person logs out.
    pub identity_provider_session_id: String,
    /// `aal1` or `aal2`, sent as the ID token's `acr`.
    pub assurance_level: String,
    pub methods: Vec<String>,
    pub remember_for: Duration,
}

/// An OAuth2 client as Bibind registers it in Hydra. Its `Debug` leaves the
/// secret out.
#[derive(Clone, PartialEq, Serialize)]
pub struct ClientRegistration {
    pub client_id: String,
    /// Empty for a public client (it has none).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub client_secret: String,
    pub client_name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub grant_types: Vec<String>,
    pub response_types: Vec<String>,
    pub scope: String,
    pub token_endpoint_auth_method: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backchannel_logout_uri: Option<String>,
    pub backchannel_logout_session_required: bool,
    pub skip_consent: bool,
    pub skip_logout_consent: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<ClientMetadata>,
}

impl std::fmt::Debug for ClientRegistration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientRegistration")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("client_name", &self.client_name)
            .field("redirect_uris", &self.redirect_uris)
            .field("post_logout_redirect_uris", &self.post_logout_redirect_uris)
            .field("grant_types", &self.grant_types)
            .field("response_types", &self.response_types)
            .field("scope", &self.scope)
            .field("token_endpoint_auth_method", &self.token_endpoint_auth_method)
            .field("backchannel_logout_uri", &self.backchannel_logout_uri)
            .field(
                "backchannel_logout_session_required",
                &self.backchannel_logout_session_required,
            )
            .field("skip_consent", &self.skip_consent)
            .field("skip_logout_consent", &self.skip_logout_consent)
            .field("metadata", &self.metadata)
            .finish()
    }
}

impl ClientRegistration {
    /// A confidential, first-party client: code flow, no consent screen.
    pub fn first_party(client_id: &str, client_secret: &str, name: &str, base_url: &str) -> Self {
        let base = base_url.trim_end_matches('/');
        Self {
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            client_name: name.to_owned(),
            redirect_uris: vec![format!("{base}/auth/callback")],
            post_logout_redirect_uris: vec![format!("{base}/")],
            grant_types: vec!["authorization_code".into(), "refresh_token".into()],
            response_types: vec!["code".into()],
            scope: "openid offline_access email profile".into(),
            token_endpoint_auth_method: "client_secret_basic".into(),
            backchannel_logout_uri: Some(format!("{base}/auth/backchannel-logout")),
            backchannel_logout_session_required: true,
            skip_consent: true,
            skip_logout_consent: true,
            metadata: None,
        }
    }

    /// The command-line client (`bibind login`): public, as it runs on
    /// people's machines and keeps no secret; authorization code with PKCE
    /// on a loopback redirect (RFC 8252: Hydra accepts any port on
    /// 127.0.0.1), refresh tokens, every API scope. First-party: no consent
    /// screen, as for the portal.
    pub fn command_line(client_id: &str) -> Self {
        let api_scopes = crate::domain::Scopes::from_list(crate::domain::Scope::all()).to_oauth();
        Self {
            redirect_uris: vec!["http://127.0.0.1/callback".into()],
            post_logout_redirect_uris: Vec::new(),
            scope: format!("openid offline_access email profile {api_scopes}"),
            token_endpoint_auth_method: "none".into(),
            backchannel_logout_uri: None,
            backchannel_logout_session_required: false,
            ..Self::first_party(client_id, "", "Bibind command line", "")
        }
    }

    /// An organization's API client: client credentials only (no browser,
    /// no person), its tokens limited to `scopes`.
    pub fn api_client(
        client_id: &str,
        client_secret: &str,
        name: &str,
        scopes: &crate::domain::Scopes,
        organization_id: uuid::Uuid,
    ) -> Self {
        Self {
            redirect_uris: Vec::new(),
            post_logout_redirect_uris: Vec::new(),
            grant_types: vec!["client_credentials".into()],
            response_types: vec!["token".into()],
            scope: scopes.to_oauth(),
            backchannel_logout_uri: None,
            backchannel_logout_session_required: false,
            skip_consent: false,
            skip_logout_consent: false,
            metadata: Some(ClientMetadata {
                bibind_api_organization_id: Some(organization_id.to_string()),
                ..ClientMetadata::default()
            }),
            ..Self::first_party(client_id, client_secret, name, "")
        }
    }

    /// A tenant's application (an Odoo instance): confidential, code flow,
    /// but not first-party. It gets the consent screen (remembered after the
    /// first yes), no refresh token (it signs people in through the browser
    /// each time, so a removed member or a suspended tenant loses access at
    /// the next sign-in rather than when a long-lived token runs out), and
    /// says which organization it belongs to, so that only its members may
    /// sign in.
    pub fn tenant(
        client_id: &str,
        client_secret: &str,
        name: &str,
        organization_id: &str,
        subscription_id: &str,
    ) -> Self {
        Self {
            redirect_uris: Vec::new(),
            post_logout_redirect_uris: Vec::new(),
            grant_types: vec!["authorization_code".into()],
            scope: "openid email profile".into(),
            backchannel_logout_uri: None,
            backchannel_logout_session_required: false,
            skip_consent: false,
            metadata: Some(ClientMetadata {
                bibind_suspended: false,
                bibind_organization_id: Some(organization_id.to_owned()),
                bibind_subscription_id: Some(subscription_id.to_owned()),
                bibind_api_organization_id: None,
            }),
            ..Self::first_party(client_id, client_secret, name, "")
        }
    }
}

/// An active access token, as introspection describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Introspection {
    pub client_id: String,
    /// The person's address and whether they proved it, as the consent
    /// put them into the token (people's tokens only).
    pub email: Option<String>,
    pub email_verified: bool,
    /// How the person signed in (`aal1`, `aal2`), as the consent put it.
    pub assurance_level: Option<String>,
    /// The person it was issued for; the client's own id for client credentials.
    pub subject: String,
    /// Its granted scopes, space-separated.
    pub scope: String,
    /// When it expires (Unix seconds).
    pub expires_at: i64,
}

#[derive(Deserialize)]
struct RawIntrospection {
    active: bool,
    client_id: Option<String>,
    exp: Option<i64>,
    sub: Option<String>,
    scope: Option<String>,
    token_use: Option<String>,
    ext: Option<PersonClaims>,
}

/// What the consent put into a person's access token.
#[derive(Deserialize, Default)]
struct PersonClaims {
    email: Option<String>,
    email_verified: Option<bool>,
    acr: Option<String>,
}

/// What came of a consent or logout challenge.
#[derive(Debug, Clone, PartialEq)]
pub enum ChallengeOutcome<T> {
    Pending(T),
    /// Unknown, expired or already answered: nothing to do but start again.
    Gone,
}

impl Hydra {
    pub fn new(admin_url: &str) -> Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| FAIL.because(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            http,
            admin_url: admin_url.trim_end_matches('/').to_owned(),
        })
    }

    fn url(&self, path: &str, challenge_name: &str, challenge: &str) -> String {
        format!(
            "{}/admin/oauth2/auth/requests/{path}?{challenge_name}={}",
            self.admin_url,
            encode_query_value(challenge)
        )
    }

    pub async fn consent_request(&self, challenge: &str) -> Result<ChallengeOutcome<ConsentRequest>> {
        Ok(
            match self
                .challenge_request::<RawConsentRequest>("consent", challenge)
                .await?
            {
                ChallengeOutcome::Pending(raw) => ChallengeOutcome::Pending(ConsentRequest {
                    challenge: raw.challenge,
                    skip: raw.skip,
                    subject: raw.subject,
                    client: raw.client,
                    requested_scope: raw.requested_scope.unwrap_or_default(),
                    requested_access_token_audience: raw.requested_access_token_audience.unwrap_or_default(),
                    acr: raw.acr.filter(|acr| !acr.is_empty()),
                }),
                ChallengeOutcome::Gone => ChallengeOutcome::Gone,
            },
        )
    }

    /// Reads the `kind` (`login`, `consent`) request of a challenge; unknown,
    /// expired or answered challenges are [`ChallengeOutcome::Gone`].
    async fn challenge_request<T: serde::de::DeserializeOwned>(
        &self,
        kind: &str,
        challenge: &str,
    ) -> Result<ChallengeOutcome<T>> {
        let response = self
            .http
            .get(self.url(kind, &format!("{kind}_challenge"), challenge))
            .timed_send(UPSTREAM)
            .await
            .map_err(|e| FAIL.unreachable(e))?;
        match response.status() {
            StatusCode::OK => {
                let body = response.text().await.map_err(|e| FAIL.malformed(e))?;
                serde_json::from_str(&body)
                    .map(ChallengeOutcome::Pending)
                    .map_err(|e| FAIL.because(format!("unexpected {kind} request: {e}")))
            }
            StatusCode::NOT_FOUND | StatusCode::GONE | StatusCode::BAD_REQUEST => Ok(ChallengeOutcome::Gone),
            status => Err(FAIL.because(format!("{kind} request answered {status}"))),
        }
    }

    /// Grants the requested scopes; returns where to send the browser.
    pub async fn accept_consent(
        &self,
        request: &ConsentRequest,
        remember: bool,
        claims: &IdTokenClaims,
    ) -> Result<String> {
        let body = json!({
            "grant_scope": request.requested_scope,
            "grant_access_token_audience": request.requested_access_token_audience,
            "remember": remember,
            "remember_for": 0,
            // The access token carries the address too: the API's caller
            // (a person through the command line) is known by introspection.
            "session": {
                "id_token": claims,
                "access_token": {
                    "email": claims.email,
                    "email_verified": claims.email_verified,
                    "acr": request.acr,
                },
            },
        });
        self.put_for_redirect(
            self.url("consent/accept", "consent_challenge", &request.challenge),
            body,
        )
        .await
    }

    pub async fn reject_consent(&self, challenge: &str) -> Result<String> {
        self.reject_consent_because(
            challenge,
            "The user refused to share their account with this application.",
        )
        .await
    }

    /// Refuses a consent challenge with `access_denied` and `description`.
    pub async fn reject_consent_because(&self, challenge: &str, description: &str) -> Result<String> {
        let body = json!({ "error": "access_denied", "error_description": description });
        self.put_for_redirect(self.url("consent/reject", "consent_challenge", challenge), body)
            .await
    }

    /// Refuses a login challenge with `access_denied` and `description`.
    pub async fn reject_login(&self, challenge: &str, description: &str) -> Result<String> {
        let body = json!({ "error": "access_denied", "error_description": description });
        self.put_for_redirect(self.url("login/reject", "login_challenge", challenge), body)
            .await
    }

    /// A request to Hydra's admin API at `path` (from `/admin/…`), for the
    /// provisioning backend that manages tenants' OAuth2 clients.
    pub(crate) fn admin_request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, format!("{}{path}", self.admin_url))
    }

    pub async fn login_request(&self, challenge: &str) -> Result<ChallengeOutcome<LoginRequest>> {
        Ok(
            match self
                .challenge_request::<RawLoginRequest>("login", challenge)
                .await?
            {
                ChallengeOutcome::Pending(raw) => ChallengeOutcome::Pending(LoginRequest {
                    challenge: raw.challenge,
                    skip: raw.skip,
                    subject: raw.subject,
                    request_url: raw.request_url,
                    client: raw.client,
                }),
                ChallengeOutcome::Gone => ChallengeOutcome::Gone,
            },
        )
    }

    /// Tells Hydra who signed in. The login is remembered for
    /// `remember_for`, so that the person's other applications sign them in
    /// without asking (single sign-on) and a logout reaches all of them.
    pub async fn accept_login(&self, challenge: &str, login: &AcceptedLogin) -> Result<String> {
        let body = json!({
            "subject": login.subject,
            "remember": true,
            "remember_for": login.remember_for.as_secs(),
            "acr": login.assurance_level,
            "amr": login.methods,
            "identity_provider_session_id": login.identity_provider_session_id,
        });
        self.put_for_redirect(self.url("login/accept", "login_challenge", challenge), body)
            .await
    }

    /// Ends every remembered Hydra login of `subject`.
    pub async fn forget_logins(&self, subject: &str) -> Result<()> {
        let url = format!(
            "{}/admin/oauth2/auth/sessions/login?subject={}",
            self.admin_url,
            encode_query_value(subject)
        );
        self.delete(url, "revoking login sessions").await
    }

    /// Deletes an OAuth2 client; the tokens it was issued die with it. A
    /// client Hydra does not know is gone already.
    pub async fn delete_client(&self, client_id: &str) -> Result<()> {
        let url = format!(
            "{}/admin/clients/{}",
            self.admin_url,
            encode_query_value(client_id)
        );
        self.delete(url, "deleting a client").await
    }

    /// A DELETE on the admin API: what is gone already is done.
    async fn delete(&self, url: String, what: &str) -> Result<()> {
        let response = self
            .http
            .delete(url)
            .timed_send(UPSTREAM)
            .await
            .map_err(|e| FAIL.unreachable(e))?;
        match response.status() {
            status if status.is_success() || status == StatusCode::NOT_FOUND => Ok(()),
            status => Err(FAIL.because(format!("{what} answered {status}"))),
        }
    }

    /// What Hydra knows of an access token (RFC 7662): `None` when it is not
    /// an active access token (expired, revoked, unknown, or a refresh token).
    pub async fn introspect(&self, token: &str) -> Result<Option<Introspection>> {
        let response = self
            .http
            .post(format!("{}/admin/oauth2/introspect", self.admin_url))
            .form(&[("token", token)])
            .timed_send(UPSTREAM)
            .await
            .map_err(|e| FAIL.unreachable(e))?;
        let status = response.status();
        if !status.is_success() {
            return Err(FAIL.because(format!("introspecting a token answered {status}")));
        }
        let raw: RawIntrospection = response.json().await.map_err(|e| FAIL.malformed(e))?;
        Ok(match raw {
            RawIntrospection {
                active: true,
                client_id: Some(client_id),
                exp: Some(exp),
                token_use,
                sub,
                scope,
                ext,
            } if token_use.as_deref().is_none_or(|using| using == "access_token") => {
                let person = ext.unwrap_or_default();
                Some(Introspection {
                    client_id,
                    email: person.email,
                    email_verified: person.email_verified.unwrap_or(false),
                    assurance_level: person.acr,
                    subject: sub.unwrap_or_default(),
                    scope: scope.unwrap_or_default(),
                    expires_at: exp,
                })
            }
            _ => None,
        })
    }

    /// Creates or updates an OAuth2 client so that it matches `client`.
    pub async fn register_client(&self, client: &ClientRegistration) -> Result<()> {
        let body =
            serde_json::to_value(client).map_err(|e| FAIL.because(format!("cannot encode a client: {e}")))?;
        let url = format!(
            "{}/admin/clients/{}",
            self.admin_url,
            encode_query_value(&client.client_id)
        );
        let response = self
            .http
            .put(&url)
            .json(&body)
            .timed_send(UPSTREAM)
            .await
            .map_err(|e| FAIL.unreachable(e))?;
        let status = match response.status() {
            StatusCode::NOT_FOUND => self
                .http
                .post(format!("{}/admin/clients", self.admin_url))
                .json(&body)
                .timed_send(UPSTREAM)
                .await
                .map_err(|e| FAIL.unreachable(e))?
                .status(),
            status => status,
        };
        if status.is_success() {
            Ok(())
        } else {
            Err(FAIL.because(format!(
                "registering client {} answered {status}",
                client.client_id
            )))
        }
    }

    /// Accepts a logout request (Hydra then ends the Kratos session too, when
    /// its identity provider URL is configured).
    pub async fn accept_logout(&self, challenge: &str) -> Result<ChallengeOutcome<String>> {
        let response = self
            .http
            .put(self.url("logout/accept", "logout_challenge", challenge))
            .timed_send(UPSTREAM)
            .await
            .map_err(|e| FAIL.unreachable(e))?;
        match response.status() {
            StatusCode::OK => Ok(ChallengeOutcome::Pending(
                response
                    .json::<RedirectTo>()
                    .await
                    .map_err(|e| FAIL.malformed(e))?
                    .redirect_to,
            )),
            StatusCode::NOT_FOUND | StatusCode::GONE | StatusCode::BAD_REQUEST => Ok(ChallengeOutcome::Gone),
            status => Err(FAIL.because(format!("accepting a logout answered {status}"))),
        }
    }

    async fn put_for_redirect(&self, url: String, body: serde_json::Value) -> Result<String> {
        let response = self
            .http
            .put(url)
            .json(&body)
            .timed_send(UPSTREAM)
            .await
            .map_err(|e| FAIL.unreachable(e))?;
        if !response.status().is_success() {
            return Err(FAIL.because(format!("answered {}", response.status())));
        }
        Ok(response
            .json::<RedirectTo>()
            .await
            .map_err(|e| FAIL.malformed(e))?
            .redirect_to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_is_suspended_by_its_metadata_flag() {
        let client: OAuthClient =
            serde_json::from_str(r#"{"client_id":"id","metadata":{"bibind_suspended":true,"other":[1]}}"#)
                .unwrap_or_else(|e| panic!("{e}"));
        assert!(client.is_suspended());
        let client: OAuthClient =
            serde_json::from_str(r#"{"client_id":"id","metadata":null}"#).unwrap_or_else(|e| panic!("{e}"));
        assert!(!client.is_suspended());
    }

    #[test]
    fn a_client_registration_debug_form_hides_the_client_secret() {
        let registration =
            ClientRegistration::first_party("portal", "s3cret-value-42", "Portal", "https://p");
        let shown = format!("{registration:?}");
        assert!(!shown.contains("s3cret-value-42"), "{shown}");
        assert!(shown.contains("portal"), "{shown}");
        let tenant = ClientRegistration::tenant("odoo-x", "s3cret-value-42", "Odoo", "org", "sub");
        assert!(!format!("{tenant:?}").contains("s3cret-value-42"));
    }

    #[test]
    fn a_tenant_client_is_neither_first_party_nor_offline() {
        let tenant = ClientRegistration::tenant("odoo-x", "secret", "Odoo", "org-1", "sub-1");
        assert!(!tenant.skip_consent);
        assert!(!tenant.grant_types.iter().any(|grant| grant == "refresh_token"));
        assert!(!tenant.scope.split(' ').any(|scope| scope == "offline_access"));
        let body = serde_json::to_value(&tenant).unwrap_or_else(|e| panic!("{e}"));
        let client: OAuthClient = serde_json::from_value(body).unwrap_or_else(|e| panic!("{e}"));
        assert!(client.is_tenant_client());
        assert_eq!(client.metadata.bibind_subscription_id.as_deref(), Some("sub-1"));
        let portal = ClientRegistration::first_party("portal", "secret", "Portal", "https://p");
        let body = serde_json::to_value(&portal).unwrap_or_else(|e| panic!("{e}"));
        let client: OAuthClient = serde_json::from_value(body).unwrap_or_else(|e| panic!("{e}"));
        assert!(!client.is_tenant_client());
    }

    #[test]
    fn reads_hydra_consent_requests_with_null_fields() {
        let raw: RawConsentRequest = serde_json::from_str(
            r#"{"challenge":"c","skip":false,"subject":"s","requested_scope":["openid","email"],
                "requested_access_token_audience":null,
                "client":{"client_id":"id","client_name":null,"skip_consent":true,"skip_logout_consent":null}}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(raw.client.skip_consent);
        assert!(!raw.client.skip_logout_consent);
        assert_eq!(raw.client.client_name, "");
        assert!(!raw.client.is_suspended());
        assert_eq!(
            raw.requested_scope,
            Some(vec!["openid".to_owned(), "email".to_owned()])
        );
        assert_eq!(raw.requested_access_token_audience, None);
    }
}
