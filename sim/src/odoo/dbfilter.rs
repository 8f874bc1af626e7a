//! Which databases a request's host may reach: Odoo's `dbfilter`
//! (odoo/http.py `db_filter`). `%h` is the host without its port and a
//! leading `www.`, `%d` its first label; the pattern matches from the start
//! of a database name (Python's `re.match`).
//!
//! One simulator stands in for every tenant's Odoo behind the ingress, so a
//! filter may be scoped to the hosts under a domain (`DOMAIN=PATTERN`): the
//! ingress sends `*.shop.example` to the shops' servers and
//! `*.learn.example` to the training spaces'. Without any filter every
//! database is visible, as in Odoo.

use regex::Regex;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DbFilter {
    /// Applies to hosts under this domain; `None`: to every other host.
    domain: Option<String>,
    pattern: String,
}

impl std::str::FromStr for DbFilter {
    type Err = String;

    /// `PATTERN` or `DOMAIN=PATTERN`.
    fn from_str(text: &str) -> Result<Self, String> {
        let (domain, pattern) = match text.split_once('=') {
            Some((domain, pattern)) if !domain.contains(['^', '%', '(', '\\']) => {
                (Some(domain.trim_start_matches('.').to_ascii_lowercase()), pattern)
            }
            _ => (None, text),
        };
        // The placeholders replaced by a literal, the rest must be a regex.
        Regex::new(&pattern.replace("%h", "h").replace("%d", "d"))
            .map_err(|error| format!("--db-filter {text}: {error}"))?;
        Ok(Self {
            domain,
            pattern: pattern.to_owned(),
        })
    }
}

/// The filters of a server: the one for the host's domain, else the general one.
#[derive(Clone, Debug, Default)]
pub struct DbFilters(Vec<DbFilter>);

impl DbFilters {
    pub fn new(filters: Vec<DbFilter>) -> Self {
        Self(filters)
    }

    /// Of `names`, those `host` may reach.
    pub fn visible<'a>(&self, host: &str, names: impl IntoIterator<Item = &'a String>) -> Vec<String> {
        let host = host
            .rsplit_once(':')
            .map_or(host, |(name, _)| name)
            .to_ascii_lowercase();
        let host = host.strip_prefix("www.").unwrap_or(&host).to_owned();
        let scoped = self.0.iter().find(|filter| {
            filter
                .domain
                .as_deref()
                .is_some_and(|domain| host.ends_with(&format!(".{domain}")))
        });
        if self.0.is_empty() {
            return names.into_iter().cloned().collect();
        }
        // Filters, none for this host: the ingress sends it nowhere.
        let Some(filter) = scoped.or_else(|| self.0.iter().find(|filter| filter.domain.is_none())) else {
            return Vec::new();
        };
        let first_label = host.split('.').next().unwrap_or_default();
        let pattern = filter
            .pattern
            .replace("%h", &regex::escape(&host))
            .replace("%d", &regex::escape(first_label));
        match Regex::new(&format!("^(?:{pattern})")) {
            Ok(regex) => names
                .into_iter()
                .filter(|name| regex.is_match(name))
                .cloned()
                .collect(),
            Err(_) => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<String> {
        [
            "tenant-acme-ecommerce",
            "tenant-acme-training",
            "tenant-acme2-ecommerce",
        ]
        .map(String::from)
        .to_vec()
    }

    fn filters(texts: &[&str]) -> DbFilters {
        DbFilters::new(texts.iter().map(|text| text.parse().unwrap()).collect())
    }

    #[test]
    fn without_a_filter_every_database_is_visible() {
        assert_eq!(DbFilters::default().visible("x.example", &names()).len(), 3);
    }

    #[test]
    fn the_first_label_picks_the_database_and_the_domain_the_filter() {
        let filters = filters(&[
            "shop.localhost=^tenant-%d-ecommerce$",
            "learn.localhost=^tenant-%d-training$",
        ]);
        assert_eq!(
            filters.visible("acme.shop.localhost:8069", &names()),
            ["tenant-acme-ecommerce"]
        );
        assert_eq!(
            filters.visible("www.acme.learn.localhost", &names()),
            ["tenant-acme-training"]
        );
        assert_eq!(
            filters.visible("acme2.shop.localhost", &names()),
            ["tenant-acme2-ecommerce"]
        );
        // No filter for the domain and no general one: nothing.
        assert!(filters.visible("acme.other.example", &names()).is_empty());
    }

    #[test]
    fn a_pattern_matches_from_the_start_as_python_re_match() {
        assert!(filters(&["acme"]).visible("x", &names()).is_empty());
        assert_eq!(filters(&["tenant-acme-"]).visible("x", &names()).len(), 2);
    }

    #[test]
    fn a_bad_pattern_is_refused() {
        assert!("(".parse::<DbFilter>().is_err());
    }
}
