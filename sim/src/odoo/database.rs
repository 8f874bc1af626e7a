//! One simulated Odoo database: its records model by model, with Odoo's
//! ORM rules for what Bibind uses (required fields, unique login and OAuth
//! subject, archived records hidden unless `active_test` is off, many2one
//! read as `[id, name]`, x2many commands).

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::{
    domain,
    error::{OdooError, OdooResult},
    schema::{self, Field, Kind, Model},
};

pub type Record = Map<String, Value>;

/// Ids fixed at database creation, as Odoo's `base` data gives them.
pub const GROUP_USER: i64 = 1;
pub const GROUP_SYSTEM: i64 = 2;
pub const GROUP_PORTAL: i64 = 10;
pub const GROUP_PUBLIC: i64 = 11;
pub const ROOT_USER: i64 = 1;
pub const ADMIN_USER: i64 = 2;
pub const PUBLIC_USER: i64 = 4;

#[derive(Clone, Debug, Default)]
pub struct Database {
    pub lang: String,
    tables: BTreeMap<&'static str, BTreeMap<i64, Record>>,
    next_ids: BTreeMap<&'static str, i64>,
}

impl Database {
    /// A new database as `create_database` leaves it: `base` and `web`
    /// installed, the administrator with the given login and password.
    pub fn new(admin_login: &str, admin_password: &str, lang: &str) -> Self {
        let mut database = Self {
            lang: lang.to_owned(),
            ..Self::default()
        };
        super::modules::seed(&mut database);
        for (id, name, xml_id) in [
            (GROUP_USER, "Internal User", "group_user"),
            (GROUP_SYSTEM, "Settings", "group_system"),
            (GROUP_PORTAL, "Portal", "group_portal"),
            (GROUP_PUBLIC, "Public", "group_public"),
        ] {
            database.insert_at("res.groups", id, json!({"name": name}));
            database.add_xml_id("base", xml_id, "res.groups", id);
        }
        for (id, login, name, active, groups, password) in [
            (
                ROOT_USER,
                "__system__",
                "OdooBot",
                false,
                vec![GROUP_USER, GROUP_SYSTEM],
                "",
            ),
            (
                ADMIN_USER,
                admin_login,
                "Administrator",
                true,
                vec![GROUP_USER, GROUP_SYSTEM],
                admin_password,
            ),
            (
                PUBLIC_USER,
                "public",
                "Public user",
                false,
                vec![GROUP_PUBLIC],
                "",
            ),
        ] {
            let partner = database.insert(
                "res.partner",
                json!({"name": name, "email": false, "active": active}),
            );
            let email = if login.contains('@') {
                json!(login)
            } else {
                json!(false)
            };
            database.insert_at(
                "res.users",
                id,
                json!({
                    "login": login, "name": name, "email": email, "active": active,
                    "share": !groups.contains(&GROUP_USER), "lang": lang, "password": password,
                    "groups_id": groups, "partner_id": partner,
                }),
            );
        }
        database.add_xml_id("base", "user_root", "res.users", ROOT_USER);
        database.add_xml_id("base", "user_admin", "res.users", ADMIN_USER);
        database.add_xml_id("base", "public_user", "res.users", PUBLIC_USER);
        database
    }

    pub fn table(&self, model: &str) -> impl Iterator<Item = (&i64, &Record)> {
        self.tables.get(model).into_iter().flat_map(|rows| rows.iter())
    }

    pub fn get(&self, model: &str, id: i64) -> Option<&Record> {
        self.tables.get(model)?.get(&id)
    }

    /// Odoo's `MissingError` naming every id of `ids` that has no record.
    fn check_exist(&self, model: &Model, ids: &[i64]) -> OdooResult<()> {
        let missing: Vec<i64> = ids
            .iter()
            .copied()
            .filter(|id| self.get(model.name, *id).is_none())
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(OdooError::missing(model.name, &missing))
        }
    }

    pub fn get_mut(&mut self, model: &str, id: i64) -> Option<&mut Record> {
        self.tables.get_mut(model)?.get_mut(&id)
    }

    /// Inserts without checks (seed data); the new id.
    pub fn insert(&mut self, model: &'static str, values: Value) -> i64 {
        let id = self
            .next_ids
            .get(model)
            .copied()
            .unwrap_or(1)
            .max(self.max_id(model) + 1);
        self.insert_at(model, id, values);
        id
    }

    fn insert_at(&mut self, model: &'static str, id: i64, values: Value) {
        let record = match values {
            Value::Object(record) => record,
            _ => Record::new(),
        };
        self.tables.entry(model).or_default().insert(id, record);
        let next = self.next_ids.entry(model).or_insert(1);
        *next = (*next).max(id + 1);
    }

    fn max_id(&self, model: &str) -> i64 {
        self.tables
            .get(model)
            .and_then(|rows| rows.keys().next_back().copied())
            .unwrap_or(0)
    }

    pub fn add_xml_id(&mut self, module: &str, name: &str, model: &str, res_id: i64) {
        self.insert(
            "ir.model.data",
            json!({"module": module, "name": name, "model": model, "res_id": res_id}),
        );
    }

    pub fn is_installed(&self, module: &str) -> bool {
        self.table("ir.module.module")
            .any(|(_, record)| at(record, "name") == module && at(record, "state") == "installed")
    }

    /// The model, if its module is installed.
    pub fn model(&self, name: &str) -> OdooResult<&'static Model> {
        match schema::model(name) {
            Some(model) if self.is_installed(model.module) => Ok(model),
            _ => Err(OdooError::user_error(format!("Object {name} doesn't exist"))),
        }
    }

    /// The field, if it exists in this database (its module installed).
    pub fn field(&self, model: &Model, name: &str) -> Option<Field> {
        if name == "id" {
            return Some(Field {
                name: "id",
                kind: Kind::Integer,
                required: false,
                module: "base",
                readonly: true,
            });
        }
        model
            .fields
            .iter()
            .copied()
            .find(|field| field.name == name && self.is_installed(field.module))
    }

    /// The uid of an active user with this login and password.
    pub fn authenticate(&self, login: &str, password: &str) -> Option<i64> {
        self.table("res.users")
            .find(|(_, user)| at(user, "login") == login)
            .filter(|(_, user)| {
                at(user, "active") == true && !password.is_empty() && at(user, "password") == password
            })
            .map(|(id, _)| *id)
    }

    pub fn check_credentials(&self, uid: i64, password: &str) -> bool {
        self.get("res.users", uid).is_some_and(|user| {
            at(user, "active") == true && !password.is_empty() && at(user, "password") == password
        })
    }

    pub fn create(&mut self, model: &'static Model, values: &Value) -> OdooResult<i64> {
        forbid_system_model(model)?;
        let values = values
            .as_object()
            .ok_or_else(|| OdooError::type_error("create() expects a dict of values"))?;
        let mut record = Record::new();
        for field in model
            .fields
            .iter()
            .filter(|field| self.is_installed(field.module))
        {
            let default = match (field.name, field.kind) {
                ("active" | "enabled", _) => json!(true),
                (_, Kind::Many2many(_)) => json!([]),
                _ => json!(false),
            };
            record.insert(field.name.to_owned(), default);
        }
        if model.name == "res.users" {
            // The default user template makes an internal user.
            record.insert("groups_id".to_owned(), json!([GROUP_USER]));
        }
        self.apply(model, &mut record, values)?;
        self.check_required(model, &record)?;
        self.check_unique(model, None, &record)?;
        let name = model.name;
        if name == "res.users" {
            let partner = self.insert(
                "res.partner",
                json!({"name": at(&record, "name"), "email": at(&record, "email"), "active": true}),
            );
            record.insert("partner_id".to_owned(), json!(partner));
            refresh_share(&mut record);
        }
        Ok(self.insert(name, Value::Object(record)))
    }

    pub fn write(&mut self, model: &'static Model, ids: &[i64], values: &Value) -> OdooResult<()> {
        forbid_system_model(model)?;
        let values = values
            .as_object()
            .ok_or_else(|| OdooError::type_error("write() expects a dict of values"))?;
        self.check_exist(model, ids)?;
        let mut updated = Vec::new();
        for id in ids {
            let mut record = self.get(model.name, *id).cloned().unwrap_or_default();
            self.apply(model, &mut record, values)?;
            self.check_required(model, &record)?;
            self.check_unique(model, Some(*id), &record)?;
            if model.name == "res.users" {
                refresh_share(&mut record);
            }
            updated.push((*id, record));
        }
        for (id, record) in updated {
            if let Some(slot) = self.get_mut(model.name, id) {
                *slot = record;
            }
        }
        Ok(())
    }

    pub fn unlink(&mut self, model: &'static Model, ids: &[i64]) -> OdooResult<()> {
        forbid_system_model(model)?;
        if let Some(rows) = self.tables.get_mut(model.name) {
            for id in ids {
                rows.remove(id);
            }
        }
        Ok(())
    }

    /// Ids matching `domain`, in id order (`order` other than by id is not simulated).
    pub fn search(
        &self,
        model: &'static Model,
        domain: &Value,
        active_test: bool,
        offset: usize,
        limit: Option<usize>,
        descending: bool,
    ) -> OdooResult<Vec<i64>> {
        let terms = domain::parse(domain)?;
        for leaf in domain::leaves(&terms) {
            if self.field(model, &leaf.field).is_none() {
                return Err(OdooError::value_error(format!(
                    "Invalid field {}.{} in leaf {}",
                    model.name, leaf.field, leaf.source
                )));
            }
        }
        let hide_archived = active_test && model.has_active() && !domain::mentions(&terms, "active");
        let mut ids: Vec<i64> = self
            .table(model.name)
            .filter(|(_, record)| !hide_archived || at(record, "active") != false)
            .filter(|(id, record)| domain::matches(&terms, **id, record))
            .map(|(id, _)| *id)
            .collect();
        if descending {
            ids.reverse();
        }
        Ok(ids
            .into_iter()
            .skip(offset)
            .take(limit.unwrap_or(usize::MAX))
            .collect())
    }

    /// `read`: many2one as `[id, name]`, empty values as `false`.
    pub fn read(&self, model: &'static Model, ids: &[i64], fields: &[String]) -> OdooResult<Vec<Value>> {
        let wanted: Vec<Field> = if fields.is_empty() {
            model
                .fields
                .iter()
                .copied()
                .filter(|field| self.is_installed(field.module))
                .collect()
        } else {
            fields
                .iter()
                .map(|name| {
                    self.field(model, name).ok_or_else(|| {
                        OdooError::value_error(format!("Invalid field '{name}' on model '{}'", model.name))
                    })
                })
                .collect::<OdooResult<_>>()?
        };
        self.check_exist(model, ids)?;
        Ok(ids
            .iter()
            .filter_map(|id| self.get(model.name, *id).map(|record| (id, record)))
            .map(|(id, record)| {
                let mut out = Record::new();
                out.insert("id".to_owned(), json!(id));
                for field in wanted.iter().filter(|field| field.name != "id") {
                    out.insert(field.name.to_owned(), self.render(field, at(record, field.name)));
                }
                Value::Object(out)
            })
            .collect())
    }

    fn render(&self, field: &Field, value: &Value) -> Value {
        match (field.kind, value) {
            // Passwords are never read back.
            _ if field.name == "password" => json!(""),
            (Kind::Many2one(target), Value::Number(id)) => {
                let id = id.as_i64().unwrap_or(0);
                let name = self
                    .get(target, id)
                    .map_or(Value::Bool(false), |record| at(record, "name").clone());
                json!([id, name])
            }
            (Kind::Char | Kind::Selection, Value::String(text)) if text.is_empty() => json!(false),
            (_, Value::Null) => json!(false),
            _ => value.clone(),
        }
    }

    /// Applies `values` to `record`, checking each field and its type.
    fn apply(&self, model: &Model, record: &mut Record, values: &Record) -> OdooResult<()> {
        for (name, value) in values {
            let field = self.field(model, name).ok_or_else(|| {
                OdooError::value_error(format!("Invalid field '{name}' on model '{}'", model.name))
            })?;
            if field.readonly {
                continue;
            }
            let stored = match field.kind {
                Kind::Char | Kind::Selection => match value {
                    Value::String(_) | Value::Bool(false) | Value::Null => value.clone(),
                    _ => return Err(wrong_type(model, name, value)),
                },
                Kind::Boolean => Value::Bool(value.as_bool().unwrap_or(!value.is_null())),
                Kind::Integer => match value {
                    Value::Number(_) | Value::Bool(false) => value.clone(),
                    _ => return Err(wrong_type(model, name, value)),
                },
                Kind::Many2one(target) => match value {
                    Value::Bool(false) | Value::Null => Value::Bool(false),
                    Value::Number(id) => {
                        let id = id.as_i64().ok_or_else(|| wrong_type(model, name, value))?;
                        if self.get(target, id).is_none() {
                            return Err(OdooError::missing(target, &[id]));
                        }
                        json!(id)
                    }
                    _ => return Err(wrong_type(model, name, value)),
                },
                Kind::Many2many(_) => {
                    let current: Vec<i64> = record
                        .get(name)
                        .and_then(Value::as_array)
                        .map(|ids| ids.iter().filter_map(Value::as_i64).collect())
                        .unwrap_or_default();
                    json!(domain::apply_x2many_commands(current, value)?)
                }
            };
            record.insert(name.clone(), stored);
        }
        Ok(())
    }

    fn check_required(&self, model: &Model, record: &Record) -> OdooResult<()> {
        for field in model
            .fields
            .iter()
            .filter(|field| field.required && self.is_installed(field.module))
        {
            // OCA auth_oidc makes the validation endpoint optional.
            if field.name == "validation_endpoint" && self.is_installed("auth_oidc") {
                continue;
            }
            let value = record.get(field.name).unwrap_or(&Value::Null);
            if matches!(value, Value::Null | Value::Bool(false)) || value.as_str() == Some("") {
                return Err(OdooError::validation(format!(
                    "The operation cannot be completed:\n- Create/update: a mandatory field is not set.\n- Delete: another model requires the record being deleted. If possible, archive it instead.\n\nModel: {} ({})\nField: {}",
                    model.description, model.name, field.name
                )));
            }
        }
        Ok(())
    }

    fn check_unique(&self, model: &Model, own_id: Option<i64>, record: &Record) -> OdooResult<()> {
        if model.name != "res.users" {
            return Ok(());
        }
        let others = || {
            self.table("res.users")
                .filter(|(id, _)| Some(**id) != own_id)
                .map(|(_, user)| user)
        };
        if others().any(|user| at(user, "login") == at(record, "login")) {
            return Err(OdooError::validation(
                "You can not have two users with the same login!",
            ));
        }
        let subject = record.get("oauth_uid").filter(|uid| uid.is_string());
        if let Some(subject) = subject {
            let provider = at(record, "oauth_provider_id");
            if others()
                .any(|user| at(user, "oauth_uid") == subject && at(user, "oauth_provider_id") == provider)
            {
                return Err(OdooError::validation("OAuth UID must be unique per provider"));
            }
        }
        Ok(())
    }
}

/// A record's field, `null` when absent (indexing a map would panic).
pub fn at<'a>(record: &'a Record, field: &str) -> &'a Value {
    record.get(field).unwrap_or(&Value::Null)
}

fn forbid_system_model(model: &Model) -> OdooResult<()> {
    if model.system_only {
        return Err(OdooError::access_error(format!(
            "You are not allowed to modify '{}' ({}) records.",
            model.description, model.name
        )));
    }
    Ok(())
}

fn wrong_type(model: &Model, field: &str, value: &Value) -> OdooError {
    OdooError::value_error(format!("Wrong value for {}.{field}: {value}", model.name))
}

/// A user without the internal group is a portal or public ("share") user.
fn refresh_share(user: &mut Record) {
    let internal = user
        .get("groups_id")
        .and_then(Value::as_array)
        .is_some_and(|groups| groups.iter().any(|group| group.as_i64() == Some(GROUP_USER)));
    user.insert("share".to_owned(), Value::Bool(!internal));
}
