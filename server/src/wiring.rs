//! Builds the control plane from the configuration: the database (migrated
//! when configured) and the clients of the configured backends. Shared by
//! the HTTP server and the admin subcommands.

use std::sync::Arc;

use control::{
    clock::SystemClock,
    domain::EmailAddress,
    identity::{Hydra, Kratos},
    store::Db,
    Control,
};
use secrecy::ExposeSecret;

use crate::{config::Config, StartError};

pub async fn control_plane(config: &Config) -> Result<Control, StartError> {
    let db = Db::connect_lazy(
        config.database.url.expose_secret(),
        config.database.max_connections,
    )?;
    if config.database.migrate {
        db.migrate().await?;
    }
    let mut control = Control::new(db, Arc::new(SystemClock));
    if let Some(kratos) = &config.kratos {
        control = control.with_kratos(Kratos::new(&kratos.public_url, Some(&kratos.admin_url))?);
    }
    if let Some(hydra) = &config.hydra {
        control = control.with_hydra(Hydra::new(&hydra.admin_url)?);
    }
    Ok(control)
}

/// Grants the bootstrap platform admins; an address without an account yet
/// is reported and skipped (it is granted at a later start).
pub async fn bootstrap(config: &Config, control: &Control) {
    for raw in &config.bootstrap.platform_admins {
        let Some(email) = EmailAddress::parse(raw) else {
            tracing::warn!(address = %raw, "bootstrap.platform_admins: not an e-mail address");
            continue;
        };
        match control.grant_platform_admin(&email, "bootstrap").await {
            Ok(outcome) => tracing::info!(%email, ?outcome, "bootstrap platform admin"),
            Err(error) => tracing::warn!(%email, %error, "bootstrap platform admin not granted"),
        }
    }
}
