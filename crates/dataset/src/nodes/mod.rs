//! The kinds of dataset, one file each (as Spark has `MapPartitionsRDD`,
//! `UnionRDD`, `CoalescedRDD`, `ShuffledRDD`, …): sources, narrow
//! transformations, the cache and the reduce side of a shuffle.

mod cached;
mod cartesian;
mod coalesce;
mod disk_store;
mod map_partitions;
mod materialized;
mod parallelize;
mod pipe;
mod range;
mod shuffled;
mod text_file;
mod union;
mod zip;

pub(crate) use cached::CachedNode;
pub(crate) use cartesian::CartesianNode;
pub(crate) use coalesce::{group as coalesce_group, CoalesceNode};
pub(crate) use disk_store::DiskStore;
pub(crate) use map_partitions::{MapPartitionsNode, PartitionFn};
pub(crate) use materialized::{MaterializedNode, Stored};
pub(crate) use parallelize::ParallelizeNode;
pub(crate) use pipe::PipeNode;
pub(crate) use range::RangeNode;
pub(crate) use shuffled::{PostFn, ShuffledNode};
pub(crate) use text_file::TextFileNode;
pub(crate) use union::UnionNode;
pub(crate) use zip::ZipNode;
