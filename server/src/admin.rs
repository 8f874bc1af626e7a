//! `bibind-server admin …`: operator commands run against the same configuration
//! as the server.

use control::{admin::admins::GrantOutcome, domain::EmailAddress};
use secrecy::ExposeSecret;

use crate::{config::Config, wiring, StartError};

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("{0:?} is not a valid e-mail address")]
    InvalidEmail(String),
    #[error(transparent)]
    Start(#[from] StartError),
    #[error(transparent)]
    Control(#[from] control::Error),
    #[error("{0} is not configured")]
    NotConfigured(String),
    #[error(transparent)]
    Backend(#[from] control::backends::BackendError),
    #[error("{0}")]
    Tool(String),
}

/// Applies the pending database migrations (what a deployment runs once
/// before a new version serves, with `database.migrate = false` on its
/// replicas); returns what to tell the operator.
pub async fn migrate(config: &Config) -> Result<String, AdminError> {
    let db = control::infra::store::Db::connect_lazy(
        config.database.url.expose_secret(),
        config.database.max_connections,
    )
    .map_err(StartError::from)?;
    db.migrate().await.map_err(StartError::from)?;
    Ok(format!(
        "the database schema is up to date ({} migrations)",
        control::infra::store::MIGRATOR.iter().count()
    ))
}

/// Grants the platform-admin role to the account with this e-mail; returns
/// what to tell the operator.
pub async fn grant(config: &Config, email: &str) -> Result<String, AdminError> {
    let email = EmailAddress::parse(email).ok_or_else(|| AdminError::InvalidEmail(email.to_owned()))?;
    let control = wiring::control_plane(config).await?;
    Ok(match control.grant_platform_admin(&email, "cli").await? {
        GrantOutcome::Granted { identity_id } => {
            format!("{email} (identity {identity_id}) is now a platform admin")
        }
        GrantOutcome::AlreadyAdmin { identity_id } => {
            format!("{email} (identity {identity_id}) was already a platform admin")
        }
    })
}

/// What reads or writes the portal's database backups: the storage, the
/// platform's key, and the PostgreSQL tools to run.
struct DatabaseBackups {
    storage: control::backends::object_storage::ObjectStorage,
    key: control::backups::BackupKey,
    settings: crate::config::BackupsConfig,
}

impl DatabaseBackups {
    async fn from_config(config: &Config) -> Result<Self, AdminError> {
        let missing = |what: &str| AdminError::NotConfigured(what.to_owned());
        let provisioning = config
            .provisioning
            .as_ref()
            .ok_or_else(|| missing("[provisioning]"))?;
        let settings = provisioning
            .backups
            .clone()
            .ok_or_else(|| missing("[provisioning.backups]"))?;
        let vault_section = config.vault.as_ref().ok_or_else(|| missing("[vault]"))?;
        let storage = settings.storage(crate::config::STORAGE_TIMEOUT)?;
        let vault = control::backends::vault::VaultClient::new(
            &vault_section.addr,
            provisioning.vault_token.expose_secret(),
            control::backends::CALL_TIMEOUT,
        )?;
        use control::backends::vault::SecretStore;
        let text = vault
            .ensure_platform_key(control::backups::database::KEY_NAME)
            .await?;
        let key = control::backups::BackupKey::parse_hex(&text)
            .map_err(|error| AdminError::Tool(format!("the platform's backup key: {error}")))?;
        Ok(Self {
            storage,
            key,
            settings,
        })
    }
}

/// A PostgreSQL tool's connection: the URL without its password, which goes
/// in `PGPASSWORD` (a command line is readable by every user of the host).
fn pg_connection(url: &str) -> Result<(String, Option<String>), AdminError> {
    let mut parsed =
        url::Url::parse(url).map_err(|_| AdminError::Tool("the database URL does not parse".into()))?;
    let password = parsed.password().map(|password| {
        percent_encoding::percent_decode_str(password)
            .decode_utf8_lossy()
            .into_owned()
    });
    let _ = parsed.set_password(None);
    Ok((parsed.to_string(), password))
}

fn tool(program: &str, url: &str, args: &[&str]) -> Result<tokio::process::Command, AdminError> {
    let (url, password) = pg_connection(url)?;
    let mut command = tokio::process::Command::new(program);
    command.args(args).arg("--dbname").arg(url).kill_on_drop(true);
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    Ok(command)
}

/// `program`'s standard output as a stream that fails (instead of ending)
/// when the program exits unsuccessfully: a dump cut short is never stored.
fn output_stream(
    mut child: tokio::process::Child,
    program: String,
) -> Result<control::backends::object_storage::ByteStream, AdminError> {
    use futures_util::StreamExt;
    use tokio::io::AsyncReadExt;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| AdminError::Tool(format!("{program} gave no output")))?;
    let state = Some((child, stdout));
    let stream = futures_util::stream::unfold(state, move |state| {
        let program = program.clone();
        async move {
            let (child, mut stdout) = state?;
            let mut buffer = vec![0u8; 256 * 1024];
            match stdout.read(&mut buffer).await {
                Ok(0) => match child.wait_with_output().await {
                    Ok(output) if output.status.success() => None,
                    Ok(output) => Some((
                        Err(control::backends::BackendError::refused(
                            "postgresql",
                            format!(
                                "{program} failed ({}): {}",
                                output.status,
                                String::from_utf8_lossy(&output.stderr).trim()
                            ),
                        )),
                        None,
                    )),
                    Err(error) => Some((
                        Err(control::backends::BackendError::refused(
                            "postgresql",
                            format!("{program}: {error}"),
                        )),
                        None,
                    )),
                },
                Ok(read) => {
                    buffer.truncate(read);
                    Some((Ok(bytes::Bytes::from(buffer)), Some((child, stdout))))
                }
                Err(error) => Some((
                    Err(control::backends::BackendError::refused(
                        "postgresql",
                        format!("{program}: {error}"),
                    )),
                    None,
                )),
            }
        }
    });
    Ok(stream.boxed())
}

/// `bibind-server backup-database`: `pg_dump` of the portal's database,
/// sealed with the platform's key, stored and copied off site; then the
/// backups past `database_retention_days` removed.
pub async fn backup_database(config: &Config) -> Result<String, AdminError> {
    let backups = DatabaseBackups::from_config(config).await?;
    let program = backups.settings.pg_dump.clone();
    let mut command = tool(
        &program,
        config.database.url.expose_secret(),
        &["--format=custom", "--no-owner", "--no-privileges"],
    )?;
    let child = command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|error| AdminError::Tool(format!("cannot run {program}: {error}")))?;
    let dump = output_stream(child, program)?;
    let now = time::OffsetDateTime::now_utc();
    let stored =
        control::backups::database::store_database_dump(&backups.storage, &backups.key, dump, now).await?;
    let keep = time::Duration::days(i64::from(backups.settings.database_retention_days.max(1)));
    let pruned = control::backups::database::prune_database_backups(&backups.storage, keep, now).await?;
    Ok(format!(
        "database backed up: {} ({} bytes, sha256 {}), copied off site; {pruned} older than {} days removed",
        stored.object_key,
        stored.manifest.size_bytes,
        stored.manifest.sha256,
        backups.settings.database_retention_days
    ))
}

/// `bibind-server list-database-backups`: the stored ones, oldest first.
pub async fn list_database_backups(config: &Config) -> Result<String, AdminError> {
    let backups = DatabaseBackups::from_config(config).await?;
    let primary = control::backups::database::database_backups(
        &backups.storage,
        control::backends::object_storage::Site::Primary,
    )
    .await?;
    let offsite = control::backups::database::database_backups(
        &backups.storage,
        control::backends::object_storage::Site::Offsite,
    )
    .await?;
    let mut lines = Vec::new();
    for backup in &primary {
        let copied = offsite.iter().any(|other| other.object_key == backup.object_key);
        lines.push(format!(
            "{}\t{}\t{} bytes\tsha256 {}\t{}",
            backup.object_key,
            backup.manifest.created_at,
            backup.manifest.size_bytes,
            backup.manifest.sha256,
            if copied { "off site" } else { "primary only" }
        ));
    }
    if lines.is_empty() {
        return Ok("no database backup is stored".into());
    }
    Ok(lines.join("\n"))
}

/// `bibind-server restore-database [--backup KEY] [--into URL]`: the
/// backup (the latest by default), opened and checked as it is read, fed
/// to `pg_restore --clean --if-exists --single-transaction` into `into`
/// (by default the configured database: stop every replica first).
pub async fn restore_database(
    config: &Config,
    backup: Option<&str>,
    into: Option<&str>,
) -> Result<String, AdminError> {
    use futures_util::StreamExt;
    use tokio::io::AsyncWriteExt;
    let backups = DatabaseBackups::from_config(config).await?;
    let (chosen, mut plain) =
        control::backups::database::open_database_dump(&backups.storage, &backups.key, backup).await?;
    let target = into.unwrap_or(config.database.url.expose_secret());
    let program = backups.settings.pg_restore.clone();
    let mut command = tool(
        &program,
        target,
        &[
            "--no-owner",
            "--no-privileges",
            "--clean",
            "--if-exists",
            "--single-transaction",
            "--exit-on-error",
        ],
    )?;
    let mut child = command
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|error| AdminError::Tool(format!("cannot run {program}: {error}")))?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| AdminError::Tool(format!("{program} takes no input")))?;
    let fed: Result<(), AdminError> = async {
        while let Some(piece) = plain.next().await {
            stdin
                .write_all(&piece?)
                .await
                .map_err(|error| AdminError::Tool(format!("{program} stopped reading: {error}")))?;
        }
        stdin
            .shutdown()
            .await
            .map_err(|error| AdminError::Tool(format!("{program}: {error}")))
    }
    .await;
    drop(stdin);
    if let Err(error) = fed {
        // An altered or cut backup: pg_restore's single transaction never commits.
        let _ = child.kill().await;
        return Err(error);
    }
    let output = child
        .wait_with_output()
        .await
        .map_err(|error| AdminError::Tool(format!("{program}: {error}")))?;
    if !output.status.success() {
        return Err(AdminError::Tool(format!(
            "{program} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(format!(
        "restored {} ({}, {} bytes, sha256 checked)",
        chosen.object_key, chosen.manifest.created_at, chosen.manifest.size_bytes
    ))
}
