//! The audit trail as pages show it, and the filters that narrow it.

use serde::{Deserialize, Serialize};

/// One recorded change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    /// RFC 3339, UTC.
    pub at: String,
    /// Who did it: an e-mail address, or `system`.
    pub actor: String,
    /// The organization's slug, when the change concerns one.
    pub organization: Option<String>,
    pub action: String,
    pub target: String,
    /// The JSON of what it was and became, when there was something.
    pub before: Option<String>,
    pub after: Option<String>,
    pub request_id: Option<String>,
    pub ip: Option<String>,
}

/// Narrows an audit listing; every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AuditFilter {
    /// An action or a prefix of one: `membership.` matches every membership change.
    pub action: Option<String>,
    /// The start of the actor's e-mail address.
    pub actor: Option<String>,
    /// Only this organization (slug); the organization's own log sets it.
    pub organization: Option<String>,
    /// From this day on (`YYYY-MM-DD`, UTC).
    pub since: Option<String>,
    /// Up to this day included.
    pub until: Option<String>,
    /// Keyset pagination: only entries older than the one with this id.
    pub before: Option<i64>,
}

/// One page of entries, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// Pass as `before` for the next page; `None` on the last.
    pub next_before: Option<i64>,
}

impl AuditFilter {
    /// Drops blank fields, as a form posts them.
    pub fn normalized(self) -> Self {
        let keep = |value: Option<String>| value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        Self {
            action: keep(self.action),
            actor: keep(self.actor),
            organization: keep(self.organization),
            since: keep(self.since),
            until: keep(self.until),
            before: self.before,
        }
    }
}
