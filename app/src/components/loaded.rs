//! What every page that waits for a server function repeats: a loading line
//! while the data comes, the 500 page when it fails, the page's own content
//! once it is there.

use std::sync::Arc;

use leptos::{either::Either, prelude::*};

use crate::{
    components::status::ServerErrorPage,
    i18n::{t, Msg},
};

/// `<Loaded resource=page let:data>…</Loaded>`: the children see the
/// resource's value once loaded. A failed server function shows the 500 page
/// (its cause is already logged on the server). No error boundary: the
/// children's type stays as it is, which the busiest pages need (see
/// `pages/organization/subscriptions.rs`), and the one error is the resource's.
#[component]
pub fn Loaded<T, V, F>(
    resource: Resource<Result<T, ServerFnError>>,
    /// The loading line's classes: its margin depends on what stands above it.
    #[prop(default = "text-slate-600")]
    loading_class: &'static str,
    children: F,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    V: IntoView + 'static,
    F: Fn(T) -> V + Send + Sync + 'static,
{
    let children = Arc::new(children);
    view! {
        <Suspense fallback=move || view! { <p class=loading_class>{t(Msg::Loading)}</p> }>
            {move || {
                let children = Arc::clone(&children);
                Suspend::new(async move {
                    match resource.await {
                        Ok(data) => Either::Left(children(data)),
                        Err(_) => Either::Right(view! { <ServerErrorPage /> }),
                    }
                })
            }}
        </Suspense>
    }
}
