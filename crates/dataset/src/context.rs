//! The context: the threads and the shared state (memory budget, cache,
//! counters, spill directory) every job of its datasets runs with.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use runtime::pool::Threads;
use runtime::progress::SharedProgress;

use crate::builder::ContextBuilder;
use crate::error::{DatasetError, Result};
use crate::lineage::NodeInfo;
use crate::memory::{Cache, Memory};
use crate::metrics::{Counters, Metrics};

/// What the clones of a context share.
pub(crate) struct Inner {
    threads: Threads,
    /// The pool stages run on; `None` is rayon's global pool (all cores).
    pub(crate) pool: Option<Arc<rayon::ThreadPool>>,
    pub(crate) max_attempts: usize,
    pub(crate) progress: SharedProgress,
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
/// let ctx = dataset::Context::local(2)?;
/// assert_eq!(ctx.default_parallelism(), 2);
/// assert_eq!(ctx.default_min_partitions(), 2);
/// # Ok::<(), dataset::DatasetError>(())
/// ```
#[derive(Clone)]
pub struct Context {
    pub(crate) inner: Arc<Inner>,
}

impl Default for Context {
    /// A context with one thread per core, silent.
    fn default() -> Self {
        Context::new(ContextBuilder::default(), Threads::AllCores, None)
    }
}

impl Context {
    /// A context running tasks on `threads` local threads (Spark's
    /// `local[threads]`); 0 means one per core (see
    /// [`ContextBuilder::threads`]).
    pub fn local(threads: usize) -> Result<Context> {
        Context::builder().threads(threads).build()
    }

    /// Settings beyond the thread count.
    pub fn builder() -> ContextBuilder {
        ContextBuilder::default()
    }

    /// A context with `settings`, running on `pool`, the pool of `threads`.
    pub(crate) fn new(
        settings: ContextBuilder,
        threads: Threads,
        pool: Option<Arc<rayon::ThreadPool>>,
    ) -> Context {
        let memory = Arc::new(Memory::new(settings.memory_budget));
        Context {
            inner: Arc::new(Inner {
                threads,
                pool,
                max_attempts: settings.max_attempts,
                progress: settings.progress,
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
        self.inner.threads.count()
    }

    /// Partitions `text_file` makes at least, when not told: `min(threads, 2)`
    /// as in Spark.
    pub fn default_min_partitions(&self) -> usize {
        self.default_parallelism().min(2)
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
        let mut builder = tempfile::Builder::new();
        builder.prefix("hpcrs-spill-");
        let made = match &self.inner.spill_base {
            Some(base) => builder
                .tempdir_in(base)
                .map_err(|e| DatasetError::io(base, e)),
            None => builder
                .tempdir()
                .map_err(|e| DatasetError::io(tempfile::env::temp_dir(), e)),
        }?;
        let path = made.path().to_path_buf();
        *dir = Some(made);
        Ok(path)
    }
}
