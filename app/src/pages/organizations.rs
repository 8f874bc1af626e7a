//! A customer's organizations: the list, the creation form (a plain form
//! posted to `/orgs/new`, whose refusals come back in the query and stand
//! beside their fields), and an organization's page.

use control::domain::{
    parse_field_errors, CountryCode, FieldProblem, MemberView, OrganizationSummary, Refusal,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    api::{my_organizations, new_organization_setup, NewOrganizationForm},
    i18n::{t, Msg},
    pages::{
        auth::go_to,
        error::ServerErrorPage,
        labels::{organization_state_label, role_label, FieldProblemText, RefusalNotice},
    },
};

/// Sends signed-out visitors to sign in and back to `here`.
pub(crate) fn sign_in_then(here: &str) -> AnyView {
    go_to(&crate::routes::sign_in_then(here));
    ().into_any()
}

#[component]
pub fn OrganizationsPage() -> impl IntoView {
    let mine = Resource::new(|| (), |_| my_organizations());
    view! {
        <Title text=t(Msg::OrgsTitle) />
        <section class="mx-auto max-w-3xl" aria-labelledby="orgs-title">
            <div class="flex flex-wrap items-center justify-between gap-4">
                <h1 id="orgs-title" class="text-3xl font-bold tracking-tight">{t(Msg::OrgsTitle)}</h1>
                <a href=crate::routes::NEW_ORGANIZATION class="rounded-lg bg-indigo-700 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-800">
                    {t(Msg::OrgsCreate)}
                </a>
            </div>
            <Suspense fallback=|| view! { <p class="mt-6 text-slate-600">{t(Msg::Loading)}</p> }>
                <ErrorBoundary fallback=|_| view! { <ServerErrorPage /> }>
                    {move || Suspend::new(async move {
                        mine.await.map(|view| match view {
                            MemberView::Ready(orgs) => view! { <OrganizationList orgs /> }.into_any(),
                            _ => sign_in_then(crate::routes::ORGANIZATIONS),
                        })
                    })}
                </ErrorBoundary>
            </Suspense>
        </section>
    }
}

#[component]
fn OrganizationList(orgs: Vec<OrganizationSummary>) -> impl IntoView {
    if orgs.is_empty() {
        return view! { <p class="mt-6 text-slate-600" data-no-organizations>{t(Msg::OrgsEmpty)}</p> }
            .into_any();
    }
    let items = orgs
        .into_iter()
        .map(|org| {
            let href = crate::routes::organization(&org.slug);
            view! {
                <li class="flex items-center justify-between gap-4 p-4" data-organization=org.slug>
                    <a href=href class="font-semibold text-indigo-800 hover:text-indigo-950">{org.name}</a>
                    <span class="text-sm text-slate-600">{t(role_label(org.role))}" · "{t(organization_state_label(&org.state))}</span>
                </li>
            }
        })
        .collect_view();
    view! {
        <ul class="mt-6 divide-y divide-slate-200 rounded-xl border border-slate-200 bg-white shadow-sm">{items}</ul>
    }
    .into_any()
}

#[component]
pub fn NewOrganizationPage() -> impl IntoView {
    let setup = Resource::new(|| (), |_| new_organization_setup());
    view! {
        <Title text=t(Msg::OrgsCreate) />
        <section class="mx-auto max-w-xl" aria-labelledby="new-org-title">
            <h1 id="new-org-title" class="text-3xl font-bold tracking-tight">{t(Msg::OrgsCreate)}</h1>
            <p class="mt-2 text-slate-600">{t(Msg::OrgNewLead)}</p>
            <Suspense fallback=|| view! { <p class="mt-6 text-slate-600">{t(Msg::Loading)}</p> }>
                <ErrorBoundary fallback=|_| view! { <ServerErrorPage /> }>
                    {move || Suspend::new(async move {
                        setup.await.map(|view| match view {
                            MemberView::Ready(form) => view! { <NewOrganizationFields form /> }.into_any(),
                            _ => sign_in_then(crate::routes::NEW_ORGANIZATION),
                        })
                    })}
                </ErrorBoundary>
            </Suspense>
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
    let countries = CountryCode::all()
        .map(|code| view! { <option value=code selected=code == country>{code}</option> })
        .collect_view();
    view! {
        <form method="post" action=crate::routes::NEW_ORGANIZATION class="mt-6 space-y-4 rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
            <input type="hidden" name="csrf_token" value=form.csrf_token />
            <RefusalNotice refusal />
            <Field name="name" label=Msg::OrgFieldName value=value("name") problem=problem_of("name") input_type="text" />
            <Field name="slug" label=Msg::OrgFieldSlug value=value("slug") problem=problem_of("slug") input_type="text" hint=Msg::OrgFieldSlugHint />
            <div>
                <label for="org-country" class="block text-sm font-medium text-slate-800">{t(Msg::OrgFieldCountry)}</label>
                <select id="org-country" name="country" class="mt-1 block w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-sm">
                    {countries}
                </select>
                <FieldProblemText id="org-country-problem".to_owned() problem=problem_of("country") />
            </div>
            <Field name="billing_email" label=Msg::OrgFieldBillingEmail value=billing problem=problem_of("billing_email") input_type="email" />
            <button type="submit" class="w-full rounded-lg bg-indigo-700 px-4 py-2.5 text-sm font-semibold text-white hover:bg-indigo-800">
                {t(Msg::OrgCreateSubmit)}
            </button>
        </form>
    }
}

#[component]
fn Field(
    name: &'static str,
    label: Msg,
    value: String,
    problem: Option<FieldProblem>,
    input_type: &'static str,
    #[prop(optional)] hint: Option<Msg>,
) -> impl IntoView {
    let id = format!("org-{}", name.replace('_', "-"));
    let problem_id = format!("{id}-problem");
    let hint_id = format!("{id}-hint");
    let described_by = match (problem.is_some(), hint.is_some()) {
        (true, _) => Some(problem_id.clone()),
        (false, true) => Some(hint_id.clone()),
        (false, false) => None,
    };
    view! {
        <div>
            <label for=id.clone() class="block text-sm font-medium text-slate-800">{t(label)}</label>
            <input id=id type=input_type name=name value=value required=true
                aria-invalid=problem.is_some().then_some("true") aria-describedby=described_by
                class="mt-1 block w-full rounded-lg border border-slate-300 px-3 py-2 text-sm focus:border-indigo-600 focus:outline-none focus:ring-2 focus:ring-indigo-600/30" />
            {hint.map(|hint| view! { <p id=hint_id class="mt-1 text-sm text-slate-600">{t(hint)}</p> })}
            <FieldProblemText id=problem_id problem />
        </div>
    }
}
