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
        let n = self.parent.num_partitions();
        let k = self.num_partitions();
        (i * n / k)..((i + 1) * n / k)
    }
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
