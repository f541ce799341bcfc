//! `cache` / `persist`: partitions kept in memory after their first
//! computation, within the memory budget; a partition that was dropped (to
//! make room, or on purpose) is recomputed from its lineage when next needed.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::codec::Codec;
use crate::context::Context;
use crate::dataset::Dataset;
use crate::error::Result;
use crate::lineage::{Lineage, Node, NodeInfo, OneToOne, PartitionIter};
use crate::task::TaskContext;
use crate::Data;

/// The parent's partitions, kept in the context's cache once computed.
pub(crate) struct CachedNode<T> {
    info: NodeInfo,
    ctx: Context,
    parent: Dataset<T>,
    active: AtomicBool,
}

impl<T: Data + Codec> CachedNode<T> {
    pub(crate) fn new(info: NodeInfo, ctx: Context, parent: Dataset<T>) -> Self {
        CachedNode {
            info,
            ctx,
            parent,
            active: AtomicBool::new(true),
        }
    }

    /// Stops caching and drops what is cached.
    pub(crate) fn unpersist(&self) {
        self.active.store(false, Ordering::Relaxed);
        self.ctx.inner.cache.remove_dataset(self.info.id);
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
        format!(
            "[memory: {n}/{} partitions cached, {}]",
            self.parent.num_partitions(),
            runtime::size::human_bytes(bytes as u64)
        )
    }
}

impl<T: Data + Codec> Node<T> for CachedNode<T> {
    fn compute(&self, partition: usize, tc: &TaskContext) -> Result<PartitionIter<T>> {
        let key = (self.info.id, partition);
        let counters = &self.ctx.inner.counters;
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
        if self.active.load(Ordering::Relaxed) {
            let bytes = 64 + data.iter().map(Codec::mem_size).sum::<usize>();
            if let Some(reservation) = self.ctx.inner.cache.reserve(bytes) {
                self.ctx.inner.cache.insert(key, data.clone(), reservation);
            }
        }
        Ok(Box::new(SharedIter { data, next: 0 }))
    }
}
