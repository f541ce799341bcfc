//! How the threads of the team wait for each other: no barrier, each thread
//! waits only for the parts of its two neighbours' previous passes that
//! touch its own rows.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Spins while waiting for a neighbour before yielding the CPU. The
/// expression engine's team spins far longer at its barrier
/// (`BARRIER_SPINS` in crates/expr/src/stencil.rs) because there every
/// thread waits for the slowest of the team and a sleeping thread is slow to
/// wake; here a thread waits for one neighbour that is at most a pass ahead
/// or behind, and yields rather than sleeps, so a short spin suffices and
/// a team larger than the machine still makes progress.
const SPINS: usize = 4000;

/// How far one thread of the team has got, for its neighbours.
///
/// Thread `t` sweeps its band starting from one edge: the neighbour there
/// needs, for its next pass, just the first `levels` rows of `t`'s pass
/// (final values to read, and source rows `t` no longer reads, to
/// overwrite). So `t` publishes two stages per pass `p`: `2p+1` when that
/// start edge is done, `2p+2` at the end. Even threads sweep bottom-up and
/// odd ones top-down ([`sweeps_up`]), so with two threads both start at
/// their shared edge and each may run up to most of a pass ahead of the
/// other: the jitter of a shared machine between passes is absorbed
/// instead of waited for.
#[repr(align(128))]
#[derive(Default)]
pub(crate) struct Stage(AtomicUsize);

impl Stage {
    /// Publishes `stage` (after this thread's writes that it covers).
    pub(crate) fn publish(&self, stage: usize) {
        self.0.store(stage, Ordering::Release);
    }

    /// Waits until the stage reaches `stage`: spinning, then yielding.
    pub(crate) fn wait_for(&self, stage: usize) {
        let mut spins = 0;
        while self.0.load(Ordering::Acquire) < stage {
            if spins < SPINS {
                spins += 1;
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
    }
}

/// Whether thread `t` of a team sweeps its band bottom-up (see [`Stage`]).
pub(crate) fn sweeps_up(t: usize) -> bool {
    t.is_multiple_of(2)
}

/// A working array the team shares, as a raw pointer. Soundness rests on the
/// pass structure: during a pass every thread only reads the source array
/// and writes its own disjoint rows of the destination, and [`Stage`]
/// orders each thread's passes after the parts of its neighbours' previous
/// passes that touch the same rows.
#[derive(Clone, Copy)]
pub(crate) struct Shared(pub(crate) *mut f64);

// SAFETY: see the type's doc; access is ordered by `Stage`.
unsafe impl Send for Shared {}
// SAFETY: as for `Send`.
unsafe impl Sync for Shared {}
