//! Platform administrators: granted by `bibind admin grant EMAIL` to someone
//! who already has an account.

use crate::{domain::EmailAddress, Control, Error, Result};

/// What a grant did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GrantOutcome {
    Granted { identity_id: String },
    AlreadyAdmin { identity_id: String },
}

impl Control {
    /// Makes the account with this e-mail a platform admin. Idempotent.
    pub async fn grant_platform_admin(&self, email: &EmailAddress, granted_by: &str) -> Result<GrantOutcome> {
        let identity_id = self
            .kratos()?
            .find_identity_by_email(email)
            .await?
            .ok_or_else(|| Error::UnknownAccount(email.to_string()))?;
        let id = uuid_of(&identity_id)?;
        let inserted = sqlx::query(
            "INSERT INTO platform_admins (identity_id, email, granted_at, granted_by)
             VALUES ($1, $2, $3, $4) ON CONFLICT (identity_id) DO NOTHING",
        )
        .bind(id)
        .bind(email.as_str())
        .bind(self.clock.now())
        .bind(granted_by)
        .execute(self.db.pool())
        .await?
        .rows_affected();
        Ok(if inserted == 1 {
            GrantOutcome::Granted { identity_id }
        } else {
            GrantOutcome::AlreadyAdmin { identity_id }
        })
    }

    pub async fn is_platform_admin(&self, identity_id: &str) -> Result<bool> {
        let Ok(id) = uuid_of(identity_id) else {
            return Ok(false);
        };
        let found: Option<i32> = sqlx::query_scalar("SELECT 1 FROM platform_admins WHERE identity_id = $1")
            .bind(id)
            .fetch_optional(self.db.pool())
            .await?;
        Ok(found.is_some())
    }
}

fn uuid_of(identity_id: &str) -> Result<sqlx::types::Uuid> {
    sqlx::types::Uuid::parse_str(identity_id).map_err(|_| Error::Backend {
        backend: "kratos",
        detail: format!("identity id {identity_id:?} is not a UUID"),
    })
}
