//! Organizations and their members. Every read checks that the caller is a
//! member (an organization they are not in does not exist for them: `None`,
//! which the edge answers with 404); every change writes its audit event in
//! the same transaction.

use serde_json::json;
use uuid::Uuid;

use crate::{
    access::{self, identity_uuid, or_refuse, stored_role, Outcome},
    audit::{self, AuditEvent, Caller, ParsedFilter, AUDIT_PAGE_SIZE},
    domain::{
        AuditFilter, AuditPage, FieldError, FieldProblem, Member, NewOrganization, OrganizationOverview,
        OrganizationSummary, PendingInvitation, Permission, Refusal, Role,
    },
    provisioning::subscription_views,
    quotas::stored_json,
    Control, Result,
};

impl Control {
    /// Creates an organization with the caller as its owner. A taken slug
    /// comes back as a field error, and nothing is written.
    pub async fn create_organization(
        &self,
        caller: &Caller,
        new: &NewOrganization,
    ) -> Result<Result<OrganizationSummary, Vec<FieldError>>> {
        let owner = identity_uuid(caller)?;
        let now = self.clock.now();
        let id = Uuid::new_v4();
        let mut tx = self.db.pool().begin().await?;
        let state = if self.approve_new_organizations {
            "pending_approval"
        } else {
            "active"
        };
        let inserted = sqlx::query(
            "INSERT INTO organizations (id, slug, name, country, billing_email, state, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $7, $6, $6)
             ON CONFLICT (slug) DO NOTHING",
        )
        .bind(id)
        .bind(new.slug.as_str())
        .bind(new.name.as_str())
        .bind(new.country.as_str())
        .bind(new.billing_email.as_str())
        .bind(now)
        .bind(state)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            return Ok(Err(vec![FieldError::new("slug", FieldProblem::Taken)]));
        }
        sqlx::query(
            "INSERT INTO memberships (organization_id, identity_id, email, role, created_at)
             VALUES ($1, $2, $3, 'owner', $4)",
        )
        .bind(id)
        .bind(owner)
        .bind(&caller.email)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let after = json!({
            "slug": new.slug.as_str(),
            "name": new.name.as_str(),
            "country": new.country.as_str(),
            "billing_email": new.billing_email.as_str(),
            "owner": caller.email,
            "state": state,
        });
        audit::commit_with(
            tx,
            caller,
            now,
            AuditEvent {
                organization_id: Some(id),
                action: "organization.create",
                target: format!("organization:{}", new.slug),
                before: None,
                after: Some(after),
            },
        )
        .await?;
        Ok(Ok(OrganizationSummary {
            slug: new.slug.to_string(),
            name: new.name.as_str().to_owned(),
            country: new.country.as_str().to_owned(),
            state: state.to_owned(),
            role: Role::Owner,
        }))
    }

    /// The organizations the caller belongs to, by name.
    pub async fn my_organizations(&self, caller: &Caller) -> Result<Vec<OrganizationSummary>> {
        let rows: Vec<(String, String, String, String, String)> = sqlx::query_as(
            "SELECT o.slug, o.name, o.country, o.state, m.role
               FROM organizations o JOIN memberships m ON m.organization_id = o.id
              WHERE m.identity_id = $1 AND o.state <> 'closed'
              ORDER BY lower(o.name), o.slug",
        )
        .bind(identity_uuid(caller)?)
        .fetch_all(self.db.pool())
        .await?;
        rows.into_iter()
            .map(|(slug, name, country, state, role)| {
                Ok(OrganizationSummary {
                    slug,
                    name,
                    country,
                    state,
                    role: stored_role(&role)?,
                })
            })
            .collect()
    }

    /// An organization's page, for its members only: `NotFound` for anyone
    /// else (and for an unknown slug), so that its existence does not leak.
    pub async fn organization_overview(&self, caller: &Caller, slug: &str) -> Outcome<OrganizationOverview> {
        let now = self.clock.now();
        let mut conn = self.db.pool().acquire().await?;
        // The membership check (as `access::check` with `Permission::View`,
        // which every role has) and the page's members and invitations, in
        // one round trip: this is the page customers open most.
        type Row = (
            Uuid,
            String,
            String,
            String,
            String,
            String,
            Option<String>,
            String,
            String,
        );
        let found: Option<Row> = sqlx::query_as(
            "SELECT o.id, o.name, o.state, m.role, o.country, o.billing_email, o.state_reason,
                    (SELECT coalesce(json_agg(json_build_array(mm.identity_id, mm.email, mm.role)
                              ORDER BY CASE mm.role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 WHEN 'member' THEN 2 ELSE 3 END,
                                       mm.email), '[]')
                       FROM memberships mm WHERE mm.organization_id = o.id)::text,
                    (SELECT coalesce(json_agg(json_build_array(i.id, i.email, i.role,
                                              to_char(i.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'))
                              ORDER BY i.created_at), '[]')
                       FROM invitations i
                      WHERE i.organization_id = o.id AND i.accepted_at IS NULL AND i.revoked_at IS NULL
                        AND i.expires_at > $3)::text
               FROM organizations o JOIN memberships m ON m.organization_id = o.id
              WHERE o.slug = $1 AND m.identity_id = $2 AND o.state <> 'closed'",
        )
        .bind(slug)
        .bind(identity_uuid(caller)?)
        .bind(now)
        .fetch_optional(&mut *conn)
        .await?;
        let Some((id, name, state, role, country, billing_email, state_reason, members, invitations)) = found
        else {
            return Ok(Err(Refusal::NotFound));
        };
        let role = stored_role(&role)?;
        let members: Vec<(Uuid, String, String)> = stored_json(&members)?;
        let invitations: Vec<(Uuid, String, String, String)> = stored_json(&invitations)?;
        let members = members
            .into_iter()
            .map(|(id, email, role)| {
                Ok(Member {
                    identity_id: id.to_string(),
                    email,
                    role: stored_role(&role)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let invitations = invitations
            .into_iter()
            .map(|(id, email, role, expires_on)| {
                Ok(PendingInvitation {
                    id: id.to_string(),
                    email,
                    role: stored_role(&role)?,
                    expires_on,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        // Seats are held by members and reserved by open invitations.
        let holders: Vec<Role> = members
            .iter()
            .map(|m| m.role)
            .chain(invitations.iter().map(|i| i.role))
            .collect();
        let subscriptions = subscription_views(&mut conn, id, &holders).await?;
        Ok(Ok(OrganizationOverview {
            organization: OrganizationSummary {
                slug: slug.to_owned(),
                name,
                country,
                state,
                role,
            },
            state_reason,
            billing_email,
            members,
            invitations: if role.allows(Permission::ManageMembers) {
                invitations
            } else {
                Vec::new()
            },
            subscriptions,
            viewer_id: caller.identity_id.clone(),
        }))
    }

    /// The organization's own audit log, for its owners and admins.
    pub async fn organization_audit(
        &self,
        caller: &Caller,
        slug: &str,
        filter: &AuditFilter,
    ) -> Outcome<AuditPage> {
        let mut conn = self.db.pool().acquire().await?;
        let org = or_refuse!(access::check(&mut conn, caller, slug, Permission::ReadAudit, false).await?);
        let parsed = or_refuse!(ParsedFilter::parse(filter, Some(org.id)).map_err(Refusal::Fields));
        let mut page = audit::list(&mut conn, &parsed, AUDIT_PAGE_SIZE).await?;
        // Customers see what changed and which member did it; not the
        // addresses and request ids, nor the names of Bibind's staff.
        for entry in &mut page.entries {
            entry.ip = None;
            entry.request_id = None;
            if audit::by_platform(&entry.action) {
                "Bibind".clone_into(&mut entry.actor);
            }
        }
        Ok(Ok(page))
    }
}
