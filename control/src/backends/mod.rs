//! The systems a subscription is provisioned on, one module each: a trait
//! the workflows call, and the real client that implements it over HTTP
//! (against the real server where one runs here, else its simulator in
//! `sim/`). Every operation is idempotent: `ensure_*` finds what exists
//! before creating, `remove_*` treats "already gone" as done, so that a step
//! run again after a crash or a retry neither duplicates nor fails.

/// `Debug` for a type that holds a secret: only the fields named, then
/// `..`, so that a log line never carries the secret.
macro_rules! debug_without_secrets {
    ($type:ident { $($field:ident),* $(,)? }) => {
        impl std::fmt::Debug for $type {
            fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter
                    .debug_struct(stringify!($type))
                    $(.field(stringify!($field), &self.$field))*
                    .finish_non_exhaustive()
            }
        }
    };
}

pub mod awx;
pub mod gitlab;
pub mod kubernetes;
pub mod mqtt;
pub mod oauth_clients;
pub mod object_storage;
pub mod odoo;
pub mod openstack;
pub mod vault;

use std::time::Duration;

use crate::domain::StepFailure;

/// How long one call to a backend may take before it counts as a transient
/// failure (the step is then retried with backoff).
pub const CALL_TIMEOUT: Duration = Duration::from_secs(15);

/// Why a backend call did not do what was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackendError {
    /// Worth trying again: a timeout, a refused connection, a 5xx, a 429, a
    /// conflict with a concurrent writer.
    #[error("{backend} is unavailable: {detail}")]
    Transient { backend: &'static str, detail: String },
    /// The backend refused for good (bad request, forbidden, invalid): an
    /// admin must look.
    #[error("{backend} refused: {detail}")]
    Refused { backend: &'static str, detail: String },
}

impl BackendError {
    pub fn transient(backend: &'static str, detail: impl Into<String>) -> Self {
        Self::Transient {
            backend,
            detail: detail.into(),
        }
    }

    pub fn refused(backend: &'static str, detail: impl Into<String>) -> Self {
        Self::Refused {
            backend,
            detail: detail.into(),
        }
    }

    /// `what` (e.g. "project tenant-acme-iot") exists under the name Bibind
    /// wants but without Bibind's ownership mark for this subscription: it
    /// is never adopted, changed or deleted, and the step is refused (not
    /// retried) for an admin to sort out.
    pub fn not_ours(backend: &'static str, what: impl std::fmt::Display) -> Self {
        Self::refused(backend, format!("{what} exists and is not ours"))
    }

    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Transient { .. })
    }

    /// The backend's name, for "waiting for …" messages.
    pub fn backend(&self) -> &'static str {
        match self {
            Self::Transient { backend, .. } | Self::Refused { backend, .. } => backend,
        }
    }

    /// A transport failure of `backend` (no answer, or an unreadable one).
    pub fn from_reqwest(backend: &'static str, error: reqwest::Error) -> Self {
        let unreadable = error.is_decode() || error.is_builder();
        // The URL can carry credentials in its query (some APIs do): leave it out.
        let error = error.without_url();
        let mut detail = error.to_string();
        // reqwest's own text is only "error sending request": the causes
        // tell an admin a timeout from a refused or dropped connection.
        let mut cause = std::error::Error::source(&error);
        while let Some(inner) = cause {
            detail = format!("{detail}: {inner}");
            cause = inner.source();
        }
        if unreadable {
            Self::refused(backend, detail)
        } else {
            Self::transient(backend, detail)
        }
    }

    /// An HTTP error answer of `backend`, classified by status; `body` is
    /// the backend's own error text, kept for admins.
    pub fn from_status(backend: &'static str, status: reqwest::StatusCode, body: &str) -> Self {
        let detail = format!("{status}: {}", truncated(body, 500));
        if status.is_server_error()
            || status == reqwest::StatusCode::TOO_MANY_REQUESTS
            || status == reqwest::StatusCode::REQUEST_TIMEOUT
            || status == reqwest::StatusCode::CONFLICT
        {
            Self::transient(backend, detail)
        } else {
            Self::refused(backend, detail)
        }
    }
}

impl From<BackendError> for StepFailure {
    fn from(error: BackendError) -> Self {
        let detail = error.to_string();
        let failure = if error.is_transient() {
            StepFailure::transient(detail)
        } else {
            StepFailure::permanent(detail)
        };
        StepFailure {
            backend: Some(error.backend()),
            ..failure
        }
    }
}

/// A backend's answer, read whole.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: reqwest::StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

/// Sends `request` (already carrying its client's credentials) and reads the
/// whole answer. The one place the JSON clients (AWX, GitLab, Odoo, Hydra's
/// admin API) turn a failure to send or to read into a [`BackendError`].
pub(crate) async fn exchange(
    backend: &'static str,
    request: reqwest::RequestBuilder,
) -> Result<Answer, BackendError> {
    let response = request
        .send()
        .await
        .map_err(|error| BackendError::from_reqwest(backend, error))?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .text()
        .await
        .map_err(|error| BackendError::from_reqwest(backend, error))?;
    Ok(Answer {
        status,
        headers,
        body,
    })
}

impl Answer {
    /// The JSON of a successful answer; an error answer classified by its status.
    pub(crate) fn json(self, backend: &'static str) -> Result<serde_json::Value, BackendError> {
        if !self.status.is_success() {
            return Err(BackendError::from_status(backend, self.status, &self.body));
        }
        serde_json::from_str(&self.body).map_err(|_| BackendError::refused(backend, "an answer is not JSON"))
    }

    /// As [`Answer::json`], with `None` for a 404.
    pub(crate) fn json_or_absent(
        self,
        backend: &'static str,
    ) -> Result<Option<serde_json::Value>, BackendError> {
        if self.status == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        self.json(backend).map(Some)
    }
}

/// Bibind's ownership mark where a backend offers only free text (a GitLab
/// group's description, an MQTT role's or client's `textdescription`).
pub fn ownership_mark(subscription: uuid::Uuid) -> String {
    format!("Managed by Bibind for subscription {subscription}")
}

/// At most `max` bytes of `text`, cut at a character boundary.
fn truncated(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Makes aws-lc-rs the process's TLS crypto provider (rustls cannot choose
/// by itself when more than one is compiled in). Idempotent.
pub fn install_tls_provider() {
    // Already installed (by an earlier call) is fine.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

/// A reqwest client with the backends' call timeout.
pub fn http_client() -> Result<reqwest::Client, BackendError> {
    install_tls_provider();
    client_with_timeout("http", CALL_TIMEOUT)
}

/// A reqwest client whose calls to `backend` end after `timeout`, and whose
/// connections are given up after at most 5 seconds.
pub(crate) fn client_with_timeout(
    backend: &'static str,
    timeout: Duration,
) -> Result<reqwest::Client, BackendError> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .build()
        .map_err(|error| BackendError::refused(backend, error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_errors_and_throttling_are_worth_retrying_and_refusals_are_not() {
        use reqwest::StatusCode;
        for status in [
            StatusCode::BAD_GATEWAY,
            StatusCode::TOO_MANY_REQUESTS,
            StatusCode::CONFLICT,
        ] {
            assert!(
                BackendError::from_status("awx", status, "").is_transient(),
                "{status}"
            );
        }
        for status in [
            StatusCode::BAD_REQUEST,
            StatusCode::FORBIDDEN,
            StatusCode::UNPROCESSABLE_ENTITY,
        ] {
            assert!(
                !BackendError::from_status("awx", status, "").is_transient(),
                "{status}"
            );
        }
    }

    #[test]
    fn long_error_bodies_are_cut_at_a_character_boundary() {
        let body = "é".repeat(400);
        let error = BackendError::from_status("odoo", reqwest::StatusCode::BAD_REQUEST, &body);
        assert!(error.to_string().len() < 560);
    }
}
