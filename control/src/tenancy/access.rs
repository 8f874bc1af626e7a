//! The door every organization operation goes through: who the caller is in
//! the organization, and whether their role allows what they ask. A caller
//! who is not a member gets [`Refusal::NotFound`] (the organization does not
//! exist for them); a member whose role does not allow it gets
//! [`Refusal::Forbidden`].
//!
//! An API token goes through the same door: an organization's API client is
//! a member of that organization only, with the role it was given, and any
//! token also needs the scope of what it asks ([`Need`], `domain::scopes`):
//! without it, [`Refusal::Forbidden`].

use sqlx::PgConnection;
use uuid::Uuid;

use crate::{
    domain::{Access, OrganizationState, Permission, Refusal, Role},
    Caller, Error, Result,
};

/// The caller's standing in one organization.
#[derive(Debug, Clone)]
pub(crate) struct OrgAccess {
    pub id: Uuid,
    pub name: String,
    pub state: OrganizationState,
    pub role: Role,
    pub caller_id: Uuid,
}

struct AccessRow {
    id: Uuid,
    name: String,
    state: OrganizationState,
    role: Role,
}

pub(crate) fn identity_uuid(caller: &Caller) -> Result<Uuid> {
    uuid_of_identity(&caller.identity_id)
}

/// A Kratos identity id as the database keys it (Kratos' ids are UUIDs).
pub(crate) fn uuid_of_identity(identity_id: &str) -> Result<Uuid> {
    Uuid::parse_str(identity_id).map_err(|_| Error::Backend {
        backend: "kratos",
        detail: format!("identity id {identity_id:?} is not a UUID"),
    })
}

/// What an operation needs of its caller in an organization.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Need {
    permission: Permission,
    access: Access,
    lock: bool,
}

impl Need {
    /// To read what `permission` covers.
    pub(crate) fn read(permission: Permission) -> Self {
        Self {
            permission,
            access: Access::Read,
            lock: false,
        }
    }

    /// To change it (a token needs the family's `write` scope).
    pub(crate) fn write(permission: Permission) -> Self {
        Self {
            permission,
            access: Access::Write,
            lock: false,
        }
    }

    /// With the organization's row locked until the transaction ends, so
    /// that concurrent changes to one organization (its last owner, its
    /// seats) happen one after the other.
    pub(crate) fn locked(self) -> Self {
        Self { lock: true, ..self }
    }
}

/// The caller's access to the organization `slug` for what `need` says.
pub(crate) async fn check(
    conn: &mut PgConnection,
    caller: &Caller,
    slug: &str,
    need: Need,
) -> Result<Result<OrgAccess, Refusal>> {
    let Need {
        permission,
        access,
        lock,
    } = need;
    let caller_id = identity_uuid(caller)?;
    let found = if let Some(client) = caller.client() {
        client_access(conn, client, slug, lock).await?
    } else if lock {
        sqlx::query_as!(
            AccessRow,
            r#"SELECT o.id, o.name, o.state AS "state: OrganizationState", m.role AS "role: Role"
                 FROM organizations o JOIN memberships m ON m.organization_id = o.id
                WHERE o.slug = $1 AND m.identity_id = $2 AND o.state <> 'closed'
                FOR UPDATE OF o"#,
            slug,
            caller_id,
        )
        .fetch_optional(&mut *conn)
        .await?
    } else {
        sqlx::query_as!(
            AccessRow,
            r#"SELECT o.id, o.name, o.state AS "state: OrganizationState", m.role AS "role: Role"
                 FROM organizations o JOIN memberships m ON m.organization_id = o.id
                WHERE o.slug = $1 AND m.identity_id = $2 AND o.state <> 'closed'"#,
            slug,
            caller_id,
        )
        .fetch_optional(&mut *conn)
        .await?
    };
    let Some(AccessRow {
        id,
        name,
        state,
        role,
    }) = found
    else {
        return Ok(Err(Refusal::NotFound));
    };
    if !role.allows(permission) || !caller.token_allows(permission, access) {
        return Ok(Err(Refusal::Forbidden));
    }
    Ok(Ok(OrgAccess {
        id,
        name,
        state,
        role,
        caller_id,
    }))
}

/// An API client's standing: in its own organization only, with its role.
async fn client_access(
    conn: &mut PgConnection,
    client: &crate::ClientGrant,
    slug: &str,
    lock: bool,
) -> Result<Option<AccessRow>> {
    let found = if lock {
        sqlx::query!(
            r#"SELECT id, name, state AS "state: OrganizationState" FROM organizations
                WHERE slug = $1 AND id = $2 AND state <> 'closed' FOR UPDATE"#,
            slug,
            client.organization_id,
        )
        .fetch_optional(&mut *conn)
        .await?
        .map(|row| (row.id, row.name, row.state))
    } else {
        sqlx::query!(
            r#"SELECT id, name, state AS "state: OrganizationState" FROM organizations
                WHERE slug = $1 AND id = $2 AND state <> 'closed'"#,
            slug,
            client.organization_id,
        )
        .fetch_optional(&mut *conn)
        .await?
        .map(|row| (row.id, row.name, row.state))
    };
    Ok(found.map(|(id, name, state)| AccessRow {
        id,
        name,
        state,
        role: client.role,
    }))
}

impl crate::Control {
    /// The start of a change to the organization `slug`: a transaction in
    /// which its row is locked, and the caller's access, with `permission`
    /// to change what it covers (see [`Need`]).
    pub(crate) async fn begin_change(
        &self,
        caller: &Caller,
        slug: &str,
        permission: Permission,
    ) -> Result<Result<(sqlx::Transaction<'static, sqlx::Postgres>, OrgAccess), Refusal>> {
        let mut tx = self.db.pool().begin().await?;
        let need = Need::write(permission).locked();
        Ok(check(&mut tx, caller, slug, need).await?.map(|org| (tx, org)))
    }
}
