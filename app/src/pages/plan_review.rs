//! The review before taking a plan: its price by month and by year, what
//! it includes, what changes against the current plan (and whether what is
//! used fits), whether Bibind reviews it, and one "Confirm" that posts the
//! subscription or the change. Every way to a plan leads here.

use control::domain::{MemberView, PlanReview, PlanStep, QuotaChange};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::{
    api::{plan_review, PlanReviewPage},
    components::{
        access::member_refused,
        button,
        classes::{FORM_CARD, PAGE_TITLE, TABLE_FRAME, TABLE_HEAD},
        form::csrf_field,
        loaded::Loaded,
        notice::RefusalNotice,
        plan::{price_line, quota_amount, quota_lines},
    },
    i18n::{t, use_locale, Msg},
    pages::labels::quota_name,
};

#[component]
pub fn PlanReviewPage() -> impl IntoView {
    let params = use_params_map();
    let key = move || {
        let params = params.read();
        (
            params.get("slug").unwrap_or_default(),
            params.get("code").unwrap_or_default(),
        )
    };
    let page = {
        let (slug, plan) = untrack(key);
        plan_review(slug, plan)
    };
    let here = move || {
        let (slug, plan) = key();
        crate::routes::plan_review(&slug, &plan)
    };
    view! {
        <Title text=t(Msg::PlanReviewTitle) />
        <Loaded data=page let:view>
            {match view {
                MemberView::Ready(page) => view! { <Review page slug=key().0 /> }.into_any(),
                refused => member_refused(refused, &here()),
            }}
        </Loaded>
    }
}

#[component]
fn Review(page: PlanReviewPage, slug: String) -> impl IntoView {
    let locale = use_locale();
    let PlanReviewPage { review, csrf_token } = page;
    let PlanReview {
        organization_name,
        offer_name,
        plan,
        step,
        quotas,
        needs_review,
        refusal,
        ..
    } = review;
    let back = crate::routes::organization(&slug);
    let lead = t(Msg::PlanReviewLead).replace("{organization}", &organization_name);
    let code = plan.code.to_string();
    let confirm = match (&step, refusal.is_some()) {
        (PlanStep::Current, _) => view! {
            <p class="mt-6 text-slate-700" data-current-plan>{t(Msg::PlanAlreadyCurrent)}</p>
        }
        .into_any(),
        (_, true) => ().into_any(),
        (PlanStep::Subscribe, false) => view! {
            <form method="post" action=crate::routes::subscribe(&slug) class="mt-6">
                {csrf_field(&csrf_token)}
                <input type="hidden" name="plan" value=code.clone() />
                <button type="submit" data-confirm-plan=code.clone() class=button::PRIMARY>{t(Msg::PlanConfirm)}</button>
            </form>
        }
        .into_any(),
        (PlanStep::Change { subscription_id, version, .. }, false) => view! {
            <form method="post" action=crate::routes::change_plan(&slug, subscription_id) class="mt-6">
                {csrf_field(&csrf_token)}
                <input type="hidden" name="plan" value=code.clone() />
                <input type="hidden" name="version" value=version.to_string() />
                <button type="submit" data-confirm-plan=code.clone() class=button::PRIMARY>{t(Msg::PlanConfirm)}</button>
            </form>
        }
        .into_any(),
    };
    let from = match &step {
        PlanStep::Change { from, .. } => Some(from.name.get(locale).to_owned()),
        _ => None,
    };
    let changes = from
        .clone()
        .map(|from| view! { <Changes quotas=quotas.clone() from to=plan.name.get(locale).to_owned() /> });
    view! {
        <section class="mx-auto max-w-2xl" aria-labelledby="review-title" data-plan-review=code.clone()
            data-step=match step { PlanStep::Subscribe => "subscribe", PlanStep::Change { .. } => "change", PlanStep::Current => "current" }>
            <p class="text-sm text-slate-600">{lead}</p>
            <h1 id="review-title" class=format!("mt-1 {PAGE_TITLE}")>
                {offer_name.get(locale).to_owned()}" · "{plan.name.get(locale).to_owned()}
            </h1>
            {from.map(|from| view! { <p class="mt-2 text-slate-700">{t(Msg::PlanReviewFrom).replace("{plan}", &from)}</p> })}
            <div class=format!("mt-6 {FORM_CARD}")>
                <p class="text-xl font-semibold text-slate-900" data-price-line>{price_line(locale, plan.monthly_price_cents)}</p>
                <p class="text-sm text-slate-600">{t(Msg::OffersLead)}</p>
                <h2 class="text-base font-semibold">{t(Msg::PlanIncludes)}</h2>
                <ul class="space-y-1 text-sm text-slate-700">
                    {quota_lines(locale, &plan).into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}
                    {module_lines(&plan.modules).into_iter().map(|(line, code)| view! { <li data-plan-modules=code>{line}</li> }).collect_view()}
                </ul>
                {needs_review.then(|| view! {
                    <p class="rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900" data-needs-review>{t(Msg::PlanNeedsReview)}</p>
                })}
            </div>
            {changes}
            <RefusalNotice refusal />
            <div class="flex flex-wrap items-center gap-4">
                {confirm}
                <a href=back class=format!("mt-6 {}", button::SECONDARY)>{t(Msg::PlanBack)}</a>
            </div>
        </section>
    }
}

/// The modules the plan includes and those it lets the customer add, one
/// line each (none for a plan without).
fn module_lines(modules: &control::domain::PlanModules) -> Vec<(String, &'static str)> {
    let names = |list: &[control::domain::OdooModule]| {
        list.iter()
            .map(|module| t(crate::pages::labels::module_text(*module).0))
            .collect::<Vec<_>>()
            .join(", ")
    };
    [
        (Msg::PlanModulesIncluded, &modules.included, "included"),
        (Msg::PlanModulesOptional, &modules.optional, "optional"),
    ]
    .into_iter()
    .filter(|(_, list, _)| !list.is_empty())
    .map(|(label, list, code)| (format!("{} {}", t(label), names(list)), code))
    .collect()
}

/// Each quota before and after the change, with what is used.
#[component]
fn Changes(quotas: Vec<QuotaChange>, from: String, to: String) -> impl IntoView {
    let locale = use_locale();
    let rows = quotas
        .into_iter()
        .map(|change| {
            let amount = |value: u32| quota_amount(locale, change.quota, value);
            let direction = match change.before {
                Some(before) if change.after > before => Msg::QuotaUp,
                Some(before) if change.after < before => Msg::QuotaDown,
                _ => Msg::QuotaSame,
            };
            let exceeded = change.exceeded();
            view! {
                <tr data-quota-change=change.quota.as_str() data-exceeded=exceeded.then_some("true")>
                    <th scope="row" class="px-3 py-2 text-left font-medium">{t(quota_name(change.quota))}</th>
                    <td class="px-3 py-2">{change.before.map(amount)}</td>
                    <td class="px-3 py-2">{amount(change.after)}" "<span class="text-slate-600">{t(direction)}</span></td>
                    <td class=if exceeded { "px-3 py-2 font-semibold text-rose-800" } else { "px-3 py-2" }>
                        {change.used.map(amount)}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <h2 class="mt-8 text-lg font-semibold">{t(Msg::PlanChanges)}</h2>
        <div class=format!("mt-3 {TABLE_FRAME}")>
            <table class="min-w-full text-sm">
                <thead class=TABLE_HEAD>
                    <tr>
                        <th scope="col" class="px-3 py-2 text-left">{t(Msg::PlanQuota)}</th>
                        <th scope="col" class="px-3 py-2 text-left">{from}</th>
                        <th scope="col" class="px-3 py-2 text-left">{to}</th>
                        <th scope="col" class="px-3 py-2 text-left">{t(Msg::PlanUsed)}</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">{rows}</tbody>
            </table>
        </div>
    }
}
