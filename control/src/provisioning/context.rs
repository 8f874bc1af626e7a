//! What a step knows about the subscription it acts on, read afresh at each
//! step (a plan or its members may change while a job runs).

use uuid::Uuid;

use crate::{
    domain::{OdooModule, OfferKind, QuotaKind, Role},
    tenancy::quotas::live_subscriptions,
    Control, Error, Result,
};

/// One member of the subscription's organization.
#[derive(Clone, Debug)]
pub(crate) struct MemberIdentity {
    pub identity_id: Uuid,
    pub email: String,
    pub role: Role,
}

#[derive(Clone, Debug)]
pub(crate) struct SubscriptionContext {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub slug: String,
    /// The organization's name, which its sites show.
    pub name: String,
    pub country: String,
    pub offer: OfferKind,
    /// Effective limits (an admin's override, else the plan's); `None` for a
    /// closed subscription, whose plan no longer matters.
    pub limits: Option<Vec<(QuotaKind, u32)>>,
    /// Owners first, then admins, members and learners.
    pub members: Vec<MemberIdentity>,
    /// Those members as the dispatcher compares them
    /// (`odoo_members_fingerprint`, read with them).
    pub members_fingerprint: String,
    /// Bibind's modules its Odoo should have (the plan's and those added).
    pub modules: Vec<OdooModule>,
    /// The count of module changes those are from (read before them: the
    /// engine records it once they are applied).
    pub modules_version: i32,
    /// The owner's own domain, once verified.
    pub custom_domain: Option<String>,
    /// The count of own-domain changes that is from (read before it).
    pub domain_version: i32,
    /// Who trainers put in (`true`) or took out of which course (a
    /// training space's), read after the members' fingerprint: what is
    /// applied is never older than what is recorded as applied.
    pub assignments: Vec<(i64, Uuid, bool)>,
}

impl SubscriptionContext {
    /// The name of the subscription's services on every backend: its
    /// namespace, Vault tenant, Odoo database, OpenStack project, GitLab group.
    pub fn instance(&self) -> String {
        crate::domain::instance_name(&self.slug, self.offer)
    }

    pub fn limit(&self, quota: QuotaKind) -> u32 {
        self.limits
            .as_ref()
            .and_then(|limits| limits.iter().find(|(kind, _)| *kind == quota))
            .map_or(0, |(_, value)| *value)
    }
}

impl Control {
    pub(crate) async fn subscription_context(&self, subscription: Uuid) -> Result<SubscriptionContext> {
        let mut conn = self.db.pool().acquire().await?;
        let row = sqlx::query!(
            "SELECT o.id, o.slug, o.name, o.country, s.offer_kind, s.modules_version, s.domain_version
               FROM subscriptions s JOIN organizations o ON o.id = s.organization_id
              WHERE s.id = $1",
            subscription,
        )
        .fetch_optional(&mut *conn)
        .await?;
        let row = row.ok_or_else(|| Error::InvalidStoredData {
            table: "jobs",
            detail: format!("job for unknown subscription {subscription}"),
        })?;
        let (organization_id, slug, name, country, offer) =
            (row.id, row.slug, row.name, row.country, row.offer_kind);
        let invalid = |detail: String| Error::InvalidStoredData {
            table: "subscriptions",
            detail,
        };
        let offer =
            OfferKind::from_code(&offer).ok_or_else(|| invalid(format!("unknown offer {offer:?}")))?;
        let (modules_version, domain_version) = (row.modules_version, row.domain_version);
        let live = live_subscriptions(&mut conn, organization_id)
            .await?
            .into_iter()
            .find(|live| live.id == subscription);
        let modules = live
            .as_ref()
            .map(|live| live.plan.modules.wanted(&live.added_modules))
            .unwrap_or_default();
        let custom_domain = live
            .as_ref()
            .and_then(|live| live.custom_domain.as_ref())
            .filter(|domain| domain.verified)
            .map(|domain| domain.domain.clone());
        let limits = live.map(|live| {
            QuotaKind::ALL
                .into_iter()
                .filter_map(|quota| Some((quota, live.limit(quota)?)))
                .collect()
        });
        // One statement, one snapshot: the fingerprint is of these members.
        let members = sqlx::query!(
            r#"SELECT identity_id, email, role AS "role: Role",
                      odoo_members_fingerprint($1, $2) AS "fingerprint!"
                 FROM memberships WHERE organization_id = $1
              ORDER BY CASE role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 WHEN 'member' THEN 2 ELSE 3 END,
                       created_at, email"#,
            organization_id,
            offer.code(),
        )
        .fetch_all(&mut *conn)
        .await?;
        let members_fingerprint = members
            .first()
            .map(|member| member.fingerprint.clone())
            .unwrap_or_default();
        drop(conn);
        let assignments = if offer == OfferKind::Training {
            self.course_assignments(subscription).await?
        } else {
            Vec::new()
        };
        Ok(SubscriptionContext {
            id: subscription,
            organization_id,
            slug,
            name,
            country,
            offer,
            limits,
            members: members
                .into_iter()
                .map(|member| MemberIdentity {
                    identity_id: member.identity_id,
                    email: member.email,
                    role: member.role,
                })
                .collect(),
            members_fingerprint,
            modules,
            modules_version,
            custom_domain,
            domain_version,
            assignments,
        })
    }
}
