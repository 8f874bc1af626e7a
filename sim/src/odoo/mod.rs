//! `sim odoo`: an Odoo 17 server reached through its external JSON-RPC API
//! (`POST /jsonrpc`, services `db`, `common`, `object`), holding any number
//! of databases in memory. Errors come back as Odoo sends them: HTTP 200
//! with `error.data.name` the exception's class (AccessDenied for a wrong
//! master password or login, ValidationError for a duplicate login, ...).
//!
//! Fault operations (`/_sim/faults/{operation}`): `db.<method>`,
//! `common.<method>`, `object.<model>.<method>` (e.g.
//! `object.res.users.create`). An injected status is answered as the
//! reverse proxy in front of Odoo would: that status with an HTML page.

mod database;
mod domain;
mod error;
mod modules;
mod schema;

use std::{
    collections::BTreeMap,
    net::SocketAddr,
    sync::{Arc, Mutex, MutexGuard},
};

use axum::{
    body::Bytes,
    extract::State,
    response::{Html, IntoResponse, Response},
    routing::post,
    Json, Router,
};
use http::StatusCode;
use serde_json::{json, Value};

use self::{
    database::Database,
    error::{OdooError, OdooResult},
};
use crate::faults::Faults;

#[derive(clap::Args)]
pub struct Options {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8069")]
    listen: SocketAddr,
    /// The master password (`admin_passwd`) the `db` service asks for.
    #[arg(long, env = "SIM_ODOO_MASTER_PASSWORD")]
    master_password: String,
    /// As Odoo's `list_db = False`: database listing and management refused.
    #[arg(long)]
    no_list_db: bool,
}

pub async fn run(options: Options) -> Result<(), String> {
    let simulator = Simulator::new(options.master_password);
    simulator.lock().list_db = !options.no_list_db;
    crate::serve_forever(simulator.router(), options.listen).await
}

const VERSION: &str = "17.0";

/// The simulated server; clones share its state.
#[derive(Clone)]
pub struct Simulator {
    state: Arc<Mutex<Server>>,
    pub faults: Faults,
}

struct Server {
    master_password: String,
    list_db: bool,
    databases: BTreeMap<String, Database>,
}

impl Simulator {
    pub fn new(master_password: impl Into<String>) -> Self {
        Self {
            state: Arc::new(Mutex::new(Server {
                master_password: master_password.into(),
                list_db: true,
                databases: BTreeMap::new(),
            })),
            faults: Faults::default(),
        }
    }

    pub fn router(&self) -> Router {
        Router::new()
            .route("/jsonrpc", post(jsonrpc))
            .with_state(self.clone())
            .merge(self.faults.routes())
    }

    /// The databases held, for tests.
    pub fn database_names(&self) -> Vec<String> {
        self.lock().databases.keys().cloned().collect()
    }

    /// A database's language at creation, for tests.
    pub fn database_lang(&self, name: &str) -> Option<String> {
        self.lock()
            .databases
            .get(name)
            .map(|database| database.lang.clone())
    }

    fn lock(&self) -> MutexGuard<'_, Server> {
        crate::locked(&self.state)
    }
}

async fn jsonrpc(State(simulator): State<Simulator>, body: Bytes) -> Response {
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return (StatusCode::BAD_REQUEST, "Invalid JSON data").into_response();
    };
    let id = request.get("id").cloned().unwrap_or(Value::Null);
    let params = &request["params"];
    let service = params["service"].as_str().unwrap_or_default();
    let method = params["method"].as_str().unwrap_or_default();
    let args = params["args"].as_array().cloned().unwrap_or_default();
    let operation = match service {
        "object" => format!(
            "object.{}.{}",
            args.get(3).and_then(Value::as_str).unwrap_or_default(),
            args.get(4).and_then(Value::as_str).unwrap_or_default()
        ),
        _ => format!("{service}.{method}"),
    };
    if let Some(status) = simulator.faults.failure(&operation).await {
        return proxy_error(status);
    }
    let outcome = {
        let mut server = simulator.lock();
        match service {
            "common" => server.common(method, &args),
            "db" => server.db(method, &args),
            "object" => server.object(method, &args),
            "" => Err(OdooError::key_error("service")),
            other => Err(OdooError::key_error(other)),
        }
    };
    match outcome {
        Ok(result) => Json(json!({"jsonrpc": "2.0", "id": id, "result": result})).into_response(),
        Err(error) => Json(json!({"jsonrpc": "2.0", "id": id, "error": error.to_json()})).into_response(),
    }
}

/// What nginx in front of Odoo answers when Odoo cannot.
fn proxy_error(status: StatusCode) -> Response {
    let title = format!(
        "{} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error")
    );
    let page = format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    );
    (status, Html(page)).into_response()
}

fn text_arg<'a>(args: &'a [Value], index: usize, name: &str) -> OdooResult<&'a str> {
    args.get(index)
        .and_then(Value::as_str)
        .ok_or_else(|| OdooError::type_error(format!("missing or invalid positional argument: '{name}'")))
}

/// `ids` as Odoo takes them: one id or a list.
fn ids_arg(value: Option<&Value>) -> OdooResult<Vec<i64>> {
    match value {
        Some(Value::Number(id)) => id
            .as_i64()
            .map(|id| vec![id])
            .ok_or_else(|| OdooError::type_error("invalid id")),
        Some(Value::Array(ids)) => ids
            .iter()
            .map(|id| {
                id.as_i64()
                    .ok_or_else(|| OdooError::type_error(format!("invalid id {id}")))
            })
            .collect(),
        _ => Err(OdooError::type_error("missing ids")),
    }
}

const MASTER_PASSWORD_METHODS: &[&str] = &[
    "create_database",
    "duplicate_database",
    "drop",
    "dump",
    "restore",
    "rename",
    "change_admin_password",
    "migrate_databases",
];

impl Server {
    fn common(&self, method: &str, args: &[Value]) -> OdooResult<Value> {
        match method {
            "version" => Ok(json!({
                "server_version": VERSION,
                "server_version_info": [17, 0, 0, "final", 0, ""],
                "server_serie": VERSION,
                "protocol_version": 1,
            })),
            "authenticate" | "login" => {
                let name = text_arg(args, 0, "db")?;
                let login = text_arg(args, 1, "login")?;
                let password = text_arg(args, 2, "password")?;
                let database = self
                    .databases
                    .get(name)
                    .ok_or_else(|| OdooError::no_database(name))?;
                Ok(database
                    .authenticate(login, password)
                    .map_or(Value::Bool(false), Value::from))
            }
            other => Err(OdooError::key_error(&format!("exp_{other}"))),
        }
    }

    fn db(&mut self, method: &str, args: &[Value]) -> OdooResult<Value> {
        let args = if MASTER_PASSWORD_METHODS.contains(&method) {
            let password = args.first().and_then(Value::as_str).unwrap_or_default();
            if password.is_empty() || password != self.master_password {
                return Err(OdooError::access_denied());
            }
            &args[1..]
        } else {
            args
        };
        let management = MASTER_PASSWORD_METHODS.contains(&method) || method == "list";
        if management && !self.list_db {
            return Err(OdooError::access_denied());
        }
        match method {
            "db_exist" => Ok(json!(self.databases.contains_key(text_arg(args, 0, "db_name")?))),
            "list" => Ok(json!(self.databases.keys().collect::<Vec<_>>())),
            "list_lang" => Ok(json!([["en_US", "English (US)"], ["fr_FR", "French / Français"]])),
            "server_version" => Ok(json!(VERSION)),
            "create_database" => {
                let name = text_arg(args, 0, "db_name")?;
                if self.databases.contains_key(name) {
                    return Err(OdooError::database_exists(name));
                }
                let lang = args.get(2).and_then(Value::as_str).unwrap_or("en_US");
                let password = args.get(3).and_then(Value::as_str).unwrap_or("admin");
                let login = args.get(4).and_then(Value::as_str).unwrap_or("admin");
                self.databases
                    .insert(name.to_owned(), Database::new(login, password, lang));
                Ok(json!(true))
            }
            "drop" => Ok(json!(self
                .databases
                .remove(text_arg(args, 0, "db_name")?)
                .is_some())),
            "duplicate_database" => {
                let source = text_arg(args, 0, "db_original_name")?;
                let target = text_arg(args, 1, "db_name")?;
                let copy = self
                    .databases
                    .get(source)
                    .cloned()
                    .ok_or_else(|| OdooError::no_database(source))?;
                if self.databases.contains_key(target) {
                    return Err(OdooError::database_exists(target));
                }
                self.databases.insert(target.to_owned(), copy);
                Ok(json!(true))
            }
            "rename" => {
                let old = text_arg(args, 0, "old_name")?;
                let new = text_arg(args, 1, "new_name")?;
                let database = self
                    .databases
                    .remove(old)
                    .ok_or_else(|| OdooError::no_database(old))?;
                self.databases.insert(new.to_owned(), database);
                Ok(json!(true))
            }
            "change_admin_password" => {
                self.master_password = text_arg(args, 0, "new_password")?.to_owned();
                Ok(json!(true))
            }
            other => Err(OdooError::key_error(&format!("exp_{other}"))),
        }
    }

    fn object(&mut self, method: &str, args: &[Value]) -> OdooResult<Value> {
        let (call_args, kwargs) = match method {
            "execute_kw" => (
                args.get(5).and_then(Value::as_array).cloned().unwrap_or_default(),
                args.get(6).cloned().unwrap_or_else(|| json!({})),
            ),
            "execute" => (
                args.get(5..).map(<[Value]>::to_vec).unwrap_or_default(),
                json!({}),
            ),
            other => return Err(OdooError::key_error(&format!("exp_{other}"))),
        };
        let name = text_arg(args, 0, "db")?;
        let uid = args.get(1).and_then(Value::as_i64).unwrap_or(0);
        let password = args.get(2).and_then(Value::as_str).unwrap_or_default();
        let model = text_arg(args, 3, "model")?.to_owned();
        let model_method = text_arg(args, 4, "method")?.to_owned();
        let database = self
            .databases
            .get_mut(name)
            .ok_or_else(|| OdooError::no_database(name))?;
        if !database.check_credentials(uid, password) {
            return Err(OdooError::access_denied());
        }
        execute(database, &model, &model_method, &call_args, &kwargs)
    }
}

/// One ORM method on one model, as `execute_kw` calls it.
fn execute(
    database: &mut Database,
    model: &str,
    method: &str,
    args: &[Value],
    kwargs: &Value,
) -> OdooResult<Value> {
    if method.starts_with('_') {
        return Err(OdooError::access_error(format!(
            "Private methods (such as '{model}.{method}') cannot be called remotely."
        )));
    }
    let model = database.model(model)?;
    let argument = |index: usize, name: &str| args.get(index).or_else(|| kwargs.get(name));
    let active_test = kwargs["context"]["active_test"].as_bool().unwrap_or(true);
    let limit = kwargs
        .get("limit")
        .and_then(Value::as_u64)
        .map(|limit| limit as usize);
    let descending = kwargs["order"]
        .as_str()
        .is_some_and(|order| order.trim() == "id desc");
    let domain = || argument(0, "domain").cloned().unwrap_or_else(|| json!([]));
    match method {
        "create" => match argument(0, "vals_list") {
            Some(Value::Array(list)) => {
                let ids = list
                    .iter()
                    .map(|values| database.create(model, values))
                    .collect::<OdooResult<Vec<_>>>()?;
                Ok(json!(ids))
            }
            Some(values) => Ok(json!(database.create(model, values)?)),
            None => Err(OdooError::type_error(
                "create() missing 1 required positional argument: 'vals_list'",
            )),
        },
        "write" => {
            let ids = ids_arg(args.first())?;
            let values = argument(1, "vals").cloned().unwrap_or_else(|| json!({}));
            database.write(model, &ids, &values)?;
            Ok(json!(true))
        }
        "unlink" => {
            database.unlink(model, &ids_arg(args.first())?)?;
            Ok(json!(true))
        }
        "search" => {
            let offset = kwargs.get("offset").and_then(Value::as_u64).unwrap_or(0) as usize;
            Ok(json!(database.search(
                model,
                &domain(),
                active_test,
                offset,
                limit,
                descending
            )?))
        }
        "search_count" => Ok(json!(database
            .search(model, &domain(), active_test, 0, None, false)?
            .len())),
        "search_read" => {
            let offset = kwargs.get("offset").and_then(Value::as_u64).unwrap_or(0) as usize;
            let ids = database.search(model, &domain(), active_test, offset, limit, descending)?;
            database
                .read(model, &ids, &field_names(argument(1, "fields")))
                .map(Value::Array)
        }
        "read" => {
            let ids = ids_arg(args.first())?;
            database
                .read(model, &ids, &field_names(argument(1, "fields")))
                .map(Value::Array)
        }
        "button_immediate_install" if model.name == "ir.module.module" => {
            modules::install(database, &ids_arg(args.first())?)
        }
        _ => Err(OdooError::attribute_error(format!(
            "The method '{method}' does not exist on the model '{}'",
            model.name
        ))),
    }
}

fn field_names(fields: Option<&Value>) -> Vec<String> {
    fields
        .and_then(Value::as_array)
        .map(|names| {
            names
                .iter()
                .filter_map(|name| name.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}
