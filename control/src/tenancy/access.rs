//! The door every organization operation goes through: who the caller is in
//! the organization, and whether their role allows what they ask. A caller
//! who is not a member gets [`Refusal::NotFound`] (the organization does not
//! exist for them); a member whose role does not allow it gets
//! [`Refusal::Forbidden`].

use sqlx::PgConnection;
use uuid::Uuid;

use crate::{
    domain::{OrganizationState, Permission, Refusal, Role},
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
    let found = if lock {
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
