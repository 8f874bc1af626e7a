//! Ids announced on PostgreSQL channels (by whichever replica made the
//! change), fanned out to this replica's event streams; and the stream
//! itself: a first event, then a fresh one each time its id is announced,
//! at most one per `gap`, the reader's access checked again at each.

use std::{collections::HashMap, convert::Infallible, future::Future, sync::Arc, time::Duration};

use axum::response::{
    sse::{Event, KeepAlive, Sse},
    IntoResponse, Response,
};
use sqlx::postgres::{PgListener, PgPool};
use tokio::sync::broadcast;
use uuid::Uuid;

/// One channel's reading: `read` turns a payload into its id, `heard`
/// runs on each before it is sent on (to forget what the change made stale).
pub(crate) struct Channel {
    pub name: &'static str,
    pub read: fn(&str) -> Option<Uuid>,
    pub heard: Box<dyn Fn(Uuid) + Send + Sync>,
}

/// Every channel's fan-out, fed by one listening connection.
#[derive(Clone)]
pub(crate) struct Announcements {
    senders: Arc<HashMap<&'static str, broadcast::Sender<Uuid>>>,
}

impl Announcements {
    /// The fan-outs of `channels`, and the task that feeds them.
    pub(crate) fn new(
        pool: PgPool,
        channels: Vec<Channel>,
    ) -> (Self, impl Future<Output = ()> + Send + 'static) {
        let senders: HashMap<&'static str, broadcast::Sender<Uuid>> = channels
            .iter()
            .map(|channel| (channel.name, broadcast::channel(4096).0))
            .collect();
        let hub = Self {
            senders: Arc::new(senders),
        };
        let feeder = hub.clone();
        let relay = async move {
            loop {
                if let Err(error) = feeder.relay_until_error(&pool, &channels).await {
                    tracing::warn!(%error, "announcements not relayed; listening again in a second");
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        };
        (hub, relay)
    }

    async fn relay_until_error(&self, pool: &PgPool, channels: &[Channel]) -> Result<(), sqlx::Error> {
        let mut listener = PgListener::connect_with(pool).await?;
        listener
            .listen_all(channels.iter().map(|channel| channel.name))
            .await?;
        loop {
            let notification = listener.recv().await?;
            let Some(channel) = channels
                .iter()
                .find(|channel| channel.name == notification.channel())
            else {
                continue;
            };
            if let Some(id) = (channel.read)(notification.payload()) {
                (channel.heard)(id);
                if let Some(sender) = self.senders.get(channel.name) {
                    // Nobody listening is fine.
                    let _ = sender.send(id);
                }
            }
        }
    }

    /// What `channel` announces from now on: taken before a stream's
    /// first read, so that a change made in between is not missed. An
    /// unknown channel announces nothing.
    pub(crate) fn listen(&self, channel: &str) -> broadcast::Receiver<Uuid> {
        match self.senders.get(channel) {
            Some(sender) => sender.subscribe(),
            None => broadcast::channel(1).1,
        }
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
