//! The audit log as CSV (RFC 4180), streamed a page at a time: the admin
//! portal's export and the API's (`Accept: text/csv`) write the same file.

use axum::body::Body;
use control::{audit::AuditExport, domain::AuditEntry};
use futures_util::{Stream, StreamExt};

const HEADER: &str = "id,at,actor,organization,action,target,before,after,request_id,ip\r\n";

/// One CSV line per entry.
fn lines(entries: &[AuditEntry]) -> String {
    let mut csv = String::new();
    for entry in entries {
        let fields = [
            entry.id.to_string(),
            entry.at.clone(),
            entry.actor.clone(),
            entry.organization.clone().unwrap_or_default(),
            entry.action.clone(),
            entry.target.clone(),
            entry.before.clone().unwrap_or_default(),
            entry.after.clone().unwrap_or_default(),
            entry.request_id.clone().unwrap_or_default(),
            entry.ip.clone().unwrap_or_default(),
        ];
        csv.push_str(&super::csv::line(&fields));
    }
    csv
}

/// The export's body, streamed: the header and the first page (read before
/// answering, so that a database failure is still a redirect), then each
/// further page as it is read. Memory holds one page, whatever the month's
/// size; a failure midway ends the download early (the browser reports it
/// as failed) rather than sending a truncated file as complete.
pub(crate) async fn stream(mut export: AuditExport) -> control::Result<Body> {
    let mut first = String::from(HEADER);
    if let Some(entries) = export.next_page().await? {
        first.push_str(&lines(&entries));
    }
    let rest = futures_util::stream::unfold(Some(export), |export| async move {
        let mut export = export?;
        match export.next_page().await {
            Ok(Some(entries)) => Some((Ok(lines(&entries)), Some(export))),
            Ok(None) => None,
            Err(error) => {
                tracing::error!(%error, "the audit export stopped midway");
                Some((Err(std::io::Error::other(error.to_string())), None))
            }
        }
    });
    Ok(Body::from_stream(after_first_page(first, rest)))
}

/// The first page, then the rest, and nothing after: fused, because a
/// compressing layer polls a body again after its end (which `unfold`
/// answers with a panic, resetting the connection).
fn after_first_page<S>(first: String, rest: S) -> impl Stream<Item = std::io::Result<String>>
where
    S: Stream<Item = std::io::Result<String>>,
{
    futures_util::stream::once(std::future::ready(Ok(first)))
        .chain(rest)
        .fuse()
}

#[cfg(test)]
mod tests {
    use super::after_first_page;
    use futures_util::StreamExt;

    #[tokio::test]
    async fn a_streamed_export_stays_ended_when_polled_again() {
        let rest = futures_util::stream::unfold(1, |page| async move {
            (page <= 2).then(|| (Ok(format!("page {page}")), page + 1))
        });
        let mut body = std::pin::pin!(after_first_page("header".into(), rest));
        let mut pages = Vec::new();
        while let Some(page) = body.next().await {
            pages.push(page.unwrap());
        }
        assert_eq!(pages, ["header", "page 1", "page 2"]);
        assert!(body.next().await.is_none());
        assert!(body.next().await.is_none());
    }
}
