//! Who calls an operation of the control plane.

use std::net::IpAddr;

/// Who is asking, and from where: every operation that changes something
/// takes one, and its audit event records it.
#[derive(Debug, Clone, PartialEq)]
pub struct Caller {
    /// The Kratos identity id.
    pub identity_id: String,
    /// The address the identity had when it asked (kept in the audit trail).
    pub email: String,
    /// Whether Kratos held `email` as verified then.
    pub email_verified: bool,
    pub request_id: Option<String>,
    pub ip: Option<IpAddr>,
}
