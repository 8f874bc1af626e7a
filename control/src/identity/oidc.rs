//! OpenID Connect, relying-party side: sign a person in at an OpenID
//! provider (Hydra for the portal; any certified provider works) with the
//! authorization code flow and PKCE, and check what comes back: `state`
//! against the one sent, the ID token's signature against the provider's
//! JWKS, its issuer, audience, expiry and `nonce`.
//!
//! The signing algorithm is pinned: the key's own `alg` (RS256 when the JWKS
//! does not say), never the one a token's header names. An unknown `kid`
//! refetches the provider's keys at most once a minute, so that forged
//! tokens cannot make the portal hammer the provider. Logout tokens must be
//! recent (`iat`) and carry a `jti`, which the caller records so that a
//! token is only ever used once (`Control::first_use_of_logout_token`).

use std::{
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

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

use super::{
    kratos::encode_query_value,
    upstream::{self, TimedSend},
    Failure,
};
use crate::{
    clock::{Clock, SystemClock},
    Error, Result,
};

/// How often at most an unknown key id fetches the provider's keys again.
const KEY_REFETCH_INTERVAL: time::Duration = time::Duration::minutes(1);
/// How old a logout token may be (its `iat`): Hydra sends it at once.
const LOGOUT_TOKEN_MAX_AGE: time::Duration = time::Duration::minutes(5);
/// Clock skew tolerated between the provider and the portal.
const LEEWAY_SECONDS: i64 = 30;

const FAIL: Failure = Failure("openid provider");
/// Its calls in the log of upstream calls (Hydra, in this deployment).
const UPSTREAM: &str = "openid provider";

/// How this application is registered at the provider. Its `Debug` leaves
/// the secret out.
#[derive(Clone)]
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

/// What `Debug` shows instead of a secret.
const REDACTED: &str = "<redacted>";

impl std::fmt::Debug for RelyingPartySettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelyingPartySettings")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &REDACTED)
            .field("redirect_uri", &self.redirect_uri)
            .field("post_logout_redirect_uri", &self.post_logout_redirect_uri)
            .field("scopes", &self.scopes)
            .finish()
    }
}

/// A relying party of one provider. Cheap to clone; the provider's metadata
/// and keys are fetched once and the keys again when an unknown one signs.
#[derive(Clone)]
pub struct RelyingParty {
    settings: Arc<RelyingPartySettings>,
    http: reqwest::Client,
    provider: Arc<Cached<Provider>>,
    clock: Arc<dyn Clock>,
    /// When an unknown key id last fetched the keys again.
    last_key_refetch: Arc<Mutex<Option<time::OffsetDateTime>>>,
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
/// session) between the redirect to the provider and the callback. Its
/// `Debug` leaves the PKCE verifier out.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingSignIn {
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

impl std::fmt::Debug for PendingSignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingSignIn")
            .field("state", &self.state)
            .field("nonce", &self.nonce)
            .field("pkce_verifier", &REDACTED)
            .finish()
    }
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
    /// The token's `jti`: a token is used once.
    pub token_id: String,
    /// Until when the token could be accepted (its `iat` plus the maximum
    /// age): its `jti` need not be remembered longer.
    pub usable_until: time::OffsetDateTime,
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

/// The standard profile claims, as the ID token or UserInfo carries them
/// (one type, so that UserInfo fills in what the ID token left out).
#[derive(Debug, Deserialize)]
struct Profile {
    #[serde(default)]
    email: Option<String>,
    /// Whether the provider saw the address proven (Bibind's reads Kratos'
    /// `verifiable_addresses`).
    #[serde(default)]
    email_verified: Option<bool>,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Debug, Deserialize)]
struct IdTokenClaims {
    sub: String,
    #[serde(default)]
    nonce: Option<String>,
    #[serde(flatten)]
    profile: Profile,
    #[serde(default)]
    sid: Option<String>,
    #[serde(default)]
    acr: Option<String>,
}

#[derive(Deserialize)]
struct UserInfo {
    sub: String,
    #[serde(flatten)]
    profile: Profile,
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
    #[serde(default)]
    iat: Option<i64>,
    #[serde(default)]
    jti: Option<String>,
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
            clock: Arc::new(SystemClock),
            last_key_refetch: Arc::default(),
        })
    }

    /// The clock that paces key refetches and judges logout tokens' age.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Whether an unknown key id may fetch the keys again now; if so, the
    /// attempt is counted (even if it fails: a provider that is down is not
    /// asked more often either).
    fn may_refetch_keys(&self) -> bool {
        let now = self.clock.now();
        let mut last = self
            .last_key_refetch
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if last.is_some_and(|at| now - at < KEY_REFETCH_INTERVAL) {
            return false;
        }
        *last = Some(now);
        true
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
        let response = self
            .http
            .get(url)
            .timed_send(UPSTREAM)
            .await
            .map_err(|e| FAIL.unreachable(e))?;
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
        let exchange = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()));
        let tokens = upstream::timed(UPSTREAM, exchange.request_async(&self.http))
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
        let profile = &mut claims.profile;
        if profile.email.is_none() || profile.name.is_none() {
            if let Some(endpoint) = &provider.metadata.userinfo_endpoint {
                let info = self.user_info(endpoint, tokens.access_token().secret()).await?;
                if info.sub != claims.sub {
                    return Err(rejected("UserInfo names another subject than the ID token"));
                }
                if profile.email.is_none() {
                    // The address and whether it was proven come together.
                    profile.email = info.profile.email;
                    profile.email_verified = info.profile.email_verified;
                }
                profile.name = profile.name.take().or(info.profile.name);
            }
        }
        Ok(VerifiedSignIn {
            subject: claims.sub,
            email_verified: claims.profile.email_verified.unwrap_or(false),
            email: claims.profile.email,
            name: claims.profile.name,
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
            .timed_send(UPSTREAM)
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
        if key.is_none() && self.may_refetch_keys() {
            // Keys rotate: fetch them again before refusing (at most once a
            // minute, whatever key ids forged tokens name).
            provider = self.discover().await?;
            self.provider.set(provider.clone());
            key = find_key(&provider.keys, header.kid.as_deref());
        }
        let jwk = key.ok_or_else(|| rejected("no key of the provider signed this token"))?;
        let algorithm = pinned_algorithm(&jwk)?;
        if header.alg != algorithm {
            return Err(rejected(format!(
                "the token is signed with {:?}, its key is for {algorithm:?}",
                header.alg
            )));
        }
        let key = DecodingKey::from_jwk(&jwk).map_err(|e| rejected(format!("unusable key: {e}")))?;
        let mut validation = Validation::new(algorithm);
        validation.set_issuer(&[&provider.metadata.issuer]);
        validation.set_audience(&[&self.settings.client_id]);
        validation.leeway = LEEWAY_SECONDS.unsigned_abs();
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
        let token_id = claims
            .jti
            .filter(|jti| !jti.is_empty())
            .ok_or_else(|| rejected("the logout token has no jti"))?;
        let issued_at = claims
            .iat
            .and_then(|iat| time::OffsetDateTime::from_unix_timestamp(iat).ok())
            .ok_or_else(|| rejected("the logout token has no valid iat"))?;
        let now = self.clock.now();
        let leeway = time::Duration::seconds(LEEWAY_SECONDS);
        if issued_at > now + leeway {
            return Err(rejected("the logout token is issued in the future"));
        }
        if now - issued_at > LOGOUT_TOKEN_MAX_AGE + leeway {
            return Err(rejected("the logout token is too old"));
        }
        Ok(LogoutNotice {
            subject: claims.sub,
            session_id: claims.sid,
            token_id,
            usable_until: issued_at + LOGOUT_TOKEN_MAX_AGE + leeway,
        })
    }
}

/// The one algorithm a key verifies: its `alg`, else RS256 (what Hydra and
/// OpenID Connect default to). A token's header never chooses it.
fn pinned_algorithm(jwk: &jsonwebtoken::jwk::Jwk) -> Result<jsonwebtoken::Algorithm> {
    use jsonwebtoken::{jwk::KeyAlgorithm, Algorithm};
    Ok(match jwk.common.key_algorithm {
        None | Some(KeyAlgorithm::RS256) => Algorithm::RS256,
        Some(KeyAlgorithm::RS384) => Algorithm::RS384,
        Some(KeyAlgorithm::RS512) => Algorithm::RS512,
        Some(KeyAlgorithm::PS256) => Algorithm::PS256,
        Some(KeyAlgorithm::PS384) => Algorithm::PS384,
        Some(KeyAlgorithm::PS512) => Algorithm::PS512,
        Some(KeyAlgorithm::ES256) => Algorithm::ES256,
        Some(KeyAlgorithm::ES384) => Algorithm::ES384,
        Some(KeyAlgorithm::EdDSA) => Algorithm::EdDSA,
        // Shared-secret and encryption algorithms never sign a provider's tokens.
        Some(other) => return Err(rejected(format!("the provider's key is for {other:?}"))),
    })
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

    /// A test-only RSA key, PKCS#1 DER in hex (generated for these tests,
    /// signs nothing else).
    const TEST_KEY_DER_HEX: &str = concat!(
        "308204a40201000282010100dfe35c4d099491d1ff93ff1d93dd2a5c1bb6dbfead4d00a081d1bb6367963bbd4cd102b8",
        "6e1e9cdf934a8ee335657051261dc0a456117f43077517eba40caee2d372bc442443a1b948ecd8319133df072a082bdf",
        "d7d93a08e98d1b7836c1826542d566fbdf8adc70f25f1cc17db9681d6ded5c5882f5c898fb1523eef1eb4ad1a84004ab",
        "a6fa4ee77e25eb2a65d50ec0e344683cbffb7b7375e00535ce67eecf8e711c7f21fe29c7121b691581b0ee86a1ea0a30",
        "454f7f15aec0c9a89e6c203b3270ea8c61ee11938ba94a692e4c1f962afc231be955904c295ce1f490dca5008b96abbd",
        "011d630a65f1eb832b8d3cef3bb182876c7b04519fa346f5ba1fe83b020301000102820100062affd8797a97d7d6b82f",
        "8f938ac4c77bd5fa529658a83b43c850e6c8ac49620a3339e575d72f1033c11a95a4db7210324220940670fdf60d470b",
        "0d295c561716a7330b978a2b72ecd0e595dbffb755bdb132f03c4496463794f51c4739e68b3e9f9d7233f2e1e6d4ae8d",
        "1ec185719a59f46f965aa945c8fd25d473194417b008c7097c4d39e74aff07d44c741dd1788fa83f462f21c761f6784d",
        "065b33616155b2940e359faf872c71cced94343437732cc9210c9d98e6a184552dffa57b83f6a85958302f483e38f2fc",
        "d5a3ad26575a36ae1985371d32ad6e6875346539e4a4aefbb1e85d9d4fbbfc3232fa1fec4e090acfc74a2e9e4e231319",
        "e5231ee70d02818100f161e94c090955c02ff1c3b1b0e27b72f3892cb51eec505903ae127d84d83c529552f504e85b88",
        "76dcef27e5e0b219ed9de71a37327fb287fb83cafd939ccade76671ef9532078bfb00181e7da89049bf7a6b7f0f62d40",
        "ea34ba9ad9d4bf31073beab7290684dda9bee93761afdb4062b988ded44ab0835cf749a741d300f2e702818100ed723d",
        "3689fda920bcc0c31d9e93c6eec722d1b1aed16acd9e0a9a38a531c023eb29f52c25173ae406cfc16160cbba0fb55b28",
        "6da904300e9915563f2a5c51d33edd7c61492749ebdd2f6f5f70265aec8296cf503217bbab078cf4489fd68482c3c768",
        "a5d5f0b04a475618236c1cd5a2394d08a39c97e30996a9e1758370098d028181009a44c652b70fc543302126be00dbae",
        "a437eb7aac43182afdc8f14e95f3fa330b60ae05345ec06945f64bcec707452c7705ccf69f4262049b0def1c23d65c85",
        "f789dabc1c02b9a512758d7115da4069b6b89f4fbdebc7de4e10e7162293eaa18e0b0826894cc64bd8b9cfd97a506723",
        "0e359fb9321a8e1756aa20e389992e690f028181008dd1889c15890ac601d6c3f2e1eef387542b08c1ae5f68020d5dd9",
        "c4f16da88c0b7e10f05feae302a4cadb7e74d8d9755e6566dd3070cedf39319444bfe14a01f8ef42c5bc7299e525439a",
        "aa8f0a698e0f6551c75d53ed83f64b8af0017f97bf9e7d7094741680c4ac9cd067ffbfad1d6a4a0759e9429298fc82d4",
        "a5626ebd550281807cd1a21ecabfbd9525993ed6fabb69c2f12523f83d309f9ceb13b9cb38192f9369ec9f1d9ac59458",
        "ff8e00067701464648598ae6b6598a771dedde8b793934f37a59c800b8521096d73f3eccd3fd107012473b5b9dfe834b",
        "afaff7b2d8d9c23eeb95e9c133ecbbc34ded798d4cba54143d1eb9325451de83a1762464a72984aa",
    );
    const TEST_KEY_N: &str = "3-NcTQmUkdH_k_8dk90qXBu22_6tTQCggdG7Y2eWO71M0QK4bh6c35NKjuM1ZXBRJh3ApFYRf0MHdRfrpAyu4tNyvEQkQ6G5SOzYMZEz3wcqCCvf19k6COmNG3g2wYJlQtVm-9-K3HDyXxzBfbloHW3tXFiC9ciY-xUj7vHrStGoQASrpvpO534l6ypl1Q7A40RoPL_7e3N14AU1zmfuz45xHH8h_inHEhtpFYGw7oah6gowRU9_Fa7AyaiebCA7MnDqjGHuEZOLqUppLkwflir8IxvpVZBMKVzh9JDcpQCLlqu9AR1jCmXx64MrjTzvO7GCh2x7BFGfo0b1uh_oOw";
    /// Nothing listens there: a key refetch fails as unreachable, which
    /// tells a refetch apart from a refusal without one.
    const ISSUER: &str = "http://127.0.0.1:1";
    const CLIENT: &str = "portal";

    fn party(clock: &crate::clock::FixedClock) -> RelyingParty {
        let party = RelyingParty::new(RelyingPartySettings {
            issuer: ISSUER.into(),
            client_id: CLIENT.into(),
            client_secret: "secret".into(),
            redirect_uri: "http://portal/auth/callback".into(),
            post_logout_redirect_uri: None,
            scopes: vec!["openid".into()],
        })
        .unwrap_or_else(|e| panic!("{e}"))
        .with_clock(Arc::new(clock.clone()));
        let keys: JwkSet = serde_json::from_value(serde_json::json!({"keys": [{
            "kty": "RSA", "kid": "k1", "use": "sig", "alg": "RS256", "n": TEST_KEY_N, "e": "AQAB",
        }]}))
        .unwrap_or_else(|e| panic!("{e}"));
        party.provider.set(Provider {
            metadata: ProviderMetadata {
                issuer: ISSUER.into(),
                authorization_endpoint: format!("{ISSUER}/oauth2/auth"),
                token_endpoint: format!("{ISSUER}/oauth2/token"),
                jwks_uri: format!("{ISSUER}/.well-known/jwks.json"),
                end_session_endpoint: None,
                userinfo_endpoint: None,
            },
            keys,
        });
        party
    }

    fn now_clock() -> crate::clock::FixedClock {
        crate::clock::FixedClock::new(time::OffsetDateTime::now_utc())
    }

    fn sign(alg: jsonwebtoken::Algorithm, kid: &str, claims: &serde_json::Value) -> String {
        let mut header = jsonwebtoken::Header::new(alg);
        header.kid = Some(kid.into());
        let der = hex::decode(TEST_KEY_DER_HEX).unwrap_or_else(|e| panic!("{e}"));
        let key = jsonwebtoken::EncodingKey::from_rsa_der(&der);
        jsonwebtoken::encode(&header, claims, &key).unwrap_or_else(|e| panic!("{e}"))
    }

    fn id_token_claims(clock: &crate::clock::FixedClock) -> serde_json::Value {
        let now = clock.now().unix_timestamp();
        serde_json::json!({"iss": ISSUER, "aud": CLIENT, "sub": "someone", "iat": now, "exp": now + 300, "nonce": "n"})
    }

    fn logout_claims(iat: i64, jti: Option<&str>) -> serde_json::Value {
        let mut claims = serde_json::json!({
            "iss": ISSUER, "aud": CLIENT, "sid": "login-session", "iat": iat,
            "events": {BACKCHANNEL_LOGOUT_EVENT: {}},
        });
        if let (Some(jti), Some(fields)) = (jti, claims.as_object_mut()) {
            fields.insert("jti".into(), jti.into());
        }
        claims
    }

    fn b64(bytes: &[u8]) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
            for i in 0..=chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            }
        }
        out
    }

    #[tokio::test]
    async fn an_rs256_token_of_the_providers_key_verifies() {
        let clock = now_clock();
        let party = party(&clock);
        let token = sign(jsonwebtoken::Algorithm::RS256, "k1", &id_token_claims(&clock));
        let claims: IdTokenClaims = party.verify(&token, true).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(claims.sub, "someone");
    }

    #[tokio::test]
    async fn a_token_signed_with_another_algorithm_than_its_keys_is_refused() {
        let clock = now_clock();
        let party = party(&clock);
        // Same RSA key, but RS512 where the JWKS says RS256: the header does
        // not choose the algorithm.
        let token = sign(jsonwebtoken::Algorithm::RS512, "k1", &id_token_claims(&clock));
        let refused = party.verify::<IdTokenClaims>(&token, true).await;
        assert!(matches!(refused, Err(Error::SignInRejected(_))), "{refused:?}");
    }

    #[tokio::test]
    async fn forged_tokens_with_alg_none_or_hs256_are_refused() {
        let clock = now_clock();
        let party = party(&clock);
        let payload = b64(id_token_claims(&clock).to_string().as_bytes());
        let none = format!("{}.{payload}.", b64(br#"{"alg":"none","kid":"k1","typ":"JWT"}"#));
        assert!(matches!(
            party.verify::<IdTokenClaims>(&none, true).await,
            Err(Error::SignInRejected(_))
        ));
        // HS256 "signed" with the provider's public key, the classic confusion.
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
        header.kid = Some("k1".into());
        let hs256 = jsonwebtoken::encode(
            &header,
            &id_token_claims(&clock),
            &jsonwebtoken::EncodingKey::from_secret(TEST_KEY_N.as_bytes()),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let refused = party.verify::<IdTokenClaims>(&hs256, true).await;
        assert!(matches!(refused, Err(Error::SignInRejected(_))), "{refused:?}");
    }

    #[tokio::test]
    async fn an_unknown_kid_refetches_the_keys_at_most_once_a_minute() {
        let clock = now_clock();
        let party = party(&clock);
        let token = sign(
            jsonwebtoken::Algorithm::RS256,
            "rotated",
            &id_token_claims(&clock),
        );
        let refetched = |outcome: &Result<IdTokenClaims>| !matches!(outcome, Err(Error::SignInRejected(_)));
        // The first unknown key id asks the provider (unreachable here)…
        assert!(refetched(&party.verify(&token, true).await));
        // …the next ones within the minute are refused without asking.
        for _ in 0..5 {
            assert!(!refetched(&party.verify(&token, true).await));
        }
        clock.advance(time::Duration::seconds(59));
        assert!(!refetched(&party.verify(&token, true).await));
        clock.advance(time::Duration::seconds(2));
        assert!(refetched(&party.verify(&token, true).await));
        assert!(!refetched(&party.verify(&token, true).await));
    }

    #[tokio::test]
    async fn a_recent_logout_token_with_a_jti_is_accepted_until_it_is_stale() {
        let clock = now_clock();
        let party = party(&clock);
        let iat = clock.now().unix_timestamp();
        let token = sign(
            jsonwebtoken::Algorithm::RS256,
            "k1",
            &logout_claims(iat, Some("jti-1")),
        );
        let notice = party
            .verify_logout_token(&token)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(notice.token_id, "jti-1");
        assert_eq!(notice.session_id.as_deref(), Some("login-session"));
        assert!(notice.usable_until > clock.now());

        // The same token, presented ten minutes later, is stale.
        clock.advance(time::Duration::minutes(10));
        let refused = party.verify_logout_token(&token).await;
        assert!(matches!(refused, Err(Error::SignInRejected(_))), "{refused:?}");
    }

    #[tokio::test]
    async fn a_logout_token_without_jti_or_from_the_future_is_refused() {
        let clock = now_clock();
        let party = party(&clock);
        let now = clock.now().unix_timestamp();
        let without_jti = sign(jsonwebtoken::Algorithm::RS256, "k1", &logout_claims(now, None));
        assert!(matches!(
            party.verify_logout_token(&without_jti).await,
            Err(Error::SignInRejected(_))
        ));
        let future = sign(
            jsonwebtoken::Algorithm::RS256,
            "k1",
            &logout_claims(now + 3600, Some("j")),
        );
        assert!(matches!(
            party.verify_logout_token(&future).await,
            Err(Error::SignInRejected(_))
        ));
    }

    #[test]
    fn the_debug_form_of_the_settings_and_a_pending_sign_in_hides_their_secrets() {
        let settings = RelyingPartySettings {
            issuer: ISSUER.into(),
            client_id: CLIENT.into(),
            client_secret: "client-s3cret-value".into(),
            redirect_uri: "http://portal/auth/callback".into(),
            post_logout_redirect_uri: None,
            scopes: vec!["openid".into()],
        };
        let shown = format!("{settings:?}");
        assert!(!shown.contains("client-s3cret-value"), "{shown}");
        assert!(shown.contains(CLIENT), "{shown}");
        let pending = PendingSignIn {
            state: "state".into(),
            nonce: "nonce".into(),
            pkce_verifier: "pkce-s3cret-verifier".into(),
        };
        assert!(!format!("{pending:?}").contains("pkce-s3cret-verifier"));
    }

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
