//! The organization page's read model: what its page shows, as one record
//! per organization kept in memory (the page customers open most), read
//! from the database once and forgotten as soon as anything on it changes.
//!
//! The triggers of migration 11 announce the slug of the organization that
//! changed on [`CHANNEL`] (`*` when a plan or offer changed): every replica
//! forgets its copy then. The replica that made a change also forgets at
//! once, after its commit, so that the page it serves next shows it.
//! What depends on the time (an invitation's expiry) is applied when the
//! page is served, not when the record is read.

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
};

use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{
    domain::{
        may_change_soon, Access, Member, OrganizationOverview, OrganizationState, OrganizationSummary,
        OverviewStamp, PendingInvitation, Permission, ProvisioningProgress, Role, Scopes, SubscriptionView,
    },
    infra::{
        change_cache::{ChangeCache, ChangeListener},
        store::stored_json,
    },
    tenancy::access::identity_uuid,
    tenancy::{
        progress::progress_of,
        quotas::{live_subscriptions, LiveSubscription},
    },
    Caller, ClientGrant, PageChange, Result,
};

/// Where migration 11's triggers announce changed organizations.
pub const CHANNEL: &str = "organization_changed";
/// Organizations kept in memory at most, the least recently used forgotten
/// first (ARCHITECTURE.md, "Memory").
const CAPACITY: usize = 20_000;

pub(crate) type OrganizationPages = ChangeCache<String, Arc<OrganizationRecord>>;

pub(crate) fn new_cache() -> OrganizationPages {
    ChangeCache::new(CAPACITY)
}

/// Numbers the copies of every organization loaded in this process, so
/// that a copy's number is never reused, whatever the organization.
static COPIES: AtomicU64 = AtomicU64::new(0);

/// A payload of [`CHANNEL`]: a slug, or `None` to forget everything.
pub(crate) fn parse_announcement(payload: &str) -> Option<String> {
    (payload != crate::infra::change_cache::FORGET_ALL).then(|| payload.to_owned())
}

/// Who looks at an organization's page: a person (their membership gives
/// their role) or an API client (in its own organization only); a token's
/// scopes hide what they do not cover.
#[derive(Debug, Clone)]
pub(crate) struct Viewer {
    id: Uuid,
    grant: Option<ClientGrant>,
    token: Option<Scopes>,
}

impl Viewer {
    pub(crate) fn of(caller: &Caller) -> Result<Viewer> {
        Ok(Viewer {
            id: identity_uuid(caller)?,
            grant: caller.client().cloned(),
            token: caller.token.as_ref().map(|token| token.scopes.clone()),
        })
    }

    /// Whether the token, if any, lets the viewer read what `permission` covers.
    pub(crate) fn token_allows(&self, permission: Permission) -> bool {
        self.token
            .as_ref()
            .is_none_or(|scopes| scopes.allows(permission, Access::Read))
    }
}

/// Everything an organization's page shows, whoever looks at it.
#[derive(Debug)]
pub(crate) struct OrganizationRecord {
    pub id: Uuid,
    /// Which copy this is ([`OverviewStamp`]): from [`COPIES`].
    copy: u64,
    name: String,
    state: OrganizationState,
    country: String,
    billing_email: String,
    state_reason: Option<String>,
    members: Vec<(Uuid, Member)>,
    /// Open invitations with when they expire, expired ones included.
    invitations: Vec<(PendingInvitation, OffsetDateTime)>,
    subscriptions: Vec<LiveSubscription>,
    progress: HashMap<Uuid, ProvisioningProgress>,
}

impl OrganizationRecord {
    pub fn has_subscription(&self, subscription: Uuid) -> bool {
        self.subscriptions.iter().any(|live| live.id == subscription)
    }

    /// What the page `viewer` would be shown at `now` is made from, without
    /// making it; `None` if they are not a member.
    pub fn stamp(&self, viewer: &Viewer, now: OffsetDateTime) -> Option<OverviewStamp> {
        let role = match &viewer.grant {
            Some(client) if client.organization_id == self.id => client.role,
            Some(_) => return None,
            None => self
                .members
                .iter()
                .find(|(identity, _)| *identity == viewer.id)
                .map(|(_, member)| member.role)?,
        };
        Some(OverviewStamp {
            copy: self.copy,
            role,
            until: self
                .open_invitations(now)
                .map(|(_, expires_at)| expires_at.unix_timestamp())
                .min()
                .unwrap_or(i64::MAX),
            settled: !self
                .subscriptions
                .iter()
                .any(|live| may_change_soon(live.state, self.progress.get(&live.id))),
        })
    }

    fn open_invitations(
        &self,
        now: OffsetDateTime,
    ) -> impl Iterator<Item = &(PendingInvitation, OffsetDateTime)> {
        self.invitations
            .iter()
            .filter(move |(_, expires_at)| *expires_at > now)
    }

    /// The page as `viewer` sees it at `now`; `None` if they are not a member.
    pub fn overview(&self, slug: &str, viewer: &Viewer, now: OffsetDateTime) -> Option<OrganizationOverview> {
        let stamp = self.stamp(viewer, now)?;
        let role = stamp.role;
        let allows = |permission| role.allows(permission) && viewer.token_allows(permission);
        let sees_members = allows(Permission::SeeMembers);
        let invitations: Vec<PendingInvitation> = self
            .open_invitations(now)
            .map(|(invitation, _)| invitation.clone())
            .collect();
        // Seats are held by members and reserved by open invitations.
        let holders: Vec<Role> = self
            .members
            .iter()
            .map(|(_, member)| member.role)
            .chain(invitations.iter().map(|invitation| invitation.role))
            .collect();
        // Why Bibind acted is for owners and admins, and said once: a
        // service suspended with its organization does not repeat the reason.
        let reasons = allows(Permission::ReadStateReasons);
        let state_reason = self.state_reason.clone().filter(|_| reasons);
        // An own domain is managed by those who manage the services.
        let manages = allows(Permission::ManageSubscriptions);
        let subscriptions = self
            .subscriptions
            .iter()
            .map(|live| {
                let view = live.view(&holders);
                SubscriptionView {
                    progress: self.progress.get(&live.id).cloned(),
                    custom_domain: view.custom_domain.clone().filter(|_| manages),
                    reason: view
                        .reason
                        .clone()
                        .filter(|reason| reasons && Some(reason) != state_reason.as_ref()),
                    ..view
                }
            })
            .collect();
        Some(OrganizationOverview {
            organization: OrganizationSummary {
                slug: slug.to_owned(),
                name: self.name.clone(),
                country: self.country.clone(),
                state: self.state,
                role,
            },
            state_reason,
            billing_email: if sees_members {
                self.billing_email.clone()
            } else {
                String::new()
            },
            // Who sees only themselves gets only their own row.
            members: self
                .members
                .iter()
                .filter(|(identity, _)| sees_members || *identity == viewer.id)
                .map(|(_, member)| member.clone())
                .collect(),
            invitations: if allows(Permission::ManageMembers) {
                invitations
            } else {
                Vec::new()
            },
            subscriptions,
            viewer_id: viewer.id.to_string(),
            stamp,
        })
    }
}

/// The record of the organization `slug` unless it is closed or unknown:
/// two round trips (the organization with its members and invitations, its
/// subscriptions) and a third when a job is under way.
pub(crate) async fn load(conn: &mut PgConnection, slug: &str) -> Result<Option<OrganizationRecord>> {
    let found = sqlx::query!(
        r#"SELECT o.id, o.name, o.state AS "state: OrganizationState", o.country, o.billing_email, o.state_reason,
                  (SELECT coalesce(json_agg(json_build_array(m.identity_id, m.email, m.role)
                            ORDER BY CASE m.role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 WHEN 'member' THEN 2 ELSE 3 END,
                                     m.email), '[]')
                     FROM memberships m WHERE m.organization_id = o.id)::text AS "members!",
                  (SELECT coalesce(json_agg(json_build_array(i.id, i.email, i.role,
                                            to_char(i.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
                                            extract(epoch FROM i.expires_at)::bigint)
                            ORDER BY i.created_at), '[]')
                     FROM invitations i
                    WHERE i.organization_id = o.id AND i.accepted_at IS NULL AND i.revoked_at IS NULL)::text
                    AS "invitations!"
             FROM organizations o
            WHERE o.slug = $1 AND o.state <> 'closed'"#,
        slug,
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(found) = found else {
        return Ok(None);
    };
    let id = found.id;
    // Roles are stored as `Role` serializes them (lower case).
    let members: Vec<(Uuid, String, Role)> = stored_json(&found.members)?;
    let members = members
        .into_iter()
        .map(|(identity, email, role)| {
            let member = Member {
                identity_id: identity.to_string(),
                email,
                role,
            };
            (identity, member)
        })
        .collect();
    let invitations: Vec<(Uuid, String, Role, String, i64)> = stored_json(&found.invitations)?;
    let invitations = invitations
        .into_iter()
        .map(|(id, email, role, expires_on, expires_at)| {
            let invitation = PendingInvitation {
                id: id.to_string(),
                email,
                role,
                expires_on,
            };
            // An instant out of range has long expired.
            let expires_at =
                OffsetDateTime::from_unix_timestamp(expires_at).unwrap_or(OffsetDateTime::UNIX_EPOCH);
            (invitation, expires_at)
        })
        .collect();
    let subscriptions = live_subscriptions(conn, id).await?;
    let ids: Vec<Uuid> = subscriptions.iter().map(|live| live.id).collect();
    let progress = if ids.is_empty() {
        HashMap::new()
    } else {
        progress_of(conn, &ids).await?
    };
    Ok(Some(OrganizationRecord {
        id,
        copy: COPIES.fetch_add(1, Ordering::Relaxed),
        name: found.name,
        state: found.state,
        country: found.country,
        billing_email: found.billing_email,
        state_reason: found.state_reason,
        members,
        invitations,
        subscriptions,
        progress,
    }))
}

impl crate::Control {
    /// Forgets the page showing `subscription`: a live page reloads on its
    /// job's announcement, which may arrive before the page's own.
    pub fn forget_subscription_page(&self, subscription: Uuid) {
        self.page_changed(PageChange::Subscriptions(vec![subscription]));
    }

    /// What keeps this replica's copies (organization pages, API clients)
    /// true to changes made by the others: add the server's own caches, then
    /// run it for as long as the control plane serves.
    pub fn change_listener(&self) -> ChangeListener {
        ChangeListener::new()
            .with(self.organization_pages.clone(), CHANNEL, parse_announcement)
            .with(
                self.api_tokens.clients.clone(),
                crate::identity::api_tokens::CHANNEL,
                |payload| Some(payload.to_owned()),
            )
    }
}
