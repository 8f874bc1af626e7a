//! The engine's step that sends a bulk enrolment's invitations (queued by
//! `tenancy::learner_imports`). Each letter's token is drawn here and only
//! its hash kept, in the transaction that records the letter sent: a mail
//! the relay refused leaves its invitation unsent for the queue's retry,
//! and one sent is never sent again.

use sqlx::Acquire;
use uuid::Uuid;

use crate::{
    domain::{Locale, Role, StepFailure},
    infra::{format::day, mail::InvitationLetter},
    jobs::StepOutcome,
    tenancy::members::{new_token, token_hash},
    Control,
};

impl Control {
    /// Sends what invitation job `job` has not sent yet.
    pub(super) async fn send_invitation_letters(&self, job: Uuid) -> StepOutcome {
        let database = |error: crate::Error| StepFailure::transient(format!("portal database: {error}"));
        let Some(mailer) = self.mailer.as_ref() else {
            return Err(StepFailure::transient(
                "no SMTP relay is configured: invitations wait",
            ));
        };
        let mut conn = self.db.pool().acquire().await.map_err(|e| database(e.into()))?;
        let pending = sqlx::query!(
            r#"SELECT i.id, i.email, i.role AS "role: Role", i.locale, i.invited_by_email, i.expires_at, o.name
                 FROM invitations i JOIN organizations o ON o.id = i.organization_id
                WHERE i.letter_job = $1 AND i.token_sha256 IS NULL
                  AND i.accepted_at IS NULL AND i.revoked_at IS NULL
                ORDER BY i.created_at, i.email"#,
            job,
        )
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| database(e.into()))?;
        // Every learner is tried: one refused address does not hold the others back.
        let mut refused = Vec::new();
        for invitation in pending {
            let token = new_token().map_err(database)?;
            let mut tx = conn.begin().await.map_err(|e| database(e.into()))?;
            let claimed = sqlx::query!(
                "UPDATE invitations SET token_sha256 = $2 WHERE id = $1 AND token_sha256 IS NULL AND revoked_at IS NULL",
                invitation.id,
                token_hash(&token),
            )
            .execute(&mut *tx)
            .await
            .map_err(|e| database(e.into()))?;
            if claimed.rows_affected() == 0 {
                continue;
            }
            let locale = invitation
                .locale
                .as_deref()
                .and_then(Locale::from_tag)
                .unwrap_or_default();
            let link = format!("{}/invitations/{token}", self.public_url());
            let letter = InvitationLetter {
                organization: &invitation.name,
                inviter: &invitation.invited_by_email,
                role: invitation.role,
                link: &link,
                expires_on: &day(invitation.expires_at),
            }
            .letter(locale);
            match mailer.send(&invitation.email, &letter).await {
                Ok(()) => tx.commit().await.map_err(|e| database(e.into()))?,
                // Rolled back: the invitation stays unsent, its token forgotten.
                Err(error) => refused.push(error.to_string()),
            }
        }
        match refused.first() {
            None => Ok(Vec::new()),
            Some(first) => Err(StepFailure::transient(format!(
                "{} of the invitations not sent: {first}",
                refused.len()
            ))),
        }
    }
}
