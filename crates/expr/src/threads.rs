//! The thread-count setting (numexpr's `set_num_threads`) and the parallel
//! driver that splits work into contiguous bands, one rayon task each.

use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use rayon::prelude::*;

/// 0 means "all cores".
static THREADS: AtomicUsize = AtomicUsize::new(0);

/// A pool built for a thread count other than rayon's global one, kept for reuse.
static POOL: Mutex<Option<(usize, Arc<rayon::ThreadPool>)>> = Mutex::new(None);

/// Sets the number of threads evaluations use and returns the previous
/// setting, like numexpr's `set_num_threads`. `0` means all cores (the default).
pub fn set_num_threads(n: usize) -> usize {
    let old = num_threads();
    THREADS.store(n, Ordering::Relaxed);
    old
}

/// The number of threads evaluations use.
pub fn num_threads() -> usize {
    match THREADS.load(Ordering::Relaxed) {
        0 => std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        n => n,
    }
}

/// Below this many elements an evaluation stays on the calling thread: the
/// hand-off would cost more than the work.
const PAR_MIN_ELEMS: usize = 16 * 1024;

/// Runs `f` over `0..nitems` split into contiguous ranges, in parallel when
/// the work is big enough, and returns the results in range order.
pub(crate) fn run_tasks<R: Send>(
    nitems: usize,
    elems: usize,
    f: impl Fn(Range<usize>) -> R + Sync,
) -> Vec<R> {
    let threads = num_threads();
    if threads <= 1 || nitems <= 1 || elems < PAR_MIN_ELEMS {
        return vec![f(0..nitems)];
    }
    // Two bands per thread lets rayon balance uneven bands while keeping
    // each band contiguous (rows of a stencil stay together in cache).
    let ntasks = nitems.min(threads * 2);
    let run = || {
        (0..ntasks)
            .into_par_iter()
            .map(|t| f(t * nitems / ntasks..(t + 1) * nitems / ntasks))
            .collect()
    };
    if threads == rayon::current_num_threads() {
        return run();
    }
    let pool = {
        let mut guard = POOL.lock().unwrap_or_else(|e| e.into_inner());
        match &*guard {
            Some((n, p)) if *n == threads => p.clone(),
            _ => match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
                Ok(p) => {
                    let p = Arc::new(p);
                    *guard = Some((threads, p.clone()));
                    p
                }
                // Cannot spawn threads: run serially rather than fail.
                Err(_) => return vec![f(0..nitems)],
            },
        }
    };
    pool.install(run)
}
