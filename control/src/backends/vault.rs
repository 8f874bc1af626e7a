//! Tenants' secrets in Vault (OpenBao in development), through `vaultrs`.
//!
//! Each tenant has its secrets under `secret/tenants/<slug>/` (KV v2), a
//! policy `tenant-<slug>` that may read and list only them, and an AppRole
//! `tenant-<slug>` bound to that policy, through which the tenant's
//! workloads log in. Generated secrets are written once and never rotated
//! by a re-run.
//!
//! Ownership: every secret Bibind writes carries `custom_metadata` naming
//! Bibind and its subscription (KV v2 metadata, written before the first
//! version). A secret at the wanted path without that mark for this
//! subscription is never overwritten or deleted: the step is refused
//! ("exists and is not ours"). Policies and AppRoles have no metadata to
//! carry a mark; they are Bibind's by name (`tenant-<instance>`, in the
//! AppRole mount Bibind enables) and rewritten to Bibind's rules.

use std::{collections::BTreeMap, time::Duration};

use serde_json::Value;
use vaultrs::{
    api::{auth::approle::requests::SetAppRoleRequestBuilder, kv2::requests::SetSecretRequestOptions},
    auth::approle,
    client::{VaultClient as RawClient, VaultClientSettingsBuilder},
    error::ClientError,
    kv2, sys,
};

use super::BackendError;

const BACKEND: &str = "vault";
/// The KV v2 engine holding tenants' secrets.
const KV_MOUNT: &str = "secret";
const APPROLE_MOUNT: &str = "approle";
/// Bytes of randomness in a generated secret value (hex-encoded: URL-safe).
const GENERATED_BYTES: usize = 32;
/// Concurrent writers of one secret: how often a lost check-and-set is retried.
const WRITE_ATTEMPTS: usize = 3;
/// Organizations' own keys (the backups'), beside the tenants' secrets.
const ORGANIZATIONS_ROOT: &str = "organizations";
/// The platform's own keys (its database backups').
const PLATFORM_ROOT: &str = "platform";
/// The KV key an organization's or the platform's key is kept under.
const ORGANIZATION_KEY: &str = "key";
/// `custom_metadata` keys of Bibind's ownership mark on a secret.
pub const MANAGED_BY_KEY: &str = "managed_by";
pub const MANAGER: &str = "bibind";
pub const SUBSCRIPTION_KEY: &str = "bibind_subscription_id";

/// What a tenant's workloads log in with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantVault {
    pub policy: String,
    pub role_id: String,
}

/// A tenant's Vault setup as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedTenantVault {
    /// The policy exists with exactly the tenant's rules.
    pub policy_matches: bool,
    /// The AppRole exists, bound to the tenant's policy.
    pub role: bool,
    /// Names of the secrets under the tenant's prefix.
    pub secrets: Vec<String>,
}

#[async_trait::async_trait]
pub trait SecretStore: Send + Sync {
    /// The tenant's policy and AppRole (the AppRole auth method is enabled
    /// if missing); a drifted policy or role is rewritten.
    async fn ensure_tenant(&self, slug: &str) -> Result<TenantVault, BackendError>;
    /// The secret `name` with at least `keys`: existing values are kept,
    /// missing keys get a random value. Returns every key of the secret.
    /// A secret of that name not marked as `subscription`'s is refused.
    async fn ensure_generated_secret(
        &self,
        slug: &str,
        subscription: uuid::Uuid,
        name: &str,
        keys: &[&str],
    ) -> Result<BTreeMap<String, String>, BackendError>;
    /// Writes the secret `name` (a new version with exactly `data`).
    /// A secret of that name not marked as `subscription`'s is refused.
    async fn put_secret(
        &self,
        slug: &str,
        subscription: uuid::Uuid,
        name: &str,
        data: &BTreeMap<String, String>,
    ) -> Result<(), BackendError>;
    async fn read_secret(
        &self,
        slug: &str,
        name: &str,
    ) -> Result<Option<BTreeMap<String, String>>, BackendError>;
    /// Every version of the secret `name`; an absent one counts as removed.
    /// A secret of that name not marked as `subscription`'s is refused.
    async fn remove_secret(
        &self,
        slug: &str,
        subscription: uuid::Uuid,
        name: &str,
    ) -> Result<(), BackendError>;
    /// Every version of every secret of the tenant, its AppRole, its policy.
    /// When a secret under the tenant's prefix is not `subscription`'s,
    /// nothing is removed and the call is refused.
    async fn remove_tenant(&self, slug: &str, subscription: uuid::Uuid) -> Result<(), BackendError>;
    /// The organization's key `name` (64 hex digits: 256 random bits),
    /// generated once and never rotated; kept outside every tenant's
    /// prefix, so no tenant workload can read it.
    async fn ensure_organization_key(
        &self,
        organization: uuid::Uuid,
        name: &str,
    ) -> Result<String, BackendError>;
    /// The platform's key `name` (as above), outside every organization's.
    async fn ensure_platform_key(&self, name: &str) -> Result<String, BackendError>;
    /// Writes the organization's secret `name` (beside its keys: what a
    /// backup needs to be restored elsewhere, as its Odoo's admin password).
    async fn put_organization_secret(
        &self,
        organization: uuid::Uuid,
        name: &str,
        data: &BTreeMap<String, String>,
    ) -> Result<(), BackendError>;
    async fn read_organization_secret(
        &self,
        organization: uuid::Uuid,
        name: &str,
    ) -> Result<Option<BTreeMap<String, String>>, BackendError>;
    /// Every version of it; an absent one counts as removed.
    async fn remove_organization_secret(
        &self,
        organization: uuid::Uuid,
        name: &str,
    ) -> Result<(), BackendError>;
    async fn observe(&self, slug: &str) -> Result<ObservedTenantVault, BackendError>;
}

/// [`SecretStore`] on Vault's HTTP API.
pub struct VaultClient {
    client: RawClient,
}

impl std::fmt::Debug for VaultClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VaultClient")
            .field("address", &self.client.settings.address.as_str())
            .finish_non_exhaustive()
    }
}

/// The policy and AppRole of a subscription: its instance name
/// (`tenant-<slug>-<offer>`, already prefixed).
pub fn policy_name(instance: &str) -> String {
    instance.to_owned()
}

/// The policy's rules: read and list the tenant's own secrets, nothing else.
pub fn policy_rules(slug: &str) -> String {
    format!(
        "# Managed by Bibind: tenant {slug} reads its own secrets.\n\
         path \"{KV_MOUNT}/data/tenants/{slug}/*\" {{\n  capabilities = [\"read\", \"list\"]\n}}\n\
         path \"{KV_MOUNT}/metadata/tenants/{slug}/*\" {{\n  capabilities = [\"read\", \"list\"]\n}}\n"
    )
}

/// Slugs and secret names become path segments and policy globs: only
/// `[a-z0-9_-]`, so that nothing can reach another tenant's path.
fn checked_segment<'a>(what: &str, value: &'a str) -> Result<&'a str, BackendError> {
    let valid = !value.is_empty()
        && value.len() <= 128
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if valid {
        Ok(value)
    } else {
        Err(BackendError::refused(
            BACKEND,
            format!("invalid {what} `{value}`"),
        ))
    }
}

/// An organization's own secret or key: `organizations/<id>/<name>`.
fn organization_path(organization: uuid::Uuid, name: &str) -> Result<String, BackendError> {
    Ok(format!(
        "{ORGANIZATIONS_ROOT}/{organization}/{}",
        checked_segment("secret name", name)?
    ))
}

fn secret_path(slug: &str, name: &str) -> Result<String, BackendError> {
    Ok(format!(
        "tenants/{}/{}",
        checked_segment("tenant slug", slug)?,
        checked_segment("secret name", name)?
    ))
}

fn classify(error: ClientError) -> BackendError {
    match error {
        ClientError::APIError { code, errors } => {
            let status =
                reqwest::StatusCode::from_u16(code).unwrap_or(reqwest::StatusCode::INTERNAL_SERVER_ERROR);
            BackendError::from_status(BACKEND, status, &errors.join("; "))
        }
        ClientError::RestClientError { source } => match source {
            rustify::errors::ClientError::ServerResponseError { code, .. } => {
                let status =
                    reqwest::StatusCode::from_u16(code).unwrap_or(reqwest::StatusCode::INTERNAL_SERVER_ERROR);
                BackendError::from_status(BACKEND, status, "")
            }
            rustify::errors::ClientError::RequestError { source, .. }
            | rustify::errors::ClientError::ResponseError { source } => {
                BackendError::transient(BACKEND, format!("{source:#}"))
            }
            other => BackendError::refused(BACKEND, other.to_string()),
        },
        other => BackendError::refused(BACKEND, other.to_string()),
    }
}

fn status_of(error: &ClientError) -> Option<u16> {
    match error {
        ClientError::APIError { code, .. } => Some(*code),
        ClientError::RestClientError {
            source: rustify::errors::ClientError::ServerResponseError { code, .. },
        } => Some(*code),
        _ => None,
    }
}

fn is_not_found(error: &ClientError) -> bool {
    status_of(error) == Some(404)
}

/// `Ok(None)` for a 404.
fn found<T>(result: Result<T, ClientError>) -> Result<Option<T>, BackendError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(error) if is_not_found(&error) => Ok(None),
        Err(error) => Err(classify(error)),
    }
}

/// Success, or a 404 (already gone).
fn gone(result: Result<(), ClientError>) -> Result<(), BackendError> {
    found(result).map(|_| ())
}

fn not_ours(path: &str) -> BackendError {
    BackendError::not_ours(BACKEND, format!("secret {KV_MOUNT}/{path}"))
}

fn is_check_and_set_conflict(error: &ClientError) -> bool {
    matches!(error, ClientError::APIError { code: 400, errors } if errors.iter().any(|e| e.contains("check-and-set")))
}

fn generated_value() -> Result<String, BackendError> {
    let mut bytes = [0u8; GENERATED_BYTES];
    getrandom::getrandom(&mut bytes)
        .map_err(|e| BackendError::refused(BACKEND, format!("no randomness for a generated secret: {e}")))?;
    Ok(hex::encode(bytes))
}

/// KV values are strings when Bibind writes them; anything else is kept as
/// its JSON text.
fn as_strings(data: BTreeMap<String, Value>) -> BTreeMap<String, String> {
    data.into_iter()
        .map(|(key, value)| match value {
            Value::String(text) => (key, text),
            other => (key, other.to_string()),
        })
        .collect()
}

impl VaultClient {
    /// A client authenticated with `token`; each call must end within `timeout`.
    pub fn new(addr: &str, token: &str, timeout: Duration) -> Result<Self, BackendError> {
        let settings = VaultClientSettingsBuilder::default()
            .address(addr)
            .token(token)
            .timeout(Some(timeout))
            .build()
            .map_err(|e| BackendError::refused(BACKEND, format!("invalid Vault settings: {e}")))?;
        let client = RawClient::new(settings).map_err(classify)?;
        Ok(Self { client })
    }

    /// Logs in through AppRole (as a tenant's workload would); returns the token.
    pub async fn approle_login(&self, role_id: &str, secret_id: &str) -> Result<String, BackendError> {
        approle::login(&self.client, APPROLE_MOUNT, role_id, secret_id)
            .await
            .map(|auth| auth.client_token)
            .map_err(classify)
    }

    /// A new secret id for the tenant's AppRole (handed to its workloads).
    pub async fn new_secret_id(&self, slug: &str) -> Result<String, BackendError> {
        let role = policy_name(checked_segment("tenant slug", slug)?);
        approle::role::secret::generate(&self.client, APPROLE_MOUNT, &role, None)
            .await
            .map(|generated| generated.secret_id)
            .map_err(classify)
    }

    async fn ensure_approle_mount(&self) -> Result<(), BackendError> {
        let mounts = sys::auth::list(&self.client).await.map_err(classify)?;
        if mounts.contains_key(&format!("{APPROLE_MOUNT}/")) {
            return Ok(());
        }
        match sys::auth::enable(&self.client, APPROLE_MOUNT, "approle", None).await {
            Ok(()) => Ok(()),
            // Enabled concurrently.
            Err(ClientError::APIError { code: 400, errors })
                if errors.iter().any(|e| e.contains("already in use")) =>
            {
                Ok(())
            }
            Err(error) => Err(classify(error)),
        }
    }

    async fn policy_matches(&self, slug: &str) -> Result<bool, BackendError> {
        let policy = found(sys::policy::read(&self.client, &policy_name(slug)).await)?;
        Ok(policy.is_some_and(|policy| policy.rules.trim() == policy_rules(slug).trim()))
    }

    async fn role_matches(&self, slug: &str) -> Result<bool, BackendError> {
        let role = found(approle::role::read(&self.client, APPROLE_MOUNT, &policy_name(slug)).await)?;
        Ok(role.is_some_and(|role| role.token_policies == [policy_name(slug)]))
    }

    /// The latest version of a secret with its version number (0: none).
    async fn read_versioned(&self, path: &str) -> Result<(u32, BTreeMap<String, String>), BackendError> {
        let Some(metadata) = found(kv2::read_metadata(&self.client, KV_MOUNT, path).await)? else {
            return Ok((0, BTreeMap::new()));
        };
        let version = u32::try_from(metadata.current_version)
            .map_err(|_| BackendError::refused(BACKEND, "secret version out of range"))?;
        let data = found(
            kv2::read_version::<BTreeMap<String, Value>>(
                &self.client,
                KV_MOUNT,
                path,
                metadata.current_version,
            )
            .await,
        )?
        // The latest version was deleted (not destroyed): start from nothing.
        .unwrap_or_default();
        Ok((version, as_strings(data)))
    }

    /// The secret at `path` with at least `keys`: existing values kept,
    /// missing keys given a random value (check-and-set: concurrent
    /// writers agree on one value). Every key of the secret.
    async fn generate_missing(
        &self,
        path: &str,
        keys: &[&str],
    ) -> Result<BTreeMap<String, String>, BackendError> {
        for _ in 0..WRITE_ATTEMPTS {
            let (version, mut data) = self.read_versioned(path).await?;
            let missing: Vec<&str> = keys
                .iter()
                .copied()
                .filter(|key| !data.contains_key(*key))
                .collect();
            if missing.is_empty() && version > 0 {
                return Ok(data);
            }
            for key in missing {
                data.insert(key.to_owned(), generated_value()?);
            }
            // Check-and-set: a concurrent run that wrote first wins, and
            // this one adopts its values on the next pass.
            let options = SetSecretRequestOptions { cas: version };
            match kv2::set_with_options(&self.client, KV_MOUNT, path, &data, options).await {
                Ok(_) => return Ok(data),
                Err(error) if is_check_and_set_conflict(&error) => continue,
                Err(error) => return Err(classify(error)),
            }
        }
        Err(BackendError::transient(
            BACKEND,
            format!("{path} kept changing while being generated"),
        ))
    }

    /// The key at `path`: 256 random bits (hex), generated once.
    async fn ensure_key(&self, path: &str) -> Result<String, BackendError> {
        let mut data = self.generate_missing(path, &[ORGANIZATION_KEY]).await?;
        data.remove(ORGANIZATION_KEY)
            .ok_or_else(|| BackendError::refused(BACKEND, format!("{path} holds no key")))
    }

    /// Whether the secret at `path` is missing (`None`), or carries
    /// Bibind's mark for `subscription`.
    async fn marked(&self, path: &str, subscription: uuid::Uuid) -> Result<Option<bool>, BackendError> {
        let metadata = found(kv2::read_metadata(&self.client, KV_MOUNT, path).await)?;
        Ok(metadata.map(|metadata| {
            let custom = metadata.custom_metadata.unwrap_or_default();
            custom.get(MANAGED_BY_KEY).map(String::as_str) == Some(MANAGER)
                && custom.get(SUBSCRIPTION_KEY) == Some(&subscription.to_string())
        }))
    }

    /// Refuses a secret at `path` that is not `subscription`'s; marks a new
    /// one before its first version, so that a write cut short leaves a
    /// marked path and the next run goes on.
    async fn claim(&self, path: &str, subscription: uuid::Uuid) -> Result<(), BackendError> {
        match self.marked(path, subscription).await? {
            Some(true) => Ok(()),
            Some(false) => Err(not_ours(path)),
            None => {
                let mark = std::collections::HashMap::from([
                    (MANAGED_BY_KEY.to_owned(), MANAGER.to_owned()),
                    (SUBSCRIPTION_KEY.to_owned(), subscription.to_string()),
                ]);
                let mut options = vaultrs::api::kv2::requests::SetSecretMetadataRequestBuilder::default();
                options.custom_metadata(mark);
                kv2::set_metadata(&self.client, KV_MOUNT, path, Some(&mut options))
                    .await
                    .map_err(classify)
            }
        }
    }

    /// Names of the secrets under `tenants/<slug>/`, nested ones as `a/b`.
    async fn secret_names(&self, slug: &str) -> Result<Vec<String>, BackendError> {
        let root = format!("tenants/{slug}/");
        let mut names = Vec::new();
        let mut folders = vec![String::new()];
        while let Some(folder) = folders.pop() {
            let keys = found(kv2::list(&self.client, KV_MOUNT, &format!("{root}{folder}")).await)?
                .unwrap_or_default();
            for key in keys {
                if key.ends_with('/') {
                    folders.push(format!("{folder}{key}"));
                } else {
                    names.push(format!("{folder}{key}"));
                }
            }
        }
        names.sort();
        Ok(names)
    }
}

#[async_trait::async_trait]
impl SecretStore for VaultClient {
    async fn ensure_tenant(&self, slug: &str) -> Result<TenantVault, BackendError> {
        let slug = checked_segment("tenant slug", slug)?;
        let policy = policy_name(slug);
        self.ensure_approle_mount().await?;
        if !self.policy_matches(slug).await? {
            sys::policy::set(&self.client, &policy, &policy_rules(slug))
                .await
                .map_err(classify)?;
        }
        if !self.role_matches(slug).await? {
            let mut options = SetAppRoleRequestBuilder::default();
            options
                .token_policies(vec![policy.clone()])
                .token_ttl("1h")
                .token_max_ttl("24h");
            approle::role::set(&self.client, APPROLE_MOUNT, &policy, Some(&mut options))
                .await
                .map_err(classify)?;
        }
        let role_id = approle::role::read_id(&self.client, APPROLE_MOUNT, &policy)
            .await
            .map_err(classify)?
            .role_id;
        Ok(TenantVault { policy, role_id })
    }

    async fn ensure_generated_secret(
        &self,
        slug: &str,
        subscription: uuid::Uuid,
        name: &str,
        keys: &[&str],
    ) -> Result<BTreeMap<String, String>, BackendError> {
        let path = secret_path(slug, name)?;
        self.claim(&path, subscription).await?;
        self.generate_missing(&path, keys).await
    }

    async fn ensure_organization_key(
        &self,
        organization: uuid::Uuid,
        name: &str,
    ) -> Result<String, BackendError> {
        let path = organization_path(organization, name)?;
        self.ensure_key(&path).await
    }

    async fn ensure_platform_key(&self, name: &str) -> Result<String, BackendError> {
        let path = format!("{PLATFORM_ROOT}/{}", checked_segment("key name", name)?);
        self.ensure_key(&path).await
    }

    async fn put_organization_secret(
        &self,
        organization: uuid::Uuid,
        name: &str,
        data: &BTreeMap<String, String>,
    ) -> Result<(), BackendError> {
        let path = organization_path(organization, name)?;
        kv2::set(&self.client, KV_MOUNT, &path, data)
            .await
            .map(|_| ())
            .map_err(classify)
    }

    async fn read_organization_secret(
        &self,
        organization: uuid::Uuid,
        name: &str,
    ) -> Result<Option<BTreeMap<String, String>>, BackendError> {
        let path = organization_path(organization, name)?;
        Ok(found(kv2::read::<BTreeMap<String, Value>>(&self.client, KV_MOUNT, &path).await)?.map(as_strings))
    }

    async fn remove_organization_secret(
        &self,
        organization: uuid::Uuid,
        name: &str,
    ) -> Result<(), BackendError> {
        let path = organization_path(organization, name)?;
        gone(kv2::delete_metadata(&self.client, KV_MOUNT, &path).await)
    }

    async fn put_secret(
        &self,
        slug: &str,
        subscription: uuid::Uuid,
        name: &str,
        data: &BTreeMap<String, String>,
    ) -> Result<(), BackendError> {
        let path = secret_path(slug, name)?;
        self.claim(&path, subscription).await?;
        kv2::set(&self.client, KV_MOUNT, &path, data)
            .await
            .map(|_| ())
            .map_err(classify)
    }

    async fn read_secret(
        &self,
        slug: &str,
        name: &str,
    ) -> Result<Option<BTreeMap<String, String>>, BackendError> {
        let path = secret_path(slug, name)?;
        Ok(found(kv2::read::<BTreeMap<String, Value>>(&self.client, KV_MOUNT, &path).await)?.map(as_strings))
    }

    async fn remove_secret(
        &self,
        slug: &str,
        subscription: uuid::Uuid,
        name: &str,
    ) -> Result<(), BackendError> {
        let path = secret_path(slug, name)?;
        if self.marked(&path, subscription).await? == Some(false) {
            return Err(not_ours(&path));
        }
        gone(kv2::delete_metadata(&self.client, KV_MOUNT, &path).await)
    }

    async fn remove_tenant(&self, slug: &str, subscription: uuid::Uuid) -> Result<(), BackendError> {
        let slug = checked_segment("tenant slug", slug)?;
        let paths: Vec<String> = self
            .secret_names(slug)
            .await?
            .into_iter()
            .map(|name| format!("tenants/{slug}/{name}"))
            .collect();
        // Every secret is checked before any goes: all or nothing.
        for path in &paths {
            if self.marked(path, subscription).await? == Some(false) {
                return Err(not_ours(path));
            }
        }
        for path in &paths {
            gone(kv2::delete_metadata(&self.client, KV_MOUNT, path).await)?;
        }
        gone(approle::role::delete(&self.client, APPROLE_MOUNT, &policy_name(slug)).await)?;
        gone(sys::policy::delete(&self.client, &policy_name(slug)).await)
    }

    async fn observe(&self, slug: &str) -> Result<ObservedTenantVault, BackendError> {
        let slug = checked_segment("tenant slug", slug)?;
        Ok(ObservedTenantVault {
            policy_matches: self.policy_matches(slug).await?,
            role: self.role_matches(slug).await?,
            secrets: self.secret_names(slug).await?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_segments_make_paths() {
        assert_eq!(
            secret_path("acme", "odoo_db").ok().as_deref(),
            Some("tenants/acme/odoo_db")
        );
        for (slug, name) in [
            ("acme", "../other"),
            ("acme/x", "db"),
            ("", "db"),
            ("acme", "a*"),
            ("Acme", "db"),
        ] {
            assert!(secret_path(slug, name).is_err(), "{slug}/{name}");
        }
    }

    #[test]
    fn the_policy_names_only_the_tenants_paths() {
        let rules = policy_rules("acme");
        assert!(rules.contains("path \"secret/data/tenants/acme/*\""));
        assert!(rules.contains("path \"secret/metadata/tenants/acme/*\""));
        assert!(!rules.contains("create") && !rules.contains("update"));
    }

    #[test]
    fn generated_values_are_long_url_safe_and_distinct() {
        let (first, second) = (generated_value(), generated_value());
        let (Ok(first), Ok(second)) = (first, second) else {
            panic!("no randomness");
        };
        assert_eq!(first.len(), 64);
        assert!(first.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(first, second);
    }
}
