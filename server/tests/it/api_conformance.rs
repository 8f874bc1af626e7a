//! The API against its own document, by schemathesis (the PyPI tool
//! `cargo xtask test` installs; `BIBIND_SCHEMATHESIS` names it): every
//! operation called with generated requests (examples, coverage, fuzzing,
//! and the stateful phase following the document's links), with a real
//! token from Hydra, every check on. No server error, no answer the
//! document does not describe.

use std::process::Stdio;

use crate::support::{self, tenancy::create_organization, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_server_error_and_no_answer_outside_the_document() {
    let schemathesis = std::env::var("BIBIND_SCHEMATHESIS")
        .expect("BIBIND_SCHEMATHESIS names schemathesis (cargo xtask test installs it)");
    // Its thousands of requests stay under the rate limit.
    let app = TestApp::builder().api_rate(1_000_000).spawn().await;
    let owner = support::person("owner");
    create_organization(&app, &owner, "Acme", "conformance").await;
    app.control
        .start_subscription(&owner, "conformance", "shop-starter")
        .await
        .unwrap()
        .unwrap();
    let scopes = [
        "organizations:write",
        "members:write",
        "subscriptions:write",
        "devices:write",
        "audit:read",
    ];
    let token = crate::api::client_token(&app, &owner, "conformance", "admin", &scopes).await;
    let report = std::env::temp_dir().join(format!("schemathesis-{}", uuid::Uuid::new_v4()));
    let output = tokio::process::Command::new(&schemathesis)
        .arg("--config-file")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/schemathesis.toml"))
        .args(["--no-color", "run"])
        .arg(app.url("/api/v1/openapi.json"))
        .args([
            "--checks",
            "all",
            "--seed",
            "1",
            "--max-examples",
            "25",
            "--workers",
            "2",
        ])
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .args(["--report", "junit", "--report-dir"])
        .arg(&report)
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    let said = String::from_utf8_lossy(&output.stdout);
    let _ = std::fs::remove_dir_all(&report);
    assert!(
        output.status.success(),
        "schemathesis failed:\n{said}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
