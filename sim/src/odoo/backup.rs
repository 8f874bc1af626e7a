//! Odoo 17's database backups (odoo/service/db.py): `dump_db` and
//! `restore_db`, behind the `db` service's `dump` and `restore` and the
//! database manager's `/web/database/backup` and `/web/database/restore`
//! (`database_manager.rs`).
//!
//! A `zip` backup is what `dump_db` zips: `dump.sql` (`pg_dump
//! --no-owner`'s plain SQL: here every table of the simulated database, a
//! `jsonb` column per field so that each value comes back exactly, with
//! its id sequence), `manifest.json` (`dump_db_manifest`, written by
//! `json.dump(..., indent=4)`) and `filestore/` (the database's files). Any
//! other format is `pg_dump --format=c`'s archive, which the simulator
//! stands in for with the archive's `PGDMP` header followed by the same SQL.
//!
//! `restore_db` creates the database first, then reads the backup: a zip
//! (found by `zipfile.is_zipfile`) has its `dump.sql` and `filestore/`
//! members extracted (no `dump.sql`: `KeyError`; `manifest.json` is never
//! read) and the SQL run as `psql -q -f` runs it (a statement that fails
//! does not stop the others); anything else goes to `pg_restore`, which
//! refuses what is not its archive ("Couldn't restore database"). A failed
//! restore leaves the new, empty database behind, as Odoo's does. A copy
//! (`copy=True`) gets new `ir.config_parameter` defaults (a new
//! `database.uuid`); `neutralize_database` runs the installed modules'
//! `data/neutralize.sql`.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{
    database::{at, truthy, Database, Record, Table},
    error::{ExceptionClass, OdooError, OdooResult},
    schema::{LANGUAGES, MODELS},
    service::{self, Server},
    zip::{self, Archive, Entry, ZipError},
};

/// The PostgreSQL the simulated Odoo runs on: `server_version` 160004.
const PG_SERVER_VERSION: &str = "16.4";
/// `dump_db_manifest`'s `pg_version`: `"%d.%d" % divmod(160004 / 100, 100)`.
const PG_VERSION: &str = "16.0";
/// `pg_dump --format=c`'s header: `PGDMP`, archive version 1.15.0, the
/// sizes of an int and an offset, and `K_FMT_CUSTOM`.
const CUSTOM_HEADER: &[u8] = b"PGDMP\x01\x0f\x00\x04\x08\x01";
/// `res_lang`: the simulator keeps a database's language aside from its
/// models; the dump writes it as Odoo's table of active languages.
const LANG_TABLE: &str = "res_lang";

impl Server {
    /// `dump_db(name, stream, backup_format)` (`check_db_management_enabled`).
    pub fn dump_database(&self, name: &str, format: &str) -> OdooResult<Vec<u8>> {
        if !self.list_db {
            return Err(OdooError::access_denied());
        }
        let database = self.databases.get(name);
        if format != "zip" {
            // `pg_dump` of a database that does not exist writes nothing,
            // and nobody checks its exit status.
            return Ok(database.map(custom_archive).unwrap_or_default());
        }
        let database = database.ok_or_else(|| OdooError::no_database(name))?;
        // `dump_db_manifest` reads `ir_module_module`.
        if !database.tables().contains_key("ir.module.module") {
            return Err(undefined_table("ir_module_module"));
        }
        let sql = dump_sql(database);
        let manifest = manifest(name, database);
        let mut entries = vec![
            Entry {
                name: "dump.sql",
                data: sql.as_bytes(),
            },
            Entry {
                name: "manifest.json",
                data: manifest.as_bytes(),
            },
        ];
        let files: Vec<(String, &Vec<u8>)> = database
            .filestore
            .iter()
            .map(|(path, data)| (format!("filestore/{path}"), data))
            .collect();
        entries.extend(files.iter().map(|(path, data)| Entry { name: path, data }));
        Ok(zip::write(&entries, time::OffsetDateTime::now_utc()))
    }

    /// `restore_db(name, dump_file, copy, neutralize_database)`.
    pub fn restore_database(
        &mut self,
        name: &str,
        backup: &[u8],
        copy: bool,
        neutralize: bool,
    ) -> OdooResult<()> {
        if !self.list_db {
            return Err(OdooError::access_denied());
        }
        // `exp_db_exist('')` connects to the user's own database.
        if name.is_empty() || self.databases.contains_key(name) {
            return Err(OdooError::new(
                ExceptionClass::Exception,
                "Database already exists",
            ));
        }
        // `_create_empty_database`: there from now on, whatever follows.
        self.databases.insert(name.to_owned(), Database::default());
        let (sql, filestore) = if zip::is_zipfile(backup) {
            let archive = Archive::open(backup).map_err(zip_error)?;
            let mut members = vec!["dump.sql".to_owned()];
            members.extend(
                archive
                    .names()
                    .filter(|member| member.starts_with("filestore/"))
                    .map(str::to_owned),
            );
            let mut extracted = archive.extract(&members).map_err(zip_error)?;
            let sql = extracted.remove("dump.sql").unwrap_or_default();
            let filestore: BTreeMap<String, Vec<u8>> = extracted
                .into_iter()
                .filter_map(|(member, data)| {
                    let path = member.strip_prefix("filestore/")?;
                    (!path.is_empty() && !path.ends_with('/')).then(|| (path.to_owned(), data))
                })
                .collect();
            (sql, filestore)
        } else {
            // `pg_restore --no-owner`: its own archives only.
            let sql = backup
                .strip_prefix(CUSTOM_HEADER)
                .ok_or_else(|| OdooError::new(ExceptionClass::Exception, "Couldn't restore database"))?;
            (sql.to_vec(), BTreeMap::new())
        };
        let mut database = load_sql(&String::from_utf8_lossy(&sql));
        database.filestore = filestore;
        // `Registry.new(db)`: a database without `base` loads no model.
        let initialized = database.tables().contains_key("ir.module.module");
        if copy {
            if !initialized {
                self.databases.insert(name.to_owned(), database);
                return Err(OdooError::key_error("ir.config_parameter"));
            }
            database.init_parameters(true);
        }
        if neutralize {
            if !initialized {
                self.databases.insert(name.to_owned(), database);
                return Err(undefined_table("ir_module_module"));
            }
            neutralize_database(&mut database);
        }
        self.databases.insert(name.to_owned(), database);
        Ok(())
    }
}

/// PostgreSQL's refusal of a query on a table the database lacks (its
/// first line: the simulator has no query text to quote).
fn undefined_table(table: &str) -> OdooError {
    OdooError::new(
        ExceptionClass::UndefinedTable,
        format!("relation \"{table}\" does not exist\n"),
    )
}

/// What `zipfile` raised, as the service reports it.
fn zip_error(error: ZipError) -> OdooError {
    let class = match error {
        ZipError::BadZipFile(_) => ExceptionClass::BadZipFile,
        ZipError::NoSuchMember(_) => ExceptionClass::KeyError,
        ZipError::UnsupportedCompression => ExceptionClass::NotImplementedError,
        ZipError::Encrypted(_) => ExceptionClass::RuntimeError,
        ZipError::Zlib(_) => ExceptionClass::ZlibError,
        ZipError::Truncated => ExceptionClass::EofError,
    };
    OdooError::new(class, error.argument())
}

/// `odoo.modules.neutralize.neutralize_database`: each installed module's
/// `data/neutralize.sql`, for what the simulator keeps of it.
pub fn neutralize_database(database: &mut Database) {
    let installed = |database: &Database, module: &str| {
        database.table("ir.module.module").any(|(_, record)| {
            at(record, "name") == module
                && matches!(
                    at(record, "state").as_str(),
                    Some("installed" | "to upgrade" | "to remove")
                )
        })
    };
    // base: "neutralization flag for the database".
    database.set_parameter("database.is_neutralized", Some("true"));
    if installed(database, "mail") {
        for key in [
            "mail.web_push_vapid_private_key",
            "mail.web_push_vapid_public_key",
            "mail.sfu_server_key",
        ] {
            database.set_parameter(key, None);
        }
    }
    let set_all = |database: &mut Database, model: &str, field: &str, value: Value| {
        let ids: Vec<i64> = database.table(model).map(|(id, _)| *id).collect();
        for id in ids {
            if let Some(record) = database.get_mut(model, id) {
                record.insert(field.to_owned(), value.clone());
            }
        }
    };
    if installed(database, "auth_oauth") {
        set_all(database, "auth.oauth.provider", "enabled", json!(false));
    }
    if installed(database, "website") {
        set_all(database, "website", "domain", json!(false));
    }
}

/// `dump_db_manifest(cr)` as `json.dump(manifest, fh, indent=4)` writes
/// it: its keys in the order the dict is built, `modules` in the order
/// PostgreSQL returns the installed ones (here by id).
pub fn manifest(name: &str, database: &Database) -> String {
    let info = service::version();
    let members = [
        ("odoo_dump", json!("1")),
        ("db_name", json!(name)),
        ("version", info["server_version"].clone()),
        ("version_info", info["server_version_info"].clone()),
        ("major_version", info["server_serie"].clone()),
        ("pg_version", json!(PG_VERSION)),
    ];
    let mut out = String::from("{\n");
    for (key, value) in &members {
        out.push_str("    ");
        python_json_string(&mut out, key);
        out.push_str(": ");
        python_json(&mut out, value, 1);
        out.push_str(",\n");
    }
    out.push_str("    \"modules\": ");
    let modules: Vec<&str> = database
        .table("ir.module.module")
        .filter(|(_, module)| at(module, "state") == "installed")
        .filter_map(|(_, module)| at(module, "name").as_str())
        .collect();
    if modules.is_empty() {
        out.push_str("{}");
    } else {
        out.push_str("{\n");
        for (index, module) in modules.iter().enumerate() {
            if index > 0 {
                out.push_str(",\n");
            }
            out.push_str("        ");
            python_json_string(&mut out, module);
            out.push_str(": ");
            python_json_string(&mut out, &latest_version(module));
        }
        out.push_str("\n    }");
    }
    out.push_str("\n}");
    out
}

/// `ir.module.module.latest_version`: `adapt_version` of the manifest's
/// `version` (Odoo 17's modules; `1.0` for those that give none).
fn latest_version(module: &str) -> String {
    let version = match module {
        "base" => "1.3",
        "mail" => "1.15",
        "product" | "account" | "sale" | "website_forum" => "1.2",
        "sales_team" | "rating" | "website_sale" | "stock" | "website_blog" => "1.1",
        "payment" => "2.0",
        "website_mail" | "website_partner" => "0.1",
        "website_slides" => "2.7",
        "survey" => "3.6",
        // OCA's manifests give the series already.
        "auth_oidc" => return format!("{}.1.0.0", service::VERSION),
        _ => "1.0",
    };
    format!("{}.{version}", service::VERSION)
}

/// Python's `json.dump(value, indent=indent)` (`ensure_ascii`, `", "`
/// and `": "` separators, a line for each item).
fn python_json(out: &mut String, value: &Value, depth: usize) {
    let indent = |depth: usize| "    ".repeat(depth);
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(flag) => out.push_str(if *flag { "true" } else { "false" }),
        Value::Number(number) => out.push_str(&number.to_string()),
        Value::String(text) => python_json_string(out, text),
        Value::Array(items) if items.is_empty() => out.push_str("[]"),
        Value::Object(members) if members.is_empty() => out.push_str("{}"),
        Value::Array(items) => {
            out.push_str("[\n");
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push_str(",\n");
                }
                out.push_str(&indent(depth + 1));
                python_json(out, item, depth + 1);
            }
            out.push('\n');
            out.push_str(&indent(depth));
            out.push(']');
        }
        Value::Object(members) => {
            out.push_str("{\n");
            for (index, (key, item)) in members.iter().enumerate() {
                if index > 0 {
                    out.push_str(",\n");
                }
                out.push_str(&indent(depth + 1));
                python_json_string(out, key);
                out.push_str(": ");
                python_json(out, item, depth + 1);
            }
            out.push('\n');
            out.push_str(&indent(depth));
            out.push('}');
        }
    }
}

fn python_json_string(out: &mut String, text: &str) {
    json_string(out, text, true);
}

/// A JSON string: Python's `json.dump` (`ascii_only`: every other
/// character as `\uXXXX`, surrogate pairs included) or PostgreSQL's jsonb
/// output (control characters only).
fn json_string(out: &mut String, text: &str, ascii_only: bool) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            c if ascii_only || u32::from(c) < 0x20 => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `pg_dump --format=c`'s archive, as the simulator writes it.
fn custom_archive(database: &Database) -> Vec<u8> {
    let mut archive = CUSTOM_HEADER.to_vec();
    archive.extend_from_slice(dump_sql(database).as_bytes());
    archive
}

/// The table a model's records are in (`_table`).
fn table_name(model: &str) -> String {
    model.replace('.', "_")
}

/// An identifier as pg_dump writes it: quoted when not plain lower case,
/// or a reserved word.
fn identifier(name: &str) -> String {
    const RESERVED: &[&str] = &[
        "all",
        "analyse",
        "analyze",
        "and",
        "any",
        "array",
        "as",
        "asc",
        "asymmetric",
        "both",
        "case",
        "cast",
        "check",
        "collate",
        "column",
        "constraint",
        "create",
        "current_catalog",
        "current_date",
        "current_role",
        "current_time",
        "current_timestamp",
        "current_user",
        "default",
        "deferrable",
        "desc",
        "distinct",
        "do",
        "else",
        "end",
        "except",
        "false",
        "fetch",
        "for",
        "foreign",
        "from",
        "grant",
        "group",
        "having",
        "in",
        "initially",
        "intersect",
        "into",
        "lateral",
        "leading",
        "limit",
        "localtime",
        "localtimestamp",
        "not",
        "null",
        "offset",
        "on",
        "only",
        "or",
        "order",
        "placing",
        "primary",
        "references",
        "returning",
        "select",
        "session_user",
        "some",
        "symmetric",
        "system_user",
        "table",
        "then",
        "to",
        "trailing",
        "true",
        "union",
        "unique",
        "user",
        "using",
        "variadic",
        "when",
        "where",
        "window",
        "with",
    ];
    let plain = name
        .chars()
        .next()
        .is_some_and(|first| first.is_ascii_lowercase() || first == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain && !RESERVED.contains(&name) {
        name.to_owned()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// An identifier as written by [`identifier`], back to its name.
fn unquote(name: &str) -> String {
    match name.strip_prefix('"').and_then(|name| name.strip_suffix('"')) {
        Some(quoted) => quoted.replace("\"\"", "\""),
        None => name.to_owned(),
    }
}

/// A value as PostgreSQL prints a `jsonb`.
fn jsonb(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(flag) => out.push_str(if *flag { "true" } else { "false" }),
        Value::Number(number) => out.push_str(&number.to_string()),
        Value::String(text) => json_string(out, text, false),
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                jsonb(out, item);
            }
            out.push(']');
        }
        Value::Object(members) => {
            // jsonb keeps its keys shortest first, then in byte order.
            let mut keys: Vec<&String> = members.keys().collect();
            keys.sort_by(|left, right| left.len().cmp(&right.len()).then_with(|| left.cmp(right)));
            out.push('{');
            for (index, key) in keys.into_iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                jsonb(out, &Value::String(key.clone()));
                out.push_str(": ");
                jsonb(out, &members[key.as_str()]);
            }
            out.push('}');
        }
    }
}

/// A field of `COPY ... FROM stdin`'s text format.
fn copy_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out
}

/// A field of `COPY`'s text format back to its text; `None` for `\N`.
fn copy_unescape(field: &str) -> Option<String> {
    if field == "\\N" {
        return None;
    }
    let mut out = String::with_capacity(field.len());
    let mut chars = field.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some('v') => out.push('\u{b}'),
            Some(digit @ '0'..='7') => {
                let mut code = digit.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    match chars.peek().and_then(|next| next.to_digit(8)) {
                        Some(next) => {
                            code = code * 8 + next;
                            chars.next();
                        }
                        None => break,
                    }
                }
                out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    Some(out)
}

/// The columns of a table: every field any of its records holds, sorted.
fn columns(table: &Table) -> Vec<&str> {
    let mut columns: Vec<&str> = table
        .values()
        .flat_map(|record| record.keys().map(String::as_str))
        .filter(|column| *column != "id")
        .collect();
    columns.sort_unstable();
    columns.dedup();
    columns
}

/// One block of pg_dump's output: its comment, the statement, two blank lines.
fn block(out: &mut String, name: &str, kind: &str, statement: &str) {
    out.push_str(&format!(
        "--\n-- {name}; Type: {kind}; Schema: public; Owner: -\n--\n\n{statement}\n\n\n"
    ));
}

/// `pg_dump --no-owner <db>`: a deterministic plain-SQL dump of every
/// table, its rows by id, and every id sequence.
pub fn dump_sql(database: &Database) -> String {
    let mut out = format!(
        "--\n-- PostgreSQL database dump\n--\n\n-- Dumped from database version {PG_SERVER_VERSION}\n-- Dumped by pg_dump version {PG_SERVER_VERSION}\n\n\
         SET statement_timeout = 0;\nSET lock_timeout = 0;\nSET idle_in_transaction_session_timeout = 0;\n\
         SET client_encoding = 'UTF8';\nSET standard_conforming_strings = on;\n\
         SELECT pg_catalog.set_config('search_path', '', false);\nSET check_function_bodies = false;\n\
         SET xmloption = content;\nSET client_min_messages = warning;\nSET row_security = off;\n\n\
         SET default_tablespace = '';\n\nSET default_table_access_method = heap;\n\n"
    );
    // Every table, the simulator's language as `res_lang`, by table name.
    let mut tables: BTreeMap<String, (Option<&str>, Vec<&str>)> = BTreeMap::new();
    for (model, table) in database.tables() {
        tables.insert(table_name(model), (Some(model), columns(table)));
    }
    let languages = active_languages(&database.lang);
    if !languages.is_empty() {
        tables.insert(LANG_TABLE.to_owned(), (None, vec!["active", "code", "name"]));
    }
    let sequences: BTreeMap<String, i64> = database
        .next_ids()
        .iter()
        .map(|(model, next)| (format!("{}_id_seq", table_name(model)), *next))
        .collect();

    for (table, (model, columns)) in &tables {
        let mut statement = format!(
            "CREATE TABLE public.{} (\n    id integer NOT NULL",
            identifier(table)
        );
        for column in columns {
            statement.push_str(&format!(",\n    {} jsonb", identifier(column)));
        }
        statement.push_str("\n);");
        block(&mut out, &format!("Name: {table}"), "TABLE", &statement);
        let sequence = format!("{table}_id_seq");
        if model.is_some() && sequences.contains_key(&sequence) {
            create_sequence(&mut out, &sequence);
            block(
                &mut out,
                &format!("Name: {sequence}"),
                "SEQUENCE OWNED BY",
                &format!(
                    "ALTER SEQUENCE public.{sequence} OWNED BY public.{}.id;",
                    identifier(table)
                ),
            );
        }
    }
    // Sequences of models without a table (their table dropped, or never made).
    for sequence in sequences.keys() {
        let owned = sequence
            .strip_suffix("_id_seq")
            .is_some_and(|table| tables.contains_key(table));
        if !owned {
            create_sequence(&mut out, sequence);
        }
    }
    for table in tables.keys() {
        let sequence = format!("{table}_id_seq");
        if sequences.contains_key(&sequence) {
            block(
                &mut out,
                &format!("Name: {table} id"),
                "DEFAULT",
                &format!(
                    "ALTER TABLE ONLY public.{} ALTER COLUMN id SET DEFAULT nextval('public.{sequence}'::regclass);",
                    identifier(table)
                ),
            );
        }
    }
    for (table, (model, columns)) in &tables {
        let mut copy = format!("COPY public.{} (id", identifier(table));
        for column in columns {
            copy.push_str(", ");
            copy.push_str(&identifier(column));
        }
        copy.push_str(") FROM stdin;\n");
        let rows: Vec<(i64, Record)> = match model {
            Some(model) => database
                .table(model)
                .map(|(id, record)| (*id, record.clone()))
                .collect(),
            None => languages.clone(),
        };
        for (id, record) in &rows {
            copy.push_str(&id.to_string());
            for column in columns {
                copy.push('\t');
                match record.get(*column) {
                    None => copy.push_str("\\N"),
                    Some(value) => {
                        let mut text = String::new();
                        jsonb(&mut text, value);
                        copy.push_str(&copy_escape(&text));
                    }
                }
            }
            copy.push('\n');
        }
        copy.push_str("\\.");
        block(&mut out, &format!("Data for Name: {table}"), "TABLE DATA", &copy);
    }
    for (sequence, next) in &sequences {
        let set = if *next > 1 {
            format!(
                "SELECT pg_catalog.setval('public.{sequence}', {}, true);",
                next - 1
            )
        } else {
            format!("SELECT pg_catalog.setval('public.{sequence}', {next}, false);")
        };
        block(&mut out, &format!("Name: {sequence}"), "SEQUENCE SET", &set);
    }
    for table in tables.keys() {
        block(
            &mut out,
            &format!("Name: {table} {table}_pkey"),
            "CONSTRAINT",
            &format!(
                "ALTER TABLE ONLY public.{}\n    ADD CONSTRAINT {} PRIMARY KEY (id);",
                identifier(table),
                identifier(&format!("{table}_pkey"))
            ),
        );
    }
    out.push_str("--\n-- PostgreSQL database dump complete\n--\n\n");
    out
}

fn create_sequence(out: &mut String, sequence: &str) {
    block(
        out,
        &format!("Name: {sequence}"),
        "SEQUENCE",
        &format!(
            "CREATE SEQUENCE public.{sequence}\n    AS integer\n    START WITH 1\n    INCREMENT BY 1\n    NO MINVALUE\n    NO MAXVALUE\n    CACHE 1;"
        ),
    );
}

/// `res_lang`'s active rows: English, always there, and the database's own.
fn active_languages(lang: &str) -> Vec<(i64, Record)> {
    let row = |code: &str| {
        let name = LANGUAGES
            .iter()
            .find(|(known, _)| *known == code)
            .map_or(code, |(_, name)| name);
        let mut record = Record::new();
        record.insert("active".to_owned(), json!(true));
        record.insert("code".to_owned(), json!(code));
        record.insert("name".to_owned(), json!(name));
        record
    };
    match lang {
        "" => Vec::new(),
        "en_US" => vec![(1, row("en_US"))],
        other => vec![(1, row("en_US")), (2, row(other))],
    }
}

/// A `COPY` being read: its table and columns, its rows so far.
struct Copy {
    table: String,
    columns: Vec<String>,
    rows: Vec<(i64, Record)>,
    failed: bool,
}

/// `psql -q -f dump.sql` into an empty database: the tables created, the
/// rows copied, the sequences set; whatever else is skipped, and a `COPY`
/// with a row that does not parse copies nothing (psql goes on).
fn load_sql(sql: &str) -> Database {
    let mut tables: BTreeMap<&'static str, Table> = BTreeMap::new();
    let mut next_ids: BTreeMap<&'static str, i64> = BTreeMap::new();
    let mut languages: Option<Vec<(i64, Record)>> = None;
    let model_of = |table: &str| {
        MODELS
            .iter()
            .find(|model| table_name(model.name) == table)
            .map(|model| model.name)
    };
    let mut copy: Option<Copy> = None;
    for line in sql.lines() {
        if let Some(current) = copy.as_mut() {
            if line == "\\." {
                let Some(done) = copy.take() else { continue };
                if done.failed {
                    continue;
                }
                if done.table == LANG_TABLE {
                    languages = Some(done.rows);
                } else if let Some(model) = model_of(&done.table) {
                    tables.entry(model).or_default().extend(done.rows);
                }
            } else if !current.failed {
                match copy_row(line, &current.columns) {
                    Some(row) => current.rows.push(row),
                    None => current.failed = true,
                }
            }
            continue;
        }
        if let Some(rest) = line.strip_prefix("CREATE TABLE public.") {
            let table = unquote(rest.trim_end_matches(" (").trim());
            if let Some(model) = model_of(&table) {
                tables.entry(model).or_default();
            }
        } else if let Some(rest) = line.strip_prefix("COPY public.") {
            if let Some((table, columns)) = copy_header(rest) {
                copy = Some(Copy {
                    table,
                    columns,
                    rows: Vec::new(),
                    failed: false,
                });
            }
        } else if let Some(rest) = line.strip_prefix("SELECT pg_catalog.setval('public.") {
            if let Some((model, next)) =
                setval(rest).and_then(|(table, next)| Some((model_of(&table)?, next)))
            {
                next_ids.insert(model, next);
            }
        }
    }
    let lang = languages
        .map(|rows| {
            let codes: Vec<String> = rows
                .iter()
                .filter(|(_, row)| truthy(at(row, "active")))
                .filter_map(|(_, row)| at(row, "code").as_str().map(str::to_owned))
                .collect();
            codes
                .iter()
                .find(|code| *code != "en_US")
                .or_else(|| codes.first())
                .cloned()
                .unwrap_or_default()
        })
        .unwrap_or_default();
    Database::from_parts(lang, tables, next_ids, BTreeMap::new())
}

/// `<table> (id, <column>, ...) FROM stdin;` → the table and its columns
/// after `id`.
fn copy_header(rest: &str) -> Option<(String, Vec<String>)> {
    let (table, rest) = rest.split_once(" (")?;
    let columns = rest.strip_suffix(") FROM stdin;")?;
    let mut columns = columns.split(", ").map(unquote);
    if columns.next()? != "id" {
        return None;
    }
    Some((unquote(table), columns.collect()))
}

/// One row of `COPY`'s text format: the id, then a `jsonb` per column.
fn copy_row(line: &str, columns: &[String]) -> Option<(i64, Record)> {
    let mut fields = line.split('\t');
    let id: i64 = fields.next()?.parse().ok()?;
    let mut record = Record::new();
    let mut count = 0;
    for (column, field) in columns.iter().zip(fields.by_ref()) {
        count += 1;
        if let Some(text) = copy_unescape(field) {
            record.insert(column.clone(), serde_json::from_str(&text).ok()?);
        }
    }
    (count == columns.len() && fields.next().is_none()).then_some((id, record))
}

/// `<table>_id_seq', <value>, <is_called>);` → the table and its next id.
fn setval(rest: &str) -> Option<(String, i64)> {
    let (sequence, rest) = rest.split_once("', ")?;
    let table = sequence.strip_suffix("_id_seq")?;
    let (value, called) = rest.strip_suffix(");")?.split_once(", ")?;
    let value: i64 = value.trim().parse().ok()?;
    let next = match called.trim() {
        "true" => value + 1,
        "false" => value,
        _ => return None,
    };
    Some((table.to_owned(), next))
}

/// `base64.b64decode(data)` as `exp_restore` calls it: characters outside
/// the alphabet skipped, the padding checked.
pub fn b64decode(data: &Value) -> OdooResult<Vec<u8>> {
    use base64::Engine as _;
    let Value::String(text) = data else {
        return Err(OdooError::type_error(format!(
            "argument should be a bytes-like object or ASCII string, not '{}'",
            match data {
                Value::Null => "NoneType",
                Value::Bool(_) => "bool",
                Value::Number(number) if number.is_f64() => "float",
                Value::Number(_) => "int",
                Value::Array(_) => "list",
                Value::Object(_) => "dict",
                Value::String(_) => "str",
            }
        )));
    };
    if !text.is_ascii() {
        return Err(OdooError::value_error(
            "string argument should contain only ASCII characters",
        ));
    }
    let alphabet = |c: &char| c.is_ascii_alphanumeric() || *c == '+' || *c == '/';
    let data: String = text.chars().filter(alphabet).collect();
    let padding = text.chars().filter(|c| *c == '=').count();
    let incorrect = |message: String| OdooError::new(ExceptionClass::Base64Error, message);
    match data.len() % 4 {
        1 => {
            return Err(incorrect(format!(
                "Invalid base64-encoded string: number of data characters ({}) cannot be 1 more than a multiple of 4",
                data.len()
            )))
        }
        2 if padding < 2 => return Err(incorrect("Incorrect padding".to_owned())),
        3 if padding < 1 => return Err(incorrect("Incorrect padding".to_owned())),
        _ => {}
    }
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::RequireNone),
    );
    engine.decode(data).map_err(|error| incorrect(error.to_string()))
}

/// Whether a model's table may be named in a dump: every table the
/// simulator keeps is one of its models'.
#[cfg(test)]
fn known(table: &str) -> bool {
    MODELS.iter().any(|model| table_name(model.name) == table) || table == LANG_TABLE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dump_loads_back_into_the_same_database() {
        let mut database = Database::new("admin@acme.example", "secret", "fr_FR");
        if let Some(partner) = database.get_mut("res.partner", 1) {
            partner.insert("name".to_owned(), json!("Tab\there, \"quoted\" \\ back\nslash é"));
            partner.insert("comment".to_owned(), Value::Null);
        }
        database.remove("res.groups", 10);
        let sql = dump_sql(&database);
        let restored = load_sql(&sql);
        assert_eq!(restored.lang, "fr_FR");
        assert_eq!(restored.tables(), database.tables());
        assert_eq!(restored.next_ids(), database.next_ids());
        assert_eq!(dump_sql(&restored), sql);
        assert!(sql.contains(
            "COPY public.res_partner (id, active, comment, email, is_company, name) FROM stdin;\n"
        ));
        assert!(sql.contains("\t\"Tab\\\\there, \\\\\"quoted\\\\\" \\\\\\\\ back\\\\nslash é\"\n"));
        assert!(database.tables().keys().all(|model| known(&table_name(model))));
    }

    #[test]
    fn the_manifest_is_written_as_python_json_dump_writes_it() {
        let database = Database::new("admin", "admin", "en_US");
        let manifest = manifest("acmé", &database);
        assert!(manifest.starts_with(
            "{\n    \"odoo_dump\": \"1\",\n    \"db_name\": \"acm\\u00e9\",\n    \"version\": \"17.0\",\n    \"version_info\": [\n        17,\n        0,\n        0,\n        \"final\",\n        0,\n        \"\"\n    ],\n    \"major_version\": \"17.0\",\n    \"pg_version\": \"16.0\",\n    \"modules\": {\n        \"base\": \"17.0.1.3\",\n"
        ));
        assert!(manifest.ends_with("\"\n    }\n}"));
    }

    #[test]
    fn base64_is_decoded_as_python_does() {
        assert_eq!(b64decode(&json!("aGVs\nbG8=")).unwrap(), b"hello");
        assert_eq!(
            b64decode(&json!("aGVsbG8")).unwrap_err().argument,
            "Incorrect padding"
        );
        assert_eq!(
            b64decode(&json!("a")).unwrap_err().argument,
            "Invalid base64-encoded string: number of data characters (1) cannot be 1 more than a multiple of 4"
        );
        assert_eq!(b64decode(&json!(5)).unwrap_err().class, ExceptionClass::TypeError);
    }
}
