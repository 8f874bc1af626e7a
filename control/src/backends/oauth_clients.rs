//! The OAuth2 clients of tenants' applications (an Odoo instance signing in
//! through Hydra), managed with Hydra's admin API through the portal's own
//! [`Hydra`] client.
//!
//! Hydra has no "disabled" client. A suspended client carries
//! `metadata.bibind_suspended = true`, which the portal (Hydra's login and
//! consent provider) reads to refuse its login and consent challenges with
//! `access_denied`; suspending also revokes the tokens already issued to it,
//! so that neither a new sign-in nor a refresh token gets it a token.
//!
//! Tenant clients are not first-party: no `skip_consent`, no refresh tokens,
//! and their metadata names their organization and subscription, from which
//! the portal refuses the sign-in of anyone who is not a member.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{json, Value};

use super::BackendError;
use crate::identity::{encode_query_value, ClientRegistration, Hydra, SUSPENDED_METADATA_KEY};

/// The metadata keys Bibind decides (the suspension flag is managed apart).
const OWNER_METADATA_KEYS: [&str; 2] = ["bibind_organization_id", "bibind_subscription_id"];

const BACKEND: &str = "hydra";

/// What Bibind decides about a tenant application's client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthClientSpec {
    pub client_id: String,
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub backchannel_logout_uri: Option<String>,
    /// The organization and subscription it belongs to: only members of the
    /// organization may sign in to it.
    pub organization_id: uuid::Uuid,
    pub subscription_id: uuid::Uuid,
}

/// A client as Hydra has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedClient {
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub backchannel_logout_uri: Option<String>,
    /// Not suspended.
    pub enabled: bool,
    /// Skips consent or may get refresh tokens, as only Bibind's own
    /// applications may.
    pub first_party: bool,
    /// The subscription its metadata names, if any.
    pub subscription_id: Option<String>,
}

#[async_trait::async_trait]
pub trait OAuthClients: Send + Sync {
    /// Creates the client with `secret` if absent; otherwise corrects what
    /// drifted from `spec` without touching its secret or its suspension.
    async fn ensure_client(&self, spec: &OAuthClientSpec, secret: &str) -> Result<(), BackendError>;
    /// Suspends (flag + tokens revoked) or resumes the client. Suspending a
    /// client that is gone is done; resuming one is refused.
    async fn set_client_enabled(&self, client_id: &str, enabled: bool) -> Result<(), BackendError>;
    /// Deletes the client (its tokens go with it); a missing one is done.
    async fn remove_client(&self, client_id: &str) -> Result<(), BackendError>;
    async fn observe(&self, client_id: &str) -> Result<Option<ObservedClient>, BackendError>;
}

/// [`OAuthClients`] on Hydra's admin API.
#[derive(Debug, Clone)]
pub struct HydraClients {
    hydra: Hydra,
    timeout: Duration,
}

impl HydraClients {
    /// Each call must end within `timeout`.
    pub fn new(admin_url: &str, timeout: Duration) -> Result<Self, BackendError> {
        let hydra = Hydra::new(admin_url).map_err(|e| BackendError::refused(BACKEND, e.to_string()))?;
        Ok(Self { hydra, timeout })
    }

    fn client_path(client_id: &str) -> String {
        format!("/admin/clients/{}", encode_query_value(client_id))
    }

    /// Sends a request; returns the status and body of any answer.
    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(StatusCode, String), BackendError> {
        let mut request = self.hydra.admin_request(method, path).timeout(self.timeout);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request
            .send()
            .await
            .map_err(|e| BackendError::from_reqwest(BACKEND, e))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| BackendError::from_reqwest(BACKEND, e))?;
        Ok((status, text))
    }

    /// The client as Hydra returns it, `None` when unknown.
    async fn get(&self, client_id: &str) -> Result<Option<Value>, BackendError> {
        match self
            .send(Method::GET, &Self::client_path(client_id), None)
            .await?
        {
            (StatusCode::OK, body) => serde_json::from_str(&body)
                .map(Some)
                .map_err(|e| BackendError::refused(BACKEND, format!("unexpected client: {e}"))),
            (StatusCode::NOT_FOUND, _) => Ok(None),
            (status, body) => Err(BackendError::from_status(BACKEND, status, &body)),
        }
    }

    /// Replaces the client with `desired` (no `client_secret`: Hydra keeps
    /// the one it has).
    async fn put(&self, client_id: &str, desired: &Value) -> Result<(), BackendError> {
        match self
            .send(Method::PUT, &Self::client_path(client_id), Some(desired))
            .await?
        {
            (status, _) if status.is_success() => Ok(()),
            // Deleted meanwhile: the step runs again and creates it.
            (StatusCode::NOT_FOUND, body) => Err(BackendError::transient(
                BACKEND,
                format!("client {client_id} vanished while being updated: {body}"),
            )),
            (status, body) => Err(BackendError::from_status(BACKEND, status, &body)),
        }
    }
}

/// The client Bibind registers for `spec`: a confidential tenant client
/// (code flow, consent asked once, no refresh token, owned by its
/// organization), never a first-party one.
fn registration(spec: &OAuthClientSpec, secret: &str) -> ClientRegistration {
    ClientRegistration {
        redirect_uris: spec.redirect_uris.clone(),
        post_logout_redirect_uris: spec.post_logout_redirect_uris.clone(),
        backchannel_logout_uri: spec.backchannel_logout_uri.clone(),
        backchannel_logout_session_required: spec.backchannel_logout_uri.is_some(),
        ..ClientRegistration::tenant(
            &spec.client_id,
            secret,
            &spec.name,
            &spec.organization_id.to_string(),
            &spec.subscription_id.to_string(),
        )
    }
}

/// Only Bibind's own applications skip consent or get refresh tokens.
fn is_first_party(client: &Value) -> bool {
    let skips_consent = client
        .get("skip_consent")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let refreshes = strings(client, "grant_types")
        .iter()
        .any(|grant| grant == "refresh_token");
    let offline = client
        .get("scope")
        .and_then(Value::as_str)
        .is_some_and(|scope| scope.split(' ').any(|s| s == "offline_access" || s == "offline"));
    skips_consent || refreshes || offline
}

/// The fields Bibind decides, with Hydra's empty forms (`null`, `""`,
/// absent) made equal.
fn decided_fields(client: &Value) -> Value {
    let list = |name: &str| match client.get(name) {
        Some(Value::Array(items)) => Value::Array(items.clone()),
        _ => Value::Array(Vec::new()),
    };
    let text = |name: &str| match client.get(name) {
        Some(Value::String(text)) => Value::String(text.clone()),
        _ => Value::String(String::new()),
    };
    let flag = |name: &str| Value::Bool(client.get(name).and_then(Value::as_bool).unwrap_or(false));
    json!({
        "client_name": text("client_name"),
        "redirect_uris": list("redirect_uris"),
        "post_logout_redirect_uris": list("post_logout_redirect_uris"),
        "grant_types": list("grant_types"),
        "response_types": list("response_types"),
        "scope": text("scope"),
        "token_endpoint_auth_method": text("token_endpoint_auth_method"),
        "backchannel_logout_uri": text("backchannel_logout_uri"),
        "backchannel_logout_session_required": flag("backchannel_logout_session_required"),
        "skip_consent": flag("skip_consent"),
        "skip_logout_consent": flag("skip_logout_consent"),
        "owner": owner_metadata(client),
    })
}

/// The ownership keys of a client's metadata (absent ones as `null`).
fn owner_metadata(client: &Value) -> Value {
    let metadata = metadata(client);
    Value::Object(
        OWNER_METADATA_KEYS
            .iter()
            .map(|key| {
                (
                    (*key).to_owned(),
                    metadata.get(*key).cloned().unwrap_or(Value::Null),
                )
            })
            .collect(),
    )
}

fn metadata(client: &Value) -> serde_json::Map<String, Value> {
    match client.get("metadata") {
        Some(Value::Object(map)) => map.clone(),
        _ => serde_json::Map::new(),
    }
}

fn is_suspended(client: &Value) -> bool {
    metadata(client)
        .get(SUSPENDED_METADATA_KEY)
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

fn strings(client: &Value, name: &str) -> Vec<String> {
    Vec::<String>::deserialize(client.get(name).cloned().unwrap_or(Value::Null)).unwrap_or_default()
}

fn desired_body(spec: &OAuthClientSpec, secret: &str) -> Result<Value, BackendError> {
    serde_json::to_value(registration(spec, secret))
        .map_err(|e| BackendError::refused(BACKEND, format!("cannot encode a client: {e}")))
}

#[async_trait::async_trait]
impl OAuthClients for HydraClients {
    async fn ensure_client(&self, spec: &OAuthClientSpec, secret: &str) -> Result<(), BackendError> {
        let mut desired = desired_body(spec, secret)?;
        let current = match self.get(&spec.client_id).await? {
            Some(current) => current,
            None => match self.send(Method::POST, "/admin/clients", Some(&desired)).await? {
                (status, _) if status.is_success() => return Ok(()),
                // Created concurrently: compare it like any existing client.
                (StatusCode::CONFLICT, _) => self.get(&spec.client_id).await?.ok_or_else(|| {
                    BackendError::transient(BACKEND, "the client vanished while being created")
                })?,
                (status, body) => return Err(BackendError::from_status(BACKEND, status, &body)),
            },
        };
        // Another subscription's client of that id is never taken over. One
        // naming none is an older Bibind client (before ownership was
        // recorded): it is adopted and marked.
        let owner = spec.subscription_id.to_string();
        if metadata(&current)
            .get("bibind_subscription_id")
            .and_then(Value::as_str)
            .is_some_and(|named| named != owner)
        {
            return Err(BackendError::refused(
                BACKEND,
                format!("client {} exists and is not ours", spec.client_id),
            ));
        }
        if decided_fields(&current) == decided_fields(&desired) {
            return Ok(());
        }
        if let Value::Object(fields) = &mut desired {
            fields.remove("client_secret");
            // PUT replaces everything: carry the suspension (and any other
            // metadata) over, with the ownership Bibind decides.
            let mut kept = metadata(&current);
            if let Some(Value::Object(decided)) = fields.get("metadata") {
                for key in OWNER_METADATA_KEYS {
                    match decided.get(key) {
                        Some(value) => kept.insert(key.to_owned(), value.clone()),
                        None => kept.remove(key),
                    };
                }
            }
            fields.insert("metadata".into(), Value::Object(kept));
        }
        self.put(&spec.client_id, &desired).await
    }

    async fn set_client_enabled(&self, client_id: &str, enabled: bool) -> Result<(), BackendError> {
        let Some(current) = self.get(client_id).await? else {
            return if enabled {
                Err(BackendError::refused(
                    BACKEND,
                    format!("client {client_id} does not exist"),
                ))
            } else {
                Ok(())
            };
        };
        if is_suspended(&current) == enabled {
            let mut metadata = metadata(&current);
            if enabled {
                metadata.remove(SUSPENDED_METADATA_KEY);
            } else {
                metadata.insert(SUSPENDED_METADATA_KEY.into(), Value::Bool(true));
            }
            let patch = json!([{"op": "replace", "path": "/metadata", "value": metadata}]);
            match self
                .send(Method::PATCH, &Self::client_path(client_id), Some(&patch))
                .await?
            {
                (status, _) if status.is_success() => {}
                (StatusCode::NOT_FOUND, _) if !enabled => return Ok(()),
                (status, body) => return Err(BackendError::from_status(BACKEND, status, &body)),
            }
        }
        if !enabled {
            // Also when already flagged: a step interrupted between the two
            // writes must still revoke.
            let path = format!("/admin/oauth2/tokens?client_id={}", encode_query_value(client_id));
            match self.send(Method::DELETE, &path, None).await? {
                (status, _) if status.is_success() || status == StatusCode::NOT_FOUND => {}
                (status, body) => return Err(BackendError::from_status(BACKEND, status, &body)),
            }
        }
        Ok(())
    }

    async fn remove_client(&self, client_id: &str) -> Result<(), BackendError> {
        match self
            .send(Method::DELETE, &Self::client_path(client_id), None)
            .await?
        {
            (status, _) if status.is_success() || status == StatusCode::NOT_FOUND => Ok(()),
            (status, body) => Err(BackendError::from_status(BACKEND, status, &body)),
        }
    }

    async fn observe(&self, client_id: &str) -> Result<Option<ObservedClient>, BackendError> {
        Ok(self.get(client_id).await?.map(|client| ObservedClient {
            name: client
                .get("client_name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            redirect_uris: strings(&client, "redirect_uris"),
            post_logout_redirect_uris: strings(&client, "post_logout_redirect_uris"),
            backchannel_logout_uri: client
                .get("backchannel_logout_uri")
                .and_then(Value::as_str)
                .filter(|uri| !uri.is_empty())
                .map(str::to_owned),
            enabled: !is_suspended(&client),
            first_party: is_first_party(&client),
            subscription_id: metadata(&client)
                .get("bibind_subscription_id")
                .and_then(Value::as_str)
                .map(str::to_owned),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> OAuthClientSpec {
        OAuthClientSpec {
            client_id: "odoo-acme".into(),
            name: "Odoo (acme)".into(),
            redirect_uris: vec!["https://acme.example/auth_oauth/signin".into()],
            post_logout_redirect_uris: vec![],
            backchannel_logout_uri: None,
            organization_id: uuid::Uuid::nil(),
            subscription_id: uuid::Uuid::from_u128(7),
        }
    }

    #[test]
    fn a_first_party_tenant_client_is_repaired_to_a_tenant_one() {
        let desired = desired_body(&spec(), "s3cret-s3cret").unwrap_or_else(|e| panic!("{e}"));
        assert!(!is_first_party(&desired));
        // As provisioning created them before: first-party, offline, no owner.
        let mut old = desired.clone();
        if let Value::Object(fields) = &mut old {
            fields.insert("skip_consent".into(), Value::Bool(true));
            fields.insert(
                "grant_types".into(),
                json!(["authorization_code", "refresh_token"]),
            );
            fields.insert("scope".into(), json!("openid offline_access email profile"));
            fields.remove("metadata");
        }
        assert!(is_first_party(&old));
        assert_ne!(decided_fields(&old), decided_fields(&desired));
        // Same flags, but no owner: still a difference to correct.
        let mut unowned = desired.clone();
        if let Value::Object(fields) = &mut unowned {
            fields.insert("metadata".into(), json!({"bibind_suspended": true}));
        }
        assert_ne!(decided_fields(&unowned), decided_fields(&desired));
    }

    #[test]
    fn hydras_empty_forms_equal_the_desired_empty_fields() {
        let desired = desired_body(&spec(), "s3cret-s3cret").unwrap_or_else(|e| panic!("{e}"));
        let mut observed = desired.clone();
        if let Value::Object(fields) = &mut observed {
            fields.remove("post_logout_redirect_uris");
            fields.remove("backchannel_logout_uri");
            fields.remove("client_secret");
            fields.insert("skip_logout_consent".into(), Value::Bool(true));
            fields.insert(
                "metadata".into(),
                json!({
                    "bibind_suspended": true,
                    "bibind_organization_id": uuid::Uuid::nil().to_string(),
                    "bibind_subscription_id": uuid::Uuid::from_u128(7).to_string(),
                }),
            );
        }
        assert_eq!(decided_fields(&observed), decided_fields(&desired));
        assert!(is_suspended(&observed));
    }

    #[test]
    fn the_secret_is_never_part_of_the_comparison_or_the_debug_form() {
        let fields =
            decided_fields(&desired_body(&spec(), "s3cret-s3cret").unwrap_or_else(|e| panic!("{e}")));
        assert!(!fields.to_string().contains("s3cret"));
    }
}
