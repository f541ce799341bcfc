//! `union`: the partitions of several datasets, one after the other.

use crate::dataset::Dataset;
use crate::error::Result;
use crate::lineage::{Dependency, Lineage, Node, NodeInfo, PartitionIter};
use crate::task::TaskContext;
use crate::Data;

/// The partitions of `parents`, in order.
pub(crate) struct UnionNode<T> {
    info: NodeInfo,
    parents: Vec<Dataset<T>>,
}

impl<T: Data> UnionNode<T> {
    pub(crate) fn new(info: NodeInfo, parents: Vec<Dataset<T>>) -> Self {
        UnionNode { info, parents }
    }
}

impl<T: Data> Lineage for UnionNode<T> {
    fn info(&self) -> &NodeInfo {
        &self.info
    }
    fn num_partitions(&self) -> usize {
        self.parents.iter().map(|p| p.num_partitions()).sum()
    }
    fn deps(&self) -> Vec<Dependency> {
        self.parents
            .iter()
            .map(|p| Dependency::Narrow(p.lineage.clone()))
            .collect()
    }
    fn home(&self, mut partition: usize, ranks: usize) -> Option<usize> {
        for parent in &self.parents {
            let n = parent.num_partitions();
            if partition < n {
                return parent.lineage.home(partition, ranks);
            }
            partition -= n;
        }
        None
    }
}

impl<T: Data> Node<T> for UnionNode<T> {
    fn compute(&self, mut partition: usize, tc: &TaskContext) -> Result<PartitionIter<T>> {
        for parent in &self.parents {
            let n = parent.num_partitions();
            if partition < n {
                return parent.node.compute(partition, tc);
            }
            partition -= n;
        }
        Ok(Box::new(std::iter::empty()))
    }
}
