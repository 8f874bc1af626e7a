use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    components::status::set_http_status,
    i18n::{t, Msg},
};

/// Shown when a page cannot be rendered (the server answers 500). It never
/// shows the cause: that goes to the logs.
#[component]
pub fn ServerErrorPage() -> impl IntoView {
    set_http_status(500);
    view! {
        <Title text=t(Msg::ErrorTitle) />
        <section class="mx-auto max-w-xl py-16 text-center" role="alert" aria-labelledby="error-title">
            <p class="text-sm font-semibold text-rose-700">"500"</p>
            <h2 id="error-title" class="mt-2 text-3xl font-bold tracking-tight">{t(Msg::ErrorTitle)}</h2>
            <p class="mt-4 text-slate-600">{t(Msg::ErrorBody)}</p>
            <a href="" rel="external" class="mt-8 inline-block rounded-lg bg-indigo-700 px-5 py-2.5 text-sm font-semibold text-white hover:bg-indigo-800">
                {t(Msg::TryAgain)}
            </a>
        </section>
    }
}
