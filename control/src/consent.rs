//! The portal as Hydra's consent and logout provider: what to do with a
//! challenge Hydra sends the browser with.

use crate::{
    identity::{ChallengeOutcome, ConsentRequest},
    Control, Result,
};

/// The next step of a consent challenge.
#[derive(Debug, Clone, PartialEq)]
pub enum ConsentStep {
    /// Decided without asking (first-party client, or consent remembered):
    /// send the browser here.
    Redirect(String),
    /// Ask the person.
    Ask(ConsentRequest),
    /// Unknown, expired or already answered.
    Gone,
}

impl Control {
    /// First-party clients (`skip_consent`) and remembered consents are
    /// accepted at once; other clients get a consent screen.
    pub async fn consent_step(&self, challenge: &str) -> Result<ConsentStep> {
        let hydra = self.hydra()?;
        let request = match hydra.consent_request(challenge).await? {
            ChallengeOutcome::Pending(request) => request,
            ChallengeOutcome::Gone => return Ok(ConsentStep::Gone),
        };
        if request.client.is_suspended() {
            // Suspended after its login was accepted: still no tokens.
            return Ok(ConsentStep::Redirect(
                hydra
                    .reject_consent_because(&request.challenge, crate::login::SUSPENDED_CLIENT)
                    .await?,
            ));
        }
        if request.skip || request.client.skip_consent {
            // Remembered, so that `prompt=none` works for first-party clients.
            let claims = self.kratos()?.id_token_claims(&request.subject).await?;
            return Ok(ConsentStep::Redirect(
                hydra.accept_consent(&request, true, &claims).await?,
            ));
        }
        Ok(ConsentStep::Ask(request))
    }

    /// The person's answer. The request is read again from Hydra: the scopes
    /// granted are the ones Hydra recorded, never ones a form could add.
    pub async fn decide_consent(
        &self,
        challenge: &str,
        allow: bool,
        remember: bool,
    ) -> Result<Option<String>> {
        let hydra = self.hydra()?;
        let request = match hydra.consent_request(challenge).await? {
            ChallengeOutcome::Pending(request) => request,
            ChallengeOutcome::Gone => return Ok(None),
        };
        if !allow {
            return Ok(Some(hydra.reject_consent(&request.challenge).await?));
        }
        if request.client.is_suspended() {
            return Ok(Some(
                hydra
                    .reject_consent_because(&request.challenge, crate::login::SUSPENDED_CLIENT)
                    .await?,
            ));
        }
        let claims = self.kratos()?.id_token_claims(&request.subject).await?;
        Ok(Some(hydra.accept_consent(&request, remember, &claims).await?))
    }

    /// Accepts an OpenID logout; `None` when the challenge is gone.
    pub async fn accept_logout(&self, challenge: &str) -> Result<Option<String>> {
        Ok(match self.hydra()?.accept_logout(challenge).await? {
            ChallengeOutcome::Pending(redirect) => Some(redirect),
            ChallengeOutcome::Gone => None,
        })
    }
}
