//! Builds the control plane from the configuration: the database (migrated
//! when configured) and the clients of the configured backends. Shared by
//! the HTTP server and the admin subcommands.

use std::sync::Arc;

use control::{
    clock::SystemClock,
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
