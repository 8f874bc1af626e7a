//! `/orgs/<slug>/audit`: the organization's audit log, newest first, with
//! filters (a plain GET form) and keyset pagination.

use control::domain::{AuditPage, FieldError, MemberView, Role};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::{
    api::organization_audit_page,
    components::{
        access::member_refused,
        audit_log::{older_entries_link, AuditFilters, AuditLog},
        classes::PAGE_TITLE,
        loaded::Loaded,
        navigation::{organization_tabs, OrganizationTab},
    },
    i18n::{t, Msg},
};

/// The log's filters: their query parameters and labels.
const FILTERS: &[(&str, Msg)] = &[
    ("action", Msg::AuditFilterAction),
    ("actor", Msg::AuditFilterActor),
    ("since", Msg::AuditFilterSince),
    ("until", Msg::AuditFilterUntil),
];

#[component]
pub fn OrganizationAuditPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let page = {
        let query = query.read_untracked();
        organization_audit_page(
            params.read_untracked().get("slug").unwrap_or_default(),
            query.get("action"),
            query.get("actor"),
            query.get("since"),
            query.get("until"),
            query.get("before").and_then(|b| b.parse::<i64>().ok()),
        )
    };
    view! {
        <Loaded data=page let:view>
            {
                let slug = params.read_untracked().get("slug").unwrap_or_default();
                match view {
                    MemberView::Ready(entries) => view! { <OrganizationLog slug entries /> }.into_any(),
                    refused => member_refused(refused, crate::routes::ORGANIZATIONS),
                }
            }
        </Loaded>
    }
}

#[component]
fn OrganizationLog(slug: String, entries: Result<AuditPage, Vec<FieldError>>) -> impl IntoView {
    let here = crate::routes::organization_audit(&slug);
    let query = use_query_map().read_untracked().clone();
    let (page, errors) = match entries {
        Ok(page) => (Some(page), Vec::new()),
        Err(errors) => (None, errors),
    };
    let older = page.as_ref().and_then(|p| p.next_before).map(|before| {
        let pairs = FILTERS
            .iter()
            .filter_map(|&(name, _)| query.get(name).map(|v| (name.to_owned(), v)))
            .collect();
        older_entries_link(&here, pairs, before)
    });
    view! {
        <Title text=t(Msg::AuditTitle) />
        <section class="mx-auto max-w-6xl" aria-labelledby="audit-title">
            <h1 id="audit-title" class=PAGE_TITLE>{t(Msg::AuditTitle)}</h1>
            // Only owners and admins read the log: their tabs.
            {organization_tabs(&slug, OrganizationTab::Audit, Role::Admin)}
            <AuditFilters here=here.clone() filters=FILTERS errors columns="md:grid-cols-5" />
            {page.map(|page| view! { <AuditLog entries=page.entries show_organization=false /> })}
            {older}
        </section>
    }
}
