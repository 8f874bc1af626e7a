//! What keystonemiddleware does in front of a real service: the request's
//! `X-Auth-Token` is validated at Keystone (`GET /v3/auth/tokens` with the
//! token as both `X-Auth-Token` and `X-Subject-Token`, which Keystone's
//! policy allows a token's own subject), and the answer is cached briefly.
//! Nova also asks Keystone, with the caller's token, whether the project a
//! quota call names exists (nova/api/openstack/identity.py).

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use axum::response::Response;
use http::{HeaderMap, StatusCode};
use serde::Deserialize;

use super::faults::{keystone_unavailable, unauthorized};

/// How long a validation is trusted (keystonemiddleware's cache keeps
/// them for minutes; a short time keeps revocations visible in tests).
const CACHE_FOR: Duration = Duration::from_secs(30);
/// Past this many cached tokens the cache starts over.
const CACHE_MAX: usize = 10_000;

/// Who a validated token speaks for.
#[derive(Clone, Debug)]
pub struct Caller {
    /// The token itself, for the calls a service makes on the caller's behalf.
    pub token: String,
    pub project_id: String,
    pub roles: Vec<String>,
}

impl Caller {
    pub fn is_admin(&self) -> bool {
        self.roles.iter().any(|role| role == "admin")
    }

    /// The default policy of the quota APIs: admins for any project,
    /// readers of a project for their own.
    pub fn may_read(&self, project_id: &str) -> bool {
        self.is_admin() || self.project_id == project_id
    }
}

pub struct TokenValidator {
    http: reqwest::Client,
    /// The Identity endpoint, without `/v3`.
    keystone_url: String,
    cache: Mutex<HashMap<String, (Caller, Instant)>>,
}

#[derive(Deserialize)]
struct Validation {
    token: ValidatedToken,
}

#[derive(Deserialize)]
struct ValidatedToken {
    project: Option<ValidatedProject>,
    #[serde(default)]
    roles: Vec<ValidatedRole>,
}

#[derive(Deserialize)]
struct ValidatedProject {
    id: String,
}

#[derive(Deserialize)]
struct ValidatedRole {
    name: String,
}

impl TokenValidator {
    pub fn new(keystone_url: &str) -> Result<Self, reqwest::Error> {
        let trimmed = keystone_url.trim_end_matches('/');
        Ok(Self {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()?,
            keystone_url: trimmed.strip_suffix("/v3").unwrap_or(trimmed).to_owned(),
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// The caller of a request, or the answer keystonemiddleware gives.
    pub async fn authenticate(&self, headers: &HeaderMap) -> Result<Caller, Response> {
        let Some(token) = headers.get("x-auth-token").and_then(|value| value.to_str().ok()) else {
            return Err(unauthorized(&self.keystone_url));
        };
        if let Some(caller) = self.cached(token) {
            return Ok(caller);
        }
        let answer = self
            .http
            .get(format!("{}/v3/auth/tokens", self.keystone_url))
            .header("X-Auth-Token", token)
            .header("X-Subject-Token", token)
            .send()
            .await;
        let response = match answer {
            Ok(response) => response,
            Err(error) => {
                tracing::warn!(error = %error.without_url(), "Keystone cannot be reached to validate a token");
                return Err(keystone_unavailable());
            }
        };
        match response.status() {
            StatusCode::OK => {}
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::NOT_FOUND => {
                return Err(unauthorized(&self.keystone_url));
            }
            status => {
                tracing::warn!(%status, "Keystone failed to validate a token");
                return Err(keystone_unavailable());
            }
        }
        let Ok(validation) = response.json::<Validation>().await else {
            return Err(keystone_unavailable());
        };
        // A token without a project scope cannot act on project quotas.
        let Some(project) = validation.token.project else {
            return Err(unauthorized(&self.keystone_url));
        };
        let caller = Caller {
            token: token.to_owned(),
            project_id: project.id,
            roles: validation.token.roles.into_iter().map(|role| role.name).collect(),
        };
        self.remember(token, &caller);
        Ok(caller)
    }

    /// Whether Keystone says, to `caller`, that `project_id` does not exist.
    /// As Nova's `verify_project_id`: only a 404 counts; a 403 (the caller
    /// may not look) or Keystone failing lets the call go on.
    pub async fn is_unknown_project(&self, caller: &Caller, project_id: &str) -> bool {
        let Ok(mut url) = reqwest::Url::parse(&format!("{}/v3/projects", self.keystone_url)) else {
            return false;
        };
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.push(project_id);
        }
        match self
            .http
            .get(url)
            .header("X-Auth-Token", &caller.token)
            .send()
            .await
        {
            Ok(response) => response.status() == StatusCode::NOT_FOUND,
            Err(error) => {
                tracing::info!(error = %error.without_url(), "Keystone cannot be reached to verify a project id");
                false
            }
        }
    }

    fn cached(&self, token: &str) -> Option<Caller> {
        let cache = crate::locked(&self.cache);
        let (caller, at) = cache.get(token)?;
        (at.elapsed() < CACHE_FOR).then(|| caller.clone())
    }

    fn remember(&self, token: &str, caller: &Caller) {
        let mut cache = crate::locked(&self.cache);
        if cache.len() >= CACHE_MAX {
            cache.clear();
        }
        cache.insert(token.to_owned(), (caller.clone(), Instant::now()));
    }
}
