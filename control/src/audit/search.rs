//! Reading the audit trail: a filter parsed once, and one page of the
//! entries that match it.

use time::OffsetDateTime;

use crate::{
    domain::{AuditEntry, AuditFilter, AuditPage, FieldError, FieldProblem, LocalizedText, OfferKind},
    Result,
};

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

/// One entry as the search reads it. Its SQL is built at run time (only
/// the filters given are written), so the row is read by column name.
#[derive(sqlx::FromRow)]
struct EntryRow {
    id: i64,
    at: OffsetDateTime,
    actor: String,
    organization: Option<String>,
    action: String,
    target: String,
    before: Option<String>,
    after: Option<String>,
    request_id: Option<String>,
    ip: Option<String>,
    offer: Option<String>,
    /// `{code: [name_en, name_fr]}` of the plans the entry names.
    plan_names: Option<sqlx::types::Json<std::collections::BTreeMap<String, (String, String)>>>,
}

/// Entries matching `filter`, newest first, `limit` at most.
pub(crate) async fn list(
    conn: &mut sqlx::PgConnection,
    filter: &ParsedFilter,
    limit: i64,
) -> Result<AuditPage> {
    let mut query = sqlx::QueryBuilder::<sqlx::Postgres>::new(
        "SELECT e.id, e.at, coalesce(nullif(e.actor_email, ''), e.actor) AS actor, o.slug AS organization, e.action, e.target,
                e.before::text AS before, e.after::text AS after, e.request_id, host(e.ip) AS ip,
                -- What a sentence names: the subscription's offer, the plans' names.
                (SELECT s.offer_kind FROM subscriptions s
                  WHERE s.id = CASE WHEN e.target ~ '^subscription:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
                                    THEN substr(e.target, 14, 36)::uuid END) AS offer,
                (SELECT jsonb_object_agg(p.code, jsonb_build_array(p.name_en, p.name_fr)) FROM plans p
                  WHERE p.code IN (e.before->>'plan', e.after->>'plan', e.before->>'requested_plan',
                                   CASE WHEN e.target LIKE 'plan:%' THEN substr(e.target, 6) END)) AS plan_names
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
    // Planned for its values at each run: a statement prepared once gets a
    // generic plan after five runs, and a generic plan cannot see that a
    // `LIKE` prefix selects a small range of its index (an actor's entries
    // among 10,000,000 took 3 s that way, 2 ms planned for the value).
    let mut rows: Vec<EntryRow> = query
        .build_query_as()
        .persistent(false)
        .fetch_all(&mut *conn)
        .await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    let next_before = if more { rows.last().map(|row| row.id) } else { None };
    let entries = rows
        .into_iter()
        .map(|row| AuditEntry {
            id: row.id,
            at: row
                .at
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            actor: row.actor,
            organization: row.organization,
            action: row.action,
            target: row.target,
            before: row.before,
            after: row.after,
            request_id: row.request_id,
            ip: row.ip,
            offer: row.offer.as_deref().and_then(OfferKind::from_code),
            plan_names: row
                .plan_names
                .map(|names| {
                    names
                        .0
                        .into_iter()
                        .map(|(code, (en, fr))| (code, LocalizedText { en, fr }))
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect();
    Ok(AuditPage { entries, next_before })
}
