//! The catalog page: the offers the organization has not subscribed to, each
//! plan with its subscribe button.

use leptos::prelude::*;

use super::{csrf_token, FormContext};
use crate::{
    api::OfferChoice,
    components::{button::SMALL_QUIET, form::csrf_field},
    i18n::{translator, use_locale, Msg},
};

#[component]
pub(super) fn AddService(offers: Vec<OfferChoice>) -> impl IntoView {
    let token = csrf_token();
    let t = translator();
    let locale = use_locale();
    let action = use_context::<FormContext>()
        .map(|form| crate::routes::subscribe(&form.slug))
        .unwrap_or_default();
    let offers = offers
        .into_iter()
        .map(|offer| {
            let plans = offer
                .plans
                .iter()
                .map(|plan| {
                    let code = plan.code.to_string();
                    view! {
                        <form method="post" action=action.clone() class="flex items-center justify-between gap-3 py-2">
                            {csrf_field(&token)}
                            <input type="hidden" name="plan" value=code.clone() />
                            <span class="text-sm">
                                {plan.name.get(locale).to_owned()}
                                {plan.requires_approval.then(|| view! { <span class="ml-2 text-xs text-slate-500">{t(Msg::NeedsApproval)}</span> })}
                            </span>
                            <button type="submit" class=SMALL_QUIET data-subscribe=code>{t(Msg::OrgSubscribe)}</button>
                        </form>
                    }
                })
                .collect_view();
            view! {
                <div class="rounded-xl border border-slate-200 bg-white p-4 shadow-sm" data-offer=offer.kind.code()>
                    <h4 class="font-semibold">{offer.name.get(locale).to_owned()}</h4>
                    <div class="mt-2 divide-y divide-slate-100">{plans}</div>
                </div>
            }
        })
        .collect_view();
    view! {
        <h2 id="services" class="mt-8 text-xl font-semibold">{t(Msg::OrgAddService)}</h2>
        <p class="mt-1 text-sm text-slate-600">{t(Msg::OrgAddServiceLead)}</p>
        <div class="mt-4 grid grid-cols-1 gap-4 md:grid-cols-3">{offers}</div>
    }
    .into_any()
}
