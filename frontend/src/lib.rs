//! The portal's islands in the browser: pages are server-rendered HTML, and
//! only their interactive parts (`#[island]` components of the `app` crate,
//! each exported to JavaScript by name) are hydrated, by the loader the
//! shell writes into pages that have one.

// The islands' exports live in `app`: linking it is what puts them in the module.
pub use app;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
