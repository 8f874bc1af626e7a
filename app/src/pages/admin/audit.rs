//! `/admin/audit`: the platform's audit log with filters, pages and a CSV
//! export of what the filters select.

use control::domain::{AdminAccess, AuditPage, FieldError};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    api::admin::admin_audit,
    components::{
        access::admin_refused,
        audit_log::{older_entries_link, AuditFilters, AuditLog},
        classes::PAGE_TITLE,
        loaded::Loaded,
        navigation::AdminNav,
    },
    i18n::{t, Msg},
};

/// The log's filters: their query parameters and labels.
const FILTERS: &[(&str, Msg)] = &[
    ("organization", Msg::AuditFilterOrganization),
    ("action", Msg::AuditFilterAction),
    ("actor", Msg::AuditFilterActor),
    ("since", Msg::AuditFilterSince),
    ("until", Msg::AuditFilterUntil),
];

#[component]
pub fn AdminAuditPage() -> impl IntoView {
    let query = use_query_map();
    let page = {
        let q = query.read_untracked();
        admin_audit(
            q.get("organization"),
            q.get("action"),
            q.get("actor"),
            q.get("since"),
            q.get("until"),
            q.get("before").and_then(|b| b.parse::<i64>().ok()),
        )
    };
    view! {
        <Title text=t(Msg::AuditTitle) />
        <Loaded data=page let:access>
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
    let (page, errors) = match entries {
        Ok(page) => (Some(page), Vec::new()),
        Err(errors) => (None, errors),
    };
    let filters: Vec<(String, String)> = FILTERS
        .iter()
        .filter_map(|&(name, _)| {
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
    let older = (page.as_ref().and_then(|p| p.next_before))
        .map(|before| older_entries_link(crate::routes::ADMIN_AUDIT, filters.clone(), before));
    view! {
        <section class="mx-auto max-w-6xl" aria-labelledby="audit-title">
            <AdminNav />
            <div class="flex flex-wrap items-baseline justify-between gap-4">
                <h1 id="audit-title" class=PAGE_TITLE>{t(Msg::AuditTitle)}</h1>
                <a href=csv rel="external" data-audit-csv class="text-sm font-medium text-indigo-800">{t(Msg::AuditExportCsv)}</a>
            </div>
            <AuditFilters here=crate::routes::ADMIN_AUDIT.to_owned() filters=FILTERS errors columns="md:grid-cols-6" />
            {page.map(|page| view! { <AuditLog entries=page.entries show_organization=true /> })}
            {older}
        </section>
    }
    .into_any()
}
