//! S3-compatible object storage for backups: versitygw v1.8.0 (Apache-2.0)
//! serving a directory through its posix backend (objects are files, their
//! metadata extended attributes), built from its Go module and cached by
//! version. The stack runs two instances, the primary store and an
//! off-site copy, each with its own data and versioning directories,
//! bucket and credentials (random, new at each start). Every request is
//! checked as S3 checks it: SigV4-signed, a wrong secret refused.

use std::{
    io::Write,
    path::Path,
    process::{Command, Stdio},
    time::Duration,
};

use anyhow::{bail, Context, Result};

use crate::{
    ory,
    process::{self, Supervised},
    tools,
};

pub const VERSITYGW: tools::GoTool = tools::GoTool {
    name: "versitygw",
    package: "github.com/versity/versitygw/cmd/versitygw",
    version: "v1.8.0",
};

/// The region both instances sign and check requests for.
pub const REGION: &str = "eu-west-3";

/// What one instance is for.
pub struct Instance {
    /// Its folder under the data directory and its log's name.
    pub name: &'static str,
    /// How errors and logs call it.
    pub label: &'static str,
    /// The bucket it serves, created at start.
    pub bucket: &'static str,
}

pub const PRIMARY: Instance = Instance {
    name: "s3-primary",
    label: "versitygw (primary)",
    bucket: "bibind-backups",
};

pub const OFFSITE: Instance = Instance {
    name: "s3-offsite",
    label: "versitygw (off-site)",
    bucket: "bibind-backups-offsite",
};

/// The SHA-256 of an empty payload. S3 wants `x-amz-content-sha256` on
/// every request, and curl 7.88 (Debian 12) does not send it by itself.
const EMPTY_PAYLOAD_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// A running instance with its bucket; stopped when dropped.
pub struct ObjectStorage {
    bucket: &'static str,
    port: u16,
    access_key: String,
    secret_key: String,
    service: Supervised,
}

impl ObjectStorage {
    /// Starts `instance` on `port` with its data under
    /// `data_dir/<instance.name>/` and its log in `log_dir`, then creates
    /// its bucket (kept data, as in dev's `.data/`, may hold it already).
    pub fn start(instance: &'static Instance, data_dir: &Path, log_dir: &Path, port: u16) -> Result<Self> {
        let binary = VERSITYGW.ensure_built()?;
        let root = data_dir.join(instance.name);
        let (data, versions) = (root.join("data"), root.join("versions"));
        for dir in [&data, &versions] {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        }
        // AWS's shapes: a 20-character key id, a 40-character secret.
        let access_key = ory::random_alphanumeric(20)?.to_uppercase();
        let secret_key = ory::random_alphanumeric(40)?;
        let log = log_dir.join(format!("{}.log", instance.name));
        let mut command = Command::new(binary);
        command
            .args(["--port", &format!("127.0.0.1:{port}"), "--region", REGION])
            .arg("posix")
            .arg("--versioning-dir")
            .arg(&versions)
            .arg(&data);
        // In the environment, not on the command line where `ps` shows
        // them; under each name versitygw reads, so that none inherited wins.
        for name in ["ROOT_ACCESS_KEY_ID", "ROOT_ACCESS_KEY"] {
            command.env(name, &access_key);
        }
        for name in ["ROOT_SECRET_ACCESS_KEY", "ROOT_SECRET_KEY"] {
            command.env(name, &secret_key);
        }
        let mut service = Supervised::spawn(instance.label, &mut command, &log)?;
        process::wait_for_port(instance.label, port, Duration::from_secs(30), Some(&mut service))?;
        let storage = Self {
            bucket: instance.bucket,
            port,
            access_key,
            secret_key,
            service,
        };
        storage
            .ensure_bucket()
            .with_context(|| format!("{} is not usable; see {}", instance.label, log.display()))?;
        Ok(storage)
    }

    /// Creates the bucket unless it exists, then checks that these
    /// credentials reach it.
    fn ensure_bucket(&self) -> Result<()> {
        let path = format!("/{}", self.bucket);
        let created = self.request("PUT", &path, None)?;
        // A bucket kept from an earlier run belongs to that run's key: S3
        // calls it someone else's, but the root account still reaches it.
        let exists = created.status == 409
            && ["BucketAlreadyOwnedByYou", "BucketAlreadyExists"]
                .iter()
                .any(|code| created.text().contains(&format!("<Code>{code}</Code>")));
        if created.status != 200 && !exists {
            bail!(
                "creating the bucket {} answered {}: {}",
                self.bucket,
                created.status,
                created.text()
            );
        }
        let head = self.request("HEAD", &path, None)?;
        if head.status != 200 {
            bail!("the bucket {} answers HEAD with {}", self.bucket, head.status);
        }
        Ok(())
    }

    /// A request signed with this instance's credentials; `path` is
    /// `/bucket` or `/bucket/key`.
    fn request(&self, method: &str, path: &str, upload: Option<&Path>) -> Result<Answer> {
        signed_request(
            &self.access_key,
            &self.secret_key,
            method,
            &format!("{}{path}", self.url()),
            upload,
        )
    }

    /// The endpoint, `http://127.0.0.1:PORT` (path-style bucket addressing).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn bucket(&self) -> &'static str {
        self.bucket
    }

    pub fn access_key(&self) -> &str {
        &self.access_key
    }

    pub fn secret_key(&self) -> &str {
        &self.secret_key
    }

    /// Fails if versitygw has exited.
    pub fn check_running(&mut self) -> Result<()> {
        self.service.check_running()
    }
}

/// What S3 answered: the status code and the body (empty for HEAD).
struct Answer {
    status: u16,
    body: Vec<u8>,
}

impl Answer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// `curl --aws-sigv4` as `access_key`, the file `upload` as the body. The
/// key pair goes to curl through its standard input (`-K -`), never on a
/// command line that `ps` or an error message would show.
fn signed_request(
    access_key: &str,
    secret_key: &str,
    method: &str,
    url: &str,
    upload: Option<&Path>,
) -> Result<Answer> {
    let payload_sha256 = match upload {
        Some(file) => {
            use sha2::{Digest, Sha256};
            let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
            Sha256::digest(&bytes)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        }
        None => EMPTY_PAYLOAD_SHA256.to_owned(),
    };
    let mut command = Command::new("curl");
    command
        .args(["-sS", "-K", "-", "--max-time", "30", "-w", "\n%{http_code}"])
        .args(["--aws-sigv4", &format!("aws:amz:{REGION}:s3")])
        .args(["-H", &format!("x-amz-content-sha256: {payload_sha256}")]);
    if method == "HEAD" {
        // `-X HEAD` would wait for a body that never comes.
        command.arg("--head");
    } else {
        command.args(["-X", method]);
    }
    if let Some(file) = upload {
        command.arg("--data-binary").arg(format!("@{}", file.display()));
    }
    command
        .arg(url)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command
        .spawn()
        .with_context(|| format!("cannot run {}", process::describe(&command)))?;
    child
        .stdin
        .take()
        .context("curl has no standard input")?
        .write_all(format!("user = \"{access_key}:{secret_key}\"\n").as_bytes())?;
    let out = child.wait_with_output()?;
    if !out.status.success() {
        bail!(
            "curl {method} {url} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    // The body, then the line `-w` added with the status code.
    let split = out.stdout.iter().rposition(|b| *b == b'\n').unwrap_or(0);
    let (body, status) = out.stdout.split_at(split);
    Ok(Answer {
        status: String::from_utf8_lossy(status)
            .trim()
            .parse()
            .with_context(|| format!("curl printed no status code for {method} {url}"))?,
        body: body.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(storage: &ObjectStorage, key: &str, file: &Path) -> Answer {
        storage
            .request("PUT", &format!("/{}/{key}", storage.bucket()), Some(file))
            .unwrap()
    }

    fn get(storage: &ObjectStorage, key: &str) -> Answer {
        storage
            .request("GET", &format!("/{}/{key}", storage.bucket()), None)
            .unwrap()
    }

    #[test]
    fn both_instances_keep_objects_and_check_signatures() {
        let dir = std::env::temp_dir().join(format!("xtask-object-storage-{}", std::process::id()));
        let (data, logs) = (dir.join("data"), dir.join("logs"));
        std::fs::create_dir_all(&logs).unwrap();
        let payload = dir.join("backup.tar");
        std::fs::write(&payload, b"a backup, byte for byte\n\x00\xff").unwrap();

        let primary = ObjectStorage::start(&PRIMARY, &data, &logs, process::free_port().unwrap()).unwrap();
        let offsite = ObjectStorage::start(&OFFSITE, &data, &logs, process::free_port().unwrap()).unwrap();
        assert_ne!(primary.access_key(), offsite.access_key(), "each has its own key");
        assert!(data.join("s3-primary/data/bibind-backups").is_dir());
        assert!(data.join("s3-offsite/data/bibind-backups-offsite").is_dir());

        for storage in [&primary, &offsite] {
            let key = "org-1/2026-12-06.tar";
            let stored = put(storage, key, &payload);
            assert_eq!(stored.status, 200, "{}", stored.text());
            let read = get(storage, key);
            assert_eq!(read.status, 200, "{}", read.text());
            assert_eq!(read.body, std::fs::read(&payload).unwrap(), "byte for byte");

            let url = format!("{}/{}/{key}", storage.url(), storage.bucket());
            let forged = signed_request(storage.access_key(), "not-the-secret", "GET", &url, None).unwrap();
            assert_eq!(forged.status, 403, "{}", forged.text());
            assert!(
                forged.text().contains("<Code>SignatureDoesNotMatch</Code>"),
                "{}",
                forged.text()
            );
        }
        // One instance's key means nothing to the other. (versitygw answers
        // an unknown key with 404 XAdminUserNotFound where AWS says 403
        // InvalidAccessKeyId.)
        let url = format!("{}/{}", offsite.url(), offsite.bucket());
        let stranger = signed_request(primary.access_key(), primary.secret_key(), "GET", &url, None).unwrap();
        assert_eq!(stranger.status, 404, "{}", stranger.text());
        assert!(
            stranger.text().contains("<Code>XAdminUserNotFound</Code>"),
            "{}",
            stranger.text()
        );

        // Restarted on its kept data with a new key (as `cargo xtask dev`
        // does): the bucket and the object are still there.
        let port = primary.port;
        drop(primary);
        let again = ObjectStorage::start(&PRIMARY, &data, &logs, port).unwrap();
        let read = get(&again, "org-1/2026-12-06.tar");
        assert_eq!(read.status, 200, "{}", read.text());
        assert_eq!(read.body, std::fs::read(&payload).unwrap());

        drop((again, offsite));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
