//! The kinds of dataset, one file each (as Spark has `MapPartitionsRDD`,
//! `UnionRDD`, `CoalescedRDD`, `ShuffledRDD`, …): sources, narrow
//! transformations, the cache and the reduce side of a shuffle.

mod cached;
mod coalesce;
mod map_partitions;
mod parallelize;
mod shuffled;
mod text_file;
mod union;

pub(crate) use cached::CachedNode;
pub(crate) use coalesce::CoalesceNode;
pub(crate) use map_partitions::{MapPartitionsNode, PartitionFn};
pub(crate) use parallelize::ParallelizeNode;
pub(crate) use shuffled::{PostFn, ShuffledNode};
pub(crate) use text_file::TextFileNode;
pub(crate) use union::UnionNode;
