//! `cargo xtask dev`'s seeded accounts: three platform admins and a customer,
//! created in Kratos with verified e-mail addresses and passwords generated
//! once per data directory (git-ignored), so a developer can sign in at once.

use std::path::Path;

use anyhow::{bail, Context, Result};

use crate::{ory, process, services::Stack, tools};

pub const ACCOUNTS_FILE: &str = "dev-accounts.env";

const CURL: tools::AptTool = tools::AptTool {
    binary: "curl",
    package: "curl",
};

pub struct DevAccount {
    pub role: &'static str,
    pub email: String,
    pub password: String,
}

/// The accounts, created in Kratos unless they exist.
pub fn ensure_accounts(stack: &Stack, data_dir: &Path) -> Result<Vec<DevAccount>> {
    tools::ensure_apt(&[&CURL])?;
    let file = data_dir.join(ACCOUNTS_FILE);
    let mut text = std::fs::read_to_string(&file).unwrap_or_default();
    // A key missing from an older file is generated and added.
    for key in [
        "ADMIN_PASSWORD",
        "OPERATOR_PASSWORD",
        "REVIEWER_PASSWORD",
        "CUSTOMER_PASSWORD",
    ] {
        if !text.lines().any(|line| line.starts_with(&format!("{key}="))) {
            text.push_str(&format!("{key}={}\n", ory::random_alphanumeric(16)?));
        }
    }
    std::fs::write(&file, &text)?;
    let value = |key: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(&format!("{key}=")))
            .map(str::to_owned)
            .with_context(|| format!("{key} missing from {}", file.display()))
    };
    let accounts = vec![
        DevAccount {
            role: "admin",
            email: "admin@bibind.localhost".into(),
            password: value("ADMIN_PASSWORD")?,
        },
        // A second platform admin, which the end-to-end tenancy story enrols
        // with its own second factor.
        DevAccount {
            role: "operator",
            email: "operator@bibind.localhost".into(),
            password: value("OPERATOR_PASSWORD")?,
        },
        // A third, which the end-to-end accessibility story enrols with its
        // own second factor (each story needs an admin without one).
        DevAccount {
            role: "reviewer",
            email: "reviewer@bibind.localhost".into(),
            password: value("REVIEWER_PASSWORD")?,
        },
        DevAccount {
            role: "customer",
            email: "customer@bibind.localhost".into(),
            password: value("CUSTOMER_PASSWORD")?,
        },
    ];
    for account in &accounts {
        create_identity(stack, account)?;
    }
    Ok(accounts)
}

/// The server's bootstrap list (a TOML array in an environment variable).
pub fn bootstrap_admins(accounts: &[DevAccount]) -> String {
    let admins: Vec<String> = accounts
        .iter()
        .filter(|a| matches!(a.role, "admin" | "operator" | "reviewer"))
        .map(|a| format!("\"{}\"", a.email))
        .collect();
    format!("[{}]", admins.join(","))
}

fn create_identity(stack: &Stack, account: &DevAccount) -> Result<()> {
    let (first, last) = if account.role == "admin" {
        ("Ada", "Admin")
    } else {
        ("Camille", "Client")
    };
    let body = format!(
        r#"{{"schema_id":"bibind-user","traits":{{"email":"{email}","name":{{"first":"{first}","last":"{last}"}},"locale":"fr"}},
"credentials":{{"password":{{"config":{{"password":"{password}"}}}}}},
"verifiable_addresses":[{{"value":"{email}","verified":true,"via":"email","status":"completed"}}]}}"#,
        email = account.email,
        password = account.password,
    );
    let status = process::http_status(&[
        "-H",
        "Content-Type: application/json",
        "--data-binary",
        &body,
        &format!("{}/admin/identities", stack.kratos_admin_url()),
    ])?;
    match status.as_str() {
        "201" | "409" => Ok(()),
        other => bail!(
            "creating the dev account {} in Kratos answered {other}",
            account.email
        ),
    }
}
