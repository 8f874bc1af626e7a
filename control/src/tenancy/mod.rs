//! Organizations and what they hold: members and invitations, the catalog
//! they subscribe from, subscriptions, quotas and devices, and the
//! organization page's read model. Every operation here goes through
//! [`access`], the membership and role check.

pub mod access;
pub mod api_clients;
pub mod back_office;
pub mod backups;
pub(crate) mod catalog;
pub mod courses;
pub mod custom_domains;
pub mod device_telemetry;
pub mod devices;
pub mod learner_imports;
pub mod limits;
pub mod members;
pub mod modules;
pub mod organizations;
pub(crate) mod pages;
pub mod plan_review;
pub(crate) mod progress;
pub(crate) mod quotas;
pub mod subscriptions;

pub use catalog::CatalogCopy;
