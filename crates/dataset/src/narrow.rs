//! Narrow transformations: each output partition reads a known few parent
//! partitions, so they pipeline inside one task.

use std::sync::Arc;

use crate::context::NodeInfo;
use crate::dataset::Dataset;
use crate::error::Result;
use crate::node::{Dependency, Lineage, Node, PartitionIter, TaskContext};
use crate::Data;

type PartitionFn<T, U> = dyn Fn(usize, PartitionIter<T>) -> PartitionIter<U> + Send + Sync;

/// map, filter, flat_map, map_partitions: a function of (partition index,
/// parent's partition iterator).
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

impl<T: Data, U: Data> Lineage for MapPartitionsNode<T, U> {
    fn info(&self) -> &NodeInfo {
        &self.info
    }
    fn num_partitions(&self) -> usize {
        self.parent.num_partitions()
    }
    fn deps(&self) -> Vec<Dependency> {
        vec![Dependency::Narrow(self.parent.lineage.clone())]
    }
}

impl<T: Data, U: Data> Node<U> for MapPartitionsNode<T, U> {
    fn compute(&self, partition: usize, tc: &TaskContext) -> Result<PartitionIter<U>> {
        let input = self.parent.node.compute(partition, tc)?;
        Ok((self.f)(partition, input))
    }
}

/// The partitions of several datasets, one after the other.
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

/// Fewer partitions without a shuffle: output partition i chains a contiguous
/// run of parent partitions.
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
