//! The ORM methods clients call remotely, as `odoo.api.call_kw` runs them
//! for both `object.execute_kw` and the web client's
//! `/web/dataset/call_kw`: positional arguments or keywords, `context`
//! taken out of the keywords, the caller's access rights checked first.

use serde_json::{json, Map, Value};

use super::{
    database::{at, truthy, Database, Load, Query, GROUP_SYSTEM, ROOT_USER},
    error::{python_repr, ExceptionClass, OdooError, OdooResult},
    modules,
    schema::{Kind, Model, Operation, LANGUAGES},
};

/// One remote call of a model method by a signed-in user.
pub struct Call<'a> {
    pub uid: i64,
    pub model: &'static Model,
    pub method: &'a str,
    pub args: &'a [Value],
    pub kwargs: &'a Map<String, Value>,
}

impl Call<'_> {
    /// An argument given by position or by keyword.
    fn argument(&self, index: usize, name: &str) -> Option<&Value> {
        self.args.get(index).or_else(|| self.kwargs.get(name))
    }

    fn required(&self, index: usize, name: &str) -> OdooResult<&Value> {
        self.argument(index, name)
            .ok_or_else(|| OdooError::missing_argument(&format!("BaseModel.{}", self.method), name))
    }

    /// The recordset of a method called on records: `args[0]`.
    fn ids(&self) -> OdooResult<Vec<i64>> {
        match self.args.first() {
            None => Err(OdooError::new(
                ExceptionClass::IndexError,
                "list index out of range",
            )),
            Some(Value::Bool(false) | Value::Null) => Ok(Vec::new()),
            Some(Value::Number(id)) => Ok(id.as_i64().into_iter().collect()),
            Some(Value::Array(ids)) => ids
                .iter()
                .map(|id| {
                    id.as_i64()
                        .ok_or_else(|| OdooError::type_error(format!("invalid id {}", python_repr(id))))
                })
                .collect(),
            Some(other) => Err(OdooError::type_error(format!(
                "invalid ids {}",
                python_repr(other)
            ))),
        }
    }

    fn context(&self) -> &Value {
        self.kwargs.get("context").unwrap_or(&Value::Null)
    }

    /// `offset`, `limit` and `order` at these positions or as keywords;
    /// `active_test` from the context.
    fn query(&self, offset: usize, limit: usize, order: usize) -> Query {
        Query {
            active_test: self.context()["active_test"].as_bool().unwrap_or(true),
            offset: self.count(offset, "offset").unwrap_or(0),
            limit: self.count(limit, "limit"),
            order: self
                .argument(order, "order")
                .and_then(Value::as_str)
                .filter(|order| !order.trim().is_empty())
                .map(str::to_owned),
        }
    }

    fn count(&self, index: usize, name: &str) -> Option<usize> {
        self.argument(index, name)
            .and_then(Value::as_u64)
            .and_then(|count| usize::try_from(count).ok())
    }
}

/// `odoo.models.check_method_name`: private methods are not callable remotely.
pub fn check_method_name(method: &str) -> OdooResult<()> {
    if method.starts_with('_') || method == "init" {
        return Err(OdooError::access_error(format!(
            "Private methods (such as {method}) cannot be called remotely."
        )));
    }
    Ok(())
}

/// `ir.model.access` for the caller: an `AccessError` in Odoo's words.
fn check_access(database: &Database, uid: i64, model: &Model, operation: Operation) -> OdooResult<()> {
    let grant = model.grant(operation);
    if uid == ROOT_USER || grant.allows(&database.groups_of(uid)) {
        return Ok(());
    }
    Err(OdooError::access_error(format!(
        "You are not allowed to {} '{}' ({}) records.\n\nThis operation is allowed for the following groups:\n\t- {}\n\nContact your administrator to request access if necessary.",
        operation.verb(),
        model.description,
        model.name,
        grant.group_name()
    )))
}

/// `assert_log_admin_access` of the module operations: administrators only.
fn check_admin(database: &Database, uid: i64) -> OdooResult<()> {
    if database.groups_of(uid).contains(&GROUP_SYSTEM) {
        Ok(())
    } else {
        Err(OdooError::access_denied())
    }
}

pub fn call_kw(database: &mut Database, call: &Call) -> OdooResult<Value> {
    let model = call.model;
    let uid = call.uid;
    match call.method {
        "create" => {
            check_access(database, uid, model, Operation::Create)?;
            match call.required(0, "vals_list")? {
                Value::Array(list) => {
                    let ids = list
                        .iter()
                        .map(|values| database.create(model, values))
                        .collect::<OdooResult<Vec<_>>>()?;
                    Ok(json!(ids))
                }
                values => Ok(json!(database.create(model, values)?)),
            }
        }
        "write" => {
            let ids = call.ids()?;
            check_access(database, uid, model, Operation::Write)?;
            let values = call
                .argument(1, "vals")
                .ok_or_else(|| OdooError::missing_argument("BaseModel.write", "vals"))?;
            database.write(model, &ids, values, uid)?;
            Ok(json!(true))
        }
        "unlink" => {
            let ids = call.ids()?;
            check_access(database, uid, model, Operation::Unlink)?;
            database.unlink(model, &ids, uid)?;
            Ok(json!(true))
        }
        "read" => {
            let ids = call.ids()?;
            check_access(database, uid, model, Operation::Read)?;
            let load = load(call.argument(2, "load"));
            database
                .read(model, &ids, &names(call.argument(1, "fields")), load)
                .map(Value::Array)
        }
        "search" => {
            check_access(database, uid, model, Operation::Read)?;
            let domain = call.required(0, "domain")?;
            Ok(json!(database.search(model, domain, &call.query(1, 2, 3))?))
        }
        "search_count" => {
            check_access(database, uid, model, Operation::Read)?;
            let domain = call.required(0, "domain")?;
            let query = Query {
                limit: call.count(1, "limit"),
                ..call.query(usize::MAX, usize::MAX, usize::MAX)
            };
            Ok(json!(database.search(model, domain, &query)?.len()))
        }
        "search_read" => {
            check_access(database, uid, model, Operation::Read)?;
            let domain = call.argument(0, "domain").cloned().unwrap_or_else(|| json!([]));
            let ids = database.search(model, &domain, &call.query(2, 3, 4))?;
            let load = load(call.kwargs.get("load"));
            database
                .read(model, &ids, &names(call.argument(1, "fields")), load)
                .map(Value::Array)
        }
        "fields_get" => Ok(fields_get(
            database,
            model,
            &names(call.argument(0, "allfields")),
            &names(call.argument(1, "attributes")),
        )),
        "default_get" => Ok(database.default_get(model, &names(Some(call.required(0, "fields_list")?)))),
        "check_access_rights" => {
            let operation = call.required(0, "operation")?;
            let operation = operation
                .as_str()
                .and_then(Operation::parse)
                .ok_or_else(|| OdooError::new(ExceptionClass::AssertionError, "Invalid access mode"))?;
            let raise = call.argument(1, "raise_exception").is_none_or(truthy);
            match check_access(database, uid, model, operation) {
                Ok(()) => Ok(json!(true)),
                Err(_) if !raise => Ok(json!(false)),
                Err(denied) => Err(denied),
            }
        }
        "context_get" if model.name == "res.users" => Ok(context_get(database, uid)),
        "check_object_reference" if model.name == "ir.model.data" => {
            let module = text(call.required(0, "module")?);
            let name = text(call.required(1, "xml_id")?);
            let (target, id) = database.xml_id(&module, &name).ok_or_else(|| {
                OdooError::value_error(format!("External ID not found in the system: {module}.{name}"))
            })?;
            let readable = super::schema::model(&target)
                .is_some_and(|target| check_access(database, uid, target, Operation::Read).is_ok());
            if readable {
                Ok(json!([target, id]))
            } else if call.argument(2, "raise_on_access_error").is_some_and(truthy) {
                Err(OdooError::access_error(format!(
                    "Not enough access rights on the external ID {module}.{name}"
                )))
            } else {
                Ok(json!([target, false]))
            }
        }
        "button_immediate_install" if model.name == "ir.module.module" => {
            let ids = call.ids()?;
            check_admin(database, uid)?;
            modules::install(database, &ids, uid)
        }
        "button_immediate_uninstall" if model.name == "ir.module.module" => {
            let ids = call.ids()?;
            check_admin(database, uid)?;
            modules::uninstall(database, &ids, uid)
        }
        method => Err(OdooError::attribute_error(format!(
            "The method '{method}' does not exist on the model '{}'",
            model.name
        ))),
    }
}

/// `res.users.context_get`: the user's language (an installed one) and
/// time zone, and the uid.
pub fn context_get(database: &Database, uid: i64) -> Value {
    let lang = database
        .get("res.users", uid)
        .and_then(|user| at(user, "lang").as_str())
        .filter(|lang| LANGUAGES.iter().any(|(code, _)| code == lang))
        .unwrap_or(&database.lang)
        .to_owned();
    json!({"lang": lang, "tz": false, "uid": uid})
}

/// `fields_get(allfields, attributes)`.
fn fields_get(database: &Database, model: &Model, only: &[String], attributes: &[String]) -> Value {
    let mut described = Map::new();
    for field in database
        .fields(model)
        .into_iter()
        .filter(|field| only.is_empty() || only.iter().any(|name| name == field.name))
    {
        let stored = field.name != "display_name";
        let mut description = json!({
            "name": field.name,
            "type": field.kind.type_name(),
            "string": field.label,
            "required": field.required,
            "readonly": field.computed,
            "store": stored,
            "searchable": true,
            "sortable": stored && !matches!(field.kind, Kind::Many2many(_)),
            "manual": false,
            "company_dependent": false,
            "change_default": false,
        });
        if let Some(relation) = field.kind.relation() {
            description["relation"] = json!(relation);
            description["domain"] = json!([]);
            description["context"] = json!({});
        }
        if let Kind::Selection(options) = field.kind {
            description["selection"] = json!(options
                .iter()
                .map(|(value, label)| json!([value, label]))
                .collect::<Vec<_>>());
        }
        if let (Value::Object(members), false) = (&mut description, attributes.is_empty()) {
            members.retain(|key, _| attributes.iter().any(|wanted| wanted == key));
        }
        described.insert(field.name.to_owned(), description);
    }
    Value::Object(described)
}

/// `read`'s `load`: `_classic_read` unless told otherwise.
fn load(value: Option<&Value>) -> Load {
    match value {
        None => Load::DisplayName,
        Some(Value::String(load)) if load == "_classic_read" => Load::DisplayName,
        Some(_) => Load::Id,
    }
}

/// A list of names (fields, attributes); `None`/`False` for none.
fn names(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|names| {
            names
                .iter()
                .filter_map(|name| name.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn text(value: &Value) -> String {
    value.as_str().map_or_else(|| python_repr(value), str::to_owned)
}
