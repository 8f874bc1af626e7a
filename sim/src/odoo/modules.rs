//! The module catalogue (a simplified dependency graph of the Odoo 17
//! modules Bibind installs) and `button_immediate_install`, which installs
//! dependencies first and loads each module's data.

use serde_json::{json, Value};

use super::{
    database::{at, Database, MAIN_COMPANY},
    error::{OdooError, OdooResult},
    schema::MODELS,
};

/// (technical name, title, dependencies).
const CATALOGUE: &[(&str, &str, &[&str])] = &[
    ("base", "Base", &[]),
    ("web", "Web", &["base"]),
    ("bus", "IM Bus", &["base", "web"]),
    ("base_setup", "Initial Setup Tools", &["base", "web"]),
    ("mail", "Discuss", &["base", "base_setup", "bus", "web"]),
    ("auth_signup", "Signup", &["base", "mail", "web"]),
    (
        "auth_oauth",
        "OAuth2 Authentication",
        &["base", "web", "base_setup", "auth_signup"],
    ),
    ("auth_oidc", "Authentication OpenID Connect", &["auth_oauth"]),
    ("http_routing", "Web Routing", &["web"]),
    (
        "portal",
        "Customer Portal",
        &["web", "http_routing", "mail", "auth_signup"],
    ),
    ("uom", "Units of Measure", &["base"]),
    ("product", "Products & Pricelists", &["base", "mail", "uom"]),
    ("sales_team", "Sales Teams", &["base", "mail"]),
    ("payment", "Payment Engine", &["portal"]),
    ("account", "Invoicing", &["base_setup", "product", "portal"]),
    ("sale", "Sales", &["sales_team", "account", "payment", "portal"]),
    ("website", "Website", &["web", "http_routing", "portal", "mail"]),
    ("website_payment", "Payment - Website", &["website", "payment"]),
    (
        "website_sale",
        "eCommerce",
        &["website", "sale", "website_payment"],
    ),
    ("gamification", "Gamification", &["mail"]),
    ("rating", "Customer Rating", &["mail"]),
    ("portal_rating", "Portal Rating", &["portal", "rating"]),
    ("website_profile", "Forum Profiles", &["website", "gamification"]),
    (
        "website_slides",
        "eLearning",
        &["website", "website_profile", "portal_rating", "gamification"],
    ),
];

/// Installed in every new database.
const INSTALLED_AT_CREATION: &[&str] = &["base", "web", "bus", "base_setup"];

pub fn seed(database: &mut Database) {
    for (name, title, _) in CATALOGUE {
        let state = if INSTALLED_AT_CREATION.contains(name) {
            "installed"
        } else {
            "uninstalled"
        };
        database.insert(
            "ir.module.module",
            json!({"name": name, "shortdesc": title, "state": state}),
        );
    }
}

/// `ir.module.module.button_immediate_install(ids)`.
pub fn install(database: &mut Database, ids: &[i64], uid: i64) -> OdooResult<Value> {
    let mut names = Vec::new();
    for id in ids {
        let record = database
            .get("ir.module.module", *id)
            .ok_or_else(|| OdooError::missing("ir.module.module", *id, uid))?;
        names.push(at(record, "name").as_str().unwrap_or_default().to_owned());
    }
    for name in names {
        install_with_dependencies(database, &name);
    }
    Ok(json!({"type": "ir.actions.client", "tag": "reload", "params": {"menu_id": 1}}))
}

fn install_with_dependencies(database: &mut Database, name: &str) {
    if database.is_installed(name) {
        return;
    }
    let dependencies = CATALOGUE
        .iter()
        .find(|(known, _, _)| *known == name)
        .map_or(&[][..], |(_, _, deps)| deps);
    for dependency in dependencies {
        install_with_dependencies(database, dependency);
    }
    let id = database
        .table("ir.module.module")
        .find(|(_, record)| at(record, "name") == name)
        .map(|(id, _)| *id);
    if let Some(record) = id.and_then(|id| database.get_mut("ir.module.module", id)) {
        record.insert("state".to_owned(), json!("installed"));
    }
    fill_new_columns(database, name);
    load_data(database, name);
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
