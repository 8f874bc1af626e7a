//! `/admin/audit`: the platform's audit log with filters, pages and a CSV
//! export of what the filters select.

use control::domain::{AdminAccess, AuditPage, FieldError};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    api::admin::admin_audit,
    components::{
        access::admin_refused, audit_table::AuditTable, button, classes::PAGE_TITLE, form::SmallField,
        loaded::Loaded, navigation::AdminNav,
    },
    i18n::{t, Msg},
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
        <Loaded resource=page let:access>
            {match access {
                AdminAccess::Granted(entries) => view! { <PlatformAudit entries /> }.into_any(),
                refused => admin_refused(refused, crate::routes::ADMIN_AUDIT),
            }}
        </Loaded>
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
            view! { <SmallField id=format!("audit-{name}") name label=t(label).to_owned() value=value(name) problem=problem(name) /> }
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
                <h1 id="audit-title" class=PAGE_TITLE>{t(Msg::AuditTitle)}</h1>
                <a href=csv rel="external" data-audit-csv class="text-sm font-medium text-indigo-800">{t(Msg::AuditExportCsv)}</a>
            </div>
            <form method="get" action=crate::routes::ADMIN_AUDIT class="mt-6 grid grid-cols-2 gap-3 md:grid-cols-6 md:items-end">
                {fields}
                <button type="submit" class=button::SMALL_PRIMARY>{t(Msg::AuditFilterApply)}</button>
            </form>
            {page.map(|page| view! { <AuditTable entries=page.entries show_organization=true /> })}
            {older}
        </section>
    }
    .into_any()
}
