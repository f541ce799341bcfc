//! `cache` / `persist`: partitions kept after their first computation, in
//! memory within the memory budget and/or on disk as the storage level says;
//! a partition that was dropped (to make room, or on purpose) is recomputed
//! from its lineage when next needed.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::api::storage::StorageLevel;
use crate::codec::Codec;
use crate::context::Context;
use crate::dataset::Dataset;
use crate::error::Result;
use crate::lineage::{Lineage, Node, NodeInfo, OneToOne, PartitionIter};
use crate::nodes::DiskStore;
use crate::task::TaskContext;
use crate::Data;

/// The parent's partitions, kept in the context's cache once computed.
pub(crate) struct CachedNode<T> {
    info: NodeInfo,
    ctx: Context,
    parent: Dataset<T>,
    active: AtomicBool,
    level: StorageLevel,
    disk: DiskStore<T>,
}

impl<T: Data + Codec> CachedNode<T> {
    pub(crate) fn new(
        info: NodeInfo,
        ctx: Context,
        parent: Dataset<T>,
        level: StorageLevel,
    ) -> Self {
        CachedNode {
            info,
            disk: DiskStore::new(ctx.clone(), "hpcrs-persist-"),
            ctx,
            parent,
            active: AtomicBool::new(true),
            level,
        }
    }

    /// Stops caching and drops what is cached, in memory and on disk.
    pub(crate) fn unpersist(&self) {
        self.active.store(false, Ordering::Relaxed);
        self.ctx.inner.cache.remove_dataset(self.info.id);
        self.disk.clear();
    }

    /// Whether the dataset is still persisted (not unpersisted).
    pub(crate) fn is_active(&self) -> bool {
        self.active.load(Ordering::Relaxed)
    }

    /// The storage level it was persisted with.
    pub(crate) fn level(&self) -> StorageLevel {
        self.level
    }

    /// How many partitions are on disk.
    pub(crate) fn partitions_on_disk(&self) -> usize {
        self.disk.count()
    }

    /// Drops one cached partition, as losing an executor would.
    pub(crate) fn evict(&self, partition: usize) -> bool {
        self.ctx.inner.cache.remove((self.info.id, partition))
    }

    /// (cached partitions, bytes).
    pub(crate) fn stats(&self) -> (usize, usize) {
        self.ctx.inner.cache.stats(self.info.id)
    }
}

impl<T> Drop for CachedNode<T> {
    fn drop(&mut self) {
        self.ctx.inner.cache.remove_dataset(self.info.id);
    }
}

/// Iterates over a shared cached partition, cloning each element.
struct SharedIter<T> {
    data: Arc<Vec<T>>,
    next: usize,
}

impl<T: Clone> Iterator for SharedIter<T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        let x = self.data.get(self.next)?.clone();
        self.next += 1;
        Some(x)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.data.len() - self.next;
        (n, Some(n))
    }
}

impl<T: Data + Codec> OneToOne for CachedNode<T> {
    fn info(&self) -> &NodeInfo {
        &self.info
    }
    fn parent(&self) -> &Arc<dyn Lineage> {
        &self.parent.lineage
    }
    fn extra(&self) -> String {
        if !self.active.load(Ordering::Relaxed) {
            return "[unpersisted]".into();
        }
        let (n, bytes) = self.stats();
        let mut out = format!(
            "[memory: {n}/{} partitions cached, {}]",
            self.parent.num_partitions(),
            runtime::size::human_bytes(bytes as u64)
        );
        if self.level.use_disk() {
            out.push_str(&format!(
                "[disk: {}/{} partitions]",
                self.disk.count(),
                self.parent.num_partitions()
            ));
        }
        out
    }
}

impl<T: Data + Codec> Node<T> for CachedNode<T> {
    fn compute(&self, partition: usize, tc: &TaskContext) -> Result<PartitionIter<T>> {
        let key = (self.info.id, partition);
        let counters = &self.ctx.inner.counters;
        let active = self.active.load(Ordering::Relaxed);
        if active && self.level.use_disk() && self.disk.has(partition) {
            counters.cache_hits.fetch_add(1, Ordering::Relaxed);
            return self.disk.get(partition, tc);
        }
        if let Some(any) = self.ctx.inner.cache.get(key) {
            if let Ok(data) = any.downcast::<Vec<T>>() {
                counters.cache_hits.fetch_add(1, Ordering::Relaxed);
                return Ok(Box::new(SharedIter { data, next: 0 }));
            }
        }
        counters.cache_misses.fetch_add(1, Ordering::Relaxed);
        let data: Vec<T> = self.parent.node.compute(partition, tc)?.collect();
        // Never cache a partition whose computation failed half-way.
        tc.check()?;
        let data = Arc::new(data);
        if active {
            let mut kept = false;
            if self.level.use_memory() {
                let bytes = 64 + data.iter().map(Codec::mem_size).sum::<usize>();
                if let Some(reservation) = self.ctx.inner.cache.reserve(bytes) {
                    self.ctx.inner.cache.insert(key, data.clone(), reservation);
                    kept = true;
                }
            }
            // What memory does not hold goes to disk, when the level allows.
            if !kept && self.level.use_disk() {
                self.disk.put(partition, data.iter())?;
            }
        }
        Ok(Box::new(SharedIter { data, next: 0 }))
    }
}
