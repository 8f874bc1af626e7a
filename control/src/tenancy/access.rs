//! The door every organization operation goes through: who the caller is in
//! the organization, and whether their role allows what they ask. A caller
//! who is not a member gets [`Refusal::NotFound`] (the organization does not
//! exist for them); a member whose role does not allow it gets
//! [`Refusal::Forbidden`].

use sqlx::PgConnection;
use uuid::Uuid;

use crate::{
    domain::{Permission, Refusal, Role},
    Caller, Error, Result,
};

/// The caller's standing in one organization.
#[derive(Debug, Clone)]
pub(crate) struct OrgAccess {
    pub id: Uuid,
    pub name: String,
    pub state: String,
    pub role: Role,
    pub caller_id: Uuid,
}

pub(crate) fn identity_uuid(caller: &Caller) -> Result<Uuid> {
    Uuid::parse_str(&caller.identity_id).map_err(|_| Error::Backend {
        backend: "kratos",
        detail: format!("identity id {:?} is not a UUID", caller.identity_id),
    })
}

pub(crate) fn stored_role(raw: &str) -> Result<Role> {
    Role::parse(raw).ok_or_else(|| Error::InvalidStoredData {
        table: "memberships",
        detail: format!("unknown role {raw:?}"),
    })
}

/// The caller's access to the organization `slug` for `permission`. With
/// `lock`, the organization's row is locked until the transaction ends, so
/// that concurrent changes to one organization (its last owner, its seats)
/// happen one after the other.
pub(crate) async fn check(
    conn: &mut PgConnection,
    caller: &Caller,
    slug: &str,
    permission: Permission,
    lock: bool,
) -> Result<Result<OrgAccess, Refusal>> {
    let caller_id = identity_uuid(caller)?;
    let sql = if lock {
        "SELECT o.id, o.name, o.state, m.role
           FROM organizations o JOIN memberships m ON m.organization_id = o.id
          WHERE o.slug = $1 AND m.identity_id = $2 AND o.state <> 'closed'
          FOR UPDATE OF o"
    } else {
        "SELECT o.id, o.name, o.state, m.role
           FROM organizations o JOIN memberships m ON m.organization_id = o.id
          WHERE o.slug = $1 AND m.identity_id = $2 AND o.state <> 'closed'"
    };
    let found: Option<(Uuid, String, String, String)> = sqlx::query_as(sql)
        .bind(slug)
        .bind(caller_id)
        .fetch_optional(&mut *conn)
        .await?;
    let Some((id, name, state, role)) = found else {
        return Ok(Err(Refusal::NotFound));
    };
    let role = stored_role(&role)?;
    if !role.allows(permission) {
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
