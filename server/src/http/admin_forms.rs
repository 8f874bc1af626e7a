//! The admin portal's forms (tenants, subscriptions, quota overrides,
//! plans) and the audit log's CSV export. Each post checks its CSRF token and
//! parses its fields once; the control plane checks the admin gate (a
//! platform admin at AAL2) and the version the form was drawn from.

use app::api::admin::ADMIN_CSRF_COOKIE;
use axum::{
    extract::{Path, Query, State},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
    Form, Router,
};
use control::{
    domain::{
        AdminAccess, AuditEntry, AuditFilter, FieldProblem, PlanForm, QuotaKind, Refusal, SignedInUser,
    },
    tenant_admin::{Decision, Reason},
};
use http::{header, request::Parts};
use serde::Deserialize;
use uuid::Uuid;

use super::{
    answers::{answer, done_at, form_caller},
    AppState,
};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/tenants/{slug}/{action}", post(tenant_action))
        .route("/admin/subscriptions/{id}/{action}", post(subscription_action))
        .route("/admin/plans", post(create_plan))
        .route("/admin/plans/{code}", post(update_plan))
        .route("/admin/plans/{code}/{action}", post(plan_sale))
        .route("/admin/audit.csv", get(audit_csv))
}

#[derive(Deserialize)]
struct Fields {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    confirmation: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    quota: String,
    #[serde(default)]
    value: String,
}

fn user(parts: &Parts) -> Option<&SignedInUser> {
    parts.extensions.get::<SignedInUser>()
}

/// The form's version; one that does not parse is as stale as an old one.
fn version(raw: &str) -> i64 {
    raw.trim().parse().unwrap_or(-1)
}

fn version32(raw: &str) -> i32 {
    i32::try_from(version(raw)).unwrap_or(-1)
}

fn reason(fields: &Fields) -> Result<Reason, Refusal> {
    Reason::parse(&fields.reason).map_err(|error| Refusal::Fields(vec![error]))
}

async fn tenant_action(
    State(state): State<AppState>,
    Path((slug, action)): Path<(String, String)>,
    parts: Parts,
    Form(fields): Form<Fields>,
) -> Response {
    let back = format!("/admin/tenants/{slug}");
    let caller = match form_caller(&parts, ADMIN_CSRF_COOKIE, &fields.csrf_token, &back) {
        Ok(caller) => caller,
        Err(redirect) => return redirect.into_response(),
    };
    let (control, user, version) = (&state.control, user(&parts), version32(&fields.version));
    let outcome = match action.as_str() {
        "approve" => {
            control
                .decide_organization(user, &caller, &slug, version, &Decision::Approve)
                .await
        }
        "reject" => match reason(&fields) {
            Ok(reason) => {
                control
                    .decide_organization(user, &caller, &slug, version, &Decision::Reject(reason))
                    .await
            }
            Err(refusal) => Ok(Err(refusal)),
        },
        "suspend" => match reason(&fields) {
            Ok(reason) => {
                control
                    .suspend_tenant(user, &caller, &slug, version, &reason)
                    .await
            }
            Err(refusal) => Ok(Err(refusal)),
        },
        "resume" => control.resume_tenant(user, &caller, &slug, version).await,
        "close" => {
            control
                .close_tenant(user, &caller, &slug, version, &fields.confirmation)
                .await
        }
        _ => Ok(Err(Refusal::NotFound)),
    };
    answer(
        &state.pages,
        &parts,
        done_at(outcome, &format!("{back}?done=1")),
        &back,
        &[],
    )
    .await
}

async fn subscription_action(
    State(state): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    parts: Parts,
    Form(fields): Form<Fields>,
) -> Response {
    let back = format!("/admin/tenants/{}", fields.slug.trim());
    let caller = match form_caller(&parts, ADMIN_CSRF_COOKIE, &fields.csrf_token, &back) {
        Ok(caller) => caller,
        Err(redirect) => return redirect.into_response(),
    };
    let Ok(subscription) = Uuid::parse_str(&id) else {
        return answer(&state.pages, &parts, Ok(Err(Refusal::NotFound)), &back, &[]).await;
    };
    let (control, user, version) = (&state.control, user(&parts), version32(&fields.version));
    let outcome = match action.as_str() {
        "approve" => {
            control
                .decide_subscription(user, &caller, subscription, version, &Decision::Approve)
                .await
        }
        "reject" => match reason(&fields) {
            Ok(reason) => {
                control
                    .decide_subscription(user, &caller, subscription, version, &Decision::Reject(reason))
                    .await
            }
            Err(refusal) => Ok(Err(refusal)),
        },
        "quota" => match (QuotaKind::parse(&fields.quota), fields.value.trim()) {
            (None, _) => Ok(Err(Refusal::field("quota", FieldProblem::Unknown))),
            (Some(quota), "") => {
                control
                    .set_quota_override(user, &caller, subscription, quota, None)
                    .await
            }
            (Some(quota), value) => match value.parse::<u32>() {
                Ok(limit) => {
                    control
                        .set_quota_override(user, &caller, subscription, quota, Some(limit))
                        .await
                }
                Err(_) => Ok(Err(Refusal::field("value", FieldProblem::BadCharacters))),
            },
        },
        _ => Ok(Err(Refusal::NotFound)),
    };
    answer(
        &state.pages,
        &parts,
        done_at(outcome, &format!("{back}?done=1")),
        &back,
        &[],
    )
    .await
}

#[derive(Deserialize)]
struct PlanPost {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    version: String,
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
    ];
    if let Some(on) = &form.requires_approval {
        echo.push(("requires_approval", on.clone()));
    }
    echo
}

async fn create_plan(State(state): State<AppState>, parts: Parts, Form(post): Form<PlanPost>) -> Response {
    let back = "/admin/plans";
    let caller = match form_caller(&parts, ADMIN_CSRF_COOKIE, &post.csrf_token, back) {
        Ok(caller) => caller,
        Err(redirect) => return redirect.into_response(),
    };
    let outcome = match post.form.parse() {
        Ok(draft) => state
            .control
            .create_plan(user(&parts), &caller, &draft)
            .await
            .map(|done| done.map(|()| format!("/admin/plans/{}?done=1", draft.code))),
        Err(errors) => Ok(Err(Refusal::Fields(errors))),
    };
    answer(&state.pages, &parts, outcome, back, &plan_echo(&post.form)).await
}

async fn update_plan(
    State(state): State<AppState>,
    Path(code): Path<String>,
    parts: Parts,
    Form(post): Form<PlanPost>,
) -> Response {
    let back = format!("/admin/plans/{code}");
    let caller = match form_caller(&parts, ADMIN_CSRF_COOKIE, &post.csrf_token, &back) {
        Ok(caller) => caller,
        Err(redirect) => return redirect.into_response(),
    };
    let outcome = match post.form.parse() {
        Ok(draft) => {
            state
                .control
                .update_plan(user(&parts), &caller, &code, version(&post.version), &draft)
                .await
        }
        Err(errors) => Ok(Err(Refusal::Fields(errors))),
    };
    let done = format!("{back}?done=1");
    answer(
        &state.pages,
        &parts,
        done_at(outcome, &done),
        &back,
        &plan_echo(&post.form),
    )
    .await
}

async fn plan_sale(
    State(state): State<AppState>,
    Path((code, action)): Path<(String, String)>,
    parts: Parts,
    Form(fields): Form<Fields>,
) -> Response {
    let back = format!("/admin/plans/{code}");
    let caller = match form_caller(&parts, ADMIN_CSRF_COOKIE, &fields.csrf_token, &back) {
        Ok(caller) => caller,
        Err(redirect) => return redirect.into_response(),
    };
    let on_sale = match action.as_str() {
        "retire" => false,
        "restore" => true,
        _ => return answer(&state.pages, &parts, Ok(Err(Refusal::NotFound)), &back, &[]).await,
    };
    let outcome = state
        .control
        .set_plan_on_sale(user(&parts), &caller, &code, version(&fields.version), on_sale)
        .await;
    answer(
        &state.pages,
        &parts,
        done_at(outcome, &format!("{back}?done=1")),
        &back,
        &[],
    )
    .await
}

/// One CSV field, quoted when it must be (RFC 4180), and defused against
/// formula injection when opened in a spreadsheet.
fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

pub(crate) fn audit_csv_body(entries: &[AuditEntry]) -> String {
    let mut csv = String::from("id,at,actor,organization,action,target,before,after,request_id,ip\r\n");
    for entry in entries {
        let fields = [
            entry.id.to_string(),
            entry.at.clone(),
            entry.actor.clone(),
            entry.organization.clone().unwrap_or_default(),
            entry.action.clone(),
            entry.target.clone(),
            entry.before.clone().unwrap_or_default(),
            entry.after.clone().unwrap_or_default(),
            entry.request_id.clone().unwrap_or_default(),
            entry.ip.clone().unwrap_or_default(),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        csv.push_str(&line.join(","));
        csv.push_str("\r\n");
    }
    csv
}

async fn audit_csv(
    State(state): State<AppState>,
    parts: Parts,
    Query(filter): Query<AuditFilter>,
) -> Response {
    let filter = filter.normalized();
    match state.control.audit_export(user(&parts), &filter).await {
        Ok(AdminAccess::Granted(Ok(entries))) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"bibind-audit.csv\"",
                ),
            ],
            audit_csv_body(&entries),
        )
            .into_response(),
        Ok(AdminAccess::Granted(Err(errors))) => {
            let query = serde_urlencoded::to_string(Refusal::Fields(errors).to_query()).unwrap_or_default();
            Redirect::to(&format!("/admin/audit?{query}")).into_response()
        }
        Ok(AdminAccess::SignInRequired) => {
            Redirect::to("/auth/signin?return_to=/admin/audit").into_response()
        }
        Ok(_) => {
            answer(
                &state.pages,
                &parts,
                Ok(Err(Refusal::Forbidden)),
                "/admin/audit",
                &[],
            )
            .await
        }
        Err(error) => {
            tracing::error!(%error, "cannot export the audit log");
            Redirect::to("/auth/error?reason=unavailable").into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=cmd()"), "'=cmd()");
    }
}
