//! The sign-out question: the header's sign-out is a post; this page asks
//! when the browser comes by a link (`GET /auth/logout`), or when an
//! application asked Hydra to sign the person out (its logout challenge is
//! then posted with the answer). Plain form: works without JavaScript.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    api::{sign_out_prompt, SignOutView},
    components::{
        access::go_to,
        button,
        classes::PAGE_TITLE,
        form::csrf_field,
        loaded::Loaded,
        notice::{refusal_in_query, RefusalNotice},
    },
    i18n::{t, Msg},
};

#[component]
pub fn SignOutPage() -> impl IntoView {
    let query = use_query_map();
    let prompt = sign_out_prompt(query.read_untracked().get("logout_challenge"));
    view! {
        <Title text=t(Msg::SignOutTitle) />
        <Loaded data=prompt let:view>
            {match view {
                SignOutView::NothingToEnd => {
                    go_to("/");
                    ().into_any()
                }
                SignOutView::Confirm { csrf_token, logout_challenge } => {
                    view! { <SignOutForm csrf_token logout_challenge /> }.into_any()
                }
            }}
        </Loaded>
    }
}

#[component]
fn SignOutForm(csrf_token: String, logout_challenge: Option<String>) -> impl IntoView {
    let lead = if logout_challenge.is_some() {
        Msg::SignOutAskedByApplication
    } else {
        Msg::SignOutLead
    };
    view! {
        <section class="mx-auto max-w-md" aria-labelledby="sign-out-title">
            <h1 id="sign-out-title" class=PAGE_TITLE>{t(Msg::SignOutTitle)}</h1>
            <p class="mt-4 text-slate-700" data-asked-by-application=logout_challenge.is_some().then_some("true")>{t(lead)}</p>
            <RefusalNotice refusal=refusal_in_query() />
            <form method="post" action=crate::routes::SIGN_OUT class="mt-6 flex gap-3">
                {csrf_field(&csrf_token)}
                {logout_challenge.map(|challenge| view! {
                    <input type="hidden" name="logout_challenge" value=challenge />
                })}
                <button type="submit" data-confirm-sign-out class=format!("flex-1 {}", button::PRIMARY)>
                    {t(Msg::SignOut)}
                </button>
                <a href="/" rel="external" class=format!("flex-1 text-center {}", button::SECONDARY)>
                    {t(Msg::StaySignedIn)}
                </a>
            </form>
        </section>
    }
}
