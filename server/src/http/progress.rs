//! Live provisioning progress by server-sent events. The subscription card
//! listens at `/orgs/{slug}/subscriptions/{id}/progress`; every job change
//! announced on PostgreSQL's `job_progress` channel (by whichever replica's
//! worker made it) reaches the listeners of its subscription on every
//! replica. Without JavaScript, a reload shows the same state.

use std::{convert::Infallible, future::Future, time::Duration};

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{
        sse::{Event, KeepAlive, Sse},
        IntoResponse, Response,
    },
    routing::get,
    Router,
};
use control::{domain::Refusal, jobs::PROGRESS_CHANNEL, Caller, Control};
use http::request::Parts;
use sqlx::postgres::{PgListener, PgPool};
use tokio::sync::broadcast;
use uuid::Uuid;

use super::AppState;

/// Subscriptions whose job just changed, fanned out to this replica's listeners.
#[derive(Clone)]
pub(crate) struct ProgressHub {
    changes: broadcast::Sender<Uuid>,
    control: Control,
}

impl ProgressHub {
    /// The hub, and the task that feeds it from the database's announcements.
    pub(crate) fn new(control: &Control) -> (Self, impl Future<Output = ()> + Send + 'static) {
        let (changes, _) = broadcast::channel(1024);
        let hub = Self {
            changes,
            control: control.clone(),
        };
        let feeder = hub.clone();
        let pool = control.db().pool().clone();
        (hub, async move { feeder.relay(pool).await })
    }

    async fn relay(self, pool: PgPool) {
        loop {
            if let Err(error) = self.relay_until_error(&pool).await {
                tracing::warn!(%error, "job announcements not relayed; listening again in a second");
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    async fn relay_until_error(&self, pool: &PgPool) -> Result<(), sqlx::Error> {
        let mut listener = PgListener::connect_with(pool).await?;
        listener.listen(PROGRESS_CHANNEL).await?;
        loop {
            let notification = listener.recv().await?;
            let subscription = serde_json::from_str::<serde_json::Value>(notification.payload())
                .ok()
                .and_then(|payload| payload["subscription"].as_str().and_then(|id| id.parse().ok()));
            if let Some(subscription) = subscription {
                // Pages reloaded on this event must not be served from an older copy.
                self.control.forget_subscription_page(subscription);
                // Nobody listening is fine.
                let _ = self.changes.send(subscription);
            }
        }
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
    // Subscribed before the first read: a change made in between is not missed.
    let changes = state.progress.changes.subscribe();
    let first = match progress_event(&state.control, &caller, &slug, subscription).await {
        Ok(event) => event,
        Err(status) => return status.into_response(),
    };
    let stream = futures_util::stream::unfold(
        (
            Some(first),
            changes,
            state.control.clone(),
            caller,
            slug,
            subscription,
        ),
        |(pending, mut changes, control, caller, slug, subscription)| async move {
            if let Some(event) = pending {
                return Some((
                    Ok::<_, Infallible>(event),
                    (None, changes, control, caller, slug, subscription),
                ));
            }
            loop {
                match changes.recv().await {
                    Ok(changed) if changed != subscription => continue,
                    // Fell behind: read the state afresh, as for a change.
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
                // Access is checked again at every event: a member removed meanwhile stops hearing.
                let event = progress_event(&control, &caller, &slug, subscription)
                    .await
                    .ok()?;
                return Some((Ok(event), (None, changes, control, caller, slug, subscription)));
            }
        },
    );
    Sse::new(stream).keep_alive(KeepAlive::default()).into_response()
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
