//! The ORM methods clients call remotely, as `odoo.api.call_kw` runs them
//! for both `object.execute_kw` and the web client's
//! `/web/dataset/call_kw`: positional arguments or keywords, `context`
//! taken out of the keywords, the caller's access rights checked first.

use serde_json::{json, Map, Value};

use super::{
    database::{at, truthy, Database, Load, Query, GROUP_SYSTEM, ROOT_USER},
    error::{python_repr, ExceptionClass, OdooError, OdooResult},
    modules,
    schema::{Field, Grant, Kind, Model, Operation, LANGUAGES},
    slides,
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
    pub(super) fn argument(&self, index: usize, name: &str) -> Option<&Value> {
        self.args.get(index).or_else(|| self.kwargs.get(name))
    }

    fn required(&self, index: usize, name: &str) -> OdooResult<&Value> {
        self.argument(index, name)
            .ok_or_else(|| OdooError::missing_argument(&format!("BaseModel.{}", self.method), name))
    }

    /// The recordset of a method called on records: `args[0]`.
    pub(super) fn ids(&self) -> OdooResult<Vec<i64>> {
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
pub(super) fn check_access(
    database: &Database,
    uid: i64,
    model: &Model,
    operation: Operation,
) -> OdooResult<()> {
    let grant = model.grant(operation);
    if uid == ROOT_USER || grant.allows(database, uid) {
        return Ok(());
    }
    Err(access_error(operation, model.description, model.name, grant))
}

/// The access rights' refusal, with the groups `grant` names.
pub(super) fn access_error(operation: Operation, description: &str, model: &str, grant: Grant) -> OdooError {
    let groups: String = grant
        .group_names()
        .iter()
        .map(|group| format!("\n\t- {group}"))
        .collect();
    OdooError::access_error(format!(
        "You are not allowed to {} '{description}' ({model}) records.\n\nThis operation is allowed for the following groups:{groups}\n\nContact your administrator to request access if necessary.",
        operation.verb(),
    ))
}

/// Whether the user may see the field (its `groups=`).
fn field_allowed(database: &Database, uid: i64, field: &Field) -> bool {
    uid == ROOT_USER || field.groups.is_none_or(|grant| grant.allows(database, uid))
}

/// `check_field_access_rights`: the fields asked for, all of them allowed,
/// or (none asked for) those the user may see.
fn accessible_fields(
    database: &Database,
    uid: i64,
    model: &Model,
    names: &[String],
    operation: &str,
) -> OdooResult<Vec<String>> {
    if names.is_empty() {
        return Ok(database
            .fields(model)
            .iter()
            .filter(|field| field_allowed(database, uid, field))
            .map(|field| field.name.to_owned())
            .collect());
    }
    let refused: Vec<&str> = names
        .iter()
        .filter(|name| {
            database
                .field(model, name)
                .is_some_and(|field| !field_allowed(database, uid, &field))
        })
        .map(String::as_str)
        .collect();
    if refused.is_empty() {
        return Ok(names.to_vec());
    }
    Err(OdooError::access_error(format!(
        "You do not have enough rights to access the fields \"{}\" on {} ({}). Please contact your system administrator.\n\n(Operation: {operation})",
        refused.join(","),
        model.description,
        model.name
    )))
}

/// `search` as the user sees it: what the record rules hide is left out
/// before `offset` and `limit` apply.
fn search_visible(
    database: &Database,
    uid: i64,
    model: &'static Model,
    domain: &Value,
    query: &Query,
) -> OdooResult<Vec<i64>> {
    if !slides::owns(model) {
        return database.search(model, domain, query);
    }
    let all = Query {
        offset: 0,
        limit: None,
        ..query.clone()
    };
    Ok(database
        .search(model, domain, &all)?
        .into_iter()
        .filter(|id| slides::rule_allows(database, model, Operation::Read, uid, *id))
        .skip(query.offset)
        .take(query.limit.unwrap_or(usize::MAX))
        .collect())
}

/// `assert_log_admin_access` of the module operations: administrators only.
fn check_admin(database: &Database, uid: i64) -> OdooResult<()> {
    if database.groups_of(uid).contains(&GROUP_SYSTEM) {
        Ok(())
    } else {
        Err(OdooError::access_denied())
    }
}

/// One call as Odoo runs it: the eLearning models' in a transaction
/// (their overrides write several records: a refusal undoes them all),
/// with the values that depend on the caller computed first.
pub fn call_kw(database: &mut Database, call: &Call) -> OdooResult<Value> {
    if !slides::owns(call.model) {
        return dispatch(database, call);
    }
    let snapshot = database.clone();
    slides::personalize(database, call.uid);
    let outcome = dispatch(database, call);
    if outcome.is_err() {
        *database = snapshot;
    }
    outcome
}

fn create(database: &mut Database, call: &Call, values: &Value) -> OdooResult<i64> {
    if let Some(values) = values.as_object() {
        let names: Vec<String> = values.keys().cloned().collect();
        accessible_fields(database, call.uid, call.model, &names, "create")?;
    }
    if slides::owns(call.model) {
        slides::create(database, call.model, values, call.uid)
    } else {
        database.create_as(call.model, values, call.uid)
    }
}

fn dispatch(database: &mut Database, call: &Call) -> OdooResult<Value> {
    let model = call.model;
    let uid = call.uid;
    match call.method {
        "create" => {
            check_access(database, uid, model, Operation::Create)?;
            match call.required(0, "vals_list")? {
                Value::Array(list) => {
                    let ids = list
                        .iter()
                        .map(|values| create(database, call, values))
                        .collect::<OdooResult<Vec<_>>>()?;
                    Ok(json!(ids))
                }
                values => Ok(json!(create(database, call, values)?)),
            }
        }
        "write" => {
            let ids = call.ids()?;
            check_access(database, uid, model, Operation::Write)?;
            let values = call
                .argument(1, "vals")
                .ok_or_else(|| OdooError::missing_argument("BaseModel.write", "vals"))?;
            if let Some(values) = values.as_object() {
                let names: Vec<String> = values.keys().cloned().collect();
                accessible_fields(database, uid, model, &names, "write")?;
            }
            if slides::owns(model) {
                slides::write(database, model, &ids, values, uid)?;
            } else {
                database.write(model, &ids, values, uid)?;
            }
            Ok(json!(true))
        }
        "unlink" => {
            let ids = call.ids()?;
            check_access(database, uid, model, Operation::Unlink)?;
            if slides::owns(model) {
                slides::unlink(database, model, &ids, uid)?;
            } else {
                database.unlink(model, &ids, uid)?;
            }
            Ok(json!(true))
        }
        "read" => {
            let ids = call.ids()?;
            check_access(database, uid, model, Operation::Read)?;
            let fields = accessible_fields(database, uid, model, &names(call.argument(1, "fields")), "read")?;
            if slides::owns(model) {
                slides::check_rules(database, model, Operation::Read, uid, &ids)?;
            }
            let load = load(call.argument(2, "load"));
            database.read(model, &ids, &fields, load).map(Value::Array)
        }
        "search" => {
            check_access(database, uid, model, Operation::Read)?;
            let domain = call.required(0, "domain")?;
            Ok(json!(search_visible(
                database,
                uid,
                model,
                domain,
                &call.query(1, 2, 3)
            )?))
        }
        "search_count" => {
            check_access(database, uid, model, Operation::Read)?;
            let domain = call.required(0, "domain")?;
            let query = Query {
                limit: call.count(1, "limit"),
                ..call.query(usize::MAX, usize::MAX, usize::MAX)
            };
            Ok(json!(search_visible(database, uid, model, domain, &query)?.len()))
        }
        "search_read" => {
            check_access(database, uid, model, Operation::Read)?;
            let domain = call.argument(0, "domain").cloned().unwrap_or_else(|| json!([]));
            let fields = accessible_fields(database, uid, model, &names(call.argument(1, "fields")), "read")?;
            let ids = search_visible(database, uid, model, &domain, &call.query(2, 3, 4))?;
            let load = load(call.kwargs.get("load"));
            database.read(model, &ids, &fields, load).map(Value::Array)
        }
        "fields_get" => Ok(fields_get(
            database,
            uid,
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
        "get_param" if model.name == "ir.config_parameter" => {
            check_access(database, uid, model, Operation::Read)?;
            let key = text(call.required(0, "key")?);
            let default = call.argument(1, "default").cloned().unwrap_or(json!(false));
            // `_get_param(key) or default`.
            Ok(database
                .parameter(&key)
                .filter(|value| !value.is_empty())
                .map_or(default, |value| json!(value)))
        }
        "set_param" if model.name == "ir.config_parameter" => {
            check_access(database, uid, model, Operation::Read)?;
            let key = text(call.required(0, "key")?);
            let value = call.required(1, "value")?;
            let value = match value {
                Value::Bool(false) | Value::Null => None,
                Value::String(value) => Some(value.clone()),
                Value::Bool(true) => Some("True".to_owned()),
                other => Some(python_repr(other)),
            };
            check_access(database, uid, model, Operation::Write)?;
            Ok(database
                .set_parameter(&key, value.as_deref())
                .map_or(json!(false), |old| json!(old)))
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
        method => slides::call_method(database, call).unwrap_or_else(|| {
            Err(OdooError::attribute_error(format!(
                "The method '{method}' does not exist on the model '{}'",
                model.name
            )))
        }),
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

/// `fields_get(allfields, attributes)`: the fields the user may see.
fn fields_get(database: &Database, uid: i64, model: &Model, only: &[String], attributes: &[String]) -> Value {
    let mut described = Map::new();
    for field in database
        .fields(model)
        .into_iter()
        .filter(|field| only.is_empty() || only.iter().any(|name| name == field.name))
        .filter(|field| field_allowed(database, uid, field))
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
            "sortable": stored && !matches!(field.kind, Kind::Many2many(_) | Kind::One2many(..)),
            "manual": false,
            "company_dependent": false,
            "change_default": false,
        });
        if let Some(relation) = field.kind.relation() {
            description["relation"] = json!(relation);
            description["domain"] = json!([]);
            description["context"] = json!({});
        }
        if let Kind::One2many(_, inverse) = field.kind {
            description["relation_field"] = json!(inverse);
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
