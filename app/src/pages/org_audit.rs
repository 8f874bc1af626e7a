//! `/orgs/<slug>/audit`: the organization's audit log, newest first, with
//! filters (a plain GET form) and keyset pagination.

use control::domain::{AuditPage, FieldError, MemberView};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::{
    api::organization_audit_page,
    components::{
        access::member_refused, audit_table::AuditTable, button, classes::PAGE_TITLE, form::SmallField,
        loaded::Loaded,
    },
    i18n::{t, Msg},
};

#[component]
pub fn OrganizationAuditPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let page = Resource::new(
        move || {
            let query = query.read();
            (
                params.read().get("slug").unwrap_or_default(),
                query.get("action"),
                query.get("actor"),
                query.get("since"),
                query.get("until"),
                query.get("before").and_then(|b| b.parse::<i64>().ok()),
            )
        },
        |(slug, action, actor, since, until, before)| {
            organization_audit_page(slug, action, actor, since, until, before)
        },
    );
    view! {
        <Loaded resource=page let:view>
            {
                let slug = params.read_untracked().get("slug").unwrap_or_default();
                match view {
                    MemberView::Ready(entries) => view! { <AuditLog slug entries /> }.into_any(),
                    refused => member_refused(refused, crate::routes::ORGANIZATIONS),
                }
            }
        </Loaded>
    }
}

#[component]
fn AuditLog(slug: String, entries: Result<AuditPage, Vec<FieldError>>) -> impl IntoView {
    let here = crate::routes::organization_audit(&slug);
    let query = use_query_map().read_untracked().clone();
    let value = |name: &str| query.get(name).unwrap_or_default();
    let (page, errors) = match entries {
        Ok(page) => (Some(page), Vec::new()),
        Err(errors) => (None, errors),
    };
    let problem = |field: &str| errors.iter().find(|e| e.field == field).map(|e| e.problem);
    let filter_field = |name: &'static str, label: Msg| {
        view! { <SmallField id=format!("audit-{name}") name label=t(label).to_owned() value=value(name) problem=problem(name) /> }
    };
    let older = page.as_ref().and_then(|p| p.next_before).map(|before| {
        let mut pairs: Vec<(String, String)> = ["action", "actor", "since", "until"]
            .into_iter()
            .filter_map(|name| query.get(name).map(|v| (name.to_owned(), v)))
            .collect();
        pairs.push(("before".to_owned(), before.to_string()));
        let href = format!("{here}?{}", serde_urlencoded::to_string(pairs).unwrap_or_default());
        view! { <a href=href data-older class="mt-4 inline-block text-sm font-medium text-indigo-800">{t(Msg::AuditOlder)}" →"</a> }
    });
    view! {
        <Title text=t(Msg::AuditTitle) />
        <section class="mx-auto max-w-6xl" aria-labelledby="audit-title">
            <a href=crate::routes::organization(&slug) class="text-sm text-indigo-800">"← "{t(Msg::AuditBack)}</a>
            <h1 id="audit-title" class=format!("mt-2 {PAGE_TITLE}")>{t(Msg::AuditTitle)}</h1>
            <form method="get" action=here.clone() class="mt-6 grid grid-cols-2 gap-3 md:grid-cols-5 md:items-end">
                {filter_field("action", Msg::AuditFilterAction)}
                {filter_field("actor", Msg::AuditFilterActor)}
                {filter_field("since", Msg::AuditFilterSince)}
                {filter_field("until", Msg::AuditFilterUntil)}
                <button type="submit" class=button::SMALL_PRIMARY>{t(Msg::AuditFilterApply)}</button>
            </form>
            {page.map(|page| view! { <AuditTable entries=page.entries show_organization=false /> })}
            {older}
        </section>
    }
}
