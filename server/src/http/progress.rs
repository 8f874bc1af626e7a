//! Live provisioning progress by server-sent events. The subscription card
//! listens at `/orgs/{slug}/subscriptions/{id}/progress`; every job change
//! announced on PostgreSQL's `job_progress` channel (by whichever replica's
//! worker made it) reaches the listeners of its subscription on every
//! replica. Without JavaScript, a reload shows the same state.

use std::{future::Future, time::Duration};

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{sse::Event, IntoResponse, Response},
    routing::get,
    Router,
};
use control::{domain::Refusal, jobs::PROGRESS_CHANNEL, Caller, Control};
use http::request::Parts;
use uuid::Uuid;

use super::{announcements::Announcements, AppState};

/// Subscriptions whose job just changed, fanned out to this replica's listeners.
#[derive(Clone)]
pub(crate) struct ProgressHub(Announcements);

impl ProgressHub {
    /// The hub, and the task that feeds it from the database's announcements.
    pub(crate) fn new(control: &Control) -> (Self, impl Future<Output = ()> + Send + 'static) {
        let forget = control.clone();
        let (announcements, relay) = Announcements::new(
            control.db().pool().clone(),
            PROGRESS_CHANNEL,
            |payload| {
                serde_json::from_str::<serde_json::Value>(payload)
                    .ok()
                    .and_then(|payload| payload["subscription"].as_str().and_then(|id| id.parse().ok()))
            },
            // Pages reloaded on this event must not be served from an older copy.
            move |subscription| forget.forget_subscription_page(subscription),
        );
        (Self(announcements), relay)
    }
}

pub(super) fn routes() -> Router<AppState> {
    Router::new().route(app::routes::pattern::PROGRESS, get(events))
}

async fn events(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    parts: Parts,
) -> Response {
    let Some(caller) = app::api::caller_of(&parts) else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let Ok(subscription) = id.parse::<Uuid>() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let changes = state.progress.0.listen();
    let first = match progress_event(&state.control, &caller, &slug, subscription).await {
        Ok(event) => event,
        Err(status) => return status.into_response(),
    };
    let control = state.control.clone();
    Announcements::stream(changes, subscription, first, Duration::ZERO, move || {
        let (control, caller, slug) = (control.clone(), caller.clone(), slug.clone());
        // Access is checked again at every event: a member removed meanwhile stops hearing.
        async move { progress_event(&control, &caller, &slug, subscription).await.ok() }
    })
}

/// The subscription's progress as one event (`null` when no job is under way).
async fn progress_event(
    control: &Control,
    caller: &Caller,
    slug: &str,
    subscription: Uuid,
) -> Result<Event, StatusCode> {
    match control.subscription_progress(caller, slug, subscription).await {
        Ok(Ok(progress)) => Event::default()
            .event("progress")
            .json_data(progress)
            .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR),
        Ok(Err(Refusal::Forbidden)) => Err(StatusCode::FORBIDDEN),
        Ok(Err(_)) => Err(StatusCode::NOT_FOUND),
        Err(error) => {
            tracing::error!(%error, "cannot read a subscription's progress");
            Err(StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}
