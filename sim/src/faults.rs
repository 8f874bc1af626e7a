//! Fault injection shared by every simulator: per operation, an error
//! status, added latency, or a hang, for the next N calls or until cleared.
//!
//! Tests and operators set faults over HTTP on the simulator itself:
//! `PUT /_sim/faults/{operation}` with a [`Fault`] as JSON, `DELETE
//! /_sim/faults/{operation}` or `DELETE /_sim/faults` to clear, `GET
//! /_sim/faults` to list. Operation names are each simulator's own (its
//! README lists them), e.g. `create_namespace`, `launch_job`.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    extract::{Path, State},
    http::StatusCode,
    routing::{delete, put},
    Json, Router,
};
use serde::{Deserialize, Serialize};

/// What to do to calls of one operation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// Answer with this HTTP status (in the simulated system's error shape)
    /// instead of doing the operation.
    #[serde(default)]
    pub status: Option<u16>,
    /// Wait this long before answering (or before failing).
    #[serde(default)]
    pub latency_ms: u64,
    /// Never answer: the client's timeout is what ends the call.
    #[serde(default)]
    pub hang: bool,
    /// Apply to this many calls, then clear itself; forever when absent.
    #[serde(default)]
    pub times: Option<u32>,
}

/// What a simulator's handler must do after [`Faults::before`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Injected {
    /// Go on with the operation.
    Proceed,
    /// Answer this status, in the system's own error body.
    Fail(StatusCode),
}

/// The faults set on one simulator, keyed by operation name.
#[derive(Clone, Default)]
pub struct Faults {
    rules: Arc<Mutex<HashMap<String, Fault>>>,
}

impl Faults {
    /// Applies the fault set for `operation`, if any: waits its latency,
    /// hangs, or says which status to fail with.
    pub async fn before(&self, operation: &str) -> Injected {
        let Some(fault) = self.take(operation) else {
            return Injected::Proceed;
        };
        if fault.latency_ms > 0 {
            tokio::time::sleep(Duration::from_millis(fault.latency_ms)).await;
        }
        if fault.hang {
            std::future::pending::<()>().await;
        }
        match fault.status.and_then(|code| StatusCode::from_u16(code).ok()) {
            Some(status) => Injected::Fail(status),
            None => Injected::Proceed,
        }
    }

    /// As [`Faults::before`], only the status to fail with: `None` to go on.
    pub async fn failure(&self, operation: &str) -> Option<StatusCode> {
        match self.before(operation).await {
            Injected::Fail(status) => Some(status),
            Injected::Proceed => None,
        }
    }

    /// Sets the fault of `operation`, replacing any.
    pub fn set(&self, operation: &str, fault: Fault) {
        self.lock().insert(operation.to_owned(), fault);
    }

    pub fn clear(&self) {
        self.lock().clear();
    }

    /// The fault that applies to this call, counting it down.
    fn take(&self, operation: &str) -> Option<Fault> {
        let mut rules = self.lock();
        let fault = rules.get_mut(operation)?;
        let applied = fault.clone();
        match &mut fault.times {
            Some(0) => {
                rules.remove(operation);
                return None;
            }
            Some(1) => {
                rules.remove(operation);
            }
            Some(left) => *left -= 1,
            None => {}
        }
        Some(applied)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Fault>> {
        crate::locked(&self.rules)
    }

    /// `/_sim/faults` routes, to merge into a simulator's router.
    pub fn routes<S: Clone + Send + Sync + 'static>(&self) -> Router<S> {
        Router::new()
            .route("/_sim/faults", delete(clear).get(list))
            .route("/_sim/faults/{operation}", put(set).delete(remove))
            .with_state(self.clone())
    }
}

async fn list(State(faults): State<Faults>) -> Json<HashMap<String, Fault>> {
    Json(faults.lock().clone())
}

async fn set(
    State(faults): State<Faults>,
    Path(operation): Path<String>,
    Json(fault): Json<Fault>,
) -> StatusCode {
    faults.set(&operation, fault);
    StatusCode::NO_CONTENT
}

async fn remove(State(faults): State<Faults>, Path(operation): Path<String>) -> StatusCode {
    faults.lock().remove(&operation);
    StatusCode::NO_CONTENT
}

async fn clear(State(faults): State<Faults>) -> StatusCode {
    faults.clear();
    StatusCode::NO_CONTENT
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_counted_fault_fails_that_many_calls_then_clears() {
        let faults = Faults::default();
        faults.set(
            "create",
            Fault {
                status: Some(503),
                times: Some(2),
                ..Fault::default()
            },
        );
        assert_eq!(
            faults.before("create").await,
            Injected::Fail(StatusCode::SERVICE_UNAVAILABLE)
        );
        assert_eq!(faults.before("other").await, Injected::Proceed);
        assert_eq!(
            faults.before("create").await,
            Injected::Fail(StatusCode::SERVICE_UNAVAILABLE)
        );
        assert_eq!(faults.before("create").await, Injected::Proceed);
    }

    #[tokio::test]
    async fn a_hang_never_answers() {
        let faults = Faults::default();
        faults.set(
            "get",
            Fault {
                hang: true,
                ..Fault::default()
            },
        );
        let answered = tokio::time::timeout(Duration::from_millis(50), faults.before("get")).await;
        assert!(answered.is_err());
    }
}
