use serde::{Deserialize, Serialize};

/// A language the portal speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Locale {
    #[default]
    En,
    Fr,
}

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::En, Locale::Fr];

    /// The BCP 47 tag, as used in `<html lang>` and cookies.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Fr => "fr",
        }
    }

    /// Parses a tag such as `fr`, `fr-FR` or `EN-gb`; other languages are `None`.
    pub fn from_tag(tag: &str) -> Option<Self> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Locale::En),
            "fr" => Some(Locale::Fr),
            _ => None,
        }
    }

    /// Picks the best supported language from an `Accept-Language` header,
    /// honouring quality values; falls back to English.
    pub fn negotiate(accept_language: &str) -> Self {
        let mut best: Option<(Locale, f32)> = None;
        for range in accept_language.split(',') {
            let mut parts = range.split(';');
            let Some(tag) = parts.next() else { continue };
            let quality = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if let Some(locale) = Locale::from_tag(tag) {
                if quality > 0.0 && best.is_none_or(|(_, q)| quality > q) {
                    best = Some((locale, quality));
                }
            }
        }
        best.map(|(locale, _)| locale).unwrap_or_default()
    }
}

/// A text stored in both languages (plan and offer names come from the database).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalizedText {
    pub en: String,
    pub fr: String,
}

impl LocalizedText {
    pub fn get(&self, locale: Locale) -> &str {
        match locale {
            Locale::En => &self.en,
            Locale::Fr => &self.fr,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tags_leniently() {
        assert_eq!(Locale::from_tag("fr-FR"), Some(Locale::Fr));
        assert_eq!(Locale::from_tag(" EN_gb"), Some(Locale::En));
        assert_eq!(Locale::from_tag("de"), None);
        assert_eq!(Locale::from_tag(""), None);
    }

    #[test]
    fn negotiates_by_quality() {
        assert_eq!(Locale::negotiate("fr-CH, fr;q=0.9, en;q=0.8"), Locale::Fr);
        assert_eq!(Locale::negotiate("de-DE, en;q=0.5, fr;q=0.7"), Locale::Fr);
        assert_eq!(Locale::negotiate("en-US,en;q=0.9,fr;q=0.8"), Locale::En);
        assert_eq!(Locale::negotiate("fr;q=0"), Locale::En);
        assert_eq!(Locale::negotiate("de, it"), Locale::En);
        assert_eq!(Locale::negotiate("garbage;;q=x"), Locale::En);
    }
}
