//! The audit trail: every state change writes one event, in the same
//! transaction as the change, naming who, what, on what, before and after,
//! and the request it came from.

use std::net::IpAddr;

use sqlx::{Postgres, Transaction};
use time::OffsetDateTime;

use crate::{
    domain::{AuditEntry, AuditFilter, AuditPage, FieldError, FieldProblem},
    organization_pages::PageChange,
    Result,
};

/// Who is asking, and from where: every operation that changes something
/// takes one, and its audit event records it.
#[derive(Debug, Clone, PartialEq)]
pub struct Caller {
    /// The Kratos identity id.
    pub identity_id: String,
    /// The address the identity had when it asked (kept in the audit trail).
    pub email: String,
    /// Whether Kratos held `email` as verified then.
    pub email_verified: bool,
    pub request_id: Option<String>,
    pub ip: Option<IpAddr>,
}

/// One change, as the audit trail keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent<'a> {
    pub organization_id: Option<uuid::Uuid>,
    /// `organization.create`, `membership.role_change`, …
    pub action: &'a str,
    /// What changed: `organization:<slug>`, `member:<email>`, …
    pub target: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// Writes `event` by `caller` at `at` inside `tx`.
pub(crate) async fn record(
    tx: &mut Transaction<'_, Postgres>,
    caller: &Caller,
    at: OffsetDateTime,
    event: AuditEvent<'_>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_events
           (at, actor, actor_email, actor_email_verified, organization_id, action, target, before, after, request_id, ip)
         VALUES ($1, $2, $3, $11, $4, $5, $6, $7::jsonb, $8::jsonb, $9, $10::inet)",
    )
    .bind(at)
    .bind(&caller.identity_id)
    .bind(&caller.email)
    .bind(event.organization_id)
    .bind(event.action)
    .bind(&event.target)
    .bind(event.before.map(|v| v.to_string()))
    .bind(event.after.map(|v| v.to_string()))
    .bind(&caller.request_id)
    .bind(caller.ip.map(|ip| ip.to_string()))
    .bind(caller.email_verified)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Writes `event` and commits `tx`: the last step of every change, so that
/// the change and its record land together or not at all.
impl crate::Control {
    pub(crate) async fn commit_with(
        &self,
        mut tx: Transaction<'_, Postgres>,
        caller: &Caller,
        at: OffsetDateTime,
        event: AuditEvent<'_>,
    ) -> Result<()> {
        let change = event
            .organization_id
            .map_or(PageChange::Everything, PageChange::Organization);
        record(&mut tx, caller, at, event).await?;
        self.commit_page_change(tx, change).await
    }
}

/// Whether `action` is one only platform admins take (on a tenant, its
/// subscriptions' approvals, its quotas).
pub(crate) fn by_platform(action: &str) -> bool {
    action.starts_with("tenant.")
        || action.starts_with("quota.")
        || action.starts_with("job.")
        || matches!(
            action,
            "subscription.approve"
                | "subscription.reject"
                | "subscription.approve_plan_change"
                | "subscription.reject_plan_change"
        )
}

/// How many entries an audit page holds.
pub const AUDIT_PAGE_SIZE: i64 = 50;

/// A filter with its days parsed; a day that does not parse is a field error.
pub(crate) struct ParsedFilter {
    pub organization: Option<uuid::Uuid>,
    pub action: Option<String>,
    pub actor: Option<String>,
    pub since: Option<OffsetDateTime>,
    pub until: Option<OffsetDateTime>,
    pub before: Option<i64>,
}

fn parse_day(raw: &Option<String>, field: &str) -> Result<Option<OffsetDateTime>, FieldError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    raw.as_deref()
        .map(|day| {
            time::Date::parse(day, format)
                .map(|date| date.midnight().assume_utc())
                .map_err(|_| FieldError::new(field, FieldProblem::InvalidDate))
        })
        .transpose()
}

impl ParsedFilter {
    pub fn parse(filter: &AuditFilter, organization: Option<uuid::Uuid>) -> Result<Self, Vec<FieldError>> {
        let since = parse_day(&filter.since, "since");
        let until = parse_day(&filter.until, "until");
        match (since, until) {
            (Ok(since), Ok(until)) => Ok(Self {
                organization,
                action: filter.action.clone(),
                actor: filter.actor.clone(),
                since,
                // Up to the end of that day.
                until: until.map(|day| day + time::Duration::days(1)),
                before: filter.before,
            }),
            (since, until) => Err([since.err(), until.err()].into_iter().flatten().collect()),
        }
    }
}

fn like_escaped(raw: &str) -> String {
    raw.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

type EntryRow = (
    i64,
    OffsetDateTime,
    String,
    Option<String>,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// Entries matching `filter`, newest first, `limit` at most.
pub(crate) async fn list(
    conn: &mut sqlx::PgConnection,
    filter: &ParsedFilter,
    limit: i64,
) -> Result<AuditPage> {
    let mut query = sqlx::QueryBuilder::<Postgres>::new(
        "SELECT e.id, e.at, coalesce(e.actor_email, e.actor), o.slug, e.action, e.target,
                e.before::text, e.after::text, e.request_id, host(e.ip)
           FROM audit_events e LEFT JOIN organizations o ON o.id = e.organization_id
          WHERE true",
    );
    if let Some(organization) = filter.organization {
        query.push(" AND e.organization_id = ").push_bind(organization);
    }
    if let Some(action) = &filter.action {
        query
            .push(" AND e.action LIKE ")
            .push_bind(format!("{}%", like_escaped(action)));
    }
    if let Some(actor) = &filter.actor {
        query
            .push(" AND lower(e.actor_email) LIKE ")
            .push_bind(format!("{}%", like_escaped(&actor.to_lowercase())));
    }
    if let Some(since) = filter.since {
        query.push(" AND e.at >= ").push_bind(since);
    }
    if let Some(until) = filter.until {
        query.push(" AND e.at < ").push_bind(until);
    }
    if let Some(before) = filter.before {
        // Keyset: strictly older than the entry the previous page ended on.
        query
            .push(" AND (e.at, e.id) < (SELECT b.at, b.id FROM audit_events b WHERE b.id = ")
            .push_bind(before)
            .push(")");
    }
    query
        .push(" ORDER BY e.at DESC, e.id DESC LIMIT ")
        .push_bind(limit + 1);
    let mut rows: Vec<EntryRow> = query.build_query_as().fetch_all(&mut *conn).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    let next_before = if more { rows.last().map(|row| row.0) } else { None };
    let entries = rows
        .into_iter()
        .map(
            |(id, at, actor, organization, action, target, before, after, request_id, ip)| AuditEntry {
                id,
                at: at
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default(),
                actor,
                organization,
                action,
                target,
                before,
                after,
                request_id,
                ip,
            },
        )
        .collect();
    Ok(AuditPage { entries, next_before })
}
