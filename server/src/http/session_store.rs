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

use std::str::FromStr;

use async_trait::async_trait;
use control::infra::change_cache::{ChangeCache, ChangeListener};
use sqlx::postgres::PgPool;
use time::OffsetDateTime;
use tower_sessions::{
    session::{Id, Record},
    session_store, SessionStore,
};
use tower_sessions_sqlx_store::PostgresStore;

/// The channel the `session_changed` trigger announces on.
const CHANNEL: &str = "portal_session_changed";
/// Sessions kept in memory at most, the least recently used forgotten
/// first (ARCHITECTURE.md, "Memory").
const CAPACITY: usize = 50_000;
/// How far a saved session's idle expiry may move and the save still count
/// as unchanged (the same request saving twice).
const UNCHANGED_EXPIRY: time::Duration = time::Duration::seconds(5);

#[derive(Debug, Clone)]
pub(crate) struct CachedSessionStore {
    database: PostgresStore,
    pool: PgPool,
    memory: ChangeCache<Id, Record>,
}

impl CachedSessionStore {
    pub(crate) fn new(pool: PgPool) -> Self {
        Self {
            database: PostgresStore::new(pool.clone()),
            pool,
            memory: ChangeCache::new(CAPACITY),
        }
    }

    /// `listener`, also keeping this store's copies true to changes made
    /// elsewhere (run it for as long as the store serves).
    pub(crate) fn listened_by(&self, listener: ChangeListener) -> ChangeListener {
        listener.with(self.memory.clone(), CHANNEL, |payload| Id::from_str(payload).ok())
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
    /// One statement rather than the sqlx store's three (a transaction that
    /// checks the id is free, then writes): a sign-in creates two sessions,
    /// each round trip on its path. The row is written as the sqlx store
    /// writes it (MessagePack of the record), which then reads and saves it.
    ///
    /// The new row is kept in memory as written: an insert is not a change
    /// any copy could predate (the trigger announces updates and deletes
    /// only), so the request that follows (the sign-in's callback, the first
    /// page after it) reads it without a round trip.
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let reading = self.memory.reading();
        loop {
            let data =
                rmp_serde::to_vec(&*record).map_err(|e| session_store::Error::Encode(e.to_string()))?;
            let written = sqlx::query(
                r#"INSERT INTO "tower_sessions"."session" (id, data, expiry_date) VALUES ($1, $2, $3)
                   ON CONFLICT (id) DO NOTHING"#,
            )
            .bind(record.id.to_string())
            .bind(data)
            .bind(record.expiry_date)
            .execute(&self.pool)
            .await
            .map_err(|e| session_store::Error::Backend(e.to_string()))?;
            if written.rows_affected() == 1 {
                self.memory.keep(reading, record.id, record.clone());
                return Ok(());
            }
            // Taken (vanishingly rare with 128 random bits): another id.
            record.id = Id::default();
        }
    }

    /// A save of what the row already holds is skipped: the sign-in saves
    /// its new session to learn its id, and the session layer saves it again
    /// as the response leaves (only the idle expiry moved, by milliseconds).
    /// The kept copy is what the row holds: a change elsewhere would have
    /// been announced and forgotten it.
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        if let Some(kept) = self.memory.get(&record.id) {
            let moved = (record.expiry_date - kept.expiry_date).abs();
            if kept.data == record.data && moved < UNCHANGED_EXPIRY {
                return Ok(());
            }
        }
        self.memory.forget(&record.id);
        self.database.save(record).await
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        if let Some(record) = self.memory.get(id) {
            if record.expiry_date > OffsetDateTime::now_utc() {
                return Ok(Some(record));
            }
            self.memory.forget(id);
            return Ok(None);
        }
        let reading = self.memory.reading();
        let loaded = self.database.load(id).await?;
        if let Some(record) = &loaded {
            self.memory.keep(reading, *id, record.clone());
        }
        Ok(loaded)
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.memory.forget(id);
        self.database.delete(id).await
    }
}
