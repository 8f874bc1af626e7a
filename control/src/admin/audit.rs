//! The platform's audit log, as the admin reads and exports it: every
//! organization's entries and the platform's own.

use crate::{
    audit::{self, ParsedFilter, AUDIT_PAGE_SIZE},
    domain::{AdminAccess, AuditEntry, AuditFilter, AuditPage, FieldError, SignedInUser},
    Control, Result,
};

/// How many audit entries a CSV export holds at most.
pub const AUDIT_EXPORT_LIMIT: i64 = 100_000;

impl Control {
    /// The platform's audit log, every organization's and the platform's own.
    pub async fn platform_audit(
        &self,
        user: Option<&SignedInUser>,
        filter: &AuditFilter,
    ) -> Result<AdminAccess<Result<AuditPage, Vec<FieldError>>>> {
        if let Err(refused) = self.admin_gate(user, "/admin/audit").await?.granted() {
            return Ok(refused);
        }
        Ok(AdminAccess::Granted(
            self.audit_entries(filter, AUDIT_PAGE_SIZE).await?,
        ))
    }

    /// Entries of the platform's audit log matching `filter` (an unknown
    /// organization matches nothing), newest first, `limit` at most.
    async fn audit_entries(
        &self,
        filter: &AuditFilter,
        limit: i64,
    ) -> Result<Result<AuditPage, Vec<FieldError>>> {
        let mut conn = self.db.pool().acquire().await?;
        let organization = match filter.organization.as_deref() {
            None => None,
            Some(slug) => {
                let id = sqlx::query_scalar!("SELECT id FROM organizations WHERE slug = $1", slug)
                    .fetch_optional(&mut *conn)
                    .await?;
                match id {
                    Some(id) => Some(id),
                    None => {
                        return Ok(Ok(AuditPage {
                            entries: Vec::new(),
                            next_before: None,
                        }))
                    }
                }
            }
        };
        let parsed = match ParsedFilter::parse(filter, organization) {
            Ok(parsed) => parsed,
            Err(errors) => return Ok(Err(errors)),
        };
        Ok(Ok(audit::list(&mut conn, &parsed, limit).await?))
    }

    /// The audit entries matching `filter` for a CSV export (newest first,
    /// [`AUDIT_EXPORT_LIMIT`] at most).
    pub async fn audit_export(
        &self,
        user: Option<&SignedInUser>,
        filter: &AuditFilter,
    ) -> Result<AdminAccess<Result<Vec<AuditEntry>, Vec<FieldError>>>> {
        if let Err(refused) = self.admin_gate(user, "/admin/audit").await?.granted() {
            return Ok(refused);
        }
        Ok(AdminAccess::Granted(
            self.audit_entries(filter, AUDIT_EXPORT_LIMIT)
                .await?
                .map(|page| page.entries),
        ))
    }
}
