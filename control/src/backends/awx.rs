//! AWX through its REST API v2: launch a job template with extra vars,
//! follow the job, keep its output. A launch is idempotent per run key: the
//! key travels as the extra var `bibind_run_key`, and since AWX refuses to
//! filter on `extra_vars` (it is `prevent_search`: 403 "Filtering on
//! extra_vars is not allowed."), the template's recent jobs are listed
//! (`job_template=<id>&order_by=-id`) and their `extra_vars` read.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::BackendError;

const BACKEND: &str = "awx";

/// The extra var that marks a launch as one run of a workflow step.
pub const RUN_KEY_VAR: &str = "bibind_run_key";

/// Jobs looked through for an earlier launch of the same run: a retry comes
/// soon after the first attempt, so it is among the newest.
const RUN_KEY_SCAN_PAGES: usize = 5;
const PAGE_SIZE: usize = 200;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AwxJobStatus {
    New,
    Pending,
    Waiting,
    Running,
    Successful,
    Failed,
    Error,
    Canceled,
}

impl AwxJobStatus {
    pub fn parse(status: &str) -> Option<Self> {
        Some(match status {
            "new" => Self::New,
            "pending" => Self::Pending,
            "waiting" => Self::Waiting,
            "running" => Self::Running,
            "successful" => Self::Successful,
            "failed" => Self::Failed,
            "error" => Self::Error,
            "canceled" => Self::Canceled,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Pending => "pending",
            Self::Waiting => "waiting",
            Self::Running => "running",
            Self::Successful => "successful",
            Self::Failed => "failed",
            Self::Error => "error",
            Self::Canceled => "canceled",
        }
    }

    /// The job will not change any more.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Self::Successful | Self::Failed | Self::Error | Self::Canceled
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AwxJob {
    pub id: i64,
    pub status: AwxJobStatus,
    /// True exactly for failed, error and canceled jobs.
    pub failed: bool,
    pub finished: bool,
}

#[async_trait::async_trait]
pub trait Awx: Send + Sync {
    /// Launches the job template named `template` with `extra_vars` plus
    /// `bibind_run_key`, unless a job of that template already carries this
    /// run key: that job is returned instead.
    async fn launch(&self, template: &str, run_key: &str, extra_vars: &Value)
        -> Result<AwxJob, BackendError>;
    async fn job(&self, id: i64) -> Result<AwxJob, BackendError>;
    /// The job's output as plain text (ANSI stripped).
    async fn stdout(&self, id: i64) -> Result<String, BackendError>;
    /// Asks AWX to cancel; a job already finished counts as done.
    async fn cancel(&self, id: i64) -> Result<(), BackendError>;
}

pub struct AwxClient {
    http: reqwest::Client,
    base: url::Url,
    token: String,
}

impl AwxClient {
    /// `base_url` is AWX's root (the API is under `/api/v2/`); `token` an
    /// OAuth2 personal token with the `write` scope.
    pub fn new(base_url: &str, token: impl Into<String>, timeout: Duration) -> Result<Self, BackendError> {
        let mut base = url::Url::parse(base_url)
            .map_err(|error| BackendError::refused(BACKEND, format!("base URL: {error}")))?;
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        let http = super::client_with_timeout(BACKEND, timeout)?;
        Ok(Self {
            http,
            base,
            token: token.into(),
        })
    }

    fn url(&self, path: &str) -> Result<url::Url, BackendError> {
        self.base
            .join(path)
            .map_err(|error| BackendError::refused(BACKEND, format!("{path}: {error}")))
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<(StatusCode, String), BackendError> {
        let answer = super::exchange(BACKEND, request.bearer_auth(&self.token)).await?;
        Ok((answer.status, answer.body))
    }

    async fn get_json(&self, url: url::Url) -> Result<Value, BackendError> {
        super::exchange(BACKEND, self.http.get(url).bearer_auth(&self.token))
            .await?
            .json(BACKEND)
    }

    /// The id of the job template named `name`.
    async fn template_id(&self, name: &str) -> Result<i64, BackendError> {
        let mut url = self.url("api/v2/job_templates/")?;
        url.query_pairs_mut().append_pair("name", name);
        let page = self.get_json(url).await?;
        let results = page["results"]
            .as_array()
            .ok_or_else(|| unexpected("job_templates"))?;
        match results.as_slice() {
            [template] => template["id"].as_i64().ok_or_else(|| unexpected("job_templates")),
            [] => Err(BackendError::refused(
                BACKEND,
                format!("no job template named {name}"),
            )),
            _ => Err(BackendError::refused(
                BACKEND,
                format!(
                    "{} job templates are named {name} (one per organization): name one",
                    results.len()
                ),
            )),
        }
    }

    /// A job of `template_id` launched with this run key, if any.
    async fn job_with_run_key(
        &self,
        template_id: i64,
        run_key: &str,
    ) -> Result<Option<AwxJob>, BackendError> {
        let mut url = self.url("api/v2/jobs/")?;
        url.query_pairs_mut()
            .append_pair("job_template", &template_id.to_string())
            .append_pair("order_by", "-id")
            .append_pair("page_size", &PAGE_SIZE.to_string());
        let mut next = Some(url);
        for _ in 0..RUN_KEY_SCAN_PAGES {
            let Some(url) = next.take() else { break };
            let page = self.get_json(url).await?;
            for job in page["results"].as_array().ok_or_else(|| unexpected("jobs"))? {
                // Newer AWX may leave `extra_vars` out of lists: read the job then.
                let extra_vars = match job.get("extra_vars") {
                    Some(extra_vars) => extra_vars.clone(),
                    None => {
                        let id = job["id"].as_i64().ok_or_else(|| unexpected("jobs"))?;
                        self.get_json(self.url(&format!("api/v2/jobs/{id}/"))?).await?["extra_vars"].clone()
                    }
                };
                if run_key_of(&extra_vars).as_deref() == Some(run_key) {
                    return parse_job(job).map(Some);
                }
            }
            next = match page["next"].as_str() {
                // Relative to the host: AWX writes the whole path.
                Some(relative) => Some(self.url(relative)?),
                None => None,
            };
        }
        Ok(None)
    }
}

#[async_trait::async_trait]
impl Awx for AwxClient {
    async fn launch(
        &self,
        template: &str,
        run_key: &str,
        extra_vars: &Value,
    ) -> Result<AwxJob, BackendError> {
        let template_id = self.template_id(template).await?;
        if let Some(job) = self.job_with_run_key(template_id, run_key).await? {
            return Ok(job);
        }
        let launch_url = self.url(&format!("api/v2/job_templates/{template_id}/launch/"))?;
        // A manual launch silently drops variables the template does not
        // prompt for: the run key would be lost, and the launch not idempotent.
        let prompts = self.get_json(launch_url.clone()).await?;
        if prompts["ask_variables_on_launch"].as_bool() != Some(true) {
            return Err(BackendError::refused(
                BACKEND,
                format!(
                    "job template {template} must prompt for variables on launch (ask_variables_on_launch)"
                ),
            ));
        }
        let mut variables = match extra_vars {
            Value::Object(variables) => variables.clone(),
            Value::Null => serde_json::Map::new(),
            _ => return Err(BackendError::refused(BACKEND, "extra vars must be a JSON object")),
        };
        variables.insert(RUN_KEY_VAR.to_owned(), Value::String(run_key.to_owned()));
        let (status, body) = self
            .send(self.http.post(launch_url).json(&json!({"extra_vars": variables})))
            .await?;
        if status != StatusCode::CREATED {
            return Err(BackendError::from_status(BACKEND, status, &body));
        }
        let launched: Value = serde_json::from_str(&body)
            .map_err(|_| BackendError::refused(BACKEND, "the launch answer is not JSON"))?;
        let mut job = parse_job(&launched)?;
        if let Some(id) = launched["job"].as_i64() {
            job.id = id;
        }
        Ok(job)
    }

    async fn job(&self, id: i64) -> Result<AwxJob, BackendError> {
        parse_job(&self.get_json(self.url(&format!("api/v2/jobs/{id}/"))?).await?)
    }

    async fn stdout(&self, id: i64) -> Result<String, BackendError> {
        let mut url = self.url(&format!("api/v2/jobs/{id}/stdout/"))?;
        url.query_pairs_mut().append_pair("format", "txt");
        let (status, body) = self.send(self.http.get(url)).await?;
        if !status.is_success() {
            return Err(BackendError::from_status(BACKEND, status, &body));
        }
        Ok(body)
    }

    async fn cancel(&self, id: i64) -> Result<(), BackendError> {
        let url = self.url(&format!("api/v2/jobs/{id}/cancel/"))?;
        let (status, body) = self.send(self.http.post(url)).await?;
        match status {
            StatusCode::ACCEPTED => Ok(()),
            // 405: the job is no longer cancelable (it has finished).
            StatusCode::METHOD_NOT_ALLOWED => Ok(()),
            _ => Err(BackendError::from_status(BACKEND, status, &body)),
        }
    }
}

/// The run key in a job's `extra_vars` (a JSON string, or an object).
fn run_key_of(extra_vars: &Value) -> Option<String> {
    let parsed;
    let variables = match extra_vars {
        Value::String(text) => {
            parsed = serde_json::from_str::<Value>(text).ok()?;
            &parsed
        }
        other => other,
    };
    variables.get(RUN_KEY_VAR)?.as_str().map(str::to_owned)
}

fn parse_job(job: &Value) -> Result<AwxJob, BackendError> {
    let id = job["id"].as_i64().ok_or_else(|| unexpected("job"))?;
    let status_text = job["status"].as_str().ok_or_else(|| unexpected("job"))?;
    let status = AwxJobStatus::parse(status_text).ok_or_else(|| {
        BackendError::refused(BACKEND, format!("job {id} has an unknown status {status_text}"))
    })?;
    Ok(AwxJob {
        id,
        status,
        failed: job["failed"].as_bool().unwrap_or(false),
        finished: status.is_terminal(),
    })
}

fn unexpected(what: &str) -> BackendError {
    BackendError::refused(BACKEND, format!("unexpected {what} answer"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_run_key_is_read_from_the_extra_vars_string() {
        assert_eq!(
            run_key_of(&json!("{\"bibind_run_key\": \"r-1\", \"x\": 1}")).as_deref(),
            Some("r-1")
        );
        assert_eq!(
            run_key_of(&json!({"bibind_run_key": "r-2"})).as_deref(),
            Some("r-2")
        );
        assert_eq!(run_key_of(&json!("---\nx: 1")), None);
    }

    #[test]
    fn only_final_states_are_terminal() {
        assert!(AwxJobStatus::Canceled.is_terminal());
        assert!(!AwxJobStatus::Waiting.is_terminal());
        assert_eq!(AwxJobStatus::parse("error"), Some(AwxJobStatus::Error));
    }
}
