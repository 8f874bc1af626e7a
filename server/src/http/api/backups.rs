//! A subscription's backups, as its backups page has them (owners and
//! admins): listed, taken now, restored into their service (the
//! organization's slug typed as confirmation), downloaded through a
//! time-limited link, and when the daily one is taken.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use control::domain::{parse_backup_time, BackupOrigin, BackupState, BackupView, OffsiteState, Refusal};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{auth::ApiCaller, body::ApiJson, problem::ProblemDetail, Answer};
use crate::http::AppState;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_backups, take_backup))
        .routes(routes!(set_backup_schedule))
        .routes(routes!(restore_backup))
        .routes(routes!(download_link))
}

/// One backup of a service.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Backup {
    id: String,
    /// `scheduled` or `on_demand`.
    origin: String,
    /// `in_progress`, `failed`, `stored` or `expired` (past its retention, removed).
    state: String,
    /// When it was asked for (RFC 3339).
    created_at: String,
    /// When it was stored (RFC 3339).
    stored_at: Option<String>,
    /// The size of what a download gives, in bytes.
    size_bytes: Option<u64>,
    /// The SHA-256 of what a download gives (hex), checked on every read.
    sha256: Option<String>,
    /// The off-site copy: `copied`, `pending` or `late`; `null` until stored.
    offsite: Option<String>,
    /// When it is removed, from the plan's retention (RFC 3339).
    expires_at: String,
    /// The last restore drill that opened it (RFC 3339).
    verified_at: Option<String>,
    /// The job taking it (`GET …/jobs/{id}` follows it).
    job_id: String,
}

impl From<BackupView> for Backup {
    fn from(view: BackupView) -> Self {
        Self {
            id: view.id,
            origin: view.origin.code().to_owned(),
            state: match view.state {
                BackupState::InProgress => "in_progress",
                BackupState::Failed => "failed",
                BackupState::Stored => "stored",
                BackupState::Expired => "expired",
            }
            .to_owned(),
            created_at: view.created_at,
            stored_at: view.stored_at,
            size_bytes: view.size_bytes,
            sha256: view.sha256,
            offsite: view.offsite.map(|offsite| {
                match offsite {
                    OffsiteState::Copied => "copied",
                    OffsiteState::Pending => "pending",
                    OffsiteState::Late => "late",
                }
                .to_owned()
            }),
            expires_at: view.expires_at,
            verified_at: view.verified_at,
            job_id: view.job_id,
        }
    }
}

/// A service's backups and their schedule.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Backups {
    /// When the daily backup is taken, `HH:MM` UTC.
    #[schema(example = "02:00")]
    backup_time: String,
    /// How many days the plan keeps each backup.
    retention_days: u32,
    /// Newest first.
    backups: Vec<Backup>,
}

fn uuid_in_path(api: &ApiCaller, id: &str) -> Answer<Uuid> {
    Uuid::parse_str(id).map_err(|_| api.refused(&Refusal::NotFound))
}

/// The subscription's backups, newest first.
#[utoipa::path(
    get,
    path = "/organizations/{slug}/subscriptions/{id}/backups",
    tag = "backups",
    params(
        ("slug" = String, Path, description = "The organization's slug"),
        ("id" = String, Path, description = "The subscription's id"),
    ),
    responses(
        (status = 200, description = "Its backups and their schedule", body = Backups),
        (status = 401, description = "No valid token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 403, description = "Not an owner or admin, or not the token's scope", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or not the caller's", body = ProblemDetail, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["subscriptions:read"]))
)]
async fn list_backups(
    State(state): State<AppState>,
    api: ApiCaller,
    Path((slug, id)): Path<(String, String)>,
) -> Answer<Json<Backups>> {
    let subscription = uuid_in_path(&api, &id)?;
    let page = api.settle(state.control.backups_page(&api.caller, &slug, subscription).await)?;
    Ok(Json(Backups {
        backup_time: page.backup_time,
        retention_days: page.retention_days,
        backups: page.backups.into_iter().map(Backup::from).collect(),
    }))
}

/// A backup asked for, and the job taking it.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Taken {
    id: String,
    job_id: String,
    /// Always `on_demand` here.
    origin: String,
}

/// Takes a backup of the running service now (a job: follow it by its id).
#[utoipa::path(
    post,
    path = "/organizations/{slug}/subscriptions/{id}/backups",
    tag = "backups",
    params(
        ("slug" = String, Path, description = "The organization's slug"),
        ("id" = String, Path, description = "The subscription's id"),
    ),
    responses(
        (status = 202, description = "Asked for; the job takes it", body = Taken),
        (status = 401, description = "No valid token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 403, description = "Not an owner or admin, or not the token's scope", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or not the caller's", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 409, description = "Not running, or another job of the service is under way", body = ProblemDetail, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["subscriptions:write"]))
)]
async fn take_backup(
    State(state): State<AppState>,
    api: ApiCaller,
    Path((slug, id)): Path<(String, String)>,
) -> Answer<(StatusCode, Json<Taken>)> {
    let subscription = uuid_in_path(&api, &id)?;
    let (backup, job) = api.settle(state.control.take_backup(&api.caller, &slug, subscription).await)?;
    Ok((
        StatusCode::ACCEPTED,
        Json(Taken {
            id: backup.to_string(),
            job_id: job.to_string(),
            origin: BackupOrigin::OnDemand.code().to_owned(),
        }),
    ))
}

/// When the daily backup is taken.
#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct Schedule {
    /// `HH:MM`, UTC.
    #[schema(example = "02:30", pattern = "^[0-2][0-9]:[0-5][0-9]$")]
    time: String,
}

/// Sets when the service's daily backup is taken.
#[utoipa::path(
    put,
    path = "/organizations/{slug}/subscriptions/{id}/backup-schedule",
    tag = "backups",
    params(
        ("slug" = String, Path, description = "The organization's slug"),
        ("id" = String, Path, description = "The subscription's id"),
    ),
    request_body = Schedule,
    responses(
        (status = 204, description = "Set"),
        (status = 400, description = "The body is not the JSON described", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 403, description = "Not an owner or admin, or not the token's scope", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or not the caller's", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 422, description = "Not a time of day written `HH:MM`", body = ProblemDetail, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["subscriptions:write"]))
)]
async fn set_backup_schedule(
    State(state): State<AppState>,
    api: ApiCaller,
    Path((slug, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<Schedule>,
) -> Answer<StatusCode> {
    let subscription = uuid_in_path(&api, &id)?;
    let at =
        parse_backup_time(&body.time).map_err(|problem| api.refused(&Refusal::field("time", problem)))?;
    api.settle(
        state
            .control
            .set_backup_time(&api.caller, &slug, subscription, at)
            .await,
    )?;
    Ok(StatusCode::NO_CONTENT)
}

/// The confirmation a restore asks for.
#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct RestoreBody {
    /// The organization's slug, typed: the service's data is replaced.
    #[schema(example = "acme")]
    confirmation: String,
    /// The service to restore into: by default the backup's own; the
    /// organization's new service of the same offer when the backup's was closed.
    #[serde(default)]
    into_subscription: Option<String>,
}

/// The restore asked for, and its job.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Restoring {
    job_id: String,
}

/// Restores a backup into its service (or, when that one was closed, into
/// the organization's new service of the same offer): the service is
/// stopped, its data replaced by the backup's, and started again.
#[utoipa::path(
    post,
    path = "/organizations/{slug}/backups/{backup}/restore",
    tag = "backups",
    params(
        ("slug" = String, Path, description = "The organization's slug"),
        ("backup" = String, Path, description = "The backup's id"),
    ),
    request_body = RestoreBody,
    responses(
        (status = 202, description = "Asked for; the job restores it", body = Restoring),
        (status = 400, description = "The body is not the JSON described", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 403, description = "Not an owner or admin, or not the token's scope", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or not the caller's", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 409, description = "Not stored (or expired), the service not running or busy, or another service than the backup's while that one lives", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 422, description = "The confirmation is not the organization's slug", body = ProblemDetail, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["subscriptions:write"]))
)]
async fn restore_backup(
    State(state): State<AppState>,
    api: ApiCaller,
    Path((slug, backup)): Path<(String, String)>,
    ApiJson(body): ApiJson<RestoreBody>,
) -> Answer<(StatusCode, Json<Restoring>)> {
    let backup = uuid_in_path(&api, &backup)?;
    let into = body
        .into_subscription
        .as_deref()
        .map(|id| uuid_in_path(&api, id))
        .transpose()?;
    let job = api.settle(
        state
            .control
            .restore_backup(&api.caller, &slug, backup, &body.confirmation, into)
            .await,
    )?;
    Ok((
        StatusCode::ACCEPTED,
        Json(Restoring {
            job_id: job.to_string(),
        }),
    ))
}

/// A download link: anyone holding it may download until it expires.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct DownloadLink {
    #[schema(example = "https://portal.bibind.fr/backups/3f…")]
    url: String,
    /// RFC 3339; the link works 15 minutes.
    expires_at: String,
}

/// Makes a link through which the backup downloads for 15 minutes (the
/// service's data as its application exports it: Odoo's backup zip, or
/// an IoT space's messages as JSON lines).
#[utoipa::path(
    post,
    path = "/organizations/{slug}/backups/{backup}/download-link",
    tag = "backups",
    params(
        ("slug" = String, Path, description = "The organization's slug"),
        ("backup" = String, Path, description = "The backup's id"),
    ),
    responses(
        (status = 201, description = "The link, shown once", body = DownloadLink),
        (status = 401, description = "No valid token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 403, description = "Not an owner or admin, or not the token's scope", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or not the caller's", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 409, description = "Not stored, or expired", body = ProblemDetail, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["subscriptions:write"]))
)]
async fn download_link(
    State(state): State<AppState>,
    api: ApiCaller,
    Path((slug, backup)): Path<(String, String)>,
) -> Answer<(StatusCode, Json<DownloadLink>)> {
    let backup = uuid_in_path(&api, &backup)?;
    let link = api.settle(
        state
            .control
            .backup_download_link(&api.caller, &slug, backup)
            .await,
    )?;
    let url = format!(
        "{}{}",
        state.control.public_url().trim_end_matches('/'),
        app::routes::backup_file(&link.token)
    );
    Ok((
        StatusCode::CREATED,
        Json(DownloadLink {
            url,
            expires_at: link.expires_at,
        }),
    ))
}
