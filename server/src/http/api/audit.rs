//! `/api/v1/organizations/{slug}/audit`: the organization's audit log as
//! its owners and admins read it in the portal, filtered the same way; as
//! JSON pages (newest first), or the whole selection as CSV with
//! `Accept: text/csv` (streamed, as the admin portal's export).

use axum::{
    extract::{OriginalUri, Path, State},
    response::{IntoResponse, Response},
};
use control::domain::{AuditEntry, AuditFilter, FieldProblem, Refusal};
use http::{header, HeaderMap};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    auth::ApiCaller,
    body::ApiQuery,
    pages::Listed,
    problem::{Problem, ProblemDetail},
    Answer,
};
use crate::http::{audit_csv, AppState};

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(organization_audit))
}

/// Which entries.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct AuditQuery {
    /// An action or its prefix (`membership.` for every membership change).
    action: Option<String>,
    /// The start of the actor's address.
    actor: Option<String>,
    /// From this day (`YYYY-MM-DD`, UTC).
    since: Option<String>,
    /// Up to this day, included.
    until: Option<String>,
    /// Where the page starts: the `cursor` of the previous page's `Link: rel="next"`.
    cursor: Option<String>,
}

/// One change in the audit log.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct AuditEvent {
    id: i64,
    /// RFC 3339, UTC.
    at: String,
    /// The member's address, `api-client:<name>`, `Bibind` or `system`.
    actor: String,
    #[schema(example = "membership.role_change")]
    action: String,
    #[schema(example = "member:ada@example.com")]
    target: String,
    /// The tenant it concerns (the platform's log).
    #[serde(skip_serializing_if = "Option::is_none")]
    organization: Option<String>,
    /// The request it came from and its address: Bibind's staff only.
    #[serde(skip_serializing_if = "Option::is_none")]
    request_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ip: Option<String>,
    /// What it was and became (JSON), when there was something.
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
}

impl From<AuditEntry> for AuditEvent {
    fn from(entry: AuditEntry) -> Self {
        let json = |text: Option<String>| text.and_then(|text| serde_json::from_str(&text).ok());
        Self {
            id: entry.id,
            at: entry.at,
            actor: entry.actor,
            action: entry.action,
            target: entry.target,
            organization: entry.organization,
            request_id: entry.request_id,
            ip: entry.ip,
            before: json(entry.before),
            after: json(entry.after),
        }
    }
}

/// The organization's audit log, newest first.
#[utoipa::path(
    get,
    path = "/organizations/{slug}/audit",
    tag = "audit",
    params(("slug" = String, Path, description = "The organization's slug"), AuditQuery),
    responses(
        (status = 200, description = "A page of events (`Link: <…>; rel=\"next\"` names the next); with \
            `Accept: text/csv`, every event selected (100,000 at most) as CSV",
            content((Vec<AuditEvent> = "application/json"), (String = "text/csv"))),
        (status = 400, description = "A query that cannot be read (a NUL character)", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 403, description = "Not an owner or admin, or not the token's scope", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or not the caller's", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 422, description = "A filter refused (a day that is not one, a wrong cursor)", body = ProblemDetail, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["audit:read"]))
)]
async fn organization_audit(
    State(state): State<AppState>,
    api: ApiCaller,
    Path(slug): Path<String>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> Answer<Response> {
    let before = audit_cursor(&api, query.cursor.as_deref())?;
    let filter = AuditFilter {
        action: query.action,
        actor: query.actor,
        organization: None,
        since: query.since,
        until: query.until,
        before,
    }
    .normalized();
    if wants_csv(&headers) {
        let export = api.settle(
            state
                .control
                .organization_audit_export(&api.caller, &slug, &filter)
                .await,
        )?;
        return csv_answer(export, &format!("{slug}-audit")).await;
    }
    let page = api.settle(
        state
            .control
            .organization_audit(&api.caller, &slug, &filter)
            .await,
    )?;
    let next = page.next_before.map(|before| next_audit_page(&filter, before));
    let events: Vec<AuditEvent> = page.entries.into_iter().map(AuditEvent::from).collect();
    Ok(Listed::keyset(events, uri.path(), next).into_response())
}

/// Where a page of the audit log starts (the `cursor` of a `Link`).
pub(super) fn audit_cursor(api: &ApiCaller, cursor: Option<&str>) -> Answer<Option<i64>> {
    match cursor.map(str::trim).filter(|cursor| !cursor.is_empty()) {
        None => Ok(None),
        Some(cursor) => cursor
            .parse::<i64>()
            .map(Some)
            .map_err(|_| api.refused(&Refusal::field("cursor", FieldProblem::NotANumber))),
    }
}

/// The query of the page after the one ending before `before`, the filter kept.
pub(super) fn next_audit_page(filter: &AuditFilter, before: i64) -> Vec<(&'static str, String)> {
    let mut query: Vec<(&str, String)> = [
        ("organization", &filter.organization),
        ("action", &filter.action),
        ("actor", &filter.actor),
        ("since", &filter.since),
        ("until", &filter.until),
    ]
    .into_iter()
    .filter_map(|(name, value)| value.clone().map(|value| (name, value)))
    .collect();
    query.push(("cursor", before.to_string()));
    query
}

/// The selection as a CSV download named `name`.
pub(super) async fn csv_answer(export: control::audit::AuditExport, name: &str) -> Answer<Response> {
    let body = audit_csv::stream(export)
        .await
        .map_err(|error| Problem::internal(&error))?;
    let disposition = format!("attachment; filename=\"{name}.csv\"");
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}

/// Whether the client asks for CSV rather than JSON.
pub(super) fn wants_csv(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|kind| {
            kind.split(';')
                .next()
                .is_some_and(|kind| kind.trim().eq_ignore_ascii_case("text/csv"))
        })
}
