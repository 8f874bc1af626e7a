//! Rendered pages kept in memory, at most so many, the least recently used
//! (read or kept) forgotten first: the bound and eviction rule that the
//! kept organization sections (`pages::organization::rendered`) and the
//! server's whole documents share (ARCHITECTURE.md, "Memory").

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use hashlink::LinkedHashMap;

pub struct Kept<K, V> {
    entries: Mutex<LinkedHashMap<K, Arc<V>>>,
    capacity: usize,
}

impl<K: std::hash::Hash + Eq, V> Kept<K, V> {
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: Mutex::new(LinkedHashMap::new()),
            capacity,
        }
    }

    /// What is kept under `key`, now the most recently used.
    pub fn get(&self, key: &K) -> Option<Arc<V>> {
        self.lock().to_back(key).cloned()
    }

    /// Keeps `value` under `key`, forgetting the least recently used past the bound.
    pub fn insert(&self, key: K, value: Arc<V>) {
        let mut entries = self.lock();
        entries.insert(key, value);
        while entries.len() > self.capacity {
            entries.pop_front();
        }
    }

    fn lock(&self) -> MutexGuard<'_, LinkedHashMap<K, Arc<V>>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::Kept;

    #[test]
    fn the_least_recently_used_is_forgotten_first() {
        let kept = Kept::new(2);
        let keep = |key: u8| kept.insert(key, Arc::new(format!("page {key}")));
        keep(1);
        keep(2);
        assert!(kept.get(&1).is_some(), "used again: 2 is now the oldest");
        keep(3);
        let keys: Vec<u8> = kept.lock().keys().copied().collect();
        assert_eq!(keys, [1, 3], "2, the least recently used, was forgotten");
        assert_eq!(kept.get(&3).as_deref().map(String::as_str), Some("page 3"));
        assert!(kept.get(&2).is_none());
    }
}
