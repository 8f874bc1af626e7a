//! `sim awx`: AWX's REST API v2 for job templates and jobs (AWX 24.x), as
//! `control`'s client, awxkit and the `awx` CLI use it: discovery (`/api/`,
//! `/api/v2/`, `ping/`, `config/`, `me/`), `OPTIONS` metadata, Bearer tokens
//! with AWX's scopes (401 with the login-session suffix; a `read` token may
//! not launch or cancel: 403), DRF error bodies, `count/next/previous/results`
//! pages, field lookups on lists (and AWX's refusal to filter on
//! `extra_vars`), launches with prompts, surveys and `ignored_fields`, job
//! progress, events, stdout and cancel.
//!
//! Fault operations: `list_job_templates`, `get_job_template`,
//! `get_launch`, `launch_job`, `list_jobs`, `get_job`, `job_stdout`,
//! `list_job_events`, `get_job_event`, `cancel_job`, `get_config`, `get_me`,
//! `get_user`, and `job_outcome`: any status set there makes the next
//! launched job end `failed` (with its output) instead of failing the call.

mod discovery;
mod jobs;
mod lists;
mod metadata;

use std::{
    collections::BTreeMap,
    net::SocketAddr,
    path::PathBuf,
    sync::{Arc, Mutex, MutexGuard},
    time::{Duration, Instant},
};

use axum::{
    body::Bytes,
    extract::{Path, Query, Request, State},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, MethodRouter},
    Json, Router,
};
use http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use serde_json::{json, Map, Value};
use time::OffsetDateTime;

pub use self::jobs::{SurveyQuestion, TemplateSpec};
use self::{
    jobs::{strip_ansi, Job, JobStatus, Outcome, Shape, Template},
    metadata::View,
};
use crate::faults::Faults;

#[derive(clap::Args)]
pub struct Options {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8052")]
    listen: SocketAddr,
    /// The OAuth2 token (scope `write`) clients must send as `Authorization: Bearer`.
    #[arg(long, env = "SIM_AWX_TOKEN")]
    token: String,
    /// An OAuth2 token with the `read` scope: it reads, but launches and
    /// cancels are refused (403), as AWX refuses them.
    #[arg(long, env = "SIM_AWX_READ_TOKEN")]
    read_token: Option<String>,
    /// A job template prompting for variables, by name (repeatable).
    #[arg(long = "template")]
    templates: Vec<String>,
    /// A JSON array of job templates: `name`, `ask_variables_on_launch`,
    /// `survey` (`variable`, `required`, `default`), `fail_when`, `playbook`, `inventory`.
    #[arg(long)]
    templates_file: Option<PathBuf>,
    /// How long a job takes from launch to its end.
    #[arg(long, default_value_t = 0)]
    job_duration_ms: u64,
}

pub async fn run(options: Options) -> Result<(), String> {
    let simulator = Simulator::new(options.token, Duration::from_millis(options.job_duration_ms));
    if let Some(token) = options.read_token {
        simulator.add_read_token(token);
    }
    for name in &options.templates {
        simulator.add_template(TemplateSpec::named(name));
    }
    if let Some(path) = &options.templates_file {
        let text = std::fs::read_to_string(path).map_err(|error| format!("{}: {error}", path.display()))?;
        let specs: Vec<TemplateSpec> =
            serde_json::from_str(&text).map_err(|error| format!("{}: {error}", path.display()))?;
        for spec in specs {
            simulator.add_template(spec);
        }
    }
    crate::serve_forever(simulator.router(), options.listen).await
}

/// An OAuth2 token's scope: `read` tokens may not change anything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Read,
    Write,
}

/// Who a request comes from, as AWX's authentication decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Caller {
    /// No token, or one AWX does not know (OAuth2 authentication then
    /// leaves the request anonymous).
    Anonymous,
    User(Scope),
}

/// The simulated AWX; clones share its state.
#[derive(Clone)]
pub struct Simulator {
    state: Arc<Mutex<Awx>>,
    pub faults: Faults,
}

struct Awx {
    tokens: Vec<(String, Scope)>,
    job_duration: Duration,
    templates: Vec<Template>,
    jobs: BTreeMap<i64, Job>,
}

const UNAUTHENTICATED: &str =
    "Authentication credentials were not provided. To establish a login session, visit /api/login/.";
const PERMISSION_DENIED: &str = "You do not have permission to perform this action.";

impl Simulator {
    pub fn new(token: impl Into<String>, job_duration: Duration) -> Self {
        Self {
            state: Arc::new(Mutex::new(Awx {
                tokens: vec![(token.into(), Scope::Write)],
                job_duration,
                templates: Vec::new(),
                jobs: BTreeMap::new(),
            })),
            faults: Faults::default(),
        }
    }

    /// Accepts `token` with the `read` scope.
    pub fn add_read_token(&self, token: impl Into<String>) {
        self.lock().tokens.push((token.into(), Scope::Read));
    }

    /// Adds a job template; its id.
    pub fn add_template(&self, spec: TemplateSpec) -> i64 {
        let mut awx = self.lock();
        let id = awx.templates.len() as i64 + 5;
        awx.templates.push(Template {
            id,
            spec,
            created_at: OffsetDateTime::now_utc(),
        });
        id
    }

    /// How many jobs were launched, for tests.
    pub fn job_count(&self) -> usize {
        self.lock().jobs.len()
    }

    /// Extra variable `name` of each launched job, in launch order, for
    /// tests (e.g. the run key a client tags its launches with).
    pub fn launched_extra_var(&self, name: &str) -> Vec<Option<Value>> {
        self.lock()
            .jobs
            .values()
            .map(|job| job.extra_vars.get(name).cloned())
            .collect()
    }

    pub fn router(&self) -> Router {
        // What needs a user; AWX answers the roots and ping to anyone.
        let protected = Router::new()
            .route("/api/v2/config/", endpoint(View::Config, get(config)))
            .route("/api/v2/me/", endpoint(View::Me, get(me)))
            .route("/api/v2/users/{id}/", endpoint(View::UserDetail, get(user)))
            .route(
                "/api/v2/job_templates/",
                endpoint(View::JobTemplateList, get(list_templates)),
            )
            .route(
                "/api/v2/job_templates/{id}/",
                endpoint(View::JobTemplateDetail, get(get_template)),
            )
            .route(
                "/api/v2/job_templates/{id}/launch/",
                endpoint(View::JobTemplateLaunch, get(get_launch).post(launch)),
            )
            .route(
                "/api/v2/job_templates/{id}/jobs/",
                endpoint(View::JobTemplateJobs, get(list_template_jobs)),
            )
            .route("/api/v2/jobs/", endpoint(View::JobList, get(list_jobs)))
            .route("/api/v2/jobs/{id}/", endpoint(View::JobDetail, get(get_job)))
            .route(
                "/api/v2/jobs/{id}/stdout/",
                endpoint(View::JobStdout, get(job_stdout)),
            )
            .route(
                "/api/v2/jobs/{id}/job_events/",
                endpoint(View::JobEvents, get(list_job_events)),
            )
            .route(
                "/api/v2/jobs/{id}/cancel/",
                endpoint(View::JobCancel, get(can_cancel).post(cancel)),
            )
            .route(
                "/api/v2/job_events/{id}/",
                endpoint(View::JobEventDetail, get(get_job_event)),
            )
            .route_layer(middleware::from_fn(require_user));
        let api = protected
            .route(
                "/api/",
                endpoint(View::ApiRoot, get(|| async { Json(discovery::api_root()) })),
            )
            .route(
                "/api/v2/",
                endpoint(
                    View::VersionRoot,
                    get(|| async { Json(discovery::version_root()) }),
                ),
            )
            .layer(middleware::from_fn_with_state(self.clone(), identify))
            // Ping authenticates no one (`authentication_classes = ()`).
            .route(
                "/api/v2/ping/",
                endpoint(View::Ping, get(|| async { Json(discovery::ping()) })),
            )
            .fallback(|| async {
                drf_error(
                    StatusCode::NOT_FOUND,
                    "The requested resource could not be found.",
                )
            })
            .with_state(self.clone());
        api.layer(middleware::map_response(api_headers))
            .merge(self.faults.routes())
    }

    fn lock(&self) -> MutexGuard<'_, Awx> {
        crate::locked(&self.state)
    }

    fn caller(&self, headers: &HeaderMap) -> Caller {
        let presented = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "));
        let Some(presented) = presented else {
            return Caller::Anonymous;
        };
        self.lock()
            .tokens
            .iter()
            .find(|(token, _)| token == presented)
            .map_or(Caller::Anonymous, |(_, scope)| Caller::User(*scope))
    }

    /// The fault set for `operation`, answered as DRF would.
    async fn fault(&self, operation: &str) -> Option<Response> {
        let status = self.faults.failure(operation).await?;
        let detail = match status {
            StatusCode::SERVICE_UNAVAILABLE => "Service temporarily unavailable, try again later.",
            StatusCode::NOT_FOUND => "Not found.",
            StatusCode::FORBIDDEN => PERMISSION_DENIED,
            StatusCode::UNAUTHORIZED => UNAUTHENTICATED,
            other => other.canonical_reason().unwrap_or("Error"),
        };
        Some(drf_error(status, detail))
    }
}

/// A view's handlers, plus `OPTIONS` (its metadata) and DRF's 405 for the
/// methods it does not answer, both with DRF's `Allow` header.
fn endpoint(view: View, methods: MethodRouter<Simulator>) -> MethodRouter<Simulator> {
    methods
        .options(move |request: Request| async move {
            let may_write = caller_of(&request) == Caller::User(Scope::Write);
            ([(header::ALLOW, view.allow())], Json(view.options(may_write))).into_response()
        })
        .fallback(move |method: Method| async move {
            let mut response = drf_error(
                StatusCode::METHOD_NOT_ALLOWED,
                &format!("Method \"{method}\" not allowed."),
            );
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static(view.allow()));
            response
        })
}

fn drf_error(status: StatusCode, detail: &str) -> Response {
    (status, Json(json!({"detail": detail}))).into_response()
}

fn not_found() -> Response {
    drf_error(StatusCode::NOT_FOUND, "Not found.")
}

fn caller_of(request: &Request) -> Caller {
    request
        .extensions()
        .get::<Caller>()
        .copied()
        .unwrap_or(Caller::Anonymous)
}

/// Authenticates every request (an unknown token is no error yet, as in
/// AWX); the product version is only told to users.
async fn identify(State(simulator): State<Simulator>, mut request: Request, next: Next) -> Response {
    let caller = simulator.caller(request.headers());
    request.extensions_mut().insert(caller);
    let mut response = next.run(request).await;
    if caller != Caller::Anonymous {
        response.headers_mut().insert(
            "X-API-Product-Version",
            HeaderValue::from_static(discovery::PRODUCT_VERSION),
        );
    }
    response
}

/// AWX's permission checks before any view: a user is needed (401), and a
/// token without the `write` scope may only read (403, awx/api/generics.py
/// `APIView.check_permissions`).
async fn require_user(request: Request, next: Next) -> Response {
    match caller_of(&request) {
        Caller::Anonymous => {
            let mut response = drf_error(StatusCode::UNAUTHORIZED, UNAUTHENTICATED);
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=api authorization_url=/api/o/authorize/"),
            );
            response
        }
        Caller::User(Scope::Read)
            if ![Method::GET, Method::HEAD, Method::OPTIONS].contains(request.method()) =>
        {
            drf_error(StatusCode::FORBIDDEN, PERMISSION_DENIED)
        }
        Caller::User(_) => next.run(request).await,
    }
}

async fn api_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert("X-API-Product-Name", HeaderValue::from_static("AWX"));
    headers.insert("X-API-Node", HeaderValue::from_static(jobs::NODE));
    headers.insert("X-API-Time", HeaderValue::from_static("0.004s"));
    response
}

type Params = Query<Vec<(String, String)>>;

async fn config(State(simulator): State<Simulator>) -> Response {
    if let Some(fault) = simulator.fault("get_config").await {
        return fault;
    }
    Json(discovery::config()).into_response()
}

async fn me(State(simulator): State<Simulator>, Query(query): Params) -> Response {
    if let Some(fault) = simulator.fault("get_me").await {
        return fault;
    }
    lists::page("/api/v2/me/", &metadata::USER, vec![discovery::user()], &query)
}

async fn user(State(simulator): State<Simulator>, Path(id): Path<String>) -> Response {
    if let Some(fault) = simulator.fault("get_user").await {
        return fault;
    }
    if id.parse::<i64>().ok() != Some(discovery::USER_ID) {
        return not_found();
    }
    Json(discovery::user()).into_response()
}

fn template_json(awx: &Awx, template: &Template, now: Instant) -> Value {
    let jobs: Vec<&Job> = awx
        .jobs
        .values()
        .filter(|job| job.template_id == template.id)
        .collect();
    template.to_json(&jobs, now)
}

async fn list_templates(State(simulator): State<Simulator>, Query(query): Params) -> Response {
    if let Some(fault) = simulator.fault("list_job_templates").await {
        return fault;
    }
    let now = Instant::now();
    let awx = simulator.lock();
    // AWX orders job templates by name.
    let mut templates: Vec<&Template> = awx.templates.iter().collect();
    templates.sort_by(|a, b| a.spec.name.cmp(&b.spec.name));
    let items: Vec<Value> = templates
        .into_iter()
        .map(|template| template_json(&awx, template, now))
        .collect();
    lists::page("/api/v2/job_templates/", &metadata::JOB_TEMPLATE, items, &query)
}

fn template_by_id<'a>(awx: &'a Awx, id: &str) -> Option<&'a Template> {
    let id: i64 = id.parse().ok()?;
    awx.templates.iter().find(|template| template.id == id)
}

async fn get_template(State(simulator): State<Simulator>, Path(id): Path<String>) -> Response {
    if let Some(fault) = simulator.fault("get_job_template").await {
        return fault;
    }
    let awx = simulator.lock();
    template_by_id(&awx, &id).map_or_else(not_found, |template| {
        Json(template_json(&awx, template, Instant::now())).into_response()
    })
}

async fn get_launch(State(simulator): State<Simulator>, Path(id): Path<String>) -> Response {
    if let Some(fault) = simulator.fault("get_launch").await {
        return fault;
    }
    let awx = simulator.lock();
    template_by_id(&awx, &id).map_or_else(not_found, |template| Json(template.launch_info()).into_response())
}

async fn launch(State(simulator): State<Simulator>, Path(id): Path<String>, body: Bytes) -> Response {
    if let Some(fault) = simulator.fault("launch_job").await {
        return fault;
    }
    let forced_failure = simulator.faults.failure("job_outcome").await.is_some();
    let request: Map<String, Value> = if body.is_empty() {
        Map::new()
    } else {
        match serde_json::from_slice::<Value>(&body) {
            Ok(Value::Object(request)) => request,
            Ok(_) => {
                return field_error(
                    "non_field_errors",
                    "Invalid data. Expected a dictionary, but got str.",
                )
            }
            Err(error) => return drf_error(StatusCode::BAD_REQUEST, &format!("JSON parse error - {error}")),
        }
    };
    let mut awx = simulator.lock();
    let Some(template) = template_by_id(&awx, &id) else {
        return not_found();
    };
    let offered = match request.get("extra_vars") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(variables)) => variables.clone(),
        Some(Value::String(text)) if text.trim().is_empty() => Map::new(),
        Some(Value::String(text)) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(variables)) => variables,
            _ => {
                return field_error(
                    "extra_vars",
                    "Cannot parse as JSON (error: Expecting value: line 1 column 1 (char 0)) or YAML (error: Input type `str` is not a dictionary).",
                )
            }
        },
        Some(_) => return field_error("extra_vars", "Must be a valid JSON or YAML dictionary."),
    };
    // A manual launch drops what the template does not prompt for.
    let mut accepted = Map::new();
    let mut ignored = Map::new();
    let survey: Vec<&str> = template
        .spec
        .survey
        .iter()
        .map(|question| question.variable.as_str())
        .collect();
    for (name, value) in offered {
        if template.spec.ask_variables_on_launch || survey.contains(&name.as_str()) {
            accepted.insert(name, value);
        } else {
            ignored.insert(name, value);
        }
    }
    let mut ignored_fields = Map::new();
    if !ignored.is_empty() {
        ignored_fields.insert("extra_vars".to_owned(), Value::Object(ignored));
    }
    for (field, value) in request.iter().filter(|(field, _)| field.as_str() != "extra_vars") {
        ignored_fields.insert(field.clone(), value.clone());
    }
    for question in &template.spec.survey {
        if !accepted.contains_key(&question.variable) {
            match (&question.default, question.required) {
                (Some(default), _) => {
                    accepted.insert(question.variable.clone(), default.clone());
                }
                (None, true) => {
                    return field_error(
                        "variables_needed_to_start",
                        &format!("'{}' value missing", question.variable),
                    )
                }
                (None, false) => {}
            }
        }
    }
    if template.spec.inventory.is_none() {
        return field_error(
            "resources_needed_to_start",
            "Job Template inventory is missing or undefined.",
        );
    }
    let matched = !template.spec.fail_when.is_empty()
        && template
            .spec
            .fail_when
            .iter()
            .all(|(name, value)| accepted.get(name) == Some(value));
    let failure = if matched {
        let conditions: Vec<String> = template
            .spec
            .fail_when
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        Some(format!(
            "The task failed as configured (fail_when {}).",
            conditions.join(", ")
        ))
    } else if forced_failure {
        Some("The task failed (fault injected).".to_owned())
    } else {
        None
    };
    let now = Instant::now();
    let job_id = awx.jobs.keys().next_back().map_or(100, |last| last + 1);
    let job = Job {
        id: job_id,
        template_id: template.id,
        template_name: template.spec.name.clone(),
        playbook: template.spec.playbook.clone(),
        inventory: template.spec.inventory,
        extra_vars: accepted,
        outcome: if failure.is_some() {
            Outcome::Failed
        } else {
            Outcome::Successful
        },
        failure: failure.unwrap_or_default(),
        created: now,
        created_at: OffsetDateTime::now_utc(),
        duration: awx.job_duration,
        canceled: None,
    };
    // `{"job", "ignored_fields"}` and the new job as `JobSerializer` renders it.
    let mut body = Map::new();
    body.insert("job".to_owned(), json!(job_id));
    body.insert("ignored_fields".to_owned(), Value::Object(ignored_fields));
    if let Value::Object(rendered) = job.render(JobStatus::Pending, now, Shape::Launched) {
        body.extend(rendered);
    }
    let location = HeaderValue::from_str(&job.url());
    awx.jobs.insert(job_id, job);
    let mut headers = HeaderMap::new();
    if let Ok(location) = location {
        headers.insert(header::LOCATION, location);
    }
    (StatusCode::CREATED, headers, Json(Value::Object(body))).into_response()
}

fn field_error(field: &str, message: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({field: [message]}))).into_response()
}

async fn list_jobs(State(simulator): State<Simulator>, Query(query): Params) -> Response {
    if let Some(fault) = simulator.fault("list_jobs").await {
        return fault;
    }
    jobs_page(&simulator, "/api/v2/jobs/", None, &query)
}

async fn list_template_jobs(
    State(simulator): State<Simulator>,
    Path(id): Path<String>,
    Query(query): Params,
) -> Response {
    if let Some(fault) = simulator.fault("list_jobs").await {
        return fault;
    }
    let Some(template_id) = template_by_id(&simulator.lock(), &id).map(|template| template.id) else {
        return not_found();
    };
    jobs_page(
        &simulator,
        &format!("/api/v2/job_templates/{template_id}/jobs/"),
        Some(template_id),
        &query,
    )
}

fn jobs_page(
    simulator: &Simulator,
    path: &str,
    template: Option<i64>,
    query: &[(String, String)],
) -> Response {
    let now = Instant::now();
    let items: Vec<Value> = simulator
        .lock()
        .jobs
        .values()
        .filter(|job| template.is_none_or(|template| job.template_id == template))
        .map(|job| job.to_json(now, Shape::List))
        .collect();
    lists::page(path, &metadata::JOB, items, query)
}

fn job_by_id<'a>(awx: &'a Awx, id: &str) -> Option<&'a Job> {
    awx.jobs.get(&id.parse::<i64>().ok()?)
}

async fn get_job(State(simulator): State<Simulator>, Path(id): Path<String>) -> Response {
    if let Some(fault) = simulator.fault("get_job").await {
        return fault;
    }
    let awx = simulator.lock();
    job_by_id(&awx, &id).map_or_else(not_found, |job| {
        Json(job.to_json(Instant::now(), Shape::Detail)).into_response()
    })
}

async fn list_job_events(
    State(simulator): State<Simulator>,
    Path(id): Path<String>,
    Query(query): Params,
) -> Response {
    if let Some(fault) = simulator.fault("list_job_events").await {
        return fault;
    }
    let awx = simulator.lock();
    let Some(job) = job_by_id(&awx, &id) else {
        return not_found();
    };
    let now = Instant::now();
    // In stdout order (AWX orders a job's events by `start_line`).
    let items: Vec<Value> = job
        .events(now)
        .iter()
        .map(|event| job.event_json(event, now))
        .collect();
    lists::page(
        &format!("/api/v2/jobs/{}/job_events/", job.id),
        &metadata::JOB_EVENT,
        items,
        &query,
    )
}

async fn get_job_event(State(simulator): State<Simulator>, Path(id): Path<String>) -> Response {
    if let Some(fault) = simulator.fault("get_job_event").await {
        return fault;
    }
    let Ok(event_id) = id.parse::<i64>() else {
        return not_found();
    };
    let (job_id, counter) = Job::split_event_id(event_id);
    let awx = simulator.lock();
    let now = Instant::now();
    let Some(job) = awx.jobs.get(&job_id) else {
        return not_found();
    };
    job.events(now)
        .iter()
        .find(|event| event.counter == counter)
        .map_or_else(not_found, |event| {
            Json(job.event_json(event, now)).into_response()
        })
}

/// The stdout formats AWX renders (awx/api/views `UnifiedJobStdout`).
enum StdoutFormat {
    Text,
    Ansi,
    TextDownload,
    AnsiDownload,
    Json,
}

impl StdoutFormat {
    fn parse(format: &str) -> Option<Self> {
        match format {
            "txt" => Some(Self::Text),
            "ansi" => Some(Self::Ansi),
            "txt_download" => Some(Self::TextDownload),
            "ansi_download" => Some(Self::AnsiDownload),
            // The browsable `api` and `html` renderings are JSON here.
            "json" | "api" | "html" => Some(Self::Json),
            _ => None,
        }
    }
}

async fn job_stdout(
    State(simulator): State<Simulator>,
    Path(id): Path<String>,
    Query(query): Params,
) -> Response {
    if let Some(fault) = simulator.fault("job_stdout").await {
        return fault;
    }
    let awx = simulator.lock();
    let Some(job) = job_by_id(&awx, &id) else {
        return not_found();
    };
    let requested = query
        .iter()
        .find(|(key, _)| key == "format")
        .map_or("api", |(_, value)| value.as_str());
    let Some(format) = StdoutFormat::parse(requested) else {
        return not_found();
    };
    let ansi = job.stdout_ansi(Instant::now());
    let text = |body: String| ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response();
    let download = |body: String, filename: String| {
        (
            [
                (header::CONTENT_TYPE, "text/plain".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{filename}\""),
                ),
            ],
            body,
        )
            .into_response()
    };
    match format {
        StdoutFormat::Text => text(strip_ansi(&ansi)),
        StdoutFormat::Ansi => text(ansi),
        StdoutFormat::TextDownload => download(strip_ansi(&ansi), format!("job_{}.txt", job.id)),
        StdoutFormat::AnsiDownload => download(ansi, format!("job_{}.ansi.txt", job.id)),
        StdoutFormat::Json => {
            let lines = ansi.lines().count();
            Json(json!({"range": {"start": 0, "end": lines, "absolute_end": lines}, "content": ansi}))
                .into_response()
        }
    }
}

async fn can_cancel(State(simulator): State<Simulator>, Path(id): Path<String>) -> Response {
    if let Some(fault) = simulator.fault("cancel_job").await {
        return fault;
    }
    let awx = simulator.lock();
    let Some(job) = job_by_id(&awx, &id) else {
        return not_found();
    };
    Json(json!({"can_cancel": !job.status(Instant::now()).is_terminal()})).into_response()
}

async fn cancel(State(simulator): State<Simulator>, Path(id): Path<String>) -> Response {
    if let Some(fault) = simulator.fault("cancel_job").await {
        return fault;
    }
    let mut awx = simulator.lock();
    let Some(job) = id.parse::<i64>().ok().and_then(|id| awx.jobs.get_mut(&id)) else {
        return not_found();
    };
    let now = Instant::now();
    if job.status(now).is_terminal() {
        return drf_error(StatusCode::METHOD_NOT_ALLOWED, "Method \"POST\" not allowed.");
    }
    job.canceled = Some(now);
    StatusCode::ACCEPTED.into_response()
}
