//! The API's errors: `application/problem+json` (RFC 9457). Each refusal of
//! the control plane has a stable `type` (a URI under the API's reference
//! page, which explains it) and a `title` and `detail` in the caller's
//! language, with the field problems the portal's forms show.

use super::texts::ApiMsg;
use axum::{
    response::{IntoResponse, Response},
    Json,
};
use control::domain::{Locale, Refusal};
use http::{header, HeaderValue, StatusCode};
use serde::Serialize;
use utoipa::ToSchema;

/// Where the `type` URIs point: the reference page's section on errors.
pub(super) const TYPE_BASE: &str = "/api/v1/reference#problem-";

/// An RFC 9457 problem detail, boxed: handlers return it as their error,
/// and a small error keeps their answers small.
#[derive(Debug, Clone)]
pub(crate) struct Problem(Box<ProblemDetail>);

/// What a problem says (`application/problem+json`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct ProblemDetail {
    /// Stable: a script may match on it.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The request's id, as the logs know it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// What is wrong with each refused field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblemDetail>,
    #[serde(skip)]
    retry_after: Option<u64>,
}

/// One refused field.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct FieldProblemDetail {
    /// The body's field (`name`, `plan`).
    pub field: String,
    /// Stable (`missing`, `too_long`).
    pub code: String,
    pub detail: String,
}

/// Why the API refused, each with its status and stable name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ProblemKind {
    Unauthorized,
    InsufficientScope,
    NotFound,
    Forbidden,
    InvalidFields,
    Quota,
    LastOwner,
    Stale,
    PreconditionFailed,
    PreconditionRequired,
    WrongState,
    AlreadySubscribed,
    AlreadyMember,
    AddressNotVerified,
    Limit,
    IdempotencyKeyReused,
    IdempotencyKeyInFlight,
    RateLimited,
    BadRequest,
    Unavailable,
    Internal,
}

impl ProblemKind {
    pub(crate) const ALL: [ProblemKind; 21] = [
        Self::Unauthorized,
        Self::InsufficientScope,
        Self::NotFound,
        Self::Forbidden,
        Self::InvalidFields,
        Self::Quota,
        Self::LastOwner,
        Self::Stale,
        Self::PreconditionFailed,
        Self::PreconditionRequired,
        Self::WrongState,
        Self::AlreadySubscribed,
        Self::AlreadyMember,
        Self::AddressNotVerified,
        Self::Limit,
        Self::IdempotencyKeyReused,
        Self::IdempotencyKeyInFlight,
        Self::RateLimited,
        Self::BadRequest,
        Self::Unavailable,
        Self::Internal,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Unauthorized => "unauthorized",
            Self::InsufficientScope => "insufficient-scope",
            Self::NotFound => "not-found",
            Self::Forbidden => "forbidden",
            Self::InvalidFields => "invalid-fields",
            Self::Quota => "quota-exceeded",
            Self::LastOwner => "last-owner",
            Self::Stale => "stale",
            Self::PreconditionFailed => "precondition-failed",
            Self::PreconditionRequired => "precondition-required",
            Self::WrongState => "wrong-state",
            Self::AlreadySubscribed => "already-subscribed",
            Self::AlreadyMember => "already-member",
            Self::AddressNotVerified => "address-not-verified",
            Self::Limit => "limit-reached",
            Self::IdempotencyKeyReused => "idempotency-key-reused",
            Self::IdempotencyKeyInFlight => "idempotency-key-in-flight",
            Self::RateLimited => "rate-limited",
            Self::BadRequest => "bad-request",
            Self::Unavailable => "unavailable",
            Self::Internal => "internal",
        }
    }

    pub(crate) fn status(self) -> StatusCode {
        match self {
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::InsufficientScope | Self::Forbidden | Self::AddressNotVerified => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::InvalidFields | Self::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Quota
            | Self::LastOwner
            | Self::Stale
            | Self::WrongState
            | Self::AlreadySubscribed
            | Self::AlreadyMember
            | Self::Limit
            | Self::IdempotencyKeyInFlight => StatusCode::CONFLICT,
            Self::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            Self::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            Self::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Self::BadRequest => StatusCode::BAD_REQUEST,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub(crate) fn uri(self) -> String {
        format!("{TYPE_BASE}{}", self.name())
    }
}

impl Problem {
    /// A problem of `kind`, its detail in `locale`.
    pub(crate) fn new(kind: ProblemKind, detail: impl Into<String>) -> Self {
        Self(Box::new(ProblemDetail {
            kind: kind.uri(),
            title: kind.name().replace('-', " "),
            status: kind.status().as_u16(),
            detail: detail.into(),
            instance: None,
            errors: Vec::new(),
            retry_after: None,
        }))
    }

    /// The control plane's refusal, in the caller's language, with the
    /// field problems the portal's forms show beside each field.
    pub(crate) fn refused(refusal: &Refusal, locale: Locale) -> Self {
        let kind = match refusal {
            Refusal::NotFound | Refusal::InvitationGone => ProblemKind::NotFound,
            Refusal::Forbidden | Refusal::WrongAccount | Refusal::FormExpired => ProblemKind::Forbidden,
            Refusal::Fields(_) => ProblemKind::InvalidFields,
            Refusal::Quota { .. } => ProblemKind::Quota,
            Refusal::LastOwner => ProblemKind::LastOwner,
            Refusal::Stale => ProblemKind::Stale,
            Refusal::WrongState => ProblemKind::WrongState,
            Refusal::AlreadySubscribed => ProblemKind::AlreadySubscribed,
            Refusal::AlreadyMember => ProblemKind::AlreadyMember,
            Refusal::AddressNotVerified => ProblemKind::AddressNotVerified,
            Refusal::Limit { .. } => ProblemKind::Limit,
        };
        let mut problem = Self::new(kind, app::refusal_text_in(refusal, locale));
        if let Refusal::Fields(fields) = refusal {
            problem.0.errors = fields
                .iter()
                .map(|field| FieldProblemDetail {
                    field: field.field.clone(),
                    code: field.problem.as_str().to_owned(),
                    detail: app::problem_text(field.problem).text(locale).to_owned(),
                })
                .collect();
        }
        problem
    }

    /// The control plane failed (its cause is logged, not shown).
    pub(crate) fn internal(error: &dyn std::fmt::Display) -> Self {
        tracing::error!(%error, "an API request failed");
        // Its cause is in the log; the caller's language is not known here.
        Self::new(
            ProblemKind::Internal,
            format!(
                "{} / {}",
                ApiMsg::Internal.text(Locale::En),
                ApiMsg::Internal.text(Locale::Fr)
            ),
        )
    }

    pub(crate) fn with_instance(mut self, request_id: Option<String>) -> Self {
        self.0.instance = request_id.map(|id| format!("urn:request:{id}"));
        self
    }

    pub(crate) fn retry_after(mut self, seconds: u64) -> Self {
        self.0.retry_after = Some(seconds);
        self
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let detail = *self.0;
        let status = StatusCode::from_u16(detail.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let retry_after = detail.retry_after;
        let unauthorized = status == StatusCode::UNAUTHORIZED;
        let mut response = (status, Json(detail)).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if unauthorized {
            // RFC 6750: how to authenticate, and that the token did not do.
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(r#"Bearer realm="bibind", error="invalid_token""#),
            );
        }
        if let Some(seconds) = retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_stable_type() {
        let mut names: Vec<&str> = ProblemKind::ALL.iter().map(|kind| kind.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ProblemKind::ALL.len());
    }

    #[test]
    fn a_field_refusal_lists_each_field_in_the_callers_language() {
        let refusal = Refusal::Fields(vec![control::domain::FieldError::new(
            "name",
            control::domain::FieldProblem::Missing,
        )]);
        let problem = *Problem::refused(&refusal, Locale::Fr).0;
        assert_eq!(problem.status, 422);
        assert_eq!(problem.kind, "/api/v1/reference#problem-invalid-fields");
        assert_eq!(problem.errors.len(), 1);
        assert_eq!(problem.errors[0].code, "missing");
        assert_ne!(problem.errors[0].detail, "", "a sentence, in French");
    }
}
