//! Where backups are kept: two S3-compatible endpoints, the primary and an
//! off-site copy (versitygw in development and tests; Ceph's RGW or any S3
//! in production), through `object_store`.
//!
//! Objects are written by multipart upload, a part at a time with at most
//! `PARTS_IN_FLIGHT` parts held, so memory stays flat whatever the size. An
//! object becomes visible only when its upload completes: an upload cut
//! short is aborted (and one that could not even be aborted stays an
//! invisible incomplete upload, which the bucket's lifecycle rule expires),
//! so no reader ever sees a partial backup. Object names are deterministic
//! (the backup's id), so an upload retried after a failure replaces, never
//! duplicates.

use std::{fmt, pin::Pin, sync::Arc, time::Duration};

use bytes::Bytes;
use futures_util::{Stream, StreamExt, TryStreamExt};
use object_store::{
    aws::{AmazonS3, AmazonS3Builder},
    path::Path,
    ClientOptions, ObjectStore, ObjectStoreExt, RetryConfig, WriteMultipart,
};

use super::BackendError;

const BACKEND: &str = "storage";
/// S3's smallest part is 5 MiB (but the last); 8 MiB parts, two in flight.
const PART_SIZE: usize = 8 * 1024 * 1024;
const PARTS_IN_FLIGHT: usize = 2;

/// Bytes read from, or to be written to, a backend.
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, BackendError>> + Send>>;

/// One of the two places a backup is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Site {
    Primary,
    Offsite,
}

impl Site {
    pub fn code(self) -> &'static str {
        match self {
            Site::Primary => "primary",
            Site::Offsite => "offsite",
        }
    }
}

/// An S3 endpoint and bucket, with its credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `https://s3.example` (or `http://` on a trusted network).
    pub url: String,
    pub bucket: String,
    pub region: String,
    pub access_key: String,
    pub secret_key: String,
}

debug_without_secrets!(Endpoint { url, bucket, region });

/// The primary storage and the off-site copy.
#[derive(Clone)]
pub struct ObjectStorage {
    primary: Arc<AmazonS3>,
    offsite: Arc<AmazonS3>,
}

impl fmt::Debug for ObjectStorage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObjectStorage")
            .field("primary", &self.primary.to_string())
            .field("offsite", &self.offsite.to_string())
            .finish()
    }
}

/// An object being written; see [`ObjectStorage::begin_upload`].
pub struct Upload {
    writer: WriteMultipart,
    written: u64,
}

impl Upload {
    /// Appends `bytes`, waiting while `PARTS_IN_FLIGHT` parts are being sent.
    pub async fn write(&mut self, bytes: Bytes) -> Result<(), BackendError> {
        self.writer
            .wait_for_capacity(PARTS_IN_FLIGHT)
            .await
            .map_err(classify)?;
        self.written += bytes.len() as u64;
        self.writer.put(bytes);
        Ok(())
    }

    /// Completes the upload: the object appears, whole. Its size.
    pub async fn finish(self) -> Result<u64, BackendError> {
        self.writer.finish().await.map_err(classify)?;
        Ok(self.written)
    }

    /// Gives the upload up: nothing of it becomes visible.
    pub async fn abort(self) {
        if let Err(error) = self.writer.abort().await {
            tracing::warn!(%error, "an aborted backup upload could not be cleaned up (the bucket's lifecycle expires it)");
        }
    }
}

impl ObjectStorage {
    /// `timeout` bounds each request (a part, a read's wait for data).
    pub fn new(primary: &Endpoint, offsite: &Endpoint, timeout: Duration) -> Result<Self, BackendError> {
        Ok(Self {
            primary: Arc::new(store(primary, timeout)?),
            offsite: Arc::new(store(offsite, timeout)?),
        })
    }

    fn at(&self, site: Site) -> &AmazonS3 {
        match site {
            Site::Primary => &self.primary,
            Site::Offsite => &self.offsite,
        }
    }

    /// Starts writing `key` at `site`.
    pub async fn begin_upload(&self, site: Site, key: &str) -> Result<Upload, BackendError> {
        let upload = self
            .at(site)
            .put_multipart(&Path::from(key))
            .await
            .map_err(classify)?;
        Ok(Upload {
            writer: WriteMultipart::new_with_chunk_size(upload, PART_SIZE),
            written: 0,
        })
    }

    /// Writes `source` whole as `key` at `site`, or nothing; its size.
    pub async fn upload(&self, site: Site, key: &str, mut source: ByteStream) -> Result<u64, BackendError> {
        let mut upload = self.begin_upload(site, key).await?;
        while let Some(piece) = source.next().await {
            let written = match piece {
                Ok(bytes) => upload.write(bytes).await,
                Err(error) => Err(error),
            };
            if let Err(error) = written {
                upload.abort().await;
                return Err(error);
            }
        }
        upload.finish().await
    }

    /// Copies `key` from the primary storage to the off-site one (streamed
    /// through the portal: the two need not know each other); its size.
    pub async fn copy_offsite(&self, key: &str) -> Result<u64, BackendError> {
        let source = self.read(Site::Primary, key).await?;
        self.upload(Site::Offsite, key, source).await
    }

    /// The object's bytes as they are read.
    pub async fn read(&self, site: Site, key: &str) -> Result<ByteStream, BackendError> {
        let found = self.at(site).get(&Path::from(key)).await.map_err(classify)?;
        Ok(Box::pin(found.into_stream().map_err(classify)))
    }

    /// The object's size, `None` when there is none.
    pub async fn size(&self, site: Site, key: &str) -> Result<Option<u64>, BackendError> {
        match self.at(site).head(&Path::from(key)).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(error) => Err(classify(error)),
        }
    }

    /// Removes `key` from both sites; one already gone counts as removed.
    pub async fn remove(&self, key: &str) -> Result<(), BackendError> {
        for site in [Site::Primary, Site::Offsite] {
            match self.at(site).delete(&Path::from(key)).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(error) => return Err(classify(error)),
            }
        }
        Ok(())
    }

    /// The names of the objects under `prefix` at `site`.
    pub async fn keys(&self, site: Site, prefix: &str) -> Result<Vec<String>, BackendError> {
        let prefix = Path::from(prefix);
        let mut keys: Vec<String> = self
            .at(site)
            .list(Some(&prefix))
            .map_ok(|meta| meta.location.to_string())
            .try_collect()
            .await
            .map_err(classify)?;
        keys.sort();
        Ok(keys)
    }
}

fn store(endpoint: &Endpoint, timeout: Duration) -> Result<AmazonS3, BackendError> {
    let url = url::Url::parse(&endpoint.url)
        .map_err(|error| BackendError::refused(BACKEND, format!("{}: {error}", endpoint.url)))?;
    // Retries are the engine's (with its backoff and its record of them):
    // a few quick ones here only smooth a dropped connection.
    let retry = RetryConfig {
        max_retries: 2,
        retry_timeout: timeout,
        ..RetryConfig::default()
    };
    let options = ClientOptions::new()
        .with_timeout(timeout)
        .with_connect_timeout(Duration::from_secs(5))
        .with_allow_http(url.scheme() == "http");
    AmazonS3Builder::new()
        .with_endpoint(endpoint.url.trim_end_matches('/'))
        .with_bucket_name(&endpoint.bucket)
        .with_region(&endpoint.region)
        .with_access_key_id(&endpoint.access_key)
        .with_secret_access_key(&endpoint.secret_key)
        // Path-style addressing: what S3-compatible servers all answer.
        .with_virtual_hosted_style_request(false)
        .with_client_options(options)
        .with_retry(retry)
        .build()
        .map_err(|error| BackendError::refused(BACKEND, error.to_string()))
}

/// One place where the storage's errors are told apart: what the caller
/// asked for is wrong or refused (for good), or the storage could not be
/// reached or answered an error worth retrying.
fn classify(error: object_store::Error) -> BackendError {
    use object_store::Error as E;
    match error {
        E::NotFound { path, .. } => BackendError::refused(BACKEND, format!("{path} is not stored")),
        E::PermissionDenied { .. }
        | E::Unauthenticated { .. }
        | E::InvalidPath { .. }
        | E::NotSupported { .. } => BackendError::refused(BACKEND, error.to_string()),
        error => BackendError::transient(BACKEND, error.to_string()),
    }
}
