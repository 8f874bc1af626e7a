//! Who an API request speaks for: its `Authorization: Bearer` token, checked
//! by the control plane (`Control::api_caller`), which also decides what
//! the token may do. The API layer only reads the header.

use app::i18n::Msg;
use axum::extract::FromRequestParts;
use control::{domain::Locale, Caller};
use http::{header, request::Parts};

use super::problem::{Problem, ProblemKind};
use crate::http::AppState;

/// The caller of an API request, and the language its problems are written in.
pub(crate) struct ApiCaller {
    pub caller: Caller,
    pub locale: Locale,
}

impl ApiCaller {
    /// The control plane's refusal as this caller's problem detail.
    pub(crate) fn refused(&self, refusal: &control::domain::Refusal) -> Problem {
        Problem::refused(refusal, self.locale).with_instance(self.caller.request_id.clone())
    }
}

/// The language of an API request's problem details (`Accept-Language`).
pub(crate) fn locale_of(parts: &Parts) -> Locale {
    app::i18n::locale_from_headers(&parts.headers)
}

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let locale = locale_of(parts);
        let origin = app::api::origin_of(parts);
        let request_id = origin.request_id.clone();
        let unauthorized = || {
            Problem::new(ProblemKind::Unauthorized, Msg::ApiUnauthorized.text(locale))
                .with_instance(request_id.clone())
        };
        let Some(token) = bearer(parts) else {
            return Err(unauthorized());
        };
        match state.control.api_caller(token, origin).await {
            Ok(Some(caller)) => Ok(ApiCaller { caller, locale }),
            Ok(None) => Err(unauthorized()),
            Err(error) => {
                tracing::warn!(%error, "cannot check an API token");
                Err(
                    Problem::new(ProblemKind::Unavailable, Msg::ApiUnavailable.text(locale))
                        .retry_after(5)
                        .with_instance(request_id),
                )
            }
        }
    }
}
