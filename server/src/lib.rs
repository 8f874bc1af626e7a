//! The `bibind` server: configuration, telemetry and the HTTP application.
//! `main.rs` only parses the command line; tests build [`Application`] directly.

pub mod admin;
pub mod config;
mod http;
pub mod telemetry;
mod wiring;

pub use http::{Application, StartError};
