//! The frame of every page: header with navigation and language switch,
//! the main region, the footer.

use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::{
    api::{signed_in_menu, SignedInMenu},
    components::{button::SMALL_PRIMARY, form::csrf_field},
    i18n::{translator, use_locale, Locale, Msg},
};

#[component]
pub fn Layout(children: Children) -> impl IntoView {
    let t = translator();
    view! {
        <a href="#content" class="sr-only focus:not-sr-only focus:absolute focus:left-4 focus:top-4 focus:z-50 rounded bg-white px-4 py-2 text-sm font-medium text-indigo-800 shadow">
            {t(Msg::SkipToContent)}
        </a>
        <header class="border-b border-slate-200 bg-white">
            <div class="mx-auto flex max-w-6xl flex-wrap items-center justify-between gap-4 px-4 py-4 sm:px-6">
                <a href="/" class="flex items-center gap-3">
                    <span class="grid h-9 w-9 place-items-center rounded-lg bg-indigo-700 text-lg font-bold text-white" aria-hidden="true">"B"</span>
                    <span class="flex flex-col leading-tight">
                        <span class="text-lg font-semibold tracking-tight">"Bibind"</span>
                        <span class="text-xs text-slate-600">{t(Msg::BrandTagline)}</span>
                    </span>
                </a>
                // Wraps rather than overflows: on a phone the menu takes a
                // second line and the page never scrolls sideways.
                <nav aria-label=t(Msg::MainNavigation) class="flex min-w-0 flex-wrap items-center gap-x-5 gap-y-2 text-sm font-medium">
                    <a href="/#offers" class="text-slate-700 hover:text-indigo-700">{t(Msg::NavOffers)}</a>
                    <UserMenu />
                    <LanguageSwitch />
                </nav>
            </div>
        </header>
        <main id="content" class="mx-auto w-full max-w-6xl px-4 py-10 sm:px-6">{children()}</main>
        <footer class="border-t border-slate-200 bg-white">
            <div class="mx-auto flex max-w-6xl flex-wrap justify-between gap-2 px-4 py-6 text-sm text-slate-600 sm:px-6">
                <span>{t(Msg::FooterRights)}</span>
                <a href=crate::routes::API_REFERENCE class="underline hover:text-indigo-700">{t(Msg::FooterApi)}</a>
            </div>
        </footer>
    }
}

/// Who is signed in, with their account and sign-out links; otherwise the
/// ways in. Read from the request, so the header renders at once.
#[component]
fn UserMenu() -> impl IntoView {
    let t = translator();
    let link = "text-slate-700 hover:text-indigo-700";
    match signed_in_menu() {
        Some(SignedInMenu {
            user,
            csrf_token,
            administration,
        }) => view! {
            <span class="flex min-w-0 flex-wrap items-center gap-x-4 gap-y-2" data-signed-in=user.email.clone()>
                <span class="min-w-0 max-w-full text-slate-600 wrap-anywhere">
                    <span class="sr-only">{t(Msg::SignedInAs)}" "</span>
                    <span class="font-semibold text-slate-900">{user.display_name}</span>
                </span>
                <a href=crate::routes::ORGANIZATIONS class=link>{t(Msg::NavOrganizations)}</a>
                <a href=crate::routes::MY_LEARNING class=link data-my-learning>{t(Msg::NavLearning)}</a>
                {administration.then(|| view! {
                    <a href=crate::routes::ADMIN data-administration class=link>{t(Msg::AdminTitle)}</a>
                })}
                <a href=crate::routes::SETTINGS rel="external" class=link>{t(Msg::AccountSettings)}</a>
                <a href=crate::routes::SESSIONS rel="external" class=link>{t(Msg::NavSessions)}</a>
                // A post with the session's token: no other site can sign anyone out.
                <form method="post" action=crate::routes::SIGN_OUT class="inline">
                    {csrf_field(&csrf_token)}
                    <button type="submit" data-sign-out class=link>{t(Msg::SignOut)}</button>
                </form>
            </span>
        }
        .into_any(),
        None => view! {
            <a href=crate::routes::SIGN_IN rel="external" class=link>{t(Msg::SignIn)}</a>
            <a href=crate::routes::REGISTRATION rel="external" class=SMALL_PRIMARY>
                {t(Msg::SignUp)}
            </a>
        }
        .into_any(),
    }
}

/// Links that set the language cookie on the server and come back here. Plain
/// links (`rel="external"`, so the client router lets the browser follow
/// them): they work with or without JavaScript.
#[component]
fn LanguageSwitch() -> impl IntoView {
    let t = translator();
    let current = use_locale();
    let location = use_location();
    let link = move |locale: Locale, label: Msg| {
        let here = location.pathname.get_untracked();
        let href = format!(
            "/locale/{}?return_to={}",
            locale.tag(),
            crate::routes::query_value(&here)
        );
        let is_current = locale == current;
        view! {
            <a
                href=href
                rel="external"
                hreflang=locale.tag()
                lang=locale.tag()
                aria-current=is_current.then_some("true")
                class=if is_current {
                    "rounded px-2 py-1 bg-indigo-50 text-indigo-800 font-semibold"
                } else {
                    "rounded px-2 py-1 text-slate-700 hover:text-indigo-700"
                }
            >
                {label.text(locale)}
            </a>
        }
    };
    view! {
        <div role="group" aria-label=t(Msg::LanguageSwitch) class="flex items-center gap-1">
            {link(Locale::Fr, Msg::SwitchToFrench)}
            {link(Locale::En, Msg::SwitchToEnglish)}
        </div>
    }
}
