//! The admin area's home: who administers the platform. Platform admins at
//! AAL2 only; others are sent to sign in, refused (403), or asked for their
//! second factor.

use control::domain::{AdminAccess, PlatformAdmin};
use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::admin_overview,
    components::status::StatusPage,
    i18n::{t, Msg},
    pages::{auth::go_to, error::ServerErrorPage},
};

pub mod audit;
mod jobs;
pub mod plans;
pub mod tenant;
pub mod tenants;

/// What the admin area shows someone it does not let in: sign in, the
/// second factor, or a 403 page.
pub fn refused_view<T>(access: AdminAccess<T>, here: &str) -> AnyView {
    match access {
        AdminAccess::Granted(_) | AdminAccess::SignInRequired => {
            go_to(&crate::routes::sign_in_then(here));
            ().into_any()
        }
        AdminAccess::SecondFactorRequired {
            enrolled: true,
            upgrade_url,
        } => {
            go_to(&upgrade_url);
            ().into_any()
        }
        AdminAccess::SecondFactorRequired { enrolled: false, .. } => view! {
            <StatusPage code=403 title=Msg::AdminSecondFactorTitle body=Msg::AdminSecondFactorBody
                action=Msg::AdminSecondFactorAction href="/auth/settings" />
        }
        .into_any(),
        AdminAccess::Forbidden => view! {
            <StatusPage code=403 title=Msg::AdminForbiddenTitle body=Msg::AdminForbiddenBody
                action=Msg::BackHome href="/" />
        }
        .into_any(),
    }
}

/// The admin area's own navigation.
#[component]
pub fn AdminNav() -> impl IntoView {
    let link = |href: &'static str, label: Msg| {
        view! { <a href=href class="rounded-lg px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-100">{t(label)}</a> }
    };
    view! {
        <nav class="mb-6 flex flex-wrap gap-2 border-b border-slate-200 pb-3" aria-label=t(Msg::AdminTitle)>
            {link(crate::routes::ADMIN, Msg::AdminNavAdmins)}
            {link(crate::routes::ADMIN_TENANTS, Msg::AdminNavTenants)}
            {link(crate::routes::ADMIN_PLANS, Msg::AdminNavPlans)}
            {link(crate::routes::ADMIN_AUDIT, Msg::AdminNavAudit)}
        </nav>
    }
}

#[component]
pub fn AdminHomePage() -> impl IntoView {
    let overview = Resource::new(|| (), |_| admin_overview());
    view! {
        <Suspense fallback=|| view! { <p class="text-slate-600">{t(Msg::Loading)}</p> }>
            <ErrorBoundary fallback=|_| view! { <ServerErrorPage /> }>
                {move || Suspend::new(async move {
                    overview.await.map(|access| match access {
                        AdminAccess::Granted(admins) => view! { <AdminList admins /> }.into_any(),
                        refused => refused_view(refused, crate::routes::ADMIN),
                    })
                })}
            </ErrorBoundary>
        </Suspense>
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
            <h1 id="admin-title" class="text-3xl font-bold tracking-tight">{t(Msg::AdminTitle)}</h1>
            <p class="mt-2 text-slate-600">{t(Msg::AdminLead)}</p>
            <table class="mt-6 w-full overflow-hidden rounded-xl border border-slate-200 bg-white text-left shadow-sm">
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
