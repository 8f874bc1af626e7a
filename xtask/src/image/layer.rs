//! The image's one layer: its root file system staged in a work directory
//! (the binary, its shared libraries and loader, the site, CA certificates,
//! the accounts), then written as a reproducible tar and gzip.

use std::{
    fs::File,
    io::{Read, Seek, SeekFrom},
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::{bail, ensure, Context, Result};

use super::{layout::sha256_file, BINARY_PATH, CA_PATH, SITE_PATH};
use crate::{process, tools};

/// The accounts: root, and `USER_ID` as `bibind`.
const PASSWD: &str = "root:x:0:0:root:/root:/sbin/nologin\n\
                      bibind:x:65532:65532:bibind:/nonexistent:/sbin/nologin\n";
const GROUP: &str = "root:x:0:\nbibind:x:65532:\n";
/// glibc reads these without it too; written so nothing depends on its
/// built-in defaults.
const NSSWITCH: &str = "passwd: files\ngroup: files\nhosts: files dns\n";

/// The build machine's CA certificates, copied into the image.
pub(super) const CA_CERTIFICATES: tools::AptTool = tools::AptTool {
    binary: "/etc/ssl/certs/ca-certificates.crt",
    package: "ca-certificates",
};

/// The layer `build` wrote, before it moves into the layout.
pub(super) struct Layer {
    /// The gzip, in the work directory.
    pub(super) gzip: PathBuf,
    /// The gzip's digest and size: the layer as stored.
    pub(super) digest: String,
    pub(super) size: u64,
    /// The tar's digest (the config's diff_id) and size.
    pub(super) diff_id: String,
    pub(super) uncompressed_size: u64,
}

/// Stages the root file system of `binary` and `site` in `work`, then
/// writes it as a tar and as its gzip, every time stamp `epoch`.
pub(super) fn build(binary: &Path, site: &Path, work: &Path, epoch: u64) -> Result<Layer> {
    let rootfs = work.join("rootfs");
    stage(binary, site, &rootfs)?;

    let layer_tar = work.join("layer.tar");
    tar(&rootfs, &layer_tar, epoch)?;
    let (diff_id, uncompressed_size) = sha256_file(&layer_tar)?;
    let gzip = work.join("layer.tar.gz");
    let compressed = File::create(&gzip).with_context(|| format!("cannot create {}", gzip.display()))?;
    process::run(
        Command::new("gzip")
            .args(["-n", "-c"])
            .arg(&layer_tar)
            .stdout(compressed),
    )?;
    let (digest, size) = sha256_file(&gzip)?;
    Ok(Layer {
        gzip,
        digest,
        size,
        diff_id,
        uncompressed_size,
    })
}

/// The image's root file system, under `rootfs`.
fn stage(binary: &Path, site: &Path, rootfs: &Path) -> Result<()> {
    copy_file(binary, &rootfs.join(BINARY_PATH), 0o755)?;
    let loader = interpreter(binary)?;
    for library in shared_libraries(binary, loader.as_deref())? {
        let inside = library
            .strip_prefix("/")
            .with_context(|| format!("ldd gave a relative path, {}", library.display()))?;
        let mode = if Some(library.as_path()) == loader.as_deref() {
            0o755
        } else {
            0o644
        };
        copy_file(&library, &rootfs.join(inside), mode)?;
    }
    copy_tree(site, &rootfs.join(SITE_PATH))?;
    copy_file(Path::new(CA_CERTIFICATES.binary), &rootfs.join(CA_PATH), 0o644)?;
    for (path, text) in [
        ("etc/passwd", PASSWD),
        ("etc/group", GROUP),
        ("etc/nsswitch.conf", NSSWITCH),
    ] {
        write_file(&rootfs.join(path), text.as_bytes(), 0o644)?;
    }
    let tmp = rootfs.join("tmp");
    std::fs::create_dir_all(&tmp)?;
    for dir in walk(rootfs)?.into_iter().filter(|path| path.is_dir()) {
        set_mode(&dir, 0o755)?;
    }
    set_mode(rootfs, 0o755)?;
    set_mode(&tmp, 0o1777)
}

/// The program interpreter (dynamic loader) an ELF binary names; none when
/// it is static.
pub(super) fn interpreter(binary: &Path) -> Result<Option<PathBuf>> {
    let mut file = File::open(binary).with_context(|| format!("cannot open {}", binary.display()))?;
    let mut header = [0u8; 64];
    file.read_exact(&mut header)
        .with_context(|| format!("{} is not an ELF file", binary.display()))?;
    // 64-bit (class 2), little-endian (data 1): the architectures `platform` names.
    ensure!(
        header[..4] == *b"\x7fELF" && header[4] == 2 && header[5] == 1,
        "{} is not a 64-bit little-endian ELF file",
        binary.display()
    );
    let program_headers = u64::from_le_bytes(header[32..40].try_into()?);
    let entry_size = u16::from_le_bytes(header[54..56].try_into()?);
    let entries = u16::from_le_bytes(header[56..58].try_into()?);
    for entry in 0..entries {
        file.seek(SeekFrom::Start(
            program_headers + u64::from(entry) * u64::from(entry_size),
        ))?;
        let mut program_header = [0u8; 56];
        file.read_exact(&mut program_header)?;
        // PT_INTERP
        if u32::from_le_bytes(program_header[..4].try_into()?) == 3 {
            let offset = u64::from_le_bytes(program_header[8..16].try_into()?);
            let size = u64::from_le_bytes(program_header[32..40].try_into()?);
            file.seek(SeekFrom::Start(offset))?;
            let mut name = Vec::new();
            file.take(size).read_to_end(&mut name)?;
            let name = String::from_utf8(name)?;
            return Ok(Some(PathBuf::from(name.trim_end_matches('\0'))));
        }
    }
    Ok(None)
}

/// The shared libraries `binary` loads on this machine and its loader, as
/// `ldd` finds them; none when it is static.
pub(super) fn shared_libraries(binary: &Path, loader: Option<&Path>) -> Result<Vec<PathBuf>> {
    let Some(loader) = loader else {
        return Ok(Vec::new());
    };
    let listing = process::output(Command::new("ldd").arg(binary))?;
    let libraries = loaded_objects(&listing)?;
    ensure!(
        libraries.iter().any(|library| library == loader),
        "ldd does not list {}'s loader {}:\n{listing}",
        binary.display(),
        loader.display()
    );
    Ok(libraries)
}

/// The paths in `ldd` (or `ld.so --list`) output; the vDSO has none.
pub(super) fn loaded_objects(listing: &str) -> Result<Vec<PathBuf>> {
    let mut paths = Vec::new();
    for line in listing.lines().map(str::trim).filter(|line| !line.is_empty()) {
        let object = match line.split_once("=>") {
            Some((name, found)) => {
                let found = found.trim();
                if found.starts_with("not found") {
                    bail!("{} is not found:\n{listing}", name.trim());
                }
                found
            }
            None => line,
        };
        let path = object.split(" (0x").next().unwrap_or(object).trim();
        if path.starts_with('/') {
            paths.push(PathBuf::from(path));
        }
    }
    paths.sort();
    paths.dedup();
    Ok(paths)
}

/// The image's layer: `rootfs` as a tar that depends only on its contents.
fn tar(rootfs: &Path, tar: &Path, epoch: u64) -> Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(rootfs)?
        .map(|entry| entry.map(|entry| entry.file_name()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    process::run(
        Command::new("tar")
            .arg("--create")
            .arg("--file")
            .arg(tar)
            .arg("--directory")
            .arg(rootfs)
            .args([
                "--sort=name",
                &format!("--mtime=@{epoch}"),
                "--owner=0",
                "--group=0",
                "--numeric-owner",
                "--format=posix",
                "--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime",
                "--no-acls",
                "--no-selinux",
                "--no-xattrs",
                "--",
            ])
            .args(entries),
    )
}

pub(super) fn set_mode(path: &Path, mode: u32) -> Result<()> {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("cannot set the mode of {}", path.display()))
}

fn copy_file(from: &Path, to: &Path, mode: u32) -> Result<()> {
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::copy(from, to).with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))?;
    set_mode(to, mode)
}

fn write_file(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
    set_mode(path, mode)
}

/// `from`'s files (symbolic links followed) under `to`, each 0644.
fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from).with_context(|| format!("cannot read {}", from.display()))? {
        let entry = entry?;
        let (source, target) = (entry.path(), to.join(entry.file_name()));
        if source.is_dir() {
            copy_tree(&source, &target)?;
        } else {
            copy_file(&source, &target, 0o644)?;
        }
    }
    Ok(())
}

/// Everything under `dir`, symbolic links not followed.
pub(super) fn walk(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let path = entry?.path();
        if path.symlink_metadata()?.is_dir() {
            found.extend(walk(&path)?);
        }
        found.push(path);
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ldd_output_is_read_and_a_missing_library_refused() {
        let listing = "\tlinux-vdso.so.1 (0x00007ffd)\n\
                       \tlibgcc_s.so.1 => /lib/x86_64-linux-gnu/libgcc_s.so.1 (0x00007f01)\n\
                       \tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f02)\n\
                       \t/lib64/ld-linux-x86-64.so.2 (0x00007f03)\n";
        assert_eq!(
            loaded_objects(listing).unwrap(),
            [
                "/lib/x86_64-linux-gnu/libc.so.6",
                "/lib/x86_64-linux-gnu/libgcc_s.so.1",
                "/lib64/ld-linux-x86-64.so.2",
            ]
            .map(PathBuf::from)
        );
        assert!(loaded_objects("\tlibssl.so.3 => not found\n").is_err());
    }
}
