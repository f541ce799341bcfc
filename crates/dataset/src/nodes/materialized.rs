//! `checkpoint` / `local_checkpoint`: a dataset whose partitions were
//! computed once and stored, on disk or in memory, with no parents: its
//! lineage starts here.

use std::sync::Arc;

use crate::codec::Codec;
use crate::error::{DatasetError, Result};
use crate::lineage::{Dependency, Lineage, Node, NodeInfo, PartitionIter};
use crate::nodes::DiskStore;
use crate::task::TaskContext;
use crate::Data;

/// Where the partitions are.
pub(crate) enum Stored<T> {
    /// Encoded files, one per partition (removed with the node).
    Disk(DiskStore<T>),
    /// The elements themselves, of the partitions this process computed.
    Memory(Vec<Option<Arc<Vec<T>>>>),
}

/// Stored partitions, read back.
pub(crate) struct MaterializedNode<T> {
    info: NodeInfo,
    partitions: usize,
    stored: Stored<T>,
}

impl<T: Data + Codec> MaterializedNode<T> {
    pub(crate) fn new(info: NodeInfo, partitions: usize, stored: Stored<T>) -> Self {
        MaterializedNode {
            info,
            partitions,
            stored,
        }
    }
}

impl<T: Data + Codec> Lineage for MaterializedNode<T> {
    fn info(&self) -> &NodeInfo {
        &self.info
    }
    fn num_partitions(&self) -> usize {
        self.partitions
    }
    fn deps(&self) -> Vec<Dependency> {
        Vec::new()
    }
    fn extra(&self) -> String {
        match &self.stored {
            Stored::Disk(store) => match store.dir() {
                Ok(dir) => format!("[on disk: {}]", dir.display()),
                Err(_) => "[on disk]".into(),
            },
            Stored::Memory(_) => "[in memory]".into(),
        }
    }
}

impl<T: Data + Codec> Node<T> for MaterializedNode<T> {
    fn compute(&self, partition: usize, tc: &TaskContext) -> Result<PartitionIter<T>> {
        match &self.stored {
            Stored::Disk(store) => store.get(partition, tc),
            Stored::Memory(parts) => {
                let data = parts.get(partition).cloned().flatten().ok_or_else(|| {
                    DatasetError::InvalidArgument(format!(
                        "local checkpoint: partition {partition} was computed elsewhere \
                         and cannot be recomputed"
                    ))
                })?;
                Ok(Box::new((0..data.len()).map(move |i| data[i].clone())))
            }
        }
    }
}
