//! Identity: Ory Kratos (identities, self-service flows, sessions) and Ory
//! Hydra (OAuth2 and OpenID Connect; the portal is its login, consent and
//! logout provider).

pub mod api_idempotency;
pub mod api_tokens;
pub(crate) mod asking;
pub mod consent;
mod hydra;
mod kratos;
pub mod login;
mod oidc;
pub mod portal_sessions;
pub mod throttle;
pub mod upstream;

use crate::Error;

/// Errors of one backend's HTTP client, named after the backend.
#[derive(Clone, Copy)]
struct Failure(&'static str);

impl Failure {
    fn because(self, detail: String) -> Error {
        Error::Backend {
            backend: self.0,
            detail,
        }
    }

    fn unreachable(self, error: reqwest::Error) -> Error {
        self.because(format!("unreachable: {error}"))
    }

    fn malformed(self, error: reqwest::Error) -> Error {
        self.because(format!("unexpected answer: {error}"))
    }
}

pub use hydra::{
    AcceptedLogin, ChallengeOutcome, ClientMetadata, ClientRegistration, ConsentRequest, Hydra,
    IdTokenClaims, Introspection, LoginRequest, OAuthClient, SUSPENDED_METADATA_KEY,
};
pub(crate) use kratos::encode_query_value;
pub use kratos::{
    cookies_after, FoundIdentity, Kratos, KratosSession, RelayedAnswer, RelayedForm, SessionCheck,
    KRATOS_SESSION_COOKIE,
};
pub use oidc::{
    AuthorizationResponse, LogoutNotice, PendingSignIn, RelyingParty, RelyingPartySettings, SignInStart,
    VerifiedSignIn,
};
