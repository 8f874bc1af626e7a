//! Who calls an operation of the control plane.

use std::net::IpAddr;

use uuid::Uuid;

use crate::domain::{Access, Permission, Role, Scopes};

/// Who is asking, and from where: every operation that changes something
/// takes one, and its audit event records it.
#[derive(Debug, Clone, PartialEq)]
pub struct Caller {
    /// The Kratos identity id; an API client's own id for a client.
    pub identity_id: String,
    /// The address the identity had when it asked (kept in the audit
    /// trail); for an API client, its name.
    pub email: String,
    /// Whether Kratos held `email` as verified then.
    pub email_verified: bool,
    pub request_id: Option<String>,
    pub ip: Option<IpAddr>,
    /// What the API token the request carried lets it do; `None` in the
    /// portal, where the person's role alone decides.
    pub token: Option<TokenGrant>,
}

/// What an API token grants: its scopes, and for an organization's API
/// client, that organization and the role it acts with there.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenGrant {
    pub scopes: Scopes,
    pub client: Option<ClientGrant>,
    /// A person's token: whether they signed in with their second factor
    /// (`aal2`), which the platform admins' operations need.
    pub second_factor: bool,
}

/// An organization's API client: it exists in that organization only, with
/// the role its creator gave it.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientGrant {
    /// The API client's own id (also the caller's `identity_id`).
    pub id: Uuid,
    pub organization_id: Uuid,
    pub role: Role,
}

impl Caller {
    /// Whether the token, if any, lets the caller `access` what `permission`
    /// covers (the role is checked apart).
    pub fn token_allows(&self, permission: Permission, access: Access) -> bool {
        self.token
            .as_ref()
            .is_none_or(|token| token.scopes.allows(permission, access))
    }

    /// The organization an API client is confined to.
    pub fn client(&self) -> Option<&ClientGrant> {
        self.token.as_ref().and_then(|token| token.client.as_ref())
    }
}

impl Caller {
    /// The control plane acting on its own (the engine, the reconciler):
    /// `system` in the audit trail, `what` saying which part.
    pub fn system(what: &str) -> Self {
        Self {
            identity_id: "system".into(),
            email: what.into(),
            email_verified: false,
            request_id: None,
            ip: None,
            token: None,
        }
    }
}
