//! An organization's API clients: machines (CI pipelines, scripts) that use
//! Bibind's REST API with OAuth2 client credentials, each with a name, the
//! role it acts with, the scopes its tokens may carry and an expiry.

use serde::{Deserialize, Serialize};

use super::{Access, FieldError, FieldProblem, Role, Scope, Scopes};

/// Longest a client's name may be.
const MAX_NAME: usize = 64;
/// Longest a client may live (days).
pub const MAX_LIFETIME_DAYS: u32 = 366;

/// What an owner or admin asks for when creating a client (parsed from the
/// form or the API's body: every field's problem reported at once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApiClient {
    pub name: String,
    pub role: Role,
    pub scopes: Scopes,
    /// Days until it stops working; `None`: until revoked.
    pub lifetime_days: Option<u32>,
}

impl NewApiClient {
    /// `scopes` are OAuth2 scope names; `lifetime_days` blank for no expiry.
    pub fn parse(
        name: &str,
        role: &str,
        scopes: &[String],
        lifetime_days: &str,
    ) -> Result<Self, Vec<FieldError>> {
        let mut problems = Vec::new();
        let name = name.trim();
        if name.is_empty() {
            problems.push(FieldError::new("name", FieldProblem::Missing));
        } else if name.chars().count() > MAX_NAME {
            problems.push(FieldError::new("name", FieldProblem::TooLong));
        } else if name.chars().any(char::is_control) {
            problems.push(FieldError::new("name", FieldProblem::BadCharacters));
        }
        // Machines act as admins or members; owning stays with people.
        let role = match role.trim() {
            "admin" => Some(Role::Admin),
            "member" => Some(Role::Member),
            _ => {
                problems.push(FieldError::new("role", FieldProblem::Unknown));
                None
            }
        };
        let mut parsed = Vec::new();
        for name in scopes.iter().flat_map(|scope| scope.split_whitespace()) {
            match Scope::parse(name) {
                // The admin scope belongs to platform admins' CLI tokens.
                Some(Scope::Admin) | None => {
                    problems.push(FieldError::new("scopes", FieldProblem::Unknown));
                    break;
                }
                Some(scope) => parsed.push(scope),
            }
        }
        if parsed.is_empty() && !problems.iter().any(|p| p.field == "scopes") {
            problems.push(FieldError::new("scopes", FieldProblem::Missing));
        }
        let lifetime = lifetime_days.trim();
        let lifetime_days = if lifetime.is_empty() {
            None
        } else {
            match lifetime.parse::<u32>() {
                Ok(days) if (1..=MAX_LIFETIME_DAYS).contains(&days) => Some(days),
                Ok(_) => {
                    problems.push(FieldError::new("lifetime_days", FieldProblem::OutOfRange));
                    None
                }
                Err(_) => {
                    problems.push(FieldError::new("lifetime_days", FieldProblem::NotANumber));
                    None
                }
            }
        };
        match role {
            Some(role) if problems.is_empty() => Ok(NewApiClient {
                name: name.to_owned(),
                role,
                scopes: Scopes::from_list(parsed),
                lifetime_days,
            }),
            _ => Err(problems),
        }
    }

    /// Whether a client with these scopes could change anything.
    pub fn writes(&self) -> bool {
        self.scopes
            .iter()
            .any(|scope| matches!(scope, Scope::Resource(_, Access::Write)))
    }
}

/// Where a client stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApiClientState {
    Active,
    Expired,
    Revoked,
}

/// A client as its organization's list shows it (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiClientView {
    pub id: String,
    /// What it sends as its OAuth2 `client_id`.
    pub client_id: String,
    pub name: String,
    pub role: Role,
    pub scopes: Vec<String>,
    pub state: ApiClientState,
    pub created_by: String,
    /// RFC 3339.
    pub created_at: String,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
}

/// A client just created, with its secret: shown this once, kept nowhere
/// by Bibind (Hydra keeps a hash).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedApiClient {
    pub client: ApiClientView,
    pub client_secret: String,
}

impl std::fmt::Debug for CreatedApiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedApiClient")
            .field("client", &self.client)
            .field("client_secret", &"<redacted>")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scopes(names: &[&str]) -> Vec<String> {
        names.iter().map(|name| (*name).to_owned()).collect()
    }

    #[test]
    fn a_well_formed_client_is_parsed() {
        let parsed = NewApiClient::parse(
            " CI ",
            "member",
            &scopes(&["subscriptions:write", "audit:read"]),
            "90",
        );
        assert_eq!(
            parsed,
            Ok(NewApiClient {
                name: "CI".into(),
                role: Role::Member,
                scopes: Scopes::from_oauth("subscriptions:write audit:read"),
                lifetime_days: Some(90),
            })
        );
        assert!(parsed.is_ok_and(|client| client.writes()));
    }

    #[test]
    fn every_field_problem_is_reported_at_once() {
        let problems = NewApiClient::parse("", "owner", &scopes(&["admin"]), "0").unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["name", "role", "scopes", "lifetime_days"]);
    }

    #[test]
    fn scopes_are_required_and_must_be_known() {
        let none = NewApiClient::parse("ci", "admin", &[], "").unwrap_err();
        assert_eq!(none, vec![FieldError::new("scopes", FieldProblem::Missing)]);
        let unknown = NewApiClient::parse("ci", "admin", &scopes(&["audit:write"]), "").unwrap_err();
        assert_eq!(unknown, vec![FieldError::new("scopes", FieldProblem::Unknown)]);
        let spaced = NewApiClient::parse("ci", "admin", &scopes(&["members:read devices:write"]), "");
        assert!(spaced.is_ok(), "an OAuth2 scope string is accepted as well");
    }
}
