//! The portal as Hydra's consent and logout provider: what to do with a
//! challenge Hydra sends the browser with.

use crate::{
    identity::{login::NOT_A_MEMBER, ChallengeOutcome, ConsentRequest, IdTokenClaims},
    Control, Result,
};

/// The claims for a consent request: the person's profile, and for a tenant's
/// application their organization and role in it. `None`: a tenant's
/// application and the person is not a member of its organization.
async fn claims_for(control: &Control, request: &ConsentRequest) -> Result<Option<IdTokenClaims>> {
    let mut claims = control.kratos()?.id_token_claims(&request.subject).await?;
    if request.client.is_tenant_client() {
        let standing = control.tenant_standing(&request.client, &request.subject).await?;
        let Some((slug, role)) =
            standing.and_then(|standing| Some((standing.organization_slug, standing.role?)))
        else {
            return Ok(None);
        };
        claims.bibind_organization = Some(slug);
        claims.bibind_role = Some(role.as_str().to_owned());
    }
    Ok(Some(claims))
}

/// The next step of a consent challenge.
#[derive(Debug, Clone, PartialEq)]
pub enum ConsentStep {
    /// Decided without asking (first-party client, or consent remembered):
    /// send the browser here.
    Redirect(String),
    /// Ask the person.
    Ask(Box<ConsentRequest>),
    /// Unknown, expired or already answered.
    Gone,
}

impl Control {
    /// First-party clients (`skip_consent`, never a tenant's) and remembered
    /// consents are accepted at once; other clients get a consent screen. A
    /// tenant's application is refused for anyone not a member of its
    /// organization, and its ID token carries the member's role.
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
                    .reject_consent_because(&request.challenge, crate::identity::login::SUSPENDED_CLIENT)
                    .await?,
            ));
        }
        // Only Bibind's own applications skip the screen; a tenant's
        // application is asked about once (then remembered), whatever its
        // registration says.
        let first_party = request.client.skip_consent && !request.client.is_tenant_client();
        if request.client.is_tenant_client() || request.skip || first_party {
            // The role is read now: a member removed since their login, or
            // whose role changed, is not let through with the old one.
            let Some(claims) = claims_for(self, &request).await? else {
                return Ok(ConsentStep::Redirect(
                    hydra
                        .reject_consent_because(&request.challenge, NOT_A_MEMBER)
                        .await?,
                ));
            };
            if request.skip || first_party {
                // Remembered, so that `prompt=none` works for first-party clients.
                return Ok(ConsentStep::Redirect(
                    hydra.accept_consent(&request, true, &claims).await?,
                ));
            }
        }
        Ok(ConsentStep::Ask(Box::new(request)))
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
                    .reject_consent_because(&request.challenge, crate::identity::login::SUSPENDED_CLIENT)
                    .await?,
            ));
        }
        let Some(claims) = claims_for(self, &request).await? else {
            return Ok(Some(
                hydra
                    .reject_consent_because(&request.challenge, NOT_A_MEMBER)
                    .await?,
            ));
        };
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

impl Control {
    /// Records that the back-channel logout token `notice` came from has been
    /// used; `false` when it already was (a replay, on this replica or
    /// another). Tokens past their usable time are pruned on the way.
    pub async fn first_use_of_logout_token(&self, notice: &crate::identity::LogoutNotice) -> Result<bool> {
        let now = self.clock.now();
        let mut tx = self.db.pool().begin().await?;
        sqlx::query!("DELETE FROM seen_logout_tokens WHERE expires_at < $1", now)
            .execute(&mut *tx)
            .await?;
        let inserted = sqlx::query!(
            "INSERT INTO seen_logout_tokens (jti, expires_at) VALUES ($1, $2)
             ON CONFLICT (jti) DO NOTHING",
            notice.token_id,
            notice.usable_until,
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(inserted == 1)
    }
}
