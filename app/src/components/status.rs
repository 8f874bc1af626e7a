//! Pages that stand for an HTTP status (404, 500): the status is set on the
//! server response and the page explains it in the visitor's language.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    components::button,
    i18n::{t, Msg},
};

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
        <section class="mx-auto max-w-xl py-16 text-center" role=role aria-labelledby="status-title" data-status=code>
            <p class=format!("text-sm font-semibold {accent}")>{code}</p>
            <h1 id="status-title" class="mt-2 text-3xl font-bold tracking-tight">{t(title)}</h1>
            <p class="mt-4 text-slate-600">{t(body)}</p>
            <a href=href rel="external" class=format!("mt-8 inline-block {}", button::PRIMARY)>
                {t(action)}
            </a>
        </section>
    }
}

/// Shown when a page cannot be rendered (the server answers 500). It never
/// shows the cause: that goes to the logs.
#[component]
pub fn ServerErrorPage() -> impl IntoView {
    view! {
        <StatusPage code=500 title=Msg::ErrorTitle body=Msg::ErrorBody action=Msg::TryAgain href="" role="alert" />
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
