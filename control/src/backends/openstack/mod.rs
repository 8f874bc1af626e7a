//! OpenStack: one Keystone project per tenant, `tenant-<slug>` tagged
//! `bibind`, with its Nova (cores, RAM, instances), Cinder (volumes,
//! gigabytes) and Neutron (networks) quotas.
//!
//! The client authenticates with a password scoped to the admin project
//! ([`session`]), keeps the token until shortly before it expires and
//! authenticates again once when a service answers 401. The quota services
//! are found as openstacksdk finds them, in the token's service catalog
//! (public interface, the configured region, `RegionOne` by default); a URL
//! in the settings overrides the catalog for its service.
//! Ownership: a project Bibind creates is tagged `bibind` and
//! `bibind-subscription-<uuid>`. One that has the right name but not the
//! `bibind` tag, or another subscription's tag, is somebody else's: it is
//! never adopted, changed or deleted, and the step is refused ("exists and
//! is not ours"). One tagged `bibind` alone was made by Bibind before
//! projects named their subscription: it is adopted and tagged.

mod keystone;
mod quotas;
mod session;

pub use session::DEFAULT_REGION;

use std::time::Duration;

use async_trait::async_trait;

use super::BackendError;
use keystone::{Outcome, Project};
use session::Session;

/// The tag marking the projects Bibind manages.
pub const MANAGED_TAG: &str = "bibind";
/// With the subscription's id, the tag naming whose project it is.
pub const SUBSCRIPTION_TAG_PREFIX: &str = "bibind-subscription-";

/// Keystone refuses longer project names.
const PROJECT_NAME_MAX: usize = 64;

/// The limits Bibind sets on a tenant's project. A limit that OpenStack
/// holds as unlimited (-1) reads as `u32::MAX`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProjectQuota {
    pub vcpus: u32,
    pub ram_mib: u32,
    pub instances: u32,
    pub volumes: u32,
    pub gigabytes: u32,
    pub networks: u32,
}

/// A tenant's project as it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedProject {
    pub id: String,
    pub enabled: bool,
    pub quota: ProjectQuota,
}

#[async_trait]
pub trait OpenStack: Send + Sync {
    /// The project `tenant-<slug>` in the admin project's domain, tagged
    /// `bibind` and with `subscription`'s tag, created if missing (its
    /// description corrected if not); returns its id. One of that name that
    /// is not this subscription's is refused ("exists and is not ours").
    async fn ensure_project(
        &self,
        slug: &str,
        subscription: uuid::Uuid,
        description: &str,
    ) -> Result<String, BackendError>;
    /// Nova cores/ram/instances, Cinder volumes/gigabytes, Neutron networks.
    async fn set_quota(&self, project_id: &str, quota: &ProjectQuota) -> Result<(), BackendError>;
    async fn set_project_enabled(&self, project_id: &str, enabled: bool) -> Result<(), BackendError>;
    /// Quotas back to the defaults, then the project disabled and deleted;
    /// a project already gone is success, one that is not `subscription`'s
    /// is refused and left as it is.
    async fn remove_project(&self, slug: &str, subscription: uuid::Uuid) -> Result<(), BackendError>;
    async fn observe(&self, slug: &str) -> Result<Option<ObservedProject>, BackendError>;
}

/// Where Keystone is and whom to authenticate as. Domains are given by
/// name (`Default` in a fresh Keystone).
#[derive(Clone)]
pub struct OpenStackSettings {
    /// The Identity endpoint, with or without its `/v3` suffix.
    pub keystone_url: String,
    pub username: String,
    pub password: String,
    pub user_domain: String,
    /// The admin project the token is scoped to; tenant projects are
    /// created in its domain.
    pub project: String,
    pub project_domain: String,
    /// The catalog region to take endpoints from;
    /// [`DEFAULT_REGION`] (`RegionOne`) when absent.
    pub region: Option<String>,
    /// Overrides the catalog's `compute` endpoint: Nova's versioned
    /// endpoint (`…/v2.1`). For a cloud whose catalog lacks it or is wrong.
    pub compute_url: Option<String>,
    /// Overrides the catalog's `block-storage` (or `volumev3`, `volume`)
    /// endpoint: Cinder's `…/v3`, or `…/v3/%(project_id)s` (the admin
    /// project's id is put in).
    pub volume_url: Option<String>,
    /// Overrides the catalog's `network` endpoint: Neutron's root, without
    /// `/v2.0`.
    pub network_url: Option<String>,
    /// How long one call may take.
    pub timeout: Duration,
}

impl std::fmt::Debug for OpenStackSettings {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("OpenStackSettings")
            .field("keystone_url", &self.keystone_url)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("user_domain", &self.user_domain)
            .field("project", &self.project)
            .field("project_domain", &self.project_domain)
            .field("region", &self.region)
            .field("compute_url", &self.compute_url)
            .field("volume_url", &self.volume_url)
            .field("network_url", &self.network_url)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// The real client, over HTTP.
pub struct OpenStackClient {
    session: Session,
}

impl OpenStackClient {
    pub fn new(settings: OpenStackSettings) -> Result<Self, BackendError> {
        Ok(Self {
            session: Session::new(settings)?,
        })
    }

    /// The project named `tenant-<slug>`, if it exists and is Bibind's.
    async fn managed_project(&self, slug: &str) -> Result<Option<Project>, BackendError> {
        let name = project_name(slug)?;
        let Some(project) = keystone::find_project(&self.session, &name).await? else {
            return Ok(None);
        };
        ensure_managed(&project)?;
        Ok(Some(project))
    }
}

#[async_trait]
impl OpenStack for OpenStackClient {
    async fn ensure_project(
        &self,
        slug: &str,
        subscription: uuid::Uuid,
        description: &str,
    ) -> Result<String, BackendError> {
        let name = project_name(slug)?;
        let owner_tag = subscription_tag(subscription);
        let tags = [MANAGED_TAG.to_owned(), owner_tag.clone()];
        let project = match keystone::find_project(&self.session, &name).await? {
            Some(project) => project,
            None => match keystone::create_project(&self.session, &name, description, &tags).await? {
                Some(created) => return Ok(created.id),
                // Created meanwhile by a racing step: take that one.
                None => keystone::find_project(&self.session, &name)
                    .await?
                    .ok_or_else(|| {
                        BackendError::transient(
                            keystone::BACKEND,
                            format!("project {name} conflicted on create but cannot be found"),
                        )
                    })?,
            },
        };
        let mut fields = serde_json::Map::new();
        if ensure_owned(&project, subscription)? == Mark::Missing {
            // Keystone replaces the whole list: keep the tags it has.
            let mut tags = project.tags.clone();
            tags.push(owner_tag);
            fields.insert("tags".into(), serde_json::json!(tags));
        }
        if project.description.as_deref().unwrap_or("") != description {
            fields.insert("description".into(), serde_json::json!(description));
        }
        if !fields.is_empty() {
            let fields = serde_json::Value::Object(fields);
            if keystone::update_project(&self.session, &project.id, fields).await? == Outcome::Absent {
                return Err(BackendError::transient(
                    keystone::BACKEND,
                    format!("project {name} was deleted while being ensured"),
                ));
            }
        }
        Ok(project.id)
    }

    async fn set_quota(&self, project_id: &str, quota: &ProjectQuota) -> Result<(), BackendError> {
        quotas::set_compute(&self.session, project_id, quota).await?;
        quotas::set_volume(&self.session, project_id, quota).await?;
        quotas::set_network(&self.session, project_id, quota).await
    }

    async fn set_project_enabled(&self, project_id: &str, enabled: bool) -> Result<(), BackendError> {
        match keystone::update_project(
            &self.session,
            project_id,
            serde_json::json!({ "enabled": enabled }),
        )
        .await?
        {
            Outcome::Done => Ok(()),
            Outcome::Absent => Err(BackendError::refused(
                keystone::BACKEND,
                format!("project {project_id} does not exist"),
            )),
        }
    }

    async fn remove_project(&self, slug: &str, subscription: uuid::Uuid) -> Result<(), BackendError> {
        let name = project_name(slug)?;
        let Some(project) = keystone::find_project(&self.session, &name).await? else {
            return Ok(());
        };
        ensure_owned(&project, subscription)?;
        quotas::reset(&self.session, &project.id).await?;
        // Keystone refuses to delete an enabled project in some
        // configurations (and a disabled one stops new tokens at once).
        if project.enabled {
            let disabled = keystone::update_project(
                &self.session,
                &project.id,
                serde_json::json!({ "enabled": false }),
            )
            .await?;
            if disabled == Outcome::Absent {
                return Ok(());
            }
        }
        keystone::delete_project(&self.session, &project.id).await
    }

    async fn observe(&self, slug: &str) -> Result<Option<ObservedProject>, BackendError> {
        let Some(project) = self.managed_project(slug).await? else {
            return Ok(None);
        };
        let mut quota = ProjectQuota::default();
        quotas::read_compute(&self.session, &project.id, &mut quota).await?;
        quotas::read_volume(&self.session, &project.id, &mut quota).await?;
        quotas::read_network(&self.session, &project.id, &mut quota).await?;
        Ok(Some(ObservedProject {
            id: project.id,
            enabled: project.enabled,
            quota,
        }))
    }
}

/// The subscription's instance name (`tenant-<slug>-<offer>`) as a project
/// name, checked against Keystone's limits and kept to characters that are
/// safe in a query string.
pub fn project_name(instance: &str) -> Result<String, BackendError> {
    let valid = !instance.is_empty()
        && instance.len() <= PROJECT_NAME_MAX
        && instance
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !valid {
        return Err(BackendError::refused(
            keystone::BACKEND,
            format!("{instance:?} cannot name a project (lowercase letters, digits and dashes, at most {PROJECT_NAME_MAX} characters)"),
        ));
    }
    Ok(instance.to_owned())
}

/// `bibind-subscription-<uuid>`.
pub fn subscription_tag(subscription: uuid::Uuid) -> String {
    format!("{SUBSCRIPTION_TAG_PREFIX}{subscription}")
}

/// Whether a project of Bibind's carries its subscription's tag yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mark {
    Present,
    /// Made by Bibind before projects named their subscription.
    Missing,
}

/// A project with Bibind's tag (any subscription's): what `observe` and
/// a suspension may look at.
fn ensure_managed(project: &Project) -> Result<(), BackendError> {
    if project.tags.iter().any(|tag| tag == MANAGED_TAG) {
        return Ok(());
    }
    Err(not_ours(project))
}

/// A project Bibind made for `subscription`: anything else is refused.
fn ensure_owned(project: &Project, subscription: uuid::Uuid) -> Result<Mark, BackendError> {
    ensure_managed(project)?;
    let own = subscription_tag(subscription);
    let mut owners = project
        .tags
        .iter()
        .filter(|tag| tag.starts_with(SUBSCRIPTION_TAG_PREFIX));
    match owners.next() {
        None => Ok(Mark::Missing),
        Some(tag) if *tag == own && owners.next().is_none() => Ok(Mark::Present),
        Some(_) => Err(not_ours(project)),
    }
}

fn not_ours(project: &Project) -> BackendError {
    BackendError::not_ours(
        keystone::BACKEND,
        format!("project {} ({})", project.name, project.id),
    )
}

/// A limit as OpenStack holds it (-1 for unlimited) read into Bibind's
/// unsigned quota.
fn limit_from_openstack(value: i64) -> u32 {
    if value < 0 {
        u32::MAX
    } else {
        u32::try_from(value).unwrap_or(u32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_names_are_checked() {
        assert_eq!(project_name("tenant-acme-1").as_deref(), Ok("tenant-acme-1"));
        for bad in ["", "Acme", "a b", "a&name=x", &"x".repeat(65)] {
            assert!(project_name(bad).is_err(), "{bad:?}");
        }
        assert!(project_name(&"x".repeat(64)).is_ok());
    }

    #[test]
    fn unlimited_reads_as_the_largest_limit() {
        assert_eq!(limit_from_openstack(-1), u32::MAX);
        assert_eq!(limit_from_openstack(20), 20);
        assert_eq!(limit_from_openstack(i64::MAX), u32::MAX);
    }

    #[test]
    fn settings_never_print_the_password() {
        let settings = OpenStackSettings {
            keystone_url: "http://keystone".into(),
            username: "admin".into(),
            password: "hunter2".into(),
            user_domain: "Default".into(),
            project: "admin".into(),
            project_domain: "Default".into(),
            region: None,
            compute_url: None,
            volume_url: None,
            network_url: None,
            timeout: Duration::from_secs(1),
        };
        assert!(!format!("{settings:?}").contains("hunter2"));
    }
}
