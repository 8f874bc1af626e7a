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
    domain::{
        AuditAction, InvitationPreview, Locale, Member, NewInvitation, NoticeKind, Permission, Refusal, Role,
    },
    infra::format::day,
    infra::mail::InvitationLetter,
    jobs::notices::{queue_notice, Notice},
    or_refuse,
    tenancy::{
        access::{self, identity_uuid, Need},
        quotas::{check_seats, live_subscriptions, seat_holders},
    },
    Caller, Control, Error, Outcome, PageChange, Result,
};

/// How long an invitation link works.
pub const INVITATION_LIFETIME: Duration = Duration::days(7);

pub(crate) fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

pub(crate) fn new_token() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).map_err(|e| Error::Backend {
        backend: "os",
        detail: format!("no randomness: {e}"),
    })?;
    Ok(hex::encode(bytes))
}

/// How an invitation's letter goes: sent already with this token's hash,
/// or by the engine's job, in this language.
pub(crate) enum Letter {
    Sent(Vec<u8>),
    Queued { job: Uuid, locale: Locale },
}

/// An invitation to write.
pub(crate) struct NewInvitationRow<'a> {
    pub email: &'a str,
    pub role: Role,
    pub letter: Letter,
    /// The courses its learner is put in on joining.
    pub courses: &'a [i64],
}

/// Writes an invitation and its audit event, expiring in
/// [`INVITATION_LIFETIME`].
pub(crate) async fn write_invitation(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    caller: &Caller,
    org: &access::OrgAccess,
    invitation: &NewInvitationRow<'_>,
    now: OffsetDateTime,
) -> Result<()> {
    let expires_at = now + INVITATION_LIFETIME;
    let (token_sha256, letter_job, locale) = match &invitation.letter {
        Letter::Sent(hash) => (Some(hash.as_slice()), None, None),
        Letter::Queued { job, locale } => (None, Some(*job), Some(locale.tag())),
    };
    sqlx::query!(
        "INSERT INTO invitations (id, organization_id, email, role, token_sha256, invited_by, invited_by_email,
                                  created_at, expires_at, letter_job, locale, courses)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        Uuid::new_v4(),
        org.id,
        invitation.email,
        invitation.role as Role,
        token_sha256,
        org.caller_id,
        caller.email,
        now,
        expires_at,
        letter_job,
        locale,
        invitation.courses,
    )
    .execute(&mut **tx)
    .await?;
    let mut after =
        json!({ "email": invitation.email, "role": invitation.role.as_str(), "expires_at": day(expires_at) });
    if !invitation.courses.is_empty() {
        after["courses"] = json!(invitation.courses);
    }
    audit::record(
        tx,
        caller,
        now,
        AuditEvent::new(
            Some(org.id),
            AuditAction::InvitationCreate,
            format!("invitation:{}", invitation.email),
        )
        .after(after),
    )
    .await
}

async fn owner_count(conn: &mut PgConnection, organization: Uuid) -> Result<i64> {
    let count = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM memberships WHERE organization_id = $1 AND role = $2"#,
        organization,
        Role::Owner as Role,
    )
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
    let row = sqlx::query!(
        r#"SELECT email, role AS "role: Role" FROM memberships WHERE organization_id = $1 AND identity_id = $2"#,
        organization,
        identity,
    )
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|row| (row.email, row.role)))
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
        // Asked before the organization is locked: Kratos is another server.
        let inviter = self.known_as(caller).await;
        let now = self.clock.now();
        let (mut tx, org) = or_refuse!(self.begin_change(caller, slug, Permission::ManageMembers).await?);
        if new.role == Role::Owner && !org.role.allows(Permission::ManageOwners) {
            return Ok(Err(Refusal::Forbidden));
        }
        let already = sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM memberships WHERE organization_id = $1 AND lower(email) = $2) AS "already!""#,
            org.id,
            new.email.as_str(),
        )
        .fetch_one(&mut *tx)
        .await?;
        if already {
            return Ok(Err(Refusal::AlreadyMember));
        }
        let replaced = sqlx::query_scalar!(
            r#"UPDATE invitations SET revoked_at = $3
                WHERE organization_id = $1 AND lower(email) = $2 AND accepted_at IS NULL AND revoked_at IS NULL
                RETURNING role AS "role: Role""#,
            org.id,
            new.email.as_str(),
            now,
        )
        .fetch_all(&mut *tx)
        .await?;
        // Only an owner may replace an invitation to become owner (rolled back).
        if replaced.contains(&Role::Owner) && !org.role.allows(Permission::ManageOwners) {
            return Ok(Err(Refusal::Forbidden));
        }
        or_refuse!(seats_allow(&mut tx, org.id, now, &[new.role], &replaced).await?);

        let token = new_token()?;
        let expires_at = now + INVITATION_LIFETIME;
        let invitation = NewInvitationRow {
            email: new.email.as_str(),
            role: new.role,
            letter: Letter::Sent(token_hash(&token)),
            courses: &[],
        };
        write_invitation(&mut tx, caller, &org, &invitation, now).await?;
        let link = format!("{}/invitations/{token}", self.public_url());
        let letter = InvitationLetter {
            organization: &org.name,
            inviter: &inviter,
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

    /// The organization's members, owners first, for those who see them.
    pub async fn organization_members(&self, caller: &Caller, slug: &str) -> Outcome<Vec<Member>> {
        let mut conn = self.db.pool().acquire().await?;
        let org =
            or_refuse!(access::check(&mut conn, caller, slug, Need::read(Permission::SeeMembers)).await?);
        let rows = sqlx::query!(
            r#"SELECT identity_id, email, role AS "role: Role" FROM memberships WHERE organization_id = $1
                ORDER BY CASE role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 WHEN 'member' THEN 2 ELSE 3 END,
                         email, identity_id"#,
            org.id,
        )
        .fetch_all(&mut *conn)
        .await?;
        Ok(Ok(rows
            .into_iter()
            .map(|row| Member {
                identity_id: row.identity_id.to_string(),
                email: row.email,
                role: row.role,
            })
            .collect()))
    }

    /// Withdraws an open invitation.
    pub async fn revoke_invitation(&self, caller: &Caller, slug: &str, invitation: Uuid) -> Outcome<()> {
        let now = self.clock.now();
        let (mut tx, org) = or_refuse!(self.begin_change(caller, slug, Permission::ManageMembers).await?);
        let revoked = sqlx::query!(
            r#"UPDATE invitations SET revoked_at = $3
                WHERE id = $1 AND organization_id = $2 AND accepted_at IS NULL AND revoked_at IS NULL
                RETURNING email, role AS "role: Role""#,
            invitation,
            org.id,
            now,
        )
        .fetch_optional(&mut *tx)
        .await?;
        let Some(revoked) = revoked else {
            return Ok(Err(Refusal::NotFound));
        };
        let (email, role) = (revoked.email, revoked.role);
        // Only an owner may withdraw an invitation to become owner (rolled back).
        if role == Role::Owner && !org.role.allows(Permission::ManageOwners) {
            return Ok(Err(Refusal::Forbidden));
        }
        let event = AuditEvent::new(
            Some(org.id),
            AuditAction::InvitationRevoke,
            format!("invitation:{email}"),
        )
        .before(json!({ "email": email, "role": role.as_str() }));
        self.commit_change(tx, caller, now, event).await
    }

    /// What the invitation link shows; `None` when it is unknown, used,
    /// revoked or expired (one answer for all, so links cannot be probed).
    pub async fn invitation_preview(
        &self,
        token: &str,
        viewer: Option<&Caller>,
    ) -> Result<Option<InvitationPreview>> {
        let found = sqlx::query!(
            r#"SELECT o.name, o.slug, i.role AS "role: Role", i.email, i.invited_by_email
                 FROM invitations i JOIN organizations o ON o.id = i.organization_id
                WHERE i.token_sha256 = $1 AND i.accepted_at IS NULL AND i.revoked_at IS NULL
                  AND i.expires_at > $2 AND o.state <> 'closed'"#,
            token_hash(token),
            self.clock.now(),
        )
        .fetch_optional(self.db.pool())
        .await?;
        Ok(found.map(|row| InvitationPreview {
            organization_name: row.name,
            organization_slug: row.slug,
            role: row.role,
            email: row.email,
            invited_by: row.invited_by_email,
            signed_in_as: viewer.map(|v| v.email.clone()),
        }))
    }

    /// Joins the organization the invitation `token` is for, as the signed-in
    /// `caller` whose address it was sent to. Returns the organization's slug.
    pub async fn accept_invitation(&self, caller: &Caller, token: &str) -> Outcome<String> {
        // Joining is a person's act, in their browser, never a token's.
        if caller.token.is_some() {
            return Ok(Err(Refusal::Forbidden));
        }
        let now = self.clock.now();
        let identity = identity_uuid(caller)?;
        let mut tx = self.db.pool().begin().await?;
        let found = sqlx::query!(
            r#"SELECT i.id AS invitation, o.id AS organization, o.slug, i.email, i.role AS "role: Role", i.courses
                 FROM invitations i JOIN organizations o ON o.id = i.organization_id
                WHERE i.token_sha256 = $1 AND i.accepted_at IS NULL AND i.revoked_at IS NULL
                  AND i.expires_at > $2 AND o.state <> 'closed'
                FOR UPDATE OF o, i"#,
            token_hash(token),
            now,
        )
        .fetch_optional(&mut *tx)
        .await?;
        let Some(found) = found else {
            return Ok(Err(Refusal::InvitationGone));
        };
        let (invitation, organization, slug, email, role, courses) = (
            found.invitation,
            found.organization,
            found.slug,
            found.email,
            found.role,
            found.courses,
        );
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
        or_refuse!(seats_allow(&mut tx, organization, now, &[role], &[role]).await?);
        sqlx::query!(
            "UPDATE invitations SET accepted_at = $2, accepted_by = $3 WHERE id = $1",
            invitation,
            now,
            identity,
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query!(
            "INSERT INTO memberships (organization_id, identity_id, email, role, created_at) VALUES ($1, $2, $3, $4, $5)",
            organization,
            identity,
            caller.email,
            role as Role,
            now,
        )
        .execute(&mut *tx)
        .await?;
        // The courses a trainer's file put them in (those still in Odoo):
        // the engine enrols them with their user.
        sqlx::query!(
            "INSERT INTO course_assignments (subscription_id, course_id, organization_id, identity_id, assigned_at)
             SELECT c.subscription_id, c.odoo_id, $1, $2, $3
               FROM courses c JOIN subscriptions s ON s.id = c.subscription_id
              WHERE s.organization_id = $1 AND s.state <> 'closed' AND c.odoo_id = ANY($4)
             ON CONFLICT DO NOTHING",
            organization,
            identity,
            now,
            &courses,
        )
        .execute(&mut *tx)
        .await?;
        let event = AuditEvent::new(
            Some(organization),
            AuditAction::MembershipJoin,
            format!("member:{}", caller.email),
        )
        .after(json!({ "email": caller.email, "role": role.as_str() }));
        let notice = Notice {
            kind: NoticeKind::MemberJoined,
            organization,
            details: json!({ "member": caller.email, "role": role.as_str() }),
            except: Some(identity),
        };
        queue_notice(&mut tx, notice, now).await?;
        self.commit_with(tx, caller, now, event).await?;
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
        let (mut tx, org) = or_refuse!(self.begin_change(caller, slug, Permission::ManageMembers).await?);
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
        sqlx::query!(
            "UPDATE memberships SET role = $3 WHERE organization_id = $1 AND identity_id = $2",
            org.id,
            member,
            role as Role,
        )
        .execute(&mut *tx)
        .await?;
        let event = AuditEvent::new(
            Some(org.id),
            AuditAction::MembershipRoleChange,
            format!("member:{email}"),
        )
        .before(json!({ "role": current.as_str() }))
        .after(json!({ "role": role.as_str() }));
        self.commit_change(tx, caller, now, event).await
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
        let org = or_refuse!(access::check(&mut tx, caller, slug, Need::write(needed).locked()).await?);
        let Some((email, current)) = membership(&mut tx, org.id, member).await? else {
            return Ok(Err(Refusal::NotFound));
        };
        if current == Role::Owner && !leaving && !org.role.allows(Permission::ManageOwners) {
            return Ok(Err(Refusal::Forbidden));
        }
        if current == Role::Owner && owner_count(&mut tx, org.id).await? <= 1 {
            return Ok(Err(Refusal::LastOwner));
        }
        sqlx::query!(
            "DELETE FROM memberships WHERE organization_id = $1 AND identity_id = $2",
            org.id,
            member,
        )
        .execute(&mut *tx)
        .await?;
        let action = if leaving {
            AuditAction::MembershipLeave
        } else {
            AuditAction::MembershipRemove
        };
        let event = AuditEvent::new(Some(org.id), action, format!("member:{email}"))
            .before(json!({ "email": email, "role": current.as_str() }));
        self.commit_change(tx, caller, now, event).await
    }
}

impl Control {
    /// How a person's mail names them: "Marie Curie (marie@acme.example)",
    /// or their address alone when Kratos has no name for them (or cannot
    /// be asked: the invitation goes out anyway).
    async fn known_as(&self, caller: &Caller) -> String {
        let name = match self.kratos() {
            Ok(kratos) => match kratos.id_token_claims(&caller.identity_id).await {
                Ok(claims) => claims.name,
                Err(error) => {
                    tracing::warn!(%error, "cannot read an inviter's name");
                    None
                }
            },
            Err(_) => None,
        };
        match name {
            Some(name) => format!("{name} ({})", caller.email),
            None => caller.email.clone(),
        }
    }
}
