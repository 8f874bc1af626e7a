//! An instant as its reader reads it: the server writes it in UTC in the
//! page's language, and `/local-times.js` rewrites it in the browser's own
//! time zone (the server cannot know it; without JavaScript the UTC text
//! stays, saying so).

use std::sync::{
    atomic::{AtomicBool, Ordering},
    Arc,
};

use leptos::prelude::*;

use crate::i18n::{format_instant, use_locale};

/// Whether the page has its `<script>` already: the first instant of a
/// page brings it, the others do not repeat it.
#[derive(Clone, Default)]
pub struct LocalTimesScript(Arc<AtomicBool>);

/// `at` (RFC 3339, or `YYYY-MM-DD HH:MM`, in UTC) in a `<time>`.
#[component]
pub fn LocalTime(at: String) -> impl IntoView {
    let text = format_instant(use_locale(), &at).unwrap_or_else(|| at.clone());
    let first =
        use_context::<LocalTimesScript>().is_some_and(|script| !script.0.swap(true, Ordering::Relaxed));
    // A `datetime` the browser parses: the database's form gets its `T` and zone.
    let datetime = match at.as_bytes().get(10) {
        Some(b' ') => format!("{}Z", at.replacen(' ', "T", 1)),
        _ => at,
    };
    view! {
        <time datetime=datetime data-local>{text}</time>
        {first.then(|| view! { <script src="/local-times.js" defer></script> })}
    }
}
