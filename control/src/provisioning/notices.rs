//! The engine's step that sends a notice job's e-mails (queued by
//! `jobs::notices`), each in its recipient's language, marking each sent
//! so that a retry after a refused one does not send the others twice.

use std::collections::HashMap;

use uuid::Uuid;

use crate::{
    domain::{Locale, LocalizedText, StepFailure},
    infra::notice_letter::NoticeLetter,
    jobs::{
        notices::{mark_notice_sent, pending_notices},
        StepOutcome,
    },
    Control,
};

impl Control {
    /// The language `identity` chose in their account, English if they
    /// chose none or Kratos cannot say now (the notice is not held for it).
    async fn language_of(&self, identity: Uuid) -> Locale {
        let Ok(kratos) = self.kratos() else {
            return Locale::default();
        };
        match kratos.id_token_claims(&identity.to_string()).await {
            Ok(claims) => claims
                .locale
                .as_deref()
                .and_then(Locale::from_tag)
                .unwrap_or_default(),
            Err(error) => {
                tracing::warn!(%error, "cannot read a recipient's language");
                Locale::default()
            }
        }
    }

    async fn offer_names(&self) -> crate::Result<HashMap<String, LocalizedText>> {
        let rows = sqlx::query!("SELECT kind, name_en, name_fr FROM offers")
            .fetch_all(self.db.pool())
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                (
                    row.kind,
                    LocalizedText {
                        en: row.name_en,
                        fr: row.name_fr,
                    },
                )
            })
            .collect())
    }

    /// Sends what notice job `job` has not sent yet.
    pub(super) async fn send_notices(&self, job: Uuid) -> StepOutcome {
        let database = |error: crate::Error| StepFailure::transient(format!("portal database: {error}"));
        // A portal without a relay sends no mail at all: its notices stay
        // recorded, unsent, rather than failing jobs an admin cannot fix.
        let Some(mailer) = self.mailer.as_ref() else {
            tracing::warn!(%job, "no SMTP relay is configured: notices are not sent");
            return Ok(Vec::new());
        };
        let offers = self.offer_names().await.map_err(database)?;
        let mut conn = self.db.pool().acquire().await.map_err(|e| database(e.into()))?;
        // Every recipient is tried: one refused address does not hold the others back.
        let mut refused = Vec::new();
        for notice in pending_notices(&mut conn, job).await.map_err(database)? {
            let locale = self.language_of(notice.recipient_identity).await;
            let detail = |name: &str| notice.details.get(name).and_then(serde_json::Value::as_str);
            let offer = detail("offer")
                .and_then(|code| offers.get(code))
                .map_or("", |name| name.get(locale));
            let link = format!("{}/orgs/{}", self.public_url(), notice.organization_slug);
            let letter = NoticeLetter {
                kind: notice.kind,
                organization: &notice.organization_name,
                offer,
                reason: detail("reason"),
                member: detail("member").unwrap_or(""),
                link: &link,
            }
            .letter(locale);
            match mailer.send(&notice.recipient_email, &letter).await {
                Ok(()) => mark_notice_sent(&mut conn, notice.id, self.clock.now())
                    .await
                    .map_err(database)?,
                Err(error) => refused.push(error.to_string()),
            }
        }
        match refused.first() {
            None => Ok(Vec::new()),
            Some(first) => Err(StepFailure::transient(format!(
                "{} of the notices not sent: {first}",
                refused.len()
            ))),
        }
    }
}
