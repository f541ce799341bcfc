//! The thread-pool policy of every subcommand.
//!
//! `--threads N` means the same everywhere: `N` worker threads, with `0` (or
//! no flag) meaning one per core. `N` may exceed the number of cores (to
//! study oversubscription) up to [`MAX_THREADS`]. A pool is built once per
//! size and kept for the life of the process, so repeated runs (a
//! benchmark's) do not time thread start-up.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// The largest thread count accepted: far above any core count a node has
/// today, low enough that a typo cannot start a million threads.
pub const MAX_THREADS: usize = 1024;

/// How many threads to run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Threads {
    /// One per core (rayon's global pool).
    #[default]
    AllCores,
    /// Exactly this many.
    Exactly(usize),
}

/// A thread count that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PoolError {
    /// More threads than [`MAX_THREADS`].
    #[error("{0} threads is more than the {MAX_THREADS} allowed")]
    TooMany(usize),
    /// The operating system refused to start the threads.
    #[error("cannot start {threads} threads: {why}")]
    Spawn {
        /// The size of the pool asked for.
        threads: usize,
        /// The system's reason.
        why: String,
    },
}

impl Threads {
    /// The meaning of `--threads N`: `0` is [`Threads::AllCores`], anything
    /// else [`Threads::Exactly`], checked against [`MAX_THREADS`].
    ///
    /// ```
    /// use runtime::pool::Threads;
    /// assert_eq!(Threads::from_count(0), Ok(Threads::AllCores));
    /// assert_eq!(Threads::from_count(3), Ok(Threads::Exactly(3)));
    /// assert!(Threads::from_count(1 << 40).is_err());
    /// ```
    pub fn from_count(n: usize) -> Result<Threads, PoolError> {
        match n {
            0 => Ok(Threads::AllCores),
            n if n > MAX_THREADS => Err(PoolError::TooMany(n)),
            n => Ok(Threads::Exactly(n)),
        }
    }

    /// `None` is all cores, `Some(n)` is [`Threads::from_count`]`(n)`.
    pub fn from_option(n: Option<usize>) -> Result<Threads, PoolError> {
        n.map_or(Ok(Threads::AllCores), Threads::from_count)
    }

    /// The number of threads this stands for.
    pub fn count(self) -> usize {
        match self {
            Threads::AllCores => cores(),
            Threads::Exactly(n) => n,
        }
    }
}

/// The number of cores this process may run on (at least 1).
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The pool of `threads` threads, built on first use and kept. All cores is
/// rayon's global pool, shared with any other rayon user in the process.
pub fn pool(threads: Threads) -> Result<Option<Arc<rayon::ThreadPool>>, PoolError> {
    static POOLS: OnceLock<Mutex<HashMap<usize, Arc<rayon::ThreadPool>>>> = OnceLock::new();
    let n = match threads {
        Threads::AllCores => return Ok(None),
        Threads::Exactly(n) if n > MAX_THREADS => return Err(PoolError::TooMany(n)),
        Threads::Exactly(n) => n.max(1),
    };
    let mut pools = POOLS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(p) = pools.get(&n) {
        return Ok(Some(Arc::clone(p)));
    }
    let p = rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .thread_name(|i| format!("hpcrs-worker-{i}"))
        .build()
        .map_err(|e| PoolError::Spawn {
            threads: n,
            why: e.to_string(),
        })?;
    let p = Arc::new(p);
    pools.insert(n, Arc::clone(&p));
    Ok(Some(p))
}

/// Runs `f` inside the pool of `threads` (see [`pool`]), so that rayon's
/// parallel iterators in `f` use that many threads.
pub fn install<R: Send>(threads: Threads, f: impl FnOnce() -> R + Send) -> Result<R, PoolError> {
    Ok(match pool(threads)? {
        None => f(),
        Some(p) => p.install(f),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn install_runs_on_the_asked_number_of_threads() {
        let n = install(Threads::Exactly(3), rayon::current_num_threads).unwrap();
        assert_eq!(n, 3);
        let all = install(Threads::AllCores, rayon::current_num_threads).unwrap();
        assert_eq!(all, rayon::current_num_threads());
    }

    #[test]
    fn pools_are_reused() {
        let a = pool(Threads::Exactly(2)).unwrap().unwrap();
        let b = pool(Threads::Exactly(2)).unwrap().unwrap();
        assert!(Arc::ptr_eq(&a, &b));
    }

    #[test]
    fn too_many_threads_is_an_error() {
        assert_eq!(
            Threads::from_count(MAX_THREADS + 1),
            Err(PoolError::TooMany(MAX_THREADS + 1))
        );
        assert!(install(Threads::Exactly(MAX_THREADS + 1), || ()).is_err());
    }
}
