//! Logs: human-readable in development, one JSON object per line in production.

use tracing_subscriber::{filter::Targets, fmt, prelude::*};

use crate::config::{LogConfig, LogFormat};

/// Installs the global subscriber; `RUST_LOG` overrides the configured filter.
/// Calling it twice keeps the first one (tests spawn many applications).
///
/// The filter is by target and level only (`info,bibind::upstream=debug`):
/// `EnvFilter`'s span and field directives, which we never used, made it
/// take a lock on every entry into and exit from every request's span, a
/// fifth of a small page's cost.
pub fn init(config: &LogConfig) {
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|directives| directives.parse::<Targets>().ok())
        .or_else(|| config.filter.parse::<Targets>().ok())
        .unwrap_or_else(|| Targets::new().with_default(tracing::Level::INFO));
    let registry = tracing_subscriber::registry().with(filter);
    let result = match config.format {
        LogFormat::Human => registry.with(fmt::layer().with_target(false)).try_init(),
        LogFormat::Json => registry
            .with(fmt::layer().json().flatten_event(true).with_current_span(true))
            .try_init(),
    };
    // Already installed: nothing to do.
    drop(result);
}
