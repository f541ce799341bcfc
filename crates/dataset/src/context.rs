//! The context: the threads, the ranks, and the shared state (memory
//! budget, cache, counters, spill directory) every job of its datasets runs
//! with.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use runtime::pool::Threads;
use runtime::progress::SharedProgress;
use runtime::temporaries::ScratchDir;

use crate::builder::ContextBuilder;
use crate::error::{DatasetError, Result};
use crate::lineage::NodeInfo;
use crate::memory::{Cache, Memory};
use crate::metrics::{Counters, Metrics};
use crate::ranks::Ranks;

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
    /// The ranks of a distributed context; `None` is one process alone,
    /// which never serialises what it does not spill.
    pub(crate) ranks: Option<Box<dyn Ranks>>,
    spill_base: Option<PathBuf>,
    /// Where `checkpoint` writes (`ContextBuilder::checkpoint_dir`); `None`
    /// is the spill directory.
    pub(crate) checkpoint_base: Option<PathBuf>,
    spill_dir: Mutex<Option<ScratchDir>>,
    next_id: AtomicUsize,
    next_stage: AtomicUsize,
}

/// The entry point, Spark's `SparkContext`: a pool of local threads, the
/// ranks when distributed, and the settings every job of its datasets runs
/// with. Cloning is cheap (shared).
///
/// A context built over a communicator
/// ([`ContextBuilder::build_on`](crate::ContextBuilder::build_on), or
/// [`run_on_local_ranks`](crate::run_on_local_ranks) for ranks as threads)
/// is one rank of a distributed context: every rank runs the same program
/// (SPMD), each partition is computed on one rank, shuffles exchange their
/// buckets between ranks, and every action returns the same value on every
/// rank. Its actions are collectives: call them in the same order on every
/// rank, from one thread.
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
        Context::new(ContextBuilder::default(), Threads::AllCores, None, None)
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
        ranks: Option<Box<dyn Ranks>>,
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
                ranks,
                spill_base: settings.spill_dir,
                checkpoint_base: settings.checkpoint_dir,
                spill_dir: Mutex::new(None),
                next_id: AtomicUsize::new(0),
                next_stage: AtomicUsize::new(0),
            }),
        }
    }

    /// Threads tasks run on, on all ranks together (Spark's
    /// `defaultParallelism`).
    pub fn default_parallelism(&self) -> usize {
        self.threads() * self.ranks()
    }

    /// Threads tasks run on in this process.
    pub fn threads(&self) -> usize {
        self.inner.threads.count()
    }

    /// This process's rank, `0..ranks()` (0 when not distributed).
    pub fn rank(&self) -> usize {
        self.inner.ranks.as_ref().map_or(0, |r| r.rank())
    }

    /// The number of ranks the context runs on (1 when not distributed).
    pub fn ranks(&self) -> usize {
        self.inner.ranks.as_ref().map_or(1, |r| r.size())
    }

    /// Every rank's [`metrics`](Context::metrics), in rank order, on every
    /// rank: a collective of a distributed context (call it on every rank).
    pub fn metrics_of_ranks(&self) -> Result<Vec<Metrics>> {
        let mine = self.metrics();
        let Some(ranks) = &self.inner.ranks else {
            return Ok(vec![mine]);
        };
        let mut bytes = Vec::new();
        crate::codec::Codec::encode(&mine, &mut bytes);
        ranks
            .allgather(bytes)?
            .iter()
            .enumerate()
            .map(|(rank, b)| {
                crate::codec::Codec::decode(&mut &b[..]).ok_or_else(|| {
                    DatasetError::Comm(format!("rank {rank} sent malformed metrics"))
                })
            })
            .collect()
    }

    /// Ends the whole job with exit status `code` (MPI_Abort), for a rank
    /// that fails outside an action, where its peers would otherwise wait
    /// for it in their next collective. On ranks as threads it panics,
    /// which ends this rank (its peers then get an error, not a hang). A
    /// context of one process panics too: there is no job to end.
    pub fn abort_job(&self, code: i32) -> ! {
        match &self.inner.ranks {
            Some(ranks) => ranks.abort(code),
            None => panic!("abort_job({code}) on a context of one process"),
        }
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
        let base = self.inner.spill_base.as_deref();
        let made = ScratchDir::new("hpcrs-spill-", base).map_err(|e| {
            DatasetError::io(
                base.map_or_else(tempfile::env::temp_dir, Path::to_path_buf),
                e,
            )
        })?;
        let path = made.path().to_path_buf();
        *dir = Some(made);
        Ok(path)
    }
}
