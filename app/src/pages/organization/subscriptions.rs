//! The overview's subscriptions: each one's state, provisioning progress,
//! usage against quota, devices, and the forms that change its plan or
//! cancel it.

use control::domain::{Device, QuotaKind, QuotaUsage, Refusal, SubscriptionView};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::{csrf_field, csrf_token, FormContext, Section, QUIET_BUTTON, SELECT};
use crate::{
    api::{OfferChoice, PlanChoice},
    components::progress::ProvisioningPanel,
    i18n::{translator, use_locale, Msg},
    pages::labels::{quota_label, subscription_state_label, FieldProblemText},
};

#[component]
pub(super) fn Subscriptions(
    subscriptions: Vec<SubscriptionView>,
    catalog: Vec<OfferChoice>,
    manage: bool,
    use_services: bool,
) -> impl IntoView {
    let t = translator();
    if subscriptions.is_empty() {
        let catalog = manage.then(|| {
            let slug = use_context::<FormContext>().map(|form| form.slug).unwrap_or_default();
            view! { " "<a href=Section::Services.path(&slug) class="font-medium text-indigo-800 hover:text-indigo-950">{t(Msg::OrgAddService)}</a> }
        });
        return view! { <p class="mt-4 text-sm text-slate-600" data-no-subscriptions>{t(Msg::OrgNoSubscriptions)}{catalog}</p> }.into_any();
    }
    subscriptions
        .into_iter()
        .map(|subscription| {
            let plans = catalog
                .iter()
                .find(|offer| offer.kind == subscription.offer)
                .map(|offer| offer.plans.clone())
                .unwrap_or_default();
            view! { <SubscriptionCard subscription plans manage use_services /> }
        })
        .collect_view()
        .into_any()
}

#[component]
fn SubscriptionCard(
    subscription: SubscriptionView,
    plans: Vec<PlanChoice>,
    manage: bool,
    use_services: bool,
) -> impl IntoView {
    let token = csrf_token();
    let t = translator();
    let locale = use_locale();
    let form = use_context::<FormContext>();
    let slug = form.as_ref().map(|form| form.slug.clone()).unwrap_or_default();
    let has_devices = subscription.quotas.iter().any(|q| q.quota == QuotaKind::Devices);
    let devices = has_devices.then(|| {
        let may_register = use_services && subscription.state.allows_devices();
        view! { <Devices subscription_id=subscription.id.clone() devices=subscription.devices.clone() may_register /> }
    });
    let usage = subscription.quotas.iter().cloned().map(quota_bar).collect_view();
    let controls = (manage && subscription.state.allows_cancel()).then(|| {
        let form = form.clone().map(|f| (f.action(&format!("subscriptions/{}/plan", subscription.id)), f.action(&format!("subscriptions/{}/cancel", subscription.id))));
        let (plan_action, cancel_action) = form.unwrap_or_default();
        let version = subscription.version.to_string();
        let choices = plans
            .iter()
            .map(|plan| {
                let code = plan.code.to_string();
                view! { <option value=code.clone() selected=code == subscription.plan_code>{plan.name.get(locale).to_owned()}</option> }
            })
            .collect_view();
        view! {
            <div class="mt-4 flex flex-wrap items-center gap-3 border-t border-slate-100 pt-4">
                {subscription.state.allows_plan_change().then(|| view! {
                    <form method="post" action=plan_action class="flex items-center gap-2">
                        {csrf_field(&token)}
                        <input type="hidden" name="version" value=version.clone() />
                        <label class="sr-only" for=format!("plan-{}", subscription.id)>{t(Msg::OrgPlan)}</label>
                        <select id=format!("plan-{}", subscription.id) name="plan" class=SELECT>{choices}</select>
                        <button type="submit" class=QUIET_BUTTON>{t(Msg::OrgChangePlan)}</button>
                    </form>
                })}
                <form method="post" action=cancel_action>
                    {csrf_field(&token)}
                    <input type="hidden" name="version" value=version />
                    <button type="submit" class="button-danger">{t(Msg::OrgCancelSubscription)}</button>
                </form>
            </div>
        }
    });
    view! {
        <article class="card mt-4" data-subscription=subscription.offer.code() data-plan=subscription.plan_code.clone() data-subscription-state=subscription.state.as_str()>
            <div class="flex flex-wrap items-baseline justify-between gap-2">
                <h3 class="text-lg font-semibold">{subscription.offer_name.get(locale).to_owned()}" · "{subscription.plan_name.get(locale).to_owned()}</h3>
                <span class="text-sm font-medium text-slate-700">{t(subscription_state_label(subscription.state))}</span>
            </div>
            {subscription.reason.map(|reason| view! { <p class="mt-2 text-sm text-amber-900" data-subscription-reason>{t(Msg::OrgStateReason)}" "{reason}</p> })}
            {subscription.pending_plan.map(|(code, name)| view! { <p class="mt-2 text-sm text-amber-900" data-pending-plan=code>{t(Msg::PlanChangeAwaiting)}" "{name.get(locale).to_owned()}</p> })}
            <ProvisioningPanel slug=slug subscription_id=subscription.id.clone() state=subscription.state progress=subscription.progress.clone() />
            <h4 class="mt-4 text-sm font-semibold text-slate-700">{t(Msg::OrgUsage)}</h4>
            <dl class="mt-2 grid grid-cols-1 gap-x-6 gap-y-3 sm:grid-cols-2">{usage}</dl>
            {devices}
            {controls}
        </article>
    }
    .into_any()
}

/// An IoT subscription's devices, and the form that registers one.
#[component]
fn Devices(subscription_id: String, devices: Vec<Device>, may_register: bool) -> impl IntoView {
    let token = csrf_token();
    let t = translator();
    let form = use_context::<FormContext>();
    let base = form
        .as_ref()
        .map(|form| form.action(&format!("subscriptions/{subscription_id}/devices")))
        .unwrap_or_default();
    let query = use_query_map().read_untracked().clone();
    let refusal = Refusal::from_query(|name| query.get(name));
    let rows = devices
        .into_iter()
        .map(|device| {
            let remove = format!("{base}/{}/remove", device.id);
            let marker = device.name.clone();
            view! {
                <li class="flex items-center justify-between gap-3 py-2 text-sm" data-device=marker>
                    <span class="font-mono">{device.name}</span>
                    <span class="flex items-center gap-3 text-slate-600">
                        {device.registered_on}
                        {may_register.then(|| view! {
                            <form method="post" action=remove>
                                {csrf_field(&token)}
                                <button type="submit" class=QUIET_BUTTON>{t(Msg::DeviceRemove)}</button>
                            </form>
                        })}
                    </span>
                </li>
            }
        })
        .collect_view();
    let register = may_register.then(|| {
        let problem = refusal.as_ref().and_then(|r| r.problem_of("name"));
        let typed = query.get("device").unwrap_or_default();
        let field = format!("device-{subscription_id}");
        view! {
            <form method="post" action=base.clone() class="mt-2 flex flex-wrap items-end gap-2" data-device-form>
                {csrf_field(&token)}
                <div>
                    <label for=field.clone() class="block text-xs font-medium text-slate-700">{t(Msg::DeviceName)}</label>
                    <input id=field.clone() name="name" value=typed required=true class="mt-1 rounded-lg border border-slate-300 px-2 py-1.5 text-sm font-mono"
                        aria-invalid=problem.is_some().then_some("true") />
                </div>
                <button type="submit" class=QUIET_BUTTON>{t(Msg::DeviceRegister)}</button>
                <FieldProblemText id=format!("{field}-problem") problem />
            </form>
        }
    });
    view! {
        <h4 class="mt-4 text-sm font-semibold text-slate-700">{t(Msg::DevicesTitle)}</h4>
        <ul class="mt-1 divide-y divide-slate-100">{rows}</ul>
        {register}
    }
    .into_any()
}

/// One quota: a bar when the portal knows the usage, else the limit.
fn quota_bar(usage: QuotaUsage) -> impl IntoView {
    let t = translator();
    let label = t(quota_label(usage.quota));
    let limit = usage.limit;
    let plan = usage
        .plan_limit
        .map(|plan| view! { <span class="text-slate-500">" ("{t(Msg::OrgPlanValue)}" "{plan}")"</span> });
    // A native meter: accessible, and drawn without inline styles (the CSP forbids them).
    let bar = usage.used.map(|used| {
        view! {
            <meter class="mt-1 block h-2 w-full" min="0" max=limit value=used
                low=limit.saturating_mul(7) / 10 high=limit.saturating_mul(9) / 10 optimum="0" aria-label=label>
                {format!("{used} / {limit}")}
            </meter>
        }
    });
    let figure = match usage.used {
        Some(used) => format!("{used} / {limit}"),
        None => limit.to_string(),
    };
    view! {
        <div data-quota=usage.quota.as_str() data-used=usage.used data-limit=limit>
            <dt class="quota-label"><span>{label}</span><span class="font-medium text-slate-900">{figure}{plan}</span></dt>
            <dd>{bar}</dd>
        </div>
    }
    .into_any()
}
