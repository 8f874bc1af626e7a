//! What each simulated AWX view is, as `OPTIONS` describes it (AWX's
//! `Metadata` on top of DRF's `SimpleMetadata`, awx/api/metadata.py): its
//! name, the methods in `Allow`, the fields of `actions.GET`/`actions.POST`
//! with their type, label, choices and whether lists filter on them. The
//! `awx` CLI builds its commands and flags from these answers, and the list
//! filters of `lists.rs` accept exactly the fields marked filterable here.

use serde_json::{json, Map, Value};

/// One DRF field as `OPTIONS` describes it.
#[derive(Clone, Copy, Debug)]
pub struct Field {
    pub name: &'static str,
    pub kind: Kind,
    /// A model field (AWX marks those `filterable`; lists accept lookups on them).
    pub filterable: bool,
}

/// The field types AWX's metadata reports (`label_lookup` and its overrides).
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    Integer,
    Decimal,
    String,
    Boolean,
    Datetime,
    /// A foreign key, by id.
    Id,
    /// `related`, `summary_fields`.
    Object,
    Json,
    /// A serializer method or read-only field of no declared type.
    Field,
    ListOfIds,
    Choice(&'static [Choice]),
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Self::Integer => "integer",
            Self::Decimal => "decimal",
            Self::String => "string",
            Self::Boolean => "boolean",
            Self::Datetime => "datetime",
            Self::Id => "id",
            Self::Object => "object",
            Self::Json => "json",
            Self::Field => "field",
            Self::ListOfIds => "list_of_ids",
            Self::Choice(_) => "choice",
        }
    }
}

/// One `(value, label)` pair of a choice field.
#[derive(Clone, Copy, Debug)]
pub enum Choice {
    Text(&'static str, &'static str),
    Number(i64, &'static str),
}

impl Choice {
    fn to_json(self) -> Value {
        match self {
            Self::Text(value, label) => json!([value, label]),
            Self::Number(value, label) => json!([value, label]),
        }
    }
}

const fn field(name: &'static str, kind: Kind, filterable: bool) -> Field {
    Field {
        name,
        kind,
        filterable,
    }
}

pub const JOB_STATUS_CHOICES: [Choice; 8] = [
    Choice::Text("new", "New"),
    Choice::Text("pending", "Pending"),
    Choice::Text("waiting", "Waiting"),
    Choice::Text("running", "Running"),
    Choice::Text("successful", "Successful"),
    Choice::Text("failed", "Failed"),
    Choice::Text("error", "Error"),
    Choice::Text("canceled", "Canceled"),
];
const TEMPLATE_STATUS_CHOICES: [Choice; 9] = [
    Choice::Text("new", "New"),
    Choice::Text("pending", "Pending"),
    Choice::Text("waiting", "Waiting"),
    Choice::Text("running", "Running"),
    Choice::Text("successful", "Successful"),
    Choice::Text("failed", "Failed"),
    Choice::Text("error", "Error"),
    Choice::Text("canceled", "Canceled"),
    Choice::Text("never updated", "Never Updated"),
];
const JOB_TYPE_CHOICES: [Choice; 2] = [Choice::Text("run", "Run"), Choice::Text("check", "Check")];
const VERBOSITY_CHOICES: [Choice; 6] = [
    Choice::Number(0, "0 (Normal)"),
    Choice::Number(1, "1 (Verbose)"),
    Choice::Number(2, "2 (More Verbose)"),
    Choice::Number(3, "3 (Debug)"),
    Choice::Number(4, "4 (Connection Debug)"),
    Choice::Number(5, "5 (WinRM Debug)"),
];
const LAUNCH_TYPE_CHOICES: [Choice; 8] = [
    Choice::Text("manual", "Manual"),
    Choice::Text("relaunch", "Relaunch"),
    Choice::Text("callback", "Callback"),
    Choice::Text("scheduled", "Scheduled"),
    Choice::Text("dependency", "Dependency"),
    Choice::Text("workflow", "Workflow"),
    Choice::Text("webhook", "Webhook"),
    Choice::Text("sync", "Sync"),
];
const WEBHOOK_SERVICE_CHOICES: [Choice; 4] = [
    Choice::Text("", "---------"),
    Choice::Text("github", "GitHub"),
    Choice::Text("gitlab", "GitLab"),
    Choice::Text("bitbucket_dc", "BitBucket DataCenter"),
];
const TEMPLATE_TYPE_CHOICES: [Choice; 1] = [Choice::Text("job_template", "Job Template")];
const JOB_TYPE_NAME_CHOICES: [Choice; 1] = [Choice::Text("job", "Playbook Run")];
const EVENT_TYPE_CHOICES: [Choice; 1] = [Choice::Text("job_event", "Job Event")];
const USER_TYPE_CHOICES: [Choice; 1] = [Choice::Text("user", "User")];
/// The events the simulated playbook emits (AWX knows more).
const EVENT_CHOICES: [Choice; 6] = [
    Choice::Text("runner_on_failed", "Host Failed"),
    Choice::Text("runner_on_ok", "Host OK"),
    Choice::Text("playbook_on_start", "Playbook Started"),
    Choice::Text("playbook_on_task_start", "Task Started"),
    Choice::Text("playbook_on_play_start", "Play Started"),
    Choice::Text("playbook_on_stats", "Playbook Complete"),
];

const fn base(types: &'static [Choice], polymorphic: bool) -> [Field; 7] {
    [
        field("id", Kind::Integer, true),
        field("type", Kind::Choice(types), polymorphic),
        field("url", Kind::String, false),
        field("related", Kind::Object, false),
        field("summary_fields", Kind::Object, false),
        field("created", Kind::Datetime, true),
        field("modified", Kind::Datetime, true),
    ]
}

const fn job_options() -> [Field; 19] {
    [
        field("name", Kind::String, true),
        field("description", Kind::String, true),
        field("job_type", Kind::Choice(&JOB_TYPE_CHOICES), true),
        field("inventory", Kind::Id, true),
        field("project", Kind::Id, true),
        field("playbook", Kind::String, true),
        field("scm_branch", Kind::String, true),
        field("forks", Kind::Integer, true),
        field("limit", Kind::String, true),
        field("verbosity", Kind::Choice(&VERBOSITY_CHOICES), true),
        field("extra_vars", Kind::Json, true),
        field("job_tags", Kind::String, true),
        field("force_handlers", Kind::Boolean, true),
        field("skip_tags", Kind::String, true),
        field("start_at_task", Kind::String, true),
        field("timeout", Kind::Integer, true),
        field("use_fact_cache", Kind::Boolean, true),
        field("organization", Kind::Id, true),
        field("execution_environment", Kind::Id, true),
    ]
}

/// The `ask_*_on_launch` flags, in AWX's order.
pub const ASK_FLAGS: [&str; 16] = [
    "ask_scm_branch_on_launch",
    "ask_diff_mode_on_launch",
    "ask_variables_on_launch",
    "ask_limit_on_launch",
    "ask_tags_on_launch",
    "ask_skip_tags_on_launch",
    "ask_job_type_on_launch",
    "ask_verbosity_on_launch",
    "ask_inventory_on_launch",
    "ask_credential_on_launch",
    "ask_execution_environment_on_launch",
    "ask_labels_on_launch",
    "ask_forks_on_launch",
    "ask_job_slice_count_on_launch",
    "ask_timeout_on_launch",
    "ask_instance_groups_on_launch",
];

const fn ask_flags() -> [Field; 16] {
    let mut flags = [field("", Kind::Boolean, true); 16];
    let mut index = 0;
    while index < ASK_FLAGS.len() {
        flags[index] = field(ASK_FLAGS[index], Kind::Boolean, true);
        index += 1;
    }
    flags
}

const TEMPLATE_BASE: [Field; 7] = base(&TEMPLATE_TYPE_CHOICES, true);
const TEMPLATE_OPTIONS: [Field; 19] = job_options();
const TEMPLATE_OWN: [Field; 14] = [
    field("last_job_run", Kind::Datetime, true),
    field("last_job_failed", Kind::Boolean, true),
    field("next_job_run", Kind::Datetime, true),
    field("status", Kind::Choice(&TEMPLATE_STATUS_CHOICES), true),
    field("host_config_key", Kind::String, true),
    field("survey_enabled", Kind::Boolean, true),
    field("become_enabled", Kind::Boolean, true),
    field("diff_mode", Kind::Boolean, true),
    field("allow_simultaneous", Kind::Boolean, true),
    field("custom_virtualenv", Kind::String, true),
    field("job_slice_count", Kind::Integer, true),
    field("webhook_service", Kind::Choice(&WEBHOOK_SERVICE_CHOICES), true),
    field("webhook_credential", Kind::Id, true),
    field("prevent_instance_group_fallback", Kind::Boolean, true),
];
const TEMPLATE_ASK: [Field; 16] = ask_flags();

const JOB_BASE: [Field; 7] = base(&JOB_TYPE_NAME_CHOICES, true);
const JOB_OPTIONS: [Field; 19] = job_options();
const JOB_OWN: [Field; 25] = [
    field("unified_job_template", Kind::Id, true),
    field("launch_type", Kind::Choice(&LAUNCH_TYPE_CHOICES), true),
    field("status", Kind::Choice(&JOB_STATUS_CHOICES), true),
    field("failed", Kind::Boolean, true),
    field("started", Kind::Datetime, true),
    field("finished", Kind::Datetime, true),
    field("canceled_on", Kind::Datetime, true),
    field("elapsed", Kind::Decimal, true),
    field("job_explanation", Kind::String, true),
    field("execution_node", Kind::String, true),
    field("controller_node", Kind::String, true),
    field("launched_by", Kind::Field, false),
    field("work_unit_id", Kind::String, true),
    field("job_template", Kind::Id, true),
    field("passwords_needed_to_start", Kind::Field, false),
    field("allow_simultaneous", Kind::Boolean, true),
    field("artifacts", Kind::Json, true),
    field("scm_revision", Kind::String, true),
    field("instance_group", Kind::Id, true),
    field("diff_mode", Kind::Boolean, true),
    field("job_slice_number", Kind::Integer, true),
    field("job_slice_count", Kind::Integer, true),
    field("webhook_service", Kind::Choice(&WEBHOOK_SERVICE_CHOICES), true),
    field("webhook_credential", Kind::Id, true),
    field("webhook_guid", Kind::String, true),
];
/// Only in `GET /api/v2/jobs/{id}/` (`JobDetailSerializer`), not in lists.
const JOB_DETAIL_ONLY: [Field; 8] = [
    field("job_args", Kind::String, true),
    field("job_cwd", Kind::String, true),
    field("job_env", Kind::Json, true),
    field("result_traceback", Kind::String, true),
    field("event_processing_finished", Kind::Boolean, false),
    field("host_status_counts", Kind::Field, false),
    field("playbook_counts", Kind::Field, false),
    field("custom_virtualenv", Kind::String, true),
];

const EVENT_BASE: [Field; 7] = base(&EVENT_TYPE_CHOICES, false);
const EVENT_OWN: [Field; 20] = [
    field("job", Kind::Id, true),
    field("event", Kind::Choice(&EVENT_CHOICES), true),
    field("counter", Kind::Integer, true),
    field("event_display", Kind::String, false),
    field("event_data", Kind::Json, true),
    field("event_level", Kind::Integer, false),
    field("failed", Kind::Boolean, true),
    field("changed", Kind::Boolean, true),
    field("uuid", Kind::String, true),
    field("parent_uuid", Kind::String, true),
    field("host", Kind::Id, true),
    field("host_name", Kind::String, true),
    field("playbook", Kind::String, true),
    field("play", Kind::String, true),
    field("task", Kind::String, true),
    field("role", Kind::String, true),
    field("stdout", Kind::String, true),
    field("start_line", Kind::Integer, true),
    field("end_line", Kind::Integer, true),
    field("verbosity", Kind::Integer, true),
];

const USER_BASE: [Field; 7] = base(&USER_TYPE_CHOICES, false);
const USER_OWN: [Field; 11] = [
    field("username", Kind::String, true),
    field("first_name", Kind::String, true),
    field("last_name", Kind::String, true),
    field("email", Kind::String, true),
    field("is_superuser", Kind::Boolean, true),
    field("is_system_auditor", Kind::Boolean, false),
    field("password", Kind::String, true),
    field("ldap_dn", Kind::String, false),
    field("last_login", Kind::Datetime, true),
    field("external_account", Kind::Field, false),
    field("auth", Kind::Field, false),
];

/// `GET …/launch/` (`JobLaunchSerializer`'s readable fields).
const LAUNCH_READ: [Field; 8] = [
    field("can_start_without_user_input", Kind::Boolean, false),
    field("passwords_needed_to_start", Kind::Field, false),
    field("survey_enabled", Kind::Boolean, true),
    field("variables_needed_to_start", Kind::Field, false),
    field("credential_needed_to_start", Kind::Field, false),
    field("inventory_needed_to_start", Kind::Field, false),
    field("job_template_data", Kind::Field, false),
    field("defaults", Kind::Field, false),
];
/// `POST …/launch/`: what a launch may carry (each taken only when prompted for).
const LAUNCH_WRITE: [Field; 17] = [
    field("extra_vars", Kind::Json, true),
    field("inventory", Kind::Id, true),
    field("scm_branch", Kind::String, true),
    field("limit", Kind::String, true),
    field("job_tags", Kind::String, true),
    field("skip_tags", Kind::String, true),
    field("job_type", Kind::Choice(&JOB_TYPE_CHOICES), true),
    field("verbosity", Kind::Choice(&VERBOSITY_CHOICES), true),
    field("diff_mode", Kind::Boolean, true),
    field("credentials", Kind::ListOfIds, false),
    field("credential_passwords", Kind::Json, false),
    field("execution_environment", Kind::Id, true),
    field("labels", Kind::Field, false),
    field("forks", Kind::Integer, true),
    field("job_slice_count", Kind::Integer, true),
    field("timeout", Kind::Integer, true),
    field("instance_groups", Kind::Field, false),
];

const CANCEL_READ: [Field; 1] = [field("can_cancel", Kind::Boolean, false)];
const STDOUT_READ: [Field; 1] = [field("result_stdout", Kind::Field, false)];

/// A list endpoint's model: its name in errors, the fields it filters on,
/// and the fields `search=` looks in.
pub struct Model {
    pub name: &'static str,
    pub groups: &'static [&'static [Field]],
    pub search_fields: &'static [&'static str],
}

impl Model {
    pub fn fields(&self) -> impl Iterator<Item = &'static Field> {
        self.groups.iter().flat_map(|group| group.iter())
    }

    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields().find(|field| field.name == name)
    }
}

pub const JOB_TEMPLATE: Model = Model {
    name: "JobTemplate",
    groups: &[&TEMPLATE_BASE, &TEMPLATE_OPTIONS, &TEMPLATE_OWN, &TEMPLATE_ASK],
    search_fields: &["name", "description"],
};
pub const JOB: Model = Model {
    name: "Job",
    groups: &[&JOB_BASE, &JOB_OPTIONS, &JOB_OWN],
    search_fields: &["name", "description"],
};
const JOB_DETAIL: Model = Model {
    name: "Job",
    groups: &[&JOB_BASE, &JOB_OPTIONS, &JOB_OWN, &JOB_DETAIL_ONLY],
    search_fields: &[],
};
pub const JOB_EVENT: Model = Model {
    name: "JobEvent",
    groups: &[&EVENT_BASE, &EVENT_OWN],
    search_fields: &["stdout"],
};
pub const USER: Model = Model {
    name: "User",
    groups: &[&USER_BASE, &USER_OWN],
    search_fields: &["username", "first_name", "last_name", "email"],
};
const LAUNCH: Model = Model {
    name: "JobTemplate",
    groups: &[&LAUNCH_READ, &TEMPLATE_ASK],
    search_fields: &[],
};
const LAUNCH_INPUT: Model = Model {
    name: "JobTemplate",
    groups: &[&LAUNCH_WRITE],
    search_fields: &[],
};
const CANCEL: Model = Model {
    name: "Job",
    groups: &[&CANCEL_READ],
    search_fields: &[],
};
const CANCEL_INPUT: Model = Model {
    name: "Job",
    groups: &[],
    search_fields: &[],
};
const STDOUT: Model = Model {
    name: "Job",
    groups: &[&STDOUT_READ],
    search_fields: &[],
};

/// Every view the simulator serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    ApiRoot,
    VersionRoot,
    Ping,
    Config,
    Me,
    UserDetail,
    JobTemplateList,
    JobTemplateDetail,
    JobTemplateLaunch,
    JobTemplateJobs,
    JobList,
    JobDetail,
    JobStdout,
    JobCancel,
    JobEvents,
    JobEventDetail,
}

/// A view's methods besides `HEAD` and `OPTIONS`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Methods {
    Get,
    GetPost,
}

impl View {
    /// DRF's view name (the class name split, or AWX's `name`).
    fn name(self) -> &'static str {
        match self {
            Self::ApiRoot => "REST API",
            Self::VersionRoot => "Version 2",
            Self::Ping => "Ping",
            Self::Config => "Configuration",
            Self::Me => "Me",
            Self::UserDetail => "User Detail",
            Self::JobTemplateList => "Job Template List",
            Self::JobTemplateDetail => "Job Template Detail",
            Self::JobTemplateLaunch => "Job Template Launch",
            Self::JobTemplateJobs => "Job Template Jobs List",
            Self::JobList => "Job List",
            Self::JobDetail => "Job Detail",
            Self::JobStdout => "Job Stdout",
            Self::JobCancel => "Job Cancel",
            Self::JobEvents => "Job Events List",
            Self::JobEventDetail => "Job Event Detail",
        }
    }

    /// What this view answers; templates are seeded, not created over the
    /// API, and nothing is edited or deleted.
    pub fn methods(self) -> Methods {
        match self {
            Self::JobTemplateLaunch | Self::JobCancel => Methods::GetPost,
            _ => Methods::Get,
        }
    }

    /// The `Allow` header, as DRF writes it.
    pub fn allow(self) -> &'static str {
        match self.methods() {
            Methods::Get => "GET, HEAD, OPTIONS",
            Methods::GetPost => "GET, POST, HEAD, OPTIONS",
        }
    }

    fn is_list(self) -> bool {
        matches!(
            self,
            Self::Me | Self::JobTemplateList | Self::JobTemplateJobs | Self::JobList | Self::JobEvents
        )
    }

    /// The serializer behind `GET` and `POST`; views without one (roots,
    /// ping, config) have no `actions`.
    fn serializers(self) -> Option<(&'static Model, Option<&'static Model>)> {
        match self {
            Self::ApiRoot | Self::VersionRoot | Self::Ping | Self::Config => None,
            Self::Me | Self::UserDetail => Some((&USER, None)),
            Self::JobTemplateList | Self::JobTemplateDetail => Some((&JOB_TEMPLATE, None)),
            Self::JobTemplateLaunch => Some((&LAUNCH, Some(&LAUNCH_INPUT))),
            Self::JobTemplateJobs | Self::JobList => Some((&JOB, None)),
            Self::JobDetail => Some((&JOB_DETAIL, None)),
            Self::JobStdout => Some((&STDOUT, None)),
            Self::JobCancel => Some((&CANCEL, Some(&CANCEL_INPUT))),
            Self::JobEvents | Self::JobEventDetail => Some((&JOB_EVENT, None)),
        }
    }

    fn types(self) -> &'static [&'static str] {
        match self {
            Self::ApiRoot | Self::VersionRoot | Self::Ping | Self::Config => &[],
            Self::Me | Self::UserDetail => &["user"],
            Self::JobTemplateList | Self::JobTemplateDetail | Self::JobTemplateLaunch => &["job_template"],
            Self::JobTemplateJobs | Self::JobList | Self::JobDetail | Self::JobCancel => &["job"],
            Self::JobStdout => &[
                "project_update",
                "inventory_update",
                "job",
                "ad_hoc_command",
                "system_job",
            ],
            Self::JobEvents | Self::JobEventDetail => &["job_event"],
        }
    }

    /// The `OPTIONS` body. A token without the `write` scope sees no `POST`
    /// (AWX drops the actions its permission check refuses).
    pub fn options(self, may_write: bool) -> Value {
        let mut metadata = Map::new();
        metadata.insert("name".to_owned(), json!(self.name()));
        metadata.insert("description".to_owned(), json!(""));
        metadata.insert("renders".to_owned(), json!(["application/json", "text/html"]));
        metadata.insert("parses".to_owned(), json!(["application/json"]));
        if let Some((read, write)) = self.serializers() {
            let mut actions = Map::new();
            if let (Some(write), Methods::GetPost, true) = (write, self.methods(), may_write) {
                actions.insert("POST".to_owned(), describe(write, Method::Post));
            }
            actions.insert("GET".to_owned(), describe(read, Method::Get));
            metadata.insert("actions".to_owned(), Value::Object(actions));
            metadata.insert("types".to_owned(), json!(self.types()));
            if self.is_list() {
                if !read.search_fields.is_empty() {
                    metadata.insert("search_fields".to_owned(), json!(read.search_fields));
                }
                metadata.insert("max_page_size".to_owned(), json!(super::lists::MAX_PAGE_SIZE));
            }
        }
        Value::Object(metadata)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Method {
    Get,
    Post,
}

fn describe(model: &Model, method: Method) -> Value {
    let fields: Map<String, Value> = model
        .fields()
        .map(|field| {
            let mut info = Map::new();
            info.insert("type".to_owned(), json!(field.kind.name()));
            if method == Method::Post {
                info.insert("required".to_owned(), json!(false));
            }
            info.insert("label".to_owned(), json!(label(field.name)));
            info.insert("filterable".to_owned(), json!(field.filterable));
            if let Kind::Choice(choices) = field.kind {
                let choices: Vec<Value> = choices.iter().map(|choice| choice.to_json()).collect();
                info.insert("choices".to_owned(), Value::Array(choices));
            }
            if method == Method::Post {
                info.insert("write_only".to_owned(), json!(true));
            }
            (field.name.to_owned(), Value::Object(info))
        })
        .collect();
    Value::Object(fields)
}

/// DRF's default label: the name with spaces, first letter capital (`id` is "ID").
fn label(name: &str) -> String {
    if name == "id" {
        return "ID".to_owned();
    }
    let spaced = name.replace('_', " ");
    let mut characters = spaced.chars();
    characters.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(characters).collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_drf_s() {
        assert_eq!(label("id"), "ID");
        assert_eq!(label("ask_variables_on_launch"), "Ask variables on launch");
    }

    #[test]
    fn a_read_token_sees_no_post_action() {
        let write = View::JobTemplateLaunch.options(true);
        assert!(write["actions"]["POST"]["extra_vars"].is_object());
        let read = View::JobTemplateLaunch.options(false);
        assert!(read["actions"].get("POST").is_none());
        assert!(read["actions"]["GET"]["ask_variables_on_launch"].is_object());
    }
}
