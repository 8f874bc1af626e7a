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
        }
    }
}
