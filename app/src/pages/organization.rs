//! An organization's page: its state, members and invitations, its
//! subscriptions with their usage, and the forms that change them. Every
//! form is a plain post (works without JavaScript); what the viewer's role
//! does not allow is not offered, and the server refuses it anyway.

use control::domain::{
    Device, Member, MemberView, OrganizationOverview, PendingInvitation, Permission, QuotaKind, QuotaUsage,
    Refusal, Role, SubscriptionView,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::{
    api::{organization_page, OfferChoice, OrganizationPageData, PlanChoice},
    components::{progress::ProvisioningPanel, status::StatusPage},
    i18n::{t, translator, use_locale, Msg},
    pages::{
        error::ServerErrorPage,
        labels::{
            organization_state_label, quota_label, role_label, subscription_state_label, FieldProblemText,
            RefusalNotice,
        },
        organizations::sign_in_then,
    },
};

const BUTTON: &str =
    "rounded-lg bg-indigo-700 px-3 py-1.5 text-sm font-semibold text-white hover:bg-indigo-800";
const QUIET_BUTTON: &str =
    "rounded-lg border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-800 hover:bg-slate-50";
const SELECT: &str = "rounded-lg border border-slate-300 bg-white px-2 py-1.5 text-sm";

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
                        MemberView::Ready(data) => view! { <OrganizationDetails data /> }.into_any(),
                        MemberView::NotFound => view! { <OrganizationNotFound /> }.into_any(),
                        MemberView::Forbidden => view! { <Denied /> }.into_any(),
                        MemberView::SignInRequired => sign_in_then("/orgs"),
                    })
                })}
            </ErrorBoundary>
        </Suspense>
    }
}

#[component]
pub fn OrganizationNotFound() -> impl IntoView {
    view! { <StatusPage code=404 title=Msg::OrgNotFoundTitle body=Msg::OrgNotFoundBody action=Msg::BackHome href="/orgs" /> }
}

/// What a 403 answers: the page exists for them, their role does not open it.
#[component]
pub fn Denied() -> impl IntoView {
    view! { <StatusPage code=403 title=Msg::DeniedTitle body=Msg::DeniedBody action=Msg::BackHome href="/orgs" /> }
}

/// Shared by every form of the page: where it posts and its CSRF token.
#[derive(Clone)]
struct FormContext {
    slug: String,
    csrf_token: String,
}

impl FormContext {
    fn action(&self, rest: &str) -> String {
        format!("/orgs/{}/{rest}", self.slug)
    }
}

/// The page's CSRF token, looked up once per component rather than per form.
fn csrf_token() -> String {
    use_context::<FormContext>()
        .map(|form| form.csrf_token)
        .unwrap_or_default()
}

/// The hidden field every form of the page carries.
fn csrf_field(token: &str) -> impl IntoView {
    view! { <input type="hidden" name="csrf_token" value=token.to_owned() /> }
}

#[component]
fn OrganizationDetails(data: OrganizationPageData) -> impl IntoView {
    let t = translator();
    let OrganizationPageData {
        overview,
        catalog,
        csrf_token,
    } = data;
    let OrganizationOverview {
        organization: org,
        state_reason,
        billing_email,
        members,
        invitations,
        subscriptions,
        viewer_id,
    } = overview;
    let role = org.role;
    let form = FormContext {
        slug: org.slug.clone(),
        csrf_token,
    };
    provide_context(form.clone());
    let query = use_query_map().read_untracked().clone();
    let refusal = Refusal::from_query(|name| query.get(name));
    let notice = if query.get("invited").is_some() {
        Some(Msg::OrgInvited)
    } else if query.get("joined").is_some() {
        Some(Msg::OrgJoined)
    } else {
        None
    };
    let audit_link = role
        .allows(Permission::ReadAudit)
        .then(|| view! { <a href=format!("/orgs/{}/audit", org.slug) class="text-sm font-medium text-indigo-800 hover:text-indigo-950">{t(Msg::OrgAuditLink)}</a> });
    let reason = state_reason.map(|reason| {
        view! { <p class="mt-2 rounded-lg border border-amber-200 bg-amber-50 p-3 text-sm text-amber-900" data-state-reason>{t(Msg::OrgStateReason)}" "{reason}</p> }
    });
    let subscribed: Vec<_> = subscriptions.iter().map(|s| s.offer).collect();
    let offers_to_add: Vec<OfferChoice> = catalog
        .iter()
        .filter(|offer| !subscribed.contains(&offer.kind))
        .cloned()
        .collect();
    let manage_subscriptions = role.allows(Permission::ManageSubscriptions);
    view! {
        <Title text=org.name.clone() />
        <section class="mx-auto max-w-4xl" aria-labelledby="org-title" data-organization=org.slug.clone()>
            <div class="flex flex-wrap items-baseline justify-between gap-4">
                <h1 id="org-title" class="text-3xl font-bold tracking-tight">{org.name}</h1>
                {audit_link}
            </div>
            <dl class="mt-4 grid grid-cols-1 gap-2 text-sm sm:grid-cols-3">
                <div><dt class="text-slate-600">{t(Msg::OrgYourRole)}</dt><dd class="font-medium" data-your-role=role.as_str()>{t(role_label(role))}</dd></div>
                <div><dt class="text-slate-600">{t(Msg::OrgFieldCountry)}</dt><dd class="font-medium">{org.country}</dd></div>
                <div><dt class="text-slate-600">{t(Msg::OrgBilling)}</dt><dd class="font-medium">{billing_email}</dd></div>
            </dl>
            <p class="mt-2 text-sm text-slate-600" data-state=org.state.clone()>{t(organization_state_label(&org.state))}</p>
            {reason}
            {notice.map(|msg| view! { <p role="status" data-notice class="mt-4 rounded-lg border border-emerald-200 bg-emerald-50 p-3 text-sm text-emerald-900">{t(msg)}</p> })}
            <RefusalNotice refusal=refusal.clone() />

            <h2 id="subscriptions" class="mt-10 text-xl font-semibold">{t(Msg::OrgSubscriptions)}</h2>
            <Subscriptions subscriptions catalog=catalog.clone() manage=manage_subscriptions use_services=role.allows(Permission::UseServices) />
            {(manage_subscriptions && !offers_to_add.is_empty()).then(|| view! { <AddService offers=offers_to_add /> })}

            <h2 id="members" class="mt-10 text-xl font-semibold">{t(Msg::OrgMembers)}</h2>
            <Members members viewer_id role />
            {role.allows(Permission::ManageMembers).then(|| view! {
                <Invitations invitations />
                <InviteForm role refusal />
            })}
        </section>
    }
    .into_any()
}

#[component]
fn Members(members: Vec<Member>, viewer_id: String, role: Role) -> impl IntoView {
    let token = csrf_token();
    let t = translator();
    let form = use_context::<FormContext>();
    let rows = members
        .into_iter()
        .map(|member| {
            let form = form.clone();
            let is_viewer = member.identity_id == viewer_id;
            let may_change = role.allows(Permission::ManageMembers)
                && (role.allows(Permission::ManageOwners) || member.role != Role::Owner);
            let shown = member.email.clone();
            let controls = form.map(|form| {
                let role_action = form.action(&format!("members/{}/role", member.identity_id));
                let remove_action = form.action(&format!("members/{}/remove", member.identity_id));
                let choices = Role::ALL
                    .into_iter()
                    .filter(|choice| *choice != Role::Owner || role.allows(Permission::ManageOwners))
                    .map(|choice| view! { <option value=choice.as_str() selected=choice == member.role>{t(role_label(choice))}</option> })
                    .collect_view();
                let remove_label = if is_viewer { Msg::OrgLeave } else { Msg::OrgRemoveMember };
                view! {
                    {(may_change && !is_viewer).then(|| view! {
                        <form method="post" action=role_action class="flex items-center gap-2">
                            {csrf_field(&token)}
                            <label class="sr-only" for=format!("role-{}", member.identity_id)>{t(Msg::OrgFieldRole)}</label>
                            <select id=format!("role-{}", member.identity_id) name="role" class=SELECT>{choices}</select>
                            <button type="submit" class=QUIET_BUTTON>{t(Msg::OrgChangeRole)}</button>
                        </form>
                    })}
                    {(may_change || is_viewer).then(|| view! {
                        <form method="post" action=remove_action>
                            {csrf_field(&token)}
                            <button type="submit" class=QUIET_BUTTON data-remove=member.email.clone()>{t(remove_label)}</button>
                        </form>
                    })}
                }
            });
            view! {
                <li class="flex flex-wrap items-center justify-between gap-3 p-4" data-member=member.email.clone() data-role=member.role.as_str()>
                    <span class="text-sm text-slate-900">
                        {shown}
                        {is_viewer.then(|| view! { <span class="text-slate-500">" ("{t(Msg::OrgYou)}")"</span> })}
                    </span>
                    <span class="flex flex-wrap items-center gap-3">
                        <span class="text-sm text-slate-600">{t(role_label(member.role))}</span>
                        {controls}
                    </span>
                </li>
            }
        })
        .collect_view();
    view! { <ul class="mt-4 divide-y divide-slate-200 rounded-xl border border-slate-200 bg-white shadow-sm">{rows}</ul> }
        .into_any()
}

#[component]
fn Invitations(invitations: Vec<PendingInvitation>) -> impl IntoView {
    let token = csrf_token();
    let t = translator();
    if invitations.is_empty() {
        return ().into_any();
    }
    let form = use_context::<FormContext>();
    let rows = invitations
        .into_iter()
        .map(|invitation| {
            let action = form
                .as_ref()
                .map(|form| form.action(&format!("invitations/{}/revoke", invitation.id)))
                .unwrap_or_default();
            let marker = invitation.email.clone();
            view! {
                <li class="flex flex-wrap items-center justify-between gap-3 p-4" data-invitation=marker>
                    <span class="text-sm text-slate-900">{invitation.email}</span>
                    <span class="flex items-center gap-3 text-sm text-slate-600">
                        {t(role_label(invitation.role))}" · "{t(Msg::OrgInvitationExpires)}" "{invitation.expires_on}
                        <form method="post" action=action>
                            {csrf_field(&token)}
                            <button type="submit" class=QUIET_BUTTON>{t(Msg::OrgRevokeInvitation)}</button>
                        </form>
                    </span>
                </li>
            }
        })
        .collect_view();
    view! {
        <h3 class="mt-6 text-lg font-semibold">{t(Msg::OrgPendingInvitations)}</h3>
        <ul class="mt-3 divide-y divide-slate-200 rounded-xl border border-slate-200 bg-white shadow-sm">{rows}</ul>
    }
    .into_any()
}

#[component]
fn InviteForm(role: Role, refusal: Option<Refusal>) -> impl IntoView {
    let token = csrf_token();
    let t = translator();
    let form = use_context::<FormContext>();
    let action = form
        .as_ref()
        .map(|form| form.action("invitations"))
        .unwrap_or_default();
    let query = use_query_map().read_untracked().clone();
    let typed = query.get("email").unwrap_or_default();
    let typed_role = query
        .get("role")
        .and_then(|r| Role::parse(&r))
        .unwrap_or(Role::Member);
    let problem = |field: &str| refusal.as_ref().and_then(|r| r.problem_of(field));
    let choices = Role::ALL
        .into_iter()
        .filter(|choice| *choice != Role::Owner || role.allows(Permission::ManageOwners))
        .map(|choice| view! { <option value=choice.as_str() selected=choice == typed_role>{t(role_label(choice))}</option> })
        .collect_view();
    view! {
        <form method="post" action=action class="mt-6 rounded-xl border border-slate-200 bg-white p-5 shadow-sm" data-invite-form>
            <h3 class="text-lg font-semibold">{t(Msg::OrgInviteTitle)}</h3>
            <p class="mt-1 text-sm text-slate-600">{t(Msg::OrgInviteLead)}</p>
            {csrf_field(&token)}
            <div class="mt-4 flex flex-wrap items-end gap-3">
                <div class="min-w-64 flex-1">
                    <label for="invite-email" class="block text-sm font-medium text-slate-800">{t(Msg::FieldEmail)}</label>
                    <input id="invite-email" type="email" name="email" value=typed required=true
                        aria-invalid=problem("email").is_some().then_some("true") aria-describedby="invite-email-problem"
                        class="mt-1 block w-full rounded-lg border border-slate-300 px-3 py-2 text-sm" />
                </div>
                <div>
                    <label for="invite-role" class="block text-sm font-medium text-slate-800">{t(Msg::OrgFieldRole)}</label>
                    <select id="invite-role" name="role" class=format!("mt-1 {SELECT}")>{choices}</select>
                </div>
                <button type="submit" class=BUTTON>{t(Msg::OrgInviteSubmit)}</button>
            </div>
            <FieldProblemText id="invite-email-problem".to_owned() problem=problem("email") />
            <FieldProblemText id="invite-role-problem".to_owned() problem=problem("role") />
        </form>
    }
    .into_any()
}

#[component]
fn Subscriptions(
    subscriptions: Vec<SubscriptionView>,
    catalog: Vec<OfferChoice>,
    manage: bool,
    use_services: bool,
) -> impl IntoView {
    let t = translator();
    if subscriptions.is_empty() {
        return view! { <p class="mt-4 text-sm text-slate-600" data-no-subscriptions>{t(Msg::OrgNoSubscriptions)}</p> }.into_any();
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
    let usage = subscription
        .quotas
        .iter()
        .cloned()
        .map(|usage| view! { <QuotaBar usage /> })
        .collect_view();
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
                    <button type="submit" class="rounded-lg border border-rose-300 bg-white px-3 py-1.5 text-sm font-medium text-rose-800 hover:bg-rose-50">{t(Msg::OrgCancelSubscription)}</button>
                </form>
            </div>
        }
    });
    view! {
        <article class="mt-4 rounded-xl border border-slate-200 bg-white p-5 shadow-sm" data-subscription=subscription.offer.code() data-plan=subscription.plan_code.clone() data-subscription-state=subscription.state.as_str()>
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
#[component]
fn QuotaBar(usage: QuotaUsage) -> impl IntoView {
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
            <dt class="flex justify-between text-sm text-slate-600"><span>{label}</span><span class="font-medium text-slate-900">{figure}{plan}</span></dt>
            <dd>{bar}</dd>
        </div>
    }
    .into_any()
}

#[component]
fn AddService(offers: Vec<OfferChoice>) -> impl IntoView {
    let token = csrf_token();
    let t = translator();
    let locale = use_locale();
    let action = use_context::<FormContext>()
        .map(|form| form.action("subscriptions"))
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
                            <button type="submit" class=QUIET_BUTTON data-subscribe=code>{t(Msg::OrgSubscribe)}</button>
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
        <h3 class="mt-6 text-lg font-semibold">{t(Msg::OrgAddService)}</h3>
        <div class="mt-3 grid grid-cols-1 gap-4 md:grid-cols-3">{offers}</div>
    }
    .into_any()
}
