//! The module catalogue (a simplified dependency graph of the Odoo 17
//! modules Bibind installs), `button_immediate_install`, which installs
//! dependencies first, then the auto-installed modules they complete, and
//! loads each module's data, and `button_immediate_uninstall`, which
//! removes the modules and those that depend on them, with their data.

use serde_json::{json, Value};

use super::{
    database::{at, Database, MAIN_COMPANY},
    error::{OdooError, OdooResult},
    schema::{Kind, MODELS},
};

/// A module as its `__manifest__.py` describes it.
struct Module {
    name: &'static str,
    /// `shortdesc`: the manifest's `name`.
    title: &'static str,
    /// The manifest's `depends` kept to the catalogue: a dependency outside
    /// it is replaced by what it brings in, so that each module pulls in the
    /// same catalogue modules as in Odoo.
    depends: &'static [&'static str],
    /// The manifest's `auto_install: True`: installed as soon as all its
    /// dependencies are.
    auto_install: bool,
}

const fn module(name: &'static str, title: &'static str, depends: &'static [&'static str]) -> Module {
    Module {
        name,
        title,
        depends,
        auto_install: false,
    }
}

const fn auto(name: &'static str, title: &'static str, depends: &'static [&'static str]) -> Module {
    Module {
        auto_install: true,
        ..module(name, title, depends)
    }
}

const CATALOGUE: &[Module] = &[
    module("base", "Base", &[]),
    auto("web", "Web", &["base"]),
    auto("bus", "IM Bus", &["base", "web"]),
    auto("base_setup", "Initial Setup Tools", &["base", "web"]),
    module("mail", "Discuss", &["base", "base_setup", "bus", "web"]),
    auto("auth_signup", "Signup", &["base_setup", "mail", "web"]),
    module(
        "auth_oauth",
        "OAuth2 Authentication",
        &["base", "web", "base_setup", "auth_signup"],
    ),
    module("auth_oidc", "Authentication OpenID Connect", &["auth_oauth"]),
    module("http_routing", "Web Routing", &["web"]),
    module(
        "portal",
        "Customer Portal",
        &["web", "http_routing", "mail", "auth_signup"],
    ),
    module("uom", "Units of measure", &["base"]),
    module("product", "Products & Pricelists", &["base", "mail", "uom"]),
    module("sales_team", "Sales Teams", &["base", "mail"]),
    module("payment", "Payment Engine", &["portal"]),
    module("account", "Invoicing", &["base_setup", "product", "portal"]),
    // `account_payment` stands for account and payment.
    module("sale", "Sales", &["sales_team", "account", "payment", "portal"]),
    module(
        "website",
        "Website",
        &["web", "http_routing", "portal", "auth_signup", "mail"],
    ),
    auto(
        "website_payment",
        "Website Payment",
        &["website", "account", "payment", "portal"],
    ),
    auto("website_mail", "Website Mail", &["website", "mail"]),
    module("website_partner", "Website Partner", &["website"]),
    module("gamification", "Gamification", &["mail"]),
    module("rating", "Customer Rating", &["mail"]),
    auto("portal_rating", "Portal Rating", &["portal", "rating"]),
    module(
        "website_sale",
        "eCommerce",
        &[
            "website",
            "sale",
            "website_payment",
            "website_mail",
            "portal_rating",
        ],
    ),
    module("website_sale_wishlist", "Shopper's Wishlist", &["website_sale"]),
    module("website_sale_comparison", "Product Comparison", &["website_sale"]),
    // `digest` brings in portal.
    module("stock", "Inventory", &["product", "portal"]),
    // `stock_account` stands for stock (and account).
    auto("sale_stock", "Sales and Warehouse Management", &["sale", "stock"]),
    auto(
        "website_sale_stock",
        "Product Availability",
        &["website_sale", "sale_stock"],
    ),
    module("website_blog", "Blog", &["website_mail", "website_partner"]),
    module(
        "website_profile",
        "Website profile",
        &["website_partner", "gamification"],
    ),
    module(
        "website_forum",
        "Forum",
        &["auth_signup", "website_mail", "website_profile"],
    ),
    module(
        "website_slides",
        "eLearning",
        &["portal_rating", "website", "website_mail", "website_profile"],
    ),
    auto(
        "website_slides_forum",
        "Forum on Courses",
        &["website_slides", "website_forum"],
    ),
    module(
        "survey",
        "Surveys",
        &["auth_signup", "http_routing", "mail", "gamification"],
    ),
    auto(
        "website_slides_survey",
        "Course Certifications",
        &["website_slides", "survey"],
    ),
];

/// Installed in every new database.
const INSTALLED_AT_CREATION: &[&str] = &["base", "web", "bus", "base_setup"];

/// Odoo's server-wide modules (`--load`, `base,web` by default), which
/// `button_uninstall` refuses to remove.
const SERVER_WIDE: &[&str] = &["base", "web"];

pub fn seed(database: &mut Database) {
    for module in CATALOGUE {
        let state = if INSTALLED_AT_CREATION.contains(&module.name) {
            "installed"
        } else {
            "uninstalled"
        };
        database.insert(
            "ir.module.module",
            json!({"name": module.name, "shortdesc": module.title, "state": state}),
        );
    }
}

/// A catalogued module's dependencies (none for a module created by hand).
fn dependencies(name: &str) -> &'static [&'static str] {
    CATALOGUE
        .iter()
        .find(|module| module.name == name)
        .map_or(&[], |module| module.depends)
}

/// The records `ids` name, as (name, state), once each.
fn selected(database: &Database, ids: &[i64], uid: i64) -> OdooResult<Vec<(String, String)>> {
    let mut modules: Vec<(String, String)> = Vec::new();
    for id in ids {
        let record = database
            .get("ir.module.module", *id)
            .ok_or_else(|| OdooError::missing("ir.module.module", *id, uid))?;
        let text = |field| at(record, field).as_str().unwrap_or_default().to_owned();
        let module = (text("name"), text("state"));
        if !modules.contains(&module) {
            modules.push(module);
        }
    }
    Ok(modules)
}

/// What `_button_immediate_function` answers: reload the web client on
/// its first root menu.
fn reload() -> Value {
    json!({"type": "ir.actions.client", "tag": "reload", "params": {"menu_id": 1}})
}

/// `ir.module.module.button_immediate_install(ids)`: the modules, their
/// dependencies and the auto-installed modules they complete.
pub fn install(database: &mut Database, ids: &[i64], uid: i64) -> OdooResult<Value> {
    let mut to_install = Vec::new();
    for (name, _) in selected(database, ids, uid)? {
        mark_to_install(database, &name, &mut to_install);
    }
    loop {
        let completed = auto_installed(database, &to_install);
        if completed.is_empty() {
            break;
        }
        for name in completed {
            mark_to_install(database, name, &mut to_install);
        }
    }
    for name in to_install {
        install_with_dependencies(database, &name);
    }
    Ok(reload())
}

/// `button_install`'s `must_install`: the auto-installed modules not
/// installed yet whose dependencies all are or are about to be, one of them
/// about to be.
fn auto_installed(database: &Database, to_install: &[String]) -> Vec<&'static str> {
    let pending = |dependency: &str| to_install.iter().any(|name| name == dependency);
    CATALOGUE
        .iter()
        .filter(|module| module.auto_install && !database.is_installed(module.name) && !pending(module.name))
        .filter(|module| module.depends.iter().any(|dependency| pending(dependency)))
        .filter(|module| {
            module
                .depends
                .iter()
                .all(|dependency| pending(dependency) || database.is_installed(dependency))
        })
        .map(|module| module.name)
        .collect()
}

/// `_state_update('to install')`: the module and its dependencies not
/// installed yet.
fn mark_to_install(database: &Database, name: &str, to_install: &mut Vec<String>) {
    if database.is_installed(name) || to_install.iter().any(|known| known == name) {
        return;
    }
    to_install.push(name.to_owned());
    for dependency in dependencies(name) {
        mark_to_install(database, dependency, to_install);
    }
}

fn install_with_dependencies(database: &mut Database, name: &str) {
    if database.is_installed(name) {
        return;
    }
    for dependency in dependencies(name) {
        install_with_dependencies(database, dependency);
    }
    set_state(database, name, "installed");
    fill_new_columns(database, name);
    load_data(database, name);
}

fn set_state(database: &mut Database, name: &str, state: &str) {
    let id = database
        .table("ir.module.module")
        .find(|(_, record)| at(record, "name") == name)
        .map(|(id, _)| *id);
    if let Some(record) = id.and_then(|id| database.get_mut("ir.module.module", id)) {
        record.insert("state".to_owned(), json!(state));
    }
}

/// `ir.module.module.button_immediate_uninstall(ids)`: `button_uninstall`
/// refuses the server-wide modules and modules not installed, then the
/// modules and every installed module depending on them, directly or not,
/// are removed with their data (tables, columns, records).
pub fn uninstall(database: &mut Database, ids: &[i64], uid: i64) -> OdooResult<Value> {
    let modules = selected(database, ids, uid)?;
    let server_wide: Vec<&str> = modules
        .iter()
        .map(|(name, _)| name.as_str())
        .filter(|name| SERVER_WIDE.contains(name))
        .collect();
    if !server_wide.is_empty() {
        return Err(OdooError::user_error(format!(
            "Those modules cannot be uninstalled: {}",
            server_wide.join(", ")
        )));
    }
    if modules.iter().any(|(_, state)| state != "installed") {
        return Err(OdooError::user_error(
            "One or more of the selected modules have already been uninstalled, if you believe this to be an error, you may try again later or contact support.",
        ));
    }
    let mut removed: Vec<String> = modules.into_iter().map(|(name, _)| name).collect();
    add_downstream(database, &mut removed);
    for name in &removed {
        set_state(database, name, "uninstalled");
    }
    remove_data(database, &removed);
    Ok(reload())
}

/// `downstream_dependencies()`: the installed modules that depend on
/// `modules`, directly or through others.
fn add_downstream(database: &Database, modules: &mut Vec<String>) {
    loop {
        let found: Vec<String> = database
            .table("ir.module.module")
            .map(|(_, record)| record)
            .filter(|record| at(record, "state") == "installed")
            .filter_map(|record| at(record, "name").as_str())
            .filter(|name| !modules.iter().any(|known| known == name))
            .filter(|name| {
                dependencies(name)
                    .iter()
                    .any(|dependency| modules.iter().any(|known| known == dependency))
            })
            .map(str::to_owned)
            .collect();
        if found.is_empty() {
            return;
        }
        modules.extend(found);
    }
}

/// `_module_data_uninstall`: the modules' models lose their tables, the
/// columns they added go, and so do the records of their external ids
/// (and the many2many links to them).
fn remove_data(database: &mut Database, modules: &[String]) {
    let removed = |module: &str| modules.iter().any(|name| name == module);
    for model in MODELS.iter().filter(|model| removed(model.module)) {
        database.drop_table(model.name);
    }
    for model in MODELS.iter().filter(|model| !removed(model.module)) {
        let columns: Vec<&str> = model
            .fields
            .iter()
            .filter(|field| removed(field.module))
            .map(|field| field.name)
            .collect();
        database.drop_columns(model.name, &columns);
    }
    let owned: Vec<(i64, String, i64)> = database
        .table("ir.model.data")
        .filter(|(_, data)| at(data, "module").as_str().is_some_and(removed))
        .map(|(id, data)| {
            let model = at(data, "model").as_str().unwrap_or_default().to_owned();
            (*id, model, at(data, "res_id").as_i64().unwrap_or_default())
        })
        .collect();
    for (data_id, model, res_id) in owned {
        database.remove("ir.model.data", data_id);
        database.remove(&model, res_id);
    }
    drop_dangling_links(database);
}

/// Many2many ids of records that no longer exist (the relation table's
/// rows go with them in PostgreSQL).
fn drop_dangling_links(database: &mut Database) {
    for model in MODELS {
        for field in model.fields {
            let Kind::Many2many(target) = field.kind else {
                continue;
            };
            let ids: Vec<i64> = database.table(model.name).map(|(id, _)| *id).collect();
            for id in ids {
                let linked: Vec<i64> = database
                    .get(model.name, id)
                    .and_then(|record| record.get(field.name))
                    .and_then(Value::as_array)
                    .map(|ids| ids.iter().filter_map(Value::as_i64).collect())
                    .unwrap_or_default();
                let kept: Vec<i64> = linked
                    .iter()
                    .copied()
                    .filter(|linked| database.get(target, *linked).is_some())
                    .collect();
                if kept.len() != linked.len() {
                    if let Some(record) = database.get_mut(model.name, id) {
                        record.insert(field.name.to_owned(), json!(kept));
                    }
                }
            }
        }
    }
}

/// The columns a module adds to existing models, filled with their
/// defaults (or left empty) as Odoo does when it creates them.
fn fill_new_columns(database: &mut Database, module: &str) {
    for model in MODELS {
        let fields: Vec<(&str, Value)> = model
            .fields
            .iter()
            .filter(|field| field.module == module && model.module != module)
            .map(|field| {
                let value = field.default.value().unwrap_or(Value::Bool(false));
                (field.name, value)
            })
            .collect();
        let ids: Vec<i64> = database.table(model.name).map(|(id, _)| *id).collect();
        for id in ids {
            if let Some(record) = database.get_mut(model.name, id) {
                for (name, value) in &fields {
                    record.insert((*name).to_owned(), value.clone());
                }
            }
        }
    }
}

/// The records a module's data files create that Bibind meets.
fn load_data(database: &mut Database, module: &str) {
    if module == "sales_team" {
        let id = database.insert("res.groups", json!({"name": "User: Own Documents Only"}));
        database.add_xml_id("sales_team", "group_sale_salesman", "res.groups", id);
    }
    if module == "website_slides" {
        super::slides::load_data(database);
    }
    if module == "website" {
        let id = database.insert(
            "website",
            json!({"name": "My Website", "domain": false, "company_id": MAIN_COMPANY}),
        );
        database.add_xml_id("website", "default_website", "website", id);
    }
    if module == "auth_oauth" {
        for (xml_id, name, auth, validation, data, scope, css, body, enabled) in [
            (
                "provider_openerp",
                "Odoo.com Accounts",
                "https://accounts.odoo.com/oauth2/auth",
                "https://accounts.odoo.com/oauth2/tokeninfo",
                "",
                "userinfo",
                "fa fa-fw o_custom_icon",
                "Log in with Odoo.com",
                true,
            ),
            (
                "provider_facebook",
                "Facebook Graph",
                "https://www.facebook.com/dialog/oauth",
                "https://graph.facebook.com/me",
                "",
                "public_profile,email",
                "fa fa-fw fa-facebook-square",
                "Log in with Facebook",
                false,
            ),
            (
                "provider_google",
                "Google OAuth2",
                "https://accounts.google.com/o/oauth2/auth",
                "https://www.googleapis.com/oauth2/v3/tokeninfo",
                "",
                "https://www.googleapis.com/auth/userinfo.profile https://www.googleapis.com/auth/userinfo.email",
                "fa fa-fw fa-google",
                "Log in with Google",
                false,
            ),
        ] {
            let id = database.insert(
                "auth.oauth.provider",
                json!({
                    "name": name, "client_id": false, "auth_endpoint": auth, "validation_endpoint": validation,
                    "data_endpoint": if data.is_empty() { json!(false) } else { json!(data) },
                    "scope": scope, "css_class": css, "body": body, "enabled": enabled, "sequence": 10,
                }),
            );
            database.add_xml_id("auth_oauth", xml_id, "auth.oauth.provider", id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_dependency_is_catalogued_before_the_module() {
        for (index, module) in CATALOGUE.iter().enumerate() {
            for dependency in module.depends {
                let position = CATALOGUE.iter().position(|known| known.name == *dependency);
                assert!(
                    position.is_some_and(|position| position < index),
                    "{} depends on {dependency}",
                    module.name
                );
            }
        }
    }

    #[test]
    fn uninstalling_takes_the_modules_depending_on_it_and_drops_its_tables() {
        let mut database = Database::new("admin", "secret", "en_US");
        let id_of = |database: &Database, name: &str| {
            database
                .table("ir.module.module")
                .find(|(_, record)| at(record, "name") == name)
                .map(|(id, _)| *id)
                .unwrap()
        };
        let survey = id_of(&database, "website_slides_survey");
        install(&mut database, &[survey], 2).unwrap();
        assert!(database.is_installed("website_slides"));
        let forum = id_of(&database, "website_forum");
        install(&mut database, &[forum], 2).unwrap();
        // All its dependencies there, one of them new: auto-installed.
        assert!(database.is_installed("website_slides_forum"));

        let profile = id_of(&database, "website_profile");
        uninstall(&mut database, &[profile], 2).unwrap();
        for name in [
            "website_profile",
            "website_forum",
            "website_slides",
            "website_slides_forum",
            "website_slides_survey",
        ] {
            assert!(!database.is_installed(name), "{name}");
        }
        assert!(database.is_installed("survey") && database.is_installed("website"));

        let website = id_of(&database, "website");
        uninstall(&mut database, &[website], 2).unwrap();
        assert_eq!(database.table("website").count(), 0);
        assert!(database.xml_id("website", "default_website").is_none());
    }
}
