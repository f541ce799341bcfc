//! The lineage graph: every dataset is a node that knows its partitions, its
//! parents (narrow or shuffle dependencies) and how to compute one partition.

use std::sync::Arc;

use crate::error::Result;
use crate::ranks::reducer_home;
use crate::task::TaskContext;

/// The elements of one partition, produced lazily.
pub type PartitionIter<T> = Box<dyn Iterator<Item = T> + Send>;

/// What a dataset node is, for `debug_string` and error messages.
#[derive(Clone, Debug)]
pub(crate) struct NodeInfo {
    /// Numbered per context, in creation order (Spark's RDD id).
    pub(crate) id: usize,
    /// The kind of node (`MapPartitions`, `Shuffled`, …).
    pub(crate) kind: &'static str,
    /// The transformation and the call site that created it.
    pub(crate) op: String,
}

/// How a node depends on a parent.
pub(crate) enum Dependency {
    /// Partition i needs a few known partitions of the parent: pipelined in one task.
    Narrow(Arc<dyn Lineage>),
    /// Partition i needs data from every parent partition: a stage boundary.
    Shuffle(Arc<dyn ShuffleStage>),
}

/// The untyped view of a node, for scheduling and `debug_string`.
pub(crate) trait Lineage: Send + Sync {
    fn info(&self) -> &NodeInfo;
    fn num_partitions(&self) -> usize;
    fn deps(&self) -> Vec<Dependency>;
    /// Checks that can only be made when an action runs (a missing input path).
    fn validate(&self) -> Result<()> {
        Ok(())
    }
    /// Extra text for `debug_string` (cache state, say).
    fn extra(&self) -> String {
        String::new()
    }
    /// The rank that holds partition `partition` when the context runs on
    /// `ranks` ranks, if its data lives on one rank (a shuffle's output, or
    /// what is computed from it); `None` if any rank can compute it (a
    /// source: every rank reads the same files or holds the same items).
    /// By default a partition lives where partition `partition` of its
    /// first parent lives (right for one-to-one dependencies).
    fn home(&self, partition: usize, ranks: usize) -> Option<usize> {
        match self.deps().first() {
            Some(Dependency::Narrow(parent)) => parent.home(partition, ranks),
            Some(Dependency::Shuffle(_)) => Some(reducer_home(partition, ranks)),
            None => None,
        }
    }
}

/// The rank that computes partition `partition` of `node` on `ranks` ranks:
/// where its data lives, or, for partitions any rank can compute,
/// round-robin.
pub(crate) fn placement(node: &dyn Lineage, partition: usize, ranks: usize) -> usize {
    node.home(partition, ranks).unwrap_or(partition % ranks)
}

/// A node producing elements of type `T`.
pub(crate) trait Node<T>: Lineage {
    fn compute(&self, partition: usize, tc: &TaskContext) -> Result<PartitionIter<T>>;
}

/// A node whose partition i is computed from partition i of one parent
/// (`map_partitions`, `cache`): its lineage follows from that.
pub(crate) trait OneToOne: Send + Sync {
    fn info(&self) -> &NodeInfo;
    /// The parent's lineage.
    fn parent(&self) -> &Arc<dyn Lineage>;
    /// Extra text for `debug_string`.
    fn extra(&self) -> String {
        String::new()
    }
}

impl<N: OneToOne> Lineage for N {
    fn info(&self) -> &NodeInfo {
        OneToOne::info(self)
    }
    fn num_partitions(&self) -> usize {
        self.parent().num_partitions()
    }
    fn deps(&self) -> Vec<Dependency> {
        vec![Dependency::Narrow(self.parent().clone())]
    }
    fn extra(&self) -> String {
        OneToOne::extra(self)
    }
    fn home(&self, partition: usize, ranks: usize) -> Option<usize> {
        self.parent().home(partition, ranks)
    }
}

/// The map side of a shuffle, run as a stage before its readers.
pub(crate) trait ShuffleStage: Send + Sync {
    /// The dataset whose partitions the map tasks read.
    fn parent(&self) -> Arc<dyn Lineage>;
    /// Whether every map output is present.
    fn is_done(&self) -> bool;
    /// Runs the whole map stage if it has not run (idempotent, thread-safe).
    fn run(&self) -> Result<()>;
}
