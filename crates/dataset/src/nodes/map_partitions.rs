//! `map`, `filter`, `flat_map`, `map_partitions`, …: a function of each
//! parent partition, pipelined in the parent's task.

use std::sync::Arc;

use crate::dataset::Dataset;
use crate::error::Result;
use crate::lineage::{Lineage, Node, NodeInfo, OneToOne, PartitionIter};
use crate::task::TaskContext;
use crate::Data;

/// A function of (partition index, the parent's partition).
pub(crate) type PartitionFn<T, U> =
    dyn Fn(usize, PartitionIter<T>) -> PartitionIter<U> + Send + Sync;

/// The parent's partitions, each passed through a [`PartitionFn`].
pub(crate) struct MapPartitionsNode<T, U> {
    info: NodeInfo,
    parent: Dataset<T>,
    f: Arc<PartitionFn<T, U>>,
}

impl<T: Data, U: Data> MapPartitionsNode<T, U> {
    pub(crate) fn new(info: NodeInfo, parent: Dataset<T>, f: Arc<PartitionFn<T, U>>) -> Self {
        MapPartitionsNode { info, parent, f }
    }
}

impl<T: Data, U: Data> OneToOne for MapPartitionsNode<T, U> {
    fn info(&self) -> &NodeInfo {
        &self.info
    }
    fn parent(&self) -> &Arc<dyn Lineage> {
        &self.parent.lineage
    }
}

impl<T: Data, U: Data> Node<U> for MapPartitionsNode<T, U> {
    fn compute(&self, partition: usize, tc: &TaskContext) -> Result<PartitionIter<U>> {
        let input = self.parent.node.compute(partition, tc)?;
        Ok((self.f)(partition, input))
    }
}
