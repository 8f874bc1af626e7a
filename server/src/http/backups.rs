//! A service's backups page's forms (owners and admins): take one now,
//! set when the daily one is taken, restore one (the organization's slug
//! typed to confirm), download one (a link made and followed at once);
//! and the download links themselves, which stream the backup opened and
//! checked as it is read.

use app::routes::{self, pattern};
use axum::{
    body::Body,
    extract::{Path, State},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Router,
};
use control::domain::{parse_backup_time, Refusal};
use http::request::Parts;
use serde::Deserialize;

use super::{
    answers::{self, done_at, id_in_path, parsed, NoFields, Post},
    AppState,
};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(pattern::BACKUPS, post(take_backup))
        .route(pattern::BACKUP_SCHEDULE, post(set_schedule))
        .route(pattern::RESTORE_BACKUP, post(restore_backup))
        .route(pattern::DOWNLOAD_BACKUP, post(download_backup))
        .route(pattern::BACKUP_FILE, get(backup_file))
}

/// The page a backup's forms came from: its service's backups.
#[derive(Deserialize, Default)]
#[serde(default)]
struct BackupPost {
    /// The subscription whose page posted (where to go back).
    subscription: String,
    confirmation: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SchedulePost {
    time: String,
}

async fn take_backup(Path((slug, id)): Path<(String, String)>, post: Post<NoFields>) -> Response {
    let back = routes::backups(&slug, &id);
    post.submit(post.form(&back), async |caller| {
        let subscription = parsed!(id_in_path(&id));
        let taken = post
            .state
            .control
            .take_backup(&caller, &slug, subscription)
            .await?;
        Ok(taken.map(|_| format!("{back}?taken=1")))
    })
    .await
}

async fn set_schedule(Path((slug, id)): Path<(String, String)>, post: Post<SchedulePost>) -> Response {
    let back = routes::backups(&slug, &id);
    let form = post.form(&back).echo(vec![("time", post.fields.time.clone())]);
    post.submit(form, async |caller| {
        let subscription = parsed!(id_in_path(&id));
        let at =
            parsed!(parse_backup_time(&post.fields.time).map_err(|problem| Refusal::field("time", problem)));
        let set = post
            .state
            .control
            .set_backup_time(&caller, &slug, subscription, at);
        done_at(set.await, &format!("{back}?scheduled=1"))
    })
    .await
}

async fn restore_backup(Path((slug, backup)): Path<(String, String)>, post: Post<BackupPost>) -> Response {
    let back = routes::backups(&slug, &post.fields.subscription);
    let form = post.form(&back).echo(vec![("restore", backup.clone())]);
    post.submit(form, async |caller| {
        let backup = parsed!(id_in_path(&backup));
        // Into the service whose page posted (a closed one's backup goes
        // into its successor); none said: the backup's own.
        let into = match post.fields.subscription.as_str() {
            "" => None,
            posted => Some(parsed!(id_in_path(posted))),
        };
        let restoring = post
            .state
            .control
            .restore_backup(&caller, &slug, backup, &post.fields.confirmation, into)
            .await?;
        Ok(restoring.map(|_| format!("{back}?restoring=1")))
    })
    .await
}

async fn download_backup(Path((slug, backup)): Path<(String, String)>, post: Post<BackupPost>) -> Response {
    let back = routes::backups(&slug, &post.fields.subscription);
    post.submit(post.form(&back), async |caller| {
        let backup = parsed!(id_in_path(&backup));
        let link = post
            .state
            .control
            .backup_download_link(&caller, &slug, backup)
            .await?;
        Ok(link.map(|link| routes::backup_file(&link.token)))
    })
    .await
}

/// A download link: the backup as its application exports it, streamed;
/// the 404 page once the link expired or for a token that never was.
async fn backup_file(State(state): State<AppState>, Path(token): Path<String>, parts: Parts) -> Response {
    let found = match state.control.backup_download(&token).await {
        Ok(found) => found,
        Err(error) => {
            tracing::error!(%error, "cannot read a backup download link");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    let Some(download) = found else {
        return answers::not_found_page(&state.pages, &parts).await;
    };
    let Some(reader) = state.backups.as_ref() else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let plain = match reader.open(&download).await {
        Ok(plain) => plain,
        Err(error) => {
            tracing::error!(%error, backup = %download.backup, "cannot read a backup for its download");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    let content_type = if download.file_name.ends_with(".zip") {
        "application/zip"
    } else {
        "application/jsonl"
    };
    let disposition = format!("attachment; filename=\"{}\"", download.file_name);
    let mut response = Response::new(Body::from_stream(plain));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(download.size));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}
