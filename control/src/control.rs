//! [`Control`], the entry point to every operation, and what all of them
//! share: its parts, and how a committed change reaches the cached pages.

use std::sync::Arc;

use uuid::Uuid;

use crate::{
    clock::Clock,
    identity::{Hydra, Kratos},
    infra::store::Db,
    Result,
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
    /// Hydra's token endpoint as API clients reach it.
    api_token_url: String,
    api_authorization_url: String,
    public_url: String,
    pub(crate) mailer: Option<crate::infra::mail::Mailer>,
    pub(crate) catalog_cache: Arc<crate::tenancy::catalog::CatalogCache>,
    pub(crate) organization_pages: crate::tenancy::pages::OrganizationPages,
    pub(crate) api_tokens: crate::identity::api_tokens::ApiTokens,
    /// The application each sign-in this replica sent is for, until its page is shown.
    pub(crate) asking_applications: crate::identity::asking::AskingApplications,
    /// New organizations wait for a platform admin's approval.
    pub(crate) approve_new_organizations: bool,
    pub(crate) throttle_limits: crate::identity::throttle::ThrottleLimits,
    pub(crate) platform_limits: crate::tenancy::limits::PlatformLimits,
    /// Where tenants' applications are, when this portal provisions them.
    pub(crate) sites: Option<crate::domain::Sites>,
    /// Checks owners' DNS records for their own domains.
    pub(crate) dns: Option<crate::infra::dns::DnsChecker>,
    /// Where devices' passwords are read to be shown once, and the broker
    /// as devices reach it, when this portal provisions IoT spaces.
    pub(crate) devices: Option<DeviceAccess>,
}

/// What showing a device its credentials needs.
#[derive(Clone)]
pub struct DeviceAccess {
    pub secrets: Arc<dyn crate::backends::vault::SecretStore>,
    /// The broker's address for devices: `mqtts://host:port` or
    /// `mqtt://host:port`.
    pub broker_url: String,
    /// The portal's own broker client, which sends devices their commands.
    pub commands: Option<crate::backends::mqtt::PortalClient>,
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
            api_token_url: String::new(),
            api_authorization_url: String::new(),
            public_url: String::new(),
            mailer: None,
            catalog_cache: Arc::default(),
            organization_pages: crate::tenancy::pages::new_cache(),
            api_tokens: crate::identity::api_tokens::ApiTokens::new(),
            asking_applications: crate::identity::asking::AskingApplications::default(),
            approve_new_organizations: false,
            throttle_limits: crate::identity::throttle::ThrottleLimits::default(),
            platform_limits: crate::tenancy::limits::PlatformLimits::default(),
            sites: None,
            dns: None,
            devices: None,
        }))
    }

    /// For the builders below, used while the control plane is set up.
    fn with(self, change: impl FnOnce(&mut Parts)) -> Self {
        let mut parts = Arc::unwrap_or_clone(self.0);
        change(&mut parts);
        Self(Arc::new(parts))
    }

    /// Replaces the default rate limits of sign-in and recovery.
    pub fn with_throttle_limits(self, limits: crate::identity::throttle::ThrottleLimits) -> Self {
        self.with(|parts| parts.throttle_limits = limits)
    }

    /// Replaces the default limits against abuse (`[limits]`).
    pub fn with_platform_limits(self, limits: crate::tenancy::limits::PlatformLimits) -> Self {
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

    /// Where the tenants' applications are: their pages link them.
    pub fn with_sites(self, sites: crate::domain::Sites) -> Self {
        self.with(|parts| parts.sites = Some(sites))
    }

    /// How owners' own domains are checked.
    pub fn with_dns(self, dns: crate::infra::dns::DnsChecker) -> Self {
        self.with(|parts| parts.dns = Some(dns))
    }

    /// Lets owners see their devices' passwords (once) and how to connect.
    pub fn with_device_access(self, devices: DeviceAccess) -> Self {
        self.with(|parts| parts.devices = Some(devices))
    }

    /// Makes new organizations wait for a platform admin's approval.
    pub fn with_organization_approval(self, required: bool) -> Self {
        self.with(|parts| parts.approve_new_organizations = required)
    }

    /// Adds the mailer that sends the portal's own e-mail (invitations).
    pub fn with_mailer(self, mailer: crate::infra::mail::Mailer) -> Self {
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

    /// Hydra's public URL, where API clients get their tokens.
    pub fn with_token_issuer(self, hydra_public_url: &str) -> Self {
        let issuer = hydra_public_url.trim_end_matches('/');
        let (token, authorization) = (format!("{issuer}/oauth2/token"), format!("{issuer}/oauth2/auth"));
        self.with(|parts| {
            parts.api_token_url = token;
            parts.api_authorization_url = authorization;
        })
    }

    /// Where people's command line sends them to sign in (authorization code).
    pub fn api_authorization_url(&self) -> &str {
        &self.api_authorization_url
    }

    /// Where API clients get their tokens (client credentials).
    pub fn api_token_url(&self) -> &str {
        &self.api_token_url
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

/// Which organizations' pages a committed change touched.
pub(crate) enum PageChange {
    Organization(Uuid),
    Subscriptions(Vec<Uuid>),
    /// A plan or an offer: every page that shows one.
    Everything,
}

impl crate::Control {
    /// Commits `tx`, then forgets the pages it changed on this replica at
    /// once (the others forget them when the triggers' announcement arrives).
    pub(crate) async fn commit_page_change(
        &self,
        tx: sqlx::Transaction<'_, sqlx::Postgres>,
        change: PageChange,
    ) -> Result<()> {
        tx.commit().await?;
        self.page_changed(change);
        Ok(())
    }

    pub(crate) fn page_changed(&self, change: PageChange) {
        let pages = &self.organization_pages;
        match change {
            PageChange::Organization(id) => pages.forget_where(|_, record| record.id == id),
            PageChange::Subscriptions(ids) if ids.is_empty() => {}
            PageChange::Subscriptions(ids) => {
                pages.forget_where(|_, record| ids.iter().any(|id| record.has_subscription(*id)));
            }
            PageChange::Everything => pages.forget_all(),
        }
    }
}
