//! The thread-count setting (numexpr's `set_num_threads`) and the parallel
//! driver that splits work into contiguous bands, one rayon task each, on
//! the pool [`runtime::pool`] keeps for that many threads.

use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;
use runtime::pool::{self, Threads, MAX_THREADS};

/// The setting; 0 means all cores.
static THREADS: AtomicUsize = AtomicUsize::new(0);

/// Sets the number of threads evaluations use and returns the previous
/// number, like numexpr's `set_num_threads`. `0` means all cores (the
/// default); a count above [`runtime::pool::MAX_THREADS`] is clamped to it
/// (so that the setting cannot fail; the command line refuses such counts
/// before they get here).
pub fn set_num_threads(n: usize) -> usize {
    let old = num_threads();
    THREADS.store(n.min(MAX_THREADS), Ordering::Relaxed);
    old
}

/// The number of threads evaluations use (all cores counted when the
/// setting is 0).
pub fn num_threads() -> usize {
    match THREADS.load(Ordering::Relaxed) {
        0 => pool::cores(),
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
    match pool::pool(Threads::Exactly(threads)) {
        Ok(Some(p)) => p.install(run),
        // The system cannot start the threads: run serially rather than fail.
        _ => vec![f(0..nitems)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One test, as the setting is global to the process.
    #[test]
    fn bands_cover_the_items_and_the_setting_is_clamped() {
        let bands = run_tasks(100, 1 << 20, |r| r);
        let flat: Vec<usize> = bands.into_iter().flatten().collect();
        assert_eq!(flat, (0..100).collect::<Vec<_>>());

        let before = THREADS.load(Ordering::Relaxed);
        set_num_threads(MAX_THREADS + 5);
        assert_eq!(num_threads(), MAX_THREADS);
        assert_eq!(set_num_threads(3), MAX_THREADS);
        assert_eq!(num_threads(), 3);
        set_num_threads(0);
        assert_eq!(num_threads(), pool::cores());
        THREADS.store(before, Ordering::Relaxed);
    }
}
