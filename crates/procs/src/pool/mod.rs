//! `Pool`: worker processes that run registered functions on many
//! arguments, like `multiprocessing.Pool`.
//!
//! Work goes on one queue as jobs (a chunk of a `map`'s items, or one
//! `apply`); one feeder thread per worker (feeder.rs) takes jobs from it,
//! runs each on its worker process and delivers the answer to the call's
//! channel. A task that panics fails with its index and its worker; a
//! worker that dies fails the job it was running, and its feeder starts a
//! new worker for the next one. Workers are always spawned (a fresh copy of
//! the program): the feeders that replace workers are threads, and forking
//! a threaded process is unsafe.

mod feeder;
mod results;

use std::collections::VecDeque;
use std::os::fd::{BorrowedFd, OwnedFd};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::codec;
use crate::context::{Context, StartMethod};
use crate::error::{Error, Result};
use crate::func::Func;

pub use results::{AsyncResult, IMap, IMapUnordered};

/// The most workers a pool runs.
pub const MAX_WORKERS: usize = 256;

/// What a job's answer is: the encoded results and their descriptors.
type Answer = Result<(Vec<u8>, Vec<OwnedFd>)>;

/// Where a call's answers arrive: each job's index and answer.
type Answers = mpsc::Receiver<(usize, Answer)>;

/// One unit of work for a worker.
pub(crate) struct Job {
    /// The registered function.
    name: &'static str,
    /// The encoded `Vec` of arguments.
    items: Vec<u8>,
    /// Descriptors of shared objects in the arguments (duplicates).
    fds: Vec<OwnedFd>,
    /// The index of its first task in its call.
    first: usize,
    /// The number of tasks in it.
    count: usize,
    /// Its index among the call's jobs.
    chunk: usize,
    /// Where its answer goes.
    done: mpsc::Sender<(usize, Answer)>,
}

impl Job {
    /// Delivers its answer (a call that stopped listening drops it).
    fn deliver(&self, answer: Answer) {
        let _ = self.done.send((self.chunk, answer));
    }

    /// Delivers an error.
    fn fail(&self, e: Error) {
        self.deliver(Err(e));
    }
}

/// The state the pool's handle and its feeders share.
pub(crate) struct Shared {
    queue: Mutex<Queue>,
    ready: Condvar,
    /// Each feeder's current worker pid, for `terminate`.
    pids: Mutex<Vec<Option<libc::pid_t>>>,
}

/// The jobs waiting, and whether more may come.
struct Queue {
    jobs: VecDeque<Job>,
    closed: bool,
    terminated: bool,
}

impl Shared {
    /// The next job, waiting for one; `None` when the pool is terminated,
    /// or closed with nothing left.
    fn next_job(&self) -> Option<Job> {
        let mut q = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if q.terminated {
                return None;
            }
            if let Some(job) = q.jobs.pop_front() {
                return Some(job);
            }
            if q.closed {
                return None;
            }
            q = self.ready.wait(q).unwrap_or_else(|p| p.into_inner());
        }
    }

    fn lock_pids(&self) -> MutexGuard<'_, Vec<Option<libc::pid_t>>> {
        self.pids.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn is_terminated(&self) -> bool {
        self.queue
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .terminated
    }
}

/// How to build a [`Pool`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolOptions {
    /// Worker processes (1 to [`MAX_WORKERS`]).
    pub workers: usize,
    /// Replace each worker after this many jobs (`None`: never), like
    /// Python's `maxtasksperchild`. A `map` job is one chunk.
    pub max_tasks_per_child: Option<usize>,
}

/// A pool of worker processes.
///
/// ```no_run
/// # fn main() -> procs::Result<()> {
/// // In the program's registry (see `procs::child::run_if_child`):
/// const SQUARE: procs::Func<u64, u64> = procs::Func::new("square", |x| x * x);
/// let ctx = procs::Context::new(std::env::current_exe().unwrap());
/// let pool = procs::Pool::new(&ctx, 2)?;
/// assert_eq!(pool.map(SQUARE, 0..5, None)?, [0, 1, 4, 9, 16]);
/// # Ok(()) }
/// ```
pub struct Pool {
    shared: Arc<Shared>,
    feeders: Vec<JoinHandle<()>>,
    workers: usize,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("workers", &self.workers)
            .finish()
    }
}

impl Pool {
    /// A pool of `workers` processes of `ctx`'s program.
    pub fn new(ctx: &Context, workers: usize) -> Result<Pool> {
        Pool::with_options(
            ctx,
            PoolOptions {
                workers,
                max_tasks_per_child: None,
            },
        )
    }

    /// A pool built with `options`. The workers start at once, each from
    /// its feeder thread.
    pub fn with_options(ctx: &Context, options: PoolOptions) -> Result<Pool> {
        let workers = options.workers;
        if workers == 0 || workers > MAX_WORKERS {
            return Err(Error::Invalid(format!(
                "a pool has 1 to {MAX_WORKERS} workers, not {workers}"
            )));
        }
        if options.max_tasks_per_child == Some(0) {
            return Err(Error::Invalid("maxtasksperchild must be at least 1".into()));
        }
        if ctx.start_method() == StartMethod::Fork {
            return Err(Error::Invalid(
                "a pool starts its workers with spawn: its feeder threads make forking unsafe"
                    .into(),
            ));
        }
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue {
                jobs: VecDeque::new(),
                closed: false,
                terminated: false,
            }),
            ready: Condvar::new(),
            pids: Mutex::new(vec![None; workers]),
        });
        let mut pool = Pool {
            shared: shared.clone(),
            feeders: Vec::with_capacity(workers),
            workers,
        };
        for index in 0..workers {
            let (ctx, shared) = (ctx.clone(), shared.clone());
            let max = options.max_tasks_per_child;
            let handle = std::thread::Builder::new()
                .name(format!("procs-pool-{index}"))
                .spawn(move || feeder::run(index, ctx, shared, max))
                .map_err(|e| {
                    Error::io(
                        format!("starting the feeder thread of pool worker {index}"),
                        e,
                    )
                })?;
            pool.feeders.push(handle);
        }
        Ok(pool)
    }

    /// The number of workers.
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// Queues jobs, or says why the pool takes none.
    fn submit(&self, jobs: Vec<Job>) -> Result<()> {
        let mut q = self.shared.queue.lock().unwrap_or_else(|p| p.into_inner());
        if q.terminated {
            return Err(Error::PoolStopped("terminated"));
        }
        if q.closed {
            return Err(Error::PoolStopped("closed"));
        }
        q.jobs.extend(jobs);
        drop(q);
        self.shared.ready.notify_all();
        Ok(())
    }

    /// Cuts `items` into jobs of `chunksize` (default: Python's, about four
    /// chunks per worker) and queues them; returns the channel of answers
    /// and the jobs' sizes.
    fn submit_chunks<A: Serialize>(
        &self,
        func_name: &'static str,
        items: Vec<A>,
        chunksize: Option<usize>,
    ) -> Result<(Answers, Vec<usize>)> {
        let chunksize = match chunksize {
            Some(0) => return Err(Error::Invalid("chunksize must be at least 1".into())),
            Some(c) => c,
            None => items.len().div_ceil(self.workers * 4).max(1),
        };
        let (tx, rx) = mpsc::channel();
        let mut jobs = Vec::with_capacity(items.len().div_ceil(chunksize));
        let mut sizes = Vec::with_capacity(jobs.capacity());
        for (chunk, part) in items.chunks(chunksize).enumerate() {
            let (bytes, fds) = codec::encode(part, "the tasks' arguments")?;
            jobs.push(Job {
                name: func_name,
                items: bytes,
                fds: dup_all(&fds)?,
                first: chunk * chunksize,
                count: part.len(),
                chunk,
                done: tx.clone(),
            });
            sizes.push(part.len());
        }
        self.submit(jobs)?;
        Ok((rx, sizes))
    }

    /// `func` on every item, results in order (`Pool.map`). Chunks of
    /// `chunksize` items (default: about four per worker) travel as one job.
    /// The first failed task (in order) is the error.
    pub fn map<A, R>(
        &self,
        func: Func<A, R>,
        items: impl IntoIterator<Item = A>,
        chunksize: Option<usize>,
    ) -> Result<Vec<R>>
    where
        A: Serialize,
        R: DeserializeOwned,
    {
        self.imap(func, items, chunksize)?.collect()
    }

    /// [`Pool::map`] for functions of several arguments, given as tuples
    /// (`Pool.starmap`): `func` takes the tuple and destructures it.
    pub fn starmap<A, R>(
        &self,
        func: Func<A, R>,
        items: impl IntoIterator<Item = A>,
        chunksize: Option<usize>,
    ) -> Result<Vec<R>>
    where
        A: Serialize,
        R: DeserializeOwned,
    {
        self.map(func, items, chunksize)
    }

    /// `func` on every item, the results as an iterator in order
    /// (`Pool.imap`); each is yielded as soon as its chunk is done.
    pub fn imap<A, R>(
        &self,
        func: Func<A, R>,
        items: impl IntoIterator<Item = A>,
        chunksize: Option<usize>,
    ) -> Result<IMap<R>>
    where
        A: Serialize,
        R: DeserializeOwned,
    {
        let (rx, sizes) =
            self.submit_chunks(func.name(), items.into_iter().collect(), chunksize)?;
        Ok(IMap::new(rx, sizes))
    }

    /// `func` on every item, the results in the order they are done
    /// (`Pool.imap_unordered`).
    pub fn imap_unordered<A, R>(
        &self,
        func: Func<A, R>,
        items: impl IntoIterator<Item = A>,
        chunksize: Option<usize>,
    ) -> Result<IMapUnordered<R>>
    where
        A: Serialize,
        R: DeserializeOwned,
    {
        let (rx, sizes) =
            self.submit_chunks(func.name(), items.into_iter().collect(), chunksize)?;
        Ok(IMapUnordered::new(rx, sizes.len()))
    }

    /// `func(args)` on a worker, waiting for the result (`Pool.apply`).
    pub fn apply<A, R>(&self, func: Func<A, R>, args: A) -> Result<R>
    where
        A: Serialize,
        R: DeserializeOwned,
    {
        self.apply_async(func, args)?.get()
    }

    /// `func(args)` on a worker; the result comes later (`Pool.apply_async`).
    pub fn apply_async<A, R>(&self, func: Func<A, R>, args: A) -> Result<AsyncResult<R>>
    where
        A: Serialize,
        R: DeserializeOwned,
    {
        let (rx, _) = self.submit_chunks(func.name(), vec![args], Some(1))?;
        Ok(AsyncResult::new(rx))
    }

    /// Takes no more work; the workers finish what is queued, then exit
    /// (`Pool.close`).
    pub fn close(&self) {
        self.shared
            .queue
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .closed = true;
        self.shared.ready.notify_all();
    }

    /// Kills every worker at once; queued and running jobs fail with
    /// [`Error::PoolStopped`] or the task error (`Pool.terminate`).
    pub fn terminate(&self) {
        let dropped: Vec<Job> = {
            let mut q = self.shared.queue.lock().unwrap_or_else(|p| p.into_inner());
            q.terminated = true;
            q.jobs.drain(..).collect()
        };
        self.shared.ready.notify_all();
        for job in dropped {
            job.fail(Error::PoolStopped("terminated"));
        }
        let pids = self.shared.lock_pids();
        for pid in pids.iter().flatten() {
            // SAFETY: a pid in this table is a worker its feeder has not
            // reaped (it removes the pid under this lock first).
            unsafe { libc::kill(*pid, libc::SIGKILL) };
        }
    }

    /// Waits for the workers to end; the pool must be closed or terminated
    /// first (`Pool.join`).
    pub fn join(&mut self) -> Result<()> {
        {
            let q = self.shared.queue.lock().unwrap_or_else(|p| p.into_inner());
            if !q.closed && !q.terminated {
                return Err(Error::Invalid(
                    "join a pool after close or terminate".into(),
                ));
            }
        }
        for h in self.feeders.drain(..) {
            let _ = h.join();
        }
        Ok(())
    }
}

impl Drop for Pool {
    /// Like leaving Python's `with Pool() as p:` block: terminates.
    fn drop(&mut self) {
        self.terminate();
        for h in self.feeders.drain(..) {
            let _ = h.join();
        }
    }
}

/// Duplicates `fds` so that a queued job owns its descriptors.
fn dup_all(fds: &[std::os::fd::RawFd]) -> Result<Vec<OwnedFd>> {
    fds.iter()
        .map(|&fd| {
            // SAFETY: `fd` belongs to a shared object alive during this call.
            let b = unsafe { BorrowedFd::borrow_raw(fd) };
            b.try_clone_to_owned()
                .map_err(|e| Error::io("duplicating a shared object's descriptor", e))
        })
        .collect()
}
