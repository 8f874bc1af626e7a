//! An audit export: the entries a filter selects, read a page at a time.

use crate::{
    audit::{customers_view, list, ParsedFilter, Reader},
    domain::AuditEntry,
    Control, Result,
};

/// How many audit entries a CSV export holds at most.
pub const AUDIT_EXPORT_LIMIT: i64 = 100_000;

/// How many entries an export reads per query: it holds one such page in
/// memory at a time, however many entries the selection has.
pub const AUDIT_EXPORT_PAGE_SIZE: i64 = 1_000;

/// A CSV export under way: the entries matching its filter, newest first,
/// [`AUDIT_EXPORT_LIMIT`] at most, read one keyset page at a time (each page
/// continues strictly after the entry the previous one ended on), so that
/// neither the portal's memory nor a database connection is held for the
/// whole download.
pub struct AuditExport {
    control: Control,
    reader: Reader,
    /// `None` once nothing more matches (or the filter named no organization).
    filter: Option<ParsedFilter>,
    remaining: i64,
}

impl AuditExport {
    /// The next page of entries, `None` when the export is complete.
    pub async fn next_page(&mut self) -> Result<Option<Vec<AuditEntry>>> {
        let Some(filter) = self.filter.as_mut().filter(|_| self.remaining > 0) else {
            return Ok(None);
        };
        let mut conn = self.control.db.pool().acquire().await?;
        let page = list(&mut conn, filter, self.remaining.min(AUDIT_EXPORT_PAGE_SIZE)).await?;
        self.remaining -= i64::try_from(page.entries.len()).unwrap_or(i64::MAX);
        match page.next_before {
            Some(before) => filter.before = Some(before),
            None => self.filter = None,
        }
        let mut entries = page.entries;
        if self.reader == Reader::Customer {
            entries.iter_mut().for_each(customers_view);
        }
        Ok(Some(entries).filter(|entries| !entries.is_empty()))
    }

    /// The entries `filter` selects (`None`: nothing), as `reader` may read them.
    pub(crate) fn new(control: Control, filter: Option<ParsedFilter>, reader: Reader) -> Self {
        Self {
            control,
            reader,
            filter,
            remaining: AUDIT_EXPORT_LIMIT,
        }
    }
}
