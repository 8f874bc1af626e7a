//! Identity: Ory Kratos (identities, self-service flows, sessions) and Ory
//! Hydra (OAuth2 and OpenID Connect; the portal is its login, consent and
//! logout provider).

mod hydra;
mod kratos;

pub use hydra::{ChallengeOutcome, ConsentRequest, Hydra, IdTokenClaims, OAuthClient};
pub use kratos::Kratos;
