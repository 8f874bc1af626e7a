//! What every page that waits for a server function repeats: the 500 page
//! when it fails, the page's own content once it is there.

use std::future::Future;

use leptos::{either::Either, prelude::*};

use crate::components::status::ServerErrorPage;

/// `<Loaded data=fetch(…) let:data>…</Loaded>`: the children see the server
/// function's value. A failed server function shows the 500 page (its cause
/// is already logged on the server).
///
/// A bare future, not a `Resource` inside `Suspense`: every page renders
/// once, on the server, in `SsrMode::Async` (islands never hydrate a page nor
/// navigate on the client), so a reactive resource, its serialisation and a
/// fallback nobody sees would only cost time: a third of the dashboard's
/// (issue 17, `cargo xtask bench`). No error boundary either: the children's
/// type stays as it is, which the busiest pages need (see
/// `pages/organization/subscriptions.rs`).
#[component]
pub fn Loaded<T, V, F, Fut>(data: Fut, children: F) -> impl IntoView
where
    Fut: Future<Output = Result<T, ServerFnError>> + Send + 'static,
    T: Send + 'static,
    V: IntoView + 'static,
    F: FnOnce(T) -> V + Send + 'static,
{
    Suspend::new(async move {
        match data.await {
            Ok(data) => Either::Left(children(data)),
            Err(_) => Either::Right(view! { <ServerErrorPage /> }),
        }
    })
}
