//! The admin area's home: who administers the platform. Platform admins at
//! AAL2 only; others are sent to sign in, refused (403), or asked for their
//! second factor.

use control::domain::{AdminAccess, PlatformAdmin};
use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::admin_overview,
    components::{access::admin_refused, classes::PAGE_TITLE, loaded::Loaded, navigation::AdminNav},
    i18n::{t, Msg},
};

pub mod audit;
pub mod backups;
mod jobs;
pub mod plans;
pub mod tenant;
pub mod tenants;

#[component]
pub fn AdminHomePage() -> impl IntoView {
    let overview = admin_overview();
    view! {
        <Loaded data=overview let:access>
            {match access {
                AdminAccess::Granted(admins) => view! { <AdminList admins /> }.into_any(),
                refused => admin_refused(refused, crate::routes::ADMIN),
            }}
        </Loaded>
    }
}

#[component]
fn AdminList(admins: Vec<PlatformAdmin>) -> impl IntoView {
    let rows = admins
        .into_iter()
        .map(|admin| {
            let since = admin.granted_at.get(..10).unwrap_or(&admin.granted_at).to_owned();
            let shown = admin.email.clone();
            view! {
                <tr data-platform-admin=admin.email>
                    <td class="px-4 py-3 text-sm text-slate-900">{shown}</td>
                    <td class="px-4 py-3 text-sm text-slate-600">{since}</td>
                    <td class="px-4 py-3 text-sm text-slate-600">{admin.granted_by}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <Title text=t(Msg::AdminTitle) />
        <section class="mx-auto max-w-4xl" aria-labelledby="admin-title">
            <AdminNav />
            <h1 id="admin-title" class=PAGE_TITLE>{t(Msg::AdminTitle)}</h1>
            <p class="mt-2 text-slate-600">{t(Msg::AdminLead)}</p>
            <table class="mt-6 w-full overflow-hidden rounded-xl border border-slate-200 bg-white text-left shadow-sm wrap-anywhere">
                <thead class="bg-slate-50">
                    <tr>
                        <th scope="col" class="px-4 py-3 text-sm font-semibold">{t(Msg::AdminColEmail)}</th>
                        <th scope="col" class="px-4 py-3 text-sm font-semibold">{t(Msg::AdminColGrantedAt)}</th>
                        <th scope="col" class="px-4 py-3 text-sm font-semibold">{t(Msg::AdminColGrantedBy)}</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-200">{rows}</tbody>
            </table>
        </section>
    }
}
