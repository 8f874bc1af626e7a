//! What the simulated backends' conformance suites share: setting a fault
//! on a served simulator, and telling refusals from transient failures.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use control::backends::BackendError;
use sim::{faults::Fault, Served};

pub async fn set_fault(served: &Served, operation: &str, fault: Fault) -> Result<(), reqwest::Error> {
    reqwest::Client::new()
        .put(format!("{}/_sim/faults/{operation}", served.url()))
        .json(&fault)
        .send()
        .await?
        .error_for_status()?;
    Ok(())
}

pub fn assert_refused(result: Result<impl std::fmt::Debug, BackendError>, needle: &str) {
    match result {
        Err(error @ BackendError::Refused { .. }) => {
            assert!(
                error.to_string().contains(needle),
                "{error} should mention {needle}"
            )
        }
        other => panic!("expected a refusal mentioning {needle}, got {other:?}"),
    }
}

pub fn assert_transient(result: Result<impl std::fmt::Debug, BackendError>) {
    assert!(
        matches!(result, Err(BackendError::Transient { .. })),
        "expected a transient error, got {result:?}"
    );
}
