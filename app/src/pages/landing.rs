//! The public landing page: what Bibind sells, read from the catalog.

use control::domain::{Offer, OfferKind, Plan};
use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use crate::{
    api::public_catalog,
    components::{
        button,
        classes::PAGE_TITLE,
        island::{ready_mark, IslandHints},
        loaded::Loaded,
        plan::{quota_lines, yearly_price_cents},
    },
    i18n::{format_price, t, use_locale, Msg},
};

#[component]
pub fn LandingPage() -> impl IntoView {
    let catalog = public_catalog();
    // `?billing=yearly`: a link the server renders without JavaScript; the
    // island switches prices in place, without a reload.
    let billing = Billing::from_query(use_query_map().read_untracked().get("billing").as_deref());
    view! {
        <Title text=t(Msg::LandingTitle) />
        <Meta name="description" content=t(Msg::HeroLead) />
        <section class="grid gap-10 py-6 lg:grid-cols-5 lg:items-center" aria-labelledby="hero-title">
            <div class="lg:col-span-3">
                <h1 id="hero-title" class="text-4xl font-bold tracking-tight text-slate-900 sm:text-5xl">
                    {t(Msg::HeroHeading)}
                </h1>
                <p class="mt-6 text-lg leading-8 text-slate-700">{t(Msg::HeroLead)}</p>
                <a href="#offers" class="mt-8 inline-block rounded-lg bg-indigo-700 px-6 py-3 text-base font-semibold text-white shadow-sm hover:bg-indigo-800">
                    {t(Msg::HeroCta)}
                </a>
            </div>
            <ul class="grid gap-4 lg:col-span-2">
                <Feature title=Msg::FeatureSovereignTitle body=Msg::FeatureSovereignBody />
                <Feature title=Msg::FeatureSsoTitle body=Msg::FeatureSsoBody />
                <Feature title=Msg::FeatureOpsTitle body=Msg::FeatureOpsBody />
            </ul>
        </section>
        <section id="offers" class="mt-16 scroll-mt-8" aria-labelledby="offers-title">
            <h2 id="offers-title" class=PAGE_TITLE>{t(Msg::OffersHeading)}</h2>
            <p class="mt-2 text-slate-600">{t(Msg::OffersLead)}</p>
            <IslandHints />
            <BillingChoice initial=billing>
                <Loaded data=catalog let:offers>
                    {
                        offers.into_iter().map(|offer| view! { <OfferSection offer billing /> }).collect_view()
                    }
                </Loaded>
            </BillingChoice>
        </section>
    }
}

#[component]
fn Feature(title: Msg, body: Msg) -> impl IntoView {
    view! {
        <li class="rounded-xl border border-slate-200 bg-white p-5 shadow-sm">
            <h2 class="font-semibold text-slate-900">{t(title)}</h2>
            <p class="mt-1 text-sm text-slate-700">{t(body)}</p>
        </li>
    }
}

/// How prices are shown: per month, or per year with two months free.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
enum Billing {
    Monthly,
    Yearly,
}

impl Billing {
    fn from_query(value: Option<&str>) -> Self {
        match value {
            Some("yearly") => Billing::Yearly,
            _ => Billing::Monthly,
        }
    }

    fn query(self) -> &'static str {
        match self {
            Billing::Monthly => "monthly",
            Billing::Yearly => "yearly",
        }
    }

    fn price_cents(self, monthly_cents: u64) -> u64 {
        match self {
            Billing::Monthly => monthly_cents,
            Billing::Yearly => yearly_price_cents(monthly_cents),
        }
    }

    fn per(self) -> Msg {
        match self {
            Billing::Monthly => Msg::PerMonth,
            Billing::Yearly => Msg::PerYear,
        }
    }
}

/// The billing switch above the offers, which are its children: the only
/// part of the landing page that runs in the browser. The prices inside
/// (each a [`PlanPrice`] island) follow its choice through context.
#[island]
fn BillingChoice(initial: Billing, children: Children) -> impl IntoView {
    crate::i18n::provide_locale();
    let billing = RwSignal::new(initial);
    provide_context(billing);
    let ready = ready_mark();
    view! {
        <div data-billing-choice data-island-ready=ready>
            <BillingSwitch billing />
            {children()}
        </div>
    }
}

/// The switch's two links: plain links to `?billing=…` without JavaScript;
/// in the browser they switch in place and only rewrite the address.
#[component]
fn BillingSwitch(billing: RwSignal<Billing>) -> impl IntoView {
    let option = move |choice: Billing, label: Msg| {
        let selected = move || billing.get() == choice;
        let href = format!("/?billing={}#offers", choice.query());
        let address = href.clone();
        view! {
            <a
                href=href
                on:click=move |event| {
                    event.prevent_default();
                    billing.set(choice);
                    show_address(&address);
                }
                aria-current=move || selected().then_some("true")
                data-billing=choice.query()
                class=move || if selected() {
                    "rounded-md bg-white px-4 py-2 text-sm font-semibold text-indigo-800 shadow-sm"
                } else {
                    "rounded-md px-4 py-2 text-sm font-medium text-slate-700 hover:text-indigo-700"
                }
            >
                {t(label)}
            </a>
        }
    };
    view! {
        <div role="group" aria-label=t(Msg::BillingPeriod) class="mt-6 inline-flex gap-1 rounded-lg bg-slate-200 p-1">
            {option(Billing::Monthly, Msg::BillingMonthly)}
            {option(Billing::Yearly, Msg::BillingYearly)}
        </div>
    }
}

/// Puts `address` in the location bar without loading it, so that a reload
/// or a shared link keeps the choice.
fn show_address(address: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(history) = web_sys::window().and_then(|window| window.history().ok()) {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(address));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = address;
}

#[component]
fn OfferSection(offer: Offer, billing: Billing) -> impl IntoView {
    let locale = use_locale();
    let heading_id = format!("offer-{}", offer.kind.code());
    let labelled_by = heading_id.clone();
    let accent = match offer.kind {
        OfferKind::Ecommerce => "border-t-indigo-600",
        OfferKind::Training => "border-t-emerald-600",
        OfferKind::Iot => "border-t-amber-500",
    };
    let plans = if offer.plans.is_empty() {
        view! { <p class="mt-4 text-slate-600">{t(Msg::NoPlans)}</p> }.into_any()
    } else {
        view! {
            <ul class="mt-6 grid gap-6 md:grid-cols-3">
                {offer.plans.into_iter().map(|plan| view! { <PlanCard plan accent billing /> }).collect_view()}
            </ul>
        }
        .into_any()
    };
    view! {
        <section class="mt-12" aria-labelledby=labelled_by data-offer=offer.kind.code()>
            <h3 id=heading_id class="text-2xl font-semibold tracking-tight">{offer.name.get(locale).to_owned()}</h3>
            <p class="mt-1 max-w-3xl text-slate-700">{offer.summary.get(locale).to_owned()}</p>
            {plans}
        </section>
    }
}

#[component]
fn PlanCard(plan: Plan, accent: &'static str, billing: Billing) -> impl IntoView {
    let locale = use_locale();
    let quotas = quota_lines(locale, &plan);
    let monthly_cents = plan.monthly_price_cents;
    view! {
        <li class=format!("flex flex-col rounded-xl border border-slate-200 border-t-4 {accent} bg-white p-6 shadow-sm") data-plan=plan.code.to_string()>
            <h4 class="text-lg font-semibold">{plan.name.get(locale).to_owned()}</h4>
            <PlanPrice monthly_cents initial=billing />
            <ul class="mt-5 space-y-2 text-sm text-slate-700">
                {quotas.into_iter().map(|line| view! { <li class="flex gap-2"><span aria-hidden="true" class="text-slate-400">"•"</span>{line}</li> }).collect_view()}
            </ul>
            {plan.requires_approval.then(|| view! {
                <p class="mt-5 rounded-md bg-slate-100 px-3 py-2 text-xs text-slate-700">{t(Msg::NeedsApproval)}</p>
            })}
            // Signed out, the way in comes first; then the organization, then
            // the review with its one "Confirm".
            <div class="mt-auto pt-6">
                <a href=crate::routes::choose_plan(plan.code.as_str()) rel="external" data-choose-plan=plan.code.to_string()
                    class=format!("block text-center {}", button::PRIMARY)>
                    {t(Msg::ChoosePlan)}
                </a>
            </div>
        </li>
    }
}

/// A plan's price for the period the [`BillingChoice`] around it shows.
#[island]
fn PlanPrice(monthly_cents: u64, initial: Billing) -> impl IntoView {
    crate::i18n::provide_locale();
    let locale = use_locale();
    let billing = use_context::<RwSignal<Billing>>().unwrap_or_else(|| RwSignal::new(initial));
    let price = move || format_price(locale, billing.get().price_cents(monthly_cents));
    let per = move || billing.get().per().text(locale);
    let ready = ready_mark();
    view! {
        <p class="mt-3" data-island-ready=ready>
            <span class=PAGE_TITLE data-price>{price}</span>
            " "
            <span class="text-sm text-slate-600">{per}</span>
        </p>
    }
}
