//! The Keystone token every call carries: password authentication scoped to
//! the admin project (`POST /v3/auth/tokens`, token in `X-Subject-Token`),
//! kept until shortly before its `expires_at`, replaced once when a service
//! answers 401. The token's service catalog locates the quota services, as
//! openstacksdk does: the `public` endpoint in the configured region
//! (`RegionOne` by default) of the first service type found among
//! `compute`; `block-storage`, `volumev3`, `volume`; `network`. A URL in the
//! settings overrides the catalog for its service.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::Mutex;

use super::{keystone::BACKEND as KEYSTONE, OpenStackSettings};
use crate::backends::BackendError;

/// A token is renewed this long before it expires (at most a quarter of
/// its lifetime), so that no call starts with one about to lapse.
const RENEW_MARGIN: Duration = Duration::from_secs(120);

/// The region endpoints are taken from when the settings name none: the
/// one `keystone-manage bootstrap` and devstack create.
pub const DEFAULT_REGION: &str = "RegionOne";

/// The catalog interface the client uses (the one reachable from outside
/// the cloud's own network).
const INTERFACE: &str = "public";

/// A service the client calls, and how its catalog entry is typed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    Identity,
    Compute,
    Volume,
    Network,
}

impl Service {
    pub fn backend(self) -> &'static str {
        match self {
            Self::Identity => KEYSTONE,
            Self::Compute => "nova",
            Self::Volume => "cinder",
            Self::Network => "neutron",
        }
    }

    /// Catalog types, preferred first: the official type, then the
    /// aliases deployments still register (os-service-types).
    fn catalog_types(self) -> &'static [&'static str] {
        match self {
            Self::Identity => &["identity"],
            Self::Compute => &["compute"],
            Self::Volume => &["block-storage", "volumev3", "volume"],
            Self::Network => &["network"],
        }
    }
}

/// A scoped token and what came with it.
pub struct Token {
    value: String,
    /// The admin project's id and domain id.
    pub project_id: String,
    pub domain_id: String,
    catalog: Vec<CatalogEntry>,
    renew_at: Instant,
}

debug_without_secrets!(Token { project_id });

#[derive(Debug, Deserialize)]
struct CatalogEntry {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    endpoints: Vec<CatalogEndpoint>,
}

#[derive(Debug, Deserialize)]
struct CatalogEndpoint {
    interface: String,
    #[serde(default)]
    region_id: Option<String>,
    #[serde(default)]
    region: Option<String>,
    url: String,
}

#[derive(Deserialize)]
struct TokenBody {
    token: TokenDetails,
}

#[derive(Deserialize)]
struct TokenDetails {
    #[serde(with = "time::serde::rfc3339")]
    expires_at: time::OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    issued_at: time::OffsetDateTime,
    project: Option<ScopedProject>,
    #[serde(default)]
    catalog: Vec<CatalogEntry>,
}

#[derive(Deserialize)]
struct ScopedProject {
    id: String,
    domain: ScopedDomain,
}

#[derive(Deserialize)]
struct ScopedDomain {
    id: String,
}

pub struct Session {
    http: reqwest::Client,
    settings: OpenStackSettings,
    /// The Identity endpoint without a trailing `/v3`.
    identity_root: String,
    /// Held while authenticating, so that concurrent calls wait for one
    /// new token instead of each asking for its own.
    token: Mutex<Option<Arc<Token>>>,
}

impl Session {
    pub fn new(settings: OpenStackSettings) -> Result<Self, BackendError> {
        let http = crate::backends::client_with_timeout(KEYSTONE, settings.timeout)?;
        let trimmed = settings.keystone_url.trim_end_matches('/');
        let identity_root = trimmed.strip_suffix("/v3").unwrap_or(trimmed).to_owned();
        Ok(Self {
            http,
            settings,
            identity_root,
            token: Mutex::new(None),
        })
    }

    /// The current token, authenticating when there is none or it is
    /// about to expire.
    pub async fn token(&self) -> Result<Arc<Token>, BackendError> {
        let mut current = self.token.lock().await;
        if let Some(token) = current.as_ref() {
            if Instant::now() < token.renew_at {
                return Ok(token.clone());
            }
        }
        let token = Arc::new(self.authenticate().await?);
        *current = Some(token.clone());
        Ok(token)
    }

    /// Forgets `stale` (unless another call already replaced it).
    async fn forget(&self, stale: &Token) {
        let mut current = self.token.lock().await;
        if current.as_ref().is_some_and(|token| token.value == stale.value) {
            *current = None;
        }
    }

    async fn authenticate(&self) -> Result<Token, BackendError> {
        let settings = &self.settings;
        let body = json!({
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {
                            "name": settings.username,
                            "domain": { "name": settings.user_domain },
                            "password": settings.password,
                        }
                    }
                },
                "scope": {
                    "project": {
                        "name": settings.project,
                        "domain": { "name": settings.project_domain },
                    }
                }
            }
        });
        let response = self
            .http
            .post(format!("{}/v3/auth/tokens", self.identity_root))
            .json(&body)
            .send()
            .await
            .map_err(|error| BackendError::from_reqwest(KEYSTONE, error))?;
        let status = response.status();
        if status == StatusCode::UNAUTHORIZED {
            return Err(BackendError::refused(
                KEYSTONE,
                format!(
                    "401: Keystone rejected the credentials of {} (domain {}) for project {}",
                    settings.username, settings.user_domain, settings.project
                ),
            ));
        }
        if !status.is_success() {
            let text = response.text().await.unwrap_or_default();
            return Err(BackendError::from_status(KEYSTONE, status, &text));
        }
        let value = response
            .headers()
            .get("x-subject-token")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
            .ok_or_else(|| {
                BackendError::refused(KEYSTONE, "no X-Subject-Token in the authentication answer")
            })?;
        let body: TokenBody = response
            .json()
            .await
            .map_err(|error| BackendError::from_reqwest(KEYSTONE, error))?;
        let details = body.token;
        let project = details
            .project
            .ok_or_else(|| BackendError::refused(KEYSTONE, "the token is not scoped to a project"))?;
        // Measured on Keystone's own clock, so that a skewed local clock
        // neither keeps an expired token nor renews all the time.
        let lifetime = (details.expires_at - details.issued_at)
            .try_into()
            .unwrap_or(Duration::ZERO);
        let margin = RENEW_MARGIN.min(lifetime / 4);
        Ok(Token {
            value,
            project_id: project.id,
            domain_id: project.domain.id,
            catalog: details.catalog,
            renew_at: Instant::now() + lifetime.saturating_sub(margin),
        })
    }

    /// The base URL of `service`: from the settings, else the token's
    /// catalog (public interface, the configured region), with
    /// `%(project_id)s` / `$(project_id)s` replaced by the admin project.
    pub fn endpoint(&self, service: Service, token: &Token) -> Result<String, BackendError> {
        let configured = match service {
            Service::Identity => Some(&self.identity_root),
            Service::Compute => self.settings.compute_url.as_ref(),
            Service::Volume => self.settings.volume_url.as_ref(),
            Service::Network => self.settings.network_url.as_ref(),
        };
        let url = match configured {
            Some(url) => url.clone(),
            None => self.catalog_endpoint(service, token)?,
        };
        let url = url
            .replace("%(project_id)s", &token.project_id)
            .replace("$(project_id)s", &token.project_id)
            .replace("%(tenant_id)s", &token.project_id)
            .replace("$(tenant_id)s", &token.project_id);
        Ok(url.trim_end_matches('/').to_owned())
    }

    fn catalog_endpoint(&self, service: Service, token: &Token) -> Result<String, BackendError> {
        let region = self.settings.region.as_deref().unwrap_or(DEFAULT_REGION);
        catalog_url(&token.catalog, service, region).ok_or_else(|| {
            BackendError::refused(
                service.backend(),
                format!(
                    "no {INTERFACE} {} endpoint in region {region} in the service catalog, and none configured",
                    service.catalog_types().join("/"),
                ),
            )
        })
    }

    /// Sends a request built by `build` (from the service's base URL) with
    /// the token; on a 401 authenticates again and sends it once more.
    pub async fn send(
        &self,
        service: Service,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
        headers: &[(&str, &str)],
    ) -> Result<Response, BackendError> {
        let mut retried = false;
        loop {
            let token = self.token().await?;
            let url = format!("{}{path}", self.endpoint(service, &token)?);
            let mut request: RequestBuilder = self
                .http
                .request(method.clone(), url)
                .header("X-Auth-Token", &token.value)
                .header("Accept", "application/json");
            for (name, value) in headers {
                request = request.header(*name, *value);
            }
            if let Some(body) = body {
                request = request.json(body);
            }
            let response = request
                .send()
                .await
                .map_err(|error| BackendError::from_reqwest(service.backend(), error))?;
            if response.status() == StatusCode::UNAUTHORIZED && !retried {
                // Revoked, or expired early: one fresh token, one more try.
                self.forget(&token).await;
                retried = true;
                continue;
            }
            return Ok(response);
        }
    }
}

/// The URL of `service`'s public endpoint in `region`: the first catalog
/// type that has one, looking at every service of that type (a cloud may
/// register several, each with endpoints in its own regions).
fn catalog_url(catalog: &[CatalogEntry], service: Service, region: &str) -> Option<String> {
    service.catalog_types().iter().find_map(|kind| {
        catalog
            .iter()
            .filter(|entry| entry.kind == *kind)
            .flat_map(|entry| &entry.endpoints)
            .find(|endpoint| {
                endpoint.interface == INTERFACE
                    && (endpoint.region_id.as_deref() == Some(region)
                        || endpoint.region.as_deref() == Some(region))
            })
            .map(|endpoint| endpoint.url.clone())
    })
}

/// Reads a successful answer as JSON, or turns an error answer into a
/// [`BackendError`] carrying the service's own message.
pub async fn json_or_error<T: serde::de::DeserializeOwned>(
    service: Service,
    response: Response,
) -> Result<T, BackendError> {
    let status = response.status();
    if !status.is_success() {
        return Err(error_from(service, response).await);
    }
    response
        .json()
        .await
        .map_err(|error| BackendError::from_reqwest(service.backend(), error))
}

/// An error answer as a [`BackendError`].
pub async fn error_from(service: Service, response: Response) -> BackendError {
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    BackendError::from_status(service.backend(), status, &fault_message(&text))
}

/// The message inside any of OpenStack's fault shapes: Keystone's
/// `{"error":{"message"}}`, Nova's and Cinder's `{"<name>":{"message"}}`,
/// Neutron's `{"NeutronError":{"type","message"}}`; else the text itself.
fn fault_message(text: &str) -> String {
    let Ok(serde_json::Value::Object(fields)) = serde_json::from_str::<serde_json::Value>(text) else {
        return text.to_owned();
    };
    for (name, fault) in &fields {
        if let Some(message) = fault.get("message").and_then(|m| m.as_str()) {
            let kind = fault.get("type").and_then(|t| t.as_str()).unwrap_or(name);
            return format!("{kind}: {message}");
        }
    }
    text.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Vec<CatalogEntry> {
        serde_json::from_value(json!([
            {"type": "compute", "endpoints": [
                {"interface": "public", "region_id": "east", "region": "east", "url": "http://east/compute/v2.1"},
            ]},
            // A second compute service, as a cloud (or a test) may register.
            {"type": "compute", "endpoints": [
                {"interface": "internal", "region_id": "RegionOne", "url": "http://internal/compute/v2.1"},
                {"interface": "public", "region_id": "RegionOne", "url": "http://one/compute/v2.1"},
            ]},
            {"type": "volumev3", "endpoints": [
                {"interface": "public", "region_id": "RegionOne", "url": "http://one/volume/v3/p1"},
                {"interface": "public", "region_id": "east", "url": "http://east/volume/v3/p1"},
            ]},
            {"type": "block-storage", "endpoints": [
                {"interface": "public", "region_id": "RegionOne", "url": "http://one/volume/v3"},
            ]},
            {"type": "volume", "endpoints": [
                {"interface": "public", "region_id": "west", "url": "http://west/volume/v2/p1"},
            ]},
            {"type": "network", "endpoints": [
                {"interface": "admin", "region_id": "RegionOne", "url": "http://admin/network"},
            ]},
        ]))
        .expect("a catalog")
    }

    #[test]
    fn the_catalog_gives_the_public_endpoint_of_the_region() {
        let catalog = catalog();
        for (service, region, expected, why) in [
            (
                Service::Compute,
                DEFAULT_REGION,
                Some("http://one/compute/v2.1"),
                "any service of the type, public only",
            ),
            (
                Service::Compute,
                "east",
                Some("http://east/compute/v2.1"),
                "the region asked",
            ),
            (
                Service::Volume,
                DEFAULT_REGION,
                Some("http://one/volume/v3"),
                "block-storage before its aliases",
            ),
            (
                Service::Volume,
                "east",
                Some("http://east/volume/v3/p1"),
                "volumev3",
            ),
            (
                Service::Volume,
                "west",
                Some("http://west/volume/v2/p1"),
                "volume",
            ),
            (Service::Network, DEFAULT_REGION, None, "no public endpoint"),
            (Service::Compute, "nowhere", None, "no such region"),
        ] {
            assert_eq!(
                catalog_url(&catalog, service, region).as_deref(),
                expected,
                "{why}"
            );
        }
    }

    #[test]
    fn fault_messages_are_read_from_each_shape() {
        assert_eq!(
            fault_message(r#"{"error":{"code":409,"message":"Conflict occurred","title":"Conflict"}}"#),
            "error: Conflict occurred"
        );
        assert_eq!(
            fault_message(r#"{"badRequest":{"code":400,"message":"Bad key(s) in quota set: x"}}"#),
            "badRequest: Bad key(s) in quota set: x"
        );
        assert_eq!(
            fault_message(
                r#"{"NeutronError":{"type":"HTTPBadRequest","message":"Unrecognized attribute(s) 'x'","detail":""}}"#
            ),
            "HTTPBadRequest: Unrecognized attribute(s) 'x'"
        );
        assert_eq!(fault_message("plain"), "plain");
    }
}
