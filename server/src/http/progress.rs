//! Live provisioning progress by server-sent events. The subscription card
//! listens at `/orgs/{slug}/subscriptions/{id}/progress`; every job change
//! announced on PostgreSQL's `job_progress` channel (by whichever replica's
//! worker made it) reaches the listeners of its subscription on every
//! replica. Without JavaScript, a reload shows the same state.

use std::time::Duration;

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

use super::{
    announcements::{Announcements, Channel},
    AppState,
};

/// Subscriptions whose job just changed (by whichever replica's worker).
pub(crate) fn channel(control: &Control) -> Channel {
    let forget = control.clone();
    Channel {
        name: PROGRESS_CHANNEL,
        read: |payload| {
            serde_json::from_str::<serde_json::Value>(payload)
                .ok()
                .and_then(|payload| payload["subscription"].as_str().and_then(|id| id.parse().ok()))
        },
        // Pages reloaded on this event must not be served from an older copy.
        heard: Box::new(move |subscription| forget.forget_subscription_page(subscription)),
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
    let changes = state.announcements.listen(PROGRESS_CHANNEL);
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
