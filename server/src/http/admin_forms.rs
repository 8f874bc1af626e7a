//! The admin portal's forms (tenants, subscriptions, quota overrides,
//! plans) and the audit log's CSV export. Each post checks its CSRF token and
//! parses its fields once; the control plane checks the admin gate (a
//! platform admin at AAL2) and the version the form was drawn from.

use axum::{
    extract::{Path, Query, State},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
    Form, Router,
};
use control::{
    admin::decisions::{Decision, Reason},
    domain::{
        AdminAccess, AuditEntry, AuditFilter, FieldProblem, PlanForm, QuotaKind, Refusal, SignedInUser,
    },
    provisioning::JobAction,
};
use http::{header, request::Parts};
use serde::Deserialize;

use super::{
    answers::{answer, done_at, id_in_path, parsed, submit, PostedForm},
    AppState,
};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/tenants/{slug}/{action}", post(tenant_action))
        .route("/admin/subscriptions/{id}/{action}", post(subscription_action))
        .route("/admin/jobs/{id}/{action}", post(job_action))
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

/// An admin form posted from `back`.
fn admin_form<'a>(token: &'a str, back: String) -> PostedForm<'a> {
    PostedForm::new(token, back)
}

async fn tenant_action(
    State(state): State<AppState>,
    Path((slug, action)): Path<(String, String)>,
    parts: Parts,
    Form(fields): Form<Fields>,
) -> Response {
    let form = admin_form(&fields.csrf_token, format!("/admin/tenants/{slug}"));
    let done = format!("{}?done=1", form.back);
    submit(&state, &parts, form, async |caller| {
        let (control, user, version) = (&state.control, user(&parts), version32(&fields.version));
        let outcome = match action.as_str() {
            "approve" => {
                control
                    .decide_organization(user, &caller, &slug, version, &Decision::Approve)
                    .await
            }
            "reject" => {
                let decision = Decision::Reject(parsed!(reason(&fields)));
                control
                    .decide_organization(user, &caller, &slug, version, &decision)
                    .await
            }
            "suspend" => {
                let reason = parsed!(reason(&fields));
                control
                    .suspend_organization(user, &caller, &slug, version, &reason)
                    .await
            }
            "resume" => control.resume_organization(user, &caller, &slug, version).await,
            "close" => {
                control
                    .close_organization(user, &caller, &slug, version, &fields.confirmation)
                    .await
            }
            _ => Ok(Err(Refusal::NotFound)),
        };
        done_at(outcome, &done)
    })
    .await
}

/// Retry or cancel a provisioning job, from its tenant's page.
async fn job_action(
    State(state): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    parts: Parts,
    Form(fields): Form<Fields>,
) -> Response {
    let form = admin_form(
        &fields.csrf_token,
        format!("/admin/tenants/{}", fields.slug.trim()),
    );
    let done = format!("{}?done=1", form.back);
    submit(&state, &parts, form, async |caller| {
        let job = parsed!(id_in_path(&id));
        let Some(action) = JobAction::parse(&action) else {
            return done_at(Ok(Err(Refusal::NotFound)), &done);
        };
        let outcome = state
            .control
            .admin_job_action(user(&parts), &caller, job, action)
            .await;
        done_at(outcome, &done)
    })
    .await
}

async fn subscription_action(
    State(state): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    parts: Parts,
    Form(fields): Form<Fields>,
) -> Response {
    let form = admin_form(
        &fields.csrf_token,
        format!("/admin/tenants/{}", fields.slug.trim()),
    );
    let done = format!("{}?done=1", form.back);
    submit(&state, &parts, form, async |caller| {
        let subscription = parsed!(id_in_path(&id));
        let (control, user, version) = (&state.control, user(&parts), version32(&fields.version));
        let outcome = match action.as_str() {
            "approve" => {
                control
                    .decide_subscription(user, &caller, subscription, version, &Decision::Approve)
                    .await
            }
            "reject" => {
                let decision = Decision::Reject(parsed!(reason(&fields)));
                control
                    .decide_subscription(user, &caller, subscription, version, &decision)
                    .await
            }
            "quota" => {
                let quota = parsed!(
                    QuotaKind::parse(&fields.quota).ok_or(Refusal::field("quota", FieldProblem::Unknown))
                );
                let limit = match fields.value.trim() {
                    "" => None,
                    value => Some(parsed!(value
                        .parse::<u32>()
                        .map_err(|_| Refusal::field("value", FieldProblem::NotANumber)))),
                };
                control
                    .set_quota_override(user, &caller, subscription, quota, limit)
                    .await
            }
            _ => Ok(Err(Refusal::NotFound)),
        };
        done_at(outcome, &done)
    })
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
    let form = admin_form(&post.csrf_token, "/admin/plans".to_owned()).echo(plan_echo(&post.form));
    submit(&state, &parts, form, async |caller| {
        let draft = parsed!(post.form.parse().map_err(Refusal::Fields));
        let created = state.control.create_plan(user(&parts), &caller, &draft).await;
        done_at(created, &format!("/admin/plans/{}?done=1", draft.code))
    })
    .await
}

async fn update_plan(
    State(state): State<AppState>,
    Path(code): Path<String>,
    parts: Parts,
    Form(post): Form<PlanPost>,
) -> Response {
    let form = admin_form(&post.csrf_token, format!("/admin/plans/{code}")).echo(plan_echo(&post.form));
    let done = format!("{}?done=1", form.back);
    submit(&state, &parts, form, async |caller| {
        let draft = parsed!(post.form.parse().map_err(Refusal::Fields));
        let version = version(&post.version);
        done_at(
            state
                .control
                .update_plan(user(&parts), &caller, &code, version, &draft)
                .await,
            &done,
        )
    })
    .await
}

async fn plan_sale(
    State(state): State<AppState>,
    Path((code, action)): Path<(String, String)>,
    parts: Parts,
    Form(fields): Form<Fields>,
) -> Response {
    let form = admin_form(&fields.csrf_token, format!("/admin/plans/{code}"));
    let done = format!("{}?done=1", form.back);
    submit(&state, &parts, form, async |caller| {
        let on_sale = match action.as_str() {
            "retire" => false,
            "restore" => true,
            _ => return Ok(Err(Refusal::NotFound)),
        };
        let version = version(&fields.version);
        let changed = state
            .control
            .set_plan_on_sale(user(&parts), &caller, &code, version, on_sale)
            .await;
        done_at(changed, &done)
    })
    .await
}

/// One CSV field, quoted when it must be (RFC 4180), and defused against
/// formula injection when opened in a spreadsheet.
fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
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
                return Redirect::to(&format!("/admin/audit?{query}")).into_response();
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
        // The audit page asks for the second factor (or explains how to enrol one).
        Ok(AdminAccess::SecondFactorRequired { .. }) => Redirect::to("/admin/audit").into_response(),
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
