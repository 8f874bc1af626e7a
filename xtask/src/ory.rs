//! Ory Kratos and Hydra: built from their Go modules (pinned in `xtask/go/`,
//! with the replace directives their own go.mod files need), cached by
//! version, configured from `deploy/ory/` and started on loopback, each on its
//! own PostgreSQL database.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::{bail, Context, Result};

use crate::{paths, process, tools};

/// One Ory server: how to build it and how it is called.
pub struct OryServer {
    pub name: &'static str,
    pub version: &'static str,
    /// The Go package of its main function.
    package: &'static str,
}

pub const KRATOS: OryServer = OryServer {
    name: "kratos",
    version: "v1.3.1",
    package: "github.com/ory/kratos",
};

pub const HYDRA: OryServer = OryServer {
    name: "hydra",
    version: "v2.3.0",
    package: "github.com/ory/hydra/v2",
};

impl OryServer {
    /// The cached binary, built on first use.
    pub fn ensure_built(&self) -> Result<PathBuf> {
        let module = paths::workspace_root().join("xtask/go").join(self.name);
        let go_mod = std::fs::read_to_string(module.join("go.mod"))
            .with_context(|| format!("cannot read {}/go.mod", module.display()))?;
        if !go_mod.contains(&format!("{} {}", self.package, self.version)) {
            bail!(
                "{}/go.mod does not pin {} {}",
                module.display(),
                self.package,
                self.version
            );
        }
        let key = tools::short_hash(&go_mod);
        let dir = paths::cache_dir()?
            .join("tools")
            .join(format!("ory-{}-{}-{key}", self.name, self.version));
        let binary = dir.join(self.name);
        if binary.exists() {
            return Ok(binary);
        }
        tools::ensure_go()?;
        println!(
            "xtask: building Ory {} {} from its Go module (once; cached in {})",
            self.name,
            self.version,
            dir.display()
        );
        // Build in a copy, so the module's go.sum updates never dirty the repository.
        let build = dir.join("module");
        std::fs::create_dir_all(&build)?;
        for file in ["go.mod", "go.sum"] {
            std::fs::copy(module.join(file), build.join(file))?;
        }
        process::run(
            Command::new("go")
                .current_dir(&build)
                .args(["build", "-mod=mod", "-trimpath", "-ldflags=-s -w", "-o"])
                .arg(&binary)
                .arg(self.package)
                .env("CGO_ENABLED", "1"),
        )
        .with_context(|| format!("could not build Ory {} {}", self.name, self.version))?;
        Ok(binary)
    }
}

/// Rewrites a config file of `deploy/ory/` for this run: every default
/// address (`from`) is replaced by the one in use (`to`).
pub fn render_config(name: &str, replacements: &[(String, String)], out_dir: &Path) -> Result<PathBuf> {
    let source = paths::workspace_root().join("deploy/ory").join(name);
    let template =
        std::fs::read_to_string(&source).with_context(|| format!("cannot read {}", source.display()))?;
    let text = replace_once(&template, replacements);
    std::fs::create_dir_all(out_dir)?;
    let out = out_dir.join(name);
    std::fs::write(&out, text)?;
    Ok(out)
}

/// Replaces every `from` by its `to` in one pass over `template`, so that a
/// replacement is never replaced again (a free port 44333 put in place of
/// `:3000` must not then match `:4433`).
fn replace_once(template: &str, replacements: &[(String, String)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    'scan: while let Some(c) = rest.chars().next() {
        for (from, to) in replacements {
            if !from.is_empty() && rest.starts_with(from.as_str()) {
                out.push_str(to);
                rest = &rest[from.len()..];
                continue 'scan;
            }
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// Secrets for Kratos and Hydra: random, written once into the data
/// directory (git-ignored) so that cookies survive a restart in dev.
/// Names, in the secrets file, of the OpenID client secrets.
pub const PORTAL_CLIENT_SECRET: &str = "PORTAL_CLIENT_SECRET";
pub const RELYING_PARTY_CLIENT_SECRET: &str = "RELYING_PARTY_CLIENT_SECRET";

/// One secret of [`secrets`]' list (empty if absent, which it never is).
pub fn secret(secrets: &[(String, String)], name: &str) -> String {
    secrets
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.clone())
        .unwrap_or_default()
}

/// The secrets of a data directory, generated on first use (and any new
/// one added to an older file); never in the repository.
pub fn secrets(data_dir: &Path) -> Result<Vec<(String, String)>> {
    let file = data_dir.join("ory-secrets.env");
    let existing = std::fs::read_to_string(&file).unwrap_or_default();
    let mut secrets: Vec<(String, String)> = existing
        .lines()
        .filter_map(|line| line.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let mut added = false;
    for name in [
        "SECRETS_DEFAULT",
        "SECRETS_COOKIE",
        "SECRETS_CIPHER",
        "SECRETS_SYSTEM",
        PORTAL_CLIENT_SECRET,
        RELYING_PARTY_CLIENT_SECRET,
    ] {
        if !secrets.iter().any(|(k, _)| k == name) {
            secrets.push((name.to_owned(), random_alphanumeric(32)?));
            added = true;
        }
    }
    if added {
        std::fs::create_dir_all(data_dir)?;
        let lines: String = secrets.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
        std::fs::write(&file, lines)?;
    }
    Ok(secrets)
}

pub fn random_alphanumeric(length: usize) -> Result<String> {
    use std::io::Read;
    let mut buffer = vec![0u8; length];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut buffer)?;
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    Ok(buffer
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::replace_once;

    #[test]
    fn a_replacement_is_not_replaced_again() {
        let rules = [
            (":3000".to_owned(), ":44333".to_owned()),
            (":4433".to_owned(), ":41593".to_owned()),
        ];
        assert_eq!(replace_once("a:3000 b:4433 c", &rules), "a:44333 b:41593 c");
    }
}
