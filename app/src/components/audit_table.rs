//! The audit entries as a table, on an organization's audit page and in the
//! admin area (the platform's log, a tenant's recent entries).

use control::domain::AuditEntry;
use leptos::prelude::*;

use crate::{
    components::classes::{TABLE_FRAME, TABLE_HEAD},
    i18n::{t, Msg},
};

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
        <div class=format!("mt-6 {TABLE_FRAME}")>
            <table class="min-w-full text-left text-sm">
                <thead class=TABLE_HEAD>
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
