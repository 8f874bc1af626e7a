//! Pages that stand for an HTTP status (404, 500): the status is set on the
//! server response and the page explains it in the visitor's language.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::i18n::{t, Msg};

/// A centred explanation of a status, with one way forward.
#[component]
pub fn StatusPage(
    code: u16,
    title: Msg,
    body: Msg,
    action: Msg,
    /// Where the button goes; `rel="external"` so it is a real navigation.
    href: &'static str,
    /// `alert` for failures, so assistive technology announces them.
    #[prop(optional)]
    role: Option<&'static str>,
) -> impl IntoView {
    set_http_status(code);
    let accent = if code >= 500 {
        "text-rose-700"
    } else {
        "text-indigo-700"
    };
    view! {
        <Title text=t(title) />
        <section class="mx-auto max-w-xl py-16 text-center" role=role aria-labelledby="status-title">
            <p class=format!("text-sm font-semibold {accent}")>{code}</p>
            <h1 id="status-title" class="mt-2 text-3xl font-bold tracking-tight">{t(title)}</h1>
            <p class="mt-4 text-slate-600">{t(body)}</p>
            <a href=href rel="external" class="mt-8 inline-block rounded-lg bg-indigo-700 px-5 py-2.5 text-sm font-semibold text-white hover:bg-indigo-800">
                {t(action)}
            </a>
        </section>
    }
}

/// Sets the response status when rendering on the server; does nothing in the
/// browser.
pub fn set_http_status(code: u16) {
    #[cfg(feature = "ssr")]
    if let (Some(response), Ok(status)) = (
        leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
        http::StatusCode::from_u16(code),
    ) {
        response.set_status(status);
    }
    #[cfg(not(feature = "ssr"))]
    let _ = code;
}
