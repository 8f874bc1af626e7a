//! How running services' backups stand, for platform admins: the newest
//! stored, failures in a row, late off-site copies, the last verified
//! restore and why the last drill failed (the backups page across tenants,
//! and each tenant's page).

use control::domain::ServiceBackups;
use leptos::prelude::*;

use crate::{
    components::{local_time::LocalTime, table::FramedTable},
    i18n::{t, Msg},
    pages::labels::offer_label,
};

fn instant_or(at: Option<String>, none: Msg) -> AnyView {
    match at {
        Some(at) => view! { <LocalTime at /> }.into_any(),
        None => view! { <span class="text-slate-500">{t(none)}</span> }.into_any(),
    }
}

/// The services' backups as a table; `show_organization` adds the tenant's column.
#[component]
pub fn BackupHealthTable(services: Vec<ServiceBackups>, show_organization: bool) -> impl IntoView {
    if services.is_empty() {
        return view! { <p class="mt-3 text-sm text-slate-600" data-no-backup-health>{t(Msg::AdminBackupsNone)}</p> }.into_any();
    }
    let mut columns = Vec::new();
    if show_organization {
        columns.push(t(Msg::AdminBackupsTenant));
    }
    columns.extend(
        [
            Msg::TenantsOffer,
            Msg::AdminBackupsLastStored,
            Msg::AdminBackupsFailures,
            Msg::AdminBackupsOffsiteLate,
            Msg::BackupVerified,
        ]
        .map(t),
    );
    let rows = services
        .into_iter()
        .map(|service| {
            let attention = service.needs_attention();
            let organization = show_organization.then(|| {
                view! {
                    <td class="px-3 py-2">
                        <a href=crate::routes::admin_tenant(&service.organization_slug) class="font-medium text-indigo-800">{service.organization_name.clone()}</a>
                    </td>
                }
            });
            let missing = service
                .missing
                .then(|| view! { <span class="ml-1 rounded bg-rose-100 px-1 text-xs text-rose-900" data-missing>{t(Msg::AdminBackupsMissing)}</span> });
            let drill_error = service.last_drill_error.clone().map(|error| {
                view! { <div class="mt-1 text-xs text-rose-900" data-drill-error>{t(Msg::AdminBackupsDrillFailed)}" "{error}</div> }
            });
            view! {
                <tr data-service-backups=service.subscription_id.clone() data-attention=attention.to_string()>
                    {organization}
                    <td class="px-3 py-2">{t(offer_label(service.offer))}</td>
                    <td class="px-3 py-2">{instant_or(service.last_stored_at.clone(), Msg::BackupNotVerified)}{missing}</td>
                    <td class="px-3 py-2 text-right" data-failed-in-a-row=service.failed_in_a_row.to_string()>{service.failed_in_a_row.to_string()}</td>
                    <td class="px-3 py-2 text-right" data-offsite-late=service.offsite_late.to_string()>{service.offsite_late.to_string()}</td>
                    <td class="px-3 py-2" data-last-verified=service.last_verified_restore.is_some().to_string()>
                        {instant_or(service.last_verified_restore.clone(), Msg::BackupNotVerified)}{drill_error}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! { <FramedTable margin="mt-3" columns>{rows}</FramedTable> }.into_any()
}
