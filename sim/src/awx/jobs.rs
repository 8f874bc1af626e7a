//! Job templates and jobs: a job moves `pending → waiting → running →`
//! `successful | failed` over the simulator's job duration (all at once
//! with the default 0), or to `canceled` when asked; its output grows with it.

use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{json, Map, Value};
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

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

pub struct Template {
    pub id: i64,
    pub spec: TemplateSpec,
}

impl Template {
    pub fn to_json(&self) -> Value {
        let id = self.id;
        json!({
            "id": id,
            "type": "job_template",
            "url": format!("/api/v2/job_templates/{id}/"),
            "related": {
                "launch": format!("/api/v2/job_templates/{id}/launch/"),
                "jobs": format!("/api/v2/job_templates/{id}/jobs/"),
            },
            "summary_fields": {"organization": {"id": 1, "name": "Default"}},
            "name": self.spec.name,
            "description": "",
            "job_type": "run",
            "inventory": self.spec.inventory,
            "project": 1,
            "playbook": self.spec.playbook,
            "organization": 1,
            "ask_variables_on_launch": self.spec.ask_variables_on_launch,
            "ask_inventory_on_launch": false,
            "ask_limit_on_launch": false,
            "survey_enabled": !self.spec.survey.is_empty(),
            "extra_vars": "",
        })
    }

    /// `GET …/launch/`.
    pub fn launch_info(&self) -> Value {
        let needed = self.variables_needed();
        json!({
            "can_start_without_user_input": needed.is_empty() && self.spec.inventory.is_some(),
            "passwords_needed_to_start": [],
            "ask_scm_branch_on_launch": false,
            "ask_variables_on_launch": self.spec.ask_variables_on_launch,
            "ask_tags_on_launch": false,
            "ask_diff_mode_on_launch": false,
            "ask_skip_tags_on_launch": false,
            "ask_job_type_on_launch": false,
            "ask_limit_on_launch": false,
            "ask_verbosity_on_launch": false,
            "ask_inventory_on_launch": false,
            "ask_credential_on_launch": false,
            "ask_execution_environment_on_launch": false,
            "ask_labels_on_launch": false,
            "ask_forks_on_launch": false,
            "ask_job_slice_count_on_launch": false,
            "ask_timeout_on_launch": false,
            "ask_instance_groups_on_launch": false,
            "survey_enabled": !self.spec.survey.is_empty(),
            "variables_needed_to_start": needed,
            "credential_needed_to_start": false,
            "inventory_needed_to_start": self.spec.inventory.is_none(),
            "job_template_data": {"name": self.spec.name, "id": self.id, "description": ""},
            "defaults": {"extra_vars": "", "inventory": {"name": "Demo Inventory", "id": self.spec.inventory}},
        })
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
    /// The status `now`; `pending` is what the launch itself answers.
    pub fn status(&self, now: Instant) -> &'static str {
        if let Some(canceled) = self.canceled {
            if canceled <= now {
                return "canceled";
            }
        }
        let elapsed = now.saturating_duration_since(self.created);
        if elapsed >= self.duration {
            return match self.outcome {
                Outcome::Successful => "successful",
                Outcome::Failed => "failed",
            };
        }
        let share = elapsed.as_secs_f64() / self.duration.as_secs_f64();
        match share {
            share if share < 0.1 => "pending",
            share if share < 0.2 => "waiting",
            _ => "running",
        }
    }

    pub fn is_terminal(status: &str) -> bool {
        matches!(status, "successful" | "failed" | "error" | "canceled")
    }

    fn started(&self) -> Instant {
        self.created + self.duration.mul_f64(0.2)
    }

    fn wall_clock(&self, at: Instant) -> Option<String> {
        let offset = at.saturating_duration_since(self.created);
        (self.created_at + offset).format(&Rfc3339).ok()
    }

    /// The job as `GET /api/v2/jobs/{id}/` answers it (`detail`), or as a
    /// list item (heavy fields left out).
    pub fn to_json(&self, now: Instant, status: &str, detail: bool) -> Value {
        let id = self.id;
        let terminal = Self::is_terminal(status);
        let started = (status == "running" || terminal && self.started() <= now).then(|| self.started());
        let finished = match status {
            "canceled" => self.canceled,
            _ if terminal => Some(self.created + self.duration),
            _ => None,
        };
        let elapsed = match (started, finished) {
            (Some(started), Some(finished)) => finished.saturating_duration_since(started),
            (Some(started), None) => now.saturating_duration_since(started),
            _ => Duration::ZERO,
        };
        let mut job = json!({
            "id": id,
            "type": "job",
            "url": format!("/api/v2/jobs/{id}/"),
            "related": {
                "job_template": format!("/api/v2/job_templates/{}/", self.template_id),
                "stdout": format!("/api/v2/jobs/{id}/stdout/"),
                "cancel": format!("/api/v2/jobs/{id}/cancel/"),
                "relaunch": format!("/api/v2/jobs/{id}/relaunch/"),
            },
            "summary_fields": {
                "job_template": {"id": self.template_id, "name": self.template_name},
                "inventory": {"id": self.inventory, "name": "Demo Inventory"},
            },
            "created": self.wall_clock(self.created),
            "modified": self.wall_clock(finished.unwrap_or(self.created)),
            "name": self.template_name,
            "description": "",
            "job_type": "run",
            "inventory": self.inventory,
            "project": 1,
            "playbook": self.playbook,
            "launch_type": "manual",
            "status": status,
            "failed": matches!(status, "failed" | "error" | "canceled"),
            "started": started.and_then(|at| self.wall_clock(at)),
            "finished": finished.and_then(|at| self.wall_clock(at)),
            "canceled_on": if status == "canceled" { self.canceled.and_then(|at| self.wall_clock(at)) } else { None },
            "elapsed": (elapsed.as_secs_f64() * 1000.0).round() / 1000.0,
            "job_explanation": "",
            "execution_node": if started.is_some() { "awx-sim" } else { "" },
            "job_template": self.template_id,
            "extra_vars": Value::Object(self.extra_vars.clone()).to_string(),
            "artifacts": {},
        });
        if detail {
            job["result_traceback"] = json!("");
            job["event_processing_finished"] = json!(terminal);
            job["job_args"] = json!("");
        }
        job
    }

    /// The output so far, with Ansible's colours.
    pub fn stdout_ansi(&self, status: &str) -> String {
        let mut lines: Vec<String> = Vec::new();
        if status == "pending" || status == "waiting" || status == "new" {
            return String::new();
        }
        let banner = |title: &str| format!("{title} {}", "*".repeat(72usize.saturating_sub(title.len() + 1)));
        lines.push(String::new());
        lines.push(banner(&format!("PLAY [{}]", self.template_name)));
        lines.push(String::new());
        lines.push(banner("TASK [Gathering Facts]"));
        lines.push("\u{1b}[0;32mok: [localhost]\u{1b}[0m".to_owned());
        lines.push(String::new());
        lines.push(banner(&format!(
            "TASK [{}]",
            self.playbook.trim_end_matches(".yml")
        )));
        match status {
            "successful" => {
                lines.push("\u{1b}[0;33mchanged: [localhost]\u{1b}[0m".to_owned());
                lines.push(String::new());
                lines.push(banner("PLAY RECAP"));
                lines.push(
                    "\u{1b}[0;33mlocalhost\u{1b}[0m                  : \u{1b}[0;32mok=2   \u{1b}[0m \u{1b}[0;33mchanged=1   \u{1b}[0m unreachable=0    failed=0    skipped=0    rescued=0    ignored=0"
                        .to_owned(),
                );
            }
            "failed" => {
                let message = json!({"changed": false, "msg": self.failure});
                lines.push(format!(
                    "\u{1b}[0;31mfatal: [localhost]: FAILED! => {message}\u{1b}[0m"
                ));
                lines.push(String::new());
                lines.push(banner("PLAY RECAP"));
                lines.push(
                    "\u{1b}[0;31mlocalhost\u{1b}[0m                  : \u{1b}[0;32mok=1   \u{1b}[0m changed=0    unreachable=0    \u{1b}[0;31mfailed=1   \u{1b}[0m skipped=0    rescued=0    ignored=0"
                        .to_owned(),
                );
            }
            _ => {}
        }
        lines.push(String::new());
        lines.join("\n")
    }
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
    use super::*;

    #[test]
    fn ansi_escapes_are_stripped() {
        assert_eq!(
            strip_ansi("\u{1b}[0;32mok: [localhost]\u{1b}[0m done"),
            "ok: [localhost] done"
        );
    }
}
