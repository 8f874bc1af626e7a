//! The models the simulator knows, with the fields Bibind reads and writes,
//! each owned by the module that adds it (a field of an uninstalled module
//! does not exist, as in Odoo).

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Char,
    Boolean,
    Integer,
    Selection,
    Many2one(&'static str),
    Many2many(&'static str),
}

#[derive(Clone, Copy, Debug)]
pub struct Field {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
    /// The module that adds the field.
    pub module: &'static str,
    /// Computed by the server: writes are ignored, as Odoo does for a
    /// computed field without inverse.
    pub readonly: bool,
}

const fn field(name: &'static str, kind: Kind, module: &'static str) -> Field {
    Field {
        name,
        kind,
        required: false,
        module,
        readonly: false,
    }
}

const fn required(name: &'static str, kind: Kind, module: &'static str) -> Field {
    Field {
        name,
        kind,
        required: true,
        module,
        readonly: false,
    }
}

const fn computed(name: &'static str, kind: Kind, module: &'static str) -> Field {
    Field {
        name,
        kind,
        required: false,
        module,
        readonly: true,
    }
}

pub struct Model {
    pub name: &'static str,
    pub description: &'static str,
    pub module: &'static str,
    pub fields: &'static [Field],
    /// Users cannot create, write or unlink these (modules, xml ids).
    pub system_only: bool,
}

impl Model {
    pub fn has_active(&self) -> bool {
        self.fields.iter().any(|field| field.name == "active")
    }
}

use Kind::*;

pub const MODELS: &[Model] = &[
    Model {
        name: "res.users",
        description: "User",
        module: "base",
        fields: &[
            required("login", Char, "base"),
            required("name", Char, "base"),
            field("email", Char, "base"),
            field("active", Boolean, "base"),
            computed("share", Boolean, "base"),
            field("lang", Char, "base"),
            field("password", Char, "base"),
            field("groups_id", Many2many("res.groups"), "base"),
            computed("partner_id", Many2one("res.partner"), "base"),
            field("oauth_provider_id", Many2one("auth.oauth.provider"), "auth_oauth"),
            field("oauth_uid", Char, "auth_oauth"),
            field("oauth_access_token", Char, "auth_oauth"),
        ],
        system_only: false,
    },
    Model {
        name: "res.partner",
        description: "Contact",
        module: "base",
        fields: &[
            required("name", Char, "base"),
            field("email", Char, "base"),
            field("active", Boolean, "base"),
        ],
        system_only: false,
    },
    Model {
        name: "res.groups",
        description: "Access Groups",
        module: "base",
        fields: &[required("name", Char, "base")],
        system_only: false,
    },
    Model {
        name: "ir.model.data",
        description: "Model Data",
        module: "base",
        fields: &[
            required("module", Char, "base"),
            required("name", Char, "base"),
            required("model", Char, "base"),
            field("res_id", Integer, "base"),
        ],
        system_only: true,
    },
    Model {
        name: "ir.module.module",
        description: "Module",
        module: "base",
        fields: &[
            required("name", Char, "base"),
            computed("state", Selection, "base"),
            field("shortdesc", Char, "base"),
        ],
        system_only: true,
    },
    Model {
        name: "auth.oauth.provider",
        description: "OAuth2 provider",
        module: "auth_oauth",
        fields: &[
            required("name", Char, "auth_oauth"),
            field("client_id", Char, "auth_oauth"),
            required("auth_endpoint", Char, "auth_oauth"),
            field("scope", Char, "auth_oauth"),
            required("validation_endpoint", Char, "auth_oauth"),
            field("data_endpoint", Char, "auth_oauth"),
            field("enabled", Boolean, "auth_oauth"),
            field("css_class", Char, "auth_oauth"),
            required("body", Char, "auth_oauth"),
            field("sequence", Integer, "auth_oauth"),
            // OCA auth_oidc.
            field("flow", Selection, "auth_oidc"),
            field("token_map", Char, "auth_oidc"),
            field("client_secret", Char, "auth_oidc"),
            field("code_verifier", Char, "auth_oidc"),
            field("token_endpoint", Char, "auth_oidc"),
            field("jwks_uri", Char, "auth_oidc"),
        ],
        system_only: false,
    },
];

pub fn model(name: &str) -> Option<&'static Model> {
    MODELS.iter().find(|model| model.name == name)
}
