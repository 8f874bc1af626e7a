//! The platform's audit log, as the admin reads and exports it: every
//! organization's entries and the platform's own.

use crate::{
    audit::{self, AuditExport, ParsedFilter, Reader, AUDIT_PAGE_SIZE},
    domain::{AdminAccess, AuditFilter, AuditPage, FieldError, SignedInUser},
    Control, Result,
};

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
        Ok(match self.parsed_audit_filter(&mut conn, filter).await? {
            Ok(Some(parsed)) => Ok(audit::list(&mut conn, &parsed, limit).await?),
            Ok(None) => Ok(AuditPage {
                entries: Vec::new(),
                next_before: None,
            }),
            Err(errors) => Err(errors),
        })
    }

    /// `filter` with its days parsed and its organization's id; `Ok(None)`
    /// when it names an organization that does not exist (nothing matches).
    async fn parsed_audit_filter(
        &self,
        conn: &mut sqlx::PgConnection,
        filter: &AuditFilter,
    ) -> Result<Result<Option<ParsedFilter>, Vec<FieldError>>> {
        let organization = match filter.organization.as_deref() {
            None => None,
            Some(slug) => {
                let id = sqlx::query_scalar!("SELECT id FROM organizations WHERE slug = $1", slug)
                    .fetch_optional(&mut *conn)
                    .await?;
                match id {
                    Some(id) => Some(id),
                    None => return Ok(Ok(None)),
                }
            }
        };
        Ok(ParsedFilter::parse(filter, organization).map(Some))
    }

    /// The audit entries matching `filter` for a CSV export (newest first,
    /// [`AUDIT_EXPORT_LIMIT`] at most), to be read page by page.
    pub async fn audit_export(
        &self,
        user: Option<&SignedInUser>,
        filter: &AuditFilter,
    ) -> Result<AdminAccess<Result<AuditExport, Vec<FieldError>>>> {
        if let Err(refused) = self.admin_gate(user, "/admin/audit").await?.granted() {
            return Ok(refused);
        }
        let mut conn = self.db.pool().acquire().await?;
        Ok(AdminAccess::Granted(
            self.parsed_audit_filter(&mut conn, filter)
                .await?
                .map(|filter| AuditExport::new(self.clone(), filter, Reader::Staff)),
        ))
    }
}
