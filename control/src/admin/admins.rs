//! Platform administrators: granted by `bibind-server admin grant EMAIL` (or the
//! bootstrap list) to someone who already has an account and has verified
//! its address, stored and checked by identity id. An address nobody proved
//! grants nothing: whoever registers it first cannot claim the role.

use crate::{
    domain::{AdminAccess, EmailAddress, FlowKind, PlatformAdmin, Scope, SignedInUser},
    tenancy::access::uuid_of_identity,
    Caller, Control, Error, Result,
};

/// The person an API token speaks for, as the admin gate knows people: a
/// person's token (the command line's) that carries the `admin` scope. The
/// gate then checks, as in the portal, that they are a platform admin with
/// a verified address who signed in with their second factor. An API
/// client's token, or one without the scope, is nobody there.
pub fn api_admin(caller: &Caller) -> Option<SignedInUser> {
    let token = caller.token.as_ref()?;
    if token.client.is_some() || !token.scopes.contains(Scope::Admin) {
        return None;
    }
    Some(SignedInUser {
        identity_id: caller.identity_id.clone(),
        email: caller.email.clone(),
        email_verified: caller.email_verified,
        display_name: caller.email.clone(),
        assurance_level: if token.second_factor { "aal2" } else { "aal1" }.to_owned(),
    })
}

/// What a grant did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GrantOutcome {
    Granted { identity_id: String },
    AlreadyAdmin { identity_id: String },
}

impl Control {
    /// Makes the account with this e-mail a platform admin, once the
    /// address is verified on it. Idempotent.
    pub async fn grant_platform_admin(&self, email: &EmailAddress, granted_by: &str) -> Result<GrantOutcome> {
        let found = self
            .kratos()?
            .find_identity_by_email(email)
            .await?
            .ok_or_else(|| Error::UnknownAccount(email.to_string()))?;
        if !found.email_verified {
            return Err(Error::UnverifiedAccount(email.to_string()));
        }
        let identity_id = found.id;
        let id = uuid_of_identity(&identity_id)?;
        let inserted = sqlx::query!(
            "INSERT INTO platform_admins (identity_id, email, granted_at, granted_by)
             VALUES ($1, $2, $3, $4) ON CONFLICT (identity_id) DO NOTHING",
            id,
            email.as_str(),
            self.clock.now(),
            granted_by,
        )
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
        let Ok(id) = uuid_of_identity(identity_id) else {
            return Ok(false);
        };
        let found = sqlx::query_scalar!(
            "SELECT 1 AS admin FROM platform_admins WHERE identity_id = $1",
            id
        )
        .fetch_optional(self.db.pool())
        .await?;
        Ok(found.is_some())
    }
}

impl Control {
    /// The admin area's gate: a platform admin at AAL2 whose address is
    /// verified (an admin who changed it to one not proven yet waits until
    /// it is). The upgrade URL
    /// signs the person in again with their second factor and returns to
    /// `return_to` (a path of the portal).
    pub async fn admin_gate(&self, user: Option<&SignedInUser>, return_to: &str) -> Result<AdminAccess<()>> {
        let Some(user) = user else {
            return Ok(AdminAccess::SignInRequired);
        };
        if !user.email_verified || !self.is_platform_admin(&user.identity_id).await? {
            return Ok(AdminAccess::Forbidden);
        }
        if user.assurance_level != "aal2" {
            let kratos = self.kratos()?;
            let enrolled = kratos.has_second_factor(&user.identity_id).await?;
            let back = format!("{}{return_to}", self.public_url());
            let upgrade_url =
                kratos.browser_start_url_with(FlowKind::Login, &[("aal", "aal2"), ("return_to", &back)]);
            return Ok(AdminAccess::SecondFactorRequired {
                enrolled,
                upgrade_url,
            });
        }
        Ok(AdminAccess::Granted(()))
    }

    /// Every platform admin, for the admin overview (behind [`Self::admin_gate`]).
    pub async fn platform_admins(
        &self,
        user: Option<&SignedInUser>,
    ) -> Result<AdminAccess<Vec<PlatformAdmin>>> {
        if let Err(refused) = self.admin_gate(user, "/admin").await?.granted() {
            return Ok(refused);
        }
        let rows = sqlx::query!(
            "SELECT email, granted_at, granted_by FROM platform_admins ORDER BY granted_at, email"
        )
        .fetch_all(self.db.pool())
        .await?;
        Ok(AdminAccess::Granted(
            rows.into_iter()
                .map(|row| PlatformAdmin {
                    email: row.email,
                    granted_at: row
                        .granted_at
                        .format(&time::format_description::well_known::Rfc3339)
                        .unwrap_or_default(),
                    granted_by: row.granted_by,
                })
                .collect(),
        ))
    }
}
