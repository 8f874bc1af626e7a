//! The portal's session store: PostgreSQL, with the sessions this replica has
//! read kept in memory. Every page a signed-in person opens starts by loading
//! their session; from memory it costs no database round trip.
//!
//! A copy must never outlive a change made elsewhere (a back-channel logout
//! handled by another replica must end the session everywhere at once). A
//! trigger announces every change to a session row on the
//! `portal_session_changed` channel; a listener task forgets the copies it
//! names. While the listener is not connected nothing is served from memory,
//! and when it reconnects everything kept is dropped, since announcements
//! made meanwhile were lost.

use std::{
    collections::HashMap,
    str::FromStr,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc, Mutex, PoisonError,
    },
    time::Duration,
};

use async_trait::async_trait;
use sqlx::postgres::{PgListener, PgPool};
use time::OffsetDateTime;
use tower_sessions::{
    session::{Id, Record},
    session_store, SessionStore,
};
use tower_sessions_sqlx_store::PostgresStore;

/// The channel the `session_changed` trigger announces on.
const CHANNEL: &str = "portal_session_changed";
/// Beyond this many sessions in memory the copies are dropped and read again.
const CAPACITY: usize = 100_000;
/// How long to wait before listening again after the connection was lost.
const RECONNECT_AFTER: Duration = Duration::from_secs(1);

#[derive(Debug, Clone)]
pub(crate) struct CachedSessionStore {
    database: PostgresStore,
    memory: Arc<Memory>,
}

#[derive(Debug, Default)]
struct Memory {
    records: Mutex<HashMap<Id, Record>>,
    /// Whether announcements are being received: copies are used only then.
    listening: AtomicBool,
    /// Bumped by every announcement, so that a record read from the database
    /// while a change was announced is not kept (it may predate the change).
    changes: AtomicU64,
}

impl Memory {
    fn records(&self) -> std::sync::MutexGuard<'_, HashMap<Id, Record>> {
        // A panic while holding the lock leaves a plain map behind: still usable.
        self.records.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn forget(&self, id: &Id) {
        self.changes.fetch_add(1, Ordering::SeqCst);
        self.records().remove(id);
    }

    fn forget_all(&self) {
        self.changes.fetch_add(1, Ordering::SeqCst);
        self.records().clear();
    }
}

impl CachedSessionStore {
    /// The store, and the task that listens for changes (run it for as long
    /// as the store serves).
    pub(crate) fn new(pool: PgPool) -> (Self, impl std::future::Future<Output = ()> + Send + 'static) {
        let memory = Arc::new(Memory::default());
        let store = Self {
            database: PostgresStore::new(pool.clone()),
            memory: memory.clone(),
        };
        (store, listen_for_changes(pool, memory))
    }

    /// Forgets sessions this replica ended itself, without waiting for the
    /// announcement to come back.
    pub(crate) fn forget<'a>(&self, ids: impl IntoIterator<Item = &'a str>) {
        for id in ids {
            if let Ok(id) = Id::from_str(id) {
                self.memory.forget(&id);
            }
        }
    }
}

#[async_trait]
impl SessionStore for CachedSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        self.database.create(record).await
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.memory.forget(&record.id);
        self.database.save(record).await
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let memory = &self.memory;
        if memory.listening.load(Ordering::SeqCst) {
            let kept = memory.records().get(id).cloned();
            if let Some(record) = kept {
                if record.expiry_date > OffsetDateTime::now_utc() {
                    return Ok(Some(record));
                }
                memory.forget(id);
                return Ok(None);
            }
        }
        let changes_before = memory.changes.load(Ordering::SeqCst);
        let loaded = self.database.load(id).await?;
        if let Some(record) = &loaded {
            let unchanged = memory.changes.load(Ordering::SeqCst) == changes_before;
            if unchanged && memory.listening.load(Ordering::SeqCst) {
                let mut records = memory.records();
                if records.len() >= CAPACITY {
                    records.clear();
                }
                records.insert(*id, record.clone());
            }
        }
        Ok(loaded)
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.memory.forget(id);
        self.database.delete(id).await
    }
}

/// Receives the announcements for as long as the process runs, reconnecting
/// when the connection is lost.
async fn listen_for_changes(pool: PgPool, memory: Arc<Memory>) {
    loop {
        match listen(&pool, &memory).await {
            Ok(()) => tracing::warn!("the session change listener lost its connection"),
            Err(error) => tracing::warn!(%error, "cannot listen for session changes"),
        }
        memory.listening.store(false, Ordering::SeqCst);
        memory.forget_all();
        tokio::time::sleep(RECONNECT_AFTER).await;
    }
}

async fn listen(pool: &PgPool, memory: &Memory) -> Result<(), sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    // Anything kept before now may have changed while nobody listened.
    memory.forget_all();
    memory.listening.store(true, Ordering::SeqCst);
    // `try_recv` answers `None` when the connection is lost.
    while let Some(notice) = listener.try_recv().await? {
        match Id::from_str(notice.payload()) {
            Ok(id) => memory.forget(&id),
            Err(_) => memory.forget_all(),
        }
    }
    Ok(())
}
