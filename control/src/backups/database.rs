//! The portal's own PostgreSQL, backed up beside the services' backups:
//! `pg_dump --format=custom` streamed, sealed with the platform's key (in
//! Vault, `platform/database-backup-key`), written to the primary storage
//! and copied off site, with a manifest beside it (its size and SHA-256:
//! the database that would record them is what is backed up). Restored by
//! `pg_restore` reading the opened stream (`deploy/runbooks/restore-database.md`).

use bytes::Bytes;
use futures_util::{stream, StreamExt};
use serde::{Deserialize, Serialize};
use time::{
    format_description::BorrowedFormatItem, macros::format_description, OffsetDateTime, PrimitiveDateTime,
};
use uuid::Uuid;

use super::{open_stored, store_sealed, BackupKey};
use crate::backends::{
    object_storage::{ByteStream, ObjectStorage, Site},
    BackendError,
};

/// Where the database's backups are, in both storages.
pub const PREFIX: &str = "platform/database/";
/// The platform key's name in Vault (`platform/<name>`).
pub const KEY_NAME: &str = "database-backup-key";
const BACKEND: &str = "storage";
const STAMP: &[BorrowedFormatItem<'static>] =
    format_description!("[year][month][day]T[hour][minute][second]Z");

/// What is written beside a database backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// What the sealed object is bound to.
    pub id: Uuid,
    /// RFC 3339.
    pub created_at: String,
    /// The dump's size and SHA-256 (hex).
    pub size_bytes: u64,
    pub sha256: String,
    pub sealed_bytes: u64,
    /// `pg_dump --format=custom`.
    pub format: String,
}

/// A database backup in the storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseBackup {
    pub object_key: String,
    pub manifest: Manifest,
}

fn manifest_key(object_key: &str) -> String {
    format!("{object_key}.json")
}

/// When a backup named `object_key` was taken, from its name.
fn taken_at(object_key: &str) -> Option<OffsetDateTime> {
    let name = object_key.strip_prefix(PREFIX)?;
    let stamp = name.get(..16)?;
    PrimitiveDateTime::parse(stamp, STAMP)
        .ok()
        .map(PrimitiveDateTime::assume_utc)
}

fn manifest_failure(error: impl std::fmt::Display) -> BackendError {
    BackendError::refused(BACKEND, format!("a database backup's manifest: {error}"))
}

/// Seals `dump` and stores it, with its manifest, in both storages.
pub async fn store_database_dump(
    storage: &ObjectStorage,
    key: &BackupKey,
    dump: ByteStream,
    now: OffsetDateTime,
) -> Result<DatabaseBackup, BackendError> {
    let id = Uuid::new_v4();
    let stamp = now.format(STAMP).map_err(manifest_failure)?;
    let object_key = format!("{PREFIX}{stamp}-{id}.bbk");
    let stored = store_sealed(storage, &object_key, key, id, dump).await?;
    let manifest = Manifest {
        id,
        created_at: now
            .format(&time::format_description::well_known::Rfc3339)
            .map_err(manifest_failure)?,
        size_bytes: stored.digested.size,
        sha256: stored.digested.sha256,
        sealed_bytes: stored.sealed_bytes,
        format: "pg_dump-custom".into(),
    };
    let text = serde_json::to_vec_pretty(&manifest).map_err(manifest_failure)?;
    let body: ByteStream = Box::pin(stream::once(async move { Ok(Bytes::from(text)) }));
    storage
        .upload(Site::Primary, &manifest_key(&object_key), body)
        .await?;
    // The dump first: a manifest off site always has its object there.
    storage.copy_offsite(&object_key).await?;
    storage.copy_offsite(&manifest_key(&object_key)).await?;
    Ok(DatabaseBackup { object_key, manifest })
}

/// The database backups at `site`, oldest first (their manifests read).
pub async fn database_backups(
    storage: &ObjectStorage,
    site: Site,
) -> Result<Vec<DatabaseBackup>, BackendError> {
    let mut found = Vec::new();
    for object_key in storage.keys(site, PREFIX).await? {
        if !object_key.ends_with(".bbk") {
            continue;
        }
        // One without its manifest was cut short before it: not a backup.
        let Ok(manifest) = read_manifest(storage, site, &object_key).await else {
            continue;
        };
        found.push(DatabaseBackup { object_key, manifest });
    }
    Ok(found)
}

async fn read_manifest(
    storage: &ObjectStorage,
    site: Site,
    object_key: &str,
) -> Result<Manifest, BackendError> {
    let mut text = Vec::new();
    let mut read = storage.read(site, &manifest_key(object_key)).await?;
    while let Some(piece) = read.next().await {
        text.extend_from_slice(&piece?);
    }
    serde_json::from_slice(&text).map_err(manifest_failure)
}

/// The dump of `object_key` (the latest when `None`), opened and checked
/// as it is read: from the primary storage, or the off-site copy when the
/// primary has it not.
pub async fn open_database_dump(
    storage: &ObjectStorage,
    key: &BackupKey,
    object_key: Option<&str>,
) -> Result<(DatabaseBackup, ByteStream), BackendError> {
    let mut last_error = None;
    for site in [Site::Primary, Site::Offsite] {
        let chosen = match object_key {
            Some(object_key) => {
                read_manifest(storage, site, object_key)
                    .await
                    .map(|manifest| DatabaseBackup {
                        object_key: object_key.to_owned(),
                        manifest,
                    })
            }
            None => database_backups(storage, site).await.and_then(|all| {
                all.into_iter()
                    .last()
                    .ok_or_else(|| BackendError::refused(BACKEND, "no database backup is stored"))
            }),
        };
        let backup = match chosen {
            Ok(backup) => backup,
            Err(error) => {
                last_error = Some(error);
                continue;
            }
        };
        match open_stored(
            storage,
            site,
            &backup.object_key,
            key,
            backup.manifest.id,
            &backup.manifest.sha256,
        )
        .await
        {
            Ok(plain) => return Ok((backup, plain)),
            Err(error) => last_error = Some(error),
        }
    }
    Err(last_error.unwrap_or_else(|| BackendError::refused(BACKEND, "no database backup is stored")))
}

/// Removes the database backups older than `keep` (both storages); how many.
pub async fn prune_database_backups(
    storage: &ObjectStorage,
    keep: time::Duration,
    now: OffsetDateTime,
) -> Result<usize, BackendError> {
    let mut removed = 0;
    for object_key in storage.keys(Site::Primary, PREFIX).await? {
        let expired = object_key.ends_with(".bbk") && taken_at(&object_key).is_some_and(|at| now - at > keep);
        if expired {
            storage.remove(&manifest_key(&object_key)).await?;
            storage.remove(&object_key).await?;
            removed += 1;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_backups_time_is_read_from_its_name() {
        let at = time::macros::datetime!(2026-12-06 17:43:09 UTC);
        let stamp = at.format(STAMP).unwrap_or_default();
        assert_eq!(stamp, "20261206T174309Z");
        let name = format!("{PREFIX}{stamp}-{}.bbk", Uuid::nil());
        assert_eq!(taken_at(&name), Some(at));
        assert_eq!(taken_at("platform/database/garbage.bbk"), None);
        assert_eq!(taken_at("elsewhere/20261206T174309Z.bbk"), None);
    }
}
