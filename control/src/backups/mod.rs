//! Backups of subscriptions' data (ARCHITECTURE.md, "Backups"): what a
//! backup is made of, how it is sealed and stored, and how it is read back.
//!
//! A backup is the service's data as its application exports it (Odoo's
//! backup zip; an IoT space's telemetry as JSON lines), sealed with its
//! organization's key (`sealing`; the key lives in Vault only), written to
//! the primary storage by multipart upload, then copied off site. The
//! plaintext's SHA-256 is recorded and checked on every read. The engine's
//! jobs (`provisioning::backups`) take, restore and drill them; the
//! tenancy operations (`tenancy::backups`) let owners and admins ask.

pub mod database;
pub(crate) mod records;
pub mod sealing;
pub mod telemetry;

use std::collections::VecDeque;

use bytes::Bytes;
use futures_util::{stream, StreamExt};
use uuid::Uuid;

pub use sealing::{BackupKey, Digested, SealError};

use crate::backends::{
    object_storage::{ByteStream, ObjectStorage, Site},
    vault::SecretStore,
    BackendError,
};

/// The name of an organization's backup key in Vault.
pub const KEY_NAME: &str = "backup-key";

const BACKEND: &str = "storage";

/// Where a backup's sealed object is kept (the same name at both sites):
/// under its organization, so that a bucket's listing tells whose it is.
pub fn object_key(organization: Uuid, subscription: Uuid, backup: Uuid) -> String {
    format!("organizations/{organization}/subscriptions/{subscription}/{backup}.bbk")
}

/// What a backup's sealed object is bound to: its own id.
pub fn sealing_context(backup: Uuid) -> Vec<u8> {
    backup.as_bytes().to_vec()
}

/// A backup written to the primary storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// The plaintext's size and SHA-256.
    pub digested: Digested,
    /// The sealed object's size.
    pub sealed_bytes: u64,
}

fn sealing_failure(error: SealError) -> BackendError {
    BackendError::refused(BACKEND, error.to_string())
}

/// Seals `source` with `key` for `backup` and writes it as `object` in the
/// primary storage, whole or not at all.
pub async fn store_sealed(
    storage: &ObjectStorage,
    object: &str,
    key: &BackupKey,
    backup: Uuid,
    mut source: ByteStream,
) -> Result<Stored, BackendError> {
    let mut sealer = sealing::Sealer::new(key, &sealing_context(backup)).map_err(sealing_failure)?;
    let mut upload = storage.begin_upload(Site::Primary, object).await?;
    let mut sealed = Vec::new();
    let outcome: Result<Digested, BackendError> = async {
        while let Some(piece) = source.next().await {
            sealer.push(&piece?, &mut sealed).map_err(sealing_failure)?;
            for bytes in sealed.drain(..) {
                upload.write(bytes).await?;
            }
        }
        let digested = sealer.finish(&mut sealed).map_err(sealing_failure)?;
        for bytes in sealed.drain(..) {
            upload.write(bytes).await?;
        }
        Ok(digested)
    }
    .await;
    match outcome {
        Ok(digested) => {
            let sealed_bytes = upload.finish().await?;
            Ok(Stored {
                digested,
                sealed_bytes,
            })
        }
        Err(error) => {
            upload.abort().await;
            Err(error)
        }
    }
}

/// The plaintext of `object` at `site`, opened with `key` for `backup`;
/// the stream fails, before its last bytes, when the object was altered,
/// cut short or sealed otherwise, or its plaintext is not `sha256`.
pub async fn open_stored(
    storage: &ObjectStorage,
    site: Site,
    object: &str,
    key: &BackupKey,
    backup: Uuid,
    sha256: &str,
) -> Result<ByteStream, BackendError> {
    let opener = sealing::Opener::new(key, &sealing_context(backup)).map_err(sealing_failure)?;
    let sealed = storage.read(site, object).await?;
    Ok(opened(sealed, opener, sha256.to_owned()))
}

/// A backup a download link opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Downloadable {
    pub backup: Uuid,
    pub organization: Uuid,
    pub object_key: String,
    pub sha256: String,
    pub size: u64,
    /// `tenant-acme-ecommerce-2026-12-06.zip`.
    pub file_name: String,
}

/// What reads backups back for people (downloads): the storage and the
/// organizations' keys.
#[derive(Clone)]
pub struct BackupReader {
    storage: ObjectStorage,
    vault: std::sync::Arc<dyn SecretStore>,
}

impl BackupReader {
    pub fn new(storage: ObjectStorage, vault: std::sync::Arc<dyn SecretStore>) -> Self {
        Self { storage, vault }
    }

    /// The backup's plaintext, checked as it is read; from the primary
    /// storage, or the off-site copy when the primary cannot be read.
    pub async fn open(&self, backup: &Downloadable) -> Result<ByteStream, BackendError> {
        let text = self
            .vault
            .ensure_organization_key(backup.organization, KEY_NAME)
            .await?;
        let key = BackupKey::parse_hex(&text).map_err(sealing_failure)?;
        let mut last = None;
        for site in [Site::Primary, Site::Offsite] {
            match open_stored(
                &self.storage,
                site,
                &backup.object_key,
                &key,
                backup.backup,
                &backup.sha256,
            )
            .await
            {
                Ok(plain) => return Ok(plain),
                Err(error) => last = Some(error),
            }
        }
        Err(last.unwrap_or_else(|| BackendError::transient(BACKEND, "no storage answered")))
    }
}

/// `sealed`, opened as it is read.
fn opened(sealed: ByteStream, opener: sealing::Opener, sha256: String) -> ByteStream {
    struct Reading {
        sealed: ByteStream,
        opener: Option<sealing::Opener>,
        ready: VecDeque<Bytes>,
        sha256: String,
    }
    let state = Reading {
        sealed,
        opener: Some(opener),
        ready: VecDeque::new(),
        sha256,
    };
    Box::pin(stream::unfold(state, |mut state| async move {
        loop {
            if let Some(bytes) = state.ready.pop_front() {
                return Some((Ok(bytes), state));
            }
            let opener = state.opener.as_mut()?;
            let mut out = Vec::new();
            let step = match state.sealed.next().await {
                Some(Ok(piece)) => opener.push(&piece, &mut out).map_err(sealing_failure),
                Some(Err(error)) => Err(error),
                None => match state.opener.take() {
                    Some(opener) => opener
                        .finish(Some(&state.sha256), &mut out)
                        .map(|_| ())
                        .map_err(sealing_failure),
                    None => Ok(()),
                },
            };
            if let Err(error) = step {
                state.opener = None;
                return Some((Err(error), state));
            }
            state
                .ready
                .extend(out.into_iter().filter(|bytes| !bytes.is_empty()));
        }
    }))
}
