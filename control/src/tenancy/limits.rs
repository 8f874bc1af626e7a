//! Limits an operator sets against abuse (`[limits]`): how many
//! organizations one account owns, how many subscriptions of one
//! organization wait for provisioning, how many subscriptions one address
//! asks for in an hour. Each is counted over what the platform holds,
//! inside the transaction of the change; over a limit the change is refused
//! with the numbers, nothing of it is written, and the refusal itself is
//! audited (`limit.refused`), so operators see who pushes against them.
//!
//! The rule that these actions need a verified address lives here too:
//! both guard what costs Bibind infrastructure.

use serde_json::json;
use sqlx::PgConnection;
use time::Duration;
use uuid::Uuid;

use crate::{
    audit::{self, AuditEvent},
    domain::{AuditAction, OrganizationState, PlatformLimit, Refusal, Role, SubscriptionState},
    Caller, Control, Result,
};

/// The operator's limits; see `deploy/bibind.example.toml`, `[limits]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlatformLimits {
    pub organizations_per_account: u32,
    pub pending_subscriptions_per_organization: u32,
    pub subscriptions_per_address_per_hour: u32,
}

impl Default for PlatformLimits {
    fn default() -> Self {
        Self {
            organizations_per_account: 5,
            pending_subscriptions_per_organization: 3,
            subscriptions_per_address_per_hour: 20,
        }
    }
}

impl PlatformLimits {
    pub fn allowed(&self, limit: PlatformLimit) -> u32 {
        match limit {
            PlatformLimit::OrganizationsPerAccount => self.organizations_per_account,
            PlatformLimit::PendingSubscriptionsPerOrganization => self.pending_subscriptions_per_organization,
            PlatformLimit::SubscriptionsPerAddressPerHour => self.subscriptions_per_address_per_hour,
        }
    }
}

/// Who or what a limit is counted for.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Counted<'a> {
    /// Organizations owned by this identity.
    Owner(Uuid),
    /// Subscriptions of this organization not provisioned yet.
    Organization(Uuid),
    /// Subscriptions asked for by this caller's address.
    Address(&'a Caller),
}

impl Counted<'_> {
    fn limit(self) -> PlatformLimit {
        match self {
            Counted::Owner(_) => PlatformLimit::OrganizationsPerAccount,
            Counted::Organization(_) => PlatformLimit::PendingSubscriptionsPerOrganization,
            Counted::Address(_) => PlatformLimit::SubscriptionsPerAddressPerHour,
        }
    }
}

/// Operations that cost infrastructure need an address Kratos saw proven.
pub(crate) fn verified_address(caller: &Caller) -> Result<(), Refusal> {
    if caller.email_verified {
        Ok(())
    } else {
        Err(Refusal::AddressNotVerified)
    }
}

impl Control {
    /// Whether one more of what `counted` counts stays within its limit.
    /// Concurrent changes counted together run one after the other (a
    /// transaction-scoped advisory lock on what is counted).
    pub(crate) async fn within_limit(
        &self,
        conn: &mut PgConnection,
        counted: Counted<'_>,
    ) -> Result<Result<(), Refusal>> {
        let limit = counted.limit();
        let allowed = self.platform_limits.allowed(limit);
        let now = self.clock.now();
        let current: i64 = match counted {
            Counted::Owner(identity) => {
                lock(conn, &format!("owner:{identity}")).await?;
                sqlx::query_scalar!(
                    r#"SELECT count(*) AS "count!" FROM memberships m JOIN organizations o ON o.id = m.organization_id
                        WHERE m.identity_id = $1 AND m.role = $2 AND o.state <> $3"#,
                    identity,
                    Role::Owner as Role,
                    OrganizationState::Closed as OrganizationState,
                )
                .fetch_one(&mut *conn)
                .await?
            }
            // The caller of a subscription already locked the organization.
            Counted::Organization(organization) => {
                sqlx::query_scalar!(
                    r#"SELECT count(*) AS "count!" FROM subscriptions
                        WHERE organization_id = $1 AND state = ANY($2)"#,
                    organization,
                    &[
                        SubscriptionState::Requested,
                        SubscriptionState::AwaitingApproval,
                        SubscriptionState::Provisioning,
                    ] as &[SubscriptionState],
                )
                .fetch_one(&mut *conn)
                .await?
            }
            Counted::Address(caller) => {
                let Some(ip) = caller.ip else {
                    return Ok(Ok(()));
                };
                lock(conn, &format!("address:{ip}")).await?;
                sqlx::query_scalar!(
                    r#"SELECT count(*) AS "count!" FROM audit_events
                        WHERE action = 'subscription.create' AND ip = $1::text::inet AND at > $2"#,
                    ip.to_string(),
                    now - Duration::hours(1),
                )
                .fetch_one(&mut *conn)
                .await?
            }
        };
        let current = u32::try_from(current).unwrap_or(u32::MAX);
        if current < allowed {
            return Ok(Ok(()));
        }
        Ok(Err(Refusal::Limit {
            limit,
            allowed,
            current,
        }))
    }

    /// Records that `caller` was refused by a limit, on its own (the change
    /// itself was rolled back).
    pub(crate) async fn audit_limit_refusal(
        &self,
        caller: &Caller,
        organization: Option<Uuid>,
        target: String,
        refusal: &Refusal,
    ) -> Result<()> {
        let Refusal::Limit {
            limit,
            allowed,
            current,
        } = refusal
        else {
            return Ok(());
        };
        let mut tx = self.db.pool().begin().await?;
        audit::record(
            &mut tx,
            caller,
            self.clock.now(),
            AuditEvent::new(organization, AuditAction::LimitRefused, target)
                .after(json!({ "limit": limit.as_str(), "allowed": allowed, "current": current })),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

async fn lock(conn: &mut PgConnection, key: &str) -> Result<()> {
    sqlx::query!("SELECT pg_advisory_xact_lock(hashtextextended($1, 7))", key)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
