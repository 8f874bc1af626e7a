//! `bibind-server admin …`: operator commands run against the same configuration
//! as the server.

use control::{admin::admins::GrantOutcome, domain::EmailAddress};
use secrecy::ExposeSecret;

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

/// Applies the pending database migrations (what a deployment runs once
/// before a new version serves, with `database.migrate = false` on its
/// replicas); returns what to tell the operator.
pub async fn migrate(config: &Config) -> Result<String, AdminError> {
    let db = control::infra::store::Db::connect_lazy(
        config.database.url.expose_secret(),
        config.database.max_connections,
    )
    .map_err(StartError::from)?;
    db.migrate().await.map_err(StartError::from)?;
    Ok(format!(
        "the database schema is up to date ({} migrations)",
        control::infra::store::MIGRATOR.iter().count()
    ))
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
