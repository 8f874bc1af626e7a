//! The overview's subscriptions: each one's state, provisioning progress,
//! usage against quota, devices, and the forms that change its plan or
//! cancel it.
//!
//! Plain functions rather than components: the dashboard is the portal's
//! busiest page, and what they share (language, form context, the query's
//! refusal) is looked up once for all cards instead of once per card and row.

use control::domain::{Device, FieldProblem, Locale, QuotaKind, QuotaUsage, SubscriptionView};
use leptos::{either::Either, prelude::*};

use super::{FormContext, Section};
use crate::{
    api::{OfferChoice, PlanChoice},
    components::{
        button::{SMALL_DANGER, SMALL_QUIET},
        form::{csrf_field, FieldProblemText, SMALL_LABEL},
        local_time::LocalTime,
        plan::{consumed_amount, price_line, quota_amount},
        progress::ProvisioningPanel,
    },
    i18n::Msg,
    pages::labels::{quota_name, subscription_state_label},
};

/// What every card of the page shares.
pub(super) struct Cards {
    pub locale: Locale,
    pub form: FormContext,
    /// May change plans and cancel.
    pub manage: bool,
    /// May register devices.
    pub use_services: bool,
    /// A refused device registration: its problem and the name typed.
    pub device_problem: Option<FieldProblem>,
    pub typed_device: String,
}

impl Cards {
    fn t(&self, msg: Msg) -> &'static str {
        msg.text(self.locale)
    }

    /// Typed rather than `AnyView`: erasing the type converts every
    /// attribute of the cards once more on each render.
    pub(super) fn view(
        &self,
        subscriptions: Vec<SubscriptionView>,
        catalog: &[OfferChoice],
    ) -> impl IntoView {
        if subscriptions.is_empty() {
            let add = self.manage.then(|| {
                view! { " "<a href=Section::Services.path(&self.form.slug) class="font-medium text-indigo-800 hover:text-indigo-950">{self.t(Msg::OrgAddService)}</a> }
            });
            return Either::Left(
                view! { <p class="mt-4 text-sm text-slate-600" data-no-subscriptions>{self.t(Msg::OrgNoSubscriptions)}{add}</p> },
            );
        }
        Either::Right(
            subscriptions
                .into_iter()
                .map(|subscription| {
                    let plans = catalog
                        .iter()
                        .find(|offer| offer.kind == subscription.offer)
                        .map_or(&[][..], |offer| &offer.plans[..]);
                    self.card(subscription, plans)
                })
                .collect_view(),
        )
    }

    fn card(&self, subscription: SubscriptionView, plans: &[PlanChoice]) -> impl IntoView {
        let locale = self.locale;
        let site = super::sites::site_line(&self.form.slug, &subscription);
        let devices = subscription
            .quotas
            .iter()
            .any(|q| q.quota == QuotaKind::Devices)
            .then(|| {
                self.devices(
                    &subscription.id,
                    subscription.devices,
                    subscription.devices_total,
                    subscription.state.allows_devices(),
                )
            });
        let reserves = subscription.quotas.iter().any(|q| q.quota.is_reservation());
        let measured = reserves.then(|| {
            let note = match subscription.measured_at.clone() {
                Some(at) => {
                    let (head, tail) = self.t(Msg::UsageMeasuredNote).split_once("{time}").unwrap_or(("", ""));
                    Either::Left(view! { {head}<LocalTime at />{tail} })
                }
                None => Either::Right(self.t(Msg::UsageNotMeasured)),
            };
            view! { <p class="mt-1 text-xs text-slate-600" data-usage-measured=subscription.measured_at.clone()>{note}</p> }
        });
        let usage = subscription
            .quotas
            .into_iter()
            .map(|usage| self.quota_bar(usage))
            .collect_view();
        // Owners and admins manage the backups of a service that is set up.
        let backups = (self.manage && subscription.state.allows_cancel()).then(|| {
            view! {
                <p class="mt-4 text-sm">
                    <a href=crate::routes::backups(&self.form.slug, &subscription.id) class="text-teal-800 underline" data-backups-link>
                        {self.t(Msg::BackupsLink)}
                    </a>
                </p>
            }
        });
        let controls = (self.manage && subscription.state.allows_cancel()).then(|| {
            self.controls(
                &subscription.id,
                subscription.version,
                &subscription.plan_code,
                subscription.state.allows_plan_change(),
                plans,
            )
        });
        view! {
            <article class="card mt-4" data-subscription=subscription.offer.code() data-plan=subscription.plan_code data-subscription-state=subscription.state.as_str()>
                <div class="flex flex-wrap items-baseline justify-between gap-2">
                    <h3 class="text-lg font-semibold">{subscription.offer_name.get(locale).to_owned()}" · "{subscription.plan_name.get(locale).to_owned()}</h3>
                    <span class="text-sm font-medium text-slate-700">{self.t(subscription_state_label(subscription.state))}</span>
                </div>
                {subscription.reason.map(|reason| view! { <p class="mt-2 text-sm text-amber-900" data-subscription-reason>{self.t(Msg::OrgStateReason)}" "{reason}</p> })}
                {subscription.pending_plan.map(|(code, name)| view! { <p class="mt-2 text-sm text-amber-900" data-pending-plan=code>{self.t(Msg::PlanChangeAwaiting)}" "{name.get(locale).to_owned()}</p> })}
                {site}
                <ProvisioningPanel slug=self.form.slug.clone() subscription_id=subscription.id state=subscription.state progress=subscription.progress />
                <h4 class="mt-4 text-sm font-semibold text-slate-700">{self.t(Msg::OrgUsage)}</h4>
                {measured}
                <dl class="mt-2 grid grid-cols-1 gap-x-6 gap-y-3 sm:grid-cols-2">{usage}</dl>
                {devices}
                {backups}
                {controls}
            </article>
        }
    }

    /// The other plans of the offer, each leading to its review (where the
    /// change is confirmed), and the cancel form.
    fn controls(
        &self,
        id: &str,
        version: i32,
        current_plan: &str,
        may_change_plan: bool,
        plans: &[PlanChoice],
    ) -> impl IntoView {
        let token = &self.form.csrf_token;
        let change_plan = may_change_plan.then(|| {
            let choices = plans
                .iter()
                .filter(|plan| plan.code.as_str() != current_plan)
                .map(|plan| {
                    let code = plan.code.as_str();
                    view! {
                        <li>
                            <a href=crate::routes::plan_review(&self.form.slug, code) data-change-plan=code.to_owned()
                                class="font-medium text-indigo-800 hover:text-indigo-950">
                                {plan.name.get(self.locale).to_owned()}
                            </a>
                            <span class="text-slate-600">" · "{price_line(self.locale, plan.monthly_price_cents)}</span>
                        </li>
                    }
                })
                .collect_view();
            view! {
                <div class="text-sm">
                    <span class="font-medium text-slate-700">{self.t(Msg::OrgChangePlan)}</span>
                    <ul class="mt-1 space-y-1">{choices}</ul>
                </div>
            }
        });
        view! {
            <div class="mt-4 flex flex-wrap items-start justify-between gap-3 border-t border-slate-100 pt-4">
                {change_plan}
                <form method="post" action=crate::routes::cancel_subscription(&self.form.slug, id)>
                    {csrf_field(token)}
                    <input type="hidden" name="version" value=version.to_string() />
                    <button type="submit" class=SMALL_DANGER>{self.t(Msg::OrgCancelSubscription)}</button>
                </form>
            </div>
        }
    }

    /// An IoT subscription's first devices, the link to all of them, and
    /// the form that registers one.
    fn devices(
        &self,
        subscription_id: &str,
        devices: Vec<Device>,
        total: u32,
        allowed_by_state: bool,
    ) -> impl IntoView {
        let may_register = self.use_services && allowed_by_state;
        let token = &self.form.csrf_token;
        let slug = &self.form.slug;
        let rows = devices
            .into_iter()
            .map(|device| {
                let remove = may_register.then(|| {
                    view! {
                        <form method="post" action=crate::routes::remove_device(slug, subscription_id, &device.id)>
                            {csrf_field(token)}
                            <button type="submit" class=SMALL_QUIET>{self.t(Msg::DeviceRemove)}</button>
                        </form>
                    }
                });
                let marker = device.name.clone();
                let status = self.t(crate::pages::labels::device_status_label(device.status));
                let details = crate::routes::device(slug, subscription_id, &device.id);
                view! {
                    <li class="flex items-center justify-between gap-3 py-2 text-sm" data-device=marker data-device-status=device.status.code()>
                        <span class="font-mono">{device.name}</span>
                        <span class="flex items-center gap-3 text-slate-600">
                            {device.registered_on}" · "{status}
                            <a href=details class=SMALL_QUIET data-device-details>{self.t(Msg::DeviceDetailsLink)}</a>
                            {remove}
                        </span>
                    </li>
                }
            })
            .collect_view();
        let register = may_register.then(|| {
            let problem = self.device_problem;
            let field = format!("device-{subscription_id}");
            view! {
                <form method="post" action=crate::routes::devices(slug, subscription_id) class="mt-2 flex flex-wrap items-end gap-2" data-device-form>
                    {csrf_field(token)}
                    <div>
                        <label for=field.clone() class=SMALL_LABEL>{self.t(Msg::DeviceName)}</label>
                        <input id=field.clone() name="name" value=self.typed_device.clone() required=true class="mt-1 rounded-lg border border-slate-300 px-2 py-1.5 text-sm font-mono"
                            aria-invalid=problem.is_some().then_some("true") />
                    </div>
                    <button type="submit" class=SMALL_QUIET>{self.t(Msg::DeviceRegister)}</button>
                    <FieldProblemText id=format!("{field}-problem") problem />
                </form>
            }
        });
        view! {
            <h4 class="mt-4 text-sm font-semibold text-slate-700">{self.t(Msg::DevicesTitle)}</h4>
            <ul class="mt-1 divide-y divide-slate-100">{rows}</ul>
            <p class="mt-1 text-sm">
                <a href=crate::routes::devices(slug, subscription_id) class="text-teal-800 underline" data-all-devices=total.to_string()>
                    {self.t(Msg::DevicesAll).replace("{n}", &total.to_string())}
                </a>
            </p>
            {register}
        }
    }

    /// One quota: a bar when the portal knows what is used, else the limit;
    /// amounts in the units people read (vCPU, GiB). CPU, memory and
    /// storage show what is really consumed, and below it what is reserved.
    fn quota_bar(&self, usage: QuotaUsage) -> impl IntoView {
        let locale = self.locale;
        let label = self.t(quota_name(usage.quota));
        let amount = |value: u32| quota_amount(locale, usage.quota, value);
        let limit = usage.limit;
        let plan = usage.plan_limit.map(
            |plan| view! { <span class="text-slate-500">" ("{self.t(Msg::OrgPlanValue)}" "{amount(plan)}")"</span> },
        );
        let cluster = usage.quota.is_reservation();
        // The meter counts in the finer unit consumption is measured in (MiB of a GiB quota).
        let (value, max, shown) = if cluster {
            let units = usage.quota.consumption_units();
            let max = u64::from(limit).saturating_mul(units);
            (
                usage.consumed,
                max,
                usage
                    .consumed
                    .map(|consumed| consumed_amount(locale, usage.quota, consumed)),
            )
        } else {
            (
                usage.used.map(u64::from),
                u64::from(limit),
                usage.used.map(amount),
            )
        };
        let figure = match &shown {
            Some(shown) => format!("{shown} / {}", amount(limit)),
            None => amount(limit),
        };
        // A native meter: accessible, and drawn without inline styles (the CSP forbids them).
        let bar = value.map(|value| {
            view! {
                <meter class="mt-1 block h-2 w-full" min="0" max=max value=value
                    low=max.saturating_mul(7) / 10 high=max.saturating_mul(9) / 10 optimum="0" aria-label=label>
                    {figure.clone()}
                </meter>
            }
        });
        let reserved = cluster.then(|| {
            let mut parts = Vec::new();
            if let Some(reserved) = usage.reserved {
                parts.push(
                    self.t(Msg::QuotaReservedAmount)
                        .replace("{amount}", &amount(reserved)),
                );
            }
            if usage.consumed.is_none() {
                parts.push(self.t(Msg::QuotaUseNotMeasured).to_owned());
            }
            view! { <dd class="text-xs text-slate-600" data-reserved=usage.reserved>{parts.join(" · ")}</dd> }
        });
        view! {
            <div data-quota=usage.quota.as_str() data-used=usage.used data-consumed=usage.consumed data-limit=limit>
                <dt class="quota-label"><span>{label}</span><span class="font-medium text-slate-900">{figure}{plan}</span></dt>
                <dd>{bar}</dd>
                {reserved}
            </div>
        }
    }
}
