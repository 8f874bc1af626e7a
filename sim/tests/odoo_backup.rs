//! Odoo's own backups against the simulator: the database manager's
//! `/web/database/backup` (a zip of `dump.sql`, `manifest.json` and the
//! filestore, as an attachment) and `/web/database/restore` (a multipart
//! upload, then a redirect to the manager), the `db` service's `dump` and
//! `restore` in base64, and what Odoo 17 answers when they fail: the
//! manager page with the error, `zipfile`'s and `restore_db`'s exceptions,
//! and the empty database a failed restore leaves behind.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeMap;

use reqwest::{header, redirect::Policy, StatusCode};
use serde_json::{json, Value};
use sim::{faults::Fault, odoo::Simulator, Served};
use support::set_fault;

const MASTER_PASSWORD: &str = "master-secret";
const ADMIN_PASSWORD: &str = "admin-secret";

type TestResult = Result<(), Box<dyn std::error::Error>>;

async fn start() -> Result<(Simulator, Served), Box<dyn std::error::Error>> {
    let simulator = Simulator::new(MASTER_PASSWORD);
    let served = sim::serve(simulator.router()).await?;
    Ok((simulator, served))
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
}

/// A `/jsonrpc` call; the whole answer (`result` or `error`).
async fn rpc(served: &Served, service: &str, method: &str, args: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "method": "call", "params": {"service": service, "method": method, "args": args}, "id": 1});
    http()
        .post(format!("{}/jsonrpc", served.url()))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// `execute_kw` as the administrator (uid 2); its `result`.
async fn execute(
    served: &Served,
    database: &str,
    model: &str,
    method: &str,
    args: Value,
    kwargs: Value,
) -> Value {
    let answer = rpc(
        served,
        "object",
        "execute_kw",
        json!([database, 2, ADMIN_PASSWORD, model, method, args, kwargs]),
    )
    .await;
    assert!(answer.get("error").is_none(), "{model}.{method}: {answer}");
    answer["result"].clone()
}

/// A database with modules, partners, a user and an attachment in the filestore.
async fn shop(served: &Served, name: &str) {
    let created = rpc(
        served,
        "db",
        "create_database",
        json!([
            MASTER_PASSWORD,
            name,
            false,
            "fr_FR",
            ADMIN_PASSWORD,
            "admin@acme.example"
        ]),
    )
    .await;
    assert_eq!(created["result"], true, "{created}");
    let modules = execute(
        served,
        name,
        "ir.module.module",
        "search",
        json!([[["name", "in", ["auth_oauth", "website"]]]]),
        json!({}),
    )
    .await;
    execute(
        served,
        name,
        "ir.module.module",
        "button_immediate_install",
        json!([modules]),
        json!({}),
    )
    .await;
    for partner in [
        "Ann Example",
        "Bob Example",
        "Zoé \"quoted\"\ttabbed\nnewline \\ backslash",
    ] {
        execute(
            served,
            name,
            "res.partner",
            "create",
            json!([{"name": partner, "email": "x@example.com"}]),
            json!({}),
        )
        .await;
    }
    execute(
        served,
        name,
        "res.users",
        "create",
        json!([{"login": "carol@acme.example", "name": "Carol", "password": "carol-secret"}]),
        json!({}),
    )
    .await;
    execute(
        served,
        name,
        "auth.oauth.provider",
        "create",
        json!([{"name": "Bibind", "auth_endpoint": "https://auth.example/oauth2/auth", "validation_endpoint": "https://auth.example/userinfo", "body": "Sign in", "enabled": true}]),
        json!({}),
    )
    .await;
    execute(
        served,
        name,
        "ir.attachment",
        "create",
        json!([{"name": "notes.txt", "datas": base64("Hello from the filestore\n".as_bytes())}]),
        json!({}),
    )
    .await;
}

fn base64(data: &[u8]) -> String {
    base64::Engine::encode(&base64::engine::general_purpose::STANDARD, data)
}

fn unbase64(text: &str) -> Vec<u8> {
    base64::Engine::decode(&base64::engine::general_purpose::STANDARD, text).unwrap()
}

/// Everything a client reads of the data, model by model.
async fn snapshot(served: &Served, name: &str) -> BTreeMap<&'static str, Value> {
    let mut data = BTreeMap::new();
    for (model, fields) in [
        ("res.partner", json!(["name", "email", "active", "is_company"])),
        (
            "res.users",
            json!([
                "login",
                "name",
                "email",
                "active",
                "groups_id",
                "partner_id",
                "lang"
            ]),
        ),
        ("res.groups", json!(["name"])),
        ("ir.module.module", json!(["name", "state"])),
        ("ir.model.data", json!(["module", "name", "model", "res_id"])),
        ("auth.oauth.provider", json!(["name", "auth_endpoint", "enabled"])),
        ("website", json!(["name", "domain"])),
        (
            "ir.attachment",
            json!([
                "name",
                "datas",
                "mimetype",
                "file_size",
                "checksum",
                "store_fname"
            ]),
        ),
        ("ir.config_parameter", json!(["key", "value"])),
    ] {
        let rows = execute(
            served,
            name,
            model,
            "search_read",
            json!([[]]),
            json!({"fields": fields, "context": {"active_test": false}, "order": "id"}),
        )
        .await;
        data.insert(model, rows);
    }
    data
}

/// `POST /web/database/backup`, urlencoded as the manager's form posts it.
async fn backup(served: &Served, master_pwd: &str, name: &str, format: &str) -> reqwest::Response {
    http()
        .post(format!("{}/web/database/backup", served.url()))
        .form(&[
            ("master_pwd", master_pwd),
            ("name", name),
            ("backup_format", format),
        ])
        .send()
        .await
        .unwrap()
}

/// `POST /web/database/restore`: multipart, the backup as a file upload.
async fn restore(served: &Served, fields: &[(&str, &str)], backup_file: Option<&[u8]>) -> reqwest::Response {
    let boundary = "----odoo-backup-test-boundary";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    if let Some(data) = backup_file {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"backup_file\"; filename=\"backup.zip\"\r\nContent-Type: application/zip\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    http()
        .post(format!("{}/web/database/restore", served.url()))
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap()
}

/// The manager page's error alert.
fn alert(page: &str) -> &str {
    let start = page
        .find("<div class=\"alert alert-danger\">")
        .map(|at| at + "<div class=\"alert alert-danger\">".len())
        .unwrap_or_else(|| panic!("no error on the page: {page}"));
    let end = page[start..].find("</div>").map_or(page.len(), |end| start + end);
    &page[start..end]
}

fn members(archive: &[u8]) -> BTreeMap<String, Vec<u8>> {
    sim::odoo::zip_members(archive).unwrap().into_iter().collect()
}

/// `dump.sql` of an archive, as text.
fn dump_sql(archive: &[u8]) -> String {
    String::from_utf8(members(archive).remove("dump.sql").unwrap()).unwrap()
}

#[tokio::test]
async fn a_backup_restored_under_a_new_name_holds_exactly_the_data_backed_up() -> TestResult {
    let (simulator, served) = start().await?;
    shop(&served, "acme").await;
    let before = snapshot(&served, "acme").await;

    let answer = backup(&served, MASTER_PASSWORD, "acme", "zip").await;
    assert_eq!(answer.status(), StatusCode::OK);
    let headers = answer.headers().clone();
    assert_eq!(
        headers[header::CONTENT_TYPE],
        "application/octet-stream; charset=binary"
    );
    let disposition = headers[header::CONTENT_DISPOSITION].to_str()?;
    assert!(
        disposition.starts_with("attachment; filename*=UTF-8''acme_") && disposition.ends_with(".zip"),
        "{disposition}"
    );
    // `<name>_%Y-%m-%d_%H-%M-%S.zip`
    assert_eq!(
        disposition.len(),
        "attachment; filename*=UTF-8''acme_2024-05-01_10-00-00.zip".len()
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let archive = answer.bytes().await?.to_vec();

    // The zip `dump_db` makes: dump.sql first, the manifest, the filestore.
    assert_eq!(&archive[..4], b"PK\x03\x04");
    let content = sim::odoo::zip_members(&archive)?;
    let names: Vec<&str> = content.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names[..2], ["dump.sql", "manifest.json"]);
    let attachment = &before["ir.attachment"][0];
    let store_fname = attachment["store_fname"].as_str().unwrap();
    assert_eq!(names[2..], [format!("filestore/{store_fname}")]);
    assert_eq!(content[2].1, b"Hello from the filestore\n");
    assert_eq!(
        attachment["checksum"], "64ab373213ef7b504ea4e97828633b24189651f7",
        "the file's SHA-1"
    );
    assert_eq!(&store_fname[..3], "64/");

    let manifest: Value = serde_json::from_slice(&content[1].1)?;
    let keys: Vec<&str> = manifest.as_object().unwrap().keys().map(String::as_str).collect();
    let mut expected = vec![
        "db_name",
        "major_version",
        "modules",
        "odoo_dump",
        "pg_version",
        "version",
        "version_info",
    ];
    expected.sort_unstable();
    assert_eq!(keys, expected);
    assert_eq!(manifest["odoo_dump"], "1");
    assert_eq!(manifest["db_name"], "acme");
    assert_eq!(manifest["version"], "17.0");
    assert_eq!(manifest["version_info"], json!([17, 0, 0, "final", 0, ""]));
    assert_eq!(manifest["major_version"], "17.0");
    assert_eq!(manifest["pg_version"], "16.0");
    assert_eq!(manifest["modules"]["base"], "17.0.1.3");
    assert_eq!(manifest["modules"]["website"], "17.0.1.0");
    assert_eq!(manifest["modules"]["auth_oauth"], "17.0.1.0");
    assert!(
        manifest["modules"].get("website_sale").is_none(),
        "installed modules only"
    );
    // `json.dump(..., indent=4)`.
    assert!(std::str::from_utf8(&content[1].1)?
        .starts_with("{\n    \"odoo_dump\": \"1\",\n    \"db_name\": \"acme\",\n"));

    let sql = dump_sql(&archive);
    assert!(sql.starts_with("--\n-- PostgreSQL database dump\n--\n"));
    assert!(sql.contains("COPY public.res_partner (id, "));
    assert!(sql.contains("\t\"Ann Example\""));
    assert!(sql.contains("SELECT pg_catalog.setval('public.res_partner_id_seq', "));
    assert!(sql.ends_with("--\n-- PostgreSQL database dump complete\n--\n\n"));

    // The database changes after its backup...
    let partners = execute(
        &served,
        "acme",
        "res.partner",
        "search",
        json!([[["name", "=", "Ann Example"]]]),
        json!({}),
    )
    .await;
    execute(
        &served,
        "acme",
        "res.partner",
        "write",
        json!([partners, {"name": "Ann Changed"}]),
        json!({}),
    )
    .await;
    let bob = execute(
        &served,
        "acme",
        "res.partner",
        "search",
        json!([[["name", "=", "Bob Example"]]]),
        json!({}),
    )
    .await;
    execute(&served, "acme", "res.partner", "unlink", json!([bob]), json!({})).await;
    execute(
        &served,
        "acme",
        "res.partner",
        "create",
        json!([{"name": "Dan After"}]),
        json!({}),
    )
    .await;
    assert_ne!(snapshot(&served, "acme").await, before);

    // ... and its backup restored under another name holds the data as it was.
    let answer = restore(
        &served,
        &[
            ("master_pwd", MASTER_PASSWORD),
            ("name", "acme-restored"),
            ("copy", "false"),
        ],
        Some(&archive),
    )
    .await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert_eq!(answer.headers()[header::LOCATION], "/web/database/manager");
    let mut names = simulator.database_names();
    names.sort();
    assert_eq!(names, ["acme", "acme-restored"]);
    assert_eq!(snapshot(&served, "acme-restored").await, before);
    assert_eq!(simulator.database_lang("acme-restored").as_deref(), Some("fr_FR"));
    // A move keeps the database's uuid, and the users sign in as before.
    let uuid = |name: &'static str| {
        let served = &served;
        async move {
            execute(
                served,
                name,
                "ir.config_parameter",
                "get_param",
                json!(["database.uuid"]),
                json!({}),
            )
            .await
        }
    };
    assert_eq!(uuid("acme-restored").await, uuid("acme").await);
    // Dumped again, the restored database gives the same dump.sql.
    let again = rpc(
        &served,
        "db",
        "dump",
        json!([MASTER_PASSWORD, "acme-restored", "zip"]),
    )
    .await;
    assert_eq!(dump_sql(&unbase64(again["result"].as_str().unwrap())), sql);

    let uid = rpc(
        &served,
        "common",
        "login",
        json!(["acme-restored", "carol@acme.example", "carol-secret"]),
    )
    .await;
    assert!(uid["result"].is_i64(), "{uid}");
    // The id sequences go on from where they were at the backup.
    let next = execute(
        &served,
        "acme-restored",
        "res.partner",
        "create",
        json!([{"name": "Eve"}]),
        json!({}),
    )
    .await;
    let dan = execute(
        &served,
        "acme",
        "res.partner",
        "search",
        json!([[["name", "=", "Dan After"]]]),
        json!({}),
    )
    .await;
    assert_eq!(json!([next]), dan);
    Ok(())
}

#[tokio::test]
async fn a_copy_gets_a_new_uuid_and_a_neutralized_restore_is_flagged_and_disabled() -> TestResult {
    let (_simulator, served) = start().await?;
    shop(&served, "acme").await;
    let websites = execute(&served, "acme", "website", "search", json!([[]]), json!({})).await;
    execute(
        &served,
        "acme",
        "website",
        "write",
        json!([websites, {"domain": "shop.acme.example"}]),
        json!({}),
    )
    .await;
    let archive = backup(&served, MASTER_PASSWORD, "acme", "zip")
        .await
        .bytes()
        .await?
        .to_vec();
    let param = |name: &'static str, key: &'static str| {
        let served = &served;
        async move {
            execute(
                served,
                name,
                "ir.config_parameter",
                "get_param",
                json!([key]),
                json!({}),
            )
            .await
        }
    };

    let answer = restore(
        &served,
        &[
            ("master_pwd", MASTER_PASSWORD),
            ("name", "acme-copy"),
            ("copy", "true"),
        ],
        Some(&archive),
    )
    .await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    let (original, copy) = (
        param("acme", "database.uuid").await,
        param("acme-copy", "database.uuid").await,
    );
    assert_ne!(copy, original);
    // `uuid.uuid1()`: version 1, as `ir.config_parameter.init(force=True)` makes it.
    assert_eq!(copy.as_str().unwrap().len(), 36);
    assert_eq!(&copy.as_str().unwrap()[14..15], "1");
    assert_ne!(
        param("acme-copy", "database.secret").await,
        param("acme", "database.secret").await
    );
    assert_eq!(param("acme-copy", "database.is_neutralized").await, false);
    // `duplicate_database` makes a copy too.
    let duplicated = rpc(
        &served,
        "db",
        "duplicate_database",
        json!([MASTER_PASSWORD, "acme", "acme-duplicate"]),
    )
    .await;
    assert_eq!(duplicated["result"], true);
    assert_ne!(param("acme-duplicate", "database.uuid").await, original);

    let answer = restore(
        &served,
        &[
            ("master_pwd", MASTER_PASSWORD),
            ("name", "acme-staging"),
            ("copy", "true"),
            ("neutralize_database", "on"),
        ],
        Some(&archive),
    )
    .await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert_eq!(param("acme-staging", "database.is_neutralized").await, "true");
    let providers = execute(
        &served,
        "acme-staging",
        "auth.oauth.provider",
        "search_read",
        json!([[]]),
        json!({"fields": ["enabled"]}),
    )
    .await;
    assert_eq!(providers.as_array().unwrap().len(), 4);
    assert!(
        providers
            .as_array()
            .unwrap()
            .iter()
            .all(|provider| provider["enabled"] == false),
        "auth_oauth's neutralize.sql: {providers}"
    );
    let websites = execute(
        &served,
        "acme-staging",
        "website",
        "search_read",
        json!([[]]),
        json!({"fields": ["domain"]}),
    )
    .await;
    assert_eq!(websites[0]["domain"], false, "website's neutralize.sql");
    let websites = execute(
        &served,
        "acme",
        "website",
        "search_read",
        json!([[]]),
        json!({"fields": ["domain"]}),
    )
    .await;
    assert_eq!(websites[0]["domain"], "https://shop.acme.example");
    Ok(())
}

#[tokio::test]
async fn a_wrong_master_password_or_an_unknown_database_is_the_manager_page_with_the_error() -> TestResult {
    let (simulator, served) = start().await?;
    shop(&served, "acme").await;

    let answer = backup(&served, "not-the-master", "acme", "zip").await;
    assert_eq!(answer.status(), StatusCode::OK);
    assert!(answer.headers()[header::CONTENT_TYPE]
        .to_str()?
        .starts_with("text/html"));
    let page = answer.text().await?;
    assert!(page.contains("<title>Odoo</title>"));
    assert_eq!(alert(&page), "Database backup error: Access Denied");
    // The manager lists the databases the host reaches.
    assert!(page.contains("<a href=\"/web?db=acme\""));

    let page = backup(&served, MASTER_PASSWORD, "nope", "zip")
        .await
        .text()
        .await?;
    assert_eq!(
        alert(&page),
        "Database backup error: connection to server on socket &quot;/var/run/postgresql/.s.PGSQL.5432&quot; failed: FATAL:  database &quot;nope&quot; does not exist\n"
    );
    // pg_dump's custom format of an unknown database: nothing, and no error.
    let answer = backup(&served, MASTER_PASSWORD, "nope", "dump").await;
    assert_eq!(answer.status(), StatusCode::OK);
    assert!(answer.headers()[header::CONTENT_DISPOSITION]
        .to_str()?
        .ends_with(".dump"));
    assert!(answer.bytes().await?.is_empty());

    let archive = backup(&served, MASTER_PASSWORD, "acme", "zip")
        .await
        .bytes()
        .await?
        .to_vec();
    let page = restore(
        &served,
        &[("master_pwd", "not-the-master"), ("name", "acme2")],
        Some(&archive),
    )
    .await
    .text()
    .await?;
    assert_eq!(alert(&page), "Database restore error: Access Denied");
    assert_eq!(simulator.database_names(), ["acme"]);

    // `str2bool(copy)` knows its words only.
    let page = restore(
        &served,
        &[
            ("master_pwd", MASTER_PASSWORD),
            ("name", "acme2"),
            ("copy", "maybe"),
        ],
        Some(&archive),
    )
    .await
    .text()
    .await?;
    assert_eq!(
        alert(&page),
        "Database restore error: Use 0/1/yes/no/true/false/on/off"
    );
    assert_eq!(simulator.database_names(), ["acme"]);

    // An existing name is refused before anything is created.
    let page = restore(
        &served,
        &[("master_pwd", MASTER_PASSWORD), ("name", "acme")],
        Some(&archive),
    )
    .await
    .text()
    .await?;
    assert_eq!(alert(&page), "Database restore error: Database already exists");

    // Without `list_db`, `dump_db` and `restore_db` refuse.
    simulator.set_list_db(false);
    let page = backup(&served, MASTER_PASSWORD, "acme", "zip")
        .await
        .text()
        .await?;
    assert_eq!(alert(&page), "Database backup error: Access Denied");
    assert!(page.contains("The database manager has been disabled by the administrator"));
    simulator.set_list_db(true);

    // A form without a required field is Python's TypeError: werkzeug's 500;
    // the routes are POST only.
    let answer = http()
        .post(format!("{}/web/database/backup", served.url()))
        .form(&[("master_pwd", MASTER_PASSWORD)])
        .send()
        .await?;
    assert_eq!(answer.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let answer = restore(&served, &[("master_pwd", MASTER_PASSWORD), ("name", "x")], None).await;
    assert_eq!(answer.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let answer = http()
        .get(format!("{}/web/database/backup", served.url()))
        .send()
        .await?;
    assert_eq!(answer.status(), StatusCode::METHOD_NOT_ALLOWED);
    Ok(())
}

/// An archive like `zip_dir`'s, of these members.
fn rezip(archive: &[u8], keep: impl Fn(&str) -> bool) -> Vec<u8> {
    // Stored members: the local headers, then the central directory.
    let mut out = Vec::new();
    let mut central = Vec::new();
    let mut count = 0u16;
    for (name, data) in sim::odoo::zip_members(archive).unwrap() {
        if !keep(&name) {
            continue;
        }
        let crc = crc32(&data);
        let offset = out.len() as u32;
        let mut header = Vec::new();
        header.extend_from_slice(&20u16.to_le_bytes());
        header.extend_from_slice(&0u16.to_le_bytes());
        header.extend_from_slice(&0u16.to_le_bytes());
        header.extend_from_slice(&0u32.to_le_bytes());
        header.extend_from_slice(&crc.to_le_bytes());
        header.extend_from_slice(&(data.len() as u32).to_le_bytes());
        header.extend_from_slice(&(data.len() as u32).to_le_bytes());
        header.extend_from_slice(&(name.len() as u16).to_le_bytes());
        header.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        out.extend_from_slice(&header);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&data);
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&20u16.to_le_bytes());
        central.extend_from_slice(&header);
        // Comment length, disk, internal and external attributes.
        central.extend_from_slice(&[0; 10]);
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
        count += 1;
    }
    let central_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&central_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[tokio::test]
async fn a_corrupt_or_incomplete_backup_is_refused_as_odoo_refuses_it() -> TestResult {
    let (simulator, served) = start().await?;
    shop(&served, "acme").await;
    let archive = backup(&served, MASTER_PASSWORD, "acme", "zip")
        .await
        .bytes()
        .await?
        .to_vec();
    let attempt = |name: &'static str, data: Vec<u8>| {
        let served = &served;
        async move {
            let answer = restore(
                served,
                &[("master_pwd", MASTER_PASSWORD), ("name", name)],
                Some(&data),
            )
            .await;
            (answer.status(), answer.text().await.unwrap())
        }
    };

    // Not a zip: `pg_restore` refuses it, after the database was created.
    let (status, page) = attempt("garbage", b"this is no backup".to_vec()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        alert(&page),
        "Database restore error: Couldn&#x27;t restore database"
    );
    assert!(
        simulator.database_names().contains(&"garbage".to_owned()),
        "left behind, empty"
    );
    let exists = rpc(&served, "db", "db_exist", json!(["garbage"])).await;
    assert_eq!(exists["result"], true);
    assert!(page.contains("title=\"This database may not be compatible\""));
    let (_, page) = attempt("garbage", archive.clone()).await;
    assert_eq!(alert(&page), "Database restore error: Database already exists");
    let page = backup(&served, MASTER_PASSWORD, "garbage", "zip")
        .await
        .text()
        .await?;
    assert_eq!(
        alert(&page),
        "Database backup error: relation &quot;ir_module_module&quot; does not exist\n"
    );

    // No dump.sql: `extractall` raises KeyError.
    let (_, page) = attempt("no-dump", rezip(&archive, |name| name != "dump.sql")).await;
    assert_eq!(
        alert(&page),
        "Database restore error: &quot;There is no item named &#x27;dump.sql&#x27; in the archive&quot;"
    );
    // No manifest: Odoo never reads it, the restore goes through.
    let answer = restore(
        &served,
        &[("master_pwd", MASTER_PASSWORD), ("name", "no-manifest")],
        Some(&rezip(&archive, |name| name != "manifest.json")),
    )
    .await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        snapshot(&served, "no-manifest").await,
        snapshot(&served, "acme").await
    );

    // A damaged member: zipfile checks its CRC-32.
    let mut damaged = rezip(&archive, |_| true);
    let at = damaged
        .windows(11)
        .position(|window| window == b"PostgreSQL ")
        .unwrap();
    damaged[at] = b'p';
    let (_, page) = attempt("damaged", damaged).await;
    assert_eq!(
        alert(&page),
        "Database restore error: Bad CRC-32 for file &#x27;dump.sql&#x27;"
    );

    // Through the db service: the exceptions themselves.
    let answer = rpc(
        &served,
        "db",
        "restore",
        json!([
            MASTER_PASSWORD,
            "no-dump-rpc",
            base64(&rezip(&archive, |name| name != "dump.sql"))
        ]),
    )
    .await;
    assert_eq!(answer["error"]["data"]["name"], "builtins.KeyError");
    assert_eq!(
        answer["error"]["data"]["message"],
        "\"There is no item named 'dump.sql' in the archive\""
    );
    let answer = rpc(
        &served,
        "db",
        "restore",
        json!([MASTER_PASSWORD, "acme", base64(&archive)]),
    )
    .await;
    assert_eq!(answer["error"]["data"]["name"], "builtins.Exception");
    assert_eq!(answer["error"]["data"]["message"], "Database already exists");
    let answer = rpc(
        &served,
        "db",
        "restore",
        json!([MASTER_PASSWORD, "bad-base64", "abc"]),
    )
    .await;
    assert_eq!(answer["error"]["data"]["name"], "binascii.Error");
    assert_eq!(answer["error"]["data"]["message"], "Incorrect padding");
    assert!(
        !simulator.database_names().contains(&"bad-base64".to_owned()),
        "decoded before anything"
    );
    Ok(())
}

#[tokio::test]
async fn the_db_service_dumps_and_restores_in_base64_over_json_and_xml_rpc() -> TestResult {
    let (simulator, served) = start().await?;
    shop(&served, "acme").await;
    let before = snapshot(&served, "acme").await;

    let dump = rpc(&served, "db", "dump", json!([MASTER_PASSWORD, "acme", "zip"])).await;
    let archive = unbase64(dump["result"].as_str().unwrap());
    assert!(members(&archive).contains_key("manifest.json"));
    let restored = rpc(
        &served,
        "db",
        "restore",
        json!([MASTER_PASSWORD, "acme-rpc", base64(&archive), true]),
    )
    .await;
    assert_eq!(restored["result"], true);
    let after = snapshot(&served, "acme-rpc").await;
    let without_parameters = |mut data: BTreeMap<&'static str, Value>| {
        data.remove("ir.config_parameter");
        data
    };
    assert_eq!(without_parameters(after), without_parameters(before.clone()));

    // pg_dump's custom format goes through pg_restore; it has no
    // filestore, so the attachment's file is missing there.
    let dump = rpc(&served, "db", "dump", json!([MASTER_PASSWORD, "acme", "dump"])).await;
    let custom = unbase64(dump["result"].as_str().unwrap());
    assert!(custom.starts_with(b"PGDMP"));
    let restored = rpc(
        &served,
        "db",
        "restore",
        json!([MASTER_PASSWORD, "acme-custom", base64(&custom)]),
    )
    .await;
    assert_eq!(restored["result"], true);
    let mut expected = before.clone();
    expected.get_mut("ir.attachment").unwrap()[0]["datas"] = json!(false);
    assert_eq!(snapshot(&served, "acme-custom").await, expected);

    // `exp_dump(db_name, format)`: the format is required.
    let answer = rpc(&served, "db", "dump", json!([MASTER_PASSWORD, "acme"])).await;
    assert_eq!(
        answer["error"]["data"]["message"],
        "exp_dump() missing 1 required positional argument: 'format'"
    );
    let answer = rpc(&served, "db", "dump", json!(["not-the-master", "acme", "zip"])).await;
    assert_eq!(answer["error"]["data"]["name"], "odoo.exceptions.AccessDenied");
    let answer = rpc(&served, "db", "dump", json!([MASTER_PASSWORD, "nope", "zip"])).await;
    assert_eq!(answer["error"]["data"]["name"], "psycopg2.OperationalError");

    // XML-RPC: the same dump, as a string.
    let call = format!(
        "<?xml version='1.0'?>\n<methodCall>\n<methodName>dump</methodName>\n<params>\n<param>\n<value><string>{MASTER_PASSWORD}</string></value>\n</param>\n<param>\n<value><string>acme</string></value>\n</param>\n<param>\n<value><string>zip</string></value>\n</param>\n</params>\n</methodCall>\n"
    );
    let answer = http()
        .post(format!("{}/xmlrpc/2/db", served.url()))
        .header(header::CONTENT_TYPE, "text/xml")
        .body(call)
        .send()
        .await?
        .text()
        .await?;
    let encoded = answer
        .split("<string>")
        .nth(1)
        .and_then(|rest| rest.split("</string>").next())
        .unwrap();
    assert_eq!(dump_sql(&unbase64(encoded)), dump_sql(&archive));
    let mut names = simulator.database_names();
    names.sort();
    assert_eq!(names, ["acme", "acme-custom", "acme-rpc"]);
    Ok(())
}

#[tokio::test]
async fn injected_faults_fail_backups_and_restores_as_the_proxy_would() -> TestResult {
    let (simulator, served) = start().await?;
    shop(&served, "acme").await;
    let once = |status: u16| Fault {
        status: Some(status),
        times: Some(1),
        ..Fault::default()
    };

    set_fault(&served, "web.database.backup", once(502)).await?;
    let answer = backup(&served, MASTER_PASSWORD, "acme", "zip").await;
    assert_eq!(answer.status(), StatusCode::BAD_GATEWAY);
    assert!(answer.text().await?.contains("<center>nginx</center>"));
    let archive = backup(&served, MASTER_PASSWORD, "acme", "zip").await;
    assert_eq!(archive.status(), StatusCode::OK);
    let archive = archive.bytes().await?.to_vec();

    set_fault(&served, "web.database.restore", once(504)).await?;
    let answer = restore(
        &served,
        &[("master_pwd", MASTER_PASSWORD), ("name", "acme2")],
        Some(&archive),
    )
    .await;
    assert_eq!(answer.status(), StatusCode::GATEWAY_TIMEOUT);
    assert!(
        !simulator.database_names().contains(&"acme2".to_owned()),
        "nothing restored"
    );
    let answer = restore(
        &served,
        &[("master_pwd", MASTER_PASSWORD), ("name", "acme2")],
        Some(&archive),
    )
    .await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);

    set_fault(&served, "db.dump", once(503)).await?;
    let answer = http()
        .post(format!("{}/jsonrpc", served.url()))
        .json(&json!({"jsonrpc": "2.0", "method": "call", "params": {"service": "db", "method": "dump", "args": [MASTER_PASSWORD, "acme", "zip"]}, "id": 1}))
        .send()
        .await?;
    assert_eq!(answer.status(), StatusCode::SERVICE_UNAVAILABLE);
    set_fault(&served, "db.restore", once(503)).await?;
    let answer = http()
        .post(format!("{}/jsonrpc", served.url()))
        .json(&json!({"jsonrpc": "2.0", "method": "call", "params": {"service": "db", "method": "restore", "args": [MASTER_PASSWORD, "acme3", base64(&archive)]}, "id": 1}))
        .send()
        .await?;
    assert_eq!(answer.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(!simulator.database_names().contains(&"acme3".to_owned()));
    let dump = rpc(&served, "db", "dump", json!([MASTER_PASSWORD, "acme", "zip"])).await;
    assert!(dump["result"].is_string(), "the fault was for one call");
    Ok(())
}
