//! A table in its frame, as the admin's lists and the audit log draw it.

use leptos::prelude::*;

use super::classes::{TABLE_FRAME, TABLE_HEAD};

/// The rows (`children`) under a header row of `columns`, in a frame that
/// scrolls sideways on a narrow screen; `margin` is the space above it. The
/// frame takes the keyboard's focus, so that it scrolls without a mouse
/// (WCAG 2.1.1, axe's scrollable-region-focusable) when no link is inside.
#[component]
pub fn FramedTable(margin: &'static str, columns: Vec<&'static str>, children: Children) -> impl IntoView {
    let heads = columns
        .into_iter()
        .map(|column| view! { <th scope="col" class="px-3 py-2">{column}</th> })
        .collect_view();
    view! {
        <div class=format!("{margin} {TABLE_FRAME}") tabindex="0">
            <table class="min-w-full text-left text-sm">
                <thead class=TABLE_HEAD>
                    <tr>{heads}</tr>
                </thead>
                <tbody class="divide-y divide-slate-100">{children()}</tbody>
            </table>
        </div>
    }
}
