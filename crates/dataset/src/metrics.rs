//! Counters of what the engine did, for tests and tuning.

use std::sync::atomic::{AtomicU64, Ordering};

/// What the engine has done so far ([`Context::metrics`](crate::Context::metrics)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Metrics {
    /// Stages run (shuffle-map, sampling and result stages).
    pub stages: u64,
    /// Task attempts started.
    pub task_attempts: u64,
    /// Task attempts that failed (and were retried, or failed the action).
    pub task_failures: u64,
    /// Partitions read from the cache.
    pub cache_hits: u64,
    /// Partitions of cached datasets that had to be computed.
    pub cache_misses: u64,
    /// Cached partitions dropped to make room.
    pub cache_evictions: u64,
    /// Spill files written by shuffles.
    pub spill_files: u64,
    /// Bytes written to spill files.
    pub spilled_bytes: u64,
    /// Bytes of serialised shuffle buckets this rank sent to other ranks.
    pub shuffle_bytes_sent: u64,
    /// Bytes of serialised shuffle buckets this rank received from others.
    pub shuffle_bytes_received: u64,
    /// Nanoseconds this rank spent exchanging shuffle buckets with the
    /// others: serialising, sending, receiving and deserialising them.
    pub shuffle_exchange_nanos: u64,
}

impl crate::codec::Codec for Metrics {
    fn encode(&self, out: &mut Vec<u8>) {
        for x in self.fields() {
            x.encode(out);
        }
    }
    fn decode(input: &mut &[u8]) -> Option<Self> {
        let mut f = [0u64; 11];
        for x in &mut f {
            *x = u64::decode(input)?;
        }
        let [stages, task_attempts, task_failures, cache_hits, cache_misses, cache_evictions, spill_files, spilled_bytes, shuffle_bytes_sent, shuffle_bytes_received, shuffle_exchange_nanos] =
            f;
        Some(Metrics {
            stages,
            task_attempts,
            task_failures,
            cache_hits,
            cache_misses,
            cache_evictions,
            spill_files,
            spilled_bytes,
            shuffle_bytes_sent,
            shuffle_bytes_received,
            shuffle_exchange_nanos,
        })
    }
}

impl Metrics {
    /// The counters in declaration order.
    fn fields(&self) -> [u64; 11] {
        [
            self.stages,
            self.task_attempts,
            self.task_failures,
            self.cache_hits,
            self.cache_misses,
            self.cache_evictions,
            self.spill_files,
            self.spilled_bytes,
            self.shuffle_bytes_sent,
            self.shuffle_bytes_received,
            self.shuffle_exchange_nanos,
        ]
    }
}

/// The live counters behind [`Metrics`], bumped by any thread (the cache
/// counts its evictions itself).
#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) stages: AtomicU64,
    pub(crate) task_attempts: AtomicU64,
    pub(crate) task_failures: AtomicU64,
    pub(crate) cache_hits: AtomicU64,
    pub(crate) cache_misses: AtomicU64,
    pub(crate) spill_files: AtomicU64,
    pub(crate) spilled_bytes: AtomicU64,
    pub(crate) shuffle_bytes_sent: AtomicU64,
    pub(crate) shuffle_bytes_received: AtomicU64,
    pub(crate) shuffle_exchange_nanos: AtomicU64,
}

impl Counters {
    /// The counts now, with the cache's `cache_evictions`.
    pub(crate) fn snapshot(&self, cache_evictions: u64) -> Metrics {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        Metrics {
            stages: get(&self.stages),
            task_attempts: get(&self.task_attempts),
            task_failures: get(&self.task_failures),
            cache_hits: get(&self.cache_hits),
            cache_misses: get(&self.cache_misses),
            cache_evictions,
            spill_files: get(&self.spill_files),
            spilled_bytes: get(&self.spilled_bytes),
            shuffle_bytes_sent: get(&self.shuffle_bytes_sent),
            shuffle_bytes_received: get(&self.shuffle_bytes_received),
            shuffle_exchange_nanos: get(&self.shuffle_exchange_nanos),
        }
    }
}
