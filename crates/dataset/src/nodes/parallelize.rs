//! `parallelize`: a collection in memory, cut into slices.

use std::sync::Arc;

use crate::error::Result;
use crate::lineage::{Dependency, Lineage, Node, NodeInfo, PartitionIter};
use crate::task::TaskContext;
use crate::Data;

/// Slices of a shared vector.
pub(crate) struct ParallelizeNode<T> {
    info: NodeInfo,
    items: Arc<Vec<T>>,
    slices: usize,
}

impl<T: Data> ParallelizeNode<T> {
    pub(crate) fn new(info: NodeInfo, items: impl IntoIterator<Item = T>, slices: usize) -> Self {
        ParallelizeNode {
            info,
            items: Arc::new(items.into_iter().collect()),
            slices: slices.max(1),
        }
    }
}

impl<T: Data> Lineage for ParallelizeNode<T> {
    fn info(&self) -> &NodeInfo {
        &self.info
    }
    fn num_partitions(&self) -> usize {
        self.slices
    }
    fn deps(&self) -> Vec<Dependency> {
        Vec::new()
    }
}

impl<T: Data> Node<T> for ParallelizeNode<T> {
    fn compute(&self, partition: usize, _tc: &TaskContext) -> Result<PartitionIter<T>> {
        // Spark's slicing: partition i holds [i*len/n, (i+1)*len/n).
        let len = self.items.len();
        let (lo, hi) = (
            partition * len / self.slices,
            (partition + 1) * len / self.slices,
        );
        let items = self.items.clone();
        Ok(Box::new((lo..hi).map(move |i| items[i].clone())))
    }
}
