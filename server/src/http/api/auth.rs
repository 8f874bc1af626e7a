//! Who an API request speaks for: its `Authorization: Bearer` token, checked
//! by the control plane (`Control::api_caller`), which also decides what
//! the token may do. The API layer only reads the header: the gate
//! (`api/gate.rs`) checks it once per request and puts the caller into the
//! request, where handlers take it as [`ApiCaller`].

use super::texts::ApiMsg;
use axum::extract::FromRequestParts;
use control::{domain::Locale, Caller};
use http::{header, request::Parts};

use super::problem::{Problem, ProblemKind};
use crate::http::AppState;

/// The caller of an API request, and the language its problems are written in.
#[derive(Clone)]
pub(crate) struct ApiCaller {
    pub caller: Caller,
    pub locale: Locale,
    /// Kept to check it again during a long answer (an event stream).
    token: std::sync::Arc<str>,
}

impl ApiCaller {
    /// The control plane's refusal as this caller's problem detail.
    pub(crate) fn refused(&self, refusal: &control::domain::Refusal) -> Problem {
        Problem::refused(refusal, self.locale).with_instance(self.caller.request_id.clone())
    }

    /// A control-plane operation's answer as the API's: its value, the
    /// caller's refusal, or a failure (logged, and said without its cause).
    pub(crate) fn settle<T>(&self, answer: control::Outcome<T>) -> Result<T, Problem> {
        answer
            .map_err(|error| Problem::internal(&error))?
            .map_err(|refusal| self.refused(&refusal))
    }

    /// This caller as its token now speaks for it: `None` once the token
    /// expired or its client was revoked (checked from memory when kept).
    pub(crate) async fn again(&self, control: &control::Control) -> Option<ApiCaller> {
        let origin = control::identity::api_tokens::RequestOrigin {
            request_id: self.caller.request_id.clone(),
            ip: self.caller.ip,
        };
        let caller = control.api_caller(&self.token, origin).await.ok()??;
        Some(ApiCaller {
            caller,
            ..self.clone()
        })
    }

    /// The caller of a request that carries a bearer token; `None` without
    /// one; a problem when the token is not (or no longer) valid.
    pub(crate) async fn check(parts: &Parts, state: &AppState) -> Result<Option<ApiCaller>, Problem> {
        let locale = locale_of(parts);
        let Some(token) = bearer(parts) else {
            return match parts.headers.get(header::AUTHORIZATION) {
                // Something else than a bearer token: refused as none.
                Some(_) => Err(unauthorized(locale, parts)),
                None => Ok(None),
            };
        };
        let origin = app::api::origin_of(parts);
        match state.control.api_caller(token, origin).await {
            Ok(Some(caller)) => Ok(Some(ApiCaller {
                caller,
                locale,
                token: token.into(),
            })),
            Ok(None) => Err(unauthorized(locale, parts)),
            Err(error) => {
                tracing::warn!(%error, "cannot check an API token");
                Err(
                    Problem::new(ProblemKind::Unavailable, ApiMsg::Unavailable.text(locale))
                        .retry_after(5)
                        .with_instance(app::api::origin_of(parts).request_id),
                )
            }
        }
    }
}

fn unauthorized(locale: Locale, parts: &Parts) -> Problem {
    Problem::new(ProblemKind::Unauthorized, ApiMsg::Unauthorized.text(locale))
        .with_instance(app::api::origin_of(parts).request_id)
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

/// A handler's caller: the one the gate checked, else 401.
impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<ApiCaller>()
            .cloned()
            .ok_or_else(|| unauthorized(locale_of(parts), parts))
    }
}
