//! Where the command line keeps what it remembers, in the XDG config
//! directory (`$XDG_CONFIG_HOME/bibind`, else `~/.config/bibind`):
//! `config.toml` names each profile's portal; `credentials.toml` holds its
//! tokens, readable by its owner only (mode 0600, replaced atomically).

use std::{
    collections::BTreeMap,
    fs,
    io::Write,
    os::unix::fs::{OpenOptionsExt, PermissionsExt},
    path::{Path, PathBuf},
};

use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::Failure;

/// The profile used when none is named.
pub const DEFAULT_PROFILE: &str = "default";

/// The directory the command line keeps its files in.
pub fn directory() -> Result<PathBuf, Failure> {
    if let Some(dir) = std::env::var_os("XDG_CONFIG_HOME").filter(|dir| !dir.is_empty()) {
        return Ok(PathBuf::from(dir).join("bibind"));
    }
    std::env::var_os("HOME")
        .filter(|home| !home.is_empty())
        .map(|home| PathBuf::from(home).join(".config").join("bibind"))
        .ok_or_else(|| Failure::Usage("neither XDG_CONFIG_HOME nor HOME is set".to_owned()))
}

/// `config.toml`: each profile's portal.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Settings {
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Profile {
    /// The portal's address (`https://portal.bibind.fr`).
    pub portal: String,
}

/// `credentials.toml`: each profile's tokens.
#[derive(Default, Serialize, Deserialize)]
pub struct Credentials {
    #[serde(default)]
    pub profiles: BTreeMap<String, Tokens>,
}

/// A profile's tokens and how to renew them.
#[derive(Clone, Serialize, Deserialize)]
pub struct Tokens {
    pub access_token: String,
    /// A person's (from `bibind login`); renews the access token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// Unix seconds.
    pub expires_at: i64,
    pub token_url: String,
    pub client_id: String,
    /// An API client's (client credentials): asks for a new token when it runs out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// The scopes asked for.
    #[serde(default)]
    pub scope: String,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("client_id", &self.client_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

fn read<T: DeserializeOwned + Default>(path: &Path) -> Result<T, Failure> {
    match fs::read_to_string(path) {
        Ok(text) => {
            toml::from_str(&text).map_err(|error| Failure::Usage(format!("{}: {error}", path.display())))
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(T::default()),
        Err(error) => Err(Failure::Io(format!("{}: {error}", path.display()))),
    }
}

/// Writes `value` to `path` through a temporary file (mode `mode`), so that
/// a reader never sees half of it.
fn write<T: Serialize>(path: &Path, value: &T, mode: u32) -> Result<(), Failure> {
    let io = |error: std::io::Error| Failure::Io(format!("{}: {error}", path.display()));
    let dir = path
        .parent()
        .ok_or_else(|| Failure::Io(path.display().to_string()))?;
    fs::create_dir_all(dir).map_err(io)?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(io)?;
    let text = toml::to_string(value).map_err(|error| Failure::Io(error.to_string()))?;
    let temporary = path.with_extension("tmp");
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(&temporary)
        .map_err(io)?;
    // An older file may have been made with a wider mode.
    file.set_permissions(fs::Permissions::from_mode(mode))
        .map_err(io)?;
    file.write_all(text.as_bytes()).map_err(io)?;
    file.sync_all().map_err(io)?;
    fs::rename(&temporary, path).map_err(io)
}

/// The files of one directory.
pub struct Store {
    dir: PathBuf,
}

impl Store {
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    pub fn settings(&self) -> Result<Settings, Failure> {
        read(&self.dir.join("config.toml"))
    }

    pub fn save_settings(&self, settings: &Settings) -> Result<(), Failure> {
        write(&self.dir.join("config.toml"), settings, 0o644)
    }

    pub fn credentials(&self) -> Result<Credentials, Failure> {
        read(&self.dir.join("credentials.toml"))
    }

    pub fn save_credentials(&self, credentials: &Credentials) -> Result<(), Failure> {
        write(&self.dir.join("credentials.toml"), credentials, 0o600)
    }

    /// Keeps `tokens` as `profile`'s.
    pub fn keep_tokens(&self, profile: &str, tokens: Tokens) -> Result<(), Failure> {
        let mut credentials = self.credentials()?;
        credentials.profiles.insert(profile.to_owned(), tokens);
        self.save_credentials(&credentials)
    }

    /// Forgets `profile`'s tokens; whether it had any.
    pub fn forget_tokens(&self, profile: &str) -> Result<bool, Failure> {
        let mut credentials = self.credentials()?;
        let had = credentials.profiles.remove(profile).is_some();
        self.save_credentials(&credentials)?;
        Ok(had)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn credentials_are_readable_by_their_owner_only() {
        let dir = std::env::temp_dir().join(format!("bibind-cli-test-{}", std::process::id()));
        let store = Store::new(dir.clone());
        let tokens = Tokens {
            access_token: "a".into(),
            refresh_token: Some("r".into()),
            expires_at: 1,
            token_url: "http://hydra/oauth2/token".into(),
            client_id: "bibind-cli".into(),
            client_secret: None,
            scope: String::new(),
        };
        store.keep_tokens("default", tokens).unwrap();
        let mode = fs::metadata(dir.join("credentials.toml"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(store.credentials().unwrap().profiles["default"].access_token, "a");
        assert!(store.forget_tokens("default").unwrap());
        assert!(store.credentials().unwrap().profiles.is_empty());
        fs::remove_dir_all(dir).unwrap();
    }
}
