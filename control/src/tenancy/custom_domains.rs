//! Own domains of shops and training spaces (see `domain::custom_domains`):
//! owners and admins add one, check its DNS records (the reconciler checks
//! pending ones too) and remove it. A domain whose records hold is
//! verified, and counts one more `domain_version`: the engine's
//! `apply_domain` then gives the ingress its host and certificate and
//! Odoo's website its domain; removing a verified one undoes it the same
//! way. Each domain is one subscription's at most.

use serde_json::json;
use uuid::Uuid;

use crate::{
    audit::AuditEvent,
    domain::{
        AuditAction, CustomDomainView, DnsRecord, DomainName, DomainProblem, DomainState, FieldProblem,
        OfferKind, OrganizationState, Permission, Refusal, SubscriptionState,
    },
    infra::{dns::txt_value, store::stored_json},
    or_refuse,
    tenancy::{
        access::{self, Need},
        members::new_token,
        quotas::live_subscriptions,
    },
    Caller, Control, Error, Outcome, PageChange, Result,
};

/// Who verifies a pending domain on the reconciler's round, in the audit trail.
const RECONCILER: &str = "provisioning";

/// Pending domains the reconciler checks per round at most.
const PENDING_PER_ROUND: i64 = 200;

/// A subscription's own domain as stored.
#[derive(Clone, Debug)]
pub(crate) struct StoredDomain {
    pub domain: String,
    pub token: String,
    pub verified: bool,
    pub checked_at: Option<String>,
    /// `DomainProblem` as JSON text.
    pub problem: Option<String>,
}

impl StoredDomain {
    /// The page's view, without the CNAME record (its target is the
    /// site's host: [`cname_record`], added where the sites are known);
    /// `applied`: the engine has applied the latest change.
    pub fn view(&self, applied: bool) -> Result<CustomDomainView> {
        let state = match (self.verified, applied) {
            (false, _) => DomainState::Pending,
            (true, false) => DomainState::Verified,
            (true, true) => DomainState::Bound,
        };
        let mut records = Vec::new();
        if let Ok(name) = DomainName::parse(&self.domain) {
            records.push(DnsRecord {
                kind: "TXT".into(),
                name: name.challenge_name(),
                value: txt_value(&self.token),
            });
        }
        Ok(CustomDomainView {
            domain: self.domain.clone(),
            state,
            records,
            checked_at: self.checked_at.clone(),
            problem: self.problem.as_deref().map(stored_json).transpose()?,
        })
    }
}

/// The CNAME record pointing `domain` at the service's host.
pub(crate) fn cname_record(domain: &str, target_host: &str) -> DnsRecord {
    DnsRecord {
        kind: "CNAME".into(),
        name: domain.to_owned(),
        value: format!("{target_host}."),
    }
}

/// What a check found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DomainCheck {
    Verified,
    Failed(DomainProblem),
}

impl Control {
    /// Claims `raw` as the own domain of the organization's `subscription`.
    pub async fn add_domain(
        &self,
        caller: &Caller,
        slug: &str,
        subscription: Uuid,
        raw: &str,
    ) -> Outcome<()> {
        let now = self.clock.now();
        // Who asks, about which service, before what they typed.
        let (mut tx, org) = or_refuse!(
            self.begin_change(caller, slug, Permission::ManageSubscriptions)
                .await?
        );
        let live = live_subscriptions(&mut tx, org.id).await?;
        let Some(current) = live.iter().find(|s| s.id == subscription && s.offer.runs_odoo()) else {
            return Ok(Err(Refusal::NotFound));
        };
        let domain = match DomainName::parse(raw) {
            Ok(domain) => domain,
            Err(problem) => return Ok(Err(Refusal::field("domain", problem))),
        };
        if org.state != OrganizationState::Active || current.state != SubscriptionState::Active {
            return Ok(Err(Refusal::WrongState));
        }
        if current.custom_domain.is_some() {
            return Ok(Err(Refusal::WrongState));
        }
        // A running service has sites: where they are is configured.
        let sites = self.sites.as_ref().ok_or(Error::NotConfigured("provisioning"))?;
        let ours = [&sites.ecommerce_domain, &sites.training_domain, &sites.iot_domain];
        let portal = url::Url::parse(self.public_url())
            .ok()
            .and_then(|url| url.host_str().map(str::to_owned));
        if ours.iter().any(|own| domain.is_within(own)) || portal.is_some_and(|host| domain.is_within(&host))
        {
            return Ok(Err(Refusal::field("domain", FieldProblem::Reserved)));
        }
        let inserted = sqlx::query!(
            "INSERT INTO custom_domains (subscription_id, domain, token, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT DO NOTHING",
            subscription,
            domain.as_str(),
            new_token()?,
            now,
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        // Claimed by another service, whoever's: not said whose.
        if inserted == 0 {
            return Ok(Err(Refusal::field("domain", FieldProblem::Taken)));
        }
        let event = AuditEvent::new(
            Some(org.id),
            AuditAction::DomainAdd,
            format!("domain:{}", domain.as_str()),
        )
        .after(json!({ "subscription": subscription.to_string(), "domain": domain.as_str() }));
        self.commit_change(tx, caller, now, event).await
    }

    /// Checks the DNS records of the subscription's own domain now.
    pub async fn check_domain(
        &self,
        caller: &Caller,
        slug: &str,
        subscription: Uuid,
    ) -> Outcome<DomainCheck> {
        let mut conn = self.db.pool().acquire().await?;
        let org = or_refuse!(
            access::check(
                &mut conn,
                caller,
                slug,
                Need::write(Permission::ManageSubscriptions)
            )
            .await?
        );
        let live = live_subscriptions(&mut conn, org.id).await?;
        drop(conn);
        let Some(current) = live.iter().find(|s| s.id == subscription) else {
            return Ok(Err(Refusal::NotFound));
        };
        let Some(stored) = &current.custom_domain else {
            // The service is there; it has no domain to check.
            return Ok(Err(Refusal::WrongState));
        };
        if stored.verified {
            return Ok(Ok(DomainCheck::Verified));
        }
        Ok(Ok(self
            .verify_domain(caller, subscription, slug, current.offer, stored)
            .await?))
    }

    /// Gives up the subscription's own domain; the engine unbinds it.
    pub async fn remove_domain(&self, caller: &Caller, slug: &str, subscription: Uuid) -> Outcome<()> {
        let now = self.clock.now();
        let (mut tx, org) = or_refuse!(
            self.begin_change(caller, slug, Permission::ManageSubscriptions)
                .await?
        );
        let removed = sqlx::query!(
            r#"DELETE FROM custom_domains d USING subscriptions s
                WHERE d.subscription_id = $1 AND s.id = d.subscription_id AND s.organization_id = $2
                RETURNING d.domain, d.verified_at IS NOT NULL AS "verified!""#,
            subscription,
            org.id,
        )
        .fetch_optional(&mut *tx)
        .await?;
        let Some(removed) = removed else {
            // A service of the organization without a domain: nothing to give up.
            let live = live_subscriptions(&mut tx, org.id).await?;
            let exists = live.iter().any(|s| s.id == subscription);
            return Ok(Err(if exists {
                Refusal::WrongState
            } else {
                Refusal::NotFound
            }));
        };
        if removed.verified {
            bump_domain_version(&mut tx, subscription).await?;
        }
        let event = AuditEvent::new(
            Some(org.id),
            AuditAction::DomainRemove,
            format!("domain:{}", removed.domain),
        )
        .before(json!({ "subscription": subscription.to_string(), "domain": removed.domain }));
        self.commit_change(tx, caller, now, event).await
    }

    /// Checks every pending domain (the reconciler's round); how many were
    /// verified.
    pub(crate) async fn check_pending_domains(&self) -> Result<usize> {
        let pending = sqlx::query!(
            r#"SELECT d.subscription_id, d.domain, d.token, o.slug, s.offer_kind AS "offer: OfferKind"
                 FROM custom_domains d
                 JOIN subscriptions s ON s.id = d.subscription_id
                 JOIN organizations o ON o.id = s.organization_id
                WHERE d.verified_at IS NULL AND s.state = 'active'
                ORDER BY d.checked_at NULLS FIRST
                LIMIT $1"#,
            PENDING_PER_ROUND,
        )
        .fetch_all(self.db.pool())
        .await?;
        let mut verified = 0;
        for row in pending {
            let stored = StoredDomain {
                domain: row.domain,
                token: row.token,
                verified: false,
                checked_at: None,
                problem: None,
            };
            let check = self
                .verify_domain(
                    &Caller::system(RECONCILER),
                    row.subscription_id,
                    &row.slug,
                    row.offer,
                    &stored,
                )
                .await?;
            verified += usize::from(check == DomainCheck::Verified);
        }
        Ok(verified)
    }

    /// Looks the records up and keeps what was found; a domain verified
    /// counts one more change for the engine to apply.
    async fn verify_domain(
        &self,
        actor: &Caller,
        subscription: Uuid,
        slug: &str,
        offer: OfferKind,
        stored: &StoredDomain,
    ) -> Result<DomainCheck> {
        let sites = self.sites.as_ref().ok_or(Error::NotConfigured("provisioning"))?;
        let dns = self.dns.as_ref().ok_or(Error::NotConfigured("dns"))?;
        let domain = DomainName::parse(&stored.domain).map_err(|_| Error::InvalidStoredData {
            table: "custom_domains",
            detail: format!("domain {:?}", stored.domain),
        })?;
        let problem = dns.verify(&domain, &stored.token, &sites.host(slug, offer)).await;
        let now = self.clock.now();
        let mut tx = self.db.pool().begin().await?;
        let problem_text = problem.as_ref().map(|problem| json!(problem).to_string());
        // Only the domain that was checked, if still pending.
        let updated = sqlx::query!(
            "UPDATE custom_domains
                SET checked_at = $3, problem = $4, verified_at = CASE WHEN $4::text IS NULL THEN $3::timestamptz END
              WHERE subscription_id = $1 AND domain = $2 AND verified_at IS NULL",
            subscription,
            domain.as_str(),
            now,
            problem_text,
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let Some(problem) = problem else {
            if updated == 1 {
                bump_domain_version(&mut tx, subscription).await?;
                let organization = sqlx::query_scalar!(
                    "SELECT organization_id FROM subscriptions WHERE id = $1",
                    subscription
                )
                .fetch_one(&mut *tx)
                .await?;
                let event = AuditEvent::new(
                    Some(organization),
                    AuditAction::DomainVerify,
                    format!("domain:{}", domain.as_str()),
                )
                .after(json!({ "subscription": subscription.to_string(), "domain": domain.as_str() }));
                self.commit_with(tx, actor, now, event).await?;
            }
            return Ok(DomainCheck::Verified);
        };
        self.commit_page_change(tx, PageChange::Subscriptions(vec![subscription]))
            .await?;
        Ok(DomainCheck::Failed(problem))
    }

    /// Records which change of the subscription's own domain the engine applied.
    pub(crate) async fn record_domain_applied(&self, subscription: Uuid, version: i32) -> Result<()> {
        let mut tx = self.db.pool().begin().await?;
        sqlx::query!(
            "UPDATE subscriptions SET domain_applied = $2 WHERE id = $1",
            subscription,
            version,
        )
        .execute(&mut *tx)
        .await?;
        self.commit_page_change(tx, PageChange::Subscriptions(vec![subscription]))
            .await
    }
}

async fn bump_domain_version(conn: &mut sqlx::PgConnection, subscription: Uuid) -> Result<()> {
    sqlx::query!(
        "UPDATE subscriptions SET domain_version = domain_version + 1 WHERE id = $1",
        subscription,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}
