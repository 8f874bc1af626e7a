//! Members of an organization: invitations by e-mail (single use, expiring;
//! only the token's hash is stored), role changes and removals. An
//! organization always keeps an owner, and a change that would exceed a
//! subscription's seats is refused before anything is written.

use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::{
    audit::{self, AuditEvent},
    domain::{InvitationPreview, Locale, NewInvitation, Permission, Refusal, Role},
    infra::format::day,
    infra::mail::InvitationLetter,
    or_refuse,
    tenancy::{
        access::{self, identity_uuid, stored_role},
        quotas::{check_seats, live_subscriptions, seat_holders},
    },
    Caller, Control, Error, Outcome, PageChange, Result,
};

/// How long an invitation link works.
pub const INVITATION_LIFETIME: Duration = Duration::days(7);

fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

fn new_token() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).map_err(|e| Error::Backend {
        backend: "os",
        detail: format!("no randomness: {e}"),
    })?;
    Ok(hex::encode(bytes))
}

async fn owner_count(conn: &mut PgConnection, organization: Uuid) -> Result<i64> {
    let (count,): (i64,) =
        sqlx::query_as("SELECT count(*) FROM memberships WHERE organization_id = $1 AND role = 'owner'")
            .bind(organization)
            .fetch_one(&mut *conn)
            .await?;
    Ok(count)
}

/// A member's e-mail and role, if `identity` belongs to `organization`.
async fn membership(
    conn: &mut PgConnection,
    organization: Uuid,
    identity: Uuid,
) -> Result<Option<(String, Role)>> {
    let row: Option<(String, String)> =
        sqlx::query_as("SELECT email, role FROM memberships WHERE organization_id = $1 AND identity_id = $2")
            .bind(organization)
            .bind(identity)
            .fetch_optional(&mut *conn)
            .await?;
    row.map(|(email, role)| Ok((email, stored_role(&role)?)))
        .transpose()
}

/// Seats taken by the organization's members and open invitations, checked
/// against every live subscription for a change of seat holders.
async fn seats_allow(
    conn: &mut PgConnection,
    organization: Uuid,
    now: OffsetDateTime,
    added: &[Role],
    removed: &[Role],
) -> Result<Result<(), Refusal>> {
    let subscriptions = live_subscriptions(conn, organization).await?;
    let holders = seat_holders(conn, organization, now).await?;
    Ok(check_seats(&subscriptions, &holders, added, removed))
}

impl Control {
    /// Invites `new.email` into the organization with `new.role` and mails
    /// them the link, in `locale`. Inviting an address again replaces its
    /// open invitation. If the mail cannot be sent, nothing is kept.
    pub async fn invite_member(
        &self,
        caller: &Caller,
        slug: &str,
        new: &NewInvitation,
        locale: Locale,
    ) -> Outcome<()> {
        let mailer = self.mailer.as_ref().ok_or(Error::NotConfigured("SMTP"))?;
        let now = self.clock.now();
        let mut tx = self.db.pool().begin().await?;
        let org = or_refuse!(access::check(&mut tx, caller, slug, Permission::ManageMembers, true).await?);
        if new.role == Role::Owner && !org.role.allows(Permission::ManageOwners) {
            return Ok(Err(Refusal::Forbidden));
        }
        let (already,): (bool,) = sqlx::query_as(
            "SELECT EXISTS (SELECT 1 FROM memberships WHERE organization_id = $1 AND lower(email) = $2)",
        )
        .bind(org.id)
        .bind(new.email.as_str())
        .fetch_one(&mut *tx)
        .await?;
        if already {
            return Ok(Err(Refusal::AlreadyMember));
        }
        let replaced: Vec<(String,)> = sqlx::query_as(
            "UPDATE invitations SET revoked_at = $3
              WHERE organization_id = $1 AND lower(email) = $2 AND accepted_at IS NULL AND revoked_at IS NULL
              RETURNING role",
        )
        .bind(org.id)
        .bind(new.email.as_str())
        .bind(now)
        .fetch_all(&mut *tx)
        .await?;
        let replaced: Vec<Role> = replaced
            .iter()
            .map(|(role,)| stored_role(role))
            .collect::<Result<_>>()?;
        // Only an owner may replace an invitation to become owner (rolled back).
        if replaced.contains(&Role::Owner) && !org.role.allows(Permission::ManageOwners) {
            return Ok(Err(Refusal::Forbidden));
        }
        or_refuse!(seats_allow(&mut tx, org.id, now, &[new.role], &replaced).await?);

        let token = new_token()?;
        let expires_at = now + INVITATION_LIFETIME;
        sqlx::query(
            "INSERT INTO invitations (id, organization_id, email, role, token_sha256, invited_by, invited_by_email,
                                      created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(Uuid::new_v4())
        .bind(org.id)
        .bind(new.email.as_str())
        .bind(new.role.as_str())
        .bind(token_hash(&token))
        .bind(org.caller_id)
        .bind(&caller.email)
        .bind(now)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
        audit::record(
            &mut tx,
            caller,
            now,
            AuditEvent {
                organization_id: Some(org.id),
                action: "invitation.create",
                target: format!("invitation:{}", new.email),
                before: None,
                after: Some(json!({ "email": new.email.as_str(), "role": new.role.as_str(), "expires_at": day(expires_at) })),
            },
        )
        .await?;
        let link = format!("{}/invitations/{token}", self.public_url());
        let letter = InvitationLetter {
            organization: &org.name,
            inviter: &caller.email,
            role: new.role,
            link: &link,
            expires_on: &day(expires_at),
        }
        .letter(locale);
        // Sent before the commit: an invitation nobody received is not kept.
        mailer.send(new.email.as_str(), &letter).await?;
        self.commit_page_change(tx, PageChange::Organization(org.id))
            .await?;
        Ok(Ok(()))
    }

    /// Withdraws an open invitation.
    pub async fn revoke_invitation(&self, caller: &Caller, slug: &str, invitation: Uuid) -> Outcome<()> {
        let now = self.clock.now();
        let mut tx = self.db.pool().begin().await?;
        let org = or_refuse!(access::check(&mut tx, caller, slug, Permission::ManageMembers, true).await?);
        let revoked: Option<(String, String)> = sqlx::query_as(
            "UPDATE invitations SET revoked_at = $3
              WHERE id = $1 AND organization_id = $2 AND accepted_at IS NULL AND revoked_at IS NULL
              RETURNING email, role",
        )
        .bind(invitation)
        .bind(org.id)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((email, role)) = revoked else {
            return Ok(Err(Refusal::NotFound));
        };
        // Only an owner may withdraw an invitation to become owner (rolled back).
        if role == Role::Owner.as_str() && !org.role.allows(Permission::ManageOwners) {
            return Ok(Err(Refusal::Forbidden));
        }
        self.commit_with(
            tx,
            caller,
            now,
            AuditEvent {
                organization_id: Some(org.id),
                action: "invitation.revoke",
                target: format!("invitation:{email}"),
                before: Some(json!({ "email": email, "role": role })),
                after: None,
            },
        )
        .await?;
        Ok(Ok(()))
    }

    /// What the invitation link shows; `None` when it is unknown, used,
    /// revoked or expired (one answer for all, so links cannot be probed).
    pub async fn invitation_preview(
        &self,
        token: &str,
        viewer: Option<&Caller>,
    ) -> Result<Option<InvitationPreview>> {
        let found: Option<(String, String, String, String, String)> = sqlx::query_as(
            "SELECT o.name, o.slug, i.role, i.email, i.invited_by_email
               FROM invitations i JOIN organizations o ON o.id = i.organization_id
              WHERE i.token_sha256 = $1 AND i.accepted_at IS NULL AND i.revoked_at IS NULL
                AND i.expires_at > $2 AND o.state <> 'closed'",
        )
        .bind(token_hash(token))
        .bind(self.clock.now())
        .fetch_optional(self.db.pool())
        .await?;
        found
            .map(
                |(organization_name, organization_slug, role, email, invited_by)| {
                    Ok(InvitationPreview {
                        organization_name,
                        organization_slug,
                        role: stored_role(&role)?,
                        email,
                        invited_by,
                        signed_in_as: viewer.map(|v| v.email.clone()),
                    })
                },
            )
            .transpose()
    }

    /// Joins the organization the invitation `token` is for, as the signed-in
    /// `caller` whose address it was sent to. Returns the organization's slug.
    pub async fn accept_invitation(&self, caller: &Caller, token: &str) -> Outcome<String> {
        let now = self.clock.now();
        let identity = identity_uuid(caller)?;
        let mut tx = self.db.pool().begin().await?;
        let found: Option<(Uuid, Uuid, String, String, String)> = sqlx::query_as(
            "SELECT i.id, o.id, o.slug, i.email, i.role
               FROM invitations i JOIN organizations o ON o.id = i.organization_id
              WHERE i.token_sha256 = $1 AND i.accepted_at IS NULL AND i.revoked_at IS NULL
                AND i.expires_at > $2 AND o.state <> 'closed'
              FOR UPDATE OF o, i",
        )
        .bind(token_hash(token))
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((invitation, organization, slug, email, role)) = found else {
            return Ok(Err(Refusal::InvitationGone));
        };
        if !email.eq_ignore_ascii_case(&caller.email) {
            return Ok(Err(Refusal::WrongAccount));
        }
        // The invitation went to this address; only its proven owner joins.
        // The invitation stays open meanwhile.
        or_refuse!(crate::tenancy::limits::verified_address(caller));
        if membership(&mut tx, organization, identity).await?.is_some() {
            return Ok(Err(Refusal::AlreadyMember));
        }
        // The open invitation already holds its seat: joining moves it to a member.
        let role = stored_role(&role)?;
        or_refuse!(seats_allow(&mut tx, organization, now, &[role], &[role]).await?);
        sqlx::query("UPDATE invitations SET accepted_at = $2, accepted_by = $3 WHERE id = $1")
            .bind(invitation)
            .bind(now)
            .bind(identity)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO memberships (organization_id, identity_id, email, role, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(organization)
        .bind(identity)
        .bind(&caller.email)
        .bind(role.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        self.commit_with(
            tx,
            caller,
            now,
            AuditEvent {
                organization_id: Some(organization),
                action: "membership.join",
                target: format!("member:{}", caller.email),
                before: None,
                after: Some(json!({ "email": caller.email, "role": role.as_str() })),
            },
        )
        .await?;
        Ok(Ok(slug))
    }

    /// Gives `member` the role `role`. Only owners grant or take away the
    /// owner role, and the last owner keeps it.
    pub async fn change_member_role(
        &self,
        caller: &Caller,
        slug: &str,
        member: Uuid,
        role: Role,
    ) -> Outcome<()> {
        let now = self.clock.now();
        let mut tx = self.db.pool().begin().await?;
        let org = or_refuse!(access::check(&mut tx, caller, slug, Permission::ManageMembers, true).await?);
        let Some((email, current)) = membership(&mut tx, org.id, member).await? else {
            return Ok(Err(Refusal::NotFound));
        };
        if current == role {
            return Ok(Ok(()));
        }
        if (current == Role::Owner || role == Role::Owner) && !org.role.allows(Permission::ManageOwners) {
            return Ok(Err(Refusal::Forbidden));
        }
        if current == Role::Owner && owner_count(&mut tx, org.id).await? <= 1 {
            return Ok(Err(Refusal::LastOwner));
        }
        or_refuse!(seats_allow(&mut tx, org.id, now, &[role], &[current]).await?);
        sqlx::query("UPDATE memberships SET role = $3 WHERE organization_id = $1 AND identity_id = $2")
            .bind(org.id)
            .bind(member)
            .bind(role.as_str())
            .execute(&mut *tx)
            .await?;
        self.commit_with(
            tx,
            caller,
            now,
            AuditEvent {
                organization_id: Some(org.id),
                action: "membership.role_change",
                target: format!("member:{email}"),
                before: Some(json!({ "role": current.as_str() })),
                after: Some(json!({ "role": role.as_str() })),
            },
        )
        .await?;
        Ok(Ok(()))
    }

    /// Removes `member` from the organization; anyone may leave it
    /// themselves, except its last owner.
    pub async fn remove_member(&self, caller: &Caller, slug: &str, member: Uuid) -> Outcome<()> {
        let now = self.clock.now();
        let leaving = identity_uuid(caller)? == member;
        let needed = if leaving {
            Permission::View
        } else {
            Permission::ManageMembers
        };
        let mut tx = self.db.pool().begin().await?;
        let org = or_refuse!(access::check(&mut tx, caller, slug, needed, true).await?);
        let Some((email, current)) = membership(&mut tx, org.id, member).await? else {
            return Ok(Err(Refusal::NotFound));
        };
        if current == Role::Owner && !leaving && !org.role.allows(Permission::ManageOwners) {
            return Ok(Err(Refusal::Forbidden));
        }
        if current == Role::Owner && owner_count(&mut tx, org.id).await? <= 1 {
            return Ok(Err(Refusal::LastOwner));
        }
        sqlx::query("DELETE FROM memberships WHERE organization_id = $1 AND identity_id = $2")
            .bind(org.id)
            .bind(member)
            .execute(&mut *tx)
            .await?;
        self.commit_with(
            tx,
            caller,
            now,
            AuditEvent {
                organization_id: Some(org.id),
                action: if leaving {
                    "membership.leave"
                } else {
                    "membership.remove"
                },
                target: format!("member:{email}"),
                before: Some(json!({ "email": email, "role": current.as_str() })),
                after: None,
            },
        )
        .await?;
        Ok(Ok(()))
    }
}
