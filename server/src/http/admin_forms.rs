//! The admin portal's forms (tenants, subscriptions, quota overrides,
//! plans) and the audit log's CSV export. Each post checks its CSRF token and
//! parses its fields once; the control plane checks the admin gate (a
//! platform admin at AAL2) and the version the form was drawn from.

use app::routes::{self, pattern, JobAction, PlanSale, SubscriptionAction, TenantAction, ADMIN_AUDIT};
use axum::{
    extract::{Path, Query, State},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
    Router,
};
use control::domain::{AdminAccess, AuditFilter, FieldProblem, PlanForm, Refusal, SignedInUser};
use http::{header, request::Parts};
use serde::Deserialize;

use super::{
    admin_actions::{on_subscription, on_tenant, ActionFields},
    answers::{answer, done_at, id_in_path, parsed, FormVersion, Post},
    AppState,
};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(pattern::ADMIN_TENANT_ACTION, post(tenant_action))
        .route(pattern::ADMIN_SUBSCRIPTION_ACTION, post(subscription_action))
        .route(pattern::ADMIN_JOB_ACTION, post(job_action))
        .route(pattern::ADMIN_PLANS, post(create_plan))
        .route(pattern::ADMIN_PLAN, post(update_plan))
        .route(pattern::ADMIN_PLAN_SALE, post(plan_sale))
        .route(pattern::ADMIN_AUDIT_CSV, get(audit_csv))
}

// One struct per form, with the fields it posts; a missing field is empty
// (`default`) and refused by the operation beside its field.

/// A tenant's decision, suspension, resumption or closing (see [`TenantAction`]).
#[derive(Deserialize, Default)]
#[serde(default)]
struct TenantActionPost {
    version: FormVersion,
    /// Rejecting and suspending give one.
    reason: String,
    /// Closing asks for the tenant's slug again.
    confirmation: String,
}

/// A subscription's decision or quota override (see [`SubscriptionAction`]),
/// from its tenant's page.
#[derive(Deserialize, Default)]
#[serde(default)]
struct SubscriptionActionPost {
    /// The tenant whose page the form is on, to go back to.
    slug: String,
    version: FormVersion,
    /// Rejecting gives one.
    reason: String,
    /// The override's quota and limit (blank: no override).
    quota: String,
    value: String,
}

/// A provisioning job's retry or cancel, from its tenant's page.
#[derive(Deserialize, Default)]
#[serde(default)]
struct JobActionPost {
    /// The tenant whose page the form is on, to go back to.
    slug: String,
}

/// A plan's retirement or return to sale.
#[derive(Deserialize, Default)]
#[serde(default)]
struct PlanSalePost {
    version: FormVersion,
}

fn user(parts: &Parts) -> Option<&SignedInUser> {
    parts.extensions.get::<SignedInUser>()
}

async fn tenant_action(
    Path((slug, action)): Path<(String, String)>,
    post: Post<TenantActionPost>,
) -> Response {
    let form = post.form(&routes::admin_tenant(&slug));
    let done = routes::done(&form.back);
    let fields = &post.fields;
    post.submit(form, async |caller| {
        let Some(action) = TenantAction::parse(&action) else {
            return Ok(Err(Refusal::NotFound));
        };
        let text = ActionFields {
            reason: &fields.reason,
            confirmation: &fields.confirmation,
            ..ActionFields::default()
        };
        let (control, user, version) = (&post.state.control, user(&post.parts), fields.version.get32());
        let outcome = on_tenant(control, user, &caller, &slug, version, action, &text).await;
        done_at(outcome, &done)
    })
    .await
}

/// Retry or cancel a provisioning job, from its tenant's page.
async fn job_action(Path((id, action)): Path<(String, String)>, post: Post<JobActionPost>) -> Response {
    let form = post.form(&routes::admin_tenant(post.fields.slug.trim()));
    let done = routes::done(&form.back);
    post.submit(form, async |caller| {
        let job = parsed!(id_in_path(&id));
        let Some(action) = JobAction::parse(&action) else {
            return Ok(Err(Refusal::NotFound));
        };
        let outcome = post
            .state
            .control
            .admin_job_action(user(&post.parts), &caller, job, action)
            .await;
        done_at(outcome, &done)
    })
    .await
}

async fn subscription_action(
    Path((id, action)): Path<(String, String)>,
    post: Post<SubscriptionActionPost>,
) -> Response {
    let fields = &post.fields;
    let form = post.form(&routes::admin_tenant(fields.slug.trim()));
    let done = routes::done(&form.back);
    post.submit(form, async |caller| {
        let subscription = parsed!(id_in_path(&id));
        let Some(action) = SubscriptionAction::parse(&action) else {
            return Ok(Err(Refusal::NotFound));
        };
        let text = ActionFields {
            reason: &fields.reason,
            quota: &fields.quota,
            value: &fields.value,
            ..ActionFields::default()
        };
        let (control, user, version) = (&post.state.control, user(&post.parts), fields.version.get32());
        let outcome = on_subscription(control, user, &caller, subscription, version, action, &text).await;
        done_at(outcome, &done)
    })
    .await
}

#[derive(Deserialize)]
struct PlanPost {
    #[serde(default)]
    version: FormVersion,
    #[serde(flatten)]
    form: PlanForm,
}

/// What was typed in the plan form, so a refused form comes back filled.
fn plan_echo(form: &PlanForm) -> Vec<(&'static str, String)> {
    let mut echo = vec![
        ("offer", form.offer.clone()),
        ("code", form.code.clone()),
        ("name_en", form.name_en.clone()),
        ("name_fr", form.name_fr.clone()),
        ("monthly_price", form.monthly_price.clone()),
        ("cpu_millicores", form.cpu_millicores.clone()),
        ("memory_mib", form.memory_mib.clone()),
        ("storage_gib", form.storage_gib.clone()),
        ("seats", form.seats.clone()),
        ("devices", form.devices.clone()),
        ("backup_retention_days", form.backup_retention_days.clone()),
        ("openstack_vcpus", form.openstack_vcpus.clone()),
        ("openstack_ram_mib", form.openstack_ram_mib.clone()),
        ("openstack_instances", form.openstack_instances.clone()),
        ("included_modules", form.included_modules.clone()),
        ("optional_modules", form.optional_modules.clone()),
    ];
    if let Some(on) = &form.requires_approval {
        echo.push(("requires_approval", on.clone()));
    }
    echo
}

async fn create_plan(post: Post<PlanPost>) -> Response {
    let form = post.form(routes::ADMIN_PLANS).echo(plan_echo(&post.fields.form));
    post.submit(form, async |caller| {
        let draft = parsed!(post.fields.form.parse().map_err(Refusal::Fields));
        let created = post
            .state
            .control
            .create_plan(user(&post.parts), &caller, &draft)
            .await;
        done_at(
            created,
            &routes::done(&routes::admin_plan(&draft.code.to_string())),
        )
    })
    .await
}

async fn update_plan(Path(code): Path<String>, post: Post<PlanPost>) -> Response {
    let form = post
        .form(&routes::admin_plan(&code))
        .echo(plan_echo(&post.fields.form));
    let done = routes::done(&form.back);
    post.submit(form, async |caller| {
        let draft = parsed!(post.fields.form.parse().map_err(Refusal::Fields));
        let version = post.fields.version.get();
        done_at(
            post.state
                .control
                .update_plan(user(&post.parts), &caller, &code, version, &draft)
                .await,
            &done,
        )
    })
    .await
}

async fn plan_sale(Path((code, action)): Path<(String, String)>, post: Post<PlanSalePost>) -> Response {
    let form = post.form(&routes::admin_plan(&code));
    let done = routes::done(&form.back);
    post.submit(form, async |caller| {
        let on_sale = match PlanSale::parse(&action) {
            Some(PlanSale::Retire) => false,
            Some(PlanSale::Restore) => true,
            None => return Ok(Err(Refusal::NotFound)),
        };
        let version = post.fields.version.get();
        let changed = post
            .state
            .control
            .set_plan_on_sale(user(&post.parts), &caller, &code, version, on_sale)
            .await;
        done_at(changed, &done)
    })
    .await
}

/// The export's query, read as text so that a malformed value is a field
/// error in the visitor's language rather than a bare 400.
#[derive(Deserialize)]
struct AuditQuery {
    organization: Option<String>,
    action: Option<String>,
    actor: Option<String>,
    since: Option<String>,
    until: Option<String>,
    before: Option<String>,
}

async fn audit_csv(State(state): State<AppState>, parts: Parts, Query(query): Query<AuditQuery>) -> Response {
    let before = match query.before.as_deref().map(str::trim).filter(|b| !b.is_empty()) {
        None => None,
        Some(raw) => match raw.parse::<i64>() {
            Ok(before) => Some(before),
            Err(_) => {
                let refusal = Refusal::field("before", FieldProblem::NotANumber);
                let query = serde_urlencoded::to_string(refusal.to_query()).unwrap_or_default();
                return Redirect::to(&format!("{ADMIN_AUDIT}?{query}")).into_response();
            }
        },
    };
    let filter = AuditFilter {
        organization: query.organization,
        action: query.action,
        actor: query.actor,
        since: query.since,
        until: query.until,
        before,
    }
    .normalized();
    let export = match state.control.audit_export(user(&parts), &filter).await {
        Ok(access) => match access.granted() {
            Ok(Ok(export)) => super::audit_csv::stream(export)
                .await
                .map(|body| AdminAccess::Granted(Ok(body))),
            Ok(Err(errors)) => Ok(AdminAccess::Granted(Err(errors))),
            Err(refused) => Ok(refused),
        },
        Err(error) => Err(error),
    };
    match export {
        Ok(AdminAccess::Granted(Ok(body))) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"bibind-audit.csv\"",
                ),
            ],
            body,
        )
            .into_response(),
        Ok(AdminAccess::Granted(Err(errors))) => {
            let query = serde_urlencoded::to_string(Refusal::Fields(errors).to_query()).unwrap_or_default();
            Redirect::to(&format!("{ADMIN_AUDIT}?{query}")).into_response()
        }
        Ok(AdminAccess::SignInRequired) => Redirect::to(&routes::sign_in_then(ADMIN_AUDIT)).into_response(),
        // The audit page asks for the second factor (or explains how to enrol one).
        Ok(AdminAccess::SecondFactorRequired { .. }) => Redirect::to(ADMIN_AUDIT).into_response(),
        Ok(_) => {
            answer(
                &state.pages,
                &parts,
                Ok(Err(Refusal::Forbidden)),
                ADMIN_AUDIT,
                &[],
            )
            .await
        }
        Err(error) => {
            tracing::error!(%error, "cannot export the audit log");
            Redirect::to(&routes::auth_error(routes::AuthFailure::Unavailable)).into_response()
        }
    }
}
