//! A shop's or training space's own domain (`shop.example.fr`): the owner
//! adds it, creates the two DNS records the portal shows (a CNAME to the
//! service's host, a TXT proving they control the name), the portal checks
//! them with a real resolver, and once they hold the ingress serves the
//! domain with its own certificate and Odoo's website answers to it.

use serde::{Deserialize, Serialize};

use super::FieldProblem;

/// Where the TXT record proving control of `domain` lives.
pub const CHALLENGE_LABEL: &str = "_bibind-challenge";

/// A domain name as an owner may claim it: lower case, a subdomain (a
/// domain's apex cannot be a CNAME), labels of letters, digits and inner
/// hyphens.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainName(String);

impl DomainName {
    pub fn parse(raw: &str) -> Result<Self, FieldProblem> {
        let name = raw.trim().trim_end_matches('.').to_ascii_lowercase();
        if name.is_empty() {
            return Err(FieldProblem::Missing);
        }
        if name.len() > 253 {
            return Err(FieldProblem::TooLong);
        }
        let labels: Vec<&str> = name.split('.').collect();
        let label_ok = |label: &&str| {
            (1..=63).contains(&label.len())
                && label
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        };
        if !labels.iter().all(label_ok) {
            return Err(FieldProblem::BadCharacters);
        }
        // A top-level domain is letters: `10.0.0.1` is an address, not a name.
        if labels
            .last()
            .is_some_and(|tld| !tld.chars().all(|c| c.is_ascii_lowercase()))
        {
            return Err(FieldProblem::BadCharacters);
        }
        if labels.len() < 3 {
            return Err(FieldProblem::NotASubdomain);
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether it is `domain` or under it (Bibind's own domains are not
    /// for customers to claim).
    pub fn is_within(&self, domain: &str) -> bool {
        let domain = domain.trim_end_matches('.').to_ascii_lowercase();
        self.0 == domain || self.0.ends_with(&format!(".{domain}"))
    }

    /// The name of its TXT record.
    pub fn challenge_name(&self) -> String {
        format!("{CHALLENGE_LABEL}.{}", self.0)
    }
}

/// Where an own domain is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DomainState {
    /// Added; its DNS records are not (all) found yet.
    Pending,
    /// Its records hold; the service is being set up to answer it.
    Verified,
    /// The service answers it, with its certificate requested.
    Bound,
}

/// Why the last check of the DNS records did not pass.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "found", rename_all = "snake_case")]
pub enum DomainProblem {
    /// No TXT record at the challenge name (yet).
    TxtMissing,
    /// TXT records there, none with the token.
    TxtWrong,
    /// No CNAME at the domain (yet).
    CnameMissing,
    /// A CNAME to another name than the service's host (the name it points to).
    CnameWrong(String),
    /// The resolver did not answer.
    NoAnswer,
}

/// A DNS record the owner must create.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsRecord {
    /// `CNAME` or `TXT`.
    pub kind: String,
    pub name: String,
    pub value: String,
}

/// A service's own domain as its page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomDomainView {
    pub domain: String,
    pub state: DomainState,
    /// What to create at the DNS provider.
    pub records: Vec<DnsRecord>,
    /// When the records were last checked (UTC RFC 3339), and what was wrong.
    pub checked_at: Option<String>,
    pub problem: Option<DomainProblem>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_domain_is_a_lower_case_subdomain_of_plain_labels() {
        let parsed = DomainName::parse(" Shop.Example.FR. ").map(|d| d.as_str().to_owned());
        assert_eq!(parsed, Ok("shop.example.fr".to_owned()));
        assert_eq!(DomainName::parse("example.fr"), Err(FieldProblem::NotASubdomain));
        assert_eq!(DomainName::parse(""), Err(FieldProblem::Missing));
        for bad in [
            "shop..example.fr",
            "-shop.example.fr",
            "shop_1.example.fr",
            "10.0.0.1",
            "shop.éxample.fr",
        ] {
            assert_eq!(DomainName::parse(bad), Err(FieldProblem::BadCharacters), "{bad}");
        }
        assert_eq!(
            DomainName::parse(&format!("{}.example.fr", "a.".repeat(130))),
            Err(FieldProblem::TooLong)
        );
    }

    #[test]
    fn bibinds_own_domains_are_recognised() {
        let name = DomainName::parse("acme.shop.bibind-apps.fr").unwrap_or_else(|e| panic!("{e:?}"));
        assert!(name.is_within("bibind-apps.fr"));
        assert!(name.is_within("shop.bibind-apps.fr."));
        assert!(!name.is_within("apps.fr.example"));
        assert_eq!(
            name.challenge_name(),
            "_bibind-challenge.acme.shop.bibind-apps.fr"
        );
    }
}
