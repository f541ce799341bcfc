//! `cartesian`: every pair of a partition of one parent and a partition of
//! the other, one output partition per pair of partitions.

use std::sync::Arc;

use crate::dataset::Dataset;
use crate::error::Result;
use crate::lineage::{Dependency, Lineage, Node, NodeInfo, PartitionIter};
use crate::task::TaskContext;
use crate::Data;

/// Partition `i * m + j` is partition `i` of `left` times partition `j` of
/// `right` (which has `m`).
pub(crate) struct CartesianNode<T, U> {
    info: NodeInfo,
    left: Dataset<T>,
    right: Dataset<U>,
}

impl<T: Data, U: Data> CartesianNode<T, U> {
    pub(crate) fn new(info: NodeInfo, left: Dataset<T>, right: Dataset<U>) -> Self {
        CartesianNode { info, left, right }
    }
}

impl<T: Data, U: Data> Lineage for CartesianNode<T, U> {
    fn info(&self) -> &NodeInfo {
        &self.info
    }
    fn num_partitions(&self) -> usize {
        self.left.num_partitions() * self.right.num_partitions()
    }
    fn deps(&self) -> Vec<Dependency> {
        vec![
            Dependency::Narrow(self.left.lineage.clone()),
            Dependency::Narrow(self.right.lineage.clone()),
        ]
    }
}

impl<T: Data, U: Data> Node<(T, U)> for CartesianNode<T, U> {
    fn compute(&self, partition: usize, tc: &TaskContext) -> Result<PartitionIter<(T, U)>> {
        let m = self.right.num_partitions().max(1);
        let (i, j) = (partition / m, partition % m);
        // The right partition is held in memory and replayed for each
        // element of the left one, which streams.
        let right: Arc<Vec<U>> = Arc::new(self.right.node.compute(j, tc)?.collect());
        let left = self.left.node.compute(i, tc)?;
        Ok(Box::new(left.flat_map(move |x| {
            let right = right.clone();
            (0..right.len()).map(move |k| (x.clone(), right[k].clone()))
        })))
    }
}
