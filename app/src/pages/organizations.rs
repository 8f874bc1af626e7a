//! A customer's organizations: the list, the creation form (a plain form
//! posted to `/orgs/new`, whose refusals come back in the query and stand
//! beside their fields), and an organization's page.

use control::domain::{
    CountryCode, FieldProblem, MemberView, OrganizationOverview, OrganizationSummary, Role,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::{
    api::{my_organizations, new_organization_setup, organization_page, NewOrganizationForm},
    components::status::StatusPage,
    i18n::{t, Msg},
    pages::{auth::go_to, error::ServerErrorPage},
};

pub fn role_label(role: Role) -> Msg {
    match role {
        Role::Owner => Msg::RoleOwner,
        Role::Admin => Msg::RoleAdmin,
        Role::Member => Msg::RoleMember,
        Role::Learner => Msg::RoleLearner,
    }
}

fn state_label(state: &str) -> Msg {
    match state {
        "pending_approval" => Msg::StatePendingApproval,
        "suspended" => Msg::StateSuspended,
        "closed" => Msg::StateClosed,
        _ => Msg::StateActive,
    }
}

fn problem_text(problem: FieldProblem) -> Msg {
    match problem {
        FieldProblem::Missing => Msg::ProblemMissing,
        FieldProblem::TooShort => Msg::ProblemTooShort,
        FieldProblem::TooLong => Msg::ProblemTooLong,
        FieldProblem::BadCharacters => Msg::ProblemBadCharacters,
        FieldProblem::Reserved => Msg::ProblemReserved,
        FieldProblem::Taken => Msg::ProblemTaken,
        FieldProblem::UnknownCountry => Msg::ProblemUnknownCountry,
        FieldProblem::InvalidEmail => Msg::ProblemInvalidEmail,
    }
}

/// Sends signed-out visitors to sign in and back to `here`.
fn sign_in_then(here: &str) -> AnyView {
    go_to(&format!("/auth/signin?return_to={here}"));
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
                <a href="/orgs/new" class="rounded-lg bg-indigo-700 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-800">
                    {t(Msg::OrgsCreate)}
                </a>
            </div>
            <Suspense fallback=|| view! { <p class="mt-6 text-slate-600">{t(Msg::Loading)}</p> }>
                <ErrorBoundary fallback=|_| view! { <ServerErrorPage /> }>
                    {move || Suspend::new(async move {
                        mine.await.map(|view| match view {
                            MemberView::Ready(orgs) => view! { <OrganizationList orgs /> }.into_any(),
                            _ => sign_in_then("/orgs"),
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
            let href = format!("/orgs/{}", org.slug);
            view! {
                <li class="flex items-center justify-between gap-4 p-4" data-organization=org.slug>
                    <a href=href class="font-semibold text-indigo-800 hover:text-indigo-950">{org.name}</a>
                    <span class="text-sm text-slate-600">{t(role_label(org.role))}" · "{t(state_label(&org.state))}</span>
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
                            _ => sign_in_then("/orgs/new"),
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
    let errors: Vec<(String, FieldProblem)> = value("errors")
        .split(',')
        .filter_map(|pair| {
            let (field, problem) = pair.split_once(':')?;
            Some((field.to_owned(), FieldProblem::parse(problem)?))
        })
        .collect();
    let problem_of = |field: &str| errors.iter().find(|(f, _)| f == field).map(|(_, p)| *p);
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
        <form method="post" action="/orgs/new" class="mt-6 space-y-4 rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
            <input type="hidden" name="csrf_token" value=form.csrf_token />
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

#[component]
fn FieldProblemText(id: String, problem: Option<FieldProblem>) -> impl IntoView {
    problem.map(|problem| {
        view! { <p id=id class="mt-1 text-sm text-rose-700" data-problem=problem.as_str()>{t(problem_text(problem))}</p> }
    })
}

#[component]
pub fn OrganizationPage() -> impl IntoView {
    let params = use_params_map();
    let page = Resource::new(
        move || params.read().get("slug").unwrap_or_default(),
        organization_page,
    );
    view! {
        <Suspense fallback=|| view! { <p class="text-slate-600">{t(Msg::Loading)}</p> }>
            <ErrorBoundary fallback=|_| view! { <ServerErrorPage /> }>
                {move || Suspend::new(async move {
                    page.await.map(|view| match view {
                        MemberView::Ready(overview) => view! { <OrganizationDetails overview /> }.into_any(),
                        MemberView::NotFound => view! {
                            <StatusPage code=404 title=Msg::OrgNotFoundTitle body=Msg::OrgNotFoundBody action=Msg::BackHome href="/orgs" />
                        }
                        .into_any(),
                        MemberView::SignInRequired => sign_in_then("/orgs"),
                    })
                })}
            </ErrorBoundary>
        </Suspense>
    }
}

#[component]
fn OrganizationDetails(overview: OrganizationOverview) -> impl IntoView {
    let org = overview.organization;
    let members = overview
        .members
        .into_iter()
        .map(|member| {
            let shown = member.email.clone();
            view! {
                <li class="flex items-center justify-between gap-4 p-4" data-member=member.email>
                    <span class="text-sm text-slate-900">{shown}</span>
                    <span class="text-sm text-slate-600">{t(role_label(member.role))}</span>
                </li>
            }
        })
        .collect_view();
    view! {
        <Title text=org.name.clone() />
        <section class="mx-auto max-w-3xl" aria-labelledby="org-title" data-organization=org.slug.clone()>
            <h1 id="org-title" class="text-3xl font-bold tracking-tight">{org.name}</h1>
            <dl class="mt-4 grid grid-cols-1 gap-2 text-sm sm:grid-cols-3">
                <div><dt class="text-slate-600">{t(Msg::OrgYourRole)}</dt><dd class="font-medium">{t(role_label(org.role))}</dd></div>
                <div><dt class="text-slate-600">{t(Msg::OrgFieldCountry)}</dt><dd class="font-medium">{org.country}</dd></div>
                <div><dt class="text-slate-600">{t(Msg::OrgBilling)}</dt><dd class="font-medium">{overview.billing_email}</dd></div>
            </dl>
            <p class="mt-2 text-sm text-slate-600" data-state=org.state.clone()>{t(state_label(&org.state))}</p>
            <h2 class="mt-8 text-xl font-semibold">{t(Msg::OrgMembers)}</h2>
            <ul class="mt-4 divide-y divide-slate-200 rounded-xl border border-slate-200 bg-white shadow-sm">{members}</ul>
        </section>
    }
}
