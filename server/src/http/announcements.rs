//! Ids announced on a PostgreSQL channel (by whichever replica made the
//! change), fanned out to this replica's event streams; and the stream
//! itself: a first event, then a fresh one each time its id is announced,
//! at most one per `gap`, the reader's access checked again at each.

use std::{convert::Infallible, future::Future, time::Duration};

use axum::response::{
    sse::{Event, KeepAlive, Sse},
    IntoResponse, Response,
};
use sqlx::postgres::{PgListener, PgPool};
use tokio::sync::broadcast;
use uuid::Uuid;

#[derive(Clone)]
pub(crate) struct Announcements {
    changes: broadcast::Sender<Uuid>,
}

impl Announcements {
    /// The fan-out, and the task that feeds it from `channel`; `read`
    /// turns a payload into its id, `heard` runs on each before it is sent
    /// on (to forget what the change made stale).
    pub(crate) fn new(
        pool: PgPool,
        channel: &'static str,
        read: fn(&str) -> Option<Uuid>,
        heard: impl Fn(Uuid) + Send + Sync + 'static,
    ) -> (Self, impl Future<Output = ()> + Send + 'static) {
        let (changes, _) = broadcast::channel(4096);
        let hub = Self { changes };
        let sender = hub.changes.clone();
        let relay = async move {
            loop {
                if let Err(error) = relay_until_error(&pool, channel, read, &heard, &sender).await {
                    tracing::warn!(%error, channel, "announcements not relayed; listening again in a second");
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        };
        (hub, relay)
    }

    /// What is announced from now on: taken before a stream's first
    /// read, so that a change made in between is not missed.
    pub(crate) fn listen(&self) -> broadcast::Receiver<Uuid> {
        self.changes.subscribe()
    }

    /// An event stream: `first`, then `next()` after each announcement of
    /// `id` heard on `changes` (or after falling behind), no closer than
    /// `gap` to the last one; it ends when `next` answers `None` (access
    /// lost).
    pub(crate) fn stream<F, Fut>(
        changes: broadcast::Receiver<Uuid>,
        id: Uuid,
        first: Event,
        gap: Duration,
        next: F,
    ) -> Response
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Option<Event>> + Send + 'static,
    {
        let stream = futures_util::stream::unfold(
            (Some(first), changes, next),
            move |(pending, mut changes, next)| async move {
                if let Some(event) = pending {
                    return Some((Ok::<_, Infallible>(event), (None, changes, next)));
                }
                if !gap.is_zero() {
                    tokio::time::sleep(gap).await;
                }
                loop {
                    match changes.recv().await {
                        Ok(changed) if changed != id => continue,
                        // Fell behind: read afresh, as for a change.
                        Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => break,
                        Err(broadcast::error::RecvError::Closed) => return None,
                    }
                }
                // Announcements heard during the gap are answered by this read.
                while let Ok(_) | Err(broadcast::error::TryRecvError::Lagged(_)) = changes.try_recv() {}
                let event = next().await?;
                Some((Ok(event), (None, changes, next)))
            },
        );
        Sse::new(stream).keep_alive(KeepAlive::default()).into_response()
    }
}

async fn relay_until_error(
    pool: &PgPool,
    channel: &str,
    read: fn(&str) -> Option<Uuid>,
    heard: &impl Fn(Uuid),
    sender: &broadcast::Sender<Uuid>,
) -> Result<(), sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(channel).await?;
    loop {
        let notification = listener.recv().await?;
        if let Some(id) = read(notification.payload()) {
            heard(id);
            // Nobody listening is fine.
            let _ = sender.send(id);
        }
    }
}
