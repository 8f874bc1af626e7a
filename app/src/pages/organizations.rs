//! A customer's organizations: the list, the creation form (a plain form
//! posted to `/orgs/new`, whose refusals come back in the query and stand
//! beside their fields), and an organization's page.

use control::domain::{
    parse_field_errors, CountryCode, MemberView, OrganizationSummary, Permission, PlanCode, Refusal,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    api::{my_organizations, new_organization_setup, NewOrganizationForm},
    components::{
        access::sign_in_then,
        button,
        classes::{FORM_CARD, LIST, PAGE_TITLE},
        form::{csrf_field, Field, FieldProblemText, LABEL, SELECT},
        loaded::Loaded,
        notice::RefusalNotice,
    },
    i18n::{country_name, country_sort_key, t, use_locale, Msg},
    pages::labels::{organization_state_label, role_label},
};

#[component]
pub fn OrganizationsPage() -> impl IntoView {
    let mine = my_organizations();
    // `?plan=…`: on the way from a plan card, each organization leads to
    // that plan's review, and a new one too.
    let plan = use_query_map()
        .read_untracked()
        .get("plan")
        .and_then(|code| PlanCode::parse(&code));
    let create = match &plan {
        Some(plan) => crate::routes::new_organization_for(plan.as_str()),
        None => crate::routes::NEW_ORGANIZATION.to_owned(),
    };
    let here = match &plan {
        Some(plan) => crate::routes::organizations_for(plan.as_str()),
        None => crate::routes::ORGANIZATIONS.to_owned(),
    };
    view! {
        <Title text=t(Msg::OrgsTitle) />
        <section class="mx-auto max-w-3xl" aria-labelledby="orgs-title">
            <div class="flex flex-wrap items-center justify-between gap-4">
                <h1 id="orgs-title" class=PAGE_TITLE>{t(Msg::OrgsTitle)}</h1>
                <a href=create class=button::PRIMARY>
                    {t(Msg::OrgsCreate)}
                </a>
            </div>
            {plan.is_some().then(|| view! { <p class="mt-4 text-slate-700" data-pick-organization>{t(Msg::PlanPickOrganization)}</p> })}
            <Loaded data=mine let:view>
                {match view {
                    MemberView::Ready(orgs) => view! { <OrganizationList orgs plan=plan.clone() /> }.into_any(),
                    _ => sign_in_then(&here),
                }}
            </Loaded>
        </section>
    }
}

#[component]
fn OrganizationList(orgs: Vec<OrganizationSummary>, plan: Option<PlanCode>) -> impl IntoView {
    if orgs.is_empty() {
        return view! { <p class="mt-6 text-slate-600" data-no-organizations>{t(Msg::OrgsEmpty)}</p> }
            .into_any();
    }
    let items = orgs
        .into_iter()
        .map(|org| {
            let href = match &plan {
                Some(plan) if org.role.allows(Permission::ManageSubscriptions) => {
                    crate::routes::plan_review(&org.slug, plan.as_str())
                }
                _ => crate::routes::organization(&org.slug),
            };
            view! {
                <li class="flex items-center justify-between gap-4 p-4" data-organization=org.slug>
                    <a href=href class="font-semibold text-indigo-800 hover:text-indigo-950">{org.name}</a>
                    <span class="text-sm text-slate-600">{t(role_label(org.role))}" · "{t(organization_state_label(org.state))}</span>
                </li>
            }
        })
        .collect_view();
    view! {
        <ul class=format!("mt-6 {LIST}")>{items}</ul>
    }
    .into_any()
}

#[component]
pub fn NewOrganizationPage() -> impl IntoView {
    let setup = new_organization_setup();
    view! {
        <Title text=t(Msg::OrgsCreate) />
        <section class="mx-auto max-w-xl" aria-labelledby="new-org-title">
            <h1 id="new-org-title" class=PAGE_TITLE>{t(Msg::OrgsCreate)}</h1>
            <p class="mt-2 text-slate-600">{t(Msg::OrgNewLead)}</p>
            <Loaded data=setup let:view>
                {match view {
                    MemberView::Ready(form) => view! { <NewOrganizationFields form /> }.into_any(),
                    _ => sign_in_then(crate::routes::NEW_ORGANIZATION),
                }}
            </Loaded>
        </section>
    }
}

/// The form, filled again from the query after a refusal (`?name=…&errors=slug:taken,…`).
#[component]
fn NewOrganizationFields(form: NewOrganizationForm) -> impl IntoView {
    let query = use_query_map().read_untracked().clone();
    let value = |name: &str| query.get(name).unwrap_or_default();
    let errors = parse_field_errors(&value("errors"));
    // Field problems stand beside their fields; an expired form says so above them.
    let refusal =
        Refusal::from_query(|name| query.get(name)).filter(|refusal| !matches!(refusal, Refusal::Fields(_)));
    let problem_of = |field: &str| errors.iter().find(|e| e.field == field).map(|e| e.problem);
    let billing = if value("billing_email").is_empty() && errors.is_empty() {
        form.email.clone()
    } else {
        value("billing_email")
    };
    let country = if value("country").is_empty() {
        "FR".to_owned()
    } else {
        value("country")
    };
    // By name in the reader's language, as people look for their country.
    let locale = use_locale();
    let mut named: Vec<(&str, &str)> = CountryCode::all()
        .map(|code| (code, country_name(locale, code)))
        .collect();
    named.sort_by_cached_key(|(_, name)| country_sort_key(name));
    let countries = named
        .into_iter()
        .map(|(code, name)| view! { <option value=code selected=code == country>{name.to_owned()}</option> })
        .collect_view();
    view! {
        <form method="post" action=crate::routes::NEW_ORGANIZATION class=format!("mt-6 {FORM_CARD}")>
            {csrf_field(&form.csrf_token)}
            // The plan chosen on the way here, if any: its review follows.
            {PlanCode::parse(&value("plan")).map(|plan| view! { <input type="hidden" name="plan" value=plan.to_string() /> })}
            <RefusalNotice refusal />
            <Field id="org-name".to_owned() name="name" label=Msg::OrgFieldName value=value("name") problem=problem_of("name") input_type="text" />
            <Field id="org-slug".to_owned() name="slug" label=Msg::OrgFieldSlug value=value("slug") problem=problem_of("slug") input_type="text" hint=Msg::OrgFieldSlugHint />
            <div>
                <label for="org-country" class=LABEL>{t(Msg::OrgFieldCountry)}</label>
                <select id="org-country" name="country" class=SELECT>
                    {countries}
                </select>
                <FieldProblemText id="org-country-problem".to_owned() problem=problem_of("country") />
            </div>
            <Field id="org-billing-email".to_owned() name="billing_email" label=Msg::OrgFieldBillingEmail value=billing problem=problem_of("billing_email") input_type="email" />
            <button type="submit" class=format!("w-full {}", button::PRIMARY)>
                {t(Msg::OrgCreateSubmit)}
            </button>
        </form>
    }
}
