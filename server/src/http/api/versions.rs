//! `If-Match` on the API's changes: the version a change is made against.
//! One entity tag (`"3"`) is passed on, so that the control plane compares
//! it where it changes the row; `*` or a list (RFC 9110) is matched against
//! the version read now; none (or an empty one) answers 428.

use std::future::Future;

use http::{header, HeaderMap};

use super::{
    auth::ApiCaller,
    problem::{Problem, ProblemKind},
    texts::ApiMsg,
    Answer,
};

/// The version `If-Match` names; `current` reads the resource's version
/// when the header names several, or any (`*`).
pub(super) async fn if_match<F, Fut>(headers: &HeaderMap, api: &ApiCaller, current: F) -> Answer<i64>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Answer<i64>>,
{
    let stale = || Problem::new(ProblemKind::PreconditionFailed, ApiMsg::Stale.text(api.locale));
    let required = || {
        Problem::new(
            ProblemKind::PreconditionRequired,
            ApiMsg::IfMatchRequired.text(api.locale),
        )
    };
    let value = headers.get(header::IF_MATCH).ok_or_else(required)?;
    let value = value.to_str().map_err(|_| stale())?.trim();
    let tags: Vec<&str> = value
        .split(',')
        .map(str::trim)
        .filter(|tag| !tag.is_empty())
        .collect();
    let version = |tag: &str| tag.trim_start_matches("W/").trim_matches('"').parse::<i64>().ok();
    match tags.as_slice() {
        // An empty `If-Match` names no version: as good as none.
        [] => Err(required()),
        [tag] if *tag != "*" => version(tag).ok_or_else(stale),
        _ => {
            let now = current().await?;
            let matches = tags.iter().any(|tag| *tag == "*" || version(tag) == Some(now));
            if matches {
                Ok(now)
            } else {
                Err(stale())
            }
        }
    }
}

/// A version that fits the store's 32-bit column (a larger one is stale).
pub(super) fn narrow(version: i64, api: &ApiCaller) -> Answer<i32> {
    i32::try_from(version)
        .map_err(|_| Problem::new(ProblemKind::PreconditionFailed, ApiMsg::Stale.text(api.locale)))
}
