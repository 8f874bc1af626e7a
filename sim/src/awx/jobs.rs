//! Job templates and jobs: a job moves `pending → waiting → running →`
//! `successful | failed` over the simulator's job duration (all at once
//! with the default 0), or to `canceled` when asked. Its playbook run is a
//! fixed list of Ansible events (play, facts, the playbook's task, recap)
//! that grows with it; its stdout is those events' lines, as in AWX.

use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{json, Map, Value};
use time::{macros::format_description, OffsetDateTime, UtcOffset};

use super::{discovery, metadata::ASK_FLAGS};

/// A job template as seeded (command line or JSON file).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateSpec {
    pub name: String,
    #[serde(default = "yes")]
    pub ask_variables_on_launch: bool,
    /// Survey questions; with no prompt on variables, only these are accepted.
    #[serde(default)]
    pub survey: Vec<SurveyQuestion>,
    /// The job fails when every one of these extra vars has that value.
    #[serde(default)]
    pub fail_when: Map<String, Value>,
    #[serde(default = "default_playbook")]
    pub playbook: String,
    /// `None`: the template has no inventory (launches are refused).
    #[serde(default = "default_inventory")]
    pub inventory: Option<i64>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SurveyQuestion {
    pub variable: String,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub default: Option<Value>,
}

fn yes() -> bool {
    true
}

fn default_playbook() -> String {
    "site.yml".to_owned()
}

fn default_inventory() -> Option<i64> {
    Some(1)
}

impl TemplateSpec {
    pub fn named(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            ask_variables_on_launch: true,
            survey: Vec::new(),
            fail_when: Map::new(),
            playbook: default_playbook(),
            inventory: default_inventory(),
        }
    }
}

/// The one organization, project and inventory every template uses.
const ORGANIZATION: i64 = 1;
const PROJECT: i64 = 1;
const INVENTORY_NAME: &str = "Demo Inventory";
/// The instance group jobs run in, and its one node.
const INSTANCE_GROUP: i64 = 1;
pub const NODE: &str = "awx-sim";
/// Event ids are `job id × EVENTS_PER_JOB + counter`.
const EVENTS_PER_JOB: i64 = 1000;

/// DRF's datetime format, which awxkit parses (`%Y-%m-%dT%H:%M:%S.%fZ`).
pub fn drf_time(at: OffsetDateTime) -> Option<String> {
    at.to_offset(UtcOffset::UTC)
        .format(format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
        ))
        .ok()
}

/// Adds `more`'s keys to `target` (json! objects are built in parts: one
/// literal of sixty keys is too deep for the macro).
fn extend(target: &mut Map<String, Value>, more: Value) {
    if let Value::Object(more) = more {
        target.extend(more);
    }
}

fn summary_organization() -> Value {
    json!({"id": ORGANIZATION, "name": "Default", "description": ""})
}

fn summary_inventory(inventory: i64) -> Value {
    json!({
        "id": inventory, "name": INVENTORY_NAME, "description": "",
        "has_active_failures": false, "total_hosts": 1, "hosts_with_active_failures": 0,
        "total_groups": 0, "has_inventory_sources": false, "total_inventory_sources": 0,
        "inventory_sources_with_failures": 0, "organization_id": ORGANIZATION, "kind": "",
    })
}

fn summary_project() -> Value {
    json!({"id": PROJECT, "name": "Demo Project", "description": "", "status": "successful", "scm_type": "git", "allow_override": false})
}

pub struct Template {
    pub id: i64,
    pub spec: TemplateSpec,
    pub created_at: OffsetDateTime,
}

impl Template {
    pub fn url(&self) -> String {
        format!("/api/v2/job_templates/{}/", self.id)
    }

    /// `GET /api/v2/job_templates/{id}/` (`JobTemplateSerializer`); `jobs`
    /// are this template's, oldest first.
    pub fn to_json(&self, jobs: &[&Job], now: Instant) -> Value {
        let id = self.id;
        let statuses: Vec<(&Job, JobStatus)> = jobs.iter().map(|job| (*job, job.status(now))).collect();
        // AWX's `current_job` (the newest still active) and `last_job` (the newest finished).
        let current = statuses.iter().rev().find(|(_, status)| !status.is_terminal());
        let last = statuses.iter().rev().find(|(_, status)| status.is_terminal());
        let status = match (current, last) {
            (Some((_, status)), _) => status.as_str(),
            (None, None) => "never updated",
            (None, Some((_, status))) if status.failed() => "failed",
            (None, Some(_)) => "successful",
        };
        let last_job_run = last.and_then(|(job, status)| job.finished(*status, now));
        let created = drf_time(self.created_at);
        let recent_jobs: Vec<Value> = statuses
            .iter()
            .rev()
            .take(10)
            .map(|(job, status)| {
                json!({
                    "id": job.id, "status": status.as_str(), "type": "job",
                    "finished": job.finished(*status, now).and_then(|at| job.wall_clock(at)),
                    "canceled_on": job.canceled_on(*status),
                })
            })
            .collect();
        let mut summary = Map::new();
        summary.insert("organization".to_owned(), summary_organization());
        if let Some(inventory) = self.spec.inventory {
            summary.insert("inventory".to_owned(), summary_inventory(inventory));
        }
        summary.insert("project".to_owned(), summary_project());
        if let Some((job, status)) = last {
            summary.insert(
                "last_job".to_owned(),
                json!({
                    "id": job.id, "name": job.template_name, "description": "",
                    "finished": job.finished(*status, now).and_then(|at| job.wall_clock(at)),
                    "status": status.as_str(), "failed": status.failed(), "license_error": false,
                    "canceled_on": job.canceled_on(*status),
                }),
            );
        }
        summary.insert("created_by".to_owned(), discovery::user_summary());
        summary.insert("modified_by".to_owned(), discovery::user_summary());
        summary.insert("labels".to_owned(), json!({"count": 0, "results": []}));
        summary.insert("recent_jobs".to_owned(), Value::Array(recent_jobs));
        summary.insert("credentials".to_owned(), json!([]));

        let mut template = Map::new();
        extend(
            &mut template,
            json!({
                "id": id,
                "type": "job_template",
                "url": self.url(),
                "related": {
                    "created_by": discovery::user_url(),
                    "modified_by": discovery::user_url(),
                    "jobs": format!("/api/v2/job_templates/{id}/jobs/"),
                    "launch": format!("/api/v2/job_templates/{id}/launch/"),
                },
                "summary_fields": summary,
                "created": created,
                "modified": created,
                "name": self.spec.name,
                "description": "",
                "job_type": "run",
                "inventory": self.spec.inventory,
                "project": PROJECT,
                "playbook": self.spec.playbook,
                "scm_branch": "",
                "forks": 0,
                "limit": "",
                "verbosity": 0,
                "extra_vars": "",
                "job_tags": "",
                "force_handlers": false,
                "skip_tags": "",
                "start_at_task": "",
                "timeout": 0,
                "use_fact_cache": false,
                "organization": ORGANIZATION,
                "execution_environment": null,
            }),
        );
        extend(
            &mut template,
            json!({
                "last_job_run": last_job_run.and_then(|at| last.and_then(|(job, _)| job.wall_clock(at))),
                "last_job_failed": last.is_some_and(|(_, status)| status.failed()),
                "next_job_run": null,
                "status": status,
                "host_config_key": "",
                "survey_enabled": !self.spec.survey.is_empty(),
                "become_enabled": false,
                "diff_mode": false,
                "allow_simultaneous": false,
                "custom_virtualenv": null,
                "job_slice_count": 1,
                "webhook_service": "",
                "webhook_credential": null,
                "prevent_instance_group_fallback": false,
            }),
        );
        template.extend(self.ask_flags());
        Value::Object(template)
    }

    /// The `ask_*_on_launch` flags: the simulator prompts for variables only.
    fn ask_flags(&self) -> Map<String, Value> {
        ASK_FLAGS
            .iter()
            .map(|flag| {
                let asked = *flag == "ask_variables_on_launch" && self.spec.ask_variables_on_launch;
                ((*flag).to_owned(), Value::Bool(asked))
            })
            .collect()
    }

    /// `GET …/launch/` (`JobLaunchSerializer`).
    pub fn launch_info(&self) -> Value {
        let needed = self.variables_needed();
        let mut info = self.ask_flags();
        extend(
            &mut info,
            json!({
                "can_start_without_user_input": needed.is_empty() && self.spec.inventory.is_some(),
                "passwords_needed_to_start": [],
                "survey_enabled": !self.spec.survey.is_empty(),
                "variables_needed_to_start": needed,
                "credential_needed_to_start": false,
                "inventory_needed_to_start": self.spec.inventory.is_none(),
                "job_template_data": {"name": self.spec.name, "id": self.id, "description": ""},
                "defaults": {
                    "extra_vars": "",
                    "inventory": {
                        "name": self.spec.inventory.map(|_| INVENTORY_NAME),
                        "id": self.spec.inventory,
                    },
                    "scm_branch": "",
                    "limit": "",
                    "job_tags": "",
                    "skip_tags": "",
                    "job_type": "run",
                    "verbosity": 0,
                    "diff_mode": false,
                    "execution_environment": {},
                    "forks": 0,
                    "job_slice_count": 1,
                    "timeout": 0,
                    "instance_groups": [],
                },
            }),
        );
        Value::Object(info)
    }

    pub fn variables_needed(&self) -> Vec<String> {
        self.spec
            .survey
            .iter()
            .filter(|question| question.required && question.default.is_none())
            .map(|question| question.variable.clone())
            .collect()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Successful,
    Failed,
}

/// The statuses a simulated job goes through (AWX's `new` and `error` never occur).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobStatus {
    Pending,
    Waiting,
    Running,
    Successful,
    Failed,
    Canceled,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Waiting => "waiting",
            Self::Running => "running",
            Self::Successful => "successful",
            Self::Failed => "failed",
            Self::Canceled => "canceled",
        }
    }

    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Successful | Self::Failed | Self::Canceled)
    }

    /// AWX's `failed` flag: true for failed, error and canceled jobs.
    pub fn failed(self) -> bool {
        matches!(self, Self::Failed | Self::Canceled)
    }
}

/// Which serializer renders a job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// `JobListSerializer`: lists leave out the heavy fields.
    List,
    /// `JobSerializer`: the launch answer.
    Launched,
    /// `JobDetailSerializer`: `GET /api/v2/jobs/{id}/`.
    Detail,
}

pub struct Job {
    pub id: i64,
    pub template_id: i64,
    pub template_name: String,
    pub playbook: String,
    pub inventory: Option<i64>,
    pub extra_vars: Map<String, Value>,
    pub outcome: Outcome,
    pub failure: String,
    pub created: Instant,
    pub created_at: OffsetDateTime,
    pub duration: Duration,
    pub canceled: Option<Instant>,
}

impl Job {
    /// Where the run has got to at `at`, cancel aside.
    fn progress(&self, at: Instant) -> JobStatus {
        let elapsed = at.saturating_duration_since(self.created);
        if elapsed >= self.duration {
            return match self.outcome {
                Outcome::Successful => JobStatus::Successful,
                Outcome::Failed => JobStatus::Failed,
            };
        }
        let share = elapsed.as_secs_f64() / self.duration.as_secs_f64();
        match share {
            share if share < 0.1 => JobStatus::Pending,
            share if share < 0.2 => JobStatus::Waiting,
            _ => JobStatus::Running,
        }
    }

    /// The status `now`.
    pub fn status(&self, now: Instant) -> JobStatus {
        match self.canceled {
            Some(canceled) if canceled <= now => JobStatus::Canceled,
            _ => self.progress(now),
        }
    }

    /// How far the playbook got: a canceled job stops where it was.
    fn reached(&self, now: Instant) -> JobStatus {
        self.progress(self.canceled.map_or(now, |canceled| canceled.min(now)))
    }

    fn started_at(&self) -> Instant {
        self.created + self.duration.mul_f64(0.2)
    }

    /// When it started running, if it has (as `status` has it).
    fn started(&self, status: JobStatus, now: Instant) -> Option<Instant> {
        let ran = match status {
            JobStatus::Pending | JobStatus::Waiting => false,
            JobStatus::Running | JobStatus::Successful | JobStatus::Failed => true,
            JobStatus::Canceled => self.reached(now) == JobStatus::Running,
        };
        ran.then(|| self.started_at())
    }

    fn finished(&self, status: JobStatus, now: Instant) -> Option<Instant> {
        match status {
            JobStatus::Canceled => self.canceled.map(|canceled| canceled.min(now)),
            JobStatus::Successful | JobStatus::Failed => Some(self.created + self.duration),
            JobStatus::Pending | JobStatus::Waiting | JobStatus::Running => None,
        }
    }

    /// Seconds from start to finish (or to now while running), 3 decimals.
    fn elapsed(&self, status: JobStatus, now: Instant) -> f64 {
        let elapsed = match (self.started(status, now), self.finished(status, now)) {
            (Some(started), Some(finished)) => finished.saturating_duration_since(started),
            (Some(started), None) => now.saturating_duration_since(started),
            _ => Duration::ZERO,
        };
        (elapsed.as_secs_f64() * 1000.0).round() / 1000.0
    }

    fn canceled_on(&self, status: JobStatus) -> Option<String> {
        match status {
            JobStatus::Canceled => self.canceled.and_then(|at| self.wall_clock(at)),
            _ => None,
        }
    }

    fn wall_clock(&self, at: Instant) -> Option<String> {
        let offset = at.saturating_duration_since(self.created);
        drf_time(self.created_at + offset)
    }

    pub fn url(&self) -> String {
        format!("/api/v2/jobs/{}/", self.id)
    }

    /// The job as `shape`'s serializer renders it `now`.
    pub fn to_json(&self, now: Instant, shape: Shape) -> Value {
        self.render(self.status(now), now, shape)
    }

    /// The job rendered with `status` (a launch answers `pending`, whatever
    /// the clock says).
    pub fn render(&self, status: JobStatus, now: Instant, shape: Shape) -> Value {
        let id = self.id;
        let started = self.started(status, now);
        let finished = self.finished(status, now);
        let template_url = format!("/api/v2/job_templates/{}/", self.template_id);
        let mut summary = Map::new();
        summary.insert("organization".to_owned(), summary_organization());
        if let Some(inventory) = self.inventory {
            summary.insert("inventory".to_owned(), summary_inventory(inventory));
        }
        summary.insert("project".to_owned(), summary_project());
        summary.insert(
            "job_template".to_owned(),
            json!({"id": self.template_id, "name": self.template_name, "description": ""}),
        );
        summary.insert(
            "unified_job_template".to_owned(),
            json!({"id": self.template_id, "name": self.template_name, "description": "", "unified_job_type": "job"}),
        );
        if started.is_some() {
            summary.insert(
                "instance_group".to_owned(),
                json!({"id": INSTANCE_GROUP, "name": "default", "is_container_group": false}),
            );
        }
        summary.insert("created_by".to_owned(), discovery::user_summary());
        summary.insert("labels".to_owned(), json!({"count": 0, "results": []}));
        summary.insert("credentials".to_owned(), json!([]));

        let mut job = Map::new();
        extend(
            &mut job,
            json!({
                "id": id,
                "type": "job",
                "url": self.url(),
                "related": {
                    "created_by": discovery::user_url(),
                    "unified_job_template": template_url,
                    "job_template": template_url,
                    "stdout": format!("/api/v2/jobs/{id}/stdout/"),
                    "job_events": format!("/api/v2/jobs/{id}/job_events/"),
                    "cancel": format!("/api/v2/jobs/{id}/cancel/"),
                },
                "summary_fields": summary,
                "created": self.wall_clock(self.created),
                "modified": self.wall_clock(finished.or(started).unwrap_or(self.created)),
                "name": self.template_name,
                "description": "",
                "unified_job_template": self.template_id,
                "launch_type": "manual",
                "status": status.as_str(),
                "execution_environment": null,
                "failed": status.failed(),
                "started": started.and_then(|at| self.wall_clock(at)),
                "finished": finished.and_then(|at| self.wall_clock(at)),
                "canceled_on": self.canceled_on(status),
                "elapsed": self.elapsed(status, now),
                "job_explanation": "",
                "execution_node": if started.is_some() { NODE } else { "" },
                "controller_node": "",
                "launched_by": {"id": discovery::USER_ID, "name": discovery::USERNAME, "type": "user", "url": discovery::user_url()},
                "work_unit_id": started.map(|_| format!("{NODE}-{id}")),
            }),
        );
        extend(
            &mut job,
            json!({
                "job_type": "run",
                "inventory": self.inventory,
                "project": PROJECT,
                "playbook": self.playbook,
                "scm_branch": "",
                "forks": 0,
                "limit": "",
                "verbosity": 0,
                "extra_vars": python_json(&Value::Object(self.extra_vars.clone())),
                "job_tags": "",
                "force_handlers": false,
                "skip_tags": "",
                "start_at_task": "",
                "timeout": 0,
                "use_fact_cache": false,
                "organization": ORGANIZATION,
                "job_template": self.template_id,
                "passwords_needed_to_start": [],
                "allow_simultaneous": false,
                "artifacts": {},
                "scm_revision": "",
                "instance_group": started.map(|_| INSTANCE_GROUP),
                "diff_mode": false,
                "job_slice_number": 0,
                "job_slice_count": 1,
                "webhook_service": "",
                "webhook_credential": null,
                "webhook_guid": "",
            }),
        );
        if shape != Shape::List {
            extend(
                &mut job,
                json!({
                    "job_args": "",
                    "job_cwd": "",
                    "job_env": {},
                    "result_traceback": "",
                    "event_processing_finished": status.is_terminal(),
                }),
            );
        }
        if shape == Shape::Detail {
            let events = self.events(now);
            let count = |kind: EventKind| events.iter().filter(|event| event.kind == kind).count();
            let host_status_counts = match self.reached(now) {
                JobStatus::Successful => json!({"changed": 1}),
                JobStatus::Failed => json!({"failures": 1}),
                _ => json!({}),
            };
            extend(
                &mut job,
                json!({
                    "host_status_counts": host_status_counts,
                    "playbook_counts": {"play_count": count(EventKind::PlayStart), "task_count": count(EventKind::TaskStart)},
                    "custom_virtualenv": null,
                }),
            );
        }
        Value::Object(job)
    }

    /// The events the run has emitted by `now`, in order.
    pub fn events(&self, now: Instant) -> Vec<Event> {
        let reached = self.reached(now);
        let mut events = Events::default();
        if matches!(reached, JobStatus::Pending | JobStatus::Waiting) {
            return events.list;
        }
        let started = self.started_at();
        let finished = self.created + self.duration;
        let banner = |title: &str| format!("{title} {}", "*".repeat(72usize.saturating_sub(title.len() + 1)));
        let task = self.playbook.trim_end_matches(".yml").to_owned();
        let playbook = events.push(EventKind::PlaybookStart, "", Vec::new(), started, None);
        let play = events.push(
            EventKind::PlayStart,
            "",
            vec![String::new(), banner(&format!("PLAY [{}]", self.template_name))],
            started,
            Some(playbook),
        );
        let facts = events.push(
            EventKind::TaskStart,
            "Gathering Facts",
            vec![String::new(), banner("TASK [Gathering Facts]")],
            started,
            Some(play),
        );
        events.push(
            EventKind::HostOk { changed: false },
            "Gathering Facts",
            vec!["\u{1b}[0;32mok: [localhost]\u{1b}[0m".to_owned()],
            started,
            Some(facts),
        );
        let main = events.push(
            EventKind::TaskStart,
            &task,
            vec![String::new(), banner(&format!("TASK [{task}]"))],
            started,
            Some(play),
        );
        let recap = match reached {
            JobStatus::Successful => {
                events.push(
                    EventKind::HostOk { changed: true },
                    &task,
                    vec!["\u{1b}[0;33mchanged: [localhost]\u{1b}[0m".to_owned()],
                    finished,
                    Some(main),
                );
                "\u{1b}[0;33mlocalhost\u{1b}[0m                  : \u{1b}[0;32mok=2   \u{1b}[0m \u{1b}[0;33mchanged=1   \u{1b}[0m unreachable=0    failed=0    skipped=0    rescued=0    ignored=0"
            }
            JobStatus::Failed => {
                let message = json!({"changed": false, "msg": self.failure});
                events.push(
                    EventKind::HostFailed,
                    &task,
                    vec![format!(
                        "\u{1b}[0;31mfatal: [localhost]: FAILED! => {message}\u{1b}[0m"
                    )],
                    finished,
                    Some(main),
                );
                "\u{1b}[0;31mlocalhost\u{1b}[0m                  : \u{1b}[0;32mok=1   \u{1b}[0m changed=0    unreachable=0    \u{1b}[0;31mfailed=1   \u{1b}[0m skipped=0    rescued=0    ignored=0"
            }
            _ => return events.list,
        };
        events.push(
            EventKind::Stats {
                failed: reached == JobStatus::Failed,
            },
            "",
            vec![String::new(), banner("PLAY RECAP"), recap.to_owned()],
            finished,
            Some(playbook),
        );
        events.list
    }

    /// The output so far, with Ansible's colours: every event's lines.
    pub fn stdout_ansi(&self, now: Instant) -> String {
        let events = self.events(now);
        let lines: Vec<&str> = events
            .iter()
            .flat_map(|event| event.lines.iter().map(String::as_str))
            .collect();
        if lines.is_empty() {
            return String::new();
        }
        format!("{}\n", lines.join("\n"))
    }

    pub fn event_id(&self, counter: i64) -> i64 {
        self.id * EVENTS_PER_JOB + counter
    }

    /// The job and counter an event id names.
    pub fn split_event_id(event_id: i64) -> (i64, i64) {
        (event_id / EVENTS_PER_JOB, event_id % EVENTS_PER_JOB)
    }

    fn event_uuid(&self, counter: i64) -> String {
        format!("{:08x}-0000-4000-8000-{counter:012x}", self.id)
    }

    /// `GET /api/v2/job_events/{id}/` (`JobEventSerializer`).
    pub fn event_json(&self, event: &Event, now: Instant) -> Value {
        let id = self.event_id(event.counter);
        let status = self.status(now);
        let play = if event.kind == EventKind::PlaybookStart {
            ""
        } else {
            self.template_name.as_str()
        };
        let host_name = if event.kind.is_host() { "localhost" } else { "" };
        let mut data = Map::new();
        data.insert("playbook".to_owned(), json!(self.playbook));
        match event.kind {
            EventKind::PlaybookStart => {
                data.insert("playbook_uuid".to_owned(), json!(self.event_uuid(event.counter)));
            }
            EventKind::PlayStart => {
                extend(
                    &mut data,
                    json!({"play": play, "name": play, "play_pattern": "all"}),
                );
            }
            EventKind::TaskStart => {
                extend(
                    &mut data,
                    json!({"play": play, "task": event.task, "name": event.task, "is_conditional": false}),
                );
            }
            EventKind::HostOk { changed } => {
                extend(
                    &mut data,
                    json!({"play": play, "task": event.task, "host": host_name, "remote_addr": host_name, "res": {"changed": changed}}),
                );
            }
            EventKind::HostFailed => {
                extend(
                    &mut data,
                    json!({"play": play, "task": event.task, "host": host_name, "remote_addr": host_name, "res": {"changed": false, "msg": self.failure}}),
                );
            }
            EventKind::Stats { failed } => {
                let (ok, changed, failures) = if failed { (1, 0, 1) } else { (2, 1, 0) };
                let per_host = |count: i64| {
                    if count > 0 {
                        json!({"localhost": count})
                    } else {
                        json!({})
                    }
                };
                extend(
                    &mut data,
                    json!({
                        "ok": per_host(ok), "changed": per_host(changed), "failures": per_host(failures),
                        "dark": {}, "processed": {"localhost": 1}, "skipped": {}, "ignored": {}, "rescued": {},
                    }),
                );
            }
        }
        let created = self.wall_clock(event.at);
        json!({
            "id": id,
            "type": "job_event",
            "url": format!("/api/v2/job_events/{id}/"),
            "related": {"job": self.url()},
            "summary_fields": {
                "job": {
                    "id": self.id, "name": self.template_name, "description": "",
                    "status": status.as_str(), "failed": status.failed(), "type": "job",
                    "elapsed": self.elapsed(status, now),
                    "canceled_on": self.canceled_on(status),
                    "job_template_id": self.template_id, "job_template_name": self.template_name,
                },
                "role": {},
            },
            "created": created,
            "modified": created,
            "job": self.id,
            "event": event.kind.name(),
            "counter": event.counter,
            "event_display": event.display(),
            "event_data": data,
            "event_level": event.kind.level(),
            "failed": event.kind.failed(),
            "changed": matches!(event.kind, EventKind::HostOk { changed: true }),
            "uuid": self.event_uuid(event.counter),
            "parent_uuid": event.parent.map_or_else(String::new, |parent| self.event_uuid(parent)),
            "host": null,
            "host_name": host_name,
            "playbook": self.playbook,
            "play": play,
            "task": event.task,
            "role": "",
            "stdout": event.lines.join("\n"),
            "start_line": event.start_line,
            "end_line": event.end_line,
            "verbosity": 0,
        })
    }
}

/// The Ansible events the simulated playbook emits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    PlaybookStart,
    PlayStart,
    TaskStart,
    HostOk { changed: bool },
    HostFailed,
    Stats { failed: bool },
}

impl EventKind {
    fn name(self) -> &'static str {
        match self {
            Self::PlaybookStart => "playbook_on_start",
            Self::PlayStart => "playbook_on_play_start",
            Self::TaskStart => "playbook_on_task_start",
            Self::HostOk { .. } => "runner_on_ok",
            Self::HostFailed => "runner_on_failed",
            Self::Stats { .. } => "playbook_on_stats",
        }
    }

    /// AWX's `LEVEL_FOR_EVENT`.
    fn level(self) -> u8 {
        match self {
            Self::PlaybookStart => 0,
            Self::PlayStart | Self::Stats { .. } => 1,
            Self::TaskStart => 2,
            Self::HostOk { .. } | Self::HostFailed => 3,
        }
    }

    fn is_host(self) -> bool {
        matches!(self, Self::HostOk { .. } | Self::HostFailed)
    }

    fn failed(self) -> bool {
        matches!(self, Self::HostFailed | Self::Stats { failed: true })
    }
}

pub struct Event {
    pub counter: i64,
    pub kind: EventKind,
    task: String,
    lines: Vec<String>,
    start_line: usize,
    end_line: usize,
    at: Instant,
    parent: Option<i64>,
}

impl Event {
    /// AWX's `get_event_display2`.
    fn display(&self) -> String {
        match self.kind {
            EventKind::PlaybookStart => "Playbook Started".to_owned(),
            EventKind::PlayStart => "Play Started".to_owned(),
            EventKind::TaskStart => format!("Task Started ({})", self.task),
            EventKind::HostOk { .. } => "Host OK".to_owned(),
            EventKind::HostFailed => "Host Failed".to_owned(),
            EventKind::Stats { .. } => "Playbook Complete".to_owned(),
        }
    }
}

/// Numbers events and their stdout lines as they are added.
#[derive(Default)]
struct Events {
    list: Vec<Event>,
    lines: usize,
}

impl Events {
    fn push(
        &mut self,
        kind: EventKind,
        task: &str,
        lines: Vec<String>,
        at: Instant,
        parent: Option<i64>,
    ) -> i64 {
        let counter = self.list.len() as i64 + 1;
        let start_line = self.lines;
        self.lines += lines.len();
        self.list.push(Event {
            counter,
            kind,
            task: task.to_owned(),
            lines,
            start_line,
            end_line: self.lines,
            at,
            parent,
        });
        counter
    }
}

/// A JSON string as AWX stores `extra_vars`: Python's `json.dumps` with its
/// defaults (`", "` and `": "` separators, everything but printable ASCII
/// escaped).
fn python_json(value: &Value) -> String {
    match value {
        Value::Object(members) => {
            let members: Vec<String> = members
                .iter()
                .map(|(name, member)| format!("{}: {}", python_string(name), python_json(member)))
                .collect();
            format!("{{{}}}", members.join(", "))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(python_json).collect();
            format!("[{}]", items.join(", "))
        }
        Value::String(text) => python_string(text),
        Value::Null | Value::Bool(_) | Value::Number(_) => value.to_string(),
    }
}

fn python_string(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for character in text.chars() {
        match character {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            '\r' => quoted.push_str("\\r"),
            '\t' => quoted.push_str("\\t"),
            '\u{8}' => quoted.push_str("\\b"),
            '\u{c}' => quoted.push_str("\\f"),
            ' '..='~' => quoted.push(character),
            _ => {
                let mut units = [0u16; 2];
                for unit in character.encode_utf16(&mut units) {
                    quoted.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    quoted.push('"');
    quoted
}

/// `format=txt`: the ANSI escapes (`ESC [ … letter`) removed.
pub fn strip_ansi(text: &str) -> String {
    let mut plain = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(character) = chars.next() {
        if character == '\u{1b}' && chars.peek() == Some(&'[') {
            chars.next();
            for code in chars.by_ref() {
                if code.is_ascii_alphabetic() {
                    break;
                }
            }
            continue;
        }
        plain.push(character);
    }
    plain
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::super::metadata::{self, Model};
    use super::*;

    #[test]
    fn ansi_escapes_are_stripped() {
        assert_eq!(
            strip_ansi("\u{1b}[0;32mok: [localhost]\u{1b}[0m done"),
            "ok: [localhost] done"
        );
    }

    fn job(duration: Duration, outcome: Outcome) -> Job {
        Job {
            id: 100,
            template_id: 5,
            template_name: "deploy".to_owned(),
            playbook: "site.yml".to_owned(),
            inventory: Some(1),
            extra_vars: Map::new(),
            outcome,
            failure: "broken".to_owned(),
            created: Instant::now(),
            created_at: OffsetDateTime::now_utc(),
            duration,
            canceled: None,
        }
    }

    fn keys(value: &Value) -> BTreeSet<String> {
        value
            .as_object()
            .map(|object| object.keys().cloned().collect())
            .unwrap_or_default()
    }

    fn described(model: &Model) -> BTreeSet<String> {
        model.fields().map(|field| field.name.to_owned()).collect()
    }

    #[test]
    fn what_is_rendered_is_what_options_describes() {
        let job = job(Duration::ZERO, Outcome::Successful);
        let now = Instant::now();
        assert_eq!(keys(&job.to_json(now, Shape::List)), described(&metadata::JOB));
        let template = Template {
            id: 5,
            spec: TemplateSpec::named("deploy"),
            created_at: OffsetDateTime::now_utc(),
        };
        assert_eq!(
            keys(&template.to_json(&[&job], now)),
            described(&metadata::JOB_TEMPLATE)
        );
        let events = job.events(now);
        assert!(events
            .iter()
            .all(|event| keys(&job.event_json(event, now)) == described(&metadata::JOB_EVENT)));
        assert_eq!(keys(&discovery::user()), described(&metadata::USER));
    }

    #[test]
    fn events_cover_the_stdout_line_by_line() {
        let job = job(Duration::ZERO, Outcome::Failed);
        let now = Instant::now();
        let events = job.events(now);
        assert_eq!(events.len(), 7);
        let stdout = job.stdout_ansi(now);
        assert_eq!(
            events.last().map(|event| event.end_line),
            Some(stdout.lines().count())
        );
        assert!(stdout.contains("fatal: [localhost]: FAILED!"));
        assert!(events.windows(2).all(|pair| match pair {
            [before, after] => before.end_line == after.start_line,
            _ => false,
        }));
    }

    #[test]
    fn a_job_canceled_before_it_ran_has_no_output_and_never_started() {
        let mut job = job(Duration::from_secs(60), Outcome::Successful);
        job.canceled = Some(job.created);
        let now = Instant::now();
        assert_eq!(job.status(now), JobStatus::Canceled);
        assert!(job.events(now).is_empty());
        assert_eq!(job.to_json(now, Shape::Detail)["started"], Value::Null);
    }

    #[test]
    fn extra_vars_are_written_as_python_writes_them() {
        let variables = json!({"b": [1, true, null], "a": "é\"\n"});
        assert_eq!(
            python_json(&variables),
            r#"{"a": "\u00e9\"\n", "b": [1, true, null]}"#
        );
    }

    #[test]
    fn datetimes_have_microseconds_and_z() {
        let at = OffsetDateTime::UNIX_EPOCH;
        assert_eq!(drf_time(at).as_deref(), Some("1970-01-01T00:00:00.000000Z"));
    }
}
