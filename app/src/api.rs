//! Server functions: the only door from the UI to the control plane. Each one
//! takes the [`control::Control`] from context, calls it, and maps its error
//! once, here; none holds SQL or talks to a backend itself.

use control::domain::Offer;
use leptos::prelude::*;

/// The offers and the plans on sale now.
#[server(endpoint = "catalog", input = server_fn::codec::GetUrl)]
pub async fn public_catalog() -> Result<Vec<Offer>, ServerFnError> {
    let control = control_plane()?;
    control.public_catalog().await.map_err(internal_error)
}

#[cfg(feature = "ssr")]
fn control_plane() -> Result<control::Control, ServerFnError> {
    use_context::<control::Control>()
        .ok_or_else(|| internal_error("the control plane is missing from the request context"))
}

/// Logs the cause for operators and gives the browser nothing it could misuse.
#[cfg(feature = "ssr")]
fn internal_error(cause: impl std::fmt::Display) -> ServerFnError {
    tracing::error!(%cause, "server function failed");
    ServerFnError::new("internal error")
}
