//! The Bibind control plane.
//!
//! Pure domain types ([`domain`], [`clock`]) compile everywhere, including the
//! wasm front end. With the `server` feature, [`Control`] adds the PostgreSQL
//! store and the operations that pages, server functions and the REST API call.
//! Nothing here knows about Leptos or axum.
//!
//! Folders name concepts and depend on each other in one direction (a test
//! in xtask refuses an import circle between them), lowest first:
//! `infra` (store, caches, mail, formatting), `audit`, `tenancy`
//! (organizations, members, subscriptions, quotas, their pages),
//! `identity` (Kratos, Hydra, sign-in, consent, throttling), `backends`,
//! `jobs`, `provisioning`, `ingest` (device messages from the broker), `admin` (the platform admin's operations). The
//! files beside this one are what all of them share: [`Control`], [`Caller`],
//! [`Error`] and [`Outcome`].

pub mod client_ip;
pub mod clock;
pub mod domain;

#[cfg(feature = "server")]
pub mod admin;
#[cfg(feature = "server")]
pub mod audit;
#[cfg(feature = "server")]
pub mod backends;
#[cfg(feature = "server")]
pub mod backups;
#[cfg(feature = "server")]
mod caller;
#[cfg(feature = "server")]
mod control;
#[cfg(feature = "server")]
mod error;
#[cfg(feature = "server")]
pub mod identity;
#[cfg(feature = "server")]
pub mod infra;
#[cfg(feature = "server")]
pub mod ingest;
#[cfg(feature = "server")]
pub mod jobs;
#[cfg(feature = "server")]
pub mod provisioning;
#[cfg(feature = "server")]
pub mod tenancy;

#[cfg(feature = "server")]
pub use caller::{Caller, ClientGrant, TokenGrant};
#[cfg(feature = "server")]
pub(crate) use control::PageChange;
#[cfg(feature = "server")]
pub use control::{Control, DeviceAccess, Parts};
#[cfg(feature = "server")]
pub(crate) use error::or_refuse;
#[cfg(feature = "server")]
pub use error::{Error, Outcome, Result};
