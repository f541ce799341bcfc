//! The settings of a [`Context`]: threads, memory budget, retries, spill
//! directory, progress.

use std::path::PathBuf;

use crate::context::{Context, ProgressMode};

/// Default memory budget for cached partitions and in-memory shuffle data.
pub const DEFAULT_MEMORY_BUDGET: usize = 1 << 30;

/// Default number of attempts of a task before its action fails (Spark's
/// `spark.task.maxFailures`).
pub const DEFAULT_MAX_ATTEMPTS: usize = 4;

/// Settings for a [`Context`]; start with [`Context::builder`].
#[derive(Clone, Debug)]
pub struct ContextBuilder {
    pub(crate) threads: usize,
    pub(crate) memory_budget: usize,
    pub(crate) max_attempts: usize,
    pub(crate) spill_dir: Option<PathBuf>,
    pub(crate) progress: ProgressMode,
}

impl Default for ContextBuilder {
    fn default() -> Self {
        ContextBuilder {
            threads: 0,
            memory_budget: DEFAULT_MEMORY_BUDGET,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            spill_dir: None,
            progress: ProgressMode::Auto,
        }
    }
}

impl ContextBuilder {
    /// Worker threads; 0 (the default) means one per core.
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = threads;
        self
    }

    /// Bytes for cached partitions and in-memory shuffle data together
    /// (default [`DEFAULT_MEMORY_BUDGET`]). Beyond it, shuffles spill to disk
    /// and cached partitions are dropped, to be recomputed from lineage.
    pub fn memory_budget(mut self, bytes: usize) -> Self {
        self.memory_budget = bytes;
        self
    }

    /// Attempts per task before the action fails (at least 1; default 4).
    pub fn max_attempts(mut self, attempts: usize) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Where spill files go (a fresh subdirectory is made there and removed
    /// when the context is dropped); default: the system temporary directory.
    pub fn spill_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.spill_dir = Some(dir.into());
        self
    }

    /// When to show progress lines (default [`ProgressMode::Auto`]).
    pub fn progress(mut self, mode: ProgressMode) -> Self {
        self.progress = mode;
        self
    }

    /// Creates the context.
    pub fn build(self) -> Context {
        Context::new(self)
    }
}
