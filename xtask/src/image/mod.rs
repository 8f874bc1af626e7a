//! `cargo xtask image`: the portal's container image, written as an OCI image
//! layout (`oci-layout`, `index.json`, `blobs/sha256/…`) without a container
//! engine.
//!
//! One layer: `bibind-server` at /usr/local/bin, the shared libraries it
//! links as `ldd` finds them on this machine and their loader (at the path
//! the binary names), the built site at /usr/share/bibind/site (the image's
//! `BIBIND_SITE__ROOT`), the machine's CA certificates, and /etc/passwd,
//! /etc/group and /etc/nsswitch.conf naming the user `bibind` (65532). No
//! shell, no package manager. The server writes no file (uploads stay in
//! memory), so the image runs with a read-only root file system; /tmp is
//! there, empty, for what a runtime mounts on it.
//!
//! Reproducible: every time stamp is `SOURCE_DATE_EPOCH`, else the time of
//! the HEAD commit; GNU tar sorts the entries and records no owner names and
//! no access times; gzip records no name nor time; modes are set here
//! (directories and executables 0755, other files 0644). The same binary
//! and site give the same manifest digest.
//!
//! `--from-binary PATH` and `--site DIR` (for the test runner) package those
//! instead of building the release binary and the site; `--check` then
//! inspects the result with umoci (`check`).
//!
//! - `layer`: the root file system, staged, and its tar and gzip;
//! - `layout`: the blobs, the config, the manifest and index.json, digests;
//! - `check`: the written image inspected with umoci.

mod check;
mod layer;
mod layout;

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::{bail, ensure, Context, Result};

pub use check::check;

use crate::{paths, process, site, test, tools};

/// Where things are in the image (relative to its root).
const BINARY_PATH: &str = "usr/local/bin/bibind-server";
const SITE_PATH: &str = "usr/share/bibind/site";
const CA_PATH: &str = "etc/ssl/certs/ca-certificates.crt";

/// The user and group the portal runs as (distroless' `nonroot`).
const USER_ID: u64 = 65532;

/// What `assemble` wrote.
pub struct ImageSummary {
    /// Its name in index.json (the workspace's version).
    pub tag: String,
    pub manifest_digest: String,
    pub config_digest: String,
    pub layer_digest: String,
    /// The layer as stored (gzip).
    pub layer_size: u64,
    /// The layer's tar, unpacked size of the image.
    pub layer_uncompressed_size: u64,
}

pub fn run(args: &[String]) -> Result<()> {
    let mut output = paths::workspace_root().join("target").join("image");
    let (mut binary, mut site_root, mut check_after) = (None, None, false);
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        let mut value = |what: &str| {
            rest.next()
                .map(PathBuf::from)
                .with_context(|| format!("{flag} takes {what}"))
        };
        match flag.as_str() {
            "--output" => output = value("a directory")?,
            "--from-binary" => binary = Some(value("the path of a bibind-server binary")?),
            "--site" => site_root = Some(value("the built site's directory")?),
            "--check" => check_after = true,
            _ => bail!("`cargo xtask image` takes --output DIR and --check (got {flag})"),
        }
    }
    let output =
        std::path::absolute(&output).with_context(|| format!("cannot make {} absolute", output.display()))?;
    let site_root = match site_root {
        Some(site_root) => site_root,
        None => site::build()?,
    };
    let binary = match binary {
        Some(binary) => binary,
        None => test::build_server(true, &[])?.join("bibind-server"),
    };

    let summary = assemble(&binary, &site_root, &output)?;
    let dir = output.display();
    let tag = &summary.tag;
    println!("xtask: image {dir} (tag {tag})");
    println!("  manifest {}", summary.manifest_digest);
    println!("  config   {}", summary.config_digest);
    println!(
        "  layer    {} ({} bytes gzip, {} bytes unpacked)",
        summary.layer_digest, summary.layer_size, summary.layer_uncompressed_size
    );
    println!("xtask: load it with");
    println!("  skopeo copy oci:{dir}:{tag} docker-daemon:bibind:{tag}");
    println!("  podman pull oci:{dir}:{tag}");
    println!("or push it with");
    println!("  skopeo copy oci:{dir}:{tag} docker://REGISTRY/bibind/portal:{tag}");
    if check_after {
        println!("{}", check(&output)?);
    }
    Ok(())
}

/// Writes the image of `binary` and the built site `site` to `output` (an
/// OCI image layout, replaced when it exists).
pub fn assemble(binary: &Path, site: &Path, output: &Path) -> Result<ImageSummary> {
    assemble_with(binary, site, output, &Metadata::of_workspace()?)
}

/// What the image records besides its files.
struct Metadata {
    version: String,
    revision: String,
    license: String,
    source: Option<String>,
    /// Seconds since 1970: every time stamp in the image.
    epoch: u64,
}

impl Metadata {
    fn of_workspace() -> Result<Self> {
        let root = paths::workspace_root();
        let manifest_path = root.join("Cargo.toml");
        let manifest = std::fs::read_to_string(&manifest_path)
            .with_context(|| format!("cannot read {}", manifest_path.display()))?;
        let key = |name: &str| workspace_package_key(&manifest, name);
        let git = |args: &[&str]| {
            process::output(Command::new("git").current_dir(&root).args(args))
                .map(|text| text.trim().to_owned())
        };
        let epoch = match std::env::var("SOURCE_DATE_EPOCH") {
            Ok(epoch) => epoch,
            Err(_) => git(&["log", "-1", "--format=%ct", "HEAD"])?,
        };
        let source = key("repository").or_else(|| {
            git(&["config", "--get", "remote.origin.url"])
                .ok()
                .filter(|url| !url.is_empty())
                .map(|url| without_credentials(&url))
        });
        Ok(Self {
            version: key("version").context("the workspace's Cargo.toml has no version")?,
            revision: git(&["rev-parse", "HEAD"])?,
            license: key("license").context("the workspace's Cargo.toml has no license")?,
            source,
            epoch: epoch
                .parse()
                .with_context(|| format!("the build time {epoch:?} is not a number of seconds"))?,
        })
    }

    /// The image's name in index.json (a tag takes no `+`).
    fn tag(&self) -> String {
        self.version.replace('+', "_")
    }
}

/// `key = "value"` of `[workspace.package]`.
fn workspace_package_key(manifest: &str, key: &str) -> Option<String> {
    let section = manifest
        .split("\n[")
        .find(|section| section.starts_with("workspace.package]"))?;
    section.lines().find_map(|line| {
        let (name, value) = line.split_once('=')?;
        (name.trim() == key).then(|| value.trim().trim_matches('"').to_owned())
    })
}

/// A remote's URL without the user and password it may carry.
fn without_credentials(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let authority = &rest[..rest.find('/').unwrap_or(rest.len())];
            let host_start = authority.rfind('@').map_or(0, |at| at + 1);
            format!("{scheme}://{}", &rest[host_start..])
        }
        None => url.to_owned(),
    }
}

fn assemble_with(binary: &Path, site: &Path, output: &Path, metadata: &Metadata) -> Result<ImageSummary> {
    tools::ensure_apt(&[&layer::CA_CERTIFICATES])?;
    ensure!(binary.is_file(), "{} is not a file", binary.display());
    ensure!(
        site.is_dir(),
        "{} is not a directory (the built site)",
        site.display()
    );
    let platform = layout::platform()?;
    let work = WorkDir::beside(output, "work")?;
    let layer = layer::build(binary, site, &work.path, metadata.epoch)?;
    layout::write(output, layer, metadata, platform)
}

/// A scratch directory beside `output` (so on its file system), removed
/// when dropped.
struct WorkDir {
    path: PathBuf,
}

impl WorkDir {
    fn beside(output: &Path, purpose: &str) -> Result<Self> {
        let name = output
            .file_name()
            .with_context(|| format!("{} does not name a directory", output.display()))?;
        let path = output.with_file_name(format!(".{}.{purpose}", name.to_string_lossy()));
        if path.exists() {
            std::fs::remove_dir_all(&path).with_context(|| format!("cannot clear {}", path.display()))?;
        }
        std::fs::create_dir_all(&path).with_context(|| format!("cannot create {}", path.display()))?;
        Ok(Self { path })
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::layer::set_mode;

    /// A fresh directory for one test.
    pub(super) fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("bibind-image-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// A dynamically linked binary (`true`) and a two-file site.
    pub(super) fn inputs(dir: &Path) -> (PathBuf, PathBuf) {
        let binary = dir.join("bibind-server");
        std::fs::copy("/bin/true", &binary).unwrap();
        let site = dir.join("site");
        std::fs::create_dir_all(site.join("pkg")).unwrap();
        std::fs::write(site.join("pkg").join("bibind.css"), "body{}").unwrap();
        std::fs::write(site.join("robots.txt"), "User-agent: *\n").unwrap();
        (binary, site)
    }

    #[test]
    fn the_same_inputs_give_the_same_image() {
        let dir = scratch("same");
        let (binary, site) = inputs(&dir);
        let first = assemble(&binary, &site, &dir.join("one")).unwrap();
        // Modes and times of the inputs are not part of the image.
        set_mode(&binary, 0o700).unwrap();
        std::fs::write(site.join("robots.txt"), "User-agent: *\n").unwrap();
        set_mode(&site.join("robots.txt"), 0o600).unwrap();
        let second = assemble(&binary, &site, &dir.join("two")).unwrap();
        assert_eq!(first.manifest_digest, second.manifest_digest);
        assert_eq!(first.layer_digest, second.layer_digest);

        // Another build time is another image.
        let metadata = Metadata {
            version: "1.2.3+4".to_owned(),
            revision: "0".repeat(40),
            license: "AGPL-3.0-only".to_owned(),
            source: None,
            epoch: 1_700_000_000,
        };
        let third = assemble_with(&binary, &site, &dir.join("three"), &metadata).unwrap();
        assert_ne!(first.manifest_digest, third.manifest_digest);
        assert_eq!(third.tag, "1.2.3_4");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn workspace_keys_and_remotes_are_read() {
        let manifest = "[workspace]\nversion = \"9\"\n\n[workspace.package]\nversion = \"0.1.0\"\n\
                        license = \"AGPL-3.0-only\"\n\n[workspace.dependencies]\nrepository = \"x\"\n";
        assert_eq!(
            workspace_package_key(manifest, "version").as_deref(),
            Some("0.1.0")
        );
        assert_eq!(
            workspace_package_key(manifest, "license").as_deref(),
            Some("AGPL-3.0-only")
        );
        assert_eq!(workspace_package_key(manifest, "repository"), None);
        assert_eq!(
            without_credentials("https://user:token@git.example.org/bibind.git"),
            "https://git.example.org/bibind.git"
        );
        assert_eq!(
            without_credentials("git@github.com:bibind/portal.git"),
            "git@github.com:bibind/portal.git"
        );
        assert_eq!(
            without_credentials("https://example.org/a@b"),
            "https://example.org/a@b"
        );
    }
}
