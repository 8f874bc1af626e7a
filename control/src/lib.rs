//! The Bibind control plane.
//!
//! Pure domain types ([`domain`], [`clock`]) compile everywhere, including the
//! wasm front end. With the `server` feature, [`Control`] adds the PostgreSQL
//! store and the operations that pages, server functions and the REST API call.
//! Nothing here knows about Leptos or axum.

pub mod client_ip;
pub mod clock;
pub mod domain;

#[cfg(feature = "server")]
pub mod access;
#[cfg(feature = "server")]
pub mod admins;
#[cfg(feature = "server")]
pub mod audit;
#[cfg(feature = "server")]
pub mod backends;
#[cfg(feature = "server")]
mod catalog;
#[cfg(feature = "server")]
pub mod change_cache;
#[cfg(feature = "server")]
pub mod consent;
#[cfg(feature = "server")]
pub mod devices;
#[cfg(feature = "server")]
mod error;
#[cfg(feature = "server")]
pub mod identity;
#[cfg(feature = "server")]
pub mod jobs;
#[cfg(feature = "server")]
pub mod limits;
#[cfg(feature = "server")]
pub mod login;
#[cfg(feature = "server")]
pub mod mail;
#[cfg(feature = "server")]
pub mod members;
#[cfg(feature = "server")]
mod organization_pages;
#[cfg(feature = "server")]
pub mod organizations;
#[cfg(feature = "server")]
pub mod plan_admin;
#[cfg(feature = "server")]
pub mod portal_sessions;
#[cfg(feature = "server")]
pub mod provisioning;
#[cfg(feature = "server")]
mod quotas;
#[cfg(feature = "server")]
pub mod store;
#[cfg(feature = "server")]
pub mod subscriptions;
#[cfg(feature = "server")]
pub mod tenant_admin;
#[cfg(feature = "server")]
pub mod tenants;
#[cfg(feature = "server")]
pub mod throttle;

#[cfg(feature = "server")]
pub use error::{Error, Result};

#[cfg(feature = "server")]
pub use control_plane::Control;

#[cfg(feature = "server")]
mod control_plane {
    use std::sync::Arc;

    use crate::{
        clock::Clock,
        identity::{Hydra, Kratos},
        store::Db,
    };

    /// The entry point to every operation of the control plane.
    ///
    /// Cheap to clone (one reference count); shared by every request and
    /// worker of a replica.
    #[derive(Clone)]
    pub struct Control(Arc<Parts>);

    #[derive(Clone)]
    pub struct Parts {
        pub(crate) db: Db,
        pub(crate) clock: Arc<dyn Clock>,
        kratos: Option<Kratos>,
        hydra: Option<Hydra>,
        public_url: String,
        pub(crate) mailer: Option<crate::mail::Mailer>,
        pub(crate) catalog_cache: Arc<crate::catalog::CatalogCache>,
        pub(crate) organization_pages: crate::organization_pages::OrganizationPages,
        /// New organizations wait for a platform admin's approval.
        pub(crate) approve_new_organizations: bool,
        pub(crate) throttle_limits: crate::throttle::ThrottleLimits,
        pub(crate) platform_limits: crate::limits::PlatformLimits,
    }

    impl std::ops::Deref for Control {
        type Target = Parts;

        fn deref(&self) -> &Parts {
            &self.0
        }
    }

    impl Control {
        pub fn new(db: Db, clock: Arc<dyn Clock>) -> Self {
            Self(Arc::new(Parts {
                db,
                clock,
                kratos: None,
                hydra: None,
                public_url: String::new(),
                mailer: None,
                catalog_cache: Arc::default(),
                organization_pages: crate::organization_pages::new_cache(),
                approve_new_organizations: false,
                throttle_limits: crate::throttle::ThrottleLimits::default(),
                platform_limits: crate::limits::PlatformLimits::default(),
            }))
        }

        /// For the builders below, used while the control plane is set up.
        fn with(self, change: impl FnOnce(&mut Parts)) -> Self {
            let mut parts = Arc::unwrap_or_clone(self.0);
            change(&mut parts);
            Self(Arc::new(parts))
        }

        /// Replaces the default rate limits of sign-in and recovery.
        pub fn with_throttle_limits(self, limits: crate::throttle::ThrottleLimits) -> Self {
            self.with(|parts| parts.throttle_limits = limits)
        }

        /// Replaces the default limits against abuse (`[limits]`).
        pub fn with_platform_limits(self, limits: crate::limits::PlatformLimits) -> Self {
            self.with(|parts| parts.platform_limits = limits)
        }

        /// The portal's URL as browsers see it (no trailing slash): where
        /// Kratos sends people back, what e-mails link to.
        pub fn with_public_url(self, url: &str) -> Self {
            self.with(|parts| url.trim_end_matches('/').clone_into(&mut parts.public_url))
        }

        pub fn public_url(&self) -> &str {
            &self.public_url
        }

        /// Makes new organizations wait for a platform admin's approval.
        pub fn with_organization_approval(self, required: bool) -> Self {
            self.with(|parts| parts.approve_new_organizations = required)
        }

        /// Adds the mailer that sends the portal's own e-mail (invitations).
        pub fn with_mailer(self, mailer: crate::mail::Mailer) -> Self {
            self.with(|parts| parts.mailer = Some(mailer))
        }

        /// Adds the Kratos client the identity operations use.
        pub fn with_kratos(self, kratos: Kratos) -> Self {
            self.with(|parts| parts.kratos = Some(kratos))
        }

        /// Adds the Hydra admin client the login/consent provider uses.
        pub fn with_hydra(self, hydra: Hydra) -> Self {
            self.with(|parts| parts.hydra = Some(hydra))
        }

        pub fn hydra(&self) -> crate::Result<&Hydra> {
            self.hydra.as_ref().ok_or(crate::Error::NotConfigured("Hydra"))
        }

        pub fn kratos(&self) -> crate::Result<&Kratos> {
            self.kratos.as_ref().ok_or(crate::Error::NotConfigured("Kratos"))
        }

        /// The current time, from the injected clock.
        pub fn now(&self) -> time::OffsetDateTime {
            self.clock.now()
        }

        pub fn db(&self) -> &Db {
            &self.db
        }

        /// Whether the database answers; used by readiness probes.
        pub async fn check_database(&self) -> crate::Result<()> {
            self.db.ping().await
        }
    }
}
