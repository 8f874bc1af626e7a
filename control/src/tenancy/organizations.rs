//! Organizations and their members. Every read checks that the caller is a
//! member (an organization they are not in does not exist for them: `None`,
//! which the edge answers with 404); every change writes its audit event in
//! the same transaction.

use std::sync::Arc;

use serde_json::json;
use uuid::Uuid;

use crate::{
    audit::{self, AuditEvent, ParsedFilter, AUDIT_PAGE_SIZE},
    domain::{
        Access, Arrival, AuditAction, AuditFilter, AuditPage, FieldProblem, Home, NewOrganization,
        OrganizationOverview, OrganizationState, OrganizationSummary, OverviewStamp, Permission, Refusal,
        Role, SignedInUser,
    },
    or_refuse,
    tenancy::{
        access::{self, identity_uuid, uuid_of_identity, Need},
        limits::{self, Counted},
        pages,
    },
    Caller, Control, Outcome, Result,
};

impl Control {
    /// Creates an organization with the caller as its owner. The caller's
    /// address must be verified and they may own only so many; a taken slug
    /// comes back as a field error. Refused, nothing is written.
    pub async fn create_organization(
        &self,
        caller: &Caller,
        new: &NewOrganization,
    ) -> Outcome<OrganizationSummary> {
        // An API client belongs to its organization: it creates none.
        if caller.client().is_some() || !caller.token_allows(Permission::View, Access::Write) {
            return Ok(Err(Refusal::Forbidden));
        }
        or_refuse!(limits::verified_address(caller));
        let owner = identity_uuid(caller)?;
        let now = self.clock.now();
        let id = Uuid::new_v4();
        let mut tx = self.db.pool().begin().await?;
        if let Err(refusal) = self.within_limit(&mut tx, Counted::Owner(owner)).await? {
            drop(tx);
            let target = format!("organization:{}", new.slug);
            self.audit_limit_refusal(caller, None, target, &refusal).await?;
            return Ok(Err(refusal));
        }
        let state = if self.approve_new_organizations {
            OrganizationState::PendingApproval
        } else {
            OrganizationState::Active
        };
        let inserted = sqlx::query!(
            "INSERT INTO organizations (id, slug, name, country, billing_email, state, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $7, $6, $6)
             ON CONFLICT (slug) DO NOTHING",
            id,
            new.slug.as_str(),
            new.name.as_str(),
            new.country.as_str(),
            new.billing_email.as_str(),
            now,
            state as OrganizationState,
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            return Ok(Err(Refusal::field("slug", FieldProblem::Taken)));
        }
        sqlx::query!(
            "INSERT INTO memberships (organization_id, identity_id, email, role, created_at)
             VALUES ($1, $2, $3, $5, $4)",
            id,
            owner,
            caller.email,
            now,
            Role::Owner as Role,
        )
        .execute(&mut *tx)
        .await?;
        let after = json!({
            "slug": new.slug.as_str(),
            "name": new.name.as_str(),
            "country": new.country.as_str(),
            "billing_email": new.billing_email.as_str(),
            "owner": caller.email,
            "state": state.as_str(),
        });
        let event = AuditEvent::new(
            Some(id),
            AuditAction::OrganizationCreate,
            format!("organization:{}", new.slug),
        )
        .after(after);
        self.commit_with(tx, caller, now, event).await?;
        Ok(Ok(OrganizationSummary {
            slug: new.slug.to_string(),
            name: new.name.as_str().to_owned(),
            country: new.country.as_str().to_owned(),
            state,
            role: Role::Owner,
        }))
    }

    /// The organizations the caller belongs to, by name.
    pub async fn my_organizations(&self, caller: &Caller) -> Result<Vec<OrganizationSummary>> {
        if !caller.token_allows(Permission::View, Access::Read) {
            return Ok(Vec::new());
        }
        if let Some(client) = caller.client() {
            let own = sqlx::query!(
                r#"SELECT slug, name, country, state AS "state: OrganizationState"
                     FROM organizations WHERE id = $1 AND state <> 'closed'"#,
                client.organization_id,
            )
            .fetch_optional(self.db.pool())
            .await?;
            return Ok(own
                .into_iter()
                .map(|row| OrganizationSummary {
                    slug: row.slug,
                    name: row.name,
                    country: row.country,
                    state: row.state,
                    role: client.role,
                })
                .collect());
        }
        let rows = sqlx::query!(
            r#"SELECT o.slug, o.name, o.country, o.state AS "state: OrganizationState", m.role AS "role: Role"
                 FROM organizations o JOIN memberships m ON m.organization_id = o.id
                WHERE m.identity_id = $1 AND o.state <> 'closed'
                ORDER BY lower(o.name), o.slug"#,
            identity_uuid(caller)?,
        )
        .fetch_all(self.db.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| OrganizationSummary {
                slug: row.slug,
                name: row.name,
                country: row.country,
                state: row.state,
                role: row.role,
            })
            .collect())
    }

    /// Where the caller lands after signing in: the organization they have
    /// when they have exactly one, else their list; and whether they are a
    /// platform admin. One statement: it is on every sign-in's path.
    pub async fn arrival(&self, user: &SignedInUser) -> Result<Arrival> {
        let row = sqlx::query!(
            r#"SELECT EXISTS (SELECT 1 FROM platform_admins WHERE identity_id = $1) AS "platform_admin!",
                      ARRAY(SELECT o.slug
                              FROM organizations o JOIN memberships m ON m.organization_id = o.id
                             WHERE m.identity_id = $1 AND o.state <> 'closed'
                             ORDER BY o.slug LIMIT 2) AS "slugs!""#,
            uuid_of_identity(&user.identity_id)?,
        )
        .fetch_one(self.db.pool())
        .await?;
        let home = match <[String; 1]>::try_from(row.slugs) {
            Ok([slug]) => Home::Organization(slug),
            Err(_) => Home::Organizations,
        };
        Ok(Arrival {
            home,
            platform_admin: row.platform_admin,
        })
    }

    /// An organization's page, for its members only: `NotFound` for anyone
    /// else (and for an unknown slug), so that its existence does not leak.
    /// Served from the read model (`organization_pages`) when it holds the
    /// organization: the page customers open most, without a round trip.
    pub async fn organization_overview(&self, caller: &Caller, slug: &str) -> Outcome<OrganizationOverview> {
        if !caller.token_allows(Permission::View, Access::Read) {
            return Ok(Err(Refusal::Forbidden));
        }
        self.overview_for(caller, slug).await
    }

    /// What `slug`'s page as `caller` would see it is made from, without
    /// making it: the portal serves again a page it rendered from an equal
    /// stamp. Refused as [`Self::organization_overview`] refuses.
    pub async fn organization_overview_stamp(&self, caller: &Caller, slug: &str) -> Outcome<OverviewStamp> {
        if !caller.token_allows(Permission::View, Access::Read) {
            return Ok(Err(Refusal::Forbidden));
        }
        let (record, viewer) = or_refuse!(self.page_record_for(caller, slug).await?);
        Ok(record.stamp(&viewer, self.clock.now()).ok_or(Refusal::NotFound))
    }

    /// The organization's subscriptions as its page shows them to the
    /// caller (a token needs `subscriptions:read`).
    pub async fn organization_subscriptions(
        &self,
        caller: &Caller,
        slug: &str,
    ) -> Outcome<Vec<crate::domain::SubscriptionView>> {
        if !caller.token_allows(Permission::ManageSubscriptions, Access::Read) {
            return Ok(Err(Refusal::Forbidden));
        }
        Ok(self
            .overview_for(caller, slug)
            .await?
            .map(|overview| overview.subscriptions))
    }

    /// The organization's open invitations, for those who manage members
    /// (a token needs `members:read`).
    pub async fn organization_invitations(
        &self,
        caller: &Caller,
        slug: &str,
    ) -> Outcome<Vec<crate::domain::PendingInvitation>> {
        if !caller.token_allows(Permission::ManageMembers, Access::Read) {
            return Ok(Err(Refusal::Forbidden));
        }
        let overview = or_refuse!(self.overview_for(caller, slug).await?);
        if !overview.organization.role.allows(Permission::ManageMembers) {
            return Ok(Err(Refusal::Forbidden));
        }
        Ok(Ok(overview.invitations))
    }

    /// The page of `slug` as `caller` sees it, from the read model.
    async fn overview_for(&self, caller: &Caller, slug: &str) -> Outcome<OrganizationOverview> {
        let (record, viewer) = or_refuse!(self.page_record_for(caller, slug).await?);
        let mut overview = or_refuse!(record
            .overview(slug, &viewer, self.clock.now())
            .ok_or(Refusal::NotFound));
        self.link_sites(&mut overview);
        Ok(Ok(overview))
    }

    /// `slug`'s record in the read model and `caller` as its viewer.
    async fn page_record_for(
        &self,
        caller: &Caller,
        slug: &str,
    ) -> Outcome<(Arc<pages::OrganizationRecord>, pages::Viewer)> {
        let viewer = pages::Viewer::of(caller)?;
        Ok(match self.organization_page_record(slug).await? {
            Some(record) => Ok((record, viewer)),
            None => Err(Refusal::NotFound),
        })
    }

    /// Brings `slug`'s page into the read model, so that the first page a
    /// person opens after signing in (their organization, `arrival`) is
    /// served from memory: the sign-in callback does it while it waits for
    /// Kratos. Nothing is shown here: whoever opens the page is still
    /// checked by [`Self::organization_overview`].
    pub async fn preload_organization_page(&self, slug: &str) -> Result<()> {
        self.organization_page_record(slug).await.map(drop)
    }

    /// `slug`'s page from the read model, loaded and kept when missing;
    /// `None` for an unknown slug.
    pub(crate) async fn organization_page_record(
        &self,
        slug: &str,
    ) -> Result<Option<Arc<pages::OrganizationRecord>>> {
        let pages = &self.organization_pages;
        if let Some(record) = pages.get(slug) {
            return Ok(Some(record));
        }
        let reading = pages.reading();
        let mut conn = self.db.pool().acquire().await?;
        let Some(record) = pages::load(&mut conn, slug).await? else {
            return Ok(None);
        };
        let record = Arc::new(record);
        pages.keep(reading, slug.to_owned(), record.clone());
        Ok(Some(record))
    }

    /// The organization's own audit log, for its owners and admins.
    pub async fn organization_audit(
        &self,
        caller: &Caller,
        slug: &str,
        filter: &AuditFilter,
    ) -> Outcome<AuditPage> {
        let mut conn = self.db.pool().acquire().await?;
        let org =
            or_refuse!(access::check(&mut conn, caller, slug, Need::read(Permission::ReadAudit)).await?);
        let parsed = or_refuse!(ParsedFilter::parse(filter, Some(org.id)).map_err(Refusal::Fields));
        let mut page = audit::list(&mut conn, &parsed, AUDIT_PAGE_SIZE).await?;
        page.entries.iter_mut().for_each(audit::customers_view);
        Ok(Ok(page))
    }

    /// The organization's audit entries `filter` selects, for a CSV export
    /// (newest first, [`audit::AUDIT_EXPORT_LIMIT`] at most, read page by
    /// page), as its owners and admins read them.
    pub async fn organization_audit_export(
        &self,
        caller: &Caller,
        slug: &str,
        filter: &AuditFilter,
    ) -> Outcome<audit::AuditExport> {
        let mut conn = self.db.pool().acquire().await?;
        let org =
            or_refuse!(access::check(&mut conn, caller, slug, Need::read(Permission::ReadAudit)).await?);
        let parsed = or_refuse!(ParsedFilter::parse(filter, Some(org.id)).map_err(Refusal::Fields));
        Ok(Ok(audit::AuditExport::new(
            self.clone(),
            Some(parsed),
            audit::Reader::Customer,
        )))
    }
}
