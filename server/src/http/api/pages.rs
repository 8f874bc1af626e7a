//! Cursor pagination: `?limit=` items after `?cursor=`, and a `Link` header
//! (RFC 8288) naming the next page while there is one. A cursor is opaque to
//! clients: they follow `rel="next"` until it is absent.

use super::texts::ApiMsg;
use axum::{
    extract::{FromRequestParts, OriginalUri},
    response::{IntoResponse, Response},
    Json,
};
use http::{header, request::Parts, HeaderValue};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use super::{
    auth::{locale_of, ApiCaller},
    problem::{Problem, ProblemKind},
    Answer,
};

/// Items per page unless `limit` says otherwise, and at most.
const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 100;

/// Which page of a list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct PageQuery {
    /// Where the page starts: the `cursor` of the previous page's `Link: rel="next"`.
    cursor: Option<String>,
    /// Items on the page, 1 to 100 (50 if absent).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<usize>,
    /// The request's path, for the next page's link.
    #[serde(skip)]
    #[param(ignore)]
    path: String,
}

impl<S: Send + Sync> FromRequestParts<S> for PageQuery {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let parsed: Result<PageQuery, _> = serde_urlencoded::from_str(query);
        match parsed {
            Ok(mut page) if page.limit.is_none_or(|limit| (1..=MAX_LIMIT).contains(&limit)) => {
                // An empty cursor is no cursor: the first page.
                page.cursor = page.cursor.filter(|cursor| !cursor.is_empty());
                // The path as the client sent it (a nested router sees its tail).
                let path = parts
                    .extensions
                    .get::<OriginalUri>()
                    .map_or_else(|| parts.uri.path(), |original| original.path())
                    .to_owned();
                Ok(PageQuery { path, ..page })
            }
            _ => Err(Problem::new(
                ProblemKind::BadRequest,
                ApiMsg::BadPage.text(locale_of(parts)),
            )),
        }
    }
}

/// A page of a list, with the link to the next.
pub(super) struct Listed<T> {
    items: Vec<T>,
    next: Option<String>,
}

impl<T> Listed<T> {
    /// A page the store cut itself (by keyset): `next` is the query of the
    /// page after it, if any, at `path`.
    pub(super) fn keyset(items: Vec<T>, path: &str, next: Option<Vec<(&str, String)>>) -> Self {
        let next = next.map(|query| {
            format!(
                "<{path}?{}>; rel=\"next\"",
                serde_urlencoded::to_string(query).unwrap_or_default()
            )
        });
        Self { items, next }
    }
}

impl<T: Serialize> IntoResponse for Listed<T> {
    fn into_response(self) -> Response {
        let mut response = Json(self.items).into_response();
        if let Some(next) = self.next.and_then(|next| HeaderValue::from_str(&next).ok()) {
            response.headers_mut().insert(header::LINK, next);
        }
        response
    }
}

impl PageQuery {
    /// The page of `items` (in their order, each named by `key`) this query
    /// asks for. A cursor naming no item is refused.
    pub(super) fn list<T>(
        self,
        items: Vec<T>,
        key: impl Fn(&T) -> String,
        api: &ApiCaller,
    ) -> Answer<Listed<T>> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        let start = match &self.cursor {
            None => 0,
            Some(cursor) => match items.iter().position(|item| key(item) == *cursor) {
                Some(at) => at + 1,
                None => {
                    return Err(Problem::new(
                        ProblemKind::BadRequest,
                        ApiMsg::BadPage.text(api.locale),
                    ))
                }
            },
        };
        let mut items: Vec<T> = items.into_iter().skip(start).collect();
        let more = items.len() > limit;
        items.truncate(limit);
        let next = match items.last() {
            Some(last) if more => Some(format!(
                "<{}?{}>; rel=\"next\"",
                self.path,
                serde_urlencoded::to_string([("cursor", key(last)), ("limit", limit.to_string())])
                    .unwrap_or_default()
            )),
            _ => None,
        };
        Ok(Listed { items, next })
    }
}
