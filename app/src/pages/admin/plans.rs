//! `/admin/plans` (the catalog, retired plans included, and the new-plan
//! form) and `/admin/plans/<code>` (editing one, retiring it). The edit form
//! carries the plan's version: an edit made meanwhile by another admin makes
//! this one stale instead of silently overwriting it.

use control::domain::{parse_field_errors, AdminAccess, OfferKind, PlanForm, PlanRecord, QuotaKind, Refusal};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::{
    api::admin::{admin_plan_list, WithToken},
    components::{
        access::admin_refused,
        button,
        classes::PAGE_TITLE,
        form::{csrf_field, FieldProblemText, SmallField, SMALL_INPUT, SMALL_LABEL},
        loaded::Loaded,
        navigation::AdminNav,
        notice::{refusal_in_query, DoneNotice, RefusalNotice},
        status::StatusPage,
        table::FramedTable,
    },
    i18n::{format_price, t, use_locale, Msg},
    pages::labels::{offer_label, quota_label},
};

#[component]
pub fn AdminPlansPage() -> impl IntoView {
    let plans = admin_plan_list();
    view! {
        <Title text=t(Msg::PlansTitle) />
        <Loaded data=plans let:access>
            {match access {
                AdminAccess::Granted(WithToken { content, csrf_token }) => view! { <PlanList plans=content csrf_token /> }.into_any(),
                refused => admin_refused(refused, crate::routes::ADMIN_PLANS),
            }}
        </Loaded>
    }
}

#[component]
fn PlanList(plans: Vec<PlanRecord>, csrf_token: String) -> impl IntoView {
    let locale = use_locale();
    let rows = plans
        .into_iter()
        .map(|plan| {
            let href = crate::routes::admin_plan(&plan.code);
            let status = match &plan.retired_on {
                Some(day) => format!("{} {day}", t(Msg::PlanRetiredOn)),
                None => t(Msg::PlanOnSale).to_owned(),
            };
            view! {
                <tr data-plan=plan.code.clone() data-plan-retired=plan.retired_on.is_some()>
                    <td class="px-3 py-2">{t(offer_label(plan.offer))}</td>
                    <td class="px-3 py-2"><a href=href class="font-medium text-indigo-800">{plan.name.get(locale).to_owned()}</a><div class="font-mono text-xs text-slate-500">{plan.code.clone()}</div></td>
                    <td class="px-3 py-2">{format_price(locale, plan.monthly_price_cents)}</td>
                    <td class="px-3 py-2">{plan.subscriptions}</td>
                    <td class="px-3 py-2">{status}</td>
                </tr>
            }
        })
        .collect_view();
    let columns = [
        Msg::TenantsOffer,
        Msg::OrgPlan,
        Msg::PlanFieldPrice,
        Msg::PlanSubscriptions,
        Msg::TenantsState,
    ]
    .map(t)
    .to_vec();
    view! {
        <section class="mx-auto max-w-5xl" aria-labelledby="plans-title">
            <AdminNav />
            <h1 id="plans-title" class=PAGE_TITLE>{t(Msg::PlansTitle)}</h1>
            <FramedTable margin="mt-6" columns>{rows}</FramedTable>
            <h2 class="mt-10 text-xl font-semibold">{t(Msg::PlanNew)}</h2>
            <PlanFields action=crate::routes::ADMIN_PLANS.to_owned() csrf_token version=None initial=PlanForm::default() submit=Msg::PlanCreate />
        </section>
    }
    .into_any()
}

#[component]
pub fn AdminPlanPage() -> impl IntoView {
    let params = use_params_map();
    let plans = admin_plan_list();
    view! {
        <Loaded data=plans let:access>
            {
                let code = params.read_untracked().get("code").unwrap_or_default();
                match access {
                    AdminAccess::Granted(WithToken { content, csrf_token }) => {
                        match content.into_iter().find(|plan| plan.code == code) {
                            Some(plan) => view! { <PlanEditor plan csrf_token /> }.into_any(),
                            None => view! { <StatusPage code=404 title=Msg::NotFoundTitle body=Msg::NotFoundBody action=Msg::AdminNavPlans href=crate::routes::ADMIN_PLANS /> }.into_any(),
                        }
                    }
                    refused => admin_refused(refused, &crate::routes::admin_plan(&code)),
                }
            }
        </Loaded>
    }
}

#[component]
fn PlanEditor(plan: PlanRecord, csrf_token: String) -> impl IntoView {
    let locale = use_locale();
    let base = crate::routes::admin_plan(&plan.code);
    let (sale, sale_label) = if plan.retired_on.is_some() {
        (crate::routes::PlanSale::Restore, Msg::PlanRestore)
    } else {
        (crate::routes::PlanSale::Retire, Msg::PlanRetire)
    };
    let sale_action = crate::routes::admin_plan_sale(&plan.code, sale);
    let query = use_query_map().read_untracked().clone();
    view! {
        <Title text=plan.name.get(locale).to_owned() />
        <section class="mx-auto max-w-3xl" aria-labelledby="plan-title" data-plan-editor=plan.code.clone()>
            <AdminNav />
            <h1 id="plan-title" class=PAGE_TITLE>{plan.name.get(locale).to_owned()}</h1>
            <p class="mt-1 font-mono text-sm text-slate-600">{plan.code.clone()}</p>
            {query.get("done").is_some().then(|| view! { <DoneNotice text=Msg::TenantDone /> })}
            <form method="post" action=sale_action class="mt-4">
                {csrf_field(&csrf_token)}
                <input type="hidden" name="version" value=plan.version.to_string() />
                <button type="submit" class=button::SMALL_QUIET data-plan-sale>{t(sale_label)}</button>
            </form>
            <PlanFields action=base.clone() csrf_token version=Some(plan.version) initial=PlanForm::of(&plan) submit=Msg::PlanSave />
        </section>
    }
    .into_any()
}

/// The plan form; after a refusal, filled with what was posted.
#[component]
fn PlanFields(
    action: String,
    csrf_token: String,
    version: Option<i64>,
    initial: PlanForm,
    submit: Msg,
) -> impl IntoView {
    let query = use_query_map().read_untracked().clone();
    let refusal = refusal_in_query();
    let errors = parse_field_errors(&query.get("errors").unwrap_or_default());
    // After a stale refusal the form shows the plan as it is now (what was
    // posted would overwrite the other admin's edit on the next click).
    let refused = refusal.as_ref().is_some_and(|r| *r != Refusal::Stale);
    let posted = query.clone();
    let value = move |name: &str, fallback: &str| {
        if refused {
            posted.get(name).unwrap_or_default()
        } else {
            fallback.to_owned()
        }
    };
    let problem = |field: &str| errors.iter().find(|e| e.field == field).map(|e| e.problem);
    let text = |name: &'static str, label: String, current: String| {
        view! { <SmallField id=format!("plan-{name}") name label value=current problem=problem(name) /> }
    };
    let offer = value("offer", &initial.offer);
    let offers = OfferKind::ALL
        .into_iter()
        .map(|kind| view! { <option value=kind.code() selected=kind.code() == offer>{t(offer_label(kind))}</option> })
        .collect_view();
    let quota_value = |kind: QuotaKind| -> String {
        let f = &initial;
        match kind {
            QuotaKind::CpuMillicores => f.cpu_millicores.clone(),
            QuotaKind::MemoryMib => f.memory_mib.clone(),
            QuotaKind::StorageGib => f.storage_gib.clone(),
            QuotaKind::Seats => f.seats.clone(),
            QuotaKind::Devices => f.devices.clone(),
            QuotaKind::BackupRetentionDays => f.backup_retention_days.clone(),
            QuotaKind::OpenstackVcpus => f.openstack_vcpus.clone(),
            QuotaKind::OpenstackRamMib => f.openstack_ram_mib.clone(),
            QuotaKind::OpenstackInstances => f.openstack_instances.clone(),
        }
    };
    let quotas = QuotaKind::ALL
        .into_iter()
        .map(|kind| {
            let mut label = t(quota_label(kind)).to_owned();
            if matches!(kind, QuotaKind::Seats | QuotaKind::Devices) {
                label = format!("{label} ({})", t(Msg::PlanFieldBlankHint));
            }
            text(kind.as_str(), label, value(kind.as_str(), &quota_value(kind)))
        })
        .collect_view();
    // Each known module's code, with its name and the offers it serves.
    let known_modules = control::domain::OdooModule::ALL
        .into_iter()
        .map(|module| {
            let offers: Vec<&str> = OfferKind::ALL
                .into_iter()
                .filter(|offer| module.serves(*offer))
                .map(|offer| t(offer_label(offer)))
                .collect();
            let name = t(crate::pages::labels::module_text(module).0);
            format!("{} ({name}, {})", module.technical_name(), offers.join(" / "))
        })
        .collect::<Vec<_>>()
        .join(" · ");
    let approval = if refused {
        query.get("requires_approval").is_some()
    } else {
        initial.requires_approval.is_some()
    };
    view! {
        <form method="post" action=action class="mt-4 space-y-4 rounded-xl border border-slate-200 bg-white p-5 shadow-sm" data-plan-form>
            <RefusalNotice refusal />
            {csrf_field(&csrf_token)}
            {version.map(|version| view! { <input type="hidden" name="version" value=version.to_string() /> })}
            <div class="grid grid-cols-1 gap-3 sm:grid-cols-2">
                <div>
                    <label for="plan-offer" class=SMALL_LABEL>{t(Msg::TenantsOffer)}</label>
                    <select id="plan-offer" name="offer" class=SMALL_INPUT>{offers}</select>
                    <FieldProblemText id="plan-offer-problem".to_owned() problem=problem("offer") />
                </div>
                {text("code", t(Msg::PlanFieldCode).to_owned(), value("code", &initial.code))}
                {text("name_en", t(Msg::PlanFieldNameEn).to_owned(), value("name_en", &initial.name_en))}
                {text("name_fr", t(Msg::PlanFieldNameFr).to_owned(), value("name_fr", &initial.name_fr))}
                {text("monthly_price", t(Msg::PlanFieldPrice).to_owned(), value("monthly_price", &initial.monthly_price))}
            </div>
            <div class="grid grid-cols-1 gap-3 sm:grid-cols-3">{quotas}</div>
            <fieldset class="grid grid-cols-1 gap-3 sm:grid-cols-3">
                <legend class="text-sm font-medium text-slate-700">{t(Msg::PlanFieldTelemetry)}</legend>
                {text("device_messages_per_minute", t(Msg::PlanFieldDeviceRate).to_owned(), value("device_messages_per_minute", &initial.device_messages_per_minute))}
                {text("organization_messages_per_minute", t(Msg::PlanFieldOrganizationRate).to_owned(), value("organization_messages_per_minute", &initial.organization_messages_per_minute))}
                {text("telemetry_retention_days", t(Msg::PlanFieldTelemetryRetention).to_owned(), value("telemetry_retention_days", &initial.telemetry_retention_days))}
            </fieldset>
            <div class="grid grid-cols-1 gap-3 sm:grid-cols-2">
                {text("included_modules", t(Msg::PlanFieldIncludedModules).to_owned(), value("included_modules", &initial.included_modules))}
                {text("optional_modules", t(Msg::PlanFieldOptionalModules).to_owned(), value("optional_modules", &initial.optional_modules))}
            </div>
            <p class="text-xs text-slate-600" data-known-modules>{t(Msg::PlanFieldModulesHint)}" "{known_modules}</p>
            <label class="flex items-center gap-2 text-sm">
                <input type="checkbox" name="requires_approval" value="on" checked=approval />
                {t(Msg::PlanFieldApproval)}
            </label>
            <button type="submit" class=button::PRIMARY>{t(submit)}</button>
        </form>
    }
    .into_any()
}
