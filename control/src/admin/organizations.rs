//! The admin portal's reads: the tenant search (filters, sorting and
//! pagination that stay fast at 10,000 tenants) and one tenant's page.
//! Every one sits behind [`Control::admin_gate`].

use std::collections::HashMap;

use sqlx::{Postgres, QueryBuilder};
use uuid::Uuid;

use crate::{
    audit::{self, ParsedFilter},
    domain::{
        AdminAccess, Member, OrganizationDetail, OrganizationListing, OrganizationSearch,
        OrganizationSearchPage, OrganizationSort, OrganizationState, PendingInvitation, Role, SignedInUser,
    },
    infra::format::day,
    provisioning::organization_jobs,
    tenancy::{progress::subscription_views, quotas::seat_holders},
    Control, Result,
};

/// Tenants per page of the search.
pub const ORGANIZATION_PAGE_SIZE: u32 = 25;

fn like_pattern(raw: &str) -> String {
    format!(
        "%{}%",
        raw.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
    )
}

/// The search's free text, when it has one.
fn search_text(filter: &OrganizationSearch) -> Option<&str> {
    filter.text.as_deref().map(str::trim).filter(|t| !t.is_empty())
}

/// The state searched for, when there is one (perhaps none of ours).
fn search_state(filter: &OrganizationSearch) -> Option<&str> {
    filter.state.as_deref().filter(|s| !s.is_empty())
}

/// The country searched for, when there is one.
fn search_country(filter: &OrganizationSearch) -> Option<&str> {
    filter.country.as_deref().filter(|c| !c.is_empty())
}

/// The plan code searched for, when there is one.
fn search_plan(filter: &OrganizationSearch) -> Option<&str> {
    filter.plan.as_deref().filter(|p| !p.is_empty())
}

/// Whether the search narrows by the organization's own columns.
fn narrows_organizations(filter: &OrganizationSearch) -> bool {
    search_text(filter).is_some() || search_state(filter).is_some() || search_country(filter).is_some()
}

/// Whether the search narrows by what the organization subscribes to.
fn narrows_subscriptions(filter: &OrganizationSearch) -> bool {
    filter.offer.is_some() || search_plan(filter).is_some()
}

fn push_filters(query: &mut QueryBuilder<'_, Postgres>, filter: &OrganizationSearch) {
    if let Some(text) = search_text(filter) {
        let pattern = like_pattern(&text.to_lowercase());
        query
            .push(" AND (lower(o.name) LIKE ")
            .push_bind(pattern.clone())
            .push(" OR o.slug LIKE ")
            .push_bind(pattern.clone())
            .push(" OR lower(o.billing_email) LIKE ")
            .push_bind(pattern)
            .push(")");
    }
    if let Some(state) = search_state(filter) {
        // A state that is none of ours matches no organization.
        match OrganizationState::parse(state) {
            Some(state) => query.push(" AND o.state = ").push_bind(state),
            None => query.push(" AND false"),
        };
    }
    if let Some(country) = search_country(filter) {
        query.push(" AND o.country = ").push_bind(country.to_uppercase());
    }
    // An organization matches when one of its live subscriptions does. Read
    // as `id IN (…)` over subscriptions alone (the plan's id looked up once),
    // PostgreSQL estimates how many match and walks the name index for a
    // page; through a join to plans it sorted every match (100 ms at 100,000).
    if narrows_subscriptions(filter) {
        query.push(" AND o.id IN (SELECT s.organization_id FROM subscriptions s WHERE s.state <> 'closed'");
        push_subscription_filters(query, filter);
        query.push(")");
    }
}

/// The conditions on a live subscription `s`.
fn push_subscription_filters(query: &mut QueryBuilder<'_, Postgres>, filter: &OrganizationSearch) {
    if let Some(offer) = filter.offer {
        query.push(" AND s.offer_kind = ").push_bind(offer);
    }
    if let Some(plan) = search_plan(filter) {
        query
            .push(" AND s.plan_id = (SELECT id FROM plans WHERE code = ")
            .push_bind(plan.to_owned())
            .push(")");
    }
}

/// How many organizations match. Narrowed only by offer or plan, it counts
/// their live subscriptions instead, from an index alone: an organization
/// holds at most one live subscription per offer (a unique index says so)
/// and a plan belongs to one offer, so each is counted once; through the
/// organizations it read all 100,000 of them.
fn count_query(filter: &OrganizationSearch) -> QueryBuilder<'_, Postgres> {
    if narrows_subscriptions(filter) && !narrows_organizations(filter) {
        let mut count = QueryBuilder::new("SELECT count(*) FROM subscriptions s WHERE s.state <> 'closed'");
        push_subscription_filters(&mut count, filter);
        count
    } else {
        let mut count = QueryBuilder::new("SELECT count(*) FROM organizations o WHERE true");
        push_filters(&mut count, filter);
        count
    }
}

/// One organization of a search page. The search's SQL is built at run time
/// (its filters and order are the admin's), so its rows are read by name.
#[derive(sqlx::FromRow)]
struct ListingRow {
    id: Uuid,
    slug: String,
    name: String,
    country: String,
    state: OrganizationState,
    created_at: time::OffsetDateTime,
}

fn order_by(sort: OrganizationSort) -> &'static str {
    match sort {
        OrganizationSort::Name => " ORDER BY lower(o.name), o.slug",
        OrganizationSort::NewestFirst => " ORDER BY o.created_at DESC, o.slug",
        OrganizationSort::OldestFirst => " ORDER BY o.created_at, o.slug",
        OrganizationSort::State => " ORDER BY o.state, lower(o.name), o.slug",
        OrganizationSort::Country => " ORDER BY o.country, lower(o.name), o.slug",
    }
}

impl Control {
    /// The tenants matching `filter`, one page of them.
    pub async fn search_organizations(
        &self,
        user: Option<&SignedInUser>,
        filter: &OrganizationSearch,
    ) -> Result<AdminAccess<OrganizationSearchPage>> {
        if let Err(refused) = self.admin_gate(user, "/admin/tenants").await?.granted() {
            return Ok(refused);
        }
        self.tenant_page(filter).await.map(AdminAccess::Granted)
    }

    /// The search itself, behind the gate above.
    async fn tenant_page(&self, filter: &OrganizationSearch) -> Result<OrganizationSearchPage> {
        let mut conn = self.db.pool().acquire().await?;
        let total: i64 = count_query(filter)
            .build_query_scalar()
            .fetch_one(&mut *conn)
            .await?;

        let page = filter.page.max(1);
        let mut rows = QueryBuilder::<Postgres>::new(
            "SELECT o.id, o.slug, o.name, o.country, o.state, o.created_at FROM organizations o WHERE true",
        );
        push_filters(&mut rows, filter);
        rows.push(order_by(filter.sort))
            .push(" LIMIT ")
            .push_bind(i64::from(ORGANIZATION_PAGE_SIZE))
            .push(" OFFSET ")
            .push_bind(i64::from(page - 1) * i64::from(ORGANIZATION_PAGE_SIZE));
        let found: Vec<ListingRow> = rows.build_query_as().fetch_all(&mut *conn).await?;

        let ids: Vec<Uuid> = found.iter().map(|row| row.id).collect();
        let members: HashMap<Uuid, i64> = sqlx::query!(
            r#"SELECT organization_id, count(*) AS "members!" FROM memberships
                WHERE organization_id = ANY($1) GROUP BY organization_id"#,
            &ids,
        )
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|row| (row.organization_id, row.members))
        .collect();
        let plans = sqlx::query!(
            "SELECT s.organization_id, p.code FROM subscriptions s JOIN plans p ON p.id = s.plan_id
              WHERE s.organization_id = ANY($1) AND s.state <> 'closed' ORDER BY p.code",
            &ids,
        )
        .fetch_all(&mut *conn)
        .await?;
        let rows = found
            .into_iter()
            .map(|row| OrganizationListing {
                slug: row.slug,
                name: row.name,
                country: row.country,
                state: row.state,
                created_on: day(row.created_at),
                members: members.get(&row.id).copied().unwrap_or(0),
                plans: plans
                    .iter()
                    .filter(|plan| plan.organization_id == row.id)
                    .map(|plan| plan.code.clone())
                    .collect(),
            })
            .collect();
        Ok(OrganizationSearchPage {
            rows,
            total,
            page,
            page_size: ORGANIZATION_PAGE_SIZE,
        })
    }

    /// One tenant's page for admins; `Granted(None)` for an unknown slug.
    pub async fn organization_detail(
        &self,
        user: Option<&SignedInUser>,
        slug: &str,
    ) -> Result<AdminAccess<Option<OrganizationDetail>>> {
        if let Err(refused) = self
            .admin_gate(user, &format!("/admin/tenants/{slug}"))
            .await?
            .granted()
        {
            return Ok(refused);
        }
        let now = self.clock.now();
        let mut conn = self.db.pool().acquire().await?;
        let found = sqlx::query!(
            r#"SELECT id, name, country, billing_email, state AS "state: OrganizationState", state_reason,
                      created_at, version
                 FROM organizations WHERE slug = $1"#,
            slug,
        )
        .fetch_optional(&mut *conn)
        .await?;
        let Some(organization) = found else {
            return Ok(AdminAccess::Granted(None));
        };
        let id = organization.id;
        let members = sqlx::query!(
            r#"SELECT identity_id, email, role AS "role: Role" FROM memberships
                WHERE organization_id = $1 ORDER BY email"#,
            id,
        )
        .fetch_all(&mut *conn)
        .await?;
        let invitations = sqlx::query!(
            r#"SELECT id, email, role AS "role: Role", expires_at FROM invitations
                WHERE organization_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $2
                ORDER BY created_at"#,
            id,
            now,
        )
        .fetch_all(&mut *conn)
        .await?;
        let holders = seat_holders(&mut conn, id, now).await?;
        let subscriptions = subscription_views(&mut conn, id, &holders).await?;
        let filter = ParsedFilter {
            organization: Some(id),
            action: None,
            actor: None,
            since: None,
            until: None,
            before: None,
        };
        let audit = audit::list(&mut conn, &filter, 20).await?.entries;
        let jobs = organization_jobs(&mut conn, id).await?;
        let backups = super::backups::service_backups(&mut conn, Some(id), now).await?;
        Ok(AdminAccess::Granted(Some(OrganizationDetail {
            slug: slug.to_owned(),
            name: organization.name,
            country: organization.country,
            billing_email: organization.billing_email,
            state: organization.state,
            state_reason: organization.state_reason,
            created_on: day(organization.created_at),
            version: organization.version,
            members: members
                .into_iter()
                .map(|member| Member {
                    identity_id: member.identity_id.to_string(),
                    email: member.email,
                    role: member.role,
                })
                .collect(),
            invitations: invitations
                .into_iter()
                .map(|invitation| PendingInvitation {
                    id: invitation.id.to_string(),
                    email: invitation.email,
                    role: invitation.role,
                    expires_on: day(invitation.expires_at),
                })
                .collect(),
            subscriptions,
            audit,
            jobs,
            backups,
        })))
    }
}
