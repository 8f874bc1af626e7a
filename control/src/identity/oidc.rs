//! OpenID Connect, relying-party side: sign a person in at an OpenID
//! provider (Hydra for the portal; any certified provider works) with the
//! authorization code flow and PKCE, and check what comes back: `state`
//! against the one sent, the ID token's signature against the provider's
//! JWKS, its issuer, audience, expiry and `nonce`.

use std::{sync::Arc, time::Duration};

use cache::Cached;
use jsonwebtoken::{jwk::JwkSet, DecodingKey, Validation};
use oauth2::{
    basic::{
        BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse, BasicTokenType,
    },
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    ExtraTokenFields, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, StandardRevocableToken,
    StandardTokenResponse, TokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};

use super::{kratos::encode_query_value, Failure};
use crate::{Error, Result};

const FAIL: Failure = Failure("openid provider");

/// How this application is registered at the provider.
#[derive(Debug, Clone)]
pub struct RelyingPartySettings {
    /// The provider's issuer URL, exactly as its ID tokens carry it.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// This application's callback (`…/auth/callback`).
    pub redirect_uri: String,
    /// Where the provider sends the browser after a logout.
    pub post_logout_redirect_uri: Option<String>,
    pub scopes: Vec<String>,
}

/// A relying party of one provider. Cheap to clone; the provider's metadata
/// and keys are fetched once and the keys again when an unknown one signs.
#[derive(Clone)]
pub struct RelyingParty {
    settings: Arc<RelyingPartySettings>,
    http: reqwest::Client,
    provider: Arc<Cached<Provider>>,
}

#[derive(Debug, Clone, Deserialize)]
struct ProviderMetadata {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
    #[serde(default)]
    end_session_endpoint: Option<String>,
    #[serde(default)]
    userinfo_endpoint: Option<String>,
}

#[derive(Clone)]
struct Provider {
    metadata: ProviderMetadata,
    keys: JwkSet,
}

/// What the browser must bring back, kept on the server (in the portal
/// session) between the redirect to the provider and the callback.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingSignIn {
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// Where to send the browser, and what to keep until it comes back.
#[derive(Debug, Clone)]
pub struct SignInStart {
    pub url: String,
    pub pending: PendingSignIn,
}

/// What the provider sends back to the redirect URI (RFC 6749 §4.1.2):
/// a code and the state, or an error.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct AuthorizationResponse {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
}

/// A verified sign-in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerifiedSignIn {
    pub subject: String,
    pub email: Option<String>,
    /// `email_verified`: absent counts as not verified.
    pub email_verified: bool,
    pub name: Option<String>,
    /// The provider's login session (`sid`), named again by its logout tokens.
    pub session_id: Option<String>,
    /// `acr`: Bibind's provider says `aal1` or `aal2`.
    pub assurance_level: Option<String>,
    /// Kept for the logout request's `id_token_hint`.
    pub id_token: String,
}

/// A verified back-channel logout token: which login session ended.
#[derive(Debug, Clone, PartialEq)]
pub struct LogoutNotice {
    pub subject: Option<String>,
    pub session_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct IdTokenField {
    id_token: String,
}

impl ExtraTokenFields for IdTokenField {}

type OidcTokenResponse = StandardTokenResponse<IdTokenField, BasicTokenType>;

type OidcClient = oauth2::Client<
    BasicErrorResponse,
    OidcTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

#[derive(Deserialize)]
struct IdTokenClaims {
    sub: String,
    #[serde(default)]
    nonce: Option<String>,
    #[serde(default)]
    email: Option<String>,
    /// Whether the provider saw the address proven (Bibind's reads Kratos'
    /// `verifiable_addresses`).
    #[serde(default)]
    email_verified: Option<bool>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    sid: Option<String>,
    #[serde(default)]
    acr: Option<String>,
}

#[derive(Deserialize)]
struct UserInfo {
    sub: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    email_verified: Option<bool>,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct LogoutTokenClaims {
    #[serde(default)]
    sub: Option<String>,
    #[serde(default)]
    sid: Option<String>,
    #[serde(default)]
    events: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    nonce: Option<String>,
}

const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// Why a sign-in was refused. The browser sees a "start again" page; the
/// operator's log gets this.
fn rejected(reason: impl Into<String>) -> Error {
    Error::SignInRejected(reason.into())
}

impl RelyingParty {
    pub fn new(settings: RelyingPartySettings) -> Result<Self> {
        // The token endpoint must not be followed through redirects (RFC 6749 §3.2).
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| FAIL.because(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            settings: Arc::new(settings),
            http,
            provider: Arc::new(Cached::default()),
        })
    }

    pub fn settings(&self) -> &RelyingPartySettings {
        &self.settings
    }

    async fn provider(&self) -> Result<Provider> {
        if let Some(provider) = self.provider.get() {
            return Ok(provider);
        }
        let provider = self.discover().await?;
        self.provider.set(provider.clone());
        Ok(provider)
    }

    async fn discover(&self) -> Result<Provider> {
        let url = format!(
            "{}/.well-known/openid-configuration",
            self.settings.issuer.trim_end_matches('/')
        );
        let metadata: ProviderMetadata = self.get_json(&url).await?;
        if metadata.issuer != self.settings.issuer {
            return Err(FAIL.because(format!(
                "discovery names the issuer {:?}, configured {:?}",
                metadata.issuer, self.settings.issuer
            )));
        }
        let keys: JwkSet = self.get_json(&metadata.jwks_uri).await?;
        Ok(Provider { metadata, keys })
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T> {
        let response = self.http.get(url).send().await.map_err(|e| FAIL.unreachable(e))?;
        if !response.status().is_success() {
            return Err(FAIL.because(format!("{url} answered {}", response.status())));
        }
        response.json().await.map_err(|e| FAIL.malformed(e))
    }

    fn client(&self, metadata: &ProviderMetadata) -> Result<OidcClient> {
        let invalid = |what: &str, e: url::ParseError| FAIL.because(format!("invalid {what}: {e}"));
        Ok(
            oauth2::Client::new(ClientId::new(self.settings.client_id.clone()))
                .set_client_secret(ClientSecret::new(self.settings.client_secret.clone()))
                .set_auth_uri(
                    AuthUrl::new(metadata.authorization_endpoint.clone())
                        .map_err(|e| invalid("authorization endpoint", e))?,
                )
                .set_token_uri(
                    TokenUrl::new(metadata.token_endpoint.clone())
                        .map_err(|e| invalid("token endpoint", e))?,
                )
                .set_redirect_uri(
                    RedirectUrl::new(self.settings.redirect_uri.clone())
                        .map_err(|e| invalid("redirect URI", e))?,
                ),
        )
    }

    /// The provider's authorization URL with a fresh state, nonce and PKCE
    /// challenge (S256).
    pub async fn start(&self) -> Result<SignInStart> {
        let provider = self.provider().await?;
        let client = self.client(&provider.metadata)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let nonce = CsrfToken::new_random();
        let (url, state) = client
            .authorize_url(CsrfToken::new_random)
            .add_scopes(self.settings.scopes.iter().cloned().map(Scope::new))
            .add_extra_param("nonce", nonce.secret())
            .set_pkce_challenge(challenge)
            .url();
        Ok(SignInStart {
            url: url.to_string(),
            pending: PendingSignIn {
                state: state.secret().clone(),
                nonce: nonce.secret().clone(),
                pkce_verifier: verifier.secret().clone(),
            },
        })
    }

    /// Checks the callback's `state`, redeems the code and verifies the ID token.
    pub async fn finish(&self, pending: &PendingSignIn, state: &str, code: &str) -> Result<VerifiedSignIn> {
        if !constant_time_eq(pending.state.as_bytes(), state.as_bytes()) {
            return Err(rejected(
                "the state does not match the sign-in this browser started",
            ));
        }
        let provider = self.provider().await?;
        let client = self.client(&provider.metadata)?;
        let tokens = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| match e {
                oauth2::RequestTokenError::ServerResponse(response) => {
                    rejected(format!("the provider refused the code: {}", response.error()))
                }
                other => FAIL.because(format!("token request failed: {other}")),
            })?;
        let id_token = tokens.extra_fields().id_token.clone();
        let mut claims: IdTokenClaims = self.verify(&id_token, true).await?;
        if claims.nonce.as_deref() != Some(pending.nonce.as_str()) {
            return Err(rejected("the ID token's nonce is not the one sent"));
        }
        // Providers may keep profile claims out of the ID token (OpenID Core
        // §5.4: with a code flow they belong to the UserInfo endpoint).
        if claims.email.is_none() || claims.name.is_none() {
            if let Some(endpoint) = &provider.metadata.userinfo_endpoint {
                let info = self.user_info(endpoint, tokens.access_token().secret()).await?;
                if info.sub != claims.sub {
                    return Err(rejected("UserInfo names another subject than the ID token"));
                }
                if claims.email.is_none() {
                    // The address and whether it was proven come together.
                    claims.email = info.email;
                    claims.email_verified = info.email_verified;
                }
                claims.name = claims.name.or(info.name);
            }
        }
        Ok(VerifiedSignIn {
            subject: claims.sub,
            email_verified: claims.email_verified.unwrap_or(false),
            email: claims.email,
            name: claims.name,
            session_id: claims.sid,
            assurance_level: claims.acr,
            id_token,
        })
    }

    async fn user_info(&self, endpoint: &str, access_token: &str) -> Result<UserInfo> {
        let response = self
            .http
            .get(endpoint)
            .bearer_auth(access_token)
            .send()
            .await
            .map_err(|e| FAIL.unreachable(e))?;
        if !response.status().is_success() {
            return Err(FAIL.because(format!("UserInfo answered {}", response.status())));
        }
        response.json().await.map_err(|e| FAIL.malformed(e))
    }

    /// Verifies a JWT signed by the provider for this client; with
    /// `check_expiry` false, only for tokens that carry no `exp` (logout tokens).
    async fn verify<T: serde::de::DeserializeOwned>(&self, token: &str, check_expiry: bool) -> Result<T> {
        let header = jsonwebtoken::decode_header(token).map_err(|e| rejected(format!("not a JWT: {e}")))?;
        let mut provider = self.provider().await?;
        let mut key = find_key(&provider.keys, header.kid.as_deref());
        if key.is_none() {
            // Keys rotate: fetch them again once before refusing.
            provider = self.discover().await?;
            self.provider.set(provider.clone());
            key = find_key(&provider.keys, header.kid.as_deref());
        }
        let key = key.ok_or_else(|| rejected("no key of the provider signed this token"))?;
        let key = DecodingKey::from_jwk(&key).map_err(|e| rejected(format!("unusable key: {e}")))?;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&provider.metadata.issuer]);
        validation.set_audience(&[&self.settings.client_id]);
        validation.leeway = 30;
        if check_expiry {
            validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        } else {
            validation.validate_exp = false;
            validation.set_required_spec_claims(&["iss", "aud", "iat"]);
        }
        jsonwebtoken::decode::<T>(token, &key, &validation)
            .map(|data| data.claims)
            .map_err(|e| rejected(format!("the token does not verify: {e}")))
    }

    /// The provider's logout URL, or `None` when it has no
    /// `end_session_endpoint`. With the sign-in's ID token as a hint, the
    /// provider comes back to `post_logout_redirect_uri` with `state`;
    /// without one it treats the logout as its own and picks where to go.
    pub async fn logout_url(&self, id_token_hint: Option<&str>, state: &str) -> Result<Option<String>> {
        let provider = self.provider().await?;
        let Some(endpoint) = provider.metadata.end_session_endpoint else {
            return Ok(None);
        };
        let Some(hint) = id_token_hint else {
            return Ok(Some(endpoint));
        };
        let mut url = format!("{endpoint}?id_token_hint={}", encode_query_value(hint));
        if let Some(after) = &self.settings.post_logout_redirect_uri {
            url.push_str("&post_logout_redirect_uri=");
            url.push_str(&encode_query_value(after));
            url.push_str("&state=");
            url.push_str(&encode_query_value(state));
        }
        Ok(Some(url))
    }

    /// Verifies an OpenID back-channel logout token (OpenID Connect
    /// Back-Channel Logout 1.0, §2.6).
    pub async fn verify_logout_token(&self, token: &str) -> Result<LogoutNotice> {
        let claims: LogoutTokenClaims = self.verify(token, false).await?;
        if !claims.events.contains_key(BACKCHANNEL_LOGOUT_EVENT) {
            return Err(rejected("the logout token has no back-channel logout event"));
        }
        if claims.nonce.is_some() {
            return Err(rejected("a logout token must not carry a nonce"));
        }
        if claims.sub.is_none() && claims.sid.is_none() {
            return Err(rejected("the logout token names neither a subject nor a session"));
        }
        Ok(LogoutNotice {
            subject: claims.sub,
            session_id: claims.sid,
        })
    }
}

fn find_key(keys: &JwkSet, kid: Option<&str>) -> Option<jsonwebtoken::jwk::Jwk> {
    match kid {
        Some(kid) => keys.find(kid).cloned(),
        // Without a key id, only an unambiguous set will do.
        None if keys.keys.len() == 1 => keys.keys.first().cloned(),
        None => None,
    }
}

/// Compares secrets without leaking where they differ through timing.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A value fetched once and replaced when stale; readers never wait on a fetch.
mod cache {
    use std::sync::RwLock;

    pub struct Cached<T>(RwLock<Option<T>>);

    impl<T> Default for Cached<T> {
        fn default() -> Self {
            Self(RwLock::new(None))
        }
    }

    impl<T: Clone> Cached<T> {
        pub fn get(&self) -> Option<T> {
            self.0.read().ok().and_then(|value| value.clone())
        }

        pub fn set(&self, value: T) {
            if let Ok(mut slot) = self.0.write() {
                *slot = Some(value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares_secrets_in_full() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }

    #[test]
    fn a_key_without_id_is_only_taken_from_a_set_of_one() {
        let one: JwkSet = serde_json::from_str(
            r#"{"keys":[{"kty":"RSA","kid":"k1","use":"sig","alg":"RS256","n":"AQAB","e":"AQAB"}]}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(find_key(&one, None).is_some());
        assert!(find_key(&one, Some("k1")).is_some());
        assert!(find_key(&one, Some("k2")).is_none());
        let two = JwkSet {
            keys: [one.keys.clone(), one.keys].concat(),
        };
        assert!(find_key(&two, None).is_none());
    }
}
