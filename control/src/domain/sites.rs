//! Where browsers reach tenants' applications: `<slug>.<the offer's
//! domain>` through the ingress, at `url_template` with `{host}` replaced
//! (`https://{host}` in production; a development stack adds the
//! simulator's port), and where sign-ins into them start (Hydra's public URL).

use super::OfferKind;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sites {
    pub ecommerce_domain: String,
    pub training_domain: String,
    pub iot_domain: String,
    /// `{host}` is replaced by a tenant's host.
    pub url_template: String,
    /// Hydra's public URL, no trailing slash.
    pub hydra_public_url: String,
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
        };
        assert_eq!(sites.host("acme", OfferKind::Training), "acme.learn.example");
        assert_eq!(
            sites.url("acme", OfferKind::Ecommerce),
            "http://acme.shop.example:8069"
        );
    }
}
