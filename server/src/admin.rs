//! `bibind-server admin …`: operator commands run against the same configuration
//! as the server.

use control::{admin::admins::GrantOutcome, domain::EmailAddress};

use crate::{config::Config, wiring, StartError};

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("{0:?} is not a valid e-mail address")]
    InvalidEmail(String),
    #[error(transparent)]
    Start(#[from] StartError),
    #[error(transparent)]
    Control(#[from] control::Error),
}

/// Grants the platform-admin role to the account with this e-mail; returns
/// what to tell the operator.
pub async fn grant(config: &Config, email: &str) -> Result<String, AdminError> {
    let email = EmailAddress::parse(email).ok_or_else(|| AdminError::InvalidEmail(email.to_owned()))?;
    let control = wiring::control_plane(config).await?;
    Ok(match control.grant_platform_admin(&email, "cli").await? {
        GrantOutcome::Granted { identity_id } => {
            format!("{email} (identity {identity_id}) is now a platform admin")
        }
        GrantOutcome::AlreadyAdmin { identity_id } => {
            format!("{email} (identity {identity_id}) was already a platform admin")
        }
    })
}
