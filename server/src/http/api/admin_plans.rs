//! `/api/v1/admin/plans`: the catalogue's plans, as the admin portal's plan
//! pages have them: listed (retired ones too), added, edited (against their
//! version), retired and put back on sale. A plan's body is typed JSON; it
//! is written into the portal's plan form and parsed by the same parser
//! (`PlanForm::parse`), so both doors refuse the same things.

use app::routes::PlanSale;
use axum::{
    extract::{Path, State},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use control::domain::{PlanForm, PlanRecord, Refusal};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    admin::{admin, granted, settle_change},
    auth::ApiCaller,
    body::ApiJson,
    problem::ProblemDetail,
    versions, Answer, BASE,
};
use crate::http::AppState;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_plans, create_plan))
        .routes(routes!(update_plan))
        .routes(routes!(plan_sale))
}

/// A plan's quotas.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(super) struct PlanQuotas {
    cpu_millicores: u32,
    memory_mib: u32,
    storage_gib: u32,
    /// Offers with seats (training, e-commerce back office); `null` otherwise.
    seats: Option<u32>,
    /// Offers with devices (IoT); `null` otherwise.
    devices: Option<u32>,
    backup_retention_days: u32,
    openstack_vcpus: u32,
    openstack_ram_mib: u32,
    openstack_instances: u32,
}

/// What a plan's devices may send.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(super) struct PlanTelemetry {
    device_messages_per_minute: u32,
    organization_messages_per_minute: u32,
    retention_days: u32,
}

/// A plan of the catalogue.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Plan {
    #[schema(example = "shop-starter")]
    code: String,
    /// `ecommerce`, `training` or `iot`.
    offer: String,
    name_en: String,
    name_fr: String,
    monthly_price_cents: u64,
    quotas: PlanQuotas,
    requires_approval: bool,
    /// Odoo modules installed with it, and those the customer may add.
    included_modules: Vec<String>,
    optional_modules: Vec<String>,
    telemetry: Option<PlanTelemetry>,
    /// `YYYY-MM-DD` when it stopped being sold.
    retired_on: Option<String>,
    /// Live subscriptions on it.
    subscriptions: i64,
    /// What `If-Match` names.
    version: i64,
}

impl From<PlanRecord> for Plan {
    fn from(record: PlanRecord) -> Self {
        let quotas = record.quotas;
        let codes = |modules: &[control::domain::OdooModule]| {
            modules
                .iter()
                .map(|module| module.technical_name().to_owned())
                .collect()
        };
        Self {
            code: record.code,
            offer: record.offer.as_str().to_owned(),
            name_en: record.name.en,
            name_fr: record.name.fr,
            monthly_price_cents: record.monthly_price_cents,
            quotas: PlanQuotas {
                cpu_millicores: quotas.cpu_millicores,
                memory_mib: quotas.memory_mib,
                storage_gib: quotas.storage_gib,
                seats: quotas.seats,
                devices: quotas.devices,
                backup_retention_days: quotas.backup_retention_days,
                openstack_vcpus: quotas.openstack_vcpus,
                openstack_ram_mib: quotas.openstack_ram_mib,
                openstack_instances: quotas.openstack_instances,
            },
            requires_approval: record.requires_approval,
            included_modules: codes(&record.modules.included),
            optional_modules: codes(&record.modules.optional),
            telemetry: record.telemetry.map(|limits| PlanTelemetry {
                device_messages_per_minute: limits.device_messages_per_minute,
                organization_messages_per_minute: limits.organization_messages_per_minute,
                retention_days: limits.retention_days,
            }),
            retired_on: record.retired_on,
            subscriptions: record.subscriptions,
            version: record.version,
        }
    }
}

/// A plan to add, or a plan's new terms (its offer and code stay).
#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct PlanTerms {
    /// `ecommerce`, `training` or `iot`.
    #[schema(example = "ecommerce")]
    offer: String,
    /// Lower-case letters, digits and hyphens.
    #[schema(example = "shop-pro")]
    code: String,
    #[schema(example = "Pro shop")]
    name_en: String,
    #[schema(example = "Boutique pro")]
    name_fr: String,
    #[schema(example = 4990)]
    monthly_price_cents: u64,
    quotas: PlanQuotas,
    #[serde(default)]
    requires_approval: bool,
    #[serde(default)]
    included_modules: Vec<String>,
    #[serde(default)]
    optional_modules: Vec<String>,
    /// Plans with devices: what they may send (absent: the smallest plan's).
    #[serde(default)]
    telemetry: Option<PlanTelemetry>,
}

impl PlanTerms {
    /// The body as the portal's plan form would have posted it.
    fn form(&self) -> PlanForm {
        let text = |value: u32| value.to_string();
        let optional = |value: Option<u32>| value.map(text).unwrap_or_default();
        let quotas = &self.quotas;
        let telemetry = self.telemetry.as_ref();
        PlanForm {
            offer: self.offer.clone(),
            code: self.code.clone(),
            name_en: self.name_en.clone(),
            name_fr: self.name_fr.clone(),
            monthly_price: format!(
                "{}.{:02}",
                self.monthly_price_cents / 100,
                self.monthly_price_cents % 100
            ),
            cpu_millicores: text(quotas.cpu_millicores),
            memory_mib: text(quotas.memory_mib),
            storage_gib: text(quotas.storage_gib),
            seats: optional(quotas.seats),
            devices: optional(quotas.devices),
            backup_retention_days: text(quotas.backup_retention_days),
            openstack_vcpus: text(quotas.openstack_vcpus),
            openstack_ram_mib: text(quotas.openstack_ram_mib),
            openstack_instances: text(quotas.openstack_instances),
            requires_approval: self.requires_approval.then(|| "on".to_owned()),
            included_modules: self.included_modules.join(","),
            optional_modules: self.optional_modules.join(","),
            device_messages_per_minute: optional(telemetry.map(|limits| limits.device_messages_per_minute)),
            organization_messages_per_minute: optional(
                telemetry.map(|limits| limits.organization_messages_per_minute),
            ),
            telemetry_retention_days: optional(telemetry.map(|limits| limits.retention_days)),
        }
    }
}

/// Every plan, retired ones too, by offer.
#[utoipa::path(
    get,
    path = "/admin/plans",
    tag = "admin",
    responses(
        (status = 200, description = "The plans", body = Vec<Plan>),
        (status = 401, description = "No valid token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 403, description = "Not a platform admin's token with the admin scope and a second factor", body = ProblemDetail, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["admin"]))
)]
async fn list_plans(State(state): State<AppState>, api: ApiCaller) -> Answer<Json<Vec<Plan>>> {
    let user = admin(&api)?;
    let plans = granted(&api, state.control.admin_plans(Some(&user)).await)?;
    Ok(Json(plans.into_iter().map(Plan::from).collect()))
}

/// Adds a plan to the catalogue (on sale at once).
#[utoipa::path(
    post,
    path = "/admin/plans",
    tag = "admin",
    request_body = PlanTerms,
    responses(
        (status = 201, description = "Added; `Location` names it"),
        (status = 400, description = "The body is not the JSON described", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 403, description = "Not a platform admin's token with the admin scope and a second factor", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 422, description = "Fields refused (a taken code among them), each with its problem", body = ProblemDetail, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["admin"]))
)]
async fn create_plan(
    State(state): State<AppState>,
    api: ApiCaller,
    ApiJson(body): ApiJson<PlanTerms>,
) -> Answer<Response> {
    let user = admin(&api)?;
    let draft = body
        .form()
        .parse()
        .map_err(|fields| api.refused(&Refusal::Fields(fields)))?;
    settle_change(
        &api,
        state.control.create_plan(Some(&user), &api.caller, &draft).await,
    )?;
    let location = format!("{BASE}/admin/plans/{}", draft.code);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)]).into_response())
}

async fn current_version(state: &AppState, api: &ApiCaller, code: &str) -> Answer<i64> {
    let user = admin(api)?;
    let plans = granted(api, state.control.admin_plans(Some(&user)).await)?;
    plans
        .into_iter()
        .find(|plan| plan.code == code)
        .map(|plan| plan.version)
        .ok_or_else(|| api.refused(&Refusal::NotFound))
}

/// Replaces a plan's terms (its offer and code stay).
#[utoipa::path(
    put,
    path = "/admin/plans/{code}",
    tag = "admin",
    params(
        ("code" = String, Path, description = "The plan's code"),
        ("If-Match" = String, Header, description = "The plan's version as last read (or `*`)"),
    ),
    request_body = PlanTerms,
    responses(
        (status = 204, description = "Changed (quotas follow by the reconciler)"),
        (status = 400, description = "The body is not the JSON described", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 403, description = "Not a platform admin's token with the admin scope and a second factor", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 404, description = "No such plan", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 409, description = "A quota below what a subscription on it uses", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 412, description = "Changed since the version named: nothing was done", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 422, description = "Fields refused, each with its problem", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 428, description = "`If-Match` is missing", body = ProblemDetail, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["admin"]))
)]
async fn update_plan(
    State(state): State<AppState>,
    api: ApiCaller,
    Path(code): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<PlanTerms>,
) -> Answer<StatusCode> {
    let user = admin(&api)?;
    let version = versions::if_match(&headers, &api, || current_version(&state, &api, &code)).await?;
    let draft = body
        .form()
        .parse()
        .map_err(|fields| api.refused(&Refusal::Fields(fields)))?;
    settle_change(
        &api,
        state
            .control
            .update_plan(Some(&user), &api.caller, &code, version, &draft)
            .await,
    )
}

/// Takes a plan off sale (`retire`) or puts it back (`restore`); its
/// subscriptions keep it either way.
#[utoipa::path(
    post,
    path = "/admin/plans/{code}/{action}",
    tag = "admin",
    params(
        ("code" = String, Path, description = "The plan's code"),
        ("action" = String, Path, description = "`retire` or `restore`"),
        ("If-Match" = String, Header, description = "The plan's version as last read (or `*`)"),
    ),
    responses(
        (status = 204, description = "Done"),
        (status = 401, description = "No valid token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 403, description = "Not a platform admin's token with the admin scope and a second factor", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 404, description = "No such plan or action", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 409, description = "Already retired, or already on sale", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 412, description = "Changed since the version named: nothing was done", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 428, description = "`If-Match` is missing", body = ProblemDetail, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["admin"]))
)]
async fn plan_sale(
    State(state): State<AppState>,
    api: ApiCaller,
    Path((code, action)): Path<(String, String)>,
    headers: HeaderMap,
) -> Answer<StatusCode> {
    let user = admin(&api)?;
    let on_sale = match PlanSale::parse(&action) {
        Some(PlanSale::Retire) => false,
        Some(PlanSale::Restore) => true,
        None => return Err(api.refused(&Refusal::NotFound)),
    };
    let version = versions::if_match(&headers, &api, || current_version(&state, &api, &code)).await?;
    settle_change(
        &api,
        state
            .control
            .set_plan_on_sale(Some(&user), &api.caller, &code, version, on_sale)
            .await,
    )
}
