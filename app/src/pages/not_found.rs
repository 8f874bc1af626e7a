use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    components::status::set_http_status,
    i18n::{t, Msg},
};

/// Any unknown route answers this page with status 404.
#[component]
pub fn NotFoundPage() -> impl IntoView {
    set_http_status(404);
    view! {
        <Title text=t(Msg::NotFoundTitle) />
        <section class="mx-auto max-w-xl py-16 text-center" aria-labelledby="not-found-title">
            <p class="text-sm font-semibold text-indigo-700">"404"</p>
            <h1 id="not-found-title" class="mt-2 text-3xl font-bold tracking-tight">{t(Msg::NotFoundTitle)}</h1>
            <p class="mt-4 text-slate-600">{t(Msg::NotFoundBody)}</p>
            <a href="/" class="mt-8 inline-block rounded-lg bg-indigo-700 px-5 py-2.5 text-sm font-semibold text-white hover:bg-indigo-800">
                {t(Msg::BackHome)}
            </a>
        </section>
    }
}
