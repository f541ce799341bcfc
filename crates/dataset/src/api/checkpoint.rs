//! `checkpoint` and `local_checkpoint`: compute a dataset once, store its
//! partitions, and continue from a dataset whose lineage starts there (so
//! later failures and long iterative lineages do not recompute the past).

use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::actions::stage_name;
use crate::codec::Codec;
use crate::dataset::Dataset;
use crate::error::Result;
use crate::nodes::{DiskStore, MaterializedNode, Stored};
use crate::scheduler::run_tasks;
use crate::Data;

impl<T: Data + Codec> Dataset<T> {
    /// Computes every partition now and writes it, encoded, to a directory
    /// of its own under the context's checkpoint directory (see
    /// [`ContextBuilder::checkpoint_dir`](crate::ContextBuilder::checkpoint_dir);
    /// by default the spill directory);
    /// returns a dataset that reads those files and has no parents (Spark's
    /// `checkpoint`, done eagerly). The files are removed when the returned
    /// dataset (and its clones and descendants) are dropped.
    #[track_caller]
    pub fn checkpoint(&self) -> Result<Dataset<T>> {
        let base = self.ctx.inner.checkpoint_base.clone();
        let store = DiskStore::new_in(self.ctx.clone(), "hpcrs-checkpoint-", base);
        let dir = store.dir()?;
        run_tasks(
            self,
            &stage_name("checkpoint"),
            &self.all_partitions(),
            |tc, it| store.put(tc.partition, it),
        )?;
        let info = self.ctx.node_info("Checkpointed", "checkpoint");
        let node = MaterializedNode::new(info, self.num_partitions(), Stored::Disk(store));
        let mut out = Dataset::from_node(self.ctx.clone(), node);
        out.extras.name = self.extras.name.clone();
        out.extras.checkpoint = Some(Arc::from(dir.as_path()));
        Ok(out)
    }

    /// Computes every partition now and keeps it in memory; returns a dataset
    /// of those partitions with no parents (Spark's `localCheckpoint`: fast,
    /// but the partitions cannot be recomputed if lost, and they are not
    /// counted against the memory budget).
    #[track_caller]
    pub fn local_checkpoint(&self) -> Result<Dataset<T>> {
        // Each task keeps its partition where it ran; nothing travels.
        let n = self.num_partitions();
        let kept: Mutex<Vec<Option<Arc<Vec<T>>>>> = Mutex::new(vec![None; n]);
        run_tasks(
            self,
            &stage_name("local_checkpoint"),
            &self.all_partitions(),
            |tc, it| {
                let part = Arc::new(it.collect::<Vec<T>>());
                kept.lock().unwrap_or_else(|e| e.into_inner())[tc.partition] = Some(part);
                Ok(())
            },
        )?;
        let parts = kept.into_inner().unwrap_or_else(|e| e.into_inner());
        let info = self.ctx.node_info("LocalCheckpointed", "local_checkpoint");
        let node = MaterializedNode::new(info, n, Stored::Memory(parts));
        let mut out = Dataset::from_node(self.ctx.clone(), node);
        out.extras.name = self.extras.name.clone();
        out.extras.local_checkpoint = true;
        Ok(out)
    }
}

impl<T: Data> Dataset<T> {
    /// Whether this dataset was made by `checkpoint` (its partitions are
    /// read from files).
    pub fn is_checkpointed(&self) -> bool {
        self.extras.checkpoint.is_some()
    }

    /// Whether this dataset was made by `local_checkpoint`.
    pub fn is_locally_checkpointed(&self) -> bool {
        self.extras.local_checkpoint
    }

    /// The directory `checkpoint` wrote this dataset to, if it did.
    pub fn get_checkpoint_file(&self) -> Option<&Path> {
        self.extras.checkpoint.as_deref()
    }
}
