use std::fmt;

use serde::{Deserialize, Serialize};

/// An e-mail address, checked once at the edge: one `@`, a non-empty local
/// part, a dotted domain, no spaces, at most 320 characters. Stored lowercase.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(raw: &str) -> Option<Self> {
        let trimmed = raw.trim();
        let (local, domain) = trimmed.split_once('@')?;
        let valid = trimmed.len() <= 320
            && !local.is_empty()
            && local.len() <= 64
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !trimmed.chars().any(|c| c.is_whitespace() || c.is_control());
        valid.then(|| Self(trimmed.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::EmailAddress;

    #[test]
    fn addresses_are_parsed_once_and_lowercased() {
        assert_eq!(
            EmailAddress::parse(" Camille@Example.COM ").map(|e| e.to_string()),
            Some("camille@example.com".into())
        );
        for bad in [
            "",
            "camille",
            "@example.com",
            "camille@",
            "camille@example",
            "a b@example.com",
            "a@b@c.com",
            "x@.com",
        ] {
            assert!(EmailAddress::parse(bad).is_none(), "{bad:?}");
        }
    }
}
