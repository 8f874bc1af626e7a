//! Tenant applications live on a registrable domain of their own: a tenant's
//! page that is same-site with the portal gets the portal's `SameSite`
//! cookies sent with its requests and can set cookies the portal reads
//! (cookie tossing). The portal refuses cross-site posts by `Origin` /
//! `Sec-Fetch-Site` and binds its form tokens to the session anyway; this
//! keeps the tenants off the portal's site in the first place.

/// The registrable domain ("site") of a host name, without the Public Suffix
/// List: the last two labels, or three under a two-letter country code whose
/// second level is a generic one (`co.uk`, `com.au`, `gouv.fr` …). Errs on
/// the side of calling two hosts the same site.
pub(crate) fn registrable_domain(host: &str) -> String {
    let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
    let labels: Vec<&str> = host.split('.').filter(|label| !label.is_empty()).collect();
    let generic_second_level = ["co", "com", "org", "net", "gov", "gouv", "ac", "edu", "ne", "or"];
    let keep = match labels.as_slice() {
        [.., second, top] if top.len() == 2 && generic_second_level.contains(second) => 3,
        _ => 2,
    };
    labels[labels.len().saturating_sub(keep)..].join(".")
}

/// The host of a URL (`scheme://host[:port]/…`).
fn host_of(url: &str) -> Option<&str> {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let host = match host.strip_prefix('[') {
        Some(ipv6) => ipv6.split(']').next()?,
        None => host.split(':').next()?,
    };
    (!host.is_empty()).then_some(host)
}

/// Refuses tenant domains (`(key, domain)`) on the portal's site, when the
/// portal is served over https (a production set-up; the development stack
/// keeps everything on `localhost`).
pub(crate) fn check_tenant_apps_are_another_site(
    portal_url: &str,
    domains: &[(&str, &str)],
) -> Result<(), String> {
    if !portal_url.starts_with("https://") {
        return Ok(());
    }
    let Some(portal_host) = host_of(portal_url) else {
        return Ok(());
    };
    let portal_site = registrable_domain(portal_host);
    for (key, domain) in domains {
        if registrable_domain(domain) == portal_site {
            return Err(format!(
                "{key} ({domain}) is on the portal's own site ({portal_site}): tenant applications \
                 must live on a registrable domain separate from the portal's (for example \
                 shop.bibind-apps.fr for a portal at portal.bibind.fr), or a tenant's page could \
                 plant cookies for the portal and post to it as a same-site page"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sites_are_the_registrable_domains() {
        assert_eq!(registrable_domain("portal.bibind.fr"), "bibind.fr");
        assert_eq!(registrable_domain("acme.shop.bibind.fr"), "bibind.fr");
        assert_eq!(registrable_domain("shop.bibind-apps.fr."), "bibind-apps.fr");
        assert_eq!(registrable_domain("portal.bibind.co.uk"), "bibind.co.uk");
        assert_eq!(registrable_domain("localhost"), "localhost");
    }

    #[test]
    fn a_tenant_domain_on_the_portals_site_is_refused_on_https() {
        let same = check_tenant_apps_are_another_site(
            "https://portal.bibind.fr",
            &[("provisioning.ecommerce_domain", "shop.bibind.fr")],
        );
        assert!(same.is_err_and(|e| e.contains("provisioning.ecommerce_domain")));
        assert!(check_tenant_apps_are_another_site(
            "https://bibind.fr:8443/",
            &[("provisioning.training_domain", "learn.bibind.fr")],
        )
        .is_err());
        assert!(check_tenant_apps_are_another_site(
            "https://portal.bibind.fr",
            &[("provisioning.ecommerce_domain", "shop.bibind-apps.fr")],
        )
        .is_ok());
        // The development stack: everything on localhost, over http.
        assert!(check_tenant_apps_are_another_site(
            "http://localhost:3000",
            &[("provisioning.ecommerce_domain", "shop.localhost")],
        )
        .is_ok());
    }
}
