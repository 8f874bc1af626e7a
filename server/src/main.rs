//! `bibind`: the control plane's server binary.

use std::{path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand};
use server::{config::Config, telemetry, Application};

/// Rendering pages allocates many small strings on every worker thread;
/// mimalloc's per-thread heaps keep them from contending on a lock.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "bibind-server",
    version,
    about = "The Bibind control plane and portal"
)]
struct Cli {
    /// Configuration file (TOML); `BIBIND_…` environment variables override it.
    #[arg(long, short, env = "BIBIND_CONFIG", global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the portal, the API and the probes (the default).
    Serve,
    /// Load and validate the configuration, then exit.
    CheckConfig,
    /// Apply the pending database migrations, then exit (a deployment's
    /// step before a new version serves).
    Migrate,
    /// Back the portal's own database up (`pg_dump`, sealed, stored and
    /// copied off site, as `[provisioning.backups]` says), then remove the
    /// backups past `database_retention_days`.
    BackupDatabase,
    /// List the portal's database backups.
    ListDatabaseBackups,
    /// Restore a database backup (the latest by default) with `pg_restore`:
    /// see `deploy/runbooks/restore-database.md`.
    RestoreDatabase {
        /// The backup's name, as `list-database-backups` prints it.
        #[arg(long)]
        backup: Option<String>,
        /// The database to restore into (by default the configured one:
        /// every replica stopped first).
        #[arg(long)]
        into: Option<String>,
    },
    /// Copy this binary into a directory (a job running it beside another
    /// program: the database backup's CronJob, in PostgreSQL's image).
    CopyTo {
        /// Where `bibind-server` is written.
        directory: PathBuf,
    },
    /// Operator commands.
    #[command(subcommand)]
    Admin(AdminCommand),
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Make the account with this e-mail address a platform admin.
    Grant {
        /// The e-mail address the person signed up with.
        email: String,
    },
}

fn main() -> ExitCode {
    // One TLS crypto provider for every client of the process.
    control::backends::install_tls_provider();
    let cli = Cli::parse();
    // Needs no configuration (an init container has none).
    if let Some(Command::CopyTo { directory }) = &cli.command {
        return copy_to(directory);
    }
    let config = match Config::load(cli.config.as_deref()) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("bibind: {error}");
            return ExitCode::from(2);
        }
    };
    match cli.command.unwrap_or(Command::Serve) {
        Command::CheckConfig => {
            println!("configuration is valid");
            ExitCode::SUCCESS
        }
        Command::Serve => serve(config),
        Command::Migrate => run_async(async move { said(server::admin::migrate(&config).await) }),
        Command::CopyTo { directory } => copy_to(&directory),
        Command::BackupDatabase => {
            run_async(async move { said(server::admin::backup_database(&config).await) })
        }
        Command::ListDatabaseBackups => {
            run_async(async move { said(server::admin::list_database_backups(&config).await) })
        }
        Command::RestoreDatabase { backup, into } => run_async(async move {
            said(server::admin::restore_database(&config, backup.as_deref(), into.as_deref()).await)
        }),
        Command::Admin(AdminCommand::Grant { email }) => {
            run_async(async move { said(server::admin::grant(&config, &email).await) })
        }
    }
}

/// An operator command's answer printed, its failure on stderr.
fn said(result: Result<String, server::admin::AdminError>) -> ExitCode {
    match result {
        Ok(message) => {
            println!("{message}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("bibind: {error}");
            ExitCode::FAILURE
        }
    }
}

fn copy_to(directory: &std::path::Path) -> ExitCode {
    let copied = std::env::current_exe().and_then(|binary| {
        let target = directory.join("bibind-server");
        std::fs::copy(&binary, &target)?;
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o755))?;
        Ok(target)
    });
    match copied {
        Ok(target) => {
            println!("copied to {}", target.display());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!(
                "bibind: cannot copy the binary into {}: {error}",
                directory.display()
            );
            ExitCode::FAILURE
        }
    }
}

fn run_async(task: impl std::future::Future<Output = ExitCode>) -> ExitCode {
    match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime.block_on(task),
        Err(error) => {
            eprintln!("bibind: cannot start the async runtime: {error}");
            ExitCode::FAILURE
        }
    }
}

fn serve(config: Config) -> ExitCode {
    telemetry::init(&config.log);
    run_async(async {
        let app = match Application::build(config).await {
            Ok(app) => app,
            Err(error) => {
                tracing::error!(%error, "start-up failed");
                eprintln!("bibind: {error}");
                return ExitCode::FAILURE;
            }
        };
        tracing::info!(address = %app.local_addr(), "portal listening");
        match app.run_until_stopped(shutdown_signal()).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("bibind: {error}");
                ExitCode::FAILURE
            }
        }
    })
}

/// Resolves on Ctrl-C or SIGTERM (what Kubernetes sends before it kills a pod).
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
