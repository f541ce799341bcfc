//! The rest of Spark's RDD API, one concern per file, each an `impl` block
//! on [`Dataset`](crate::Dataset) (or [`Context`](crate::Context)) built on
//! the engine's primitives (`map_partitions`, `shuffle`, `run_all`) so that
//! it runs wherever those run.
//!
//! - `aggregate.rs`: `aggregate`, `tree_aggregate`, `tree_reduce`,
//!   `aggregate_by_key`, `fold_by_key`, `count_by_value`, `max_by`, …
//! - `joins.rs`: `cogroup`, `group_with`, outer joins, `subtract`,
//!   `intersection`, `cartesian`.
//! - `keyed.rs`: `flat_map_values`, `group_by`, `lookup`, `partition_by`,
//!   `repartition_and_sort_within_partitions`, `sort_by_key_with`.
//! - `sampling.rs`: `sample`, `sample_by_key`, `take_sample`, `random_split`.
//! - `zip.rs`: `zip`, `zip_with_index`, `zip_with_unique_id`.
//! - `approx.rs`: `count_approx_distinct` (a HyperLogLog sketch).
//! - `histogram.rs`, `pipe.rs`, `checkpoint.rs`, `storage.rs` (storage
//!   levels), `local.rs` (`foreach_partition`, `to_local_iterator`),
//!   `naming.rs` (`set_name`), `range.rs` (`Context::range`),
//!   `stat_counter.rs` (what `stats` returns).

pub(crate) mod aggregate;
pub(crate) mod approx;
pub(crate) mod checkpoint;
pub(crate) mod hash_join;
pub(crate) mod histogram;
pub(crate) mod joins;
pub(crate) mod keyed;
pub(crate) mod local;
pub(crate) mod naming;
pub(crate) mod pipe;
pub(crate) mod range;
pub(crate) mod sampling;
pub(crate) mod stat_counter;
pub(crate) mod storage;
pub(crate) mod zip;

use std::path::Path;
use std::sync::Arc;

/// What a dataset handle carries beside its lineage: a name given with
/// `set_name`, and where `checkpoint` wrote it.
#[derive(Clone, Default)]
pub(crate) struct Extras {
    pub(crate) name: Option<Arc<str>>,
    pub(crate) checkpoint: Option<Arc<Path>>,
    pub(crate) local_checkpoint: bool,
}
