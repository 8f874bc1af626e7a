//! Organization pages kept rendered: the dashboard is the portal's busiest
//! page, and most of its cost is turning the same data into the same HTML
//! again. A page is kept under what it was made from ([`PageOrigin`]) and
//! the language it is written in, and served again, with the request's own
//! CSRF token put in, for as long as that origin comes back: the origin is
//! found before any of the page's data is made
//! (`api::organization_page_origin`), so a kept page costs no more than
//! looking up the viewer's role.
//!
//! The rule that makes this safe is stated once, in `PageOrigin::of`:
//! a page gets an origin only when nothing on it depends on who looks
//! rather than on their role. An origin is never reused: the read model's
//! copies and the catalog's are numbered once per process, so a change to
//! anything on the page (or the next invitation expiring) is a new origin,
//! and the old page is never asked for again.
//!
//! Memory is bounded: at most [`CAPACITY`] pages, the least recently used
//! forgotten first (ARCHITECTURE.md, "Memory").

use std::sync::{Arc, LazyLock};

use control::domain::Locale;

use crate::{api::PageOrigin, cut::CutText, kept::Kept};

/// Pages kept at most: a dashboard's section is a few kilobytes.
const CAPACITY: usize = 2_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct Key {
    origin: PageOrigin,
    locale: Locale,
}

impl Key {
    pub(super) fn new(origin: PageOrigin, locale: Locale) -> Self {
        Self { origin, locale }
    }
}

static PAGES: LazyLock<Kept<Key, KeptPage>> = LazyLock::new(|| Kept::new(CAPACITY));

/// What kept pages carry where the request's CSRF token goes: unguessable
/// (so that no text on a page can contain it) and shaped like a token (so
/// that escaping leaves it as it is).
static TOKEN_STAND_IN: LazyLock<String> = LazyLock::new(crate::csrf::new_token);

/// The page kept under `key`, if any.
pub(super) fn kept(key: &Key) -> Option<Arc<KeptPage>> {
    PAGES.get(key)
}

/// Renders the page of `key` by `render` (given the token to write), keeps
/// it with its `title`, and gives it with `csrf_token` in its forms.
pub(super) fn keep(
    key: Key,
    title: String,
    csrf_token: &str,
    render: impl FnOnce(String) -> String,
) -> String {
    let page = KeptPage::new(title, render(TOKEN_STAND_IN.clone()), &TOKEN_STAND_IN);
    let html = page.with_token(csrf_token);
    PAGES.insert(key, Arc::new(page));
    html
}

/// A rendered page, cut once where the CSRF token goes, so that serving it
/// again is a copy rather than a search.
pub(super) struct KeptPage {
    pub(super) title: String,
    html: CutText<CsrfToken>,
}

/// The one value a kept page's forms take from the request.
#[derive(Debug, Clone, Copy, PartialEq)]
struct CsrfToken;

impl KeptPage {
    fn new(title: String, rendered: String, stand_in: &str) -> Self {
        Self {
            title,
            html: CutText::new(&rendered, &[(CsrfToken, stand_in)]),
        }
    }

    /// The page with `csrf_token` in each of its forms.
    pub(super) fn with_token(&self, csrf_token: &str) -> String {
        self.html.fill(|CsrfToken| csrf_token)
    }
}

#[cfg(test)]
mod tests {
    use super::KeptPage;

    const STAND_IN: &str = "0123456789abcdef0123456789abcdef";

    fn page(html: &str) -> KeptPage {
        KeptPage::new("Title".into(), html.replace("{token}", STAND_IN), STAND_IN)
    }

    #[test]
    fn each_request_gets_its_own_token_in_every_form() {
        let kept =
            page("<form><input value=\"{token}\"></form><p>text</p><form><input value=\"{token}\"></form>");
        let alice = kept.with_token("alice-token");
        let bob = kept.with_token("bob-token");
        assert_eq!(
            alice,
            "<form><input value=\"alice-token\"></form><p>text</p><form><input value=\"alice-token\"></form>"
        );
        assert!(
            !bob.contains("alice") && bob.matches("bob-token").count() == 2,
            "{bob}"
        );
        assert_eq!(page("<p>no form</p>").with_token("t"), "<p>no form</p>");
        assert_eq!(page("{token}").with_token("t"), "t", "a token at either end");
    }
}
