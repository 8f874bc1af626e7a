//! The OCI image layout: the layer's blob, the config, the manifest,
//! index.json and oci-layout, each blob named by its sha256 digest.

use std::{
    fs::File,
    path::{Path, PathBuf},
};

use anyhow::{bail, ensure, Context, Result};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::{layer::Layer, ImageSummary, Metadata, BINARY_PATH, SITE_PATH, USER_ID};

const INDEX_TYPE: &str = "application/vnd.oci.image.index.v1+json";
const MANIFEST_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
const CONFIG_TYPE: &str = "application/vnd.oci.image.config.v1+json";
const LAYER_TYPE: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
pub(super) const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// Writes the layout of `layer` and `metadata` for `platform` (architecture
/// and OS) to `output`, replacing it: the layer's blob (moved there), the
/// config, the manifest, index.json and oci-layout.
pub(super) fn write(
    output: &Path,
    layer: Layer,
    metadata: &Metadata,
    (architecture, os): (&str, &str),
) -> Result<ImageSummary> {
    prepare_output(output)?;
    let layer_blob = blob_path(output, &layer.digest)?;
    std::fs::rename(&layer.gzip, &layer_blob)
        .with_context(|| format!("cannot move the layer to {}", layer_blob.display()))?;

    let created = rfc3339(metadata.epoch);
    let mut labels = serde_json::Map::new();
    for (name, value) in [
        ("title", Some("Bibind portal")),
        ("source", metadata.source.as_deref()),
        ("version", Some(&metadata.version)),
        ("revision", Some(&metadata.revision)),
        ("licenses", Some(&metadata.license)),
    ] {
        if let Some(value) = value {
            labels.insert(format!("org.opencontainers.image.{name}"), json!(value));
        }
    }
    let config = json!({
        "created": created,
        "architecture": architecture,
        "os": os,
        "config": {
            "User": format!("{USER_ID}:{USER_ID}"),
            "Env": [
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                format!("BIBIND_SITE__ROOT=/{SITE_PATH}"),
            ],
            "Entrypoint": [format!("/{BINARY_PATH}")],
            "Cmd": ["serve"],
            "ExposedPorts": { "3000/tcp": {}, "9100/tcp": {} },
            "WorkingDir": "/",
            "Labels": labels,
        },
        "rootfs": { "type": "layers", "diff_ids": [layer.diff_id] },
        "history": [{
            "created": created,
            "created_by": "cargo xtask image",
            "comment": format!(
                "bibind-server {} ({}), its shared libraries, the site, CA certificates",
                metadata.version, metadata.revision
            ),
        }],
    });
    let (config_digest, config_size) = write_blob(output, &config)?;
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": MANIFEST_TYPE,
        "config": { "mediaType": CONFIG_TYPE, "digest": config_digest, "size": config_size },
        "layers": [{ "mediaType": LAYER_TYPE, "digest": layer.digest, "size": layer.size }],
    });
    let (manifest_digest, manifest_size) = write_blob(output, &manifest)?;
    let tag = metadata.tag();
    let index = json!({
        "schemaVersion": 2,
        "mediaType": INDEX_TYPE,
        "manifests": [{
            "mediaType": MANIFEST_TYPE,
            "digest": manifest_digest,
            "size": manifest_size,
            "platform": { "architecture": architecture, "os": os },
            "annotations": { REF_NAME: tag },
        }],
    });
    write_json(&output.join("index.json"), &index)?;
    write_json(
        &output.join("oci-layout"),
        &json!({ "imageLayoutVersion": "1.0.0" }),
    )?;
    Ok(ImageSummary {
        tag,
        manifest_digest,
        config_digest,
        layer_digest: layer.digest,
        layer_size: layer.size,
        layer_uncompressed_size: layer.uncompressed_size,
    })
}

/// Docker's name of this machine's architecture, and its OS.
pub(super) fn platform() -> Result<(&'static str, &'static str)> {
    let architecture = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "riscv64" => "riscv64",
        other => bail!("no OCI architecture name known here for {other}"),
    };
    ensure!(
        std::env::consts::OS == "linux",
        "the image is built on Linux only"
    );
    Ok((architecture, "linux"))
}

/// Replaces `output` when it is an image layout or empty; refuses anything else.
fn prepare_output(output: &Path) -> Result<()> {
    if output.exists() {
        let empty = std::fs::read_dir(output)
            .with_context(|| format!("{} is not a directory", output.display()))?
            .next()
            .is_none();
        ensure!(
            empty || output.join("oci-layout").is_file(),
            "{} exists and is not an image layout: choose another --output",
            output.display()
        );
        std::fs::remove_dir_all(output).with_context(|| format!("cannot clear {}", output.display()))?;
    }
    let blobs = output.join("blobs").join("sha256");
    std::fs::create_dir_all(&blobs).with_context(|| format!("cannot create {}", blobs.display()))
}

fn blob_path(output: &Path, digest: &str) -> Result<PathBuf> {
    let hex = digest
        .strip_prefix("sha256:")
        .with_context(|| format!("{digest} is not a sha256 digest"))?;
    Ok(output.join("blobs").join("sha256").join(hex))
}

/// `value` as a blob; its digest and size.
fn write_blob(output: &Path, value: &Value) -> Result<(String, u64)> {
    let bytes = serde_json::to_vec(value)?;
    let digest = format!("sha256:{}", hex(&Sha256::digest(&bytes)));
    let path = blob_path(output, &digest)?;
    std::fs::write(&path, &bytes).with_context(|| format!("cannot write {}", path.display()))?;
    Ok((digest, u64::try_from(bytes.len())?))
}

fn write_json(path: &Path, value: &Value) -> Result<()> {
    std::fs::write(path, serde_json::to_vec(value)?)
        .with_context(|| format!("cannot write {}", path.display()))
}

pub(super) fn read_json(path: &Path) -> Result<Value> {
    let text = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_slice(&text).with_context(|| format!("{} is not JSON", path.display()))
}

pub(super) fn sha256_file(path: &Path) -> Result<(String, u64)> {
    let mut file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut hasher = Sha256::new();
    let size = std::io::copy(&mut file, &mut hasher)?;
    Ok((format!("sha256:{}", hex(&hasher.finalize())), size))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// `epoch` (seconds since 1970) as an RFC 3339 time in UTC.
fn rfc3339(epoch: u64) -> String {
    let (days, seconds) = (epoch / 86_400, epoch % 86_400);
    // Howard Hinnant's civil_from_days, for days on or after 1970-01-01.
    let shifted = days + 719_468;
    let era = shifted / 146_097;
    let day_of_era = shifted % 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = era * 400 + year_of_era + u64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        seconds / 3600,
        seconds % 3600 / 60,
        seconds % 60
    )
}

#[cfg(test)]
mod tests {
    use std::process::Command;

    use super::*;
    use crate::{
        image::{
            assemble_with,
            layer::{interpreter, shared_libraries},
            tests::{inputs, scratch},
        },
        process,
    };

    /// The blob `descriptor` names, checked against its size and digest.
    fn blob(output: &Path, descriptor: &Value) -> Vec<u8> {
        let digest = descriptor["digest"].as_str().unwrap();
        let bytes = std::fs::read(blob_path(output, digest).unwrap()).unwrap();
        assert_eq!(descriptor["size"].as_u64(), Some(bytes.len() as u64), "{digest}");
        assert_eq!(format!("sha256:{}", hex(&Sha256::digest(&bytes))), digest);
        bytes
    }

    #[test]
    fn the_layout_references_blobs_that_match_their_digests() {
        let dir = scratch("layout");
        let (binary, site) = inputs(&dir);
        let output = dir.join("image");
        let metadata = Metadata {
            version: "1.2.3".to_owned(),
            revision: "a".repeat(40),
            license: "AGPL-3.0-only".to_owned(),
            source: Some("https://example.org/bibind.git".to_owned()),
            epoch: 1_700_000_000,
        };
        let summary = assemble_with(&binary, &site, &output, &metadata).unwrap();

        let layout = read_json(&output.join("oci-layout")).unwrap();
        assert_eq!(layout["imageLayoutVersion"], "1.0.0");
        let index = read_json(&output.join("index.json")).unwrap();
        assert_eq!(index["schemaVersion"], 2);
        assert_eq!(index["mediaType"], INDEX_TYPE);
        let entry = &index["manifests"][0];
        assert_eq!(index["manifests"].as_array().unwrap().len(), 1);
        assert_eq!(entry["mediaType"], MANIFEST_TYPE);
        assert_eq!(entry["digest"], summary.manifest_digest.as_str());
        assert_eq!(entry["annotations"][REF_NAME], "1.2.3");
        assert_eq!(entry["platform"]["os"], "linux");

        let manifest: Value = serde_json::from_slice(&blob(&output, entry)).unwrap();
        assert_eq!(manifest["schemaVersion"], 2);
        assert_eq!(manifest["config"]["mediaType"], CONFIG_TYPE);
        let config: Value = serde_json::from_slice(&blob(&output, &manifest["config"])).unwrap();
        let layer = &manifest["layers"][0];
        assert_eq!(layer["mediaType"], LAYER_TYPE);
        let layer_path = blob_path(&output, layer["digest"].as_str().unwrap()).unwrap();
        assert_eq!(blob(&output, layer).len() as u64, summary.layer_size);
        // Only the three blobs.
        assert_eq!(std::fs::read_dir(output.join("blobs/sha256")).unwrap().count(), 3);

        // diff_ids: the digest of the uncompressed layer.
        let unpacked = dir.join("layer.tar");
        process::run(
            Command::new("gzip")
                .arg("-dc")
                .arg(&layer_path)
                .stdout(File::create(&unpacked).unwrap()),
        )
        .unwrap();
        let (diff_id, size) = sha256_file(&unpacked).unwrap();
        assert_eq!(config["rootfs"]["diff_ids"], json!([diff_id]));
        assert_eq!(size, summary.layer_uncompressed_size);

        let settings = &config["config"];
        assert_eq!(settings["User"], "65532:65532");
        assert_eq!(settings["Entrypoint"], json!(["/usr/local/bin/bibind-server"]));
        assert_eq!(settings["Cmd"], json!(["serve"]));
        assert_eq!(settings["WorkingDir"], "/");
        assert_eq!(
            settings["ExposedPorts"],
            json!({ "3000/tcp": {}, "9100/tcp": {} })
        );
        assert!(settings["Env"]
            .as_array()
            .unwrap()
            .contains(&json!("BIBIND_SITE__ROOT=/usr/share/bibind/site")));
        let labels = &settings["Labels"];
        assert_eq!(labels["org.opencontainers.image.version"], "1.2.3");
        assert_eq!(labels["org.opencontainers.image.revision"], "a".repeat(40));
        assert_eq!(labels["org.opencontainers.image.licenses"], "AGPL-3.0-only");
        assert_eq!(
            labels["org.opencontainers.image.source"],
            "https://example.org/bibind.git"
        );
        assert_eq!(config["created"], "2023-11-14T22:13:20Z");
        assert_eq!(config["history"][0]["created"], "2023-11-14T22:13:20Z");
        assert_eq!(config["architecture"], platform().unwrap().0);

        // Owners, modes and the files: the binary, its libraries and loader,
        // the site, the accounts; no shell.
        let listing = process::output(
            Command::new("tar")
                .args(["--list", "--verbose", "--numeric-owner", "--file"])
                .arg(&unpacked),
        )
        .unwrap();
        let line = |path: &str| {
            listing
                .lines()
                .find(|line| line.ends_with(&format!(" {path}")))
                .unwrap_or_else(|| panic!("{path} is not in the layer:\n{listing}"))
                .to_owned()
        };
        assert!(line("usr/local/bin/bibind-server").starts_with("-rwxr-xr-x 0/0 "));
        assert!(line("usr/share/bibind/site/robots.txt").starts_with("-rw-r--r-- 0/0 "));
        assert!(line("usr/share/bibind/site/pkg/bibind.css").starts_with("-rw-r--r-- 0/0 "));
        assert!(line("usr/share/bibind/site/pkg/").starts_with("drwxr-xr-x 0/0 "));
        assert!(line("etc/passwd").starts_with("-rw-r--r-- 0/0 "));
        assert!(line("etc/ssl/certs/ca-certificates.crt").starts_with("-rw-r--r-- 0/0 "));
        assert!(line("tmp/").starts_with("drwxrwxrwt 0/0 "));
        let loader = interpreter(&binary).unwrap().unwrap();
        let libraries = shared_libraries(&binary, Some(&loader)).unwrap();
        assert!(libraries.len() >= 2, "{libraries:?}");
        for library in &libraries {
            let inside = library.strip_prefix("/").unwrap().to_string_lossy().into_owned();
            let mode = if *library == loader {
                "-rwxr-xr-x"
            } else {
                "-rw-r--r--"
            };
            assert!(line(&inside).starts_with(mode), "{inside}");
        }
        assert!(!listing.lines().any(|line| line.ends_with(" bin/sh")));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn times_are_written_in_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_796_562_389), "2026-12-06T13:06:29Z");
        assert_eq!(rfc3339(4_107_542_399), "2100-02-28T23:59:59Z");
    }
}
