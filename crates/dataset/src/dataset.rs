//! `Dataset<T>`: an immutable, partitioned, lazily computed collection, and
//! its element-wise transformations.

use std::fmt::Write as _;
use std::sync::Arc;

use crate::api::storage::StorageLevel;
use crate::api::Extras;
use crate::codec::Codec;
use crate::context::Context;
use crate::error::Result;
use crate::lineage::{Dependency, Lineage, Node, PartitionIter};
use crate::nodes::{CachedNode, CoalesceNode, MapPartitionsNode, PartitionFn, UnionNode};
use crate::scheduler::run_tasks;
use crate::Data;

/// A resilient distributed dataset (Spark's RDD) of elements `T`.
///
/// Transformations (`map`, `filter`, `reduce_by_key`, …) return new datasets
/// at once and compute nothing; actions (`collect`, `count`, …) run a job and
/// return a `Result`. Cloning a dataset is cheap: it shares its lineage.
pub struct Dataset<T> {
    pub(crate) ctx: Context,
    pub(crate) node: Arc<dyn Node<T>>,
    pub(crate) lineage: Arc<dyn Lineage>,
    /// Set for datasets made by `cache`/`persist`.
    pub(crate) cached: Option<Arc<CachedNode<T>>>,
    /// The name and checkpoint of this handle (`set_name`, `checkpoint`).
    pub(crate) extras: Extras,
}

impl<T> Clone for Dataset<T> {
    fn clone(&self) -> Self {
        Dataset {
            ctx: self.ctx.clone(),
            node: self.node.clone(),
            lineage: self.lineage.clone(),
            cached: self.cached.clone(),
            extras: self.extras.clone(),
        }
    }
}

/// What `map_partitions` functions receive: the elements of one partition.
pub type Partition<T> = PartitionIter<T>;

impl<T: Data> Dataset<T> {
    pub(crate) fn from_node<N: Node<T> + 'static>(ctx: Context, node: N) -> Self {
        let node = Arc::new(node);
        Dataset {
            ctx,
            node: node.clone(),
            lineage: node,
            cached: None,
            extras: Extras::default(),
        }
    }

    /// The context this dataset runs in.
    pub fn context(&self) -> &Context {
        &self.ctx
    }

    /// A number identifying this dataset within its context (Spark's RDD id).
    pub fn id(&self) -> usize {
        self.lineage.info().id
    }

    /// How many partitions (and so tasks) this dataset has. For a `text_file`
    /// whose path cannot be listed this is its `min_partitions`; the action
    /// reports the error.
    pub fn num_partitions(&self) -> usize {
        self.lineage.num_partitions()
    }

    /// The lineage as text, like Spark's `toDebugString`: one line per
    /// dataset, `+-` where a shuffle cuts a stage, `(n)` partitions at the
    /// head of each stage.
    pub fn debug_string(&self) -> String {
        let mut out = String::new();
        write_lineage(&mut out, self.lineage.as_ref(), "", "", true);
        out
    }

    /// Every partition number, `0..num_partitions()`.
    pub(crate) fn all_partitions(&self) -> Vec<usize> {
        (0..self.num_partitions()).collect()
    }

    /// Runs `f` over the given partitions as one stage, after any shuffle
    /// the lineage needs; results in partition order, on every rank (so
    /// they are `Codec`: distributed, they travel between ranks).
    pub(crate) fn run_job<R, F>(&self, name: &str, partitions: &[usize], f: F) -> Result<Vec<R>>
    where
        R: Send + Codec,
        F: Fn(PartitionIter<T>) -> R + Sync,
    {
        run_tasks(self, name, partitions, |_, it| Ok(f(it)))
    }

    /// Runs `f` on every partition.
    pub(crate) fn run_all<R, F>(&self, name: &str, f: F) -> Result<Vec<R>>
    where
        R: Send + Codec,
        F: Fn(PartitionIter<T>) -> R + Sync,
    {
        self.run_job(name, &self.all_partitions(), f)
    }

    /// A narrow transformation named `op`: `f` of each partition.
    #[track_caller]
    pub(crate) fn with_partition_fn<U: Data>(
        &self,
        op: &str,
        f: Arc<PartitionFn<T, U>>,
    ) -> Dataset<U> {
        let info = self.ctx.node_info("MapPartitions", op);
        Dataset::from_node(
            self.ctx.clone(),
            MapPartitionsNode::new(info, self.clone(), f),
        )
    }

    /// A narrow transformation named `op` built from a user function `f`,
    /// which every partition's task shares: `apply` turns the shared `f` and
    /// a partition into the output partition.
    #[track_caller]
    pub(crate) fn with_shared_fn<F, U>(
        &self,
        op: &str,
        f: F,
        apply: fn(Arc<F>, PartitionIter<T>) -> PartitionIter<U>,
    ) -> Dataset<U>
    where
        F: Send + Sync + 'static,
        U: Data,
    {
        let f = Arc::new(f);
        self.with_partition_fn(op, Arc::new(move |_, it| apply(f.clone(), it)))
    }

    /// Applies `f` to every element.
    #[track_caller]
    pub fn map<U: Data>(&self, f: impl Fn(T) -> U + Send + Sync + 'static) -> Dataset<U> {
        self.with_shared_fn("map", f, |f, it| Box::new(it.map(move |x| f(x))))
    }

    /// Keeps the elements for which `f` is true.
    #[track_caller]
    pub fn filter(&self, f: impl Fn(&T) -> bool + Send + Sync + 'static) -> Dataset<T> {
        self.with_shared_fn("filter", f, |f, it| Box::new(it.filter(move |x| f(x))))
    }

    /// Applies `f` to every element and flattens the results.
    #[track_caller]
    pub fn flat_map<U: Data, I>(&self, f: impl Fn(T) -> I + Send + Sync + 'static) -> Dataset<U>
    where
        I: IntoIterator<Item = U> + 'static,
        I::IntoIter: Send + 'static,
    {
        self.with_shared_fn("flat_map", f, |f, it| Box::new(it.flat_map(move |x| f(x))))
    }

    /// Pairs every element with a key computed from it.
    #[track_caller]
    pub fn key_by<K: Data>(&self, f: impl Fn(&T) -> K + Send + Sync + 'static) -> Dataset<(K, T)> {
        self.with_shared_fn("key_by", f, |f, it| Box::new(it.map(move |x| (f(&x), x))))
    }

    /// Applies `f` to each whole partition (an iterator), once per partition:
    /// the place for per-partition set-up and map-side aggregation.
    #[track_caller]
    pub fn map_partitions<U: Data, I>(
        &self,
        f: impl Fn(Partition<T>) -> I + Send + Sync + 'static,
    ) -> Dataset<U>
    where
        I: IntoIterator<Item = U>,
        I::IntoIter: Send + 'static,
    {
        self.with_index_fn("map_partitions", move |_, it| f(it))
    }

    /// Like `map_partitions`, with the partition index.
    #[track_caller]
    pub fn map_partitions_with_index<U: Data, I>(
        &self,
        f: impl Fn(usize, Partition<T>) -> I + Send + Sync + 'static,
    ) -> Dataset<U>
    where
        I: IntoIterator<Item = U>,
        I::IntoIter: Send + 'static,
    {
        self.with_index_fn("map_partitions_with_index", f)
    }

    /// A narrow transformation named `op`: `f` of each partition's index and
    /// elements.
    #[track_caller]
    fn with_index_fn<U: Data, I>(
        &self,
        op: &str,
        f: impl Fn(usize, Partition<T>) -> I + Send + Sync + 'static,
    ) -> Dataset<U>
    where
        I: IntoIterator<Item = U>,
        I::IntoIter: Send + 'static,
    {
        self.with_partition_fn(op, Arc::new(move |i, it| Box::new(f(i, it).into_iter())))
    }

    /// The elements of `self` followed by those of `other` (duplicates kept);
    /// its partitions are both datasets' partitions.
    #[track_caller]
    pub fn union(&self, other: &Dataset<T>) -> Dataset<T> {
        let info = self.ctx.node_info("Union", "union");
        Dataset::from_node(
            self.ctx.clone(),
            UnionNode::new(info, vec![self.clone(), other.clone()]),
        )
    }
}

impl<T: Data + Codec> Dataset<T> {
    /// At most `n` partitions, by chaining neighbouring partitions without a
    /// shuffle (asking for more partitions than there are keeps them as they are;
    /// use `repartition` to add partitions).
    ///
    /// On ranks, a coalesced partition lives on one rank: when the
    /// partitions it chains live on several (the output of a shuffle), they
    /// are moved to its rank through an exchange (a shuffle that keeps
    /// every element in its partition and its order), so the elements and
    /// their order are those one process gives.
    #[track_caller]
    pub fn coalesce(&self, n: usize) -> Dataset<T> {
        let info = self.ctx.node_info("Coalesced", &format!("coalesce({n})"));
        let node = CoalesceNode::new(info, self.clone(), n.max(1));
        match node.spans_ranks(self.ctx.ranks()) {
            true => self.coalesce_across_ranks(n.max(1)),
            false => Dataset::from_node(self.ctx.clone(), node),
        }
    }
    /// Keeps partitions in memory once computed (within the memory budget).
    /// Returns the cached dataset: use it, not `self`, in later jobs.
    #[track_caller]
    pub fn cache(&self) -> Dataset<T> {
        self.persist()
    }

    /// The same as `cache`: `persist_with(StorageLevel::MemoryOnly)` (a
    /// partition that does not fit, or is evicted, is recomputed from lineage
    /// when needed).
    #[track_caller]
    pub fn persist(&self) -> Dataset<T> {
        self.persist_with(StorageLevel::MemoryOnly)
    }

    /// Keeps partitions once computed at storage `level` (see
    /// [`StorageLevel`]); `StorageLevel::None` returns the dataset as it is.
    /// Returns the persisted dataset: use it, not `self`, in later jobs.
    #[track_caller]
    pub fn persist_with(&self, level: StorageLevel) -> Dataset<T> {
        if level == StorageLevel::None {
            return self.clone();
        }
        let info = self.ctx.node_info("Cached", "persist");
        let node = Arc::new(CachedNode::new(info, self.ctx.clone(), self.clone(), level));
        Dataset {
            ctx: self.ctx.clone(),
            node: node.clone(),
            lineage: node.clone(),
            cached: Some(node),
            extras: self.extras.clone(),
        }
    }

    /// Stops caching this dataset and frees what it holds (no-op if it is
    /// not a cached dataset).
    pub fn unpersist(&self) {
        if let Some(c) = &self.cached {
            c.unpersist();
        }
    }

    /// Drops one cached partition, as losing an executor would; the next job
    /// that needs it recomputes it from lineage. Returns whether it was cached.
    pub fn evict_cached_partition(&self, partition: usize) -> bool {
        self.cached.as_ref().is_some_and(|c| c.evict(partition))
    }

    /// How many partitions of this (cached) dataset are in memory now.
    pub fn cached_partitions(&self) -> usize {
        self.cached.as_ref().map_or(0, |c| c.stats().0)
    }
}

/// Appends the lineage of `node` to `out`: its line, prefixed by `first`,
/// then its parents', indented by `rest`.
fn write_lineage(out: &mut String, node: &dyn Lineage, first: &str, rest: &str, stage_head: bool) {
    let info = node.info();
    out.push_str(first);
    if stage_head {
        let _ = write!(out, "({}) ", node.num_partitions());
    }
    let _ = write!(out, "{}[{}] at {}", info.kind, info.id, info.op);
    let extra = node.extra();
    if !extra.is_empty() {
        let _ = write!(out, " {extra}");
    }
    out.push('\n');
    for dep in node.deps() {
        match dep {
            Dependency::Narrow(parent) => {
                write_lineage(out, parent.as_ref(), &format!("{rest} |  "), rest, false)
            }
            Dependency::Shuffle(shuffle) => write_lineage(
                out,
                shuffle.parent().as_ref(),
                &format!("{rest} +-"),
                &format!("{rest}   "),
                true,
            ),
        }
    }
}
