//! Members of an organization and the invitations that bring them in.

use serde::{Deserialize, Serialize};

use super::{EmailAddress, FieldError, FieldProblem, Role};

/// A member, as the organization's page lists them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Member {
    /// The Kratos identity id: what the member forms post.
    pub identity_id: String,
    pub email: String,
    pub role: Role,
}

/// An invitation not yet accepted, revoked or expired.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingInvitation {
    pub id: String,
    pub email: String,
    pub role: Role,
    /// `YYYY-MM-DD`, in UTC.
    pub expires_on: String,
}

/// An invitation as the form gives it, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInvitation {
    pub email: EmailAddress,
    pub role: Role,
}

impl NewInvitation {
    pub fn parse(email: &str, role: &str) -> Result<Self, Vec<FieldError>> {
        let email = match email.trim() {
            "" => Err(FieldError::new("email", FieldProblem::Missing)),
            raw => {
                EmailAddress::parse(raw).ok_or_else(|| FieldError::new("email", FieldProblem::InvalidEmail))
            }
        };
        let role = Role::parse(role).ok_or_else(|| FieldError::new("role", FieldProblem::Unknown));
        match (email, role) {
            (Ok(email), Ok(role)) => Ok(Self { email, role }),
            (email, role) => Err([email.err(), role.err()].into_iter().flatten().collect()),
        }
    }
}

/// What the invitation link shows before it is accepted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvitationPreview {
    pub organization_name: String,
    pub organization_slug: String,
    pub role: Role,
    /// The address it was sent to.
    pub email: String,
    pub invited_by: String,
    /// `None` for a visitor who is not signed in.
    pub signed_in_as: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invitation_needs_an_address_and_a_known_role() {
        assert_eq!(
            NewInvitation::parse(" Ada@Example.COM ", "member").map(|i| i.email.to_string()),
            Ok("ada@example.com".to_owned())
        );
        let errors = NewInvitation::parse("nope", "emperor").err().unwrap_or_default();
        assert_eq!(
            errors,
            [
                FieldError::new("email", FieldProblem::InvalidEmail),
                FieldError::new("role", FieldProblem::Unknown)
            ]
        );
    }
}
