//! The lineage graph: every dataset is a node that knows its partitions, its
//! parents (narrow or shuffle dependencies) and how to compute one partition.

use std::sync::{Arc, Mutex};

use crate::context::NodeInfo;
use crate::error::{DatasetError, Result};

/// The elements of one partition, produced lazily.
pub type PartitionIter<T> = Box<dyn Iterator<Item = T> + Send>;

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
}

/// A node producing elements of type `T`.
pub(crate) trait Node<T>: Lineage {
    fn compute(&self, partition: usize, tc: &TaskContext) -> Result<PartitionIter<T>>;
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

/// What a running task knows about itself; iterators that fail mid-stream
/// (an I/O error while reading a file) record the error here.
#[derive(Clone)]
pub(crate) struct TaskContext {
    pub(crate) partition: usize,
    failure: Arc<Mutex<Option<DatasetError>>>,
}

impl TaskContext {
    pub(crate) fn new(partition: usize) -> Self {
        TaskContext {
            partition,
            failure: Arc::new(Mutex::new(None)),
        }
    }

    /// Records a failure seen by a lazy iterator; the first one wins.
    pub(crate) fn fail(&self, err: DatasetError) {
        let mut slot = self.failure.lock().unwrap_or_else(|e| e.into_inner());
        slot.get_or_insert(err);
    }

    /// The failure recorded so far, if any.
    pub(crate) fn take_failure(&self) -> Option<DatasetError> {
        self.failure
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
    }

    /// `Err` if a failure was recorded.
    pub(crate) fn check(&self) -> Result<()> {
        match self.take_failure() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}
