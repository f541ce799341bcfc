//! Spark's resilient distributed datasets for Rust, on local threads and on
//! the ranks of any `comm` communicator (MPI processes, or threads).
//!
//! A [`Dataset<T>`] is an immutable collection split into partitions. It is
//! built from a source ([`Context::parallelize`], [`Context::text_file`]) by
//! lazy transformations (`map`, `filter`, `flat_map`, `reduce_by_key`,
//! `sort_by`, `join`, …) and computed only when an action (`collect`, `count`,
//! `take_ordered`, …) asks for a result, as in the RDD paper (Zaharia et al.,
//! NSDI 2012) and the course's PySpark chapter:
//!
//! - **Stages.** Narrow transformations (each output partition needs a few
//!   known parent partitions) are pipelined as iterators inside one task per
//!   partition. Wide ones (`reduce_by_key`, `group_by_key`, `distinct`,
//!   `sort_by`, `join`, `repartition`) cut the job at a shuffle: a map stage
//!   writes hash- or range-partitioned blocks, combining values of a key on
//!   the map side where Spark does, and the next stage reads them.
//! - **Lineage.** Every dataset remembers how it is computed, so a failed task
//!   (a panic in user code is caught) is retried, and a cached partition that
//!   was dropped is recomputed. [`Dataset::debug_string`] prints the lineage.
//! - **Memory.** Cached partitions and in-memory shuffle blocks share one
//!   budget; beyond it shuffles spill to a temporary directory (removed
//!   afterwards) and cache entries are evicted, least recently used first.
//! - **Ranks.** A context built over a communicator
//!   ([`ContextBuilder::build_on`], or [`run_on_local_ranks`] for ranks as
//!   threads) is one rank of a job in which every rank runs the same
//!   program: each partition is computed on one rank, shuffles exchange
//!   serialised buckets between ranks, and actions return the same value on
//!   every rank (see `ranks.rs`, `shuffle/exchange.rs`).
//! - **Threads and progress.** Tasks run on the `runtime::pool` thread pool
//!   of the context's size; each stage reports its tasks to the
//!   `runtime::Progress` the context was built with (silent by default). The
//!   crate itself never prints.
//!
//! Where things are: `context.rs`, `builder.rs` and `sources.rs` (the entry
//! point), `dataset.rs`, `pairs.rs`, `actions.rs`, `stats.rs` and `save.rs`
//! (the core API), `api/` (the rest of Spark's RDD API, one concern per
//! file; docs/dataset.md maps every PySpark method to its name here),
//! `nodes/` (one file per kind of dataset), `scheduler.rs`
//! (stages and retries), `partitioner.rs` and `shuffle/` (wide
//! dependencies), `memory.rs` and `codec.rs` (the budget and what is
//! spilled).
//!
//! ```
//! use dataset::Context;
//!
//! let ctx = Context::local(2)?;
//! let words = ctx.parallelize(["run", "jump", "sit", "run", "smile", "run"], 3);
//! let counts = words.map(|w| (w.to_string(), 1u64)).reduce_by_key(|a, b| a + b);
//! let top = counts.take_ordered(2, |(w, c)| (std::cmp::Reverse(*c), w.clone()))?;
//! assert_eq!(top, [("run".to_string(), 3), ("jump".to_string(), 1)]);
//! assert_eq!(ctx.parallelize(1..=4, 2).map(|x| 2 * x).collect()?, [2, 4, 6, 8]);
//! assert_eq!(ctx.parallelize(vec![1.0, 2.0, 3.0, 4.0], 2).mean()?, 2.5);
//! # Ok::<(), dataset::DatasetError>(())
//! ```
//!
//! Why not an existing crate: the point of this crate is the engine itself
//! (stages, shuffles, lineage, spilling) as the course teaches it; the thread
//! pool under it is runtime's, shared with every other workload.
#![deny(missing_docs)]

mod actions;
mod api;
mod builder;
mod codec;
mod combine;
mod context;
mod dataset;
mod error;
mod lineage;
mod local_ranks;
mod memory;
mod metrics;
mod nodes;
mod pairs;
mod partitioner;
mod ranks;
mod save;
mod scheduler;
mod shuffle;
mod sources;
mod stats;
mod task;
mod text;
mod text_bytes;
mod util;

pub use api::histogram::Buckets;
pub use api::joins::{Cogrouped, FullOuter};
pub use api::local::LocalIterator;
pub use api::storage::StorageLevel;
pub use builder::{ContextBuilder, DEFAULT_MAX_ATTEMPTS, DEFAULT_MEMORY_BUDGET};
pub use codec::Codec;
pub use context::Context;
pub use dataset::{Dataset, Partition};
pub use error::{DatasetError, Result};
pub use local_ranks::run_on_local_ranks;
pub use metrics::Metrics;
pub use pairs::Key;
pub use ranks::Connector;
pub use stats::{Numeric, StatCounter};
pub use text_bytes::TextBytes;

/// Elements of datasets: shared between worker threads and cloned when
/// needed. Implemented for every type with those traits.
pub trait Data: Send + Sync + Clone + 'static {}
impl<T: Send + Sync + Clone + 'static> Data for T {}
