//! `--wait`: follows a subscription's job through the API's event stream
//! (`…/progress/events`), drawing a bar on a terminal (a line per change
//! otherwise), until the subscription is settled: active (success), or its
//! job failed or was cancelled (failure, the command exits non-zero).

use std::io::{IsTerminal, Write};

use serde_json::Value;

use crate::{api::Api, texts::Lang, Failure};

/// What one `progress` event says of the wait.
#[derive(Debug, PartialEq, Eq)]
enum Reading {
    Going,
    Done,
    Failed(String),
}

fn reading(progress: &Value) -> Reading {
    let state = progress["state"].as_str().unwrap_or_default();
    let job = &progress["job"];
    let job_state = job["state"].as_str().unwrap_or_default();
    match (state, job_state) {
        (_, "failed" | "cancelled") => Reading::Failed(format!(
            "{} {job_state}{}",
            job["action"].as_str().unwrap_or("job"),
            job["blocked_on"]
                .as_str()
                .map(|backend| format!(" ({backend})"))
                .unwrap_or_default()
        )),
        ("failed", _) => Reading::Failed(state.to_owned()),
        ("active" | "suspended" | "closed", "") => Reading::Done,
        _ => Reading::Going,
    }
}

fn line(progress: &Value, lang: Lang) -> String {
    let state = progress["state"].as_str().unwrap_or_default();
    let job = &progress["job"];
    let percent = job["percent"]
        .as_u64()
        .unwrap_or(if job.is_null() { 100 } else { 0 });
    let step = job["steps"]
        .as_array()
        .and_then(|steps| steps.iter().find(|step| step["done"] == false))
        .and_then(|step| step["name"].as_str())
        .unwrap_or("");
    if state == "awaiting_approval" {
        return lang
            .pick(
                "waiting for Bibind's approval",
                "en attente de l'accord de Bibind",
            )
            .to_owned();
    }
    let filled = usize::try_from(percent / 5).unwrap_or(20).min(20);
    format!(
        "[{}{}] {percent:>3}% {state} {step}",
        "#".repeat(filled),
        "-".repeat(20 - filled)
    )
}

/// Follows `path`'s events until the subscription settles; its last progress.
pub async fn follow(api: &Api, path: &str, lang: Lang) -> Result<Value, Failure> {
    let mut response = api.open(path, "text/event-stream").await?;
    let terminal = std::io::stderr().is_terminal();
    let mut pending = String::new();
    let mut last = String::new();
    loop {
        let chunk = response
            .chunk()
            .await
            .map_err(|e| Failure::Http(e.to_string()))?
            .ok_or_else(|| {
                Failure::Http(
                    lang.pick("the event stream ended", "le flux d'événements s'est arrêté")
                        .to_owned(),
                )
            })?;
        pending.push_str(&String::from_utf8_lossy(&chunk).replace("\r\n", "\n"));
        while let Some(end) = pending.find("\n\n") {
            let event: String = pending.drain(..end + 2).collect();
            let Some(progress) = progress_data(&event) else {
                continue;
            };
            let shown = line(&progress, lang);
            if shown != last {
                if terminal {
                    eprint!("\r\x1b[2K{shown}");
                } else {
                    eprintln!("{shown}");
                }
                let _ = std::io::stderr().flush();
                last = shown;
            }
            match reading(&progress) {
                Reading::Going => {}
                Reading::Done => {
                    if terminal {
                        eprintln!();
                    }
                    return Ok(progress);
                }
                Reading::Failed(why) => {
                    if terminal {
                        eprintln!();
                    }
                    return Err(Failure::Job(why));
                }
            }
        }
    }
}

/// The data of a `progress` event (`event: progress` + `data:` lines).
fn progress_data(event: &str) -> Option<Value> {
    let mut name = "message";
    let mut data = String::new();
    for field in event.lines() {
        if let Some(value) = field.strip_prefix("event:") {
            name = value.trim();
        } else if let Some(value) = field.strip_prefix("data:") {
            data.push_str(value.strip_prefix(' ').unwrap_or(value));
        }
    }
    (name == "progress")
        .then(|| serde_json::from_str(&data).ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn events_are_read_and_judged() {
        let event = "event: progress\ndata: {\"state\":\"active\",\"job\":null}\n\n";
        let progress = progress_data(event);
        assert_eq!(progress, Some(json!({"state": "active", "job": null})));
        assert_eq!(progress_data(": keep-alive\n\n"), None);
        assert_eq!(reading(&json!({"state": "active", "job": null})), Reading::Done);
        assert_eq!(
            reading(&json!({"state": "provisioning", "job": {"state": "running", "action": "provision"}})),
            Reading::Going
        );
        assert_eq!(
            reading(
                &json!({"state": "provisioning", "job": {"state": "failed", "action": "provision", "blocked_on": "odoo"}})
            ),
            Reading::Failed("provision failed (odoo)".to_owned())
        );
    }

    #[test]
    fn the_bar_shows_the_steps_done() {
        let progress = json!({"state": "provisioning", "job": {"percent": 50, "steps": [{"name": "begin", "done": true}, {"name": "kube_namespace", "done": false}]}});
        assert_eq!(
            line(&progress, Lang::En),
            "[##########----------]  50% provisioning kube_namespace"
        );
    }
}
