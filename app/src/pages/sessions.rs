//! The signed-in person's active sessions, each revocable; plain forms.

use control::domain::ActiveSession;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::{my_sessions, SessionsView},
    components::{
        access::go_to,
        button,
        classes::{LIST, PAGE_TITLE},
        form::csrf_field,
        loaded::Loaded,
        notice::{refusal_in_query, RefusalNotice},
    },
    i18n::{t, Msg},
};

#[component]
pub fn SessionsPage() -> impl IntoView {
    let sessions = my_sessions();
    view! {
        <Title text=t(Msg::SessionsTitle) />
        <section class="mx-auto max-w-3xl" aria-labelledby="sessions-title">
            <h1 id="sessions-title" class=PAGE_TITLE>{t(Msg::SessionsTitle)}</h1>
            <p class="mt-2 text-slate-600">{t(Msg::SessionsLead)}</p>
            <RefusalNotice refusal=refusal_in_query() />
            <Loaded data=sessions let:view>
                {
                    if view.sessions.is_empty() {
                        go_to(&crate::routes::sign_in_then(crate::routes::SESSIONS));
                        ().into_any()
                    } else {
                        view! { <SessionList view /> }.into_any()
                    }
                }
            </Loaded>
        </section>
    }
}

#[component]
fn SessionList(view: SessionsView) -> impl IntoView {
    let token = view.csrf_token;
    let others = view.sessions.iter().filter(|s| !s.current).count();
    let rows = view
        .sessions
        .into_iter()
        .map(|session| view! { <SessionRow session token=token.clone() /> })
        .collect_view();
    view! {
        <ul class=format!("mt-6 {LIST}")>{rows}</ul>
        {(others > 0).then(|| view! {
            <form method="post" action=crate::routes::REVOKE_SESSIONS class="mt-4">
                {csrf_field(&token)}
                <button type="submit" data-revoke-all class=button::DANGER>
                    {t(Msg::SessionsRevokeOthers)}
                </button>
            </form>
        })}
    }
}

#[component]
fn SessionRow(session: ActiveSession, token: String) -> impl IntoView {
    let since = session
        .authenticated_at
        .get(..16)
        .unwrap_or(&session.authenticated_at)
        .replace('T', " ");
    let device = session
        .user_agent
        .clone()
        .unwrap_or_else(|| t(Msg::SessionsUnknownDevice).to_owned());
    let id = session.id.clone();
    view! {
        <li class="flex flex-wrap items-center justify-between gap-4 p-4" data-session=id>
            <div class="min-w-0">
                <p class="truncate text-sm font-medium text-slate-900">{device}</p>
                <p class="text-sm text-slate-600">
                    {t(Msg::SessionsSince)}" "{since}" UTC"
                    {session.ip_address.map(|ip| format!(" · {ip}"))}
                </p>
            </div>
            {if session.current {
                view! { <span class="rounded bg-emerald-50 px-2 py-1 text-xs font-semibold text-emerald-800">{t(Msg::SessionsThisDevice)}</span> }.into_any()
            } else {
                view! {
                    <form method="post" action=crate::routes::REVOKE_SESSIONS>
                        {csrf_field(&token)}
                        <input type="hidden" name="session_id" value=session.id />
                        <button type="submit" class="text-sm font-semibold text-rose-700 hover:text-rose-900">{t(Msg::SessionsRevoke)}</button>
                    </form>
                }.into_any()
            }}
        </li>
    }
}
