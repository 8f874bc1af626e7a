//! The audit entries as a table, on an organization's audit page and in the
//! admin area (the platform's log, a tenant's recent entries).

use control::domain::{AuditEntry, FieldError};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::{
    components::{button, form::SmallField, table::FramedTable},
    i18n::{t, Msg},
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
    let organization = show_organization.then_some(Msg::InvitationOrganization);
    let columns: Vec<&'static str> = [Some(Msg::AuditWhen), Some(Msg::AuditWho), organization]
        .into_iter()
        .chain([Msg::AuditAction, Msg::AuditTarget, Msg::AuditChange].map(Some))
        .flatten()
        .map(t)
        .collect();
    view! { <FramedTable margin="mt-6" columns>{rows}</FramedTable> }.into_any()
}
