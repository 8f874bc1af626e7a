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
    /// A Kubernetes API server (namespaces, quotas, policies, secrets, workloads) in memory.
    Kubernetes(sim::kubernetes::Options),
    /// Nova, Cinder and Neutron quota APIs behind a real Keystone.
    Openstack(sim::openstack::Options),
    /// Odoo's external JSON-RPC API (databases, modules, users, OAuth providers).
    Odoo(sim::odoo::Options),
    /// AWX's REST API v2: job templates, launches, jobs, output.
    Awx(sim::awx::Options),
    /// GitLab's REST API v4: groups (delayed deletion) and deploy tokens.
    Gitlab(sim::gitlab::Options),
    /// An authoritative DNS server (TXT and CNAME records) over UDP and TCP.
    Dns(sim::dns::Options),
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
        Command::Kubernetes(options) => sim::kubernetes::run(options).await,
        Command::Openstack(options) => sim::openstack::run(options).await,
        Command::Odoo(options) => sim::odoo::run(options).await,
        Command::Awx(options) => sim::awx::run(options).await,
        Command::Gitlab(options) => sim::gitlab::run(options).await,
        Command::Dns(options) => sim::dns::run(options).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("sim: {error}");
            ExitCode::FAILURE
        }
    }
}
