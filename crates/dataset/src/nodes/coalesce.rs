//! `coalesce`: fewer partitions without a shuffle.

use crate::dataset::Dataset;
use crate::error::Result;
use crate::lineage::{Dependency, Lineage, Node, NodeInfo, PartitionIter};
use crate::task::TaskContext;
use crate::Data;

/// Output partition i chains a contiguous run of parent partitions.
pub(crate) struct CoalesceNode<T> {
    info: NodeInfo,
    parent: Dataset<T>,
    target: usize,
}

impl<T: Data> CoalesceNode<T> {
    pub(crate) fn new(info: NodeInfo, parent: Dataset<T>, target: usize) -> Self {
        CoalesceNode {
            info,
            parent,
            target,
        }
    }

    /// The parent partitions of output partition `i`.
    fn group(&self, i: usize) -> std::ops::Range<usize> {
        group(i, self.parent.num_partitions(), self.num_partitions())
    }

    /// Whether some output partition chains parent partitions that live on
    /// different ranks of `ranks` (then they must be moved to one rank).
    pub(crate) fn spans_ranks(&self, ranks: usize) -> bool {
        ranks > 1
            && (0..self.num_partitions()).any(|i| {
                let mut homes = self
                    .group(i)
                    .filter_map(|p| self.parent.lineage.home(p, ranks));
                homes
                    .next()
                    .is_some_and(|first| homes.any(|home| home != first))
            })
    }
}

/// The parent partitions (out of `parents`) that output partition `i` of
/// `outputs` chains: a contiguous run, runs in order.
pub(crate) fn group(i: usize, parents: usize, outputs: usize) -> std::ops::Range<usize> {
    (i * parents / outputs)..((i + 1) * parents / outputs)
}

impl<T: Data> Lineage for CoalesceNode<T> {
    fn info(&self) -> &NodeInfo {
        &self.info
    }
    fn num_partitions(&self) -> usize {
        // Coalescing never adds partitions (that needs `repartition`).
        self.target.min(self.parent.num_partitions()).max(1)
    }
    fn deps(&self) -> Vec<Dependency> {
        vec![Dependency::Narrow(self.parent.lineage.clone())]
    }
    /// Where the first of its parent partitions that lives on a rank lives
    /// (a group whose partitions live on several ranks cannot be read on
    /// one: reading a shuffle's partition elsewhere is an error).
    fn home(&self, partition: usize, ranks: usize) -> Option<usize> {
        self.group(partition)
            .find_map(|p| self.parent.lineage.home(p, ranks))
    }
}

impl<T: Data> Node<T> for CoalesceNode<T> {
    fn compute(&self, partition: usize, tc: &TaskContext) -> Result<PartitionIter<T>> {
        let parent = self.parent.clone();
        let tc = tc.clone();
        // Parent partitions are opened one at a time, as the chain reaches them.
        let iter = self
            .group(partition)
            .flat_map(move |p| match parent.node.compute(p, &tc) {
                Ok(it) => it,
                Err(e) => {
                    tc.fail(e);
                    Box::new(std::iter::empty())
                }
            });
        Ok(Box::new(iter))
    }
}
