//! What a running task knows about itself.

use std::sync::{Arc, Mutex};

use crate::error::{DatasetError, Result};

/// The partition a task computes, and the first failure of the lazy
/// iterators it runs (an I/O error while reading a file), which cannot
/// return it themselves.
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

    /// `Err` with the recorded failure, if any (taking it).
    pub(crate) fn check(&self) -> Result<()> {
        match self
            .failure
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}
