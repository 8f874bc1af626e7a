//! `/admin/backups`: running services' backups across tenants, those that
//! need an admin first (failing, missing, off-site copy late, drill
//! failed); `?all=1` lists every running service.

use control::domain::{AdminAccess, ServiceBackups};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    api::admin::admin_backups,
    components::{
        access::admin_refused, backup_health::BackupHealthTable, classes::PAGE_TITLE, loaded::Loaded,
        navigation::AdminNav,
    },
    i18n::{t, Msg},
};

#[component]
pub fn AdminBackupsPage() -> impl IntoView {
    let all = use_query_map().read_untracked().get("all").is_some();
    let services = admin_backups(all);
    view! {
        <Title text=t(Msg::AdminBackupsTitle) />
        <Loaded data=services let:access>
            {match access {
                AdminAccess::Granted(services) => view! { <Backups services all /> }.into_any(),
                refused => admin_refused(refused, crate::routes::ADMIN_BACKUPS),
            }}
        </Loaded>
    }
}

#[component]
fn Backups(services: Vec<ServiceBackups>, all: bool) -> impl IntoView {
    let (lead, other, other_href) = if all {
        (
            Msg::AdminBackupsAllLead,
            Msg::AdminBackupsShowAttention,
            crate::routes::ADMIN_BACKUPS.to_owned(),
        )
    } else {
        (
            Msg::AdminBackupsLead,
            Msg::AdminBackupsShowAll,
            format!("{}?all=1", crate::routes::ADMIN_BACKUPS),
        )
    };
    view! {
        <section class="mx-auto max-w-5xl" aria-labelledby="admin-backups-title">
            <AdminNav />
            <h1 id="admin-backups-title" class=PAGE_TITLE>{t(Msg::AdminBackupsTitle)}</h1>
            <p class="mt-2 text-sm text-slate-700">{t(lead)}" "<a href=other_href class="text-indigo-800 underline">{t(other)}</a></p>
            <BackupHealthTable services show_organization=true />
        </section>
    }
}
