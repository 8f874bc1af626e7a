//! Organizations and their members. Every read checks that the caller is a
//! member (an organization they are not in does not exist for them: `None`,
//! which the edge answers with 404); every change writes its audit event in
//! the same transaction.

use serde_json::json;
use uuid::Uuid;

use crate::{
    audit::{self, AuditEvent, Caller},
    domain::{
        FieldError, FieldProblem, Member, NewOrganization, OrganizationOverview, OrganizationSummary, Role,
    },
    Control, Error, Result,
};

fn identity_uuid(caller: &Caller) -> Result<Uuid> {
    Uuid::parse_str(&caller.identity_id).map_err(|_| Error::Backend {
        backend: "kratos",
        detail: format!("identity id {:?} is not a UUID", caller.identity_id),
    })
}

fn stored_role(raw: &str) -> Result<Role> {
    Role::parse(raw).ok_or_else(|| Error::InvalidStoredData {
        table: "memberships",
        detail: format!("unknown role {raw:?}"),
    })
}

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
        let inserted = sqlx::query(
            "INSERT INTO organizations (id, slug, name, country, billing_email, state, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, 'active', $6, $6)
             ON CONFLICT (slug) DO NOTHING",
        )
        .bind(id)
        .bind(new.slug.as_str())
        .bind(new.name.as_str())
        .bind(new.country.as_str())
        .bind(new.billing_email.as_str())
        .bind(now)
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
        });
        audit::record(
            &mut tx,
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
        tx.commit().await?;
        Ok(Ok(OrganizationSummary {
            slug: new.slug.to_string(),
            name: new.name.as_str().to_owned(),
            country: new.country.as_str().to_owned(),
            state: "active".to_owned(),
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

    /// An organization's page, for its members only: `None` for anyone else
    /// (and for an unknown slug), so that its existence does not leak.
    pub async fn organization_overview(
        &self,
        caller: &Caller,
        slug: &str,
    ) -> Result<Option<OrganizationOverview>> {
        let found: Option<(Uuid, String, String, String, String, String)> = sqlx::query_as(
            "SELECT o.id, o.name, o.country, o.state, o.billing_email, m.role
               FROM organizations o JOIN memberships m ON m.organization_id = o.id
              WHERE o.slug = $1 AND m.identity_id = $2",
        )
        .bind(slug)
        .bind(identity_uuid(caller)?)
        .fetch_optional(self.db.pool())
        .await?;
        let Some((id, name, country, state, billing_email, role)) = found else {
            return Ok(None);
        };
        let members: Vec<(String, String)> = sqlx::query_as(
            "SELECT email, role FROM memberships WHERE organization_id = $1
              ORDER BY CASE role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 WHEN 'member' THEN 2 ELSE 3 END, email",
        )
        .bind(id)
        .fetch_all(self.db.pool())
        .await?;
        Ok(Some(OrganizationOverview {
            organization: OrganizationSummary {
                slug: slug.to_owned(),
                name,
                country,
                state,
                role: stored_role(&role)?,
            },
            billing_email,
            members: members
                .into_iter()
                .map(|(email, role)| {
                    Ok(Member {
                        email,
                        role: stored_role(&role)?,
                    })
                })
                .collect::<Result<_>>()?,
        }))
    }
}
