//! A subscription's provisioning job, as its card in the portal shows it:
//! `GET …/progress` reads it once, `GET …/progress/events` follows it
//! (server-sent events, one `progress` event now and one after each change
//! of its job, announced by whichever replica's worker made it).

use std::time::Duration;

use axum::{
    extract::{Path, State},
    response::{sse::Event, Response},
    Json,
};
use control::{
    domain::{ProvisioningProgress, Refusal, SubscriptionProgress},
    jobs::PROGRESS_CHANNEL,
    Control,
};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{
    auth::ApiCaller,
    problem::{Problem, ProblemDetail},
    Answer,
};
use crate::http::{announcements::Announcements, AppState};

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_progress))
        .routes(routes!(progress_events))
}

/// A subscription's state and the job under way, if any.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Progress {
    /// The subscription's state (`provisioning`, `active`, `failed`, …).
    #[schema(example = "provisioning")]
    state: String,
    /// Its latest job unless that one succeeded: `null` once all is done.
    job: Option<Job>,
}

/// One server-sent event of the stream.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct ProgressEvent {
    /// Always `progress`.
    #[schema(example = "progress", pattern = "^progress$")]
    event: String,
    /// A `Progress`, as JSON.
    #[schema(
        example = "{\"state\":\"provisioning\",\"job\":null}",
        content_media_type = "application/json"
    )]
    data: String,
}

/// A provisioning job and its steps.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Job {
    id: String,
    /// `provision`, `suspend`, `resume`, `close`, `sync_members`, …
    #[schema(example = "provision")]
    action: String,
    /// `queued`, `running`, `waiting` (retried after a failed attempt),
    /// `failed`, `cancelled`.
    #[schema(example = "running")]
    state: String,
    /// Steps done, out of 100.
    percent: u32,
    steps: Vec<JobStep>,
    /// The system the current step waits for, after a failed attempt.
    #[schema(example = "odoo")]
    blocked_on: Option<String>,
}

/// One step of a job.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct JobStep {
    #[schema(example = "kube_namespace")]
    name: String,
    done: bool,
}

impl From<SubscriptionProgress> for Progress {
    fn from(progress: SubscriptionProgress) -> Self {
        Self {
            state: progress.state.as_str().to_owned(),
            job: progress.progress.map(Job::from),
        }
    }
}

impl From<ProvisioningProgress> for Job {
    fn from(progress: ProvisioningProgress) -> Self {
        Self {
            percent: progress.percent(),
            id: progress.job_id,
            action: progress.action.code().to_owned(),
            state: progress.state.as_str().to_owned(),
            steps: progress
                .steps
                .iter()
                .map(|step| JobStep {
                    name: step.step.name().to_owned(),
                    done: step.done,
                })
                .collect(),
            blocked_on: progress.blocked_on.map(|backend| backend.code().to_owned()),
        }
    }
}

async fn read(control: &Control, api: &ApiCaller, slug: &str, id: &str) -> Answer<Progress> {
    let subscription = Uuid::parse_str(id).map_err(|_| api.refused(&Refusal::NotFound))?;
    let progress = api.settle(
        control
            .subscription_progress(&api.caller, slug, subscription)
            .await,
    )?;
    Ok(Progress::from(progress))
}

/// The subscription's state and its job's steps.
#[utoipa::path(
    get,
    path = "/organizations/{slug}/subscriptions/{id}/progress",
    tag = "subscriptions",
    params(
        ("slug" = String, Path, description = "The organization's slug"),
        ("id" = String, Path, description = "The subscription's id"),
    ),
    responses(
        (status = 200, description = "Its state and job", body = Progress),
        (status = 401, description = "No valid token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 403, description = "Not the token's scope", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or not the caller's", body = ProblemDetail, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["subscriptions:read"]))
)]
async fn get_progress(
    State(state): State<AppState>,
    api: ApiCaller,
    Path((slug, id)): Path<(String, String)>,
) -> Answer<Json<Progress>> {
    read(&state.control, &api, &slug, &id).await.map(Json)
}

/// Follows the subscription's job: a `progress` event (the body of
/// `GET …/progress`) now and after each change, until the caller leaves
/// (or loses access).
#[utoipa::path(
    get,
    path = "/organizations/{slug}/subscriptions/{id}/progress/events",
    tag = "subscriptions",
    params(
        ("slug" = String, Path, description = "The organization's slug"),
        ("id" = String, Path, description = "The subscription's id"),
    ),
    responses(
        (status = 200, description = "Server-sent events named `progress`, each's data a `Progress` as JSON", content_type = "text/event-stream", body = ProgressEvent),
        (status = 401, description = "No valid token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 403, description = "Not the token's scope", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or not the caller's", body = ProblemDetail, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["subscriptions:read"]))
)]
async fn progress_events(
    State(state): State<AppState>,
    api: ApiCaller,
    Path((slug, id)): Path<(String, String)>,
) -> Answer<Response> {
    // Listening begins before the first read: no change falls in between.
    let changes = state.announcements.listen(PROGRESS_CHANNEL);
    let first = event(read(&state.control, &api, &slug, &id).await?)?;
    let subscription = Uuid::parse_str(&id).map_err(|_| api.refused(&Refusal::NotFound))?;
    let control = state.control.clone();
    Ok(Announcements::stream(
        changes,
        subscription,
        first,
        Duration::ZERO,
        move || {
            let (control, api, slug, id) = (control.clone(), api.clone(), slug.clone(), id.clone());
            // The token and access are checked again at each event: a revoked
            // client, or one whose organization left, stops hearing.
            async move {
                let api = api.again(&control).await?;
                event(read(&control, &api, &slug, &id).await.ok()?).ok()
            }
        },
    ))
}

fn event(progress: Progress) -> Answer<Event> {
    Event::default()
        .event("progress")
        .json_data(progress)
        .map_err(|error| Problem::internal(&error))
}
