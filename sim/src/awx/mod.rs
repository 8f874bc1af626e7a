//! `sim awx`: AWX's REST API v2 for job templates and jobs (AWX 24.x):
//! Bearer-token authentication (401 with the login-session suffix), DRF
//! error bodies, `count/next/previous/results` pages, field lookups on
//! lists (and AWX's refusal to filter on `extra_vars`), launches with
//! prompts, surveys and `ignored_fields`, job progress, stdout and cancel.
//!
//! Fault operations: `list_job_templates`, `get_job_template`,
//! `get_launch`, `launch_job`, `list_jobs`, `get_job`, `job_stdout`,
//! `cancel_job`, and `job_outcome`: any status set there makes the next
//! launched job end `failed` (with its output) instead of failing the call.

mod jobs;
mod lists;

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
    routing::get,
    Json, Router,
};
use http::{header, HeaderMap, HeaderValue, StatusCode};
use serde_json::{json, Map, Value};
use time::OffsetDateTime;

use self::jobs::{strip_ansi, Job, Outcome, Template};
pub use self::jobs::{SurveyQuestion, TemplateSpec};
use crate::faults::Faults;

#[derive(clap::Args)]
pub struct Options {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8052")]
    listen: SocketAddr,
    /// The OAuth2 token clients must send as `Authorization: Bearer`.
    #[arg(long, env = "SIM_AWX_TOKEN")]
    token: String,
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

/// The simulated AWX; clones share its state.
#[derive(Clone)]
pub struct Simulator {
    state: Arc<Mutex<Awx>>,
    pub faults: Faults,
}

struct Awx {
    token: String,
    job_duration: Duration,
    templates: Vec<Template>,
    jobs: BTreeMap<i64, Job>,
}

const PRODUCT_VERSION: &str = "24.6.1";
const UNAUTHENTICATED: &str =
    "Authentication credentials were not provided. To establish a login session, visit /api/login/.";

impl Simulator {
    pub fn new(token: impl Into<String>, job_duration: Duration) -> Self {
        Self {
            state: Arc::new(Mutex::new(Awx {
                token: token.into(),
                job_duration,
                templates: Vec::new(),
                jobs: BTreeMap::new(),
            })),
            faults: Faults::default(),
        }
    }

    /// Adds a job template; its id.
    pub fn add_template(&self, spec: TemplateSpec) -> i64 {
        let mut awx = self.lock();
        let id = awx.templates.len() as i64 + 5;
        awx.templates.push(Template { id, spec });
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
        let api = Router::new()
            .route("/api/v2/job_templates/", get(list_templates))
            .route("/api/v2/job_templates/{id}/", get(get_template))
            .route("/api/v2/job_templates/{id}/launch/", get(get_launch).post(launch))
            .route("/api/v2/job_templates/{id}/jobs/", get(list_template_jobs))
            .route("/api/v2/jobs/", get(list_jobs))
            .route("/api/v2/jobs/{id}/", get(get_job))
            .route("/api/v2/jobs/{id}/stdout/", get(job_stdout))
            .route("/api/v2/jobs/{id}/cancel/", get(can_cancel).post(cancel))
            .route_layer(middleware::from_fn_with_state(self.clone(), authenticate))
            .route("/api/v2/ping/", get(ping))
            .with_state(self.clone());
        api.layer(middleware::map_response(api_headers))
            .merge(self.faults.routes())
    }

    fn lock(&self) -> MutexGuard<'_, Awx> {
        crate::locked(&self.state)
    }

    /// The fault set for `operation`, answered as DRF would.
    async fn fault(&self, operation: &str) -> Option<Response> {
        let status = self.faults.failure(operation).await?;
        let detail = match status {
            StatusCode::SERVICE_UNAVAILABLE => "Service temporarily unavailable, try again later.",
            StatusCode::NOT_FOUND => "Not found.",
            StatusCode::FORBIDDEN => "You do not have permission to perform this action.",
            StatusCode::UNAUTHORIZED => UNAUTHENTICATED,
            other => other.canonical_reason().unwrap_or("Error"),
        };
        Some(drf_error(status, detail))
    }
}

fn drf_error(status: StatusCode, detail: &str) -> Response {
    (status, Json(json!({"detail": detail}))).into_response()
}

fn not_found() -> Response {
    drf_error(StatusCode::NOT_FOUND, "Not found.")
}

async fn authenticate(State(simulator): State<Simulator>, request: Request, next: Next) -> Response {
    let expected = format!("Bearer {}", simulator.lock().token);
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    if presented != Some(expected.as_str()) {
        let mut response = drf_error(StatusCode::UNAUTHORIZED, UNAUTHENTICATED);
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=api authorization_url=/api/o/authorize/"),
        );
        return response;
    }
    next.run(request).await
}

async fn api_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert("X-API-Product-Name", HeaderValue::from_static("AWX"));
    headers.insert("X-API-Product-Version", HeaderValue::from_static(PRODUCT_VERSION));
    headers.insert("X-API-Node", HeaderValue::from_static("awx-sim"));
    headers.insert("X-API-Time", HeaderValue::from_static("0.004s"));
    response
}

async fn ping() -> Json<Value> {
    Json(
        json!({"ha": false, "version": PRODUCT_VERSION, "active_node": "awx-sim", "install_uuid": "00000000-0000-4000-8000-000000000000"}),
    )
}

type Params = Query<Vec<(String, String)>>;

async fn list_templates(State(simulator): State<Simulator>, Query(query): Params) -> Response {
    if let Some(fault) = simulator.fault("list_job_templates").await {
        return fault;
    }
    let items: Vec<Value> = simulator.lock().templates.iter().map(Template::to_json).collect();
    lists::page(
        "/api/v2/job_templates/",
        "JobTemplate",
        &lists::TEMPLATE_FIELDS,
        items,
        &query,
    )
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
    template_by_id(&awx, &id).map_or_else(not_found, |template| Json(template.to_json()).into_response())
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
    let mut body = job.to_json(now, "pending", true);
    body["job"] = json!(job_id);
    body["ignored_fields"] = Value::Object(ignored_fields);
    awx.jobs.insert(job_id, job);
    let mut headers = HeaderMap::new();
    if let Ok(location) = HeaderValue::from_str(&format!("/api/v2/jobs/{job_id}/")) {
        headers.insert(header::LOCATION, location);
    }
    (StatusCode::CREATED, headers, Json(body)).into_response()
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
        .map(|job| job.to_json(now, job.status(now), false))
        .collect();
    lists::page(path, "Job", &lists::JOB_FIELDS, items, query)
}

async fn get_job(State(simulator): State<Simulator>, Path(id): Path<String>) -> Response {
    if let Some(fault) = simulator.fault("get_job").await {
        return fault;
    }
    let awx = simulator.lock();
    let now = Instant::now();
    job_by_id(&awx, &id).map_or_else(not_found, |job| {
        Json(job.to_json(now, job.status(now), true)).into_response()
    })
}

fn job_by_id<'a>(awx: &'a Awx, id: &str) -> Option<&'a Job> {
    awx.jobs.get(&id.parse::<i64>().ok()?)
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
    let ansi = job.stdout_ansi(job.status(Instant::now()));
    let format = query
        .iter()
        .find(|(key, _)| key == "format")
        .map_or("api", |(_, value)| value.as_str());
    let text = |body: String| ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response();
    let download = |body: String, extension: &str| {
        let disposition = format!("attachment; filename=\"job_{}.{extension}\"", job.id);
        (
            [
                (header::CONTENT_TYPE, "text/plain; charset=utf-8".to_owned()),
                (header::CONTENT_DISPOSITION, disposition),
            ],
            body,
        )
            .into_response()
    };
    match format {
        "txt" => text(strip_ansi(&ansi)),
        "ansi" => text(ansi),
        "txt_download" => download(strip_ansi(&ansi), "txt"),
        "ansi_download" => download(ansi, "txt"),
        "json" | "api" => {
            let lines = ansi.lines().count();
            Json(json!({"range": {"start": 0, "end": lines, "absolute_end": lines}, "content": ansi}))
                .into_response()
        }
        _ => not_found(),
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
    Json(json!({"can_cancel": !Job::is_terminal(job.status(Instant::now()))})).into_response()
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
    if Job::is_terminal(job.status(now)) {
        return drf_error(StatusCode::METHOD_NOT_ALLOWED, "Method \"POST\" not allowed.");
    }
    job.canceled = Some(now);
    StatusCode::ACCEPTED.into_response()
}
