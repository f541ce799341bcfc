//! The context: threads, memory budget, retries, spill directory; it creates
//! the source datasets (`parallelize`, `text_file`).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::dataset::Dataset;
use crate::error::{DatasetError, Result};
use crate::memory::{Cache, Memory};
use crate::source::{ParallelizeNode, TextFileNode};

/// Default memory budget for cached partitions and in-memory shuffle data.
pub const DEFAULT_MEMORY_BUDGET: usize = 1 << 30;

/// Default number of attempts of a task before its action fails (Spark's
/// `spark.task.maxFailures`).
pub const DEFAULT_MAX_ATTEMPTS: usize = 4;

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

/// Counters of what the engine did, for tests and tuning.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Metrics {
    /// Stages run (shuffle-map, sampling and result stages).
    pub stages: u64,
    /// Task attempts started.
    pub task_attempts: u64,
    /// Task attempts that failed (and were retried, or failed the action).
    pub task_failures: u64,
    /// Partitions read from the cache.
    pub cache_hits: u64,
    /// Partitions of cached datasets that had to be computed.
    pub cache_misses: u64,
    /// Cached partitions dropped to make room.
    pub cache_evictions: u64,
    /// Spill files written by shuffles.
    pub spill_files: u64,
    /// Bytes written to spill files.
    pub spilled_bytes: u64,
}

#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) stages: AtomicU64,
    pub(crate) task_attempts: AtomicU64,
    pub(crate) task_failures: AtomicU64,
    pub(crate) cache_hits: AtomicU64,
    pub(crate) cache_misses: AtomicU64,
    pub(crate) spill_files: AtomicU64,
    pub(crate) spilled_bytes: AtomicU64,
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

/// Settings for a [`Context`]; start with [`Context::builder`].
#[derive(Clone, Debug)]
pub struct ContextBuilder {
    threads: usize,
    memory_budget: usize,
    max_attempts: usize,
    spill_dir: Option<PathBuf>,
    progress: ProgressMode,
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
        use std::io::IsTerminal;
        let threads = if self.threads == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            self.threads
        };
        let memory = Arc::new(Memory::new(self.memory_budget));
        let progress = match self.progress {
            ProgressMode::Auto => std::io::stderr().is_terminal(),
            ProgressMode::Never => false,
            ProgressMode::Always => true,
        };
        Context {
            inner: Arc::new(Inner {
                threads,
                max_attempts: self.max_attempts,
                progress,
                cache: Cache::new(memory.clone()),
                memory,
                counters: Counters::default(),
                spill_base: self.spill_dir,
                spill_dir: Mutex::new(None),
                next_id: AtomicUsize::new(0),
                next_stage: AtomicUsize::new(0),
            }),
        }
    }
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
        let c = &self.inner.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        Metrics {
            stages: get(&c.stages),
            task_attempts: get(&c.task_attempts),
            task_failures: get(&c.task_failures),
            cache_hits: get(&c.cache_hits),
            cache_misses: get(&c.cache_misses),
            cache_evictions: get(&self.inner.cache.evictions),
            spill_files: get(&c.spill_files),
            spilled_bytes: get(&c.spilled_bytes),
        }
    }

    /// A dataset of `items` cut into `num_slices` partitions of nearly equal
    /// length (Spark's `parallelize(x, numSlices)`); 0 slices means
    /// `default_parallelism()`.
    #[track_caller]
    pub fn parallelize<T: crate::Data>(
        &self,
        items: impl IntoIterator<Item = T>,
        num_slices: usize,
    ) -> Dataset<T> {
        let slices = if num_slices == 0 {
            self.default_parallelism()
        } else {
            num_slices
        };
        let node =
            ParallelizeNode::new(self.node_info("Parallelize", "parallelize"), items, slices);
        Dataset::from_node(self.clone(), node)
    }

    /// The lines of a text file, or of every file of a directory (hidden files
    /// and names starting with `_` skipped, as Hadoop does), in at least
    /// `min_partitions` partitions (0: `default_min_partitions()`).
    ///
    /// Files are split into byte ranges whose tasks each read only their own
    /// range, starting at the first line that begins inside it, so a file
    /// larger than memory streams. Lines end at LF, CR or CRLF; invalid UTF-8
    /// is replaced by U+FFFD. Nothing is read here: a missing path makes the
    /// first action fail with an error that names it.
    #[track_caller]
    pub fn text_file(&self, path: impl AsRef<Path>, min_partitions: usize) -> Dataset<String> {
        let min = if min_partitions == 0 {
            self.default_min_partitions()
        } else {
            min_partitions
        };
        let path = path.as_ref().to_path_buf();
        let info = self.node_info("TextFile", &format!("text_file {}", path.display()));
        Dataset::from_node(self.clone(), TextFileNode::new(info, path, min, 0))
    }

    /// The same lines as [`text_file`](Context::text_file) (same splits and
    /// partitions), grouped into blocks of about `block_bytes` bytes (at least
    /// one line each), every line followed by `\n` whatever its terminator was.
    /// For consumers that scan text in bulk: one allocation per block instead
    /// of one per line.
    #[track_caller]
    pub fn text_file_blocks(
        &self,
        path: impl AsRef<Path>,
        min_partitions: usize,
        block_bytes: usize,
    ) -> Dataset<String> {
        let min = if min_partitions == 0 {
            self.default_min_partitions()
        } else {
            min_partitions
        };
        let path = path.as_ref().to_path_buf();
        let info = self.node_info("TextFile", &format!("text_file_blocks {}", path.display()));
        Dataset::from_node(
            self.clone(),
            TextFileNode::new(info, path, min, block_bytes.max(1)),
        )
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

/// What a dataset node is, for `debug_string` and error messages.
#[derive(Clone, Debug)]
pub(crate) struct NodeInfo {
    pub(crate) id: usize,
    pub(crate) kind: &'static str,
    pub(crate) op: String,
}
