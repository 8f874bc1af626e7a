//! The services page: the organization's live services with their sites,
//! then the offers it has not subscribed to, each plan with its price and a
//! link to its review, where the customer confirms.

use control::domain::SubscriptionView;
use leptos::prelude::*;

use super::FormContext;
use crate::{
    api::OfferChoice,
    components::{button::SMALL_QUIET, plan::price_line},
    i18n::{translator, use_locale, Msg},
};

#[component]
pub(super) fn AddService(
    offers: Vec<OfferChoice>,
    subscriptions: Vec<SubscriptionView>,
    domain: super::domains::DomainEcho,
) -> impl IntoView {
    let t = translator();
    let locale = use_locale();
    let form = use_context::<FormContext>().unwrap_or(FormContext {
        slug: String::new(),
        csrf_token: String::new(),
    });
    let slug = form.slug.clone();
    let offers = offers
        .into_iter()
        .map(|offer| {
            let plans = offer
                .plans
                .iter()
                .map(|plan| {
                    let code = plan.code.to_string();
                    view! {
                        <li class="flex flex-wrap items-center justify-between gap-3 py-3">
                            <span class="text-sm">
                                <span class="font-medium">{plan.name.get(locale).to_owned()}</span>
                                <span class="block text-slate-600">{price_line(locale, plan.monthly_price_cents)}</span>
                                {plan.requires_approval.then(|| view! { <span class="block text-xs text-slate-500">{t(Msg::NeedsApproval)}</span> })}
                            </span>
                            <a href=crate::routes::plan_review(&slug, &code) class=SMALL_QUIET data-subscribe=code.clone()>{t(Msg::OrgSubscribe)}</a>
                        </li>
                    }
                })
                .collect_view();
            view! {
                <div class="rounded-xl border border-slate-200 bg-white p-4 shadow-sm" data-offer=offer.kind.code()>
                    <h3 class="font-semibold">{offer.name.get(locale).to_owned()}</h3>
                    <ul class="mt-2 divide-y divide-slate-100">{plans}</ul>
                </div>
            }
        })
        .collect_view();
    let live: Vec<_> = subscriptions
        .iter()
        .filter_map(|subscription| {
            let line = super::sites::site_line(&slug, subscription)?;
            let own_domain = super::domains::domain_block(&form, subscription, &domain);
            Some(view! {
                <li class="py-3" data-service=subscription.offer.code()>
                    <span class="font-medium">{subscription.offer_name.get(locale).to_owned()}" · "{subscription.plan_name.get(locale).to_owned()}</span>
                    {line}
                    {own_domain}
                </li>
            })
        })
        .collect();
    let live = (!live.is_empty()).then(|| {
        view! {
            <h2 id="your-services" class="mt-8 text-xl font-semibold">{t(Msg::OrgYourServices)}</h2>
            <ul class="mt-2 divide-y divide-slate-100 rounded-xl border border-slate-200 bg-white px-4 shadow-sm" data-live-services>{live}</ul>
        }
    });
    view! {
        {live}
        <h2 id="services" class="mt-8 text-xl font-semibold">{t(Msg::OrgAddService)}</h2>
        <p class="mt-1 text-sm text-slate-600">{t(Msg::OrgAddServiceLead)}</p>
        <div class="mt-4 grid grid-cols-1 gap-4 md:grid-cols-3">{offers}</div>
    }
    .into_any()
}
