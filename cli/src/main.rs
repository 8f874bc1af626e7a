//! `bibind`: Bibind's command line, for people and scripts. It speaks to a
//! portal's REST API (`/api/v1`, ApiBibind) with a token from Bibind's
//! identity provider: a person's (`bibind login`, through the browser) or
//! an API client's (`bibind login --client-id`, client credentials).
//! Results print as a table, or as JSON or YAML for scripts.

mod api;
mod auth;
mod commands;
mod config;
mod output;
mod progress;
mod texts;

use std::{path::PathBuf, process::ExitCode};

use clap::{CommandFactory, Parser, Subcommand};

use commands::{
    AdminCommand, ApiClientCommand, AuditArgs, BackupCommand, DeviceCommand, InvitationCommand, LoginArgs,
    MemberCommand, OrgCommand, SubscriptionCommand, TrainingCommand,
};
use output::Format;
use texts::Lang;

#[derive(Parser)]
#[command(
    name = "bibind",
    version,
    about = "Bibind's command line: organizations, members, subscriptions and API clients, through the portal's API",
    after_help = "Exit status: 0 done; 1 refused or failed (the API's problem is printed); 2 wrong usage or \
                  settings; 3 a followed job failed; 4 not signed in.\n\
                  Settings and tokens: $XDG_CONFIG_HOME/bibind/ (else ~/.config/bibind/)."
)]
struct Cli {
    /// The profile to use: a portal and its tokens.
    #[arg(long, global = true, env = "BIBIND_PROFILE", default_value = config::DEFAULT_PROFILE)]
    profile: String,
    /// The portal's address (remembered for the profile at `login`).
    #[arg(long, global = true, env = "BIBIND_PORTAL")]
    portal: Option<String>,
    /// How results are printed.
    #[arg(long, short = 'o', global = true, value_enum, default_value_t = Format::Table, env = "BIBIND_OUTPUT")]
    output: Format,
    /// An access token to use instead of the profile's (for pipelines).
    #[arg(long, global = true, env = "BIBIND_TOKEN", hide_env_values = true)]
    token: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Signs in: a person through the browser (authorization code with
    /// PKCE), or an API client with its id and secret.
    Login(LoginArgs),
    /// Forgets the profile's tokens.
    Logout,
    /// Lists the profiles and their portals.
    Profiles,
    /// Organizations: list, show, create.
    #[command(subcommand)]
    Orgs(OrgCommand),
    /// An organization's members.
    #[command(subcommand)]
    Members(MemberCommand),
    /// An organization's open invitations.
    #[command(subcommand)]
    Invitations(InvitationCommand),
    /// An organization's subscriptions: subscribe, change plan, cancel, follow.
    #[command(subcommand)]
    Subscriptions(SubscriptionCommand),
    /// An IoT subscription's devices: register, credentials, telemetry, commands.
    #[command(subcommand)]
    Devices(DeviceCommand),
    /// A subscription's backups (owners and admins): list, take, restore,
    /// download, schedule.
    #[command(subcommand)]
    Backups(BackupCommand),
    /// A training space: courses, learners, learners' files.
    #[command(subcommand)]
    Training(TrainingCommand),
    /// An organization's audit log (owners and admins), or its CSV export.
    Audit(AuditArgs),
    /// An organization's API clients (owners and admins).
    #[command(subcommand, name = "api-clients")]
    ApiClients(ApiClientCommand),
    /// Platform administration (`bibind login --admin` first).
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Prints the completion script for a shell.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Writes the man pages (`bibind.1`, `bibind-orgs.1`, …) into a directory.
    Man {
        #[arg(long, default_value = ".")]
        dir: PathBuf,
    },
}

/// Why a command did not succeed.
#[derive(Debug)]
pub enum Failure {
    /// Wrong arguments or settings.
    Usage(String),
    /// A local file or socket.
    Io(String),
    /// The portal or identity provider could not be reached, or answered
    /// something unexpected.
    Http(String),
    /// Signing in did not succeed.
    SignIn(String),
    /// The API refused: its problem detail.
    Problem(api::Problem),
    /// A followed job failed.
    Job(String),
    /// No token, or one that can no longer be renewed.
    NotSignedIn,
}

impl Failure {
    fn exit_code(&self) -> u8 {
        match self {
            Failure::Usage(_) => 2,
            Failure::Job(_) => 3,
            Failure::NotSignedIn => 4,
            Failure::Io(_) | Failure::Http(_) | Failure::SignIn(_) | Failure::Problem(_) => 1,
        }
    }

    fn say(&self, lang: Lang, profile: &str) -> String {
        match self {
            Failure::Usage(text) | Failure::Io(text) | Failure::Http(text) => text.clone(),
            Failure::SignIn(text) => {
                format!("{} {text}", lang.pick("sign-in refused:", "connexion refusée :"))
            }
            Failure::Problem(problem) => problem.to_string(),
            Failure::Job(text) => format!(
                "{} {text}",
                lang.pick("the job did not succeed:", "la tâche n'a pas abouti :")
            ),
            Failure::NotSignedIn => format!(
                "{} bibind login --profile {profile}",
                lang.pick("not signed in; run", "pas de connexion ; lancez")
            ),
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let lang = Lang::from_env();
    let profile = cli.profile.clone();
    match run(cli, lang).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!(
                "{} {}",
                lang.pick("error:", "erreur :"),
                failure.say(lang, &profile)
            );
            ExitCode::from(failure.exit_code())
        }
    }
}

async fn run(cli: Cli, lang: Lang) -> Result<(), Failure> {
    match cli.command {
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "bibind", &mut script);
            output::write_out(&script);
            return Ok(());
        }
        Command::Man { dir } => return write_man_pages(&dir),
        _ => {}
    }
    let session = commands::Session::new(cli.profile, cli.portal, cli.token, cli.output, lang)?;
    match cli.command {
        Command::Login(args) => session.login(args).await,
        Command::Logout => session.logout(),
        Command::Profiles => session.profiles(),
        Command::Orgs(command) => session.orgs(command).await,
        Command::Members(command) => session.members(command).await,
        Command::Invitations(command) => session.invitations(command).await,
        Command::Subscriptions(command) => session.subscriptions(command).await,
        Command::ApiClients(command) => session.api_clients(command).await,
        Command::Audit(args) => session.audit(args).await,
        Command::Devices(command) => session.devices(command).await,
        Command::Backups(command) => session.backups(command).await,
        Command::Training(command) => session.training(command).await,
        Command::Admin(command) => session.admin(command).await,
        Command::Completions { .. } | Command::Man { .. } => Ok(()),
    }
}

/// One page for `bibind` and one for each of its commands and subcommands.
fn write_man_pages(dir: &std::path::Path) -> Result<(), Failure> {
    let io = |error: std::io::Error| Failure::Io(format!("{}: {error}", dir.display()));
    std::fs::create_dir_all(dir).map_err(io)?;
    let mut pending = vec![(String::from("bibind"), Cli::command())];
    while let Some((name, command)) = pending.pop() {
        let command = command.display_name(name.clone());
        let mut page = Vec::new();
        clap_mangen::Man::new(command.clone())
            .render(&mut page)
            .map_err(io)?;
        std::fs::write(dir.join(format!("{name}.1")), page).map_err(io)?;
        for sub in command.get_subcommands() {
            pending.push((format!("{name}-{}", sub.get_name()), sub.clone()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}
