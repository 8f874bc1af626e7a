//! The models the simulator knows, with the fields Bibind and the external
//! API's usual clients read and write, each owned by the module that adds
//! it (a field of an uninstalled module does not exist, as in Odoo), and
//! who may read and change them (Odoo 17's `ir.model.access` for the groups
//! the simulator has).

use serde_json::Value;

use super::database::{GROUP_SYSTEM, GROUP_USER};

/// The languages every simulated server offers (`db.list_lang`), also the
/// selection of `res.users.lang`.
pub const LANGUAGES: &[(&str, &str)] = &[("en_US", "English (US)"), ("fr_FR", "French / Français")];

const MODULE_STATES: &[(&str, &str)] = &[
    ("uninstallable", "Uninstallable"),
    ("uninstalled", "Not Installed"),
    ("installed", "Installed"),
    ("to upgrade", "To be upgraded"),
    ("to remove", "To be removed"),
    ("to install", "To be installed"),
];

const OIDC_FLOWS: &[(&str, &str)] = &[
    ("access_token", "OAuth2"),
    ("id_token_code", "OpenID Connect (authorization code flow)"),
    ("id_token", "OpenID Connect (implicit flow, not recommended)"),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Char,
    Boolean,
    Integer,
    /// (value, label) pairs.
    Selection(&'static [(&'static str, &'static str)]),
    Many2one(&'static str),
    Many2many(&'static str),
}

impl Kind {
    /// The `type` of `fields_get`.
    pub fn type_name(self) -> &'static str {
        match self {
            Kind::Char => "char",
            Kind::Boolean => "boolean",
            Kind::Integer => "integer",
            Kind::Selection(_) => "selection",
            Kind::Many2one(_) => "many2one",
            Kind::Many2many(_) => "many2many",
        }
    }

    /// The comodel of a relational field.
    pub fn relation(self) -> Option<&'static str> {
        match self {
            Kind::Many2one(target) | Kind::Many2many(target) => Some(target),
            _ => None,
        }
    }
}

/// What a field holds when a record is created without it (the field's
/// `default=` in Odoo; `default_get` answers it too).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultValue {
    Unset,
    True,
    Text(&'static str),
    Integer(i64),
    /// `secrets.token_urlsafe(32)`: a new random text for each record.
    TokenUrlsafe,
}

impl DefaultValue {
    /// The value, `None` when the field has no default.
    pub fn value(self) -> Option<Value> {
        match self {
            DefaultValue::Unset => None,
            DefaultValue::True => Some(Value::Bool(true)),
            DefaultValue::Text(text) => Some(Value::from(text)),
            DefaultValue::Integer(number) => Some(Value::from(number)),
            DefaultValue::TokenUrlsafe => {
                let random = [uuid::Uuid::new_v4(), uuid::Uuid::new_v4()];
                let bytes: Vec<u8> = random.iter().flat_map(|id| id.as_bytes().to_vec()).collect();
                Some(Value::from(base64::Engine::encode(
                    &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                    &bytes,
                )))
            }
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Field {
    pub name: &'static str,
    /// The field's `string`.
    pub label: &'static str,
    pub kind: Kind,
    pub required: bool,
    /// The module that adds the field.
    pub module: &'static str,
    /// Computed by the server: writes are ignored, as Odoo does for a
    /// computed field without inverse.
    pub computed: bool,
    pub default: DefaultValue,
}

impl Field {
    const fn new(name: &'static str, label: &'static str, kind: Kind, module: &'static str) -> Self {
        Self {
            name,
            label,
            kind,
            required: false,
            module,
            computed: false,
            default: DefaultValue::Unset,
        }
    }

    const fn required(self) -> Self {
        Self {
            required: true,
            ..self
        }
    }

    const fn computed(self) -> Self {
        Self {
            computed: true,
            ..self
        }
    }

    const fn default(self, default: DefaultValue) -> Self {
        Self { default, ..self }
    }
}

/// Every model's `id`.
pub const ID: Field = Field::new("id", "ID", Kind::Integer, "base").computed();
/// Every model's `display_name`, computed from its `_rec_name`.
pub const DISPLAY_NAME: Field = Field::new("display_name", "Display Name", Kind::Char, "base").computed();

/// Who an `ir.model.access` line lets through, as the group Odoo names in
/// its access errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grant {
    Everyone,
    /// `base.group_partner_manager`, which every internal user has.
    ContactCreation,
    /// `base.group_erp_manager`, implied by Settings.
    AccessRights,
    /// `base.group_system`.
    Settings,
}

impl Grant {
    pub fn allows(self, groups: &[i64]) -> bool {
        match self {
            Grant::Everyone => true,
            Grant::ContactCreation => groups.contains(&GROUP_USER),
            Grant::AccessRights | Grant::Settings => groups.contains(&GROUP_SYSTEM),
        }
    }

    /// The group's full name in "This operation is allowed for the following groups".
    pub fn group_name(self) -> &'static str {
        match self {
            Grant::Everyone => "Everyone",
            Grant::ContactCreation => "Extra Rights/Contact Creation",
            Grant::AccessRights => "Administration/Access Rights",
            Grant::Settings => "Administration/Settings",
        }
    }
}

/// The operations `ir.model.access` grants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    Read,
    Write,
    Create,
    Unlink,
}

impl Operation {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "read" => Some(Operation::Read),
            "write" => Some(Operation::Write),
            "create" => Some(Operation::Create),
            "unlink" => Some(Operation::Unlink),
            _ => None,
        }
    }

    /// The verb of Odoo's access error header.
    pub fn verb(self) -> &'static str {
        match self {
            Operation::Read => "access",
            Operation::Write => "modify",
            Operation::Create => "create",
            Operation::Unlink => "delete",
        }
    }
}

pub struct Model {
    pub name: &'static str,
    /// The model's `_description`.
    pub description: &'static str,
    pub module: &'static str,
    pub fields: &'static [Field],
    pub read: Grant,
    /// Write, create and unlink.
    pub write: Grant,
    /// A global `ir.rule` applies: `write` and `unlink` read each record to
    /// check it, so a deleted one is a `MissingError` even for `unlink`.
    pub record_rules: bool,
    /// The model's `_order`.
    pub order: &'static str,
    /// The field `display_name` shows (`_rec_name`).
    pub rec_name: &'static str,
}

impl Model {
    pub fn has_active(&self) -> bool {
        self.fields.iter().any(|field| field.name == "active")
    }

    pub fn grant(&self, operation: Operation) -> Grant {
        match operation {
            Operation::Read => self.read,
            Operation::Write | Operation::Create | Operation::Unlink => self.write,
        }
    }
}

use Kind::*;

pub const MODELS: &[Model] = &[
    Model {
        name: "res.users",
        description: "User",
        module: "base",
        fields: &[
            Field::new("login", "Login", Char, "base").required(),
            Field::new("name", "Name", Char, "base").required(),
            Field::new("email", "Email", Char, "base"),
            Field::new("active", "Active", Boolean, "base").default(DefaultValue::True),
            Field::new("share", "Share User", Boolean, "base").computed(),
            Field::new("lang", "Language", Selection(LANGUAGES), "base"),
            Field::new("password", "Password", Char, "base"),
            Field::new("groups_id", "Groups", Many2many("res.groups"), "base"),
            Field::new("partner_id", "Related Partner", Many2one("res.partner"), "base").computed(),
            Field::new(
                "oauth_provider_id",
                "OAuth Provider",
                Many2one("auth.oauth.provider"),
                "auth_oauth",
            ),
            Field::new("oauth_uid", "OAuth User ID", Char, "auth_oauth"),
            Field::new("oauth_access_token", "OAuth Access Token", Char, "auth_oauth"),
        ],
        read: Grant::Everyone,
        write: Grant::AccessRights,
        record_rules: true,
        order: "name, login",
        rec_name: "name",
    },
    Model {
        name: "res.partner",
        description: "Contact",
        module: "base",
        fields: &[
            Field::new("name", "Name", Char, "base").required(),
            Field::new("email", "Email", Char, "base"),
            Field::new("is_company", "Is a Company", Boolean, "base"),
            Field::new("active", "Active", Boolean, "base").default(DefaultValue::True),
        ],
        read: Grant::Everyone,
        write: Grant::ContactCreation,
        record_rules: true,
        order: "name, id desc",
        rec_name: "name",
    },
    Model {
        name: "res.groups",
        description: "Access Groups",
        module: "base",
        fields: &[Field::new("name", "Name", Char, "base").required()],
        read: Grant::Everyone,
        write: Grant::AccessRights,
        record_rules: false,
        order: "name",
        rec_name: "name",
    },
    Model {
        name: "res.company",
        description: "Companies",
        module: "base",
        fields: &[
            Field::new("name", "Company Name", Char, "base").required(),
            Field::new("email", "Email", Char, "base"),
        ],
        read: Grant::Everyone,
        write: Grant::Settings,
        record_rules: false,
        order: "name",
        rec_name: "name",
    },
    Model {
        name: "website",
        description: "Website",
        module: "website",
        fields: &[
            Field::new("name", "Website Name", Char, "website").required(),
            Field::new("domain", "Website Domain", Char, "website"),
            Field::new("company_id", "Company", Many2one("res.company"), "website"),
        ],
        read: Grant::Everyone,
        write: Grant::Settings,
        record_rules: false,
        order: "id",
        rec_name: "name",
    },
    Model {
        name: "ir.model.data",
        description: "Model Data",
        module: "base",
        fields: &[
            Field::new("module", "Module", Char, "base").required(),
            Field::new("name", "External Identifier", Char, "base").required(),
            Field::new("model", "Model Name", Char, "base").required(),
            Field::new("res_id", "Record ID", Integer, "base"),
        ],
        read: Grant::Everyone,
        write: Grant::Settings,
        record_rules: false,
        order: "module, model, name",
        rec_name: "name",
    },
    Model {
        name: "ir.module.module",
        description: "Module",
        module: "base",
        fields: &[
            Field::new("name", "Technical Name", Char, "base").required(),
            Field::new("state", "Status", Selection(MODULE_STATES), "base")
                .computed()
                .default(DefaultValue::Text("uninstalled")),
            Field::new("shortdesc", "Module Name", Char, "base"),
        ],
        read: Grant::Everyone,
        write: Grant::Settings,
        record_rules: false,
        order: "name",
        rec_name: "shortdesc",
    },
    Model {
        name: "auth.oauth.provider",
        description: "OAuth2 provider",
        module: "auth_oauth",
        fields: &[
            Field::new("name", "Provider name", Char, "auth_oauth").required(),
            Field::new("client_id", "Client ID", Char, "auth_oauth"),
            Field::new("auth_endpoint", "Authorization URL", Char, "auth_oauth").required(),
            Field::new("scope", "Scope", Char, "auth_oauth")
                .default(DefaultValue::Text("openid profile email")),
            Field::new("validation_endpoint", "UserInfo URL", Char, "auth_oauth").required(),
            Field::new("data_endpoint", "Data Endpoint", Char, "auth_oauth"),
            Field::new("enabled", "Allowed", Boolean, "auth_oauth"),
            Field::new("css_class", "CSS class", Char, "auth_oauth")
                .default(DefaultValue::Text("fa fa-fw fa-sign-in text-primary")),
            Field::new("body", "Login button label", Char, "auth_oauth").required(),
            Field::new("sequence", "Sequence", Integer, "auth_oauth").default(DefaultValue::Integer(10)),
            // OCA auth_oidc.
            Field::new("flow", "Auth Flow", Selection(OIDC_FLOWS), "auth_oidc")
                .required()
                .default(DefaultValue::Text("access_token")),
            Field::new("token_map", "Token Map", Char, "auth_oidc")
                .default(DefaultValue::Text("sub:user_id")),
            Field::new("client_secret", "Client Secret", Char, "auth_oidc"),
            Field::new("code_verifier", "PKCE Code Verifier", Char, "auth_oidc")
                .default(DefaultValue::TokenUrlsafe),
            Field::new("token_endpoint", "Token URL", Char, "auth_oidc"),
            Field::new("jwks_uri", "JWKS URL", Char, "auth_oidc"),
        ],
        read: Grant::Settings,
        write: Grant::Settings,
        record_rules: false,
        order: "sequence, name",
        rec_name: "name",
    },
];

pub fn model(name: &str) -> Option<&'static Model> {
    MODELS.iter().find(|model| model.name == name)
}
