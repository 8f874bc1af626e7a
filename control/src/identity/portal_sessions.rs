//! The link between the portal's sessions and the Hydra login and Kratos
//! session they came from, so that a logout or a revocation elsewhere ends
//! them at once.

use crate::{Control, Result};

/// Where a portal session came from.
#[derive(Debug, Clone, PartialEq)]
pub struct PortalLoginOrigin<'a> {
    pub subject: &'a str,
    pub hydra_sid: Option<&'a str>,
    pub kratos_session_id: Option<&'a str>,
}

/// Which portal sessions to end.
#[derive(Debug, Clone, PartialEq)]
pub enum PortalLogins<'a> {
    /// Those signed in through one Hydra login session (`sid`).
    OfHydraSession(&'a str),
    /// Those of one Kratos session.
    OfKratosSession(&'a str),
    /// All of a person's.
    OfSubject(&'a str),
    /// A person's from one of their Kratos sessions.
    OfSubjectKratosSession {
        subject: &'a str,
        kratos_session_id: &'a str,
    },
    /// All of a person's but those of one Kratos session (this browser).
    OfSubjectExcept {
        subject: &'a str,
        kratos_session_id: &'a str,
    },
}

impl Control {
    /// Remembers where portal session `session_id` came from.
    pub async fn record_portal_login(&self, session_id: &str, origin: &PortalLoginOrigin<'_>) -> Result<()> {
        sqlx::query!(
            "INSERT INTO portal_logins (session_id, hydra_sid, kratos_session_id, subject, signed_in_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (session_id) DO UPDATE SET hydra_sid = EXCLUDED.hydra_sid,
                 kratos_session_id = EXCLUDED.kratos_session_id, subject = EXCLUDED.subject,
                 signed_in_at = EXCLUDED.signed_in_at",
            session_id,
            origin.hydra_sid,
            origin.kratos_session_id,
            origin.subject,
            self.clock.now(),
        )
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// Forgets a portal session that signed out by itself.
    pub async fn forget_portal_login(&self, session_id: &str) -> Result<()> {
        sqlx::query!("DELETE FROM portal_logins WHERE session_id = $1", session_id)
            .execute(self.db.pool())
            .await?;
        Ok(())
    }

    /// Ends the portal sessions `which` selects; returns their ids.
    pub async fn end_portal_logins(&self, which: &PortalLogins<'_>) -> Result<Vec<String>> {
        let mut tx = self.db.pool().begin().await?;
        let ended = match *which {
            PortalLogins::OfHydraSession(sid) => {
                sqlx::query_scalar!("DELETE FROM portal_logins WHERE hydra_sid = $1 RETURNING session_id", sid)
                    .fetch_all(&mut *tx)
                    .await?
            }
            PortalLogins::OfKratosSession(id) => {
                sqlx::query_scalar!(
                    "DELETE FROM portal_logins WHERE kratos_session_id = $1 RETURNING session_id",
                    id,
                )
                .fetch_all(&mut *tx)
                .await?
            }
            PortalLogins::OfSubject(subject) => {
                sqlx::query_scalar!("DELETE FROM portal_logins WHERE subject = $1 RETURNING session_id", subject)
                    .fetch_all(&mut *tx)
                    .await?
            }
            PortalLogins::OfSubjectKratosSession {
                subject,
                kratos_session_id,
            } => {
                sqlx::query_scalar!(
                    "DELETE FROM portal_logins WHERE subject = $1 AND kratos_session_id = $2 RETURNING session_id",
                    subject,
                    kratos_session_id,
                )
                .fetch_all(&mut *tx)
                .await?
            }
            PortalLogins::OfSubjectExcept {
                subject,
                kratos_session_id,
            } => {
                sqlx::query_scalar!(
                    "DELETE FROM portal_logins WHERE subject = $1 AND kratos_session_id IS DISTINCT FROM $2
                     RETURNING session_id",
                    subject,
                    kratos_session_id,
                )
                .fetch_all(&mut *tx)
                .await?
            }
        };
        let deleted: Vec<String> = sqlx::query_scalar!(
            "DELETE FROM tower_sessions.session WHERE id = ANY($1) RETURNING id",
            &ended
        )
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(deleted)
    }

    /// Ends one of the person's other Kratos sessions (`Some(id)`) or all of
    /// them, and the portal sessions that came from them (whose ids it returns).
    pub async fn revoke_other_sessions(&self, cookie: Option<&str>, id: Option<&str>) -> Result<Vec<String>> {
        let kratos = self.kratos()?;
        let current = match kratos.session(cookie).await? {
            crate::identity::SessionCheck::Active(session) => session,
            _ => return Ok(Vec::new()),
        };
        // Only ever the asker's own sessions: one not among those Kratos
        // lists for this browser's person is left alone, here and at Kratos.
        if let Some(id) = id {
            let theirs = kratos.my_sessions(cookie).await?;
            if !theirs.iter().any(|session| !session.current && session.id == id) {
                tracing::warn!("refused to revoke a session that is not the asker's");
                return Ok(Vec::new());
            }
        }
        kratos.revoke_sessions(cookie, id).await?;
        let which = match id {
            Some(id) => PortalLogins::OfSubjectKratosSession {
                subject: &current.user.identity_id,
                kratos_session_id: id,
            },
            None => PortalLogins::OfSubjectExcept {
                subject: &current.user.identity_id,
                kratos_session_id: &current.id,
            },
        };
        self.end_portal_logins(&which).await
    }

    /// Deletes expired portal sessions and their links; run now and then.
    pub async fn prune_expired_portal_sessions(&self) -> Result<u64> {
        let mut tx = self.db.pool().begin().await?;
        let expired = sqlx::query!(
            "DELETE FROM tower_sessions.session WHERE expiry_date < $1",
            self.clock.now()
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        sqlx::query!(
            "DELETE FROM portal_logins l WHERE NOT EXISTS
               (SELECT 1 FROM tower_sessions.session s WHERE s.id = l.session_id)",
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(expired)
    }
}
