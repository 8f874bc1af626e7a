//! What the islands share: the mark that says one is hydrated, and the hints
//! that let a page with an island fetch the wasm while it is still parsed.
//! Pages without an island get neither, and download no JavaScript.

use leptos::prelude::*;

/// The value of an island root's `data-island-ready`: absent as rendered by
/// the server, present once the island runs in the browser (tests and the
/// bench wait for it: from then on the island responds).
pub fn ready_mark() -> impl Fn() -> Option<&'static str> + Copy + Send + Sync + 'static {
    let (ready, set_ready) = signal(false);
    // Effects run only in the browser, after hydration.
    Effect::new(move |_| set_ready.set(true));
    move || ready.get().then_some("")
}

/// Preload hints for the islands' module and wasm, moved into `<head>` by
/// leptos_meta; rendered by the server beside the page's islands.
#[component]
pub fn IslandHints() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(assets) = use_context::<crate::shell::IslandAssets>() {
        use leptos_meta::Link;
        return view! {
            <Link rel="modulepreload" href=assets.js_url />
            <Link rel="preload" href=assets.wasm_url as_="fetch" type_="application/wasm" crossorigin="" />
        }
        .into_any();
    }
    ().into_any()
}
