//! Navigation inside an area of the portal.

use leptos::prelude::*;

use crate::i18n::{t, Msg};

/// The admin area's own navigation, above each admin page.
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

/// One tab of a page's tabs, the current one marked.
pub fn tab_link(href: String, label: &'static str, here: bool) -> impl IntoView {
    let class = if here {
        "border-b-2 border-indigo-700 px-1 pb-2 font-semibold text-indigo-800"
    } else {
        "border-b-2 border-transparent px-1 pb-2 text-slate-700 hover:text-indigo-800"
    };
    view! { <a href=href class=class aria-current=here.then_some("page")>{label}</a> }
}
