//! The map side of a shuffle: one task's records into one block per reduce
//! partition that receives any, combined per key where the shuffle allows
//! it, and spilled to disk when the memory budget says no. On ranks, the
//! task also encodes the blocks of the reduce partitions other ranks hold,
//! ready to send (so encoding runs in the map tasks, on all of a rank's
//! threads, and the exchange only moves bytes).

use std::hash::Hash;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::buckets::{Buckets, Runs};
use super::read::Block;
use super::{spill, wire, ShuffleDep};
use crate::codec::Codec;
use crate::combine::Combiners;
use crate::context::Context;
use crate::error::Result;
use crate::lineage::PartitionIter;
use crate::memory::Reservation;
use crate::partitioner::PartitionerFn;
use crate::ranks::reducer_home;
use crate::task::TaskContext;
use crate::Data;

/// What one map task produced: its blocks, each with its reduce partition
/// (a partition's spilled blocks in the order written, then its in-memory
/// one), and the memory its in-memory blocks hold. On ranks, `blocks` are
/// those of this rank's reduce partitions, and `remote[d]` holds the blocks
/// for rank `d` encoded (`wire.rs`; empty for this rank and on one process).
pub(super) struct MapOutput<K, M> {
    pub(super) blocks: Vec<(usize, Block<K, M>)>,
    pub(super) remote: Vec<Vec<u8>>,
    pub(super) reservation: Reservation,
}

/// Runs the map task of `dep` over `input`, one partition of its parent.
pub(super) fn map_task<K, V, M>(
    dep: &ShuffleDep<K, V, M>,
    tc: &TaskContext,
    input: PartitionIter<(K, V)>,
    partitioner: &PartitionerFn<K>,
) -> Result<MapOutput<K, M>>
where
    K: Data + Codec + Hash + Eq,
    V: Data,
    M: Data + Codec,
{
    let ctx = &dep.parent.ctx;
    let name = |n: usize| format!("shuffle-{}-map-{}-{n}.bin", dep.parent.id(), tc.partition);
    let mut writer = MapWriter::new(ctx, dep.reducers, partitioner, name);
    let to_m = &dep.map_side.to_m;
    match &dep.map_side.merge_value {
        Some(merge) => {
            let mut combiners = Combiners::new();
            for (k, v) in input {
                let added = combiners.add(k, v, |v| to_m(v), |m, v| merge(m, v));
                if added > 0 && !writer.track(added) {
                    writer.extend(combiners.drain());
                    writer.spill()?;
                }
            }
            writer.extend(combiners.into_iter());
        }
        None => {
            for (k, v) in input {
                let m = to_m(v);
                let size = k.mem_size() + m.mem_size();
                writer.extend(std::iter::once((k, m)));
                if !writer.track(size) {
                    writer.spill()?;
                }
            }
        }
    }
    writer.finish(tc.partition)
}

/// A task buffers this much even when the budget is exhausted (by other
/// tasks' outputs, say), so that a full budget means spill files of a useful
/// size rather than one per record.
const MIN_SPILL: usize = 64 << 10;

/// One map task's records, bucketed by reduce partition and accounted
/// against the memory budget, and the blocks it has spilled.
struct MapWriter<'a, K, M, N> {
    ctx: &'a Context,
    partitioner: &'a PartitionerFn<K>,
    /// The name of the task's `n`th spill file.
    spill_name: N,
    buckets: Buckets<K, M>,
    tracked: usize,
    reservation: Reservation,
    chunk: usize,
    /// The blocks written to spill files so far.
    spilled: Vec<(usize, Block<K, M>)>,
}

impl<'a, K, M, N> MapWriter<'a, K, M, N>
where
    K: Codec,
    M: Codec,
    N: Fn(usize) -> String,
{
    fn new(
        ctx: &'a Context,
        reducers: usize,
        partitioner: &'a PartitionerFn<K>,
        spill_name: N,
    ) -> Self {
        let inner = &ctx.inner;
        // Ask for memory in steps of a fraction of one thread's share, so
        // tasks do not go to the budget for every record.
        let chunk = (inner.memory.budget() / (8 * ctx.threads())).clamp(1, 4 << 20);
        MapWriter {
            ctx,
            partitioner,
            spill_name,
            buckets: Buckets::new(reducers),
            tracked: 0,
            reservation: Reservation::empty(&inner.memory),
            chunk,
            spilled: Vec::new(),
        }
    }

    /// Puts records in the buckets of their reduce partitions.
    fn extend(&mut self, records: impl Iterator<Item = (K, M)>) {
        for (k, m) in records {
            self.buckets.push((self.partitioner)(&k), (k, m));
        }
    }

    /// Counts `size` more bytes held; false if they do not fit the budget
    /// (then the caller spills).
    fn track(&mut self, size: usize) -> bool {
        self.tracked += size;
        if self.tracked <= self.reservation.bytes().max(MIN_SPILL) {
            return true;
        }
        let need = (self.tracked - self.reservation.bytes()).max(self.chunk);
        match self.ctx.inner.cache.reserve(need) {
            Some(r) => {
                self.reservation.absorb(r);
                true
            }
            None => false,
        }
    }

    /// Writes the records held to a new spill file, one block per reduce
    /// partition that has any, and gives their memory back. Holding nothing,
    /// it writes no file.
    fn spill(&mut self) -> Result<()> {
        let held = self.buckets.take();
        self.tracked = 0;
        self.reservation = Reservation::empty(&self.ctx.inner.memory);
        if held.is_empty() {
            return Ok(());
        }
        let path = self
            .ctx
            .spill_dir()?
            .join((self.spill_name)(self.ctx.next_id()));
        let (blocks, bytes) = spill::write_runs(path, &held)?;
        let counters = &self.ctx.inner.counters;
        counters.spill_files.fetch_add(1, Ordering::Relaxed);
        counters.spilled_bytes.fetch_add(bytes, Ordering::Relaxed);
        self.spilled
            .extend(blocks.into_iter().map(|(r, block)| (r, Block::Disk(block))));
        Ok(())
    }

    /// The output of map task `map`: what was spilled, and what the
    /// buckets hold now; on ranks, the blocks of other ranks encoded.
    fn finish(mut self, map: usize) -> Result<MapOutput<K, M>> {
        let mut blocks = self.spilled;
        for Runs { records, runs } in self.buckets.take() {
            let records = Arc::new(records);
            blocks.extend(runs.into_iter().map(|(r, range)| {
                let records = records.clone();
                (r, Block::Mem { records, range })
            }));
        }
        let (rank, ranks) = (self.ctx.rank(), self.ctx.ranks());
        let mut remote = Vec::new();
        if ranks > 1 {
            remote = vec![Vec::new(); ranks];
            let mut here = Vec::with_capacity(blocks.len());
            for (place, (r, block)) in blocks.into_iter().enumerate() {
                match reducer_home(r, ranks) {
                    home if home == rank => here.push((r, block)),
                    home => wire::encode_block(&mut remote[home], r, map, place, &block)?,
                }
            }
            blocks = here;
        }
        Ok(MapOutput {
            blocks,
            remote,
            reservation: self.reservation,
        })
    }
}
