//! GitLab through its REST API v4: a group per tenant (under an optional
//! parent group) and a group deploy token for the tenant's registry.
//!
//! Deletion is delayed on GitLab 18 (every tier): `DELETE /groups/:id` only
//! marks the group (and renames it `<path>-deletion_scheduled-<id>`); a
//! subgroup can then be removed at once with `permanently_remove=true` and
//! its current `full_path`, a top-level group only when its retention ends.
//!
//! Ownership: the groups Bibind creates say so in their description
//! ("Managed by Bibind for subscription <uuid>", visible to GitLab's admins;
//! custom attributes would need an admin token). A group at the wanted path
//! without that mark for this subscription is never adopted, renamed,
//! restored or deleted: the step is refused ("exists and is not ours").

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::sync::OnceCell;

use super::{Answer, BackendError};

const BACKEND: &str = "gitlab";

/// What the tenant's cluster does with its deploy token: pull images.
const DEPLOY_TOKEN_SCOPES: [&str; 1] = ["read_registry"];
const PER_PAGE: u32 = 100;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GitlabGroup {
    pub id: i64,
    pub full_path: String,
}

/// A deploy token as created: its value is shown this once.
#[derive(Clone, PartialEq, Eq)]
pub struct DeployToken {
    pub id: i64,
    pub username: String,
    pub token: String,
}

debug_without_secrets!(DeployToken { id, username });

/// A group as the reconciler sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedGroup {
    pub id: i64,
    pub full_path: String,
    pub name: String,
    /// Marked by a delayed deletion (still there until its retention ends).
    pub marked_for_deletion: bool,
    /// Names of the group's active deploy tokens.
    pub deploy_tokens: Vec<String>,
}

#[async_trait::async_trait]
pub trait Gitlab: Send + Sync {
    /// The group `path` (under the parent group, if configured), created or
    /// renamed to `name`, described as `subscription`'s; a group marked for
    /// deletion is restored. One that is not `subscription`'s is refused
    /// ("exists and is not ours") and left as it is.
    async fn ensure_group(
        &self,
        path: &str,
        subscription: uuid::Uuid,
        name: &str,
    ) -> Result<GitlabGroup, BackendError>;
    /// A new deploy token named `name`, or `None` when an active one exists
    /// (its value cannot be read again). The caller stores a returned token
    /// in Vault at once.
    async fn ensure_deploy_token(
        &self,
        group_id: i64,
        name: &str,
    ) -> Result<Option<DeployToken>, BackendError>;
    /// Deletes every token of that name; none, or no group, counts as done.
    async fn revoke_deploy_token(&self, group_id: i64, name: &str) -> Result<(), BackendError>;
    /// Deletes the group: marked then, for a subgroup, removed at once. An
    /// absent group counts as removed; one that is not `subscription`'s is
    /// refused and left as it is.
    async fn remove_group(&self, path: &str, subscription: uuid::Uuid) -> Result<(), BackendError>;
    /// `None` when no group has that path.
    async fn observe(&self, path: &str) -> Result<Option<ObservedGroup>, BackendError>;
}

pub struct GitlabClient {
    http: reqwest::Client,
    api: String,
    token: String,
    parent_group: Option<i64>,
    parent_path: OnceCell<String>,
}

impl GitlabClient {
    /// `base_url` is GitLab's root (the API is under `/api/v4`); `token` a
    /// personal, group or project access token with the `api` scope.
    pub fn new(
        base_url: &str,
        token: impl Into<String>,
        parent_group: Option<i64>,
        timeout: Duration,
    ) -> Result<Self, BackendError> {
        let http = super::client_with_timeout(BACKEND, timeout)?;
        Ok(Self {
            http,
            api: format!("{}/api/v4", base_url.trim_end_matches('/')),
            token: token.into(),
            parent_group,
            parent_path: OnceCell::new(),
        })
    }

    async fn exchange(&self, request: reqwest::RequestBuilder) -> Result<Answer, BackendError> {
        super::exchange(BACKEND, request.header("PRIVATE-TOKEN", &self.token)).await
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<(StatusCode, String), BackendError> {
        let answer = self.exchange(request).await?;
        Ok((answer.status, answer.body))
    }

    /// A JSON answer, `None` on 404.
    async fn json_or_absent(&self, request: reqwest::RequestBuilder) -> Result<Option<Value>, BackendError> {
        self.exchange(request).await?.json_or_absent(BACKEND)
    }

    /// `path` under the parent group, if one is configured.
    async fn full_path(&self, path: &str) -> Result<String, BackendError> {
        let Some(parent) = self.parent_group else {
            return Ok(path.to_owned());
        };
        let parent_path = self
            .parent_path
            .get_or_try_init(|| async {
                let group = self.get_group(&parent.to_string()).await?.ok_or_else(|| {
                    BackendError::refused(BACKEND, format!("the parent group {parent} does not exist"))
                })?;
                Ok::<_, BackendError>(group.full_path)
            })
            .await?;
        Ok(format!("{parent_path}/{path}"))
    }

    /// A group by id or full path.
    async fn get_group(&self, id_or_path: &str) -> Result<Option<GroupRecord>, BackendError> {
        let url = format!("{}/groups/{}", self.api, encode(id_or_path));
        match self.json_or_absent(self.http.get(url)).await? {
            Some(group) => GroupRecord::parse(&group).map(Some),
            None => Ok(None),
        }
    }

    async fn create_group(
        &self,
        path: &str,
        name: &str,
        description: &str,
    ) -> Result<(StatusCode, String), BackendError> {
        let mut body = json!({
            "name": name,
            "path": path,
            "visibility": "private",
            "description": description,
        });
        if let Some(parent) = self.parent_group {
            body["parent_id"] = json!(parent);
        }
        self.send(self.http.post(format!("{}/groups", self.api)).json(&body))
            .await
    }

    /// Every deploy token of the group (`active` only if asked), all pages;
    /// `None` when the group does not exist.
    async fn deploy_tokens(
        &self,
        group_id: i64,
        active_only: bool,
    ) -> Result<Option<Vec<Value>>, BackendError> {
        let mut tokens = Vec::new();
        let mut page = 1;
        loop {
            let mut query = vec![("per_page", PER_PAGE.to_string()), ("page", page.to_string())];
            if active_only {
                query.push(("active", "true".to_owned()));
            }
            let request = self
                .http
                .get(format!("{}/groups/{group_id}/deploy_tokens", self.api))
                .query(&query);
            let answer = self.exchange(request).await?;
            let next_page = answer
                .headers
                .get("x-next-page")
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.parse::<u32>().ok());
            match answer.json_or_absent(BACKEND)? {
                None => return Ok(None),
                Some(Value::Array(items)) => tokens.extend(items),
                Some(_) => return Err(BackendError::refused(BACKEND, "unexpected deploy token list")),
            }
            match next_page {
                Some(next) if next > page => page = next,
                _ => return Ok(Some(tokens)),
            }
        }
    }

    async fn delete_group(
        &self,
        id: i64,
        permanently: Option<&str>,
    ) -> Result<(StatusCode, String), BackendError> {
        let mut request = self.http.delete(format!("{}/groups/{id}", self.api));
        if let Some(full_path) = permanently {
            request = request.query(&[("permanently_remove", "true"), ("full_path", full_path)]);
        }
        self.send(request).await
    }
}

#[async_trait::async_trait]
impl Gitlab for GitlabClient {
    async fn ensure_group(
        &self,
        path: &str,
        subscription: uuid::Uuid,
        name: &str,
    ) -> Result<GitlabGroup, BackendError> {
        let full_path = self.full_path(path).await?;
        let description = super::ownership_mark(subscription);
        let group = match self.get_group(&full_path).await? {
            Some(group) => group,
            None => {
                let (status, body) = self.create_group(path, name, &description).await?;
                if status == StatusCode::CREATED {
                    let created: Value = serde_json::from_str(&body)
                        .map_err(|_| BackendError::refused(BACKEND, "the created group is not JSON"))?;
                    return GroupRecord::parse(&created).map(GroupRecord::into_group);
                }
                // Created meanwhile by another attempt: take that one.
                match self.get_group(&full_path).await? {
                    Some(group) if status == StatusCode::BAD_REQUEST => group,
                    _ => return Err(BackendError::from_status(BACKEND, status, &body)),
                }
            }
        };
        group.ensure_owned(subscription)?;
        let mut group = group;
        if group.marked_for_deletion {
            let url = format!("{}/groups/{}/restore", self.api, group.id);
            let (status, body) = self.send(self.http.post(url)).await?;
            if !status.is_success() {
                return Err(BackendError::from_status(BACKEND, status, &body));
            }
        }
        if group.name != name {
            let url = format!("{}/groups/{}", self.api, group.id);
            let (status, body) = self.send(self.http.put(url).json(&json!({"name": name}))).await?;
            if !status.is_success() {
                return Err(BackendError::from_status(BACKEND, status, &body));
            }
            group.name = name.to_owned();
        }
        Ok(group.into_group())
    }

    async fn ensure_deploy_token(
        &self,
        group_id: i64,
        name: &str,
    ) -> Result<Option<DeployToken>, BackendError> {
        let tokens = self
            .deploy_tokens(group_id, true)
            .await?
            .ok_or_else(|| BackendError::refused(BACKEND, format!("group {group_id} does not exist")))?;
        let active = tokens.iter().any(|token| {
            token["name"].as_str() == Some(name)
                && token["revoked"].as_bool() != Some(true)
                && token["expired"].as_bool() != Some(true)
        });
        if active {
            return Ok(None);
        }
        let url = format!("{}/groups/{group_id}/deploy_tokens", self.api);
        let body = json!({"name": name, "scopes": DEPLOY_TOKEN_SCOPES});
        let (status, body) = self.send(self.http.post(url).json(&body)).await?;
        if status != StatusCode::CREATED {
            return Err(BackendError::from_status(BACKEND, status, &body));
        }
        let created: Value = serde_json::from_str(&body)
            .map_err(|_| BackendError::refused(BACKEND, "the deploy token is not JSON"))?;
        match (
            created["id"].as_i64(),
            created["username"].as_str(),
            created["token"].as_str(),
        ) {
            (Some(id), Some(username), Some(token)) => Ok(Some(DeployToken {
                id,
                username: username.to_owned(),
                token: token.to_owned(),
            })),
            _ => Err(BackendError::refused(
                BACKEND,
                "the created deploy token has no value",
            )),
        }
    }

    async fn revoke_deploy_token(&self, group_id: i64, name: &str) -> Result<(), BackendError> {
        let Some(tokens) = self.deploy_tokens(group_id, false).await? else {
            return Ok(());
        };
        for token in tokens.iter().filter(|token| token["name"].as_str() == Some(name)) {
            let id = token["id"]
                .as_i64()
                .ok_or_else(|| BackendError::refused(BACKEND, "a deploy token has no id"))?;
            let url = format!("{}/groups/{group_id}/deploy_tokens/{id}", self.api);
            let (status, body) = self.send(self.http.delete(url)).await?;
            if !status.is_success() && status != StatusCode::NOT_FOUND {
                return Err(BackendError::from_status(BACKEND, status, &body));
            }
        }
        Ok(())
    }

    async fn remove_group(&self, path: &str, subscription: uuid::Uuid) -> Result<(), BackendError> {
        let full_path = self.full_path(path).await?;
        let Some(group) = self.get_group(&full_path).await? else {
            return Ok(());
        };
        group.ensure_owned(subscription)?;
        if !group.marked_for_deletion {
            let (status, body) = self.delete_group(group.id, None).await?;
            if status == StatusCode::NOT_FOUND {
                return Ok(());
            }
            if status != StatusCode::ACCEPTED {
                return Err(BackendError::from_status(BACKEND, status, &body));
            }
        }
        // Without delayed deletion the group is gone (or going); with it, the
        // mark renamed it: its current path is what the removal must name.
        let Some(marked) = self.get_group(&group.id.to_string()).await? else {
            return Ok(());
        };
        if !marked.marked_for_deletion || marked.parent_id.is_none() {
            // A top-level group can only wait for its retention period.
            return Ok(());
        }
        let (status, body) = self.delete_group(marked.id, Some(&marked.full_path)).await?;
        match status {
            StatusCode::ACCEPTED | StatusCode::NOT_FOUND => Ok(()),
            _ => Err(BackendError::from_status(BACKEND, status, &body)),
        }
    }

    async fn observe(&self, path: &str) -> Result<Option<ObservedGroup>, BackendError> {
        let full_path = self.full_path(path).await?;
        let Some(group) = self.get_group(&full_path).await? else {
            return Ok(None);
        };
        let Some(tokens) = self.deploy_tokens(group.id, true).await? else {
            return Ok(None);
        };
        let mut deploy_tokens: Vec<String> = tokens
            .iter()
            .filter_map(|token| token["name"].as_str().map(str::to_owned))
            .collect();
        deploy_tokens.sort();
        deploy_tokens.dedup();
        Ok(Some(ObservedGroup {
            id: group.id,
            full_path: group.full_path,
            name: group.name,
            marked_for_deletion: group.marked_for_deletion,
            deploy_tokens,
        }))
    }
}

/// The fields of a group this client reads.
struct GroupRecord {
    id: i64,
    name: String,
    description: String,
    full_path: String,
    parent_id: Option<i64>,
    marked_for_deletion: bool,
}

impl GroupRecord {
    fn parse(group: &Value) -> Result<Self, BackendError> {
        match (
            group["id"].as_i64(),
            group["full_path"].as_str(),
            group["name"].as_str(),
        ) {
            (Some(id), Some(full_path), Some(name)) => Ok(Self {
                id,
                name: name.to_owned(),
                description: group["description"].as_str().unwrap_or_default().to_owned(),
                full_path: full_path.to_owned(),
                parent_id: group["parent_id"].as_i64(),
                marked_for_deletion: group["marked_for_deletion_on"].is_string(),
            }),
            _ => Err(BackendError::refused(BACKEND, "unexpected group answer")),
        }
    }

    /// Bibind's mark for `subscription` is in the description, or the
    /// group is not ours.
    fn ensure_owned(&self, subscription: uuid::Uuid) -> Result<(), BackendError> {
        if self.description.contains(&super::ownership_mark(subscription)) {
            Ok(())
        } else {
            Err(BackendError::not_ours(
                BACKEND,
                format!("group {}", self.full_path),
            ))
        }
    }

    fn into_group(self) -> GitlabGroup {
        GitlabGroup {
            id: self.id,
            full_path: self.full_path,
        }
    }
}

/// A path segment as GitLab wants a namespaced path: `/` as `%2F`.
fn encode(id_or_path: &str) -> String {
    url::form_urlencoded::byte_serialize(id_or_path.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_namespaced_path_is_one_segment() {
        assert_eq!(encode("clients/acme-co"), "clients%2Facme-co");
    }

    #[test]
    fn a_deploy_token_debug_leaves_the_value_out() {
        let token = DeployToken {
            id: 1,
            username: "gitlab+deploy-token-1".into(),
            token: "gldt-secret".into(),
        };
        assert!(!format!("{token:?}").contains("gldt-secret"));
    }
}
