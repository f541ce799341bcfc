//! The context: the threads and the shared state (memory budget, cache,
//! counters, spill directory) every job of its datasets runs with.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::builder::ContextBuilder;
use crate::error::{DatasetError, Result};
use crate::lineage::NodeInfo;
use crate::memory::{Cache, Memory};
use crate::metrics::{Counters, Metrics};

/// When to draw progress lines on standard error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProgressMode {
    /// Only when standard error is a terminal (the default).
    Auto,
    /// Never.
    Never,
    /// Always, even when standard error is a file or a pipe.
    Always,
}

pub(crate) struct Inner {
    pub(crate) threads: usize,
    pub(crate) max_attempts: usize,
    pub(crate) progress: bool,
    pub(crate) memory: Arc<Memory>,
    pub(crate) cache: Cache,
    pub(crate) counters: Counters,
    spill_base: Option<PathBuf>,
    spill_dir: Mutex<Option<tempfile::TempDir>>,
    next_id: AtomicUsize,
    next_stage: AtomicUsize,
}

/// The entry point, Spark's `SparkContext`: a pool of local threads and the
/// settings every job of its datasets runs with. Cloning is cheap (shared).
///
/// ```
/// let ctx = dataset::Context::local(2);
/// assert_eq!(ctx.default_parallelism(), 2);
/// assert_eq!(ctx.default_min_partitions(), 2);
/// ```
#[derive(Clone)]
pub struct Context {
    pub(crate) inner: Arc<Inner>,
}

impl Default for Context {
    /// A context with one thread per core.
    fn default() -> Self {
        Context::builder().build()
    }
}

impl Context {
    /// A context running tasks on `threads` local threads (Spark's
    /// `local[threads]`); 0 means one per core.
    pub fn local(threads: usize) -> Context {
        Context::builder().threads(threads).build()
    }

    /// Settings beyond the thread count.
    pub fn builder() -> ContextBuilder {
        ContextBuilder::default()
    }

    pub(crate) fn new(settings: ContextBuilder) -> Context {
        use std::io::IsTerminal;
        let threads = if settings.threads == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            settings.threads
        };
        let memory = Arc::new(Memory::new(settings.memory_budget));
        let progress = match settings.progress {
            ProgressMode::Auto => std::io::stderr().is_terminal(),
            ProgressMode::Never => false,
            ProgressMode::Always => true,
        };
        Context {
            inner: Arc::new(Inner {
                threads,
                max_attempts: settings.max_attempts,
                progress,
                cache: Cache::new(memory.clone()),
                memory,
                counters: Counters::default(),
                spill_base: settings.spill_dir,
                spill_dir: Mutex::new(None),
                next_id: AtomicUsize::new(0),
                next_stage: AtomicUsize::new(0),
            }),
        }
    }

    /// Threads tasks run on (Spark's `defaultParallelism`).
    pub fn default_parallelism(&self) -> usize {
        self.inner.threads
    }

    /// Partitions `text_file` makes at least, when not told: `min(threads, 2)`
    /// as in Spark.
    pub fn default_min_partitions(&self) -> usize {
        self.inner.threads.min(2)
    }

    /// Bytes of the memory budget in use now (cache and shuffles).
    pub fn memory_used(&self) -> usize {
        self.inner.memory.used()
    }

    /// What the engine has done so far.
    pub fn metrics(&self) -> Metrics {
        self.inner
            .counters
            .snapshot(self.inner.cache.evictions.load(Ordering::Relaxed))
    }

    pub(crate) fn next_id(&self) -> usize {
        self.inner.next_id.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn next_stage(&self) -> usize {
        self.inner.counters.stages.fetch_add(1, Ordering::Relaxed);
        self.inner.next_stage.fetch_add(1, Ordering::Relaxed)
    }

    /// A node description for a transformation called from user code.
    #[track_caller]
    pub(crate) fn node_info(&self, kind: &'static str, op: &str) -> NodeInfo {
        let loc = std::panic::Location::caller();
        NodeInfo {
            id: self.next_id(),
            kind,
            op: format!("{op} at {}:{}", loc.file(), loc.line()),
        }
    }

    /// The spill directory, created on first use.
    pub(crate) fn spill_dir(&self) -> Result<PathBuf> {
        let mut dir = self
            .inner
            .spill_dir
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(d) = dir.as_ref() {
            return Ok(d.path().to_path_buf());
        }
        let base = self
            .inner
            .spill_base
            .clone()
            .unwrap_or_else(std::env::temp_dir);
        let made = tempfile::Builder::new()
            .prefix("hpcrs-spill-")
            .tempdir_in(&base)
            .map_err(|e| DatasetError::io(&base, e))?;
        let path = made.path().to_path_buf();
        *dir = Some(made);
        Ok(path)
    }
}
