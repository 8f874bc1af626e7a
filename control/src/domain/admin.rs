//! What the admin pages show, shared with the front end.

use serde::{Deserialize, Serialize};

/// The admin area's answer to a visitor: it is for platform admins who
/// proved a second factor (AAL2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum AdminAccess<T> {
    /// Not signed in to the portal.
    SignInRequired,
    /// Signed in, but not a platform admin.
    Forbidden,
    /// A platform admin whose session lacks a second factor: sign in again
    /// with it at `upgrade_url`, or, with none enrolled, enrol one first.
    SecondFactorRequired {
        enrolled: bool,
        upgrade_url: String,
    },
    Granted(T),
}

impl<T> AdminAccess<T> {
    /// The granted content, or the same refusal for content of another type.
    pub fn granted<U>(self) -> Result<T, AdminAccess<U>> {
        match self {
            Self::Granted(content) => Ok(content),
            Self::SignInRequired => Err(AdminAccess::SignInRequired),
            Self::Forbidden => Err(AdminAccess::Forbidden),
            Self::SecondFactorRequired {
                enrolled,
                upgrade_url,
            } => Err(AdminAccess::SecondFactorRequired {
                enrolled,
                upgrade_url,
            }),
        }
    }
}

/// A platform admin, as the admin overview lists them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlatformAdmin {
    pub email: String,
    /// RFC 3339.
    pub granted_at: String,
    /// `cli`, `bootstrap`, or the identity id of the admin who granted it.
    pub granted_by: String,
}
