//! Odoo's database manager, for backups: `POST /web/database/backup`
//! streams the database as Odoo's zip (`dump.sql`, `filestore/`,
//! `manifest.json`), `POST /web/database/restore` takes such a zip as a
//! multipart upload, and the `db` service renames a database. Both pages
//! answer an error as the manager page again, HTTP 200, with the reason in
//! its alert (addons/web/controllers/database.py); a restore that worked
//! redirects to the manager.
//!
//! Bodies are streamed both ways: a backup of any size goes through the
//! portal without being held in memory.

use std::time::Duration;

use futures_util::TryStreamExt;
use reqwest::{
    header::CONTENT_TYPE,
    multipart::{Form, Part},
    redirect, Body, StatusCode,
};
use serde_json::json;

use super::{OdooClient, OdooInstance, BACKEND};
use crate::backends::{object_storage::ByteStream, BackendError};

/// A connection that sends nothing for this long is dead; a backup or
/// restore itself may take as long as its size needs.
const IDLE_TIMEOUT: Duration = Duration::from_secs(300);

/// The database manager's own client: no overall timeout (bodies are as
/// long as the database is large) and no redirect followed (a restore's
/// redirect is its success).
pub(super) fn manager_client() -> Result<reqwest::Client, BackendError> {
    reqwest::Client::builder()
        .read_timeout(IDLE_TIMEOUT)
        .connect_timeout(Duration::from_secs(5))
        .redirect(redirect::Policy::none())
        .build()
        .map_err(|error| BackendError::refused(BACKEND, error.to_string()))
}

fn page_url(instance: &OdooInstance, page: &str) -> String {
    format!("{}/web/database/{page}", instance.url.trim_end_matches('/'))
}

/// The reason in the manager page's alert, or the start of the page.
fn alert_text(page: &str) -> String {
    let marker = "alert alert-danger\">";
    let reason = page
        .find(marker)
        .map(|start| &page[start + marker.len()..])
        .and_then(|rest| rest.find("</div>").map(|end| &rest[..end]))
        .map(|text| text.trim().to_owned());
    reason.unwrap_or_else(|| page.chars().take(200).collect())
}

impl OdooClient {
    /// The database as Odoo's zip, streamed.
    pub(super) async fn stream_backup(&self, instance: &OdooInstance) -> Result<ByteStream, BackendError> {
        let form = [
            ("master_pwd", self.master_password.as_str()),
            ("name", instance.database.as_str()),
            ("backup_format", "zip"),
        ];
        let response = self
            .manager
            .post(page_url(instance, "backup"))
            .form(&form)
            .send()
            .await
            .map_err(|error| BackendError::from_reqwest(BACKEND, error))?;
        let status = response.status();
        let attachment = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("application/octet-stream"));
        if !status.is_success() || !attachment {
            let page = response.text().await.unwrap_or_default();
            if !status.is_success() {
                return Err(BackendError::from_status(BACKEND, status, &page));
            }
            return Err(BackendError::refused(
                BACKEND,
                format!("backup of {}: {}", instance.database, alert_text(&page)),
            ));
        }
        Ok(Box::pin(
            response
                .bytes_stream()
                .map_err(|error| BackendError::from_reqwest(BACKEND, error)),
        ))
    }

    /// Restores `backup` (Odoo's zip) as the new database `instance.database`,
    /// kept as it was (not a copy: its `database.uuid` stays).
    pub(super) async fn restore_from(
        &self,
        instance: &OdooInstance,
        backup: ByteStream,
    ) -> Result<(), BackendError> {
        let upload = Part::stream(Body::wrap_stream(backup))
            .file_name(format!("{}.zip", instance.database))
            .mime_str("application/zip")
            .map_err(|error| BackendError::refused(BACKEND, error.to_string()))?;
        let form = Form::new()
            .text("master_pwd", self.master_password.clone())
            .text("name", instance.database.clone())
            .text("copy", "false")
            .part("backup_file", upload);
        let response = self
            .manager
            .post(page_url(instance, "restore"))
            .multipart(form)
            .send()
            .await
            .map_err(|error| BackendError::from_reqwest(BACKEND, error))?;
        let status = response.status();
        if status.is_redirection() {
            return Ok(());
        }
        let page = response.text().await.unwrap_or_default();
        if status == StatusCode::OK {
            return Err(BackendError::refused(
                BACKEND,
                format!("restore of {}: {}", instance.database, alert_text(&page)),
            ));
        }
        Err(BackendError::from_status(BACKEND, status, &page))
    }

    /// `db.rename(master_pwd, old_name, new_name)`.
    pub(super) async fn rename(&self, instance: &OdooInstance, new_name: &str) -> Result<(), BackendError> {
        let args = json!([self.master_password, instance.database, new_name]);
        self.call(&instance.url, "db", "rename", args, Some(self.database_timeout))
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reason_is_read_from_the_managers_alert() {
        let page = "<div class=\"container\">\n<div class=\"alert alert-danger\">Database backup error: Database not found</div>\n</div>";
        assert_eq!(alert_text(page), "Database backup error: Database not found");
        assert_eq!(alert_text("<html>no alert</html>"), "<html>no alert</html>");
    }
}
