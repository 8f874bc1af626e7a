//! `/admin/audit`: the platform's audit log with filters, pages and a CSV
//! export of what the filters select.

use control::domain::{AdminAccess, AuditPage, FieldError};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{refused_view, AdminNav};
use crate::{
    api::admin::admin_audit,
    i18n::{t, Msg},
    pages::{error::ServerErrorPage, labels::FieldProblemText, org_audit::AuditTable},
};

const FILTERS: [&str; 5] = ["organization", "action", "actor", "since", "until"];

#[component]
pub fn AdminAuditPage() -> impl IntoView {
    let query = use_query_map();
    let page = Resource::new(
        move || {
            let q = query.read();
            (
                q.get("organization"),
                q.get("action"),
                q.get("actor"),
                q.get("since"),
                q.get("until"),
                q.get("before").and_then(|b| b.parse::<i64>().ok()),
            )
        },
        |(organization, action, actor, since, until, before)| {
            admin_audit(organization, action, actor, since, until, before)
        },
    );
    view! {
        <Title text=t(Msg::AuditTitle) />
        <Suspense fallback=|| view! { <p class="text-slate-600">{t(Msg::Loading)}</p> }>
            <ErrorBoundary fallback=|_| view! { <ServerErrorPage /> }>
                {move || Suspend::new(async move {
                    page.await.map(|access| match access {
                        AdminAccess::Granted(entries) => view! { <PlatformAudit entries /> }.into_any(),
                        refused => refused_view(refused, crate::routes::ADMIN_AUDIT),
                    })
                })}
            </ErrorBoundary>
        </Suspense>
    }
}

#[component]
fn PlatformAudit(entries: Result<AuditPage, Vec<FieldError>>) -> impl IntoView {
    let query = use_query_map().read_untracked().clone();
    let value = |name: &str| query.get(name).unwrap_or_default();
    let (page, errors) = match entries {
        Ok(page) => (Some(page), Vec::new()),
        Err(errors) => (None, errors),
    };
    let problem = |field: &str| errors.iter().find(|e| e.field == field).map(|e| e.problem);
    let labels = [
        Msg::AuditFilterOrganization,
        Msg::AuditFilterAction,
        Msg::AuditFilterActor,
        Msg::AuditFilterSince,
        Msg::AuditFilterUntil,
    ];
    let fields = FILTERS
        .into_iter()
        .zip(labels)
        .map(|(name, label)| {
            let id = format!("audit-{name}");
            view! {
                <div>
                    <label for=id.clone() class="block text-xs font-medium text-slate-700">{t(label)}</label>
                    <input id=id.clone() name=name value=value(name) class="mt-1 block w-full rounded-lg border border-slate-300 px-2 py-1.5 text-sm"
                        aria-invalid=problem(name).is_some().then_some("true") />
                    <FieldProblemText id=format!("{id}-problem") problem=problem(name) />
                </div>
            }
        })
        .collect_view();
    let filters: Vec<(String, String)> = FILTERS
        .into_iter()
        .filter_map(|name| {
            query
                .get(name)
                .filter(|v| !v.is_empty())
                .map(|v| (name.to_owned(), v))
        })
        .collect();
    let csv = format!(
        "{}?{}",
        crate::routes::ADMIN_AUDIT_CSV,
        serde_urlencoded::to_string(&filters).unwrap_or_default()
    );
    let older = page.as_ref().and_then(|p| p.next_before).map(|before| {
        let mut pairs = filters.clone();
        pairs.push(("before".to_owned(), before.to_string()));
        let href = format!(
            "{}?{}",
            crate::routes::ADMIN_AUDIT,
            serde_urlencoded::to_string(pairs).unwrap_or_default()
        );
        view! { <a href=href data-older class="mt-4 inline-block text-sm font-medium text-indigo-800">{t(Msg::AuditOlder)}" →"</a> }
    });
    view! {
        <section class="mx-auto max-w-6xl" aria-labelledby="audit-title">
            <AdminNav />
            <div class="flex flex-wrap items-baseline justify-between gap-4">
                <h1 id="audit-title" class="text-3xl font-bold tracking-tight">{t(Msg::AuditTitle)}</h1>
                <a href=csv rel="external" data-audit-csv class="text-sm font-medium text-indigo-800">{t(Msg::AuditExportCsv)}</a>
            </div>
            <form method="get" action=crate::routes::ADMIN_AUDIT class="mt-6 grid grid-cols-2 gap-3 md:grid-cols-6 md:items-end">
                {fields}
                <button type="submit" class="rounded-lg bg-indigo-700 px-3 py-2 text-sm font-semibold text-white">{t(Msg::AuditFilterApply)}</button>
            </form>
            {page.map(|page| view! { <AuditTable entries=page.entries show_organization=true /> })}
            {older}
        </section>
    }
    .into_any()
}
