//! `sim`: stand-ins for remote systems that cannot run here.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use sim::relying_party;

#[derive(Parser)]
#[command(name = "sim", about = "Simulators of the systems Bibind drives")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// An OpenID Connect relying party standing in for an Odoo instance.
    RelyingParty(relying_party::Options),
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let result = match Cli::parse().command {
        Command::RelyingParty(options) => relying_party::run(options).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("sim: {error}");
            ExitCode::FAILURE
        }
    }
}
