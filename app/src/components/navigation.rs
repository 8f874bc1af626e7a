//! Navigation inside an area of the portal.

use control::domain::{Permission, Role};
use leptos::prelude::*;

use crate::{
    api::OrganizationSection,
    i18n::{t, Msg},
};

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
            {link(crate::routes::ADMIN_BACKUPS, Msg::AdminNavBackups)}
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

/// Which of an organization's pages is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrganizationTab {
    Overview,
    Members,
    Services,
    Modules,
    Courses,
    Audit,
    ApiClients,
}

impl From<OrganizationSection> for OrganizationTab {
    fn from(section: OrganizationSection) -> Self {
        match section {
            OrganizationSection::Overview => Self::Overview,
            OrganizationSection::Members => Self::Members,
            OrganizationSection::Services => Self::Services,
            OrganizationSection::Modules => Self::Modules,
        }
    }
}

/// The tabs of an organization's pages that `role` opens (the pages check
/// for themselves), `current` marked: the same on every one of them.
pub fn organization_tabs(slug: &str, current: OrganizationTab, role: Role) -> impl IntoView {
    let tabs = [
        (OrganizationTab::Overview, Msg::OrgTabOverview, Permission::View),
        (OrganizationTab::Members, Msg::OrgMembers, Permission::View),
        (
            OrganizationTab::Services,
            Msg::OrgAddService,
            Permission::ManageSubscriptions,
        ),
        (
            OrganizationTab::Modules,
            Msg::OrgTabModules,
            Permission::ManageSubscriptions,
        ),
        (
            OrganizationTab::Courses,
            Msg::OrgTabCourses,
            Permission::ManageMembers,
        ),
        (OrganizationTab::Audit, Msg::OrgAuditLink, Permission::ReadAudit),
        (
            OrganizationTab::ApiClients,
            Msg::ApiClientsTab,
            Permission::ManageMembers,
        ),
    ];
    let links = tabs
        .into_iter()
        .filter(|(_, _, permission)| role.allows(*permission))
        .map(|(tab, label, _)| {
            let href = match tab {
                OrganizationTab::Overview => crate::routes::organization(slug),
                OrganizationTab::Members => crate::routes::members(slug),
                OrganizationTab::Services => crate::routes::services(slug),
                OrganizationTab::Modules => crate::routes::modules(slug),
                OrganizationTab::Courses => crate::routes::courses(slug),
                OrganizationTab::Audit => crate::routes::organization_audit(slug),
                OrganizationTab::ApiClients => crate::routes::api_clients(slug),
            };
            tab_link(href, t(label), tab == current)
        })
        .collect_view();
    view! {
        <nav class="mt-6 flex flex-wrap gap-6 border-b border-slate-200 text-sm" aria-label=t(Msg::OrgPages) data-org-tabs>
            {links}
        </nav>
    }
}
