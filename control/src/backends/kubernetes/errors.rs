//! kube's errors as [`BackendError`]s: what is worth retrying (the API
//! server or the network failing, a concurrent writer) and what an admin
//! must look at (quota exceeded, invalid object, forbidden).

use crate::backends::BackendError;

pub(super) const BACKEND: &str = "kubernetes";

pub(super) fn from_kube(error: kube::Error) -> BackendError {
    match error {
        kube::Error::Api(status) => from_status(&status),
        // No answer, or a broken connection: the server may be back soon.
        kube::Error::HyperError(_) | kube::Error::Service(_) | kube::Error::ReadEvents(_) => {
            BackendError::transient(BACKEND, error.to_string())
        }
        other => BackendError::refused(BACKEND, other.to_string()),
    }
}

fn from_status(status: &kube::core::Status) -> BackendError {
    let detail = format!("{} {}: {}", status.code, status.reason, status.message);
    let retry = status.code >= 500 || status.code == 429 || status.code == 408 || status.code == 409;
    if retry {
        BackendError::transient(BACKEND, detail)
    } else {
        BackendError::refused(BACKEND, detail)
    }
}

pub(super) fn is_not_found(error: &kube::Error) -> bool {
    matches!(error, kube::Error::Api(status) if status.code == 404)
}
