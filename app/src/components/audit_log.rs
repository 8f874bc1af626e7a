//! The audit log as people read it, on an organization's audit page and in
//! the admin area (the platform's log, a tenant's recent entries), with its
//! filters and the link to older entries.

use control::domain::{AuditEntry, FieldError};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::{
    components::{audit_sentence::audit_sentence, button, form::SmallField, local_time::LocalTime},
    i18n::{t, use_locale, Msg},
};

/// The log's filters: a GET form on `here`, a field per filter (its query
/// parameter and label) refilled from the query with its problem beside it;
/// `columns` is the grid's width on a wide screen.
#[component]
pub fn AuditFilters(
    here: String,
    filters: &'static [(&'static str, Msg)],
    errors: Vec<FieldError>,
    columns: &'static str,
) -> impl IntoView {
    let query = use_query_map().read_untracked().clone();
    let problem = |field: &str| errors.iter().find(|e| e.field == field).map(|e| e.problem);
    let fields = filters
        .iter()
        .map(|&(name, label)| {
            let value = query.get(name).unwrap_or_default();
            view! { <SmallField id=format!("audit-{name}") name label=t(label).to_owned() value problem=problem(name) /> }
        })
        .collect_view();
    view! {
        <form method="get" action=here class=format!("mt-6 grid grid-cols-2 gap-3 {columns} md:items-end")>
            {fields}
            <button type="submit" class=button::SMALL_PRIMARY>{t(Msg::AuditFilterApply)}</button>
        </form>
    }
}

/// The link to the entries before `before` on `here`, keeping the filters
/// (`pairs`, as the query carried them).
pub fn older_entries_link(here: &str, mut pairs: Vec<(String, String)>, before: i64) -> impl IntoView {
    pairs.push(("before".to_owned(), before.to_string()));
    let href = format!(
        "{here}?{}",
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    );
    view! { <a href=href data-older class="mt-4 inline-block text-sm font-medium text-indigo-800">{t(Msg::AuditOlder)}" →"</a> }
}

/// The entries, newest first, each as a sentence in the reader's language
/// with its local time, and what was recorded (codes, ids, the JSON before
/// and after) behind its "details". The admin's global log adds each
/// entry's organization.
#[component]
pub fn AuditLog(entries: Vec<AuditEntry>, show_organization: bool) -> impl IntoView {
    if entries.is_empty() {
        return view! { <p class="mt-6 text-sm text-slate-600" data-audit-empty>{t(Msg::AuditEmpty)}</p> }
            .into_any();
    }
    let locale = use_locale();
    let items = entries
        .into_iter()
        .map(|entry| {
            let sentence = audit_sentence(&entry, locale);
            let organization = show_organization
                .then_some(entry.organization.clone())
                .flatten()
                .map(|slug| {
                    view! {
                        <p class="mt-1 text-xs text-slate-600">
                            {t(Msg::InvitationOrganization)}": "
                            <a href=crate::routes::admin_tenant(&slug) class="font-medium text-indigo-800">{slug.clone()}</a>
                        </p>
                    }
                });
            let change = [entry.before.clone(), entry.after.clone()]
                .into_iter()
                .map(|side| side.unwrap_or_else(|| "—".to_owned()))
                .collect::<Vec<_>>()
                .join(" → ");
            let detail = |label: Msg, value: Option<String>| {
                value.map(|value| view! { <dt class="text-slate-500">{t(label)}</dt><dd class="font-mono wrap-anywhere">{value}</dd> })
            };
            let details = [
                detail(Msg::AuditAction, Some(entry.action.clone())),
                detail(Msg::AuditTarget, Some(entry.target.clone())),
                detail(Msg::AuditWho, Some(entry.actor.clone())),
                detail(Msg::AuditChange, Some(change)),
                detail(Msg::AuditRequest, entry.request_id.clone()),
                detail(Msg::AuditAddress, entry.ip.clone()),
            ]
            .into_iter()
            .flatten()
            .collect_view();
            view! {
                <li data-audit-action=entry.action.clone() class="px-4 py-3">
                    <div class="flex flex-wrap items-baseline justify-between gap-x-4 gap-y-1">
                        <p class="text-sm text-slate-900 wrap-anywhere" data-audit-sentence>{sentence}</p>
                        <span class="text-xs whitespace-nowrap text-slate-600"><LocalTime at=entry.at /></span>
                    </div>
                    {organization}
                    <details class="mt-1 text-xs text-slate-600" data-audit-details>
                        <summary class="cursor-pointer select-none font-medium text-slate-700">{t(Msg::AuditDetails)}</summary>
                        <dl class="mt-2 grid grid-cols-[auto_1fr] gap-x-3 gap-y-1">{details}</dl>
                    </details>
                </li>
            }
        })
        .collect_view();
    view! {
        <ol class="mt-6 divide-y divide-slate-200 rounded-xl border border-slate-200 bg-white" data-audit-log>{items}</ol>
    }
    .into_any()
}
