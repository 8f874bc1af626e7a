//! The models the simulator knows, with the fields Bibind and the external
//! API's usual clients read and write, each owned by the module that adds
//! it (a field of an uninstalled module does not exist, as in Odoo), and
//! who may read and change them (Odoo 17's `ir.model.access` for the groups
//! the simulator has).

use serde_json::Value;

use super::{
    database::{Database, GROUP_SYSTEM, GROUP_USER},
    slides,
};

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

const ATTACHMENT_TYPES: &[(&str, &str)] = &[("url", "URL"), ("binary", "File")];

const OIDC_FLOWS: &[(&str, &str)] = &[
    ("access_token", "OAuth2"),
    ("id_token_code", "OpenID Connect (authorization code flow)"),
    ("id_token", "OpenID Connect (implicit flow, not recommended)"),
];

const CHANNEL_TYPES: &[(&str, &str)] = &[("training", "Training"), ("documentation", "Documentation")];

const VISIBILITIES: &[(&str, &str)] = &[
    ("public", "Everyone"),
    ("connected", "Signed In"),
    ("members", "Course Attendees"),
];

const ENROLL_POLICIES: &[(&str, &str)] = &[("public", "Open"), ("invite", "On Invitation")];

const SLIDE_CATEGORIES: &[(&str, &str)] = &[
    ("infographic", "Image"),
    ("article", "Article"),
    ("document", "Document"),
    ("video", "Video"),
    ("quiz", "Quiz"),
];

/// `slide.channel.partner.member_status` (17.0: invitations are members too).
pub const MEMBER_STATUSES: &[(&str, &str)] = &[
    ("invited", "Invite Sent"),
    ("joined", "Joined"),
    ("ongoing", "Ongoing"),
    ("completed", "Finished"),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Char,
    /// A `fields.Text`: stored and checked as `Char`.
    Text,
    /// A `fields.Binary`: base64 (`ir.attachment.datas`, in the filestore).
    Binary,
    /// Stored as text, as `Char` (the simulator does not sanitize it).
    Html,
    Boolean,
    Integer,
    /// `YYYY-MM-DD HH:MM:SS`, in UTC.
    Datetime,
    /// (value, label) pairs.
    Selection(&'static [(&'static str, &'static str)]),
    Many2one(&'static str),
    Many2many(&'static str),
    /// The comodel and its many2one back to the record; kept up to date by
    /// the model's own code (`slides.rs`), written through its commands.
    One2many(&'static str, &'static str),
}

impl Kind {
    /// The `type` of `fields_get`.
    pub fn type_name(self) -> &'static str {
        match self {
            Kind::Char => "char",
            Kind::Text => "text",
            Kind::Binary => "binary",
            Kind::Html => "html",
            Kind::Boolean => "boolean",
            Kind::Integer => "integer",
            Kind::Datetime => "datetime",
            Kind::Selection(_) => "selection",
            Kind::Many2one(_) => "many2one",
            Kind::Many2many(_) => "many2many",
            Kind::One2many(..) => "one2many",
        }
    }

    /// The comodel of a relational field.
    pub fn relation(self) -> Option<&'static str> {
        match self {
            Kind::Many2one(target) | Kind::Many2many(target) | Kind::One2many(target, _) => Some(target),
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
    /// The field's `groups=`: others neither see nor read it.
    pub groups: Option<Grant>,
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
            groups: None,
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

    const fn groups(self, grant: Grant) -> Self {
        Self {
            groups: Some(grant),
            ..self
        }
    }
}

/// Every model's `id`.
pub const ID: Field = Field::new("id", "ID", Kind::Integer, "base").computed();
/// Every model's `create_date` and `write_date`, set by the server (the
/// eLearning models only: the others do not show them).
const fn create_date(module: &'static str) -> Field {
    Field::new("create_date", "Created on", Kind::Datetime, module).computed()
}

const fn write_date(module: &'static str) -> Field {
    Field::new("write_date", "Last Updated on", Kind::Datetime, module).computed()
}

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
    /// `website_slides.group_website_slides_officer` alone (the memberships).
    SlidesOfficer,
    /// Its officers and managers (writing courses and their contents).
    SlidesPublisher,
    /// `website_slides.group_website_slides_manager` (deleting them).
    SlidesManager,
    /// `base.group_user`, named as a user type.
    InternalUser,
}

impl Grant {
    pub fn allows(self, database: &Database, uid: i64) -> bool {
        let groups = database.groups_of(uid);
        match self {
            Grant::Everyone => true,
            Grant::ContactCreation | Grant::InternalUser => groups.contains(&GROUP_USER),
            Grant::AccessRights | Grant::Settings => groups.contains(&GROUP_SYSTEM),
            Grant::SlidesOfficer | Grant::SlidesPublisher => slides::is_officer(database, uid),
            Grant::SlidesManager => slides::is_manager(database, uid),
        }
    }

    /// The groups' full names in "This operation is allowed for the
    /// following groups", ordered by category then name as Odoo lists them.
    pub fn group_names(self) -> &'static [&'static str] {
        match self {
            Grant::Everyone => &["Everyone"],
            Grant::ContactCreation => &["Extra Rights/Contact Creation"],
            Grant::AccessRights => &["Administration/Access Rights"],
            Grant::Settings => &["Administration/Settings"],
            Grant::SlidesOfficer => &["eLearning/Officer"],
            Grant::SlidesPublisher => &["eLearning/Manager", "eLearning/Officer"],
            Grant::SlidesManager => &["eLearning/Manager"],
            Grant::InternalUser => &["User types/Internal User"],
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
    /// Write and create.
    pub write: Grant,
    pub unlink: Grant,
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
            Operation::Write | Operation::Create => self.write,
            Operation::Unlink => self.unlink,
        }
    }
}

use Kind::*;

const SLIDES: &str = "website_slides";

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
        unlink: Grant::AccessRights,
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
        unlink: Grant::ContactCreation,
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
        unlink: Grant::AccessRights,
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
        unlink: Grant::Settings,
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
        unlink: Grant::Settings,
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
        unlink: Grant::Settings,
        record_rules: false,
        order: "module, model, name",
        rec_name: "name",
    },
    Model {
        name: "ir.config_parameter",
        description: "System Parameter",
        module: "base",
        fields: &[
            Field::new("key", "Key", Char, "base").required(),
            Field::new("value", "Value", Text, "base").required(),
        ],
        read: Grant::Settings,
        write: Grant::Settings,
        unlink: Grant::Settings,
        record_rules: false,
        order: "key",
        rec_name: "key",
    },
    Model {
        name: "ir.attachment",
        description: "Attachment",
        module: "base",
        fields: &[
            Field::new("name", "Name", Char, "base").required(),
            Field::new("description", "Description", Text, "base"),
            Field::new("res_model", "Resource Model", Char, "base"),
            Field::new("res_field", "Resource Field", Char, "base"),
            Field::new("res_id", "Resource ID", Integer, "base"),
            Field::new("company_id", "Company", Many2one("res.company"), "base"),
            Field::new("type", "Type", Selection(ATTACHMENT_TYPES), "base")
                .required()
                .default(DefaultValue::Text("binary")),
            Field::new("url", "Url", Char, "base"),
            Field::new("public", "Is public document", Boolean, "base"),
            // Computed from the file, and the file from it (`attachment.rs`).
            Field::new("datas", "File Content (base64)", Binary, "base").computed(),
            Field::new("store_fname", "Stored Filename", Char, "base").computed(),
            Field::new("file_size", "File Size", Integer, "base").computed(),
            Field::new("checksum", "Checksum/SHA1", Char, "base").computed(),
            Field::new("mimetype", "Mime Type", Char, "base"),
        ],
        read: Grant::InternalUser,
        write: Grant::InternalUser,
        unlink: Grant::InternalUser,
        record_rules: false,
        order: "id desc",
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
        unlink: Grant::Settings,
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
        unlink: Grant::Settings,
        record_rules: false,
        order: "sequence, name",
        rec_name: "name",
    },
    Model {
        name: "slide.channel",
        description: "Course",
        module: SLIDES,
        fields: &[
            Field::new("name", "Name", Char, SLIDES).required(),
            Field::new("active", "Active", Boolean, SLIDES).default(DefaultValue::True),
            Field::new("description", "Description", Html, SLIDES),
            Field::new("channel_type", "Course type", Selection(CHANNEL_TYPES), SLIDES)
                .required()
                .default(DefaultValue::Text("training")),
            Field::new("sequence", "Sequence", Integer, SLIDES).default(DefaultValue::Integer(10)),
            Field::new("user_id", "Responsible", Many2one("res.users"), SLIDES),
            Field::new("is_published", "Is Published", Boolean, SLIDES),
            Field::new("website_published", "Visible on current website", Boolean, SLIDES),
            Field::new("website_url", "Website URL", Char, SLIDES).computed(),
            Field::new("visibility", "Show Course To", Selection(VISIBILITIES), SLIDES)
                .required()
                .default(DefaultValue::Text("public")),
            Field::new("enroll", "Enroll Policy", Selection(ENROLL_POLICIES), SLIDES)
                .required()
                .default(DefaultValue::Text("public")),
            Field::new(
                "slide_ids",
                "Slides and categories",
                One2many("slide.slide", "channel_id"),
                SLIDES,
            ),
            Field::new("total_slides", "Number of Contents", Integer, SLIDES).computed(),
            Field::new("nbr_document", "Documents", Integer, SLIDES).computed(),
            Field::new("nbr_video", "Videos", Integer, SLIDES).computed(),
            Field::new("nbr_infographic", "Infographics", Integer, SLIDES).computed(),
            Field::new("nbr_article", "Articles", Integer, SLIDES).computed(),
            Field::new("nbr_quiz", "Number of Quizs", Integer, SLIDES).computed(),
            Field::new(
                "channel_partner_ids",
                "Enrolled Attendees Information",
                One2many("slide.channel.partner", "channel_id"),
                SLIDES,
            )
            .groups(Grant::SlidesOfficer),
            Field::new("members_count", "# Enrolled Attendees", Integer, SLIDES).computed(),
            Field::new(
                "members_all_count",
                "# Enrolled or Invited Attendees",
                Integer,
                SLIDES,
            )
            .computed(),
            Field::new("members_engaged_count", "# Active Attendees", Integer, SLIDES).computed(),
            Field::new(
                "members_completed_count",
                "# Completed Attendees",
                Integer,
                SLIDES,
            )
            .computed(),
            Field::new("members_invited_count", "# Invited Attendees", Integer, SLIDES).computed(),
            Field::new("partner_ids", "Attendees", Many2many("res.partner"), SLIDES).computed(),
            // Of the user reading them.
            Field::new("is_member", "Is Enrolled Attendee", Boolean, SLIDES).computed(),
            Field::new("is_member_invited", "Is Invited Attendee", Boolean, SLIDES).computed(),
            Field::new("completed", "Done", Boolean, SLIDES).computed(),
            Field::new("completion", "Completion", Integer, SLIDES).computed(),
            create_date(SLIDES),
            write_date(SLIDES),
        ],
        read: Grant::Everyone,
        write: Grant::SlidesPublisher,
        unlink: Grant::SlidesManager,
        record_rules: true,
        order: "sequence, id",
        rec_name: "name",
    },
    Model {
        name: "slide.slide",
        description: "Slides",
        module: SLIDES,
        fields: &[
            Field::new("name", "Title", Char, SLIDES).required(),
            Field::new("active", "Active", Boolean, SLIDES).default(DefaultValue::True),
            Field::new("sequence", "Sequence", Integer, SLIDES).default(DefaultValue::Integer(0)),
            Field::new("user_id", "Uploaded by", Many2one("res.users"), SLIDES),
            Field::new("description", "Description", Html, SLIDES),
            Field::new("channel_id", "Course", Many2one("slide.channel"), SLIDES).required(),
            Field::new("slide_category", "Category", Selection(SLIDE_CATEGORIES), SLIDES)
                .required()
                .default(DefaultValue::Text("document")),
            Field::new("is_category", "Is a category", Boolean, SLIDES),
            Field::new("category_id", "Section", Many2one("slide.slide"), SLIDES).computed(),
            Field::new("is_preview", "Allow Preview", Boolean, SLIDES),
            Field::new("is_published", "Is Published", Boolean, SLIDES),
            Field::new("website_published", "Visible on current website", Boolean, SLIDES),
            Field::new("url", "External URL", Char, SLIDES),
            Field::new("date_published", "Publish Date", Datetime, SLIDES).computed(),
            Field::new("website_url", "Website URL", Char, SLIDES).computed(),
            // Of the user reading it.
            Field::new("user_has_completed", "Is Member", Boolean, SLIDES).computed(),
            create_date(SLIDES),
            write_date(SLIDES),
        ],
        read: Grant::Everyone,
        write: Grant::SlidesPublisher,
        unlink: Grant::SlidesManager,
        record_rules: true,
        order: "sequence, is_category, id",
        rec_name: "name",
    },
    Model {
        name: "slide.channel.partner",
        description: "Channel / Partners (Members)",
        module: SLIDES,
        fields: &[
            Field::new("active", "Active", Boolean, SLIDES).default(DefaultValue::True),
            Field::new("channel_id", "Course", Many2one("slide.channel"), SLIDES).required(),
            Field::new(
                "member_status",
                "Attendee Status",
                Selection(MEMBER_STATUSES),
                SLIDES,
            )
            .required()
            .default(DefaultValue::Text("joined")),
            Field::new("completion", "% Completed Contents", Integer, SLIDES)
                .default(DefaultValue::Integer(0)),
            Field::new("completed_slides_count", "# Completed Contents", Integer, SLIDES)
                .default(DefaultValue::Integer(0)),
            Field::new("partner_id", "Partner", Many2one("res.partner"), SLIDES).required(),
            Field::new("partner_email", "Email", Char, SLIDES).computed(),
            Field::new("last_invitation_date", "Last Invitation Date", Datetime, SLIDES),
            create_date(SLIDES),
            write_date(SLIDES),
        ],
        read: Grant::SlidesOfficer,
        write: Grant::SlidesOfficer,
        unlink: Grant::SlidesOfficer,
        // Its `unlink` reads each membership first.
        record_rules: true,
        order: "id",
        rec_name: "partner_id",
    },
    Model {
        name: "slide.slide.partner",
        description: "Slide / Partner decorated m2m",
        module: SLIDES,
        fields: &[
            Field::new("slide_id", "Content", Many2one("slide.slide"), SLIDES).required(),
            Field::new("channel_id", "Channel", Many2one("slide.channel"), SLIDES).computed(),
            Field::new("partner_id", "Partner", Many2one("res.partner"), SLIDES).required(),
            Field::new("vote", "Vote", Integer, SLIDES).default(DefaultValue::Integer(0)),
            Field::new("completed", "Completed", Boolean, SLIDES),
            Field::new("quiz_attempts_count", "Quiz attempts count", Integer, SLIDES)
                .default(DefaultValue::Integer(0)),
            create_date(SLIDES),
            write_date(SLIDES),
        ],
        read: Grant::SlidesOfficer,
        write: Grant::SlidesOfficer,
        unlink: Grant::SlidesOfficer,
        record_rules: false,
        order: "id",
        rec_name: "partner_id",
    },
];

pub fn model(name: &str) -> Option<&'static Model> {
    MODELS.iter().find(|model| model.name == name)
}
