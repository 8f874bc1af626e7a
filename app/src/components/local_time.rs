//! An instant as its reader reads it: the server writes it in UTC in the
//! page's language, and `/local-times.js` (deferred in the head of the pages
//! that show instants, `routes::shows_instants`) rewrites it in the
//! browser's own time zone, which the server cannot know. Without JavaScript the UTC
//! text stays, saying so.

use leptos::prelude::*;

use crate::i18n::{format_instant, use_locale};

/// `at` (RFC 3339, or `YYYY-MM-DD HH:MM`, in UTC) in a `<time>`.
#[component]
pub fn LocalTime(at: String) -> impl IntoView {
    let text = format_instant(use_locale(), &at).unwrap_or_else(|| at.clone());
    // A `datetime` the browser parses: the database's form gets its `T` and zone.
    let datetime = match at.as_bytes().get(10) {
        Some(b' ') => format!("{}Z", at.replacen(' ', "T", 1)),
        _ => at,
    };
    view! { <time datetime=datetime data-local>{text}</time> }
}
