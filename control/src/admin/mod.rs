//! The platform admin's operations: platform admins themselves, the
//! organization search and detail (called "tenants" in the admin's words),
//! decisions on organizations and subscriptions, plans, and the platform's
//! audit trail.

pub mod admins;
pub mod audit;
pub mod backups;
pub mod decisions;
pub mod organizations;
pub mod plans;
