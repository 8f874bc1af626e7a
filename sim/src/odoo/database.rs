//! One simulated Odoo database: its records model by model, with Odoo's
//! ORM rules for what the external API's clients use (required fields,
//! unique login and OAuth subject, archived records hidden unless
//! `active_test` is off, `_order`, many2one read as `[id, name]`, x2many
//! commands, deleted records).

use std::{cmp::Ordering, collections::BTreeMap};

use serde_json::{json, Map, Value};

use super::{
    domain,
    error::{python_repr, OdooError, OdooResult},
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
pub const MAIN_COMPANY: i64 = 1;

/// How `read` renders a many2one (its `load` argument).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Load {
    /// `_classic_read`, the default: `[id, display name]`.
    DisplayName,
    /// Anything else (`_classic_write`, `None`): the id alone.
    Id,
}

/// One term of an `order` specification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderBy {
    pub field: String,
    pub descending: bool,
}

/// What `search` is asked for besides its domain.
#[derive(Clone, Debug)]
pub struct Query {
    pub active_test: bool,
    pub offset: usize,
    pub limit: Option<usize>,
    /// `None`: the model's `_order`.
    pub order: Option<String>,
}

impl Default for Query {
    fn default() -> Self {
        Self {
            active_test: true,
            offset: 0,
            limit: None,
            order: None,
        }
    }
}

/// One table's rows by id.
pub type Table = BTreeMap<i64, Record>;

#[derive(Clone, Debug, Default)]
pub struct Database {
    pub lang: String,
    tables: BTreeMap<&'static str, Table>,
    /// Each model's id sequence: the next id it gives.
    next_ids: BTreeMap<&'static str, i64>,
    /// The database's filestore (`<data_dir>/filestore/<db>`): each file by
    /// its path in it (`ab/abcdef…`, `ir.attachment`'s `store_fname`).
    pub filestore: BTreeMap<String, Vec<u8>>,
}

/// `ir.config_parameter`'s `_default_parameters`, which its `init` sets at
/// database creation and again, all of them, with `force=True` (a database
/// restored or duplicated as a copy).
fn default_parameters() -> [(&'static str, String); 6] {
    [
        ("database.secret", uuid::Uuid::new_v4().to_string()),
        ("database.uuid", uuid1().to_string()),
        (
            "database.create_date",
            now().as_str().unwrap_or_default().to_owned(),
        ),
        ("web.base.url", "http://localhost:8069".to_owned()),
        ("base.login_cooldown_after", "10".to_owned()),
        ("base.login_cooldown_duration", "60".to_owned()),
    ]
}

/// Python's `uuid.uuid1()`: the time in 100 ns since 1582-10-15, a random
/// clock sequence, and (no MAC address here) a random multicast node.
fn uuid1() -> uuid::Uuid {
    const GREGORIAN_OFFSET: u128 = 0x01B2_1DD2_1381_4000;
    let nanos = u128::try_from(time::OffsetDateTime::now_utc().unix_timestamp_nanos()).unwrap_or(0);
    let ticks = nanos / 100 + GREGORIAN_OFFSET;
    let random = *uuid::Uuid::new_v4().as_bytes();
    let mut tail = [0u8; 8];
    tail.copy_from_slice(&random[8..]);
    tail[0] = 0x80 | (tail[0] & 0x3f);
    tail[2] |= 0x01;
    uuid::Uuid::from_fields(
        (ticks & 0xffff_ffff) as u32,
        ((ticks >> 32) & 0xffff) as u16,
        (((ticks >> 48) & 0x0fff) as u16) | 0x1000,
        &tail,
    )
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
        database.init_parameters(false);
        database.insert_at(
            "res.company",
            MAIN_COMPANY,
            json!({"name": "My Company", "email": false}),
        );
        database.add_xml_id("base", "main_company", "res.company", MAIN_COMPANY);
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
            let email = if login.contains('@') {
                json!(login)
            } else {
                json!(false)
            };
            let partner = database.insert(
                "res.partner",
                json!({"name": name, "email": email, "is_company": false, "active": active}),
            );
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

    /// A database from its tables, id sequences and filestore (a restore).
    pub fn from_parts(
        lang: String,
        tables: BTreeMap<&'static str, Table>,
        next_ids: BTreeMap<&'static str, i64>,
        filestore: BTreeMap<String, Vec<u8>>,
    ) -> Self {
        Self {
            lang,
            tables,
            next_ids,
            filestore,
        }
    }

    /// Every table, by model (a dump).
    pub fn tables(&self) -> &BTreeMap<&'static str, Table> {
        &self.tables
    }

    /// Every id sequence's next id, by model (a dump).
    pub fn next_ids(&self) -> &BTreeMap<&'static str, i64> {
        &self.next_ids
    }

    /// `ir.config_parameter.get_param(key)`.
    pub fn parameter(&self, key: &str) -> Option<&str> {
        self.table("ir.config_parameter")
            .find(|(_, parameter)| at(parameter, "key") == key)
            .and_then(|(_, parameter)| at(parameter, "value").as_str())
    }

    /// `ir.config_parameter.set_param(key, value)`: the previous value;
    /// `None` removes the parameter.
    pub fn set_parameter(&mut self, key: &str, value: Option<&str>) -> Option<String> {
        let found = self
            .table("ir.config_parameter")
            .find(|(_, parameter)| at(parameter, "key") == key)
            .map(|(id, parameter)| (*id, at(parameter, "value").as_str().map(str::to_owned)));
        match (found, value) {
            (Some((id, old)), Some(value)) => {
                if let Some(parameter) = self.get_mut("ir.config_parameter", id) {
                    parameter.insert("value".to_owned(), json!(value));
                }
                old
            }
            (Some((id, old)), None) => {
                self.remove("ir.config_parameter", id);
                old
            }
            (None, Some(value)) => {
                self.insert("ir.config_parameter", json!({"key": key, "value": value}));
                None
            }
            (None, None) => None,
        }
    }

    /// `ir.config_parameter.init(force)`: the default parameters set where
    /// missing, or all of them anew with `force` (a new `database.uuid`).
    pub fn init_parameters(&mut self, force: bool) {
        for (key, value) in default_parameters() {
            if force || self.parameter(key).is_none() {
                self.set_parameter(key, Some(&value));
            }
        }
    }

    /// The `web.base.url` system parameter: records' absolute URLs start
    /// with it; an administrator's web sign-in sets it to the URL they use.
    pub fn web_base_url(&self) -> String {
        self.parameter("web.base.url").unwrap_or_default().to_owned()
    }

    pub fn set_web_base_url(&mut self, url: &str) {
        self.set_parameter("web.base.url", Some(url));
    }

    pub fn table(&self, model: &str) -> impl Iterator<Item = (&i64, &Record)> {
        self.tables.get(model).into_iter().flat_map(|rows| rows.iter())
    }

    pub fn get(&self, model: &str, id: i64) -> Option<&Record> {
        self.tables.get(model)?.get(&id)
    }

    pub fn get_mut(&mut self, model: &str, id: i64) -> Option<&mut Record> {
        self.tables.get_mut(model)?.get_mut(&id)
    }

    /// The first of `ids` without a record.
    fn first_missing(&self, model: &Model, ids: &[i64]) -> Option<i64> {
        ids.iter().copied().find(|id| self.get(model.name, *id).is_none())
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

    /// Deletes a record without checks (a module's data at uninstall).
    pub fn remove(&mut self, model: &str, id: i64) {
        if let Some(rows) = self.tables.get_mut(model) {
            rows.remove(&id);
        }
    }

    /// A model's table dropped: its records and its id sequence gone.
    pub fn drop_table(&mut self, model: &str) {
        self.tables.remove(model);
        self.next_ids.remove(model);
    }

    /// Columns dropped from a model's table.
    pub fn drop_columns(&mut self, model: &str, columns: &[&str]) {
        if columns.is_empty() {
            return;
        }
        for record in self
            .tables
            .get_mut(model)
            .into_iter()
            .flat_map(|rows| rows.values_mut())
        {
            for column in columns {
                record.remove(*column);
            }
        }
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

    /// The `(model, id)` an external id names (`module.name`).
    pub fn xml_id(&self, module: &str, name: &str) -> Option<(String, i64)> {
        self.table("ir.model.data")
            .map(|(_, data)| data)
            .find(|data| at(data, "module") == module && at(data, "name") == name)
            .and_then(|data| {
                Some((
                    at(data, "model").as_str()?.to_owned(),
                    at(data, "res_id").as_i64()?,
                ))
            })
    }

    /// The website whose domain is this host (`_get_current_website_id`,
    /// without its fallback), if `website` is installed.
    pub fn website_for_host(&self, host: &str) -> Option<i64> {
        self.model("website")?;
        let host = request_host(host);
        self.table("website")
            .find(|(_, website)| {
                let domain = at(website, "domain").as_str().map(domain_host);
                !host.is_empty() && domain.as_deref() == Some(host.as_str())
            })
            .map(|(id, _)| *id)
    }

    pub fn is_installed(&self, module: &str) -> bool {
        self.table("ir.module.module")
            .any(|(_, record)| at(record, "name") == module && at(record, "state") == "installed")
    }

    /// The model, if its module is installed.
    pub fn model(&self, name: &str) -> Option<&'static Model> {
        schema::model(name).filter(|model| self.is_installed(model.module))
    }

    /// The field, if it exists in this database (its module installed).
    pub fn field(&self, model: &Model, name: &str) -> Option<Field> {
        match name {
            "id" => Some(schema::ID),
            "display_name" => Some(schema::DISPLAY_NAME),
            _ => model
                .fields
                .iter()
                .copied()
                .find(|field| field.name == name && self.is_installed(field.module)),
        }
    }

    /// Every field of the model in this database, `id` and `display_name` first.
    pub fn fields(&self, model: &Model) -> Vec<Field> {
        [schema::ID, schema::DISPLAY_NAME]
            .into_iter()
            .chain(
                model
                    .fields
                    .iter()
                    .copied()
                    .filter(|field| self.is_installed(field.module)),
            )
            .collect()
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

    /// The groups of a user (none for an unknown uid).
    pub fn groups_of(&self, uid: i64) -> Vec<i64> {
        self.get("res.users", uid)
            .and_then(|user| user.get("groups_id"))
            .and_then(Value::as_array)
            .map(|groups| groups.iter().filter_map(Value::as_i64).collect())
            .unwrap_or_default()
    }

    /// What a web session's token is computed from (`res.users`
    /// `_get_session_token_fields`): a change signs the user's sessions out.
    pub fn session_token(&self, uid: i64) -> Option<String> {
        let user = self.get("res.users", uid)?;
        // With auth_oauth, each sign-in's access token too: signing in
        // through the provider ends the user's other sessions.
        Some(format!(
            "{uid}:{}:{}:{}:{}",
            at(user, "login"),
            at(user, "password"),
            at(user, "active"),
            user.get("oauth_access_token").unwrap_or(&Value::Null)
        ))
    }

    /// `display_name`: the `_rec_name` field (a many2one's own display name).
    pub fn display_name(&self, model: &Model, id: i64) -> Value {
        let Some(record) = self.get(model.name, id) else {
            return Value::Bool(false);
        };
        let shown = at(record, model.rec_name);
        let target = model
            .fields
            .iter()
            .find(|field| field.name == model.rec_name)
            .and_then(|field| match field.kind {
                Kind::Many2one(target) => schema::model(target),
                _ => None,
            });
        match (target, shown.as_i64()) {
            (Some(target), Some(linked)) => self.display_name(target, linked),
            _ => shown.clone(),
        }
    }

    /// The groups a new user gets when created without any: the internal
    /// group and those the modules add to the user template
    /// (`base.default_user`).
    pub fn default_user_groups(&self) -> Vec<i64> {
        let mut groups = vec![GROUP_USER];
        groups.extend(super::slides::template_user_groups(self));
        groups
    }

    /// `create` by the superuser (the server's own code).
    pub fn create(&mut self, model: &'static Model, values: &Value) -> OdooResult<i64> {
        self.create_as(model, values, ROOT_USER)
    }

    /// `create` by `uid` (what an attachment's content may be depends on who).
    pub fn create_as(&mut self, model: &'static Model, values: &Value, uid: i64) -> OdooResult<i64> {
        let values = values.as_object().ok_or_else(|| {
            OdooError::type_error(format!("'{}' object is not a mapping", python_type(values)))
        })?;
        let mut record = Record::new();
        for field in model
            .fields
            .iter()
            .filter(|field| self.is_installed(field.module))
        {
            let default = field.default.value().unwrap_or_else(|| match field.kind {
                Kind::Many2many(_) => json!([]),
                _ => json!(false),
            });
            record.insert(field.name.to_owned(), default);
        }
        if model.name == "res.users" {
            // The default user template makes an internal user; explicit
            // groups start from the internal group alone.
            let groups = if values.contains_key("groups_id") {
                vec![GROUP_USER]
            } else {
                self.default_user_groups()
            };
            record.insert("groups_id".to_owned(), json!(groups));
        }
        self.apply(model, &mut record, values)?;
        if model.name == "ir.attachment" {
            super::attachment::store(self, &mut record, values, uid, true)?;
        }
        self.check_required(model, &record)?;
        self.check_unique(model, None, &record)?;
        if model.name == "res.users" {
            let partner = self.insert(
                "res.partner",
                json!({"name": at(&record, "name"), "email": at(&record, "email"), "is_company": false, "active": true}),
            );
            record.insert("partner_id".to_owned(), json!(partner));
            refresh_share(&mut record);
        }
        Ok(self.insert(model.name, Value::Object(record)))
    }

    pub fn write(&mut self, model: &'static Model, ids: &[i64], values: &Value, uid: i64) -> OdooResult<()> {
        let values = values.as_object().ok_or_else(|| {
            OdooError::attribute_error(format!(
                "'{}' object has no attribute 'items'",
                python_type(values)
            ))
        })?;
        if let Some(id) = self.first_missing(model, ids) {
            return Err(OdooError::missing(model.name, id, uid));
        }
        let mut updated = Vec::new();
        for id in ids {
            let mut record = self.get(model.name, *id).cloned().unwrap_or_default();
            self.apply(model, &mut record, values)?;
            if model.name == "ir.attachment" {
                super::attachment::store(self, &mut record, values, uid, false)?;
            }
            self.check_required(model, &record)?;
            self.check_unique(model, Some(*id), &record)?;
            if model.name == "res.users" {
                refresh_share(&mut record);
            }
            updated.push((*id, record));
        }
        for (id, record) in updated {
            if model.name == "res.users" {
                // A user's name and email are its partner's (`_inherits`).
                let partner = at(&record, "partner_id").as_i64().unwrap_or(0);
                let (name, email) = (at(&record, "name").clone(), at(&record, "email").clone());
                if let Some(partner) = self.get_mut("res.partner", partner) {
                    partner.insert("name".to_owned(), name);
                    partner.insert("email".to_owned(), email);
                }
            }
            if let Some(slot) = self.get_mut(model.name, id) {
                *slot = record;
            }
        }
        Ok(())
    }

    /// Deletes the records; one already deleted is no error unless record
    /// rules read it first.
    pub fn unlink(&mut self, model: &'static Model, ids: &[i64], uid: i64) -> OdooResult<()> {
        if model.record_rules {
            if let Some(id) = self.first_missing(model, ids) {
                return Err(OdooError::missing(model.name, id, uid));
            }
        }
        if model.name == "res.users" && ids.contains(&ROOT_USER) {
            return Err(OdooError::user_error(
                "You can not remove the admin user as it is used internally for resources created by Odoo (updates, module installation, ...)",
            ));
        }
        if model.name == "ir.module.module"
            && ids.iter().any(|id| {
                self.get(model.name, *id)
                    .is_some_and(|module| at(module, "state") == "installed")
            })
        {
            return Err(OdooError::user_error(
                "You are trying to remove a module that is installed or will be installed.",
            ));
        }
        if let Some(rows) = self.tables.get_mut(model.name) {
            for id in ids {
                rows.remove(id);
            }
        }
        Ok(())
    }

    /// Ids matching `domain`, in the query's order (or the model's).
    pub fn search(&self, model: &'static Model, domain: &Value, query: &Query) -> OdooResult<Vec<i64>> {
        let terms = domain::parse(domain)?;
        for leaf in domain::leaves(&terms) {
            if self.field(model, &leaf.field).is_none() {
                return Err(OdooError::value_error(format!(
                    "Invalid field {}.{} in leaf {}",
                    model.name, leaf.field, leaf.source
                )));
            }
        }
        let order = self.order_by(model, query.order.as_deref().unwrap_or(model.order))?;
        let hide_archived = query.active_test && model.has_active() && !domain::mentions(&terms, "active");
        let searches_display_name = domain::mentions(&terms, "display_name");
        let mut found: Vec<(i64, &Record)> = self
            .table(model.name)
            .filter(|(_, record)| !hide_archived || at(record, "active") != false)
            .filter(|(id, record)| {
                if searches_display_name {
                    // Computed, not stored: matched on the `_rec_name` it shows.
                    let mut shown = (*record).clone();
                    shown.insert("display_name".to_owned(), at(record, model.rec_name).clone());
                    domain::matches(&terms, **id, &shown)
                } else {
                    domain::matches(&terms, **id, record)
                }
            })
            .map(|(id, record)| (*id, record))
            .collect();
        found.sort_by(|(left_id, left), (right_id, right)| {
            order
                .iter()
                .map(|term| {
                    let ordering =
                        self.compare_field(model, &term.field, (*left_id, left), (*right_id, right));
                    if term.descending {
                        ordering.reverse()
                    } else {
                        ordering
                    }
                })
                .find(|ordering| ordering.is_ne())
                .unwrap_or_else(|| left_id.cmp(right_id))
        });
        Ok(found
            .into_iter()
            .map(|(id, _)| id)
            .skip(query.offset)
            .take(query.limit.unwrap_or(usize::MAX))
            .collect())
    }

    /// Parses an `order` specification ("name desc, id").
    fn order_by(&self, model: &Model, order: &str) -> OdooResult<Vec<OrderBy>> {
        let invalid = || {
            OdooError::value_error(format!(
                "Invalid \"order\" specified ({order}). A valid \"order\" specification is a comma-separated list of valid field names (optionally followed by asc/desc for the direction)"
            ))
        };
        order
            .split(',')
            .map(|term| {
                let mut words = term.split_whitespace();
                let field = words.next().ok_or_else(invalid)?.trim_matches('"');
                let descending = match words.next().map(str::to_lowercase).as_deref() {
                    None | Some("asc") => false,
                    Some("desc") => true,
                    Some(_) => return Err(invalid()),
                };
                if words.next().is_some() {
                    return Err(invalid());
                }
                if self.field(model, field).is_none() {
                    return Err(OdooError::value_error(format!(
                        "Invalid field '{field}' on model '{}'",
                        model.name
                    )));
                }
                Ok(OrderBy {
                    field: field.to_owned(),
                    descending,
                })
            })
            .collect()
    }

    /// PostgreSQL's ascending order of one column: text without regard to
    /// case, NULL last.
    fn compare_field(
        &self,
        model: &Model,
        field: &str,
        left: (i64, &Record),
        right: (i64, &Record),
    ) -> Ordering {
        let value = |(id, record): (i64, &Record)| match field {
            "id" => json!(id),
            "display_name" => at(record, model.rec_name).clone(),
            _ => at(record, field).clone(),
        };
        let boolean = self
            .field(model, field)
            .is_some_and(|field| field.kind == Kind::Boolean);
        let (left, right) = (value(left), value(right));
        let is_null = |value: &Value| value.is_null() || (!boolean && *value == false);
        match (is_null(&left), is_null(&right)) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => match (&left, &right) {
                (Value::String(left), Value::String(right)) => left
                    .to_lowercase()
                    .cmp(&right.to_lowercase())
                    .then_with(|| left.cmp(right)),
                (Value::Bool(left), Value::Bool(right)) => left.cmp(right),
                _ => left
                    .as_f64()
                    .zip(right.as_f64())
                    .and_then(|(left, right)| left.partial_cmp(&right))
                    .unwrap_or(Ordering::Equal),
            },
        }
    }

    /// `read`: empty values as `false`, many2one as `load` says. A deleted
    /// record is left out, as Odoo's fetch does.
    pub fn read(
        &self,
        model: &'static Model,
        ids: &[i64],
        fields: &[String],
        load: Load,
    ) -> OdooResult<Vec<Value>> {
        let wanted: Vec<Field> = if fields.is_empty() {
            self.fields(model)
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
        Ok(ids
            .iter()
            .filter_map(|id| self.get(model.name, *id).map(|record| (*id, record)))
            .map(|(id, record)| {
                let mut out = Record::new();
                out.insert("id".to_owned(), json!(id));
                for field in wanted.iter().filter(|field| field.name != "id") {
                    let value = match field.name {
                        "display_name" => self.display_name(model, id),
                        "datas" if model.name == "ir.attachment" => super::attachment::datas(self, record),
                        _ => self.render(field, at(record, field.name), load),
                    };
                    out.insert(field.name.to_owned(), value);
                }
                Value::Object(out)
            })
            .collect())
    }

    fn render(&self, field: &Field, value: &Value, load: Load) -> Value {
        match (field.kind, value) {
            // Passwords are never read back.
            _ if field.name == "password" => json!(""),
            (Kind::Many2one(target), Value::Number(id)) => {
                let id = id.as_i64().unwrap_or(0);
                match (load, schema::model(target)) {
                    (Load::DisplayName, Some(target)) => json!([id, self.display_name(target, id)]),
                    _ => json!(id),
                }
            }
            (
                Kind::Char | Kind::Text | Kind::Html | Kind::Datetime | Kind::Selection(_),
                Value::String(text),
            ) if text.is_empty() => {
                json!(false)
            }
            (_, Value::Null) => json!(false),
            _ => value.clone(),
        }
    }

    /// `default_get(fields)`: the defaults of those of `fields` that have one.
    pub fn default_get(&self, model: &Model, fields: &[String]) -> Value {
        let mut defaults = Record::new();
        for field in fields.iter().filter_map(|name| self.field(model, name)) {
            let value = match field.default.value() {
                Some(value) => value,
                None if model.name == "res.users" && field.name == "groups_id" => {
                    json!([[6, 0, self.default_user_groups()]])
                }
                None => continue,
            };
            defaults.insert(field.name.to_owned(), value);
        }
        Value::Object(defaults)
    }

    /// Applies `values` to `record`, checking each field and its type.
    fn apply(&self, model: &Model, record: &mut Record, values: &Record) -> OdooResult<()> {
        for (name, value) in values {
            let field = self.field(model, name).ok_or_else(|| {
                OdooError::value_error(format!("Invalid field '{name}' on model '{}'", model.name))
            })?;
            if field.computed {
                continue;
            }
            let stored = match field.kind {
                // Written through their commands by the model's own code;
                // a binary through its inverse (`attachment.rs`).
                Kind::One2many(..) | Kind::Binary => continue,
                Kind::Datetime => datetime_value(model, name, value)?,
                Kind::Char if model.name == "website" && name == "domain" => match value {
                    Value::String(domain) => handle_domain(domain),
                    Value::Bool(false) | Value::Null => value.clone(),
                    _ => return Err(wrong_value(model, name, value)),
                },
                Kind::Char | Kind::Text | Kind::Html => match value {
                    Value::String(_) | Value::Bool(false) | Value::Null => value.clone(),
                    _ => return Err(wrong_value(model, name, value)),
                },
                Kind::Selection(options) => match value {
                    Value::Bool(false) | Value::Null => Value::Bool(false),
                    Value::String(choice) if options.iter().any(|(known, _)| known == choice) => {
                        value.clone()
                    }
                    _ => return Err(wrong_value(model, name, value)),
                },
                Kind::Boolean => Value::Bool(truthy(value)),
                Kind::Integer => match value {
                    Value::Number(_) | Value::Bool(false) => value.clone(),
                    _ => return Err(wrong_value(model, name, value)),
                },
                Kind::Many2one(target) => match value {
                    Value::Bool(false) | Value::Null => Value::Bool(false),
                    Value::Number(id) => {
                        let id = id.as_i64().ok_or_else(|| wrong_value(model, name, value))?;
                        if self.get(target, id).is_none() {
                            return Err(foreign_key_violation(model, name));
                        }
                        json!(id)
                    }
                    _ => return Err(wrong_value(model, name, value)),
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
                    "The operation cannot be completed:\n- Create/update: a mandatory field is not set.\n- Delete: another model requires the record being deleted. If possible, archive it instead.\n\nModel: {} ({})\nField: {} ({})\n",
                    model.description, model.name, field.label, field.name
                )));
            }
        }
        Ok(())
    }

    /// The SQL unique constraints, reported as `service/model.py`
    /// `_as_validation_error` words them.
    fn check_unique(&self, model: &Model, own_id: Option<i64>, record: &Record) -> OdooResult<()> {
        match model.name {
            "res.users" => self.check_unique_user(own_id, record),
            "ir.config_parameter" => self.check_unique_key(own_id, record),
            "website" => self.check_unique_domain(own_id, record),
            _ => super::slides::check_constraints(self, model, own_id, record),
        }
    }

    /// `ir.config_parameter`'s `key_uniq`.
    fn check_unique_key(&self, own_id: Option<i64>, record: &Record) -> OdooResult<()> {
        let key = at(record, "key");
        if self
            .table("ir.config_parameter")
            .any(|(id, parameter)| Some(*id) != own_id && at(parameter, "key") == key)
        {
            return Err(OdooError::validation(
                "The operation cannot be completed: Key must be unique.",
            ));
        }
        Ok(())
    }

    /// `website`'s `domain_unique` (a NULL domain is no duplicate).
    fn check_unique_domain(&self, own_id: Option<i64>, record: &Record) -> OdooResult<()> {
        let domain = at(record, "domain");
        let taken = domain.is_string()
            && self
                .table("website")
                .any(|(id, website)| Some(*id) != own_id && at(website, "domain") == domain);
        if taken {
            return Err(OdooError::validation(
                "The operation cannot be completed: Website Domain should be unique.",
            ));
        }
        Ok(())
    }

    fn check_unique_user(&self, own_id: Option<i64>, record: &Record) -> OdooResult<()> {
        let others = || {
            self.table("res.users")
                .filter(|(id, _)| Some(**id) != own_id)
                .map(|(_, user)| user)
        };
        if others().any(|user| at(user, "login") == at(record, "login")) {
            return Err(OdooError::validation(
                "The operation cannot be completed: You can not have two users with the same login !",
            ));
        }
        let subject = record.get("oauth_uid").filter(|uid| uid.is_string());
        if let Some(subject) = subject {
            let provider = at(record, "oauth_provider_id");
            if others()
                .any(|user| at(user, "oauth_uid") == subject && at(user, "oauth_provider_id") == provider)
            {
                return Err(OdooError::validation(
                    "The operation cannot be completed: OAuth UID must be unique per provider",
                ));
            }
        }
        Ok(())
    }
}

/// `website._handle_domain`: a domain written without a scheme gets
/// `https://`, and none keeps a trailing slash.
fn handle_domain(domain: &str) -> Value {
    if domain.is_empty() {
        return Value::from(domain);
    }
    let domain = if domain.starts_with("http") {
        domain.to_owned()
    } else {
        format!("https://{domain}")
    };
    Value::from(domain.trim_end_matches('/'))
}

/// The host of a website's domain, as `_get_current_website_id` compares
/// it: werkzeug's `url_parse(domain).netloc` without its port, in lower
/// case; empty when the domain has no `//` (a scheme alone is no host).
fn domain_host(domain: &str) -> String {
    let is_scheme = |scheme: &str| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    };
    // As werkzeug: `host:8069` has no scheme, its "scheme" is the host.
    let rest = match domain.split_once(':') {
        Some((scheme, rest))
            if is_scheme(scheme) && (rest.is_empty() || !rest.chars().all(|c| c.is_ascii_digit())) =>
        {
            rest
        }
        _ => domain,
    };
    let netloc = rest
        .strip_prefix("//")
        .and_then(|rest| rest.split(['/', '?', '#']).next())
        .unwrap_or_default();
    request_host(netloc)
}

/// A request's host without its port, in lower case (`_remove_port`).
fn request_host(host: &str) -> String {
    host.split(':').next().unwrap_or_default().to_ascii_lowercase()
}

/// A record's field, `null` when absent (indexing a map would panic).
pub fn at<'a>(record: &'a Record, field: &str) -> &'a Value {
    record.get(field).unwrap_or(&Value::Null)
}

/// Python's truth value of what the JSON decodes to.
pub fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(flag) => *flag,
        Value::Number(number) => number.as_f64().is_some_and(|number| number != 0.0),
        Value::String(text) => !text.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(members) => !members.is_empty(),
    }
}

fn python_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(number) if number.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// `fields.Datetime.to_datetime`: `YYYY-MM-DD HH:MM:SS`, or a date alone
/// for its midnight.
fn datetime_value(model: &Model, field: &str, value: &Value) -> OdooResult<Value> {
    let text = match value {
        Value::Bool(false) | Value::Null => return Ok(Value::Bool(false)),
        Value::String(text) => text,
        _ => return Err(wrong_value(model, field, value)),
    };
    let date_format = time::macros::format_description!("[year]-[month]-[day]");
    let full_format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    if time::Date::parse(text, date_format).is_ok() {
        return Ok(Value::from(format!("{text} 00:00:00")));
    }
    if time::PrimitiveDateTime::parse(text, full_format).is_ok() {
        return Ok(value.clone());
    }
    Err(OdooError::value_error(format!(
        "time data '{text}' does not match format '%Y-%m-%d %H:%M:%S'"
    )))
}

/// Now, as a `Datetime` field stores it.
pub fn now() -> Value {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    let now = time::OffsetDateTime::now_utc();
    Value::from(now.format(format).unwrap_or_default())
}

fn wrong_value(model: &Model, field: &str, value: &Value) -> OdooError {
    OdooError::value_error(format!(
        "Wrong value for {}.{field}: {}",
        model.name,
        python_repr(value)
    ))
}

/// A many2one to a record that does not exist: PostgreSQL's foreign key
/// refuses it at flush, and Odoo words the violation as a deletion.
fn foreign_key_violation(model: &Model, field: &str) -> OdooError {
    OdooError::validation(format!(
        "The operation cannot be completed: another model requires the record being deleted. If possible, archive it instead.\n\nModel: {} ({})\nConstraint: {}_{field}_fkey\n",
        model.description,
        model.name,
        model.name.replace('.', "_")
    ))
}

/// A user without the internal group is a portal or public ("share") user.
fn refresh_share(user: &mut Record) {
    let internal = user
        .get("groups_id")
        .and_then(Value::as_array)
        .is_some_and(|groups| groups.iter().any(|group| group.as_i64() == Some(GROUP_USER)));
    user.insert("share".to_owned(), Value::Bool(!internal));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_website_domain_gets_a_scheme_and_is_matched_by_its_host() {
        assert_eq!(handle_domain("shop.example.fr/"), "https://shop.example.fr");
        assert_eq!(handle_domain("http://shop.example.fr"), "http://shop.example.fr");
        assert_eq!(domain_host("https://Shop.Example.fr:8443/x"), "shop.example.fr");
        assert_eq!(domain_host("//shop.example.fr"), "shop.example.fr");
        // werkzeug finds no host without `//`.
        assert_eq!(domain_host("shop.example.fr"), "");
        assert_eq!(domain_host("shop.example.fr:8069"), "");
        assert_eq!(request_host("SHOP.example.fr:443"), "shop.example.fr");
    }
}
