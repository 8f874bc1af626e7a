//! Where browsers reach tenants' applications: `<slug>.<the offer's
//! domain>` through the ingress, at `url_template` with `{host}` replaced
//! (`https://{host}` in production; a development stack adds the
//! simulator's port), and where sign-ins into them start (Hydra's public URL).

use serde::{Deserialize, Serialize};

use super::OfferKind;

/// Why a live site did not answer the reconciler's last check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "status", rename_all = "snake_case")]
pub enum SiteProblem {
    /// It answered with this error status (5xx, or a 4xx on its home page).
    Status(u16),
    /// No answer within the check's time.
    Timeout,
    /// No connection (refused, reset, unknown host, TLS).
    NoConnection,
}

/// Whether a live site answers, as the reconciler last saw it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteCheck {
    /// `None`: it answers.
    pub problem: Option<SiteProblem>,
    /// Since when it has answered (or not), UTC RFC 3339.
    pub since: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sites {
    pub ecommerce_domain: String,
    pub training_domain: String,
    pub iot_domain: String,
    /// `{host}` is replaced by a tenant's host.
    pub url_template: String,
    /// Hydra's public URL, no trailing slash.
    pub hydra_public_url: String,
    /// Where the control plane sends its checks of the sites (the
    /// ingress's address, the site's host in the `Host` header); `None`:
    /// to the site's address itself.
    pub ingress_url: Option<String>,
}

impl Sites {
    /// `<slug>.<domain>`: the Ingress's host and what Odoo's `dbfilter` reads.
    pub fn host(&self, slug: &str, offer: OfferKind) -> String {
        let domain = match offer {
            OfferKind::Ecommerce => &self.ecommerce_domain,
            OfferKind::Training => &self.training_domain,
            OfferKind::Iot => &self.iot_domain,
        };
        format!("{slug}.{domain}")
    }

    /// Where Hydra sends a sign-in into the site's Odoo back (auth_oauth's route).
    pub fn odoo_callback(&self, slug: &str, offer: OfferKind) -> String {
        format!("{}/auth_oauth/signin", self.url(slug, offer))
    }

    /// The site's address as browsers use it, without a trailing slash.
    pub fn url(&self, slug: &str, offer: OfferKind) -> String {
        self.url_template
            .replace("{host}", &self.host(slug, offer))
            .trim_end_matches('/')
            .to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_site_is_the_slug_under_its_offers_domain_at_the_template() {
        let sites = Sites {
            ecommerce_domain: "shop.example".into(),
            training_domain: "learn.example".into(),
            iot_domain: "iot.example".into(),
            url_template: "http://{host}:8069/".into(),
            hydra_public_url: "https://auth.example".into(),
            ingress_url: None,
        };
        assert_eq!(sites.host("acme", OfferKind::Training), "acme.learn.example");
        assert_eq!(
            sites.url("acme", OfferKind::Ecommerce),
            "http://acme.shop.example:8069"
        );
    }
}
