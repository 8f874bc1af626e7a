//! The simulated services in Keystone's catalog, as devstack registers the
//! real ones: services of type `compute` (`…/compute/v2.1`),
//! `block-storage` and its alias `volumev3` (`…/volume/v3`, without a
//! project: Cinder routes both), and `network` (`…/network`), each with one
//! `public` endpoint in a region. Clients (openstacksdk, the `openstack`
//! CLI, the portal) then find them in their token's catalog.
//!
//! Idempotent: an existing service of a type is reused (created only when
//! none exists), the region is created when missing, and of the public
//! endpoints of that type in the region one is kept with its URL
//! corrected; others (left by earlier runs) are deleted.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{json, Value};

/// The admin that registers the endpoints.
pub struct Admin {
    pub user: String,
    pub password: String,
    pub project: String,
    /// The domain of the user and of the project, by name.
    pub domain: String,
}

/// One catalog entry the simulator serves.
struct Entry {
    kind: &'static str,
    name: &'static str,
    description: &'static str,
    /// Appended to the simulator's public URL.
    path: &'static str,
}

const ENTRIES: [Entry; 4] = [
    Entry {
        kind: "compute",
        name: "nova",
        description: "Nova Compute Service (simulated quotas)",
        path: "/compute/v2.1",
    },
    Entry {
        kind: "block-storage",
        name: "cinder",
        description: "Cinder Volume Service (simulated quotas)",
        path: "/volume/v3",
    },
    Entry {
        kind: "volumev3",
        name: "cinderv3",
        description: "Cinder Volume Service V3 (simulated quotas)",
        path: "/volume/v3",
    },
    Entry {
        kind: "network",
        name: "neutron",
        description: "Neutron Service (simulated quotas)",
        path: "/network",
    },
];

/// An endpoint the registration created or kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Registered {
    pub service_type: &'static str,
    pub endpoint_id: String,
    pub url: String,
}

#[derive(Deserialize)]
struct Services {
    services: Vec<Identified>,
}

#[derive(Deserialize)]
struct Endpoints {
    endpoints: Vec<Endpoint>,
}

#[derive(Deserialize)]
struct Endpoint {
    id: String,
    service_id: String,
    url: String,
}

#[derive(Deserialize)]
struct Identified {
    id: String,
}

/// An admin-scoped session with Keystone's v3 API.
struct Identity {
    http: reqwest::Client,
    /// Without `/v3`.
    root: String,
    token: String,
}

impl Identity {
    async fn sign_in(keystone_url: &str, admin: &Admin) -> Result<Self, String> {
        let trimmed = keystone_url.trim_end_matches('/');
        let root = trimmed.strip_suffix("/v3").unwrap_or(trimmed).to_owned();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|error| error.to_string())?;
        let body = json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": admin.user, "domain": {"name": admin.domain}, "password": admin.password,
            }}},
            "scope": {"project": {"name": admin.project, "domain": {"name": admin.domain}}},
        }});
        let response = http
            .post(format!("{root}/v3/auth/tokens"))
            .json(&body)
            .send()
            .await
            .map_err(|error| format!("Keystone cannot be reached: {}", error.without_url()))?;
        if response.status() != StatusCode::CREATED {
            return Err(format!(
                "Keystone refused the admin {} ({})",
                admin.user,
                response.status()
            ));
        }
        let token = response
            .headers()
            .get("x-subject-token")
            .and_then(|value| value.to_str().ok())
            .ok_or("no X-Subject-Token in Keystone's answer")?
            .to_owned();
        Ok(Self { http, root, token })
    }

    /// The status and JSON body (`null` when there is none) of a call.
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<(StatusCode, Value), String> {
        let mut request = self
            .http
            .request(method.clone(), format!("{}/v3{path}", self.root))
            .header("X-Auth-Token", &self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .map_err(|error| format!("{method} {path}: {}", error.without_url()))?;
        let status = response.status();
        let text = response.text().await.map_err(|error| error.to_string())?;
        Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
    }

    /// A call that must answer `expected`, its body read as `T`.
    async fn answered<T: serde::de::DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        expected: StatusCode,
    ) -> Result<T, String> {
        let (status, answer) = self.call(method.clone(), path, body).await?;
        if status != expected {
            return Err(format!(
                "Keystone answered {method} {path} with {status}: {answer}"
            ));
        }
        serde_json::from_value(answer).map_err(|error| format!("{method} {path}: {error}"))
    }

    async fn ensure_region(&self, region: &str) -> Result<(), String> {
        let (status, _) = self
            .call(Method::GET, &format!("/regions/{region}"), None)
            .await?;
        if status == StatusCode::OK {
            return Ok(());
        }
        let (status, answer) = self
            .call(Method::POST, "/regions", Some(json!({"region": {"id": region}})))
            .await?;
        // 409: created meanwhile by another registration.
        match status {
            StatusCode::CREATED | StatusCode::CONFLICT => Ok(()),
            _ => Err(format!(
                "Keystone refused the region {region} ({status}): {answer}"
            )),
        }
    }

    /// The ids of the services of `entry`'s type, one created if none exists.
    async fn services_of(&self, entry: &Entry) -> Result<Vec<String>, String> {
        let found: Services = self
            .answered(
                Method::GET,
                &format!("/services?type={}", entry.kind),
                None,
                StatusCode::OK,
            )
            .await?;
        if !found.services.is_empty() {
            return Ok(found.services.into_iter().map(|service| service.id).collect());
        }
        #[derive(Deserialize)]
        struct Created {
            service: Identified,
        }
        let created: Created = self
            .answered(
                Method::POST,
                "/services",
                Some(json!({"service": {
                    "type": entry.kind, "name": entry.name, "description": entry.description, "enabled": true,
                }})),
                StatusCode::CREATED,
            )
            .await?;
        Ok(vec![created.service.id])
    }

    /// The one public endpoint of `entry`'s type in `region`, at `url`.
    async fn ensure_endpoint(&self, entry: &Entry, region: &str, url: &str) -> Result<Registered, String> {
        let services = self.services_of(entry).await?;
        let listed: Endpoints = self
            .answered(
                Method::GET,
                &format!("/endpoints?interface=public&region_id={region}"),
                None,
                StatusCode::OK,
            )
            .await?;
        let mut existing = listed
            .endpoints
            .into_iter()
            .filter(|endpoint| services.contains(&endpoint.service_id));
        let endpoint_id = match existing.next() {
            Some(kept) => {
                if kept.url != url {
                    let _: Value = self
                        .answered(
                            Method::PATCH,
                            &format!("/endpoints/{}", kept.id),
                            Some(json!({"endpoint": {"url": url}})),
                            StatusCode::OK,
                        )
                        .await?;
                }
                for extra in existing {
                    self.call(Method::DELETE, &format!("/endpoints/{}", extra.id), None)
                        .await?;
                }
                kept.id
            }
            None => {
                #[derive(Deserialize)]
                struct Created {
                    endpoint: Identified,
                }
                let service_id = services.first().ok_or("no service to attach the endpoint to")?;
                let created: Created = self
                    .answered(
                        Method::POST,
                        "/endpoints",
                        Some(json!({"endpoint": {
                            "service_id": service_id, "interface": "public", "region_id": region, "url": url,
                        }})),
                        StatusCode::CREATED,
                    )
                    .await?;
                created.endpoint.id
            }
        };
        Ok(Registered {
            service_type: entry.kind,
            endpoint_id,
            url: url.to_owned(),
        })
    }
}

/// Registers the simulator served at `public_url` (no trailing slash) in
/// Keystone's catalog, in `region`; returns the endpoints.
pub async fn register(
    keystone_url: &str,
    admin: &Admin,
    region: &str,
    public_url: &str,
) -> Result<Vec<Registered>, String> {
    let identity = Identity::sign_in(keystone_url, admin).await?;
    identity.ensure_region(region).await?;
    let mut registered = Vec::new();
    for entry in &ENTRIES {
        let url = format!("{}{}", public_url.trim_end_matches('/'), entry.path);
        registered.push(identity.ensure_endpoint(entry, region, &url).await?);
    }
    Ok(registered)
}
