//! Conformance of `control`'s Odoo client (JSON-RPC over HTTP) against the
//! Odoo simulator served in-process: databases, modules, OAuth provider,
//! users, idempotent re-runs, drift, error shapes and injected faults; and
//! the same state reached over XML-RPC and the web session.

#![allow(clippy::panic)]

mod support;

use support::{assert_refused, assert_transient, set_fault};

use std::time::{Duration, Instant};

use control::backends::odoo::{Odoo, OdooClient, OdooInstance, OdooOAuthProvider, OdooUser};
use serde_json::{json, Value};
use sim::{faults::Fault, odoo::Simulator, Served};

const MASTER_PASSWORD: &str = "master-secret";
const TIMEOUT: Duration = Duration::from_secs(1);

type TestResult = Result<(), Box<dyn std::error::Error>>;

async fn start() -> Result<(Simulator, Served, OdooClient), Box<dyn std::error::Error>> {
    let simulator = Simulator::new(MASTER_PASSWORD);
    let served = sim::serve(simulator.router()).await?;
    let client = OdooClient::new(MASTER_PASSWORD, TIMEOUT)?;
    Ok((simulator, served, client))
}

fn instance(served: &Served, database: &str) -> OdooInstance {
    OdooInstance {
        url: served.url(),
        database: database.to_owned(),
        admin_login: "admin@acme.example".to_owned(),
        admin_password: "admin-secret".to_owned(),
        lang: "fr_FR".to_owned(),
    }
}

fn provider() -> OdooOAuthProvider {
    OdooOAuthProvider {
        name: "Bibind".to_owned(),
        client_id: "odoo-acme".to_owned(),
        client_secret: "client-secret".to_owned(),
        auth_endpoint: "https://auth.bibind.example/oauth2/auth".to_owned(),
        token_endpoint: "https://auth.bibind.example/oauth2/token".to_owned(),
        jwks_uri: "https://auth.bibind.example/.well-known/jwks.json".to_owned(),
        validation_endpoint: "https://auth.bibind.example/userinfo".to_owned(),
        scope: "openid email profile".to_owned(),
        label: "Sign in with Bibind".to_owned(),
    }
}

fn user(login: &str, subject: &str) -> OdooUser {
    OdooUser {
        login: login.to_owned(),
        name: "Ann Example".to_owned(),
        email: login.to_owned(),
        oauth_uid: Some(subject.to_owned()),
        groups: vec!["base.group_user"],
    }
}

/// A raw JSON-RPC call, for what the client does not expose.
async fn rpc(served: &Served, service: &str, method: &str, args: Value) -> Result<Value, reqwest::Error> {
    let body = json!({"jsonrpc": "2.0", "method": "call", "params": {"service": service, "method": method, "args": args}, "id": 7});
    reqwest::Client::new()
        .post(format!("{}/jsonrpc", served.url()))
        .json(&body)
        .send()
        .await?
        .json()
        .await
}

async fn execute(
    served: &Served,
    database: &str,
    model: &str,
    method: &str,
    args: Value,
    kwargs: Value,
) -> Value {
    let args = json!([database, 2, "admin-secret", model, method, args, kwargs]);
    rpc(served, "object", "execute_kw", args)
        .await
        .unwrap_or(Value::Null)
}

#[tokio::test]
async fn a_database_is_created_once_observed_and_dropped_idempotently() -> TestResult {
    let (simulator, served, client) = start().await?;
    let acme = instance(&served, "acme");
    assert_eq!(client.observe(&acme).await?, None);

    client.ensure_database(&acme).await?;
    client.ensure_database(&acme).await?;
    assert_eq!(simulator.database_names(), vec!["acme".to_owned()]);
    assert_eq!(simulator.database_lang("acme").as_deref(), Some("fr_FR"));
    let observed = client.observe(&acme).await?.ok_or("no database observed")?;
    assert!(observed.installed_modules.contains(&"base".to_owned()));
    assert!(observed.oauth_providers.is_empty());
    assert_eq!(observed.internal_users, 1, "the administrator alone");

    client.drop_database(&acme).await?;
    assert_eq!(client.observe(&acme).await?, None);
    client.drop_database(&acme).await?;
    assert!(simulator.database_names().is_empty());
    Ok(())
}

#[tokio::test]
async fn a_wrong_master_password_is_refused_as_access_denied() -> TestResult {
    let (simulator, served, _) = start().await?;
    let client = OdooClient::new("not-the-master", TIMEOUT)?;
    assert_refused(
        client.ensure_database(&instance(&served, "acme")).await,
        "odoo.exceptions.AccessDenied",
    );
    assert_refused(
        client.drop_database(&instance(&served, "acme")).await,
        "AccessDenied",
    );
    assert!(simulator.database_names().is_empty());

    // The error comes back with HTTP 200, in Odoo's envelope.
    let answer = rpc(&served, "db", "drop", json!(["not-the-master", "acme"])).await?;
    assert_eq!(answer["error"]["data"]["name"], "odoo.exceptions.AccessDenied");
    assert_eq!(answer["error"]["message"], "Odoo Server Error");
    assert_eq!(answer["id"], 7);
    Ok(())
}

#[tokio::test]
async fn modules_are_installed_with_their_dependencies_once() -> TestResult {
    let (_simulator, served, client) = start().await?;
    let acme = instance(&served, "acme");
    client.ensure_database(&acme).await?;
    client
        .ensure_modules(&acme, &["website_sale", "website_slides", "auth_oidc"])
        .await?;
    client
        .ensure_modules(&acme, &["website_sale", "website_slides", "auth_oidc"])
        .await?;
    let observed = client.observe(&acme).await?.ok_or("no database")?;
    for module in [
        "website_sale",
        "website_slides",
        "auth_oauth",
        "website",
        "sale",
        "portal",
        "auth_signup",
    ] {
        assert!(
            observed.installed_modules.contains(&module.to_owned()),
            "{module} not installed"
        );
    }
    // auth_oauth's data: its three stock providers.
    assert_eq!(observed.oauth_providers.len(), 3);

    assert_refused(
        client.ensure_modules(&acme, &["no_such_module"]).await,
        "no_such_module",
    );
    Ok(())
}

#[tokio::test]
async fn the_clients_uninstall_removes_a_module_and_what_depends_on_it_and_is_idempotent() -> TestResult {
    let (_simulator, served, client) = start().await?;
    let acme = instance(&served, "acme");
    client.ensure_database(&acme).await?;
    client
        .ensure_modules(&acme, &["website_sale", "website_sale_stock", "website_blog"])
        .await?;
    client.uninstall_modules(&acme, &["website_sale_stock"]).await?;
    client.uninstall_modules(&acme, &["website_sale_stock"]).await?;
    let installed = client
        .observe(&acme)
        .await?
        .ok_or("no database")?
        .installed_modules;
    assert!(!installed.contains(&"website_sale_stock".to_owned()));
    // What it brought stays: Odoo removes dependents, not dependencies.
    for kept in ["website_sale", "stock", "website_blog"] {
        assert!(installed.contains(&kept.to_owned()), "{kept} removed");
    }
    Ok(())
}

/// The modules named, as `{name: [id, state, title]}`.
async fn modules(served: &Served, names: &[&str]) -> serde_json::Map<String, Value> {
    let found = execute(
        served,
        "acme",
        "ir.module.module",
        "search_read",
        json!([[["name", "in", names]]]),
        json!({"fields": ["name", "state", "shortdesc"]}),
    )
    .await;
    found["result"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|module| {
            let name = module["name"].as_str().unwrap_or_default().to_owned();
            (name, json!([module["id"], module["state"], module["shortdesc"]]))
        })
        .collect()
}

async fn module_call(served: &Served, method: &str, names: &[&str]) -> Value {
    let known = modules(served, names).await;
    let ids: Vec<&Value> = names
        .iter()
        .filter_map(|name| known.get(*name))
        .map(|m| &m[0])
        .collect();
    execute(
        served,
        "acme",
        "ir.module.module",
        method,
        json!([ids]),
        json!({}),
    )
    .await
}

#[tokio::test]
async fn auto_installed_modules_follow_and_uninstalling_removes_what_depends_on_it() -> TestResult {
    let (_simulator, served, client) = start().await?;
    client.ensure_database(&instance(&served, "acme")).await?;
    let installed = module_call(
        &served,
        "button_immediate_install",
        &["website_sale_wishlist", "stock"],
    )
    .await;
    assert_eq!(installed["result"]["tag"], "reload", "{installed}");
    let catalogue = [
        ("website_sale_wishlist", "Shopper's Wishlist"),
        ("website_sale_comparison", "Product Comparison"),
        ("stock", "Inventory"),
        ("website_sale_stock", "Product Availability"),
        ("website_blog", "Blog"),
        ("website_forum", "Forum"),
        ("website_slides_forum", "Forum on Courses"),
        ("survey", "Surveys"),
        ("website_slides_survey", "Course Certifications"),
    ];
    let names: Vec<&str> = catalogue.iter().map(|(name, _)| *name).collect();
    let known = modules(&served, &names).await;
    for (name, title) in catalogue {
        assert_eq!(known[name][2], title, "{name}");
    }
    // website_sale and stock bring sale_stock, which with website_sale
    // brings website_sale_stock (both auto_install).
    let state = |known: &serde_json::Map<String, Value>, name: &str| known[name][1].clone();
    let all = [
        "website_sale",
        "sale_stock",
        "website_sale_stock",
        "website_mail",
        "sale",
        "website_sale_comparison",
    ];
    let known = modules(&served, &all).await;
    for name in ["website_sale", "sale_stock", "website_sale_stock", "website_mail"] {
        assert_eq!(state(&known, name), "installed", "{name}");
    }
    assert_eq!(state(&known, "website_sale_comparison"), "uninstalled");

    // Uninstalling website_sale takes what depends on it, and only that.
    let removed = module_call(&served, "button_immediate_uninstall", &["website_sale"]).await;
    assert_eq!(
        removed["result"],
        json!({"type": "ir.actions.client", "tag": "reload", "params": {"menu_id": 1}})
    );
    let known = modules(
        &served,
        &[
            "website_sale",
            "website_sale_wishlist",
            "website_sale_stock",
            "sale_stock",
            "stock",
            "website",
        ],
    )
    .await;
    for name in ["website_sale", "website_sale_wishlist", "website_sale_stock"] {
        assert_eq!(state(&known, name), "uninstalled", "{name}");
    }
    for name in ["sale_stock", "stock", "website"] {
        assert_eq!(state(&known, name), "installed", "{name}");
    }

    // Not installed (any more): button_uninstall refuses.
    let again = module_call(&served, "button_immediate_uninstall", &["website_sale"]).await;
    assert_eq!(again["error"]["data"]["name"], "odoo.exceptions.UserError");
    assert_eq!(
        again["error"]["data"]["message"],
        "One or more of the selected modules have already been uninstalled, if you believe this to be an error, you may try again later or contact support."
    );
    // The server-wide modules stay.
    let base = module_call(&served, "button_immediate_uninstall", &["base"]).await;
    assert_eq!(base["error"]["data"]["name"], "odoo.exceptions.UserError");
    assert_eq!(
        base["error"]["data"]["message"],
        "Those modules cannot be uninstalled: base"
    );
    Ok(())
}

#[tokio::test]
async fn an_uninstalled_module_loses_its_models_and_data_and_only_admins_uninstall() -> TestResult {
    let (_simulator, served, client) = start().await?;
    let acme = instance(&served, "acme");
    client.ensure_database(&acme).await?;
    client
        .ensure_modules(&acme, &["website_sale", "auth_oidc"])
        .await?;
    let ann = client
        .ensure_user(
            &acme,
            client
                .ensure_oauth_provider(&acme, &provider())
                .await?
                .provider_id,
            &user("ann@acme.example", "subject-ann"),
        )
        .await?;
    execute(
        &served,
        "acme",
        "res.users",
        "write",
        json!([[ann], {"password": "ann-secret"}]),
        json!({}),
    )
    .await;
    let website = modules(&served, &["website"]).await["website"][0].clone();
    let as_ann = rpc(
        &served,
        "object",
        "execute_kw",
        json!([
            "acme",
            ann,
            "ann-secret",
            "ir.module.module",
            "button_immediate_uninstall",
            [[website]]
        ]),
    )
    .await?;
    assert_eq!(as_ann["error"]["data"]["name"], "odoo.exceptions.AccessDenied");

    execute(
        &served,
        "acme",
        "website",
        "write",
        json!([[1], {"name": "ACME Boutique"}]),
        json!({}),
    )
    .await;
    module_call(&served, "button_immediate_uninstall", &["website", "auth_oauth"]).await;
    let known = modules(
        &served,
        &["website_sale", "website_payment", "auth_oidc", "portal"],
    )
    .await;
    assert_eq!(known["website_sale"][1], "uninstalled");
    assert_eq!(known["auth_oidc"][1], "uninstalled");
    assert_eq!(known["portal"][1], "installed");
    let gone = execute(&served, "acme", "website", "search", json!([[]]), json!({})).await;
    assert_eq!(gone["error"]["data"]["message"], "Object website doesn't exist");
    // auth_oauth's columns went with it.
    let column = execute(
        &served,
        "acme",
        "res.users",
        "read",
        json!([[ann], ["oauth_uid"]]),
        json!({}),
    )
    .await;
    assert_eq!(column["error"]["data"]["name"], "builtins.ValueError", "{column}");

    // Installed again: a new default website, the stock providers again.
    client
        .ensure_modules(&acme, &["website_sale", "auth_oidc"])
        .await?;
    let websites = execute(
        &served,
        "acme",
        "website",
        "search_read",
        json!([[]]),
        json!({"fields": ["name"]}),
    )
    .await;
    assert_eq!(websites["result"], json!([{"id": 1, "name": "My Website"}]));
    let observed = client.observe(&acme).await?.ok_or("no database")?;
    assert_eq!(observed.oauth_providers.len(), 3);
    Ok(())
}

#[tokio::test]
async fn the_oauth_provider_is_created_once_and_its_drift_corrected() -> TestResult {
    let (_simulator, served, client) = start().await?;
    let acme = instance(&served, "acme");
    client.ensure_database(&acme).await?;
    // Without auth_oauth the model does not exist.
    assert_refused(
        client.ensure_oauth_provider(&acme, &provider()).await,
        "auth.oauth.provider doesn't exist",
    );

    client.ensure_modules(&acme, &["auth_oidc"]).await?;
    let sign_in = client.ensure_oauth_provider(&acme, &provider()).await?;
    let id = sign_in.provider_id;
    // Again: the same provider, and the same PKCE challenge (one verifier per provider).
    assert_eq!(client.ensure_oauth_provider(&acme, &provider()).await?, sign_in);
    assert_eq!(sign_in.code_challenge.len(), 43);

    // Someone edits the provider in Odoo: the next run puts it back.
    execute(
        &served,
        "acme",
        "auth.oauth.provider",
        "write",
        json!([[id], {"body": "Edited", "enabled": false}]),
        json!({}),
    )
    .await;
    assert_eq!(client.ensure_oauth_provider(&acme, &provider()).await?, sign_in);
    let read = execute(
        &served,
        "acme",
        "auth.oauth.provider",
        "read",
        json!([
            [id],
            [
                "body",
                "enabled",
                "data_endpoint",
                "flow",
                "token_endpoint",
                "code_verifier"
            ]
        ]),
        json!({}),
    )
    .await;
    assert_eq!(read["result"][0]["body"], "Sign in with Bibind");
    // auth_oidc's code flow, with a PKCE verifier Odoo made for the provider.
    assert_eq!(read["result"][0]["flow"], "id_token_code");
    assert_eq!(
        read["result"][0]["token_endpoint"],
        "https://auth.bibind.example/oauth2/token"
    );
    assert!(read["result"][0]["code_verifier"]
        .as_str()
        .is_some_and(|v| v.len() >= 43));
    assert_eq!(read["result"][0]["enabled"], true);
    assert_eq!(read["result"][0]["data_endpoint"], false);

    let observed = client.observe(&acme).await?.ok_or("no database")?;
    assert_eq!(
        observed
            .oauth_providers
            .iter()
            .filter(|name| *name == "Bibind")
            .count(),
        1
    );
    Ok(())
}

#[tokio::test]
async fn users_are_created_once_counted_corrected_and_reactivated() -> TestResult {
    let (_simulator, served, client) = start().await?;
    let acme = instance(&served, "acme");
    client.ensure_database(&acme).await?;
    client.ensure_modules(&acme, &["auth_oidc"]).await?;
    let provider_id = client
        .ensure_oauth_provider(&acme, &provider())
        .await?
        .provider_id;

    let ann = user("ann@acme.example", "subject-ann");
    let id = client.ensure_user(&acme, provider_id, &ann).await?;
    assert_eq!(client.ensure_user(&acme, provider_id, &ann).await?, id);
    assert_eq!(client.count_users(&acme).await?, 2);

    let renamed = OdooUser {
        name: "Ann Renamed".to_owned(),
        ..ann.clone()
    };
    assert_eq!(client.ensure_user(&acme, provider_id, &renamed).await?, id);
    let read = execute(
        &served,
        "acme",
        "res.users",
        "read",
        json!([[id], ["name", "oauth_provider_id", "share"]]),
        json!({}),
    )
    .await;
    assert_eq!(read["result"][0]["name"], "Ann Renamed");
    assert_eq!(
        read["result"][0]["oauth_provider_id"],
        json!([provider_id, "Bibind"])
    );
    assert_eq!(read["result"][0]["share"], false, "an internal user");

    // Archived by an admin in Odoo: hidden from the count, re-activated by the next run.
    execute(
        &served,
        "acme",
        "res.users",
        "write",
        json!([[id], {"active": false}]),
        json!({}),
    )
    .await;
    assert_eq!(client.count_users(&acme).await?, 1);
    assert_eq!(client.ensure_user(&acme, provider_id, &ann).await?, id);
    assert_eq!(client.count_users(&acme).await?, 2);

    // One subject per provider, as auth_oauth's constraint says.
    let impostor = user("bob@acme.example", "subject-ann");
    assert_refused(
        client.ensure_user(&acme, provider_id, &impostor).await,
        "odoo.exceptions.ValidationError",
    );
    Ok(())
}

#[tokio::test]
async fn a_wrong_admin_password_or_a_missing_database_is_refused() -> TestResult {
    let (_simulator, served, client) = start().await?;
    let acme = instance(&served, "acme");
    assert_refused(client.count_users(&acme).await, "does not exist");
    client.ensure_database(&acme).await?;
    let wrong = OdooInstance {
        admin_password: "wrong".to_owned(),
        ..acme.clone()
    };
    assert_refused(
        client.count_users(&wrong).await,
        "login of database acme was refused",
    );
    // execute_kw checks the credentials on every call.
    let answer = rpc(
        &served,
        "object",
        "execute_kw",
        json!(["acme", 2, "wrong", "res.users", "search", [[]]]),
    )
    .await?;
    assert_eq!(answer["error"]["data"]["name"], "odoo.exceptions.AccessDenied");
    Ok(())
}

#[tokio::test]
async fn invalid_json_is_a_400_and_unknown_fields_a_value_error() -> TestResult {
    let (_simulator, served, client) = start().await?;
    client.ensure_database(&instance(&served, "acme")).await?;
    let response = reqwest::Client::new()
        .post(format!("{}/jsonrpc", served.url()))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await?;
    assert_eq!(response.status(), 400);
    let answer = execute(
        &served,
        "acme",
        "res.users",
        "search_read",
        json!([[["nope", "=", 1]]]),
        json!({}),
    )
    .await;
    assert_eq!(answer["error"]["data"]["name"], "builtins.ValueError");
    let answer = execute(&served, "acme", "res.users", "_private", json!([]), json!({})).await;
    assert_eq!(answer["error"]["data"]["name"], "odoo.exceptions.AccessError");
    Ok(())
}

#[tokio::test]
async fn injected_faults_are_transient_and_a_retry_does_not_duplicate() -> TestResult {
    let (_simulator, served, client) = start().await?;
    let acme = instance(&served, "acme");
    set_fault(
        &served,
        "db.db_exist",
        Fault {
            status: Some(503),
            times: Some(1),
            ..Fault::default()
        },
    )
    .await?;
    assert_transient(client.ensure_database(&acme).await);
    client.ensure_database(&acme).await?;
    client.ensure_modules(&acme, &["auth_oidc"]).await?;
    let provider_id = client
        .ensure_oauth_provider(&acme, &provider())
        .await?
        .provider_id;

    set_fault(
        &served,
        "object.res.users.create",
        Fault {
            status: Some(502),
            times: Some(1),
            ..Fault::default()
        },
    )
    .await?;
    let ann = user("ann@acme.example", "subject-ann");
    assert_transient(client.ensure_user(&acme, provider_id, &ann).await);
    client.ensure_user(&acme, provider_id, &ann).await?;
    assert_eq!(client.count_users(&acme).await?, 2);

    set_fault(
        &served,
        "common.authenticate",
        Fault {
            hang: true,
            times: Some(1),
            ..Fault::default()
        },
    )
    .await?;
    let started = Instant::now();
    assert_transient(client.count_users(&acme).await);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the client's timeout ends a hang"
    );
    Ok(())
}

/// An XML-RPC call as Python's `xmlrpc.client` writes it, string arguments only.
fn xml_call(method: &str, args: &[&str]) -> String {
    let params: String = args
        .iter()
        .map(|arg| format!("<param>\n<value><string>{arg}</string></value>\n</param>\n"))
        .collect();
    format!("<?xml version='1.0'?>\n<methodCall>\n<methodName>{method}</methodName>\n<params>\n{params}<param>\n<value><struct>\n</struct></value>\n</param>\n</params>\n</methodCall>\n")
}

#[tokio::test]
async fn xml_rpc_reaches_the_same_databases_and_answers_faults() -> TestResult {
    let (_simulator, served, client) = start().await?;
    client.ensure_database(&instance(&served, "acme")).await?;
    let http = reqwest::Client::new();
    let post = |path: &str, body: String| {
        http.post(format!("{}{path}", served.url()))
            .header("content-type", "text/xml")
            .body(body)
            .send()
    };
    let answer = post(
        "/xmlrpc/2/common",
        xml_call("authenticate", &["acme", "admin@acme.example", "admin-secret"]),
    )
    .await?;
    assert_eq!(answer.status(), 200);
    assert!(answer
        .text()
        .await?
        .contains("<params>\n<param>\n<value><int>2</int></value>\n</param>"));

    let refused = post(
        "/xmlrpc/2/common",
        xml_call("authenticate", &["acme", "admin@acme.example", "wrong"]),
    )
    .await?
    .text()
    .await?;
    assert!(
        refused.contains("<value><boolean>0</boolean></value>"),
        "{refused}"
    );

    // A wrong master password: fault 3 on /xmlrpc/2/, "AccessDenied" on /xmlrpc/.
    let denied = post("/xmlrpc/2/db", xml_call("drop", &["wrong", "acme"])).await?;
    assert_eq!(denied.status(), 200, "faults come with HTTP 200");
    let denied = denied.text().await?;
    assert!(denied.contains("<fault>"));
    assert!(denied.contains("<name>faultCode</name>\n<value><int>3</int></value>"));
    assert!(denied.contains("<value><string>Access Denied</string></value>"));
    let legacy = post("/xmlrpc/db", xml_call("drop", &["wrong", "acme"]))
        .await?
        .text()
        .await?;
    assert!(legacy.contains("<name>faultCode</name>\n<value><string>AccessDenied</string></value>"));
    Ok(())
}

#[tokio::test]
async fn a_web_session_is_a_cookie_that_signs_calls_in() -> TestResult {
    let (_simulator, served, client) = start().await?;
    client.ensure_database(&instance(&served, "acme")).await?;
    let http = reqwest::Client::new();
    let call = |path: &str, params: Value, cookie: Option<&str>| {
        let mut request = http
            .post(format!("{}{path}", served.url()))
            .json(&json!({"jsonrpc": "2.0", "method": "call", "params": params, "id": 1}));
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        request.send()
    };
    let signed_in = call(
        "/web/session/authenticate",
        json!({"db": "acme", "login": "admin@acme.example", "password": "admin-secret"}),
        None,
    )
    .await?;
    let cookie = signed_in
        .headers()
        .get("set-cookie")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .ok_or("no session cookie")?
        .to_owned();
    assert!(cookie.starts_with("session_id="));
    let info: Value = signed_in.json().await?;
    assert_eq!(info["result"]["uid"], 2);
    assert_eq!(info["result"]["user_context"]["lang"], "fr_FR");

    let search = json!({"model": "res.users", "method": "search_count", "args": [[]], "kwargs": {}});
    let counted: Value = call("/web/dataset/call_kw", search.clone(), Some(&cookie))
        .await?
        .json()
        .await?;
    assert_eq!(counted["result"], 1);
    let anonymous: Value = call("/web/dataset/call_kw", search, None).await?.json().await?;
    assert_eq!(anonymous["error"]["code"], 100);
    assert_eq!(
        anonymous["error"]["data"]["name"],
        "odoo.http.SessionExpiredException"
    );
    Ok(())
}

#[tokio::test]
async fn the_site_is_named_after_the_organization_once() -> TestResult {
    let (_simulator, served, client) = start().await?;
    let acme = instance(&served, "acme");
    client.ensure_database(&acme).await?;
    // Without website: the company only.
    client.ensure_website(&acme, "ACME Boutique", None).await?;
    let company = execute(
        &served,
        "acme",
        "res.company",
        "read",
        json!([[1], ["name"]]),
        json!({}),
    )
    .await;
    assert_eq!(company["result"][0]["name"], "ACME Boutique");

    client.ensure_modules(&acme, &["website_sale"]).await?;
    client.ensure_website(&acme, "ACME Boutique", None).await?;
    client.ensure_website(&acme, "ACME Boutique", None).await?;
    let websites = execute(
        &served,
        "acme",
        "website",
        "search_read",
        json!([[]]),
        json!({"fields": ["name"]}),
    )
    .await;
    assert_eq!(websites["result"], json!([{"id": 1, "name": "ACME Boutique"}]));
    Ok(())
}
