//! `/admin/tenants`: the tenant search. A plain GET form (filters, sort),
//! a table, and pages; every state is a URL, so it works without JavaScript.

use control::domain::{AdminAccess, OfferKind, OrganizationSearchPage, OrganizationSort, OrganizationState};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    api::admin::admin_tenants,
    components::{
        access::admin_refused,
        button,
        classes::PAGE_TITLE,
        form::{SMALL_INPUT, SMALL_LABEL},
        loaded::Loaded,
        navigation::AdminNav,
        table::FramedTable,
    },
    i18n::{country_name, format_count, t, use_locale, Msg},
    pages::labels::{offer_label, organization_state_label},
};

fn sort_label(sort: OrganizationSort) -> Msg {
    match sort {
        OrganizationSort::Name => Msg::SortName,
        OrganizationSort::NewestFirst => Msg::SortNewest,
        OrganizationSort::OldestFirst => Msg::SortOldest,
        OrganizationSort::State => Msg::SortState,
        OrganizationSort::Country => Msg::SortCountry,
    }
}

#[component]
pub fn AdminTenantsPage() -> impl IntoView {
    let query = use_query_map();
    let tenants = {
        let q = query.read_untracked();
        admin_tenants(
            q.get("text"),
            q.get("state"),
            q.get("offer"),
            q.get("plan"),
            q.get("country"),
            q.get("sort"),
            q.get("page").and_then(|p| p.parse::<u32>().ok()),
        )
    };
    view! {
        <Title text=t(Msg::AdminNavTenants) />
        <Loaded data=tenants let:access>
            {match access {
                AdminAccess::Granted(page) => view! { <TenantSearch page /> }.into_any(),
                refused => admin_refused(refused, crate::routes::ADMIN_TENANTS),
            }}
        </Loaded>
    }
}

#[component]
fn TenantSearch(page: OrganizationSearchPage) -> impl IntoView {
    let locale = use_locale();
    let query = use_query_map().read_untracked().clone();
    let value = |name: &str| query.get(name).unwrap_or_default();
    let select = |name: &'static str, label: Msg, options: Vec<(String, String)>| {
        let current = value(name);
        let options = options
            .into_iter()
            .map(|(code, text)| view! { <option value=code.clone() selected=code == current>{text}</option> })
            .collect_view();
        view! {
            <div>
                <label for=format!("tenants-{name}") class=SMALL_LABEL>{t(label)}</label>
                <select id=format!("tenants-{name}") name=name class=SMALL_INPUT>
                    <option value="">{t(Msg::AnyValue)}</option>
                    {options}
                </select>
            </div>
        }
    };
    let states = OrganizationState::ALL
        .iter()
        .map(|state| {
            (
                state.as_str().to_owned(),
                t(organization_state_label(*state)).to_owned(),
            )
        })
        .collect();
    let offers = OfferKind::ALL
        .iter()
        .map(|o| (o.code().to_owned(), t(offer_label(*o)).to_owned()))
        .collect();
    let sorts = OrganizationSort::ALL
        .iter()
        .skip(1)
        .map(|s| (s.as_str().to_owned(), t(sort_label(*s)).to_owned()))
        .collect();
    let page_link = |target: u32| {
        let mut pairs: Vec<(String, String)> = ["text", "state", "offer", "plan", "country", "sort"]
            .into_iter()
            .filter_map(|name| {
                query
                    .get(name)
                    .filter(|v| !v.is_empty())
                    .map(|v| (name.to_owned(), v))
            })
            .collect();
        pairs.push(("page".to_owned(), target.to_string()));
        format!(
            "{}?{}",
            crate::routes::ADMIN_TENANTS,
            serde_urlencoded::to_string(pairs).unwrap_or_default()
        )
    };
    let pages = page.pages();
    let previous = (page.page > 1).then(|| view! { <a href=page_link(page.page - 1) data-page-previous class="text-indigo-800">"← "{t(Msg::PreviousPage)}</a> });
    let next = (page.page < pages).then(|| view! { <a href=page_link(page.page + 1) data-page-next class="text-indigo-800">{t(Msg::NextPage)}" →"</a> });
    let rows = page
        .rows
        .into_iter()
        .map(|row| {
            let href = crate::routes::admin_tenant(&row.slug);
            let marker = row.slug.clone();
            view! {
                <tr data-tenant=marker class="align-top">
                    <td class="px-3 py-2"><a href=href class="font-medium text-indigo-800 hover:text-indigo-950">{row.name}</a><div class="text-xs text-slate-500">{row.slug}</div></td>
                    <td class="px-3 py-2" data-tenant-state=row.state.as_str()>{t(organization_state_label(row.state))}</td>
                    <td class="px-3 py-2" data-country=row.country.clone()>{country_name(locale, &row.country).to_owned()}</td>
                    <td class="px-3 py-2">{row.members}</td>
                    <td class="px-3 py-2 font-mono text-xs">{row.plans.join(", ")}</td>
                    <td class="px-3 py-2 whitespace-nowrap">{row.created_on}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="mx-auto max-w-6xl" aria-labelledby="tenants-title">
            <AdminNav />
            <h1 id="tenants-title" class=PAGE_TITLE>{t(Msg::AdminNavTenants)}</h1>
            <form method="get" action=crate::routes::ADMIN_TENANTS class="mt-6 grid grid-cols-2 gap-3 md:grid-cols-7 md:items-end" data-tenant-search>
                <div class="col-span-2">
                    <label for="tenants-text" class=SMALL_LABEL>{t(Msg::TenantsSearch)}</label>
                    <input id="tenants-text" name="text" type="search" value=value("text") class=SMALL_INPUT />
                </div>
                {select("state", Msg::TenantsState, states)}
                {select("offer", Msg::TenantsOffer, offers)}
                <div>
                    <label for="tenants-plan" class=SMALL_LABEL>{t(Msg::TenantsPlan)}</label>
                    <input id="tenants-plan" name="plan" value=value("plan") class=SMALL_INPUT />
                </div>
                <div>
                    <label for="tenants-country" class=SMALL_LABEL>{t(Msg::TenantsCountry)}</label>
                    <input id="tenants-country" name="country" value=value("country") maxlength="2" class=SMALL_INPUT />
                </div>
                {select("sort", Msg::TenantsSort, sorts)}
                <button type="submit" class=format!("{} md:col-start-7", button::SMALL_PRIMARY)>{t(Msg::TenantsApply)}</button>
            </form>
            <p class="mt-4 text-sm text-slate-600" data-total=page.total>{format_count(locale, u64::try_from(page.total).unwrap_or(0), Msg::TenantFoundOne, Msg::TenantFoundOther)}</p>
            {if page.total == 0 {
                view! { <p class="mt-4 text-sm text-slate-600">{t(Msg::TenantsNone)}</p> }.into_any()
            } else {
                let columns = [
                    Msg::SortName,
                    Msg::TenantsState,
                    Msg::TenantsCountry,
                    Msg::ColMembers,
                    Msg::ColPlans,
                    Msg::ColCreated,
                ]
                .map(t)
                .to_vec();
                view! { <FramedTable margin="mt-3" columns>{rows}</FramedTable> }.into_any()
            }}
            <div class="mt-4 flex items-center justify-between text-sm">
                <span>{previous}</span>
                <span class="text-slate-600">{t(Msg::PageWord)}" "{page.page}" "{t(Msg::OfWord)}" "{pages}</span>
                <span>{next}</span>
            </div>
        </section>
    }
    .into_any()
}
