//! Simulators of the systems Bibind drives that cannot run here. Each is a
//! stateful axum router written from the system's public API documentation;
//! the `sim` binary serves them, and tests serve them in-process on port 0
//! ([`serve`]) so that `control`'s real clients reach them over HTTP. [`dns`]
//! is the exception: a DNS server of its own, for resolvers.

pub mod awx;
pub mod dns;
pub mod faults;
pub mod gitlab;
pub mod kubernetes;
pub mod odoo;
pub mod openstack;
pub mod relying_party;

use std::{
    net::SocketAddr,
    sync::{Mutex, MutexGuard, PoisonError},
};

use axum::Router;

/// The state behind `mutex`, even after a panic in another handler: no
/// simulator write leaves its state half-done, so take it as it is.
pub(crate) fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Text put in HTML, as markupsafe escapes it.
pub(crate) fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
}

/// A simulator listening on a free loopback port until the value is dropped.
pub struct Served {
    pub address: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Served {
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves `router` on `127.0.0.1:0` in the current tokio runtime.
pub async fn serve(router: Router) -> std::io::Result<Served> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let task = tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, router).await {
            tracing::warn!(%error, "a simulator stopped serving");
        }
    });
    Ok(Served { address, task })
}

/// Serves `router` on `listen` until the process ends (the `sim` binary).
pub async fn serve_forever(router: Router, listen: SocketAddr) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|error| format!("cannot listen on {listen}: {error}"))?;
    tracing::info!(%listen, "simulator listening");
    axum::serve(listener, router)
        .await
        .map_err(|error| error.to_string())
}
