//! The tenants' simulated Odoo as its admin sees it, through Odoo's own
//! external API: what the tests check and change behind the engine's back.

use crate::support::provisioning::Harness;

/// `execute_kw` on the tenant's Odoo as its admin (external API): the result.
pub async fn odoo_admin_call(
    harness: &Harness,
    instance: &str,
    model: &str,
    method: &str,
    args: serde_json::Value,
    kwargs: serde_json::Value,
) -> serde_json::Value {
    let secrets = harness
        .stack
        .backends
        .vault
        .read_secret(instance, "service")
        .await
        .unwrap()
        .expect("the service secret");
    let body = serde_json::json!({
        "jsonrpc": "2.0", "method": "call", "id": 1,
        "params": {"service": "object", "method": "execute_kw",
                   "args": [instance, 2, secrets["odoo_admin_password"], model, method, args, kwargs]},
    });
    let answer: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/jsonrpc", harness.stack.urls.odoo))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["result"].clone()
}

/// The state of each of `modules` in the tenant's Odoo (`installed`,
/// `uninstalled`), in the order asked.
pub async fn module_states(harness: &Harness, instance: &str, modules: &[&str]) -> Vec<String> {
    let found = odoo_admin_call(
        harness,
        instance,
        "ir.module.module",
        "search_read",
        serde_json::json!([[["name", "in", modules]]]),
        serde_json::json!({"fields": ["name", "state"]}),
    )
    .await;
    let rows = found.as_array().cloned().unwrap_or_default();
    modules
        .iter()
        .map(|name| {
            rows.iter()
                .find(|row| row["name"] == *name)
                .and_then(|row| row["state"].as_str())
                .unwrap_or("unknown")
                .to_owned()
        })
        .collect()
}
