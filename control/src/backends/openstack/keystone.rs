//! Keystone v3 projects: find by name in the admin project's domain,
//! create (409 when the name is taken), update, delete.

use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{json, Value};

use super::session::{error_from, json_or_error, Service, Session};
use crate::backends::BackendError;

pub const BACKEND: &str = "keystone";

#[derive(Clone, Debug, Deserialize)]
pub struct Project {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub enabled: bool,
    #[serde(default)]
    pub tags: Vec<String>,
}

#[derive(Deserialize)]
struct ProjectBody {
    project: Project,
}

#[derive(Deserialize)]
struct ProjectList {
    projects: Vec<Project>,
}

/// The project named `name` in the admin project's domain, if any.
pub async fn find_project(session: &Session, name: &str) -> Result<Option<Project>, BackendError> {
    let token = session.token().await?;
    // Project names are checked to need no escaping (see `project_name`);
    // the domain id is Keystone's own (hex or `default`).
    let path = format!("/v3/projects?name={name}&domain_id={}", token.domain_id);
    let response = session
        .send(Service::Identity, Method::GET, &path, None, &[])
        .await?;
    let list: ProjectList = json_or_error(Service::Identity, response).await?;
    Ok(list.projects.into_iter().find(|project| project.name == name))
}

/// Creates the project with `tags` (Bibind's marks); `None` when the name
/// is already taken (Keystone's 409), so the caller looks it up.
pub async fn create_project(
    session: &Session,
    name: &str,
    description: &str,
    tags: &[String],
) -> Result<Option<Project>, BackendError> {
    let token = session.token().await?;
    let body = json!({
        "project": {
            "name": name,
            "domain_id": token.domain_id,
            "description": description,
            "enabled": true,
            "tags": tags,
        }
    });
    let response = session
        .send(Service::Identity, Method::POST, "/v3/projects", Some(&body), &[])
        .await?;
    if response.status() == StatusCode::CONFLICT {
        return Ok(None);
    }
    let created: ProjectBody = json_or_error(Service::Identity, response).await?;
    Ok(Some(created.project))
}

/// Changes the given fields of a project (`PATCH`).
pub async fn update_project(session: &Session, id: &str, fields: Value) -> Result<Outcome, BackendError> {
    let path = format!("/v3/projects/{}", path_segment(id)?);
    let body = json!({ "project": fields });
    let response = session
        .send(Service::Identity, Method::PATCH, &path, Some(&body), &[])
        .await?;
    match response.status() {
        StatusCode::NOT_FOUND => Ok(Outcome::Absent),
        status if status.is_success() => Ok(Outcome::Done),
        _ => Err(error_from(Service::Identity, response).await),
    }
}

/// Deletes a project; one already gone counts as deleted.
pub async fn delete_project(session: &Session, id: &str) -> Result<(), BackendError> {
    let path = format!("/v3/projects/{}", path_segment(id)?);
    let response = session
        .send(Service::Identity, Method::DELETE, &path, None, &[])
        .await?;
    match response.status() {
        StatusCode::NOT_FOUND => Ok(()),
        status if status.is_success() => Ok(()),
        _ => Err(error_from(Service::Identity, response).await),
    }
}

/// Whether a call found what it was to change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Done,
    Absent,
}

/// An id as one URL path segment: OpenStack ids are hex (or UUIDs, or
/// `default`), anything else is refused rather than escaped.
pub fn path_segment(id: &str) -> Result<&str, BackendError> {
    if !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        Ok(id)
    } else {
        Err(BackendError::refused(
            BACKEND,
            format!("{id:?} is not a project id"),
        ))
    }
}
