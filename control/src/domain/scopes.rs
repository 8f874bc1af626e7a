//! What an API token may do: OAuth2 scopes, read or write per family of
//! resources (`subscriptions:write`), and `admin` for the platform admins'
//! operations. A token is limited by both its scopes and the role it acts
//! with; a person in the portal by their role alone.
//!
//! The rule is stated once, in [`Scopes::allows`]: a family's `write`
//! includes its `read`, and an operation needs the scope of the family its
//! permission belongs to ([`Permission::family`]), `write` when it changes
//! something.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::Permission;

/// A family of resources a scope covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    /// The organization itself: its page, its state.
    Organizations,
    /// Members and invitations.
    Members,
    /// Subscriptions, their plans and jobs.
    Subscriptions,
    /// Devices, their credentials and telemetry.
    Devices,
    /// The organization's audit trail.
    Audit,
}

impl Family {
    pub const ALL: [Family; 5] = [
        Family::Organizations,
        Family::Members,
        Family::Subscriptions,
        Family::Devices,
        Family::Audit,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Family::Organizations => "organizations",
            Family::Members => "members",
            Family::Subscriptions => "subscriptions",
            Family::Devices => "devices",
            Family::Audit => "audit",
        }
    }

    /// Whether writing means anything for the family (the audit trail is
    /// only read).
    pub fn writable(self) -> bool {
        self != Family::Audit
    }
}

/// Reading or changing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    Read,
    Write,
}

/// One OAuth2 scope Bibind's API knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Scope {
    /// `family:read` or `family:write`.
    Resource(Family, Access),
    /// The platform admins' operations (tenants, plans, jobs), for a token
    /// whose person is a platform admin.
    Admin,
}

impl Scope {
    /// Every scope, in the order lists show them.
    pub fn all() -> Vec<Scope> {
        let mut all = Vec::new();
        for family in Family::ALL {
            all.push(Scope::Resource(family, Access::Read));
            if family.writable() {
                all.push(Scope::Resource(family, Access::Write));
            }
        }
        all.push(Scope::Admin);
        all
    }

    /// The scope named `name` (`members:read`), if Bibind knows it.
    pub fn parse(name: &str) -> Option<Scope> {
        Scope::all().into_iter().find(|scope| scope.to_string() == name)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Resource(family, Access::Read) => write!(f, "{}:read", family.as_str()),
            Scope::Resource(family, Access::Write) => write!(f, "{}:write", family.as_str()),
            Scope::Admin => f.write_str("admin"),
        }
    }
}

/// The scopes a token was granted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scopes(BTreeSet<Scope>);

impl Scopes {
    /// The scopes Bibind knows in an OAuth2 `scope` string (space-separated);
    /// the others (`openid`, `offline_access`) grant nothing here.
    pub fn from_oauth(scope: &str) -> Scopes {
        Scopes(scope.split_whitespace().filter_map(Scope::parse).collect())
    }

    pub fn from_list(scopes: impl IntoIterator<Item = Scope>) -> Scopes {
        Scopes(scopes.into_iter().collect())
    }

    /// The OAuth2 `scope` string.
    pub fn to_oauth(&self) -> String {
        self.names().join(" ")
    }

    pub fn names(&self) -> Vec<String> {
        self.0.iter().map(Scope::to_string).collect()
    }

    pub fn contains(&self, scope: Scope) -> bool {
        self.0.contains(&scope)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = Scope> + '_ {
        self.0.iter().copied()
    }

    /// Whether these scopes let a token `access` the family of `permission`.
    pub fn allows(&self, permission: Permission, access: Access) -> bool {
        let family = permission.family();
        match access {
            Access::Read => {
                self.contains(Scope::Resource(family, Access::Read))
                    || self.contains(Scope::Resource(family, Access::Write))
            }
            Access::Write => self.contains(Scope::Resource(family, Access::Write)),
        }
    }
}

impl Permission {
    /// The family of resources the permission is about.
    pub fn family(self) -> Family {
        match self {
            Permission::View | Permission::ReadStateReasons => Family::Organizations,
            Permission::SeeMembers | Permission::ManageMembers | Permission::ManageOwners => Family::Members,
            Permission::ManageSubscriptions | Permission::OpenBackOffice | Permission::ManageBackups => {
                Family::Subscriptions
            }
            Permission::UseServices => Family::Devices,
            Permission::ReadAudit => Family::Audit,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scope_reads_back_as_itself() {
        for scope in Scope::all() {
            assert_eq!(Scope::parse(&scope.to_string()), Some(scope));
        }
        assert_eq!(Scope::parse("audit:write"), None, "the audit trail is only read");
        assert_eq!(Scope::parse("openid"), None);
    }

    #[test]
    fn write_includes_read_but_not_the_other_way() {
        let write = Scopes::from_oauth("openid subscriptions:write");
        assert!(write.allows(Permission::ManageSubscriptions, Access::Read));
        assert!(write.allows(Permission::ManageSubscriptions, Access::Write));
        assert!(!write.allows(Permission::View, Access::Read), "another family");
        let read = Scopes::from_oauth("subscriptions:read");
        assert!(read.allows(Permission::ManageSubscriptions, Access::Read));
        assert!(!read.allows(Permission::ManageSubscriptions, Access::Write));
    }

    #[test]
    fn the_oauth_string_keeps_only_known_scopes_in_order() {
        let scopes = Scopes::from_oauth("members:read offline_access admin organizations:read");
        assert_eq!(scopes.to_oauth(), "organizations:read members:read admin");
    }
}
