//! Wide dependencies: the shuffle.
//!
//! A shuffle-map stage runs one task per parent partition. Each task assigns
//! every record to a reduce partition with the shuffle's partitioner (hash, or
//! range for sorts), combining values of equal keys on the map side when the
//! operation allows it (`reduce_by_key`, `distinct`, `count_by_key`: Spark's
//! map-side combine), and keeps one block per reduce partition that receives
//! records (`write.rs`). Blocks live in memory while the memory budget
//! allows; beyond it a task writes what it holds to a spill file and starts
//! afresh (`spill.rs`). When the map stage ends, the blocks are indexed by
//! reduce partition, so a reduce task reads only the blocks that exist for
//! it, from memory or disk (`read.rs`), and no cost anywhere grows with map
//! tasks times reduce partitions. Map outputs are kept (like Spark's shuffle
//! files) so later jobs and recomputed partitions reuse them; spill files are
//! deleted when the shuffle is dropped.

mod buckets;
mod exchange;
mod read;
mod spill;
mod wire;
mod write;

use std::hash::Hash;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::codec::Codec;
use crate::dataset::Dataset;
use crate::error::{DatasetError, Result};
use crate::lineage::{Lineage, PartitionIter, ShuffleStage};
use crate::memory::Reservation;
use crate::partitioner::MakePartitioner;
use crate::scheduler::{run_parent_stages, run_placed};
use crate::task::TaskContext;
use crate::Data;
use read::{Block, BlockReader};
use write::MapOutput;

/// What the map side does with values: wrap each one (`to_m`), and, with
/// `merge_value`, combine values of equal keys into one record.
pub(crate) struct MapSide<V, M> {
    pub(crate) to_m: Arc<dyn Fn(V) -> M + Send + Sync>,
    pub(crate) merge_value: Option<Arc<dyn Fn(M, V) -> M + Send + Sync>>,
}

impl<V> MapSide<V, V> {
    /// Values pass as they are, with no map-side combining.
    pub(crate) fn pass() -> Self {
        MapSide {
            to_m: Arc::new(|v| v),
            merge_value: None,
        }
    }
}

/// The map outputs of a shuffle, indexed by reduce partition.
struct ByReducer<K, M> {
    /// The blocks of each reduce partition: map task after map task, each
    /// task's spilled blocks (in the order written) before its in-memory one.
    blocks: Vec<Vec<Block<K, M>>>,
    /// The memory the in-memory blocks hold, given back with them.
    _reservations: Vec<Reservation>,
}

impl<K, M> ByReducer<K, M> {
    /// The index of the outputs of every map task, in map task order, over
    /// `reducers` partitions.
    fn new(outputs: Vec<MapOutput<K, M>>, reducers: usize) -> Self {
        let mut blocks: Vec<Vec<Block<K, M>>> =
            std::iter::repeat_with(Vec::new).take(reducers).collect();
        let mut reservations = Vec::with_capacity(outputs.len());
        for output in outputs {
            for (r, block) in output.blocks {
                blocks[r].push(block);
            }
            reservations.push(output.reservation);
        }
        ByReducer {
            blocks,
            _reservations: reservations,
        }
    }
}

/// The map outputs of a shuffle, once its map stage has run.
type Outputs<K, M> = Mutex<Option<Arc<ByReducer<K, M>>>>;

/// The shuffle between a parent of pairs `(K, V)` and its readers, which see
/// records `(K, M)`.
pub(crate) struct ShuffleDep<K, V, M> {
    describe: String,
    parent: Dataset<(K, V)>,
    reducers: usize,
    make_partitioner: MakePartitioner<K, V>,
    map_side: MapSide<V, M>,
    outputs: Outputs<K, M>,
    done: AtomicBool,
}

impl<K, V, M> ShuffleDep<K, V, M>
where
    K: Data + Codec + Hash + Eq,
    V: Data,
    M: Data + Codec,
{
    /// The shuffle of `parent` into `reducers` partitions; `describe` names
    /// it in stage names and errors.
    pub(crate) fn new(
        describe: String,
        parent: Dataset<(K, V)>,
        reducers: usize,
        make_partitioner: MakePartitioner<K, V>,
        map_side: MapSide<V, M>,
    ) -> Self {
        ShuffleDep {
            describe,
            parent,
            reducers: reducers.max(1),
            make_partitioner,
            map_side,
            outputs: Mutex::new(None),
            done: AtomicBool::new(false),
        }
    }

    /// The number of ranks the shuffle runs on.
    pub(crate) fn ranks(&self) -> usize {
        self.parent.ctx.ranks()
    }

    /// The number of reduce partitions.
    pub(crate) fn reducers(&self) -> usize {
        self.reducers
    }

    /// The records of reduce partition `r`, from every map output.
    pub(crate) fn read(&self, r: usize, tc: &TaskContext) -> Result<PartitionIter<(K, M)>> {
        let outputs = self
            .outputs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or_else(|| {
                DatasetError::InvalidArgument(format!(
                    "shuffle {} read before it ran",
                    self.describe
                ))
            })?;
        let ctx = &self.parent.ctx;
        let (rank, ranks) = (ctx.rank(), ctx.ranks());
        let home = crate::ranks::reducer_home(r, ranks);
        if home != rank {
            return Err(DatasetError::InvalidArgument(format!(
                "partition {r} of shuffle {} is held by rank {home}, not by rank {rank} \
                 (a narrow dependency that reads partitions of several ranks needs a \
                 repartition on more than one rank)",
                self.describe
            )));
        }
        let blocks = outputs.blocks.get(r).cloned().unwrap_or_default();
        Ok(Box::new(BlockReader::new(blocks, tc.clone())))
    }
}

impl<K, V, M> ShuffleStage for ShuffleDep<K, V, M>
where
    K: Data + Codec + Hash + Eq,
    V: Data,
    M: Data + Codec,
{
    fn parent(&self) -> Arc<dyn Lineage> {
        self.parent.lineage.clone()
    }

    fn is_done(&self) -> bool {
        self.done.load(Ordering::Acquire)
    }

    fn run(&self) -> Result<()> {
        // Held for the whole stage: a second job needing the same shuffle waits
        // for this one rather than computing it twice.
        let mut outputs = self.outputs.lock().unwrap_or_else(|e| e.into_inner());
        if outputs.is_some() {
            return Ok(());
        }
        let partitioner = (self.make_partitioner)(&self.parent)?;
        let name = format!("shuffle map for {}", self.describe);
        let maps = self.parent.all_partitions();
        run_parent_stages(self.parent.lineage.as_ref())?;
        let (here, done) = run_placed(&self.parent, &name, &maps, |tc, input| {
            write::map_task(self, tc, input, &partitioner)
        });
        let by_reducer = match &self.parent.ctx.inner.ranks {
            None => ByReducer::new(done?, self.reducers),
            Some(ranks) => {
                let here: Vec<usize> = here.into_iter().map(|i| maps[i]).collect();
                exchange::exchange(&self.parent.ctx, ranks.as_ref(), &here, done, self.reducers)?
            }
        };
        *outputs = Some(Arc::new(by_reducer));
        self.done.store(true, Ordering::Release);
        Ok(())
    }
}
