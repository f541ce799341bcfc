//! The memory budget shared by cached partitions and in-memory shuffle data,
//! and the cache of computed partitions.
//!
//! As in Spark's unified memory manager, shuffles may evict cached partitions
//! (which can always be recomputed from lineage) to make room; what still does
//! not fit spills to disk (shuffles) or is simply not cached (cache).

use std::any::Any;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Bytes in use against a fixed budget.
#[derive(Debug)]
pub(crate) struct Memory {
    budget: usize,
    used: AtomicUsize,
}

impl Memory {
    pub(crate) fn new(budget: usize) -> Self {
        Memory {
            budget,
            used: AtomicUsize::new(0),
        }
    }

    pub(crate) fn budget(&self) -> usize {
        self.budget
    }

    pub(crate) fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }

    /// Takes `n` bytes of the budget if they are free.
    fn try_take(&self, n: usize) -> bool {
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(n).filter(|&total| total <= self.budget)
            })
            .is_ok()
    }

    fn give_back(&self, n: usize) {
        self.used.fetch_sub(n, Ordering::AcqRel);
    }
}

/// Bytes held against the budget; given back when dropped.
#[derive(Debug)]
pub(crate) struct Reservation {
    memory: Arc<Memory>,
    bytes: usize,
}

impl Reservation {
    pub(crate) fn empty(memory: &Arc<Memory>) -> Self {
        Reservation {
            memory: memory.clone(),
            bytes: 0,
        }
    }

    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    /// Adds another reservation into this one.
    pub(crate) fn absorb(&mut self, mut other: Reservation) {
        self.bytes += std::mem::take(&mut other.bytes);
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if self.bytes > 0 {
            self.memory.give_back(self.bytes);
        }
    }
}

struct Entry {
    data: Arc<dyn Any + Send + Sync>,
    reservation: Reservation,
    last_used: u64,
}

/// A cached partition's key: (dataset id, partition).
type Key = (usize, usize);

/// The cached partitions, and their keys by the tick of their last use
/// (ticks are unique), so that the least recently used is found in
/// logarithmic time however many partitions are cached.
#[derive(Default)]
struct Entries {
    map: HashMap<Key, Entry>,
    by_use: BTreeMap<u64, Key>,
}

impl Entries {
    fn remove(&mut self, key: Key) -> Option<Entry> {
        let entry = self.map.remove(&key)?;
        self.by_use.remove(&entry.last_used);
        Some(entry)
    }
}

/// Cached partitions, keyed by (dataset id, partition), evicted least recently used first.
pub(crate) struct Cache {
    memory: Arc<Memory>,
    entries: Mutex<Entries>,
    clock: AtomicU64,
    pub(crate) evictions: AtomicU64,
}

impl Cache {
    pub(crate) fn new(memory: Arc<Memory>) -> Self {
        Cache {
            memory,
            entries: Mutex::new(Entries::default()),
            clock: AtomicU64::new(0),
            evictions: AtomicU64::new(0),
        }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, Entries> {
        // A panic while holding the lock cannot leave the entries
        // half-updated (no user code runs under it, and the two maps are
        // updated without a step that can panic in between), so poisoning is
        // ignored.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reserves `n` bytes, evicting cached partitions (least recently used
    /// first) if needed; `None` if even an empty cache would not make room.
    pub(crate) fn reserve(&self, n: usize) -> Option<Reservation> {
        loop {
            if self.memory.try_take(n) {
                return Some(Reservation {
                    memory: self.memory.clone(),
                    bytes: n,
                });
            }
            if n > self.memory.budget() || !self.evict_lru() {
                return None;
            }
        }
    }

    fn evict_lru(&self) -> bool {
        let mut entries = self.entries();
        let Some((_, key)) = entries.by_use.pop_first() else {
            return false;
        };
        entries.map.remove(&key);
        self.evictions.fetch_add(1, Ordering::Relaxed);
        true
    }

    pub(crate) fn get(&self, key: Key) -> Option<Arc<dyn Any + Send + Sync>> {
        let tick = self.clock.fetch_add(1, Ordering::Relaxed);
        let mut guard = self.entries();
        let entries = &mut *guard;
        let entry = entries.map.get_mut(&key)?;
        entries.by_use.remove(&entry.last_used);
        entries.by_use.insert(tick, key);
        entry.last_used = tick;
        Some(entry.data.clone())
    }

    pub(crate) fn insert(
        &self,
        key: Key,
        data: Arc<dyn Any + Send + Sync>,
        reservation: Reservation,
    ) {
        let last_used = self.clock.fetch_add(1, Ordering::Relaxed);
        let mut entries = self.entries();
        entries.remove(key);
        entries.by_use.insert(last_used, key);
        let entry = Entry {
            data,
            reservation,
            last_used,
        };
        entries.map.insert(key, entry);
    }

    pub(crate) fn remove(&self, key: Key) -> bool {
        self.entries().remove(key).is_some()
    }

    /// Removes every partition of one dataset.
    pub(crate) fn remove_dataset(&self, id: usize) {
        let mut guard = self.entries();
        let Entries { map, by_use } = &mut *guard;
        map.retain(|k, e| {
            let keep = k.0 != id;
            if !keep {
                by_use.remove(&e.last_used);
            }
            keep
        });
    }

    /// (number of cached partitions, bytes) of one dataset.
    pub(crate) fn stats(&self, id: usize) -> (usize, usize) {
        self.entries()
            .map
            .iter()
            .filter(|(k, _)| k.0 == id)
            .fold((0, 0), |(n, b), (_, e)| (n + 1, b + e.reservation.bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserve_evicts_oldest_then_gives_up() {
        let memory = Arc::new(Memory::new(100));
        let cache = Cache::new(memory.clone());
        let r1 = cache.reserve(60).unwrap();
        cache.insert((1, 0), Arc::new(1u8), r1);
        let r2 = cache.reserve(30).unwrap();
        cache.insert((2, 0), Arc::new(2u8), r2);
        assert_eq!(memory.used(), 90);
        // 50 more bytes only fit once the oldest entry is gone.
        let r3 = cache.reserve(50).unwrap();
        assert!(cache.get((1, 0)).is_none());
        assert!(cache.get((2, 0)).is_some());
        assert_eq!(memory.used(), 80);
        drop(r3);
        assert_eq!(memory.used(), 30);
        assert!(cache.reserve(101).is_none());
    }

    #[test]
    fn eviction_follows_use_not_insertion() {
        let memory = Arc::new(Memory::new(100));
        let cache = Cache::new(memory.clone());
        for p in 0..4 {
            let r = cache.reserve(25).unwrap();
            cache.insert((7, p), Arc::new(p), r);
        }
        // Partition 0 is read again, so partition 1 is now the oldest.
        assert!(cache.get((7, 0)).is_some());
        let r = cache.reserve(25).unwrap();
        assert!(cache.get((7, 1)).is_none());
        cache.insert((7, 4), Arc::new(4usize), r);
        // Replacing an entry keeps one entry (and one place in the order).
        let r = cache.reserve(25).unwrap();
        assert!(cache.get((7, 2)).is_none());
        cache.insert((7, 0), Arc::new(0usize), r);
        assert_eq!(cache.stats(7), (3, 75));
        assert_eq!(memory.used(), 75);
        cache.remove_dataset(7);
        assert_eq!((cache.stats(7), memory.used()), ((0, 0), 0));
        assert!(!cache.evict_lru(), "nothing left to evict");
        assert_eq!(cache.evictions.load(Ordering::Relaxed), 2);
    }
}
