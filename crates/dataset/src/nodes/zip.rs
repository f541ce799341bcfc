//! `zip`: partition i of one parent paired element by element with
//! partition i of the other.

use crate::dataset::Dataset;
use crate::error::{DatasetError, Result};
use crate::lineage::{Dependency, Lineage, Node, NodeInfo, PartitionIter};
use crate::task::TaskContext;
use crate::Data;

/// Pairs of the parents' elements, partition by partition; both must have
/// as many partitions, and each partition as many elements.
pub(crate) struct ZipNode<T, U> {
    info: NodeInfo,
    left: Dataset<T>,
    right: Dataset<U>,
}

impl<T: Data, U: Data> ZipNode<T, U> {
    pub(crate) fn new(info: NodeInfo, left: Dataset<T>, right: Dataset<U>) -> Self {
        ZipNode { info, left, right }
    }
}

impl<T: Data, U: Data> Lineage for ZipNode<T, U> {
    fn info(&self) -> &NodeInfo {
        &self.info
    }
    fn num_partitions(&self) -> usize {
        self.left.num_partitions()
    }
    fn deps(&self) -> Vec<Dependency> {
        vec![
            Dependency::Narrow(self.left.lineage.clone()),
            Dependency::Narrow(self.right.lineage.clone()),
        ]
    }
    fn validate(&self) -> Result<()> {
        let (l, r) = (self.left.num_partitions(), self.right.num_partitions());
        if l != r {
            return Err(DatasetError::InvalidArgument(format!(
                "zip: datasets of {l} and {r} partitions (they must have as many)"
            )));
        }
        Ok(())
    }
}

impl<T: Data, U: Data> Node<(T, U)> for ZipNode<T, U> {
    fn compute(&self, partition: usize, tc: &TaskContext) -> Result<PartitionIter<(T, U)>> {
        Ok(Box::new(Zipped {
            left: self.left.node.compute(partition, tc)?,
            right: self.right.node.compute(partition, tc)?,
            partition,
            tc: tc.clone(),
        }))
    }
}

/// Pairs until both sides end; one ending first fails the task.
struct Zipped<T, U> {
    left: PartitionIter<T>,
    right: PartitionIter<U>,
    partition: usize,
    tc: TaskContext,
}

impl<T, U> Iterator for Zipped<T, U> {
    type Item = (T, U);
    fn next(&mut self) -> Option<(T, U)> {
        match (self.left.next(), self.right.next()) {
            (Some(a), Some(b)) => Some((a, b)),
            (None, None) => None,
            (a, _) => {
                let longer = if a.is_some() { "first" } else { "second" };
                self.tc.fail(DatasetError::InvalidArgument(format!(
                    "zip: partition {} has more elements in the {longer} dataset \
                     (each partition must have as many in both)",
                    self.partition
                )));
                None
            }
        }
    }
}
