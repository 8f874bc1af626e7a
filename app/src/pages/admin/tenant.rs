//! `/admin/tenants/<slug>`: one tenant for platform admins: its members,
//! subscriptions with usage and quota overrides, recent audit, and the
//! forms that approve, reject, suspend, resume and close it.

use control::domain::{
    AdminAccess, OrganizationDetail, OrganizationState, QuotaUsage, SubscriptionState, SubscriptionView,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::jobs::AdminJobs;
use crate::{
    api::admin::{admin_tenant, WithToken},
    components::{
        access::admin_refused,
        audit_log::AuditLog,
        button::{SMALL_DANGER, SMALL_PRIMARY, SMALL_QUIET},
        classes::{LIST, PAGE_TITLE},
        form::{csrf_field, INLINE_FIELD},
        loaded::Loaded,
        navigation::AdminNav,
        notice::{refusal_in_query, DoneNotice, RefusalNotice},
        status::StatusPage,
    },
    i18n::{country_name, t, use_locale, Msg},
    pages::labels::{organization_state_label, quota_label, role_label, subscription_state_label},
};

#[component]
pub fn AdminTenantPage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let tenant = admin_tenant(untrack(slug));
    view! {
        <Loaded data=tenant let:access>
            {
                let here = crate::routes::admin_tenant(&slug());
                match access {
                    AdminAccess::Granted(WithToken { content: Some(tenant), csrf_token }) => {
                        view! { <TenantView tenant csrf_token /> }.into_any()
                    }
                    AdminAccess::Granted(WithToken { content: None, .. }) => view! {
                        <StatusPage code=404 title=Msg::NotFoundTitle body=Msg::TenantNotFound action=Msg::AdminNavTenants href=crate::routes::ADMIN_TENANTS />
                    }
                    .into_any(),
                    refused => admin_refused(refused, &here),
                }
            }
        </Loaded>
    }
}

/// A small form posting to `action` with the admin token and `version`.
#[component]
fn ActionForm(action: String, token: String, version: i32, children: Children) -> impl IntoView {
    view! {
        <form method="post" action=action class="flex flex-wrap items-end gap-2">
            {csrf_field(&token)}
            <input type="hidden" name="version" value=version.to_string() />
            {children()}
        </form>
    }
}

#[component]
fn ReasonField(id: String) -> impl IntoView {
    view! {
        <label class="text-sm">
            <span class="block text-xs font-medium text-slate-700">{t(Msg::TenantReason)}</span>
            <input id=id name="reason" required=true minlength="3" maxlength="500" class=format!("mt-1 w-80 {INLINE_FIELD}") />
        </label>
    }
}

#[component]
fn TenantView(tenant: OrganizationDetail, csrf_token: String) -> impl IntoView {
    let tenant_slug = tenant.slug.clone();
    let action = move |action| crate::routes::admin_tenant_action(&tenant_slug, action);
    let query = use_query_map().read_untracked().clone();
    let done = query.get("done").is_some();
    let token = csrf_token.clone();
    let version = tenant.version;
    let state_actions = match tenant.state {
        OrganizationState::PendingApproval => view! {
            <ActionForm action=action(crate::routes::TenantAction::Approve) token=token.clone() version>
                <button type="submit" class=SMALL_PRIMARY data-tenant-approve>{t(Msg::TenantApprove)}</button>
            </ActionForm>
            <ActionForm action=action(crate::routes::TenantAction::Reject) token=token.clone() version>
                <ReasonField id="reject-reason".to_owned() />
                <button type="submit" class=SMALL_DANGER>{t(Msg::TenantReject)}</button>
            </ActionForm>
        }
        .into_any(),
        OrganizationState::Active => view! {
            <ActionForm action=action(crate::routes::TenantAction::Suspend) token=token.clone() version>
                <ReasonField id="suspend-reason".to_owned() />
                <button type="submit" class=SMALL_DANGER data-tenant-suspend>{t(Msg::TenantSuspend)}</button>
            </ActionForm>
        }
        .into_any(),
        OrganizationState::Suspended => view! {
            <ActionForm action=action(crate::routes::TenantAction::Resume) token=token.clone() version>
                <ReasonField id="resume-reason".to_owned() />
                <button type="submit" class=SMALL_PRIMARY data-tenant-resume>{t(Msg::TenantResume)}</button>
            </ActionForm>
        }
        .into_any(),
        OrganizationState::Closed => ().into_any(),
    };
    let close = (tenant.state != OrganizationState::Closed).then(|| {
        view! {
            <div class="mt-6 rounded-xl border border-rose-200 bg-rose-50 p-4">
                <p class="text-sm text-rose-900">{t(Msg::TenantCloseLead)}" "<code>{tenant.slug.clone()}</code></p>
                <div class="mt-2">
                    <ActionForm action=action(crate::routes::TenantAction::Close) token=token.clone() version>
                        <input name="confirmation" aria-label=t(Msg::TenantClose) autocomplete="off" class=INLINE_FIELD />
                        <button type="submit" class=SMALL_DANGER data-tenant-close>{t(Msg::TenantClose)}</button>
                    </ActionForm>
                </div>
            </div>
        }
    });
    let members = tenant
        .members
        .into_iter()
        .map(|m| view! { <li class="flex justify-between gap-3 p-3 text-sm"><span class="min-w-0 wrap-anywhere">{m.email}</span><span class="text-slate-600">{t(role_label(m.role))}</span></li> })
        .collect_view();
    let subscriptions = tenant
        .subscriptions
        .into_iter()
        .map(|subscription| view! { <AdminSubscription subscription token=csrf_token.clone() slug=tenant.slug.clone() /> })
        .collect_view();
    view! {
        <Title text=tenant.name.clone() />
        <section class="mx-auto max-w-5xl" aria-labelledby="tenant-title" data-admin-tenant=tenant.slug.clone()>
            <AdminNav />
            <h1 id="tenant-title" class=PAGE_TITLE>{tenant.name}</h1>
            <p class="mt-1 text-sm text-slate-600 wrap-anywhere">{tenant.slug.clone()}" · "{country_name(use_locale(), &tenant.country).to_owned()}" · "{tenant.billing_email}" · "{tenant.created_on}</p>
            <p class="mt-2 text-sm font-medium" data-tenant-state=tenant.state.as_str()>{t(organization_state_label(tenant.state))}</p>
            {tenant.state_reason.map(|reason| view! { <p class="mt-1 text-sm text-amber-900" data-state-reason>{t(Msg::OrgStateReason)}" "{reason}</p> })}
            {done.then(|| view! { <DoneNotice text=Msg::TenantDone /> })}
            <RefusalNotice refusal=refusal_in_query() />
            <div class="mt-4 flex flex-wrap gap-4">{state_actions}</div>
            <h2 class="mt-8 text-xl font-semibold">{t(Msg::OrgSubscriptions)}</h2>
            {subscriptions}
            <h2 class="mt-8 text-xl font-semibold">{t(Msg::AdminBackupsTitle)}</h2>
            <crate::components::backup_health::BackupHealthTable services=tenant.backups show_organization=false />
            <h2 class="mt-8 text-xl font-semibold">{t(Msg::TenantJobs)}</h2>
            <AdminJobs jobs=tenant.jobs token=csrf_token.clone() slug=tenant.slug.clone() />
            <h2 class="mt-8 text-xl font-semibold">{t(Msg::OrgMembers)}</h2>
            <ul class=format!("mt-3 {LIST}")>{members}</ul>
            <h2 class="mt-8 text-xl font-semibold">{t(Msg::TenantRecentAudit)}</h2>
            <AuditLog entries=tenant.audit show_organization=false />
            {close}
        </section>
    }
    .into_any()
}

#[component]
fn AdminSubscription(subscription: SubscriptionView, token: String, slug: String) -> impl IntoView {
    let locale = use_locale();
    let action = |action| crate::routes::admin_subscription_action(&subscription.id, action);
    let pending = subscription.pending_plan.clone().map(|(code, name)| {
        view! { <p class="mt-2 text-sm text-amber-900" data-pending-plan=code>{t(Msg::PlanChangeAwaiting)}" "{name.get(locale).to_owned()}</p> }
    });
    let waiting =
        subscription.state == SubscriptionState::AwaitingApproval || subscription.pending_plan.is_some();
    let decision = waiting.then(|| {
        let (approve, reject) = (
            action(crate::routes::SubscriptionAction::Approve),
            action(crate::routes::SubscriptionAction::Reject),
        );
        let (slug_a, slug_r) = (slug.clone(), slug.clone());
        let reason_id = format!("reject-{}", subscription.id);
        view! {
            <div class="mt-3 flex flex-wrap gap-4">
                <ActionForm action=approve token=token.clone() version=subscription.version>
                    <input type="hidden" name="slug" value=slug_a />
                    <button type="submit" class=SMALL_PRIMARY data-subscription-approve=subscription.offer.code()>{t(Msg::TenantApprove)}</button>
                </ActionForm>
                <ActionForm action=reject token=token.clone() version=subscription.version>
                    <input type="hidden" name="slug" value=slug_r />
                    <ReasonField id=reason_id />
                    <button type="submit" class=SMALL_DANGER>{t(Msg::TenantReject)}</button>
                </ActionForm>
            </div>
        }
    });
    let quotas = subscription
        .quotas
        .into_iter()
        .map(|usage| view! { <OverrideRow usage action=action(crate::routes::SubscriptionAction::Quota) token=token.clone() slug=slug.clone() /> })
        .collect_view();
    view! {
        <article class="mt-4 rounded-xl border border-slate-200 bg-white p-4 shadow-sm" data-subscription=subscription.offer.code() data-subscription-state=subscription.state.as_str()>
            <div class="flex flex-wrap items-baseline justify-between gap-2">
                <h3 class="font-semibold">{subscription.offer_name.get(locale).to_owned()}" · "{subscription.plan_name.get(locale).to_owned()}</h3>
                <span class="text-sm">{t(subscription_state_label(subscription.state))}</span>
            </div>
            {pending}
            {decision}
            <table class="mt-3 w-full text-left text-sm wrap-anywhere">
                <tbody class="divide-y divide-slate-100">{quotas}</tbody>
            </table>
        </article>
    }
    .into_any()
}

/// One quota: what is used, the effective limit, and the override form.
#[component]
fn OverrideRow(usage: QuotaUsage, action: String, token: String, slug: String) -> impl IntoView {
    let effective = usage.limit;
    let overridden = usage.plan_limit.is_some();
    let used = usage.used.map(|used| format!("{used} / ")).unwrap_or_default();
    let current_override = if overridden {
        effective.to_string()
    } else {
        String::new()
    };
    let plan = usage
        .plan_limit
        .map(|plan| format!(" ({} {plan})", t(Msg::OrgPlanValue)));
    view! {
        <tr data-quota=usage.quota.as_str() data-limit=effective>
            <td class="py-2 pr-3 text-slate-700">{t(quota_label(usage.quota))}</td>
            <td class="py-2 pr-3 font-medium">{used}{effective}{plan}</td>
            <td class="py-2">
                <form method="post" action=action class="flex items-center gap-2">
                    {csrf_field(&token)}
                    <input type="hidden" name="slug" value=slug />
                    <input type="hidden" name="quota" value=usage.quota.as_str() />
                    <input name="value" inputmode="numeric" value=current_override
                        aria-label=format!("{} {}", t(Msg::QuotaOverride), t(quota_label(usage.quota))) title=t(Msg::QuotaOverrideHint)
                        class=format!("w-28 {INLINE_FIELD}") />
                    <button type="submit" class=SMALL_QUIET>{t(Msg::QuotaOverrideSet)}</button>
                </form>
            </td>
        </tr>
    }
    .into_any()
}
