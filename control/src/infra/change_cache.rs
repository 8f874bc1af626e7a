//! Copies of database rows kept in memory, each forgotten as soon as a
//! change to it is announced on a PostgreSQL channel, by whichever replica
//! made it. Serves the portal's sessions, its organization pages and its
//! API clients, whose announcements share one connection ([`ChangeListener`]).
//!
//! A copy must never outlive a change: while the listener is not
//! connected nothing is served from memory, when it reconnects everything
//! kept is dropped (announcements made meanwhile were lost), and a value
//! read from the database while a change to it was announced is not kept (it
//! may predate the change). Which keys the last [`RECENT`] forgettings named
//! is remembered for that; a read that overlapped more of them, or one that
//! forgot many copies at once, is not kept whatever its key.
//!
//! Memory is bounded: a cache keeps at most its `capacity` copies, and
//! keeping one more forgets the least recently used (read or kept) first.
//! A forgotten copy costs one database read when it is asked for again.

use std::{
    borrow::Borrow,
    collections::VecDeque,
    hash::Hash,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    time::Duration,
};

use hashlink::LinkedHashMap;
use sqlx::postgres::{PgListener, PgPool};

/// How long to wait before listening again after the connection was lost.
const RECONNECT_AFTER: Duration = Duration::from_secs(1);

/// The payload that asks every replica to forget everything.
pub const FORGET_ALL: &str = "*";

/// How many forgettings a cache remembers the keys of: a read overlapped
/// by fewer (the common case, under load too) is kept unless one named
/// its key.
const RECENT: usize = 64;

pub struct ChangeCache<K, V> {
    state: Arc<Mutex<State<K, V>>>,
    capacity: usize,
}

impl<K, V> Clone for ChangeCache<K, V> {
    fn clone(&self) -> Self {
        Self {
            state: self.state.clone(),
            capacity: self.capacity,
        }
    }
}

impl<K, V> std::fmt::Debug for ChangeCache<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChangeCache")
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

struct State<K, V> {
    /// Least recently used first.
    entries: LinkedHashMap<K, V>,
    /// Whether announcements are being received: copies are used only then.
    listening: bool,
    /// Bumped by every forgetting, so that a read that overlapped one of
    /// its key is not kept.
    changes: u64,
    /// What the last forgettings (at most [`RECENT`]) named, oldest first.
    recent: VecDeque<Forgotten<K>>,
}

/// What one forgetting named.
enum Forgotten<K> {
    One(K),
    /// Several copies, or all of them.
    Many,
}

impl<K: Eq, V> State<K, V> {
    /// Counts one forgetting, remembering what it named.
    fn forgot(&mut self, what: Forgotten<K>) {
        self.changes += 1;
        if self.recent.len() == RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back(what);
    }

    /// Whether a forgetting since `reading` may concern `key`.
    fn changed_since(&self, reading: Reading, key: &K) -> bool {
        let since = self.changes.wrapping_sub(reading.0);
        let Ok(since) = usize::try_from(since) else {
            return true;
        };
        since > self.recent.len()
            || self
                .recent
                .iter()
                .rev()
                .take(since)
                .any(|forgotten| match forgotten {
                    Forgotten::One(named) => named == key,
                    Forgotten::Many => true,
                })
    }
}

/// When a read from the database began, as [`ChangeCache::keep`] needs it.
#[derive(Clone, Copy, Debug)]
pub struct Reading(u64);

impl<K: Eq + Hash + Clone, V: Clone> ChangeCache<K, V> {
    /// A cache of at most `capacity` copies (at least one), the least
    /// recently used forgotten first.
    pub fn new(capacity: usize) -> Self {
        Self {
            state: Arc::new(Mutex::new(State {
                entries: LinkedHashMap::new(),
                listening: false,
                changes: 0,
                recent: VecDeque::with_capacity(RECENT),
            })),
            capacity: capacity.max(1),
        }
    }

    fn state(&self) -> MutexGuard<'_, State<K, V>> {
        // A panic while holding the lock leaves a plain map behind: still usable.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The copy of `key`, if one is kept and may be trusted; it becomes
    /// the most recently used.
    pub fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        let mut state = self.state();
        if !state.listening {
            return None;
        }
        state.entries.to_back(key).cloned()
    }

    /// How many copies are kept.
    pub fn len(&self) -> usize {
        self.state().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Call before reading what [`keep`](Self::keep) will be given.
    pub fn reading(&self) -> Reading {
        Reading(self.state().changes)
    }

    /// Keeps `value`, read from the database since `reading`, unless a
    /// change to it was announced meanwhile or nobody listens; when the
    /// cache is full, the least recently used copy makes room.
    pub fn keep(&self, reading: Reading, key: K, value: V) {
        let capacity = self.capacity;
        let mut state = self.state();
        if !state.listening || state.changed_since(reading, &key) {
            return;
        }
        state.entries.insert(key, value);
        while state.entries.len() > capacity {
            state.entries.pop_front();
        }
    }

    pub fn forget(&self, key: &K) {
        let mut state = self.state();
        state.forgot(Forgotten::One(key.clone()));
        state.entries.remove(key);
    }

    /// Forgets every copy `matches` picks.
    pub fn forget_where(&self, matches: impl Fn(&K, &V) -> bool) {
        let mut state = self.state();
        state.forgot(Forgotten::Many);
        state.entries.retain(|key, value| !matches(key, value));
    }

    pub fn forget_all(&self) {
        let mut state = self.state();
        state.forgot(Forgotten::Many);
        state.entries.clear();
    }

    fn set_listening(&self, listening: bool) {
        let mut state = self.state();
        state.forgot(Forgotten::Many);
        state.entries.clear();
        state.listening = listening;
    }
}

/// One cache's side of a listener: what its channel's payloads forget.
struct Subscriber {
    channel: &'static str,
    /// A payload; forgets what it names (everything when it names nothing known).
    forget: Box<dyn Fn(&str) + Send + Sync>,
    set_listening: Box<dyn Fn(bool) + Send + Sync>,
}

/// The announcements of several caches over one database connection (each
/// cache on its own channel): a replica holds one listening connection for
/// all of them rather than one each.
#[derive(Default)]
pub struct ChangeListener {
    subscribers: Vec<Subscriber>,
}

impl ChangeListener {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `cache`, forgetting what `parse` reads in the payloads of
    /// `channel`; a payload it does not understand (or [`FORGET_ALL`])
    /// forgets everything.
    pub fn with<K, V>(
        mut self,
        cache: ChangeCache<K, V>,
        channel: &'static str,
        parse: fn(&str) -> Option<K>,
    ) -> Self
    where
        K: Eq + Hash + Clone + Send + 'static,
        V: Clone + Send + 'static,
    {
        let listening = cache.clone();
        self.subscribers.push(Subscriber {
            channel,
            forget: Box::new(move |payload| match parse(payload) {
                Some(key) => cache.forget(&key),
                None => cache.forget_all(),
            }),
            set_listening: Box::new(move |on| listening.set_listening(on)),
        });
        self
    }

    /// Receives the announcements for as long as the process runs,
    /// reconnecting when the connection is lost.
    pub async fn listen(self, pool: PgPool) {
        let channels: Vec<&str> = self.subscribers.iter().map(|s| s.channel).collect();
        loop {
            match self.listen_once(&pool, &channels).await {
                Ok(()) => tracing::warn!(?channels, "a change listener lost its connection"),
                Err(error) => tracing::warn!(?channels, %error, "cannot listen for changes"),
            }
            for subscriber in &self.subscribers {
                (subscriber.set_listening)(false);
            }
            tokio::time::sleep(RECONNECT_AFTER).await;
        }
    }

    async fn listen_once(&self, pool: &PgPool, channels: &[&str]) -> Result<(), sqlx::Error> {
        let mut listener = PgListener::connect_with(pool).await?;
        listener.listen_all(channels.iter().copied()).await?;
        // Anything kept before now may have changed while nobody listened.
        for subscriber in &self.subscribers {
            (subscriber.set_listening)(true);
        }
        // `try_recv` answers `None` when the connection is lost.
        while let Some(notice) = listener.try_recv().await? {
            for subscriber in &self.subscribers {
                if subscriber.channel == notice.channel() {
                    (subscriber.forget)(notice.payload());
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listening() -> ChangeCache<u32, &'static str> {
        let cache = ChangeCache::new(2);
        cache.set_listening(true);
        cache
    }

    #[test]
    fn nothing_is_kept_or_served_while_nobody_listens() {
        let cache = ChangeCache::new(10);
        let reading = cache.reading();
        cache.keep(reading, 1, "one");
        assert_eq!(cache.get(&1), None);
        cache.set_listening(true);
        let reading = cache.reading();
        cache.keep(reading, 1, "one");
        assert_eq!(cache.get(&1), Some("one"));
        cache.set_listening(false);
        assert_eq!(cache.get(&1), None);
    }

    #[test]
    fn a_read_that_overlapped_a_change_to_it_is_not_kept() {
        let cache = listening();
        let reading = cache.reading();
        cache.forget(&1);
        cache.keep(reading, 1, "stale");
        assert_eq!(cache.get(&1), None);
    }

    #[test]
    fn a_read_overlapped_only_by_changes_to_others_is_kept() {
        let cache = listening();
        let reading = cache.reading();
        cache.forget(&7);
        cache.forget(&8);
        cache.keep(reading, 1, "fresh");
        assert_eq!(cache.get(&1), Some("fresh"));
    }

    #[test]
    fn a_read_overlapped_by_a_wide_forgetting_or_too_many_changes_is_not_kept() {
        let cache = listening();
        let reading = cache.reading();
        cache.forget(&7);
        cache.forget_where(|_, value| *value == "unrelated");
        cache.forget(&8);
        cache.keep(reading, 1, "maybe stale");
        assert_eq!(cache.get(&1), None);

        let reading = cache.reading();
        for key in 100..100 + u32::try_from(RECENT).unwrap_or(u32::MAX) {
            cache.forget(&key);
        }
        cache.keep(reading, 1, "still fresh: every change is remembered");
        assert!(cache.get(&1).is_some());
        let reading = cache.reading();
        for key in 100..101 + u32::try_from(RECENT).unwrap_or(u32::MAX) {
            cache.forget(&key);
        }
        cache.keep(reading, 2, "unknown: more changes than remembered");
        assert_eq!(cache.get(&2), None);
    }

    #[test]
    fn forgetting_drops_only_what_it_names() {
        let cache = listening();
        let reading = cache.reading();
        cache.keep(reading, 1, "one");
        cache.keep(reading, 2, "two");
        cache.forget(&1);
        assert_eq!((cache.get(&1), cache.get(&2)), (None, Some("two")));
        let reading = cache.reading();
        cache.keep(reading, 1, "one");
        cache.forget_where(|_, value| *value == "two");
        assert_eq!((cache.get(&1), cache.get(&2)), (Some("one"), None));
    }

    #[test]
    fn it_never_holds_more_than_its_capacity() {
        let cache = listening();
        let reading = cache.reading();
        for key in 1..=1000 {
            cache.keep(reading, key, "value");
            assert!(cache.len() <= cache.capacity());
        }
        assert_eq!(cache.len(), 2);
        assert_eq!(
            (cache.get(&998), cache.get(&999), cache.get(&1000)),
            (None, Some("value"), Some("value"))
        );
    }

    #[test]
    fn the_least_recently_used_copy_is_forgotten_first() {
        let cache = listening();
        let reading = cache.reading();
        cache.keep(reading, 1, "one");
        cache.keep(reading, 2, "two");
        // Reading 1 makes 2 the least recently used.
        assert_eq!(cache.get(&1), Some("one"));
        cache.keep(reading, 3, "three");
        assert_eq!(
            (cache.get(&1), cache.get(&2), cache.get(&3)),
            (Some("one"), None, Some("three"))
        );
        // Keeping a copy again makes it the most recently used too.
        cache.keep(reading, 1, "one again");
        cache.keep(reading, 4, "four");
        assert_eq!(
            (cache.get(&1), cache.get(&3), cache.get(&4)),
            (Some("one again"), None, Some("four"))
        );
    }

    #[test]
    fn a_capacity_of_zero_still_keeps_one() {
        let cache = ChangeCache::new(0);
        cache.set_listening(true);
        let reading = cache.reading();
        cache.keep(reading, 1, "one");
        assert_eq!((cache.capacity(), cache.get(&1)), (1, Some("one")));
    }
}
