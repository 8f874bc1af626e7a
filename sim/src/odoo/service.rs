//! The services behind `odoo.http.dispatch_rpc`, one piece of code for
//! every protocol that reaches them (`/jsonrpc`, `/xmlrpc/2/<service>`,
//! `/xmlrpc/<service>`): `common` (odoo/service/common.py), `db`
//! (odoo/service/db.py, the master password first) and `object`
//! (odoo/service/model.py, the user's credentials first).

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::{
    database::Database,
    dbfilter::DbFilters,
    error::{ExceptionClass, OdooError, OdooResult},
    orm::{self, Call},
    schema::LANGUAGES,
    session::Sessions,
};

pub const VERSION: &str = "17.0";

/// `common.version`, also `/web/webclient/version_info`.
pub fn version() -> Value {
    json!({
        "server_version": VERSION,
        "server_version_info": [17, 0, 0, "final", 0, ""],
        "server_serie": VERSION,
        "protocol_version": 1,
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    Common,
    Db,
    Object,
}

impl Service {
    fn parse(name: &str) -> Option<Self> {
        match name {
            "common" => Some(Service::Common),
            "db" => Some(Service::Db),
            "object" => Some(Service::Object),
            _ => None,
        }
    }
}

/// The name faults are set under: `db.<method>`, `common.<method>`,
/// `object.<model>.<method>`.
pub fn fault_operation(service: &str, method: &str, args: &[Value]) -> String {
    let text = |index: usize| args.get(index).and_then(Value::as_str).unwrap_or_default();
    match (Service::parse(service), method) {
        (Some(Service::Object), "execute_kw" | "execute") => format!("object.{}.{}", text(3), text(4)),
        _ => format!("{service}.{method}"),
    }
}

/// The `db` service's methods anyone may call.
const PUBLIC_DB_METHODS: &[&str] = &["db_exist", "list", "list_lang", "server_version"];

/// The `db` methods behind the master password.
const MASTER_PASSWORD_METHODS: &[&str] = &[
    "create_database",
    "duplicate_database",
    "drop",
    "dump",
    "restore",
    "rename",
    "change_admin_password",
    "migrate_databases",
    "list_countries",
];

/// Of those, what `list_db = False` blocks (`check_db_management_enabled`).
const MANAGEMENT_METHODS: &[&str] = &[
    "create_database",
    "duplicate_database",
    "drop",
    "dump",
    "restore",
    "rename",
    "change_admin_password",
    "migrate_databases",
];

/// The server: its configuration, databases and web sessions.
pub struct Server {
    pub master_password: String,
    pub list_db: bool,
    pub databases: BTreeMap<String, Database>,
    pub sessions: Sessions,
    /// The web side's: which databases a host reaches.
    pub db_filters: DbFilters,
    /// As Odoo's `proxy_mode`: the request's host and scheme are those the
    /// reverse proxy forwards (`X-Forwarded-Host`, `X-Forwarded-Proto`).
    pub proxy_mode: bool,
    /// `database.secret`, which the CSRF tokens are signed with.
    pub secret: String,
}

impl Server {
    pub fn new(master_password: String) -> Self {
        Self {
            master_password,
            list_db: true,
            databases: BTreeMap::new(),
            sessions: Sessions::default(),
            db_filters: DbFilters::default(),
            proxy_mode: false,
            secret: uuid::Uuid::new_v4().simple().to_string(),
        }
    }

    /// The databases a request for `host` may use: those `dbfilter` lets
    /// it reach; if none, the one database with a website on this domain
    /// (the ingress sends a website's own domain to its tenant's Odoo).
    pub fn databases_for(&self, host: &str) -> Vec<String> {
        let filtered = self.db_filters.visible(host, self.databases.keys());
        if !filtered.is_empty() {
            return filtered;
        }
        let owners: Vec<String> = self
            .databases
            .iter()
            .filter(|(_, database)| database.website_for_host(host).is_some())
            .map(|(name, _)| name.clone())
            .collect();
        match owners.len() {
            1 => owners,
            // Claimed by several databases: the ingress cannot choose.
            _ => Vec::new(),
        }
    }

    /// Whether a request for `host` may use the database `name`.
    pub fn reaches(&self, host: &str, name: &str) -> bool {
        self.databases_for(host).iter().any(|known| known == name)
    }

    /// `dispatch_rpc(service, method, params)`.
    pub fn dispatch(&mut self, service: &str, method: &str, args: &[Value]) -> OdooResult<Value> {
        match Service::parse(service) {
            Some(Service::Common) => self.common(method, args),
            Some(Service::Db) => self.db(method, args),
            Some(Service::Object) => self.object(method, args),
            None => Err(OdooError::key_error(service)),
        }
    }

    /// `db.list`, also `/web/database/list`.
    pub fn list_databases(&self) -> OdooResult<Value> {
        if !self.list_db {
            return Err(OdooError::access_denied());
        }
        Ok(json!(self.databases.keys().collect::<Vec<_>>()))
    }

    pub fn database(&self, name: &str) -> OdooResult<&Database> {
        self.databases
            .get(name)
            .ok_or_else(|| OdooError::no_database(name))
    }

    fn common(&self, method: &str, args: &[Value]) -> OdooResult<Value> {
        let function = format!("exp_{method}");
        match method {
            "version" => Ok(version()),
            "login" | "authenticate" => {
                let name = text_arg(args, 0, &function, "db")?;
                let login = text_arg(args, 1, &function, "login")?;
                let password = text_arg(args, 2, &function, "password")?;
                if method == "authenticate" && args.get(3).is_none() {
                    return Err(OdooError::missing_argument(&function, "user_agent_env"));
                }
                // A refused login is `False`, not an error.
                Ok(self
                    .database(name)?
                    .authenticate(login, password)
                    .map_or(Value::Bool(false), Value::from))
            }
            "about" => {
                let info = "See http://openerp.com";
                if args.first().is_some_and(super::database::truthy) {
                    Ok(json!([info, VERSION]))
                } else {
                    Ok(json!(info))
                }
            }
            "set_loglevel" => Ok(json!(true)),
            other => Err(OdooError::new(
                ExceptionClass::Exception,
                format!("Method not found: {other}"),
            )),
        }
    }

    fn db(&mut self, method: &str, args: &[Value]) -> OdooResult<Value> {
        let function = format!("exp_{method}");
        let args = if PUBLIC_DB_METHODS.contains(&method) {
            args
        } else if MASTER_PASSWORD_METHODS.contains(&method) {
            let password = args.first().and_then(Value::as_str).unwrap_or_default();
            if password.is_empty() || password != self.master_password {
                return Err(OdooError::access_denied());
            }
            if MANAGEMENT_METHODS.contains(&method) && !self.list_db {
                return Err(OdooError::access_denied());
            }
            args.get(1..).unwrap_or_default()
        } else {
            return Err(OdooError::key_error(&format!("Method not found: {method}")));
        };
        match method {
            "db_exist" => Ok(json!(self
                .databases
                .contains_key(text_arg(args, 0, &function, "db_name")?))),
            "list" => self.list_databases(),
            "list_lang" => Ok(json!(LANGUAGES
                .iter()
                .map(|(code, name)| json!([code, name]))
                .collect::<Vec<_>>())),
            "server_version" => Ok(json!(VERSION)),
            "create_database" => {
                let name = text_arg(args, 0, &function, "db_name")?;
                if args.len() < 3 {
                    let missing = if args.len() < 2 { "demo" } else { "lang" };
                    return Err(OdooError::missing_argument(&function, missing));
                }
                if self.databases.contains_key(name) {
                    return Err(OdooError::database_exists(name));
                }
                let given = |index: usize| {
                    args.get(index)
                        .and_then(Value::as_str)
                        .filter(|text| !text.is_empty())
                };
                let lang = given(2).unwrap_or("en_US");
                let password = given(3).unwrap_or("admin");
                let login = given(4).unwrap_or("admin");
                self.databases
                    .insert(name.to_owned(), Database::new(login, password, lang));
                Ok(json!(true))
            }
            "drop" => Ok(json!(self
                .databases
                .remove(text_arg(args, 0, &function, "db_name")?)
                .is_some())),
            "duplicate_database" => {
                let source = text_arg(args, 0, &function, "db_original_name")?;
                let target = text_arg(args, 1, &function, "db_name")?;
                let mut copy = self.database(source)?.clone();
                if self.databases.contains_key(target) {
                    return Err(OdooError::database_exists(target));
                }
                // "if it's a copy of a database, force generation of a new dbuuid"
                copy.init_parameters(true);
                if args.get(2).is_some_and(super::database::truthy) {
                    super::backup::neutralize_database(&mut copy);
                }
                self.databases.insert(target.to_owned(), copy);
                Ok(json!(true))
            }
            "rename" => {
                let old = text_arg(args, 0, &function, "old_name")?;
                let new = text_arg(args, 1, &function, "new_name")?;
                let refused = |reason: String| {
                    OdooError::new(
                        ExceptionClass::Exception,
                        format!("Couldn't rename database {old} to {new}: {reason}"),
                    )
                };
                if self.databases.contains_key(new) {
                    return Err(refused(format!("database \"{new}\" already exists\n")));
                }
                let database = self
                    .databases
                    .remove(old)
                    .ok_or_else(|| refused(format!("database \"{old}\" does not exist\n")))?;
                self.databases.insert(new.to_owned(), database);
                Ok(json!(true))
            }
            "dump" => {
                let name = text_arg(args, 0, &function, "db_name")?;
                // `backup_format == 'zip'`, else `pg_dump --format=c`.
                let format = args
                    .get(1)
                    .ok_or_else(|| OdooError::missing_argument(&function, "format"))?
                    .as_str()
                    .unwrap_or_default();
                let dump = self.dump_database(name, format)?;
                Ok(json!(base64::Engine::encode(
                    &base64::engine::general_purpose::STANDARD,
                    dump
                )))
            }
            "restore" => {
                let name = args
                    .first()
                    .ok_or_else(|| OdooError::missing_argument(&function, "db_name"))?;
                let data = args
                    .get(1)
                    .ok_or_else(|| OdooError::missing_argument(&function, "data"))?;
                let copy = args.get(2).is_some_and(super::database::truthy);
                // The data is decoded to a file first, then `restore_db`
                // asserts the name is a `str`.
                let backup = super::backup::b64decode(data)?;
                let name = name
                    .as_str()
                    .ok_or_else(|| OdooError::new(ExceptionClass::AssertionError, ""))?;
                self.restore_database(name, &backup, copy, false)?;
                Ok(json!(true))
            }
            "change_admin_password" => {
                self.master_password = text_arg(args, 0, &function, "new_password")?.to_owned();
                Ok(json!(true))
            }
            other => Err(OdooError::new(
                ExceptionClass::NotImplementedError,
                format!("db.{other} is not simulated"),
            )),
        }
    }

    /// `object.execute_kw` / `object.execute`: credentials first, then the
    /// entry point, the model, and the ORM method.
    fn object(&mut self, method: &str, args: &[Value]) -> OdooResult<Value> {
        let (Some(name), Some(uid), Some(password)) = (args.first(), args.get(1), args.get(2)) else {
            return Err(OdooError::new(
                ExceptionClass::IndexError,
                "list index out of range",
            ));
        };
        let name = name.as_str().unwrap_or_default();
        let uid = match uid {
            Value::Number(uid) => uid.as_i64().unwrap_or(0),
            Value::Bool(flag) => i64::from(*flag),
            Value::String(text) => text.trim().parse().map_err(|_| {
                OdooError::value_error(format!("invalid literal for int() with base 10: '{text}'"))
            })?,
            _ => 0,
        };
        let password = password.as_str().unwrap_or_default();
        let database = self
            .databases
            .get_mut(name)
            .ok_or_else(|| OdooError::no_database(name))?;
        if !database.check_credentials(uid, password) {
            return Err(OdooError::access_denied());
        }
        let entry = match method {
            "execute_kw" => Entry::ExecuteKw,
            "execute" => Entry::Execute,
            other => {
                return Err(OdooError::new(
                    ExceptionClass::NameError,
                    format!("Method not available {other}"),
                ))
            }
        };
        let model = text_arg(args, 3, method, "obj")?;
        let model_method = text_arg(args, 4, method, "method")?;
        let empty = Map::new();
        let (call_args, kwargs): (&[Value], &Map<String, Value>) = match entry {
            Entry::ExecuteKw => (
                args.get(5)
                    .ok_or_else(|| OdooError::missing_argument("execute_kw", "args"))?
                    .as_array()
                    .map_or(&[][..], Vec::as_slice),
                args.get(6).and_then(Value::as_object).unwrap_or(&empty),
            ),
            Entry::Execute => (args.get(5..).unwrap_or_default(), &empty),
        };
        orm::check_method_name(model_method)?;
        let model = database
            .model(model)
            .ok_or_else(|| OdooError::user_error(format!("Object {model} doesn't exist")))?;
        orm::call_kw(
            database,
            &Call {
                uid,
                model,
                method: model_method,
                args: call_args,
                kwargs,
            },
        )
    }
}

/// The `object` service's two entry points.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Entry {
    /// Positional arguments only.
    Execute,
    /// `args` and `kwargs`.
    ExecuteKw,
}

/// A positional string argument of a service function.
fn text_arg<'a>(args: &'a [Value], index: usize, function: &str, name: &str) -> OdooResult<&'a str> {
    match args.get(index) {
        None => Err(OdooError::missing_argument(function, name)),
        Some(value) => value.as_str().ok_or_else(|| {
            OdooError::type_error(format!(
                "{function}(): argument '{name}' must be str, not {}",
                super::error::python_repr(value)
            ))
        }),
    }
}
