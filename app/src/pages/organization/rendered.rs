//! Organization pages kept rendered: the dashboard is the portal's busiest
//! page, and most of its cost is turning the same data into the same HTML
//! again. A page is kept under what it was made from ([`PageOrigin`]) and
//! the language it is written in, and served again, with the request's own
//! CSRF token put in, for as long as that origin comes back.
//!
//! The rule that makes this safe is stated once, in `api::organization_page`:
//! a page gets an origin only when nothing on it depends on who looks
//! rather than on their role. An origin is never reused: the read model's
//! copies and the catalog's are numbered once per process, so a change to
//! anything on the page (or the next invitation expiring) is a new origin,
//! and the old page is never asked for again.
//!
//! Memory is bounded: at most [`CAPACITY`] pages, the least recently used
//! forgotten first (ARCHITECTURE.md, "Memory").

use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use control::domain::Locale;
use hashlink::LinkedHashMap;

use crate::api::PageOrigin;

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

static PAGES: LazyLock<Kept<Key>> = LazyLock::new(|| Kept::new(CAPACITY));

/// What kept pages carry where the request's CSRF token goes: unguessable
/// (so that no text on a page can contain it) and shaped like a token (so
/// that escaping leaves it as it is).
static TOKEN_STAND_IN: LazyLock<String> = LazyLock::new(crate::csrf::new_token);

/// The page of `key` with `csrf_token` in its forms: kept, or rendered by
/// `render` (given the token to write) and kept.
pub(super) fn page(key: Key, csrf_token: &str, render: impl FnOnce(String) -> String) -> String {
    PAGES.page(key, &TOKEN_STAND_IN, csrf_token, render)
}

/// Rendered pages, least recently used first.
struct Kept<K> {
    pages: Mutex<LinkedHashMap<K, Arc<str>>>,
    capacity: usize,
}

impl<K: std::hash::Hash + Eq> Kept<K> {
    fn new(capacity: usize) -> Self {
        Self {
            pages: Mutex::new(LinkedHashMap::new()),
            capacity,
        }
    }

    fn page(
        &self,
        key: K,
        stand_in: &str,
        csrf_token: &str,
        render: impl FnOnce(String) -> String,
    ) -> String {
        let kept = self.lock().to_back(&key).cloned();
        let html = kept.unwrap_or_else(|| {
            // Rendered outside the lock: other pages are served meanwhile.
            let html: Arc<str> = render(stand_in.to_owned()).into();
            let mut pages = self.lock();
            pages.insert(key, html.clone());
            while pages.len() > self.capacity {
                pages.pop_front();
            }
            html
        });
        html.replace(stand_in, csrf_token)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LinkedHashMap<K, Arc<str>>> {
        self.pages.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::Kept;

    const STAND_IN: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn a_page_is_rendered_once_and_each_request_gets_its_own_token() {
        let kept = Kept::new(10);
        let renders = Cell::new(0);
        let render = |token: String| {
            renders.set(renders.get() + 1);
            format!("<form><input name=\"csrf_token\" value=\"{token}\"></form>")
        };
        let first = kept.page(1, STAND_IN, "alice-token", render);
        let second = kept.page(1, STAND_IN, "bob-token", render);
        assert_eq!(renders.get(), 1, "the second request is served the kept page");
        assert!(
            first.contains("value=\"alice-token\"") && !first.contains(STAND_IN),
            "{first}"
        );
        assert!(
            second.contains("value=\"bob-token\"") && !second.contains("alice"),
            "{second}"
        );
        kept.page(2, STAND_IN, "alice-token", render);
        assert_eq!(renders.get(), 2, "another origin is another page");
    }

    #[test]
    fn the_least_recently_used_page_is_forgotten_first() {
        let kept = Kept::new(2);
        let page = |key: u8| kept.page(key, STAND_IN, "t", |_| format!("page {key}"));
        page(1);
        page(2);
        page(1); // used again: 2 is now the oldest
        page(3);
        let keys: Vec<u8> = kept.lock().keys().copied().collect();
        assert_eq!(keys, [1, 3], "2, the least recently used, was forgotten");
    }
}
