//! The e-mail notices customers receive when something happens to their
//! services or their organization.

use serde::{Deserialize, Serialize};

/// What a notice tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum NoticeKind {
    ServiceActive,
    /// Setting a service up failed for good (Bibind's team looks at it).
    ServiceFailed,
    ServiceClosed,
    OrganizationSuspended,
    OrganizationResumed,
    OrganizationClosed,
    /// Someone accepted an invitation (told to the owners).
    MemberJoined,
    /// A service's backups failed three times in a row (told to the owners).
    BackupsFailing,
}

impl NoticeKind {
    pub const ALL: [Self; 8] = [
        Self::ServiceActive,
        Self::ServiceFailed,
        Self::ServiceClosed,
        Self::OrganizationSuspended,
        Self::OrganizationResumed,
        Self::OrganizationClosed,
        Self::MemberJoined,
        Self::BackupsFailing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ServiceActive => "service_active",
            Self::ServiceFailed => "service_failed",
            Self::ServiceClosed => "service_closed",
            Self::OrganizationSuspended => "organization_suspended",
            Self::OrganizationResumed => "organization_resumed",
            Self::OrganizationClosed => "organization_closed",
            Self::MemberJoined => "member_joined",
            Self::BackupsFailing => "backups_failing",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == raw)
    }
}

#[cfg(feature = "server")]
super::jobs::stored_as_text!(NoticeKind);
