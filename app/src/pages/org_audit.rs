//! `/orgs/<slug>/audit`: the organization's audit log, newest first, with
//! filters (a plain GET form) and keyset pagination.

use control::domain::{AuditEntry, AuditPage, FieldError, MemberView};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::{
    api::organization_audit_page,
    i18n::{t, Msg},
    pages::{
        error::ServerErrorPage,
        labels::FieldProblemText,
        organization::{Denied, OrganizationNotFound},
        organizations::sign_in_then,
    },
};

#[component]
pub fn OrganizationAuditPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let page = Resource::new(
        move || {
            let query = query.read();
            (
                params.read().get("slug").unwrap_or_default(),
                query.get("action"),
                query.get("actor"),
                query.get("since"),
                query.get("until"),
                query.get("before").and_then(|b| b.parse::<i64>().ok()),
            )
        },
        |(slug, action, actor, since, until, before)| {
            organization_audit_page(slug, action, actor, since, until, before)
        },
    );
    view! {
        <Suspense fallback=|| view! { <p class="text-slate-600">{t(Msg::Loading)}</p> }>
            <ErrorBoundary fallback=|_| view! { <ServerErrorPage /> }>
                {move || Suspend::new(async move {
                    let slug = params.read_untracked().get("slug").unwrap_or_default();
                    page.await.map(|view| match view {
                        MemberView::Ready(entries) => view! { <AuditLog slug entries /> }.into_any(),
                        MemberView::NotFound => view! { <OrganizationNotFound /> }.into_any(),
                        MemberView::Forbidden => view! { <Denied /> }.into_any(),
                        MemberView::SignInRequired => sign_in_then(crate::routes::ORGANIZATIONS),
                    })
                })}
            </ErrorBoundary>
        </Suspense>
    }
}

#[component]
fn AuditLog(slug: String, entries: Result<AuditPage, Vec<FieldError>>) -> impl IntoView {
    let here = crate::routes::organization_audit(&slug);
    let query = use_query_map().read_untracked().clone();
    let value = |name: &str| query.get(name).unwrap_or_default();
    let (page, errors) = match entries {
        Ok(page) => (Some(page), Vec::new()),
        Err(errors) => (None, errors),
    };
    let problem = |field: &str| errors.iter().find(|e| e.field == field).map(|e| e.problem);
    let filter_field = |name: &'static str, label: Msg| {
        let id = format!("audit-{name}");
        view! {
            <div>
                <label for=id.clone() class="block text-xs font-medium text-slate-700">{t(label)}</label>
                <input id=id.clone() name=name value=value(name) class="mt-1 block w-full rounded-lg border border-slate-300 px-2 py-1.5 text-sm"
                    aria-invalid=problem(name).is_some().then_some("true") />
                <FieldProblemText id=format!("{id}-problem") problem=problem(name) />
            </div>
        }
    };
    let older = page.as_ref().and_then(|p| p.next_before).map(|before| {
        let mut pairs: Vec<(String, String)> = ["action", "actor", "since", "until"]
            .into_iter()
            .filter_map(|name| query.get(name).map(|v| (name.to_owned(), v)))
            .collect();
        pairs.push(("before".to_owned(), before.to_string()));
        let href = format!("{here}?{}", serde_urlencoded::to_string(pairs).unwrap_or_default());
        view! { <a href=href data-older class="mt-4 inline-block text-sm font-medium text-indigo-800">{t(Msg::AuditOlder)}" →"</a> }
    });
    view! {
        <Title text=t(Msg::AuditTitle) />
        <section class="mx-auto max-w-6xl" aria-labelledby="audit-title">
            <a href=crate::routes::organization(&slug) class="text-sm text-indigo-800">"← "{t(Msg::AuditBack)}</a>
            <h1 id="audit-title" class="mt-2 text-3xl font-bold tracking-tight">{t(Msg::AuditTitle)}</h1>
            <form method="get" action=here.clone() class="mt-6 grid grid-cols-2 gap-3 md:grid-cols-5 md:items-end">
                {filter_field("action", Msg::AuditFilterAction)}
                {filter_field("actor", Msg::AuditFilterActor)}
                {filter_field("since", Msg::AuditFilterSince)}
                {filter_field("until", Msg::AuditFilterUntil)}
                <button type="submit" class="rounded-lg bg-indigo-700 px-3 py-2 text-sm font-semibold text-white">{t(Msg::AuditFilterApply)}</button>
            </form>
            {page.map(|page| view! { <AuditTable entries=page.entries show_organization=false /> })}
            {older}
        </section>
    }
}

/// The entries as a table; the admin's global log adds the organization column.
#[component]
pub fn AuditTable(entries: Vec<AuditEntry>, show_organization: bool) -> impl IntoView {
    if entries.is_empty() {
        return view! { <p class="mt-6 text-sm text-slate-600" data-audit-empty>{t(Msg::AuditEmpty)}</p> }
            .into_any();
    }
    let rows = entries
        .into_iter()
        .map(|entry| {
            let change = [entry.before.clone(), entry.after.clone()]
                .into_iter()
                .map(|side| side.unwrap_or_else(|| "—".to_owned()))
                .collect::<Vec<_>>()
                .join(" → ");
            let action = entry.action.clone();
            view! {
                <tr data-audit-action=action class="align-top">
                    <td class="whitespace-nowrap px-3 py-2 text-slate-600">{entry.at}</td>
                    <td class="px-3 py-2">{entry.actor}</td>
                    {show_organization.then(|| view! { <td class="px-3 py-2">{entry.organization.unwrap_or_default()}</td> })}
                    <td class="px-3 py-2 font-mono text-xs">{entry.action}</td>
                    <td class="px-3 py-2">{entry.target}</td>
                    <td class="px-3 py-2 font-mono text-xs break-all text-slate-700">{change}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="mt-6 overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm">
            <table class="min-w-full text-left text-sm">
                <thead class="bg-slate-50 text-xs uppercase text-slate-600">
                    <tr>
                        <th scope="col" class="px-3 py-2">{t(Msg::AuditWhen)}</th>
                        <th scope="col" class="px-3 py-2">{t(Msg::AuditWho)}</th>
                        {show_organization.then(|| view! { <th scope="col" class="px-3 py-2">{t(Msg::InvitationOrganization)}</th> })}
                        <th scope="col" class="px-3 py-2">{t(Msg::AuditAction)}</th>
                        <th scope="col" class="px-3 py-2">{t(Msg::AuditTarget)}</th>
                        <th scope="col" class="px-3 py-2">{t(Msg::AuditChange)}</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}
