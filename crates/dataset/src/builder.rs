//! The settings of a [`Context`]: threads, memory budget, retries, spill
//! directory, progress receiver.

use std::fmt;
use std::path::PathBuf;

use runtime::pool::{self, Threads};
use runtime::progress::SharedProgress;

use crate::context::Context;
use crate::error::Result;

/// Default memory budget for cached partitions and in-memory shuffle data.
pub const DEFAULT_MEMORY_BUDGET: usize = 1 << 30;

/// Default number of attempts of a task before its action fails (Spark's
/// `spark.task.maxFailures`).
pub const DEFAULT_MAX_ATTEMPTS: usize = 4;

/// Settings for a [`Context`]; start with [`Context::builder`].
///
/// ```
/// use dataset::Context;
/// let ctx = Context::builder().threads(2).max_attempts(1).build()?;
/// assert_eq!(ctx.default_parallelism(), 2);
/// assert!(Context::builder().threads(1 << 20).build().is_err());
/// # Ok::<(), dataset::DatasetError>(())
/// ```
#[derive(Clone)]
pub struct ContextBuilder {
    pub(crate) threads: usize,
    pub(crate) memory_budget: usize,
    pub(crate) max_attempts: usize,
    pub(crate) spill_dir: Option<PathBuf>,
    pub(crate) checkpoint_dir: Option<PathBuf>,
    pub(crate) progress: SharedProgress,
}

impl Default for ContextBuilder {
    fn default() -> Self {
        ContextBuilder {
            threads: 0,
            memory_budget: DEFAULT_MEMORY_BUDGET,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            spill_dir: None,
            checkpoint_dir: None,
            progress: runtime::progress::silent(),
        }
    }
}

impl fmt::Debug for ContextBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ContextBuilder")
            .field("threads", &self.threads)
            .field("memory_budget", &self.memory_budget)
            .field("max_attempts", &self.max_attempts)
            .field("spill_dir", &self.spill_dir)
            .field("checkpoint_dir", &self.checkpoint_dir)
            .finish_non_exhaustive()
    }
}

impl ContextBuilder {
    /// Worker threads, as `--threads` means everywhere (`runtime::pool`):
    /// 0 (the default) is one per core, and more than
    /// [`MAX_THREADS`](runtime::pool::MAX_THREADS) makes [`build`](Self::build)
    /// fail.
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

    /// Where `Dataset::checkpoint` writes (Spark's `setCheckpointDir`): each
    /// checkpoint makes a fresh subdirectory there, removed when the last
    /// dataset reading it is dropped; default: the spill directory.
    pub fn checkpoint_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.checkpoint_dir = Some(dir.into());
        self
    }

    /// Where spill files go (a fresh subdirectory is made there and removed
    /// when the context is dropped); default: the system temporary directory.
    pub fn spill_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.spill_dir = Some(dir.into());
        self
    }

    /// Where stages report their progress: each stage is a task started with
    /// its name and number of partitions, advanced by one per finished
    /// partition, with a note for each retried attempt. Default: silent.
    pub fn progress(mut self, progress: SharedProgress) -> Self {
        self.progress = progress;
        self
    }

    /// Creates the context, and the thread pool it runs on (one per size,
    /// shared by every context of that size in the process).
    pub fn build(self) -> Result<Context> {
        let threads = Threads::from_count(self.threads)?;
        let pool = pool::pool(threads)?;
        Ok(Context::new(self, threads, pool, None))
    }

    /// Creates one rank of a distributed context over `comm` (comm's `Mpi`
    /// world under `mpirun`, or a `Local` rank), with `threads` threads in
    /// this process. Every rank of `comm` must build its context the same
    /// way and run the same program. A communicator of one rank makes a
    /// context that behaves exactly as [`build`](Self::build)'s.
    pub fn build_on<C>(self, comm: C) -> Result<Context>
    where
        C: comm::Communicator + Send + 'static,
    {
        let threads = Threads::from_count(self.threads)?;
        let pool = pool::pool(threads)?;
        let ranks: Option<Box<dyn crate::ranks::Ranks>> = match comm.size() {
            1 => None,
            _ => Some(Box::new(crate::ranks::OnComm::new(comm))),
        };
        Ok(Context::new(self, threads, pool, ranks))
    }

    /// Creates rank `rank` of `size` of a distributed context whose
    /// communicator comes later, through the returned
    /// [`Connector`](crate::Connector): jobs start at once and wait for it
    /// at their first collective, so a rank's first stage (reading and
    /// mapping its input) overlaps MPI's start-up. The launcher tells a
    /// process its rank and size before `MPI_Init` (see
    /// `comm::launcher_rank_and_size`).
    ///
    /// ```
    /// use dataset::Context;
    /// // Two ranks as threads; each gets its communicator while it counts.
    /// let comms = comm::Local::group(2, comm::LOCAL_HOST).unwrap();
    /// let counts = std::thread::scope(|s| {
    ///     let ranks: Vec<_> = comms.into_iter().enumerate().map(|(rank, comm)| {
    ///         s.spawn(move || {
    ///             let (ctx, connector) = Context::builder().threads(1).build_pending(rank, 2)?;
    ///             let counting = std::thread::spawn(move || ctx.parallelize(0..10u64, 3).count());
    ///             connector.connect(comm)?;
    ///             counting.join().unwrap()
    ///         })
    ///     }).collect();
    ///     ranks.into_iter().map(|r| r.join().unwrap()).collect::<dataset::Result<Vec<u64>>>()
    /// })?;
    /// assert_eq!(counts, [10, 10]);
    /// # Ok::<(), dataset::DatasetError>(())
    /// ```
    pub fn build_pending<C>(
        self,
        rank: usize,
        size: usize,
    ) -> Result<(Context, crate::Connector<C>)>
    where
        C: comm::Communicator + Send + 'static,
    {
        if size == 0 || rank >= size {
            return Err(crate::DatasetError::InvalidArgument(format!(
                "rank {rank} of {size}: a rank is 0 to size - 1"
            )));
        }
        let threads = Threads::from_count(self.threads)?;
        let pool = pool::pool(threads)?;
        let (connector, target) = crate::Connector::new(rank, size);
        let ranks = target.map(|t| Box::new(t) as Box<dyn crate::ranks::Ranks>);
        Ok((Context::new(self, threads, pool, ranks), connector))
    }
}
