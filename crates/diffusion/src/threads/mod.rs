//! The `threads` backend: a fused, vectorised, temporally blocked kernel on
//! a team of threads.
//!
//! Why it is built this way (one step of the default problem, 299×299
//! cells, is only ~90 000 cell updates, so synchronising the team every
//! step would cost as much as the work):
//!
//! * **Few synchronisations.** The interior rows are split into one band per
//!   thread. A thread advances its band by `depth` steps in one pass
//!   (`band.rs`), reading `depth` extra rows on each side of it from the
//!   shared array (an overlapped "ghost zone": the cells near the band edges
//!   are computed by both neighbours, a few percent of extra work). There is
//!   no barrier: before a pass a thread waits only for the parts of its two
//!   neighbours' previous passes that touch its rows (`team.rs`), so threads
//!   drift apart by up to a pass instead of waiting on each other's jitter.
//! * **Cache reuse.** Within a pass a thread sweeps its band once,
//!   computing every time level as soon as its three input rows exist
//!   (a wavefront in row × time). Intermediate levels live in a 3-row ring
//!   per level; the depth is chosen so that the rings fit in
//!   [`RING_BUDGET_BYTES`] and stay in L1 (deeper, they spill to L2 and
//!   every step gets slower). The shared arrays are read and written once
//!   per pass rather than once per step.
//! * **SIMD.** On AVX-512 a hand-written row kernel (`kernel::row_avx512`)
//!   balances loads against shuffles and uses one FMA per 8 cells with the
//!   same rounding as the plain expression; elsewhere the row loop is
//!   written so the compiler vectorises it, and the whole pass is compiled
//!   for AVX2 when the CPU has it (picked at run time). Rows are laid out so
//!   that the first updated cell of each starts a cache line (`layout.rs`).
//! * **Same answer.** Each cell gets exactly the arithmetic of the `naive`
//!   backend (`kernel::update`), so results agree bit for bit.

mod band;
mod layout;
mod team;

use ndarray::Array2;
use runtime::layout::{ALIAS_SKEW_BYTES, L1_BUDGET_BYTES};
use runtime::pool::Threads;

use crate::kernel::Simd;
use crate::{DiffusionError, Stepper, StepperOptions};
use band::{Band, Pass};
use layout::{AlignedBuf, Layout};
use team::{sweeps_up, Shared, Stage};

/// Most steps per pass (time-blocking depth) chosen by default: deeper, the
/// ghost rows recomputed at band edges cost more than the synchronisations
/// saved.
pub const MAX_DEFAULT_DEPTH: usize = 8;

/// L1 data cache bytes the per-level row rings may use by default (see
/// [`runtime::layout::L1_BUDGET_BYTES`]); cores with a larger L1 keep the
/// source and destination rows there too.
pub const RING_BUDGET_BYTES: usize = L1_BUDGET_BYTES;

/// The default time-blocking depth for rows of `n` cells: as many steps as
/// keep the rings (three rows per intermediate level) within
/// [`RING_BUDGET_BYTES`], at least 1 and at most [`MAX_DEFAULT_DEPTH`].
pub fn default_depth(n: usize) -> usize {
    let ring_row_bytes = 3 * Layout::new(n).row_bytes();
    (1 + RING_BUDGET_BYTES / ring_row_bytes.max(1)).clamp(1, MAX_DEFAULT_DEPTH)
}

/// Fewest cell updates of one `advance` call worth starting one more thread
/// for: each thread of the team gets at least this much work. (The
/// expression engine's `MIN_PAR_UPDATES` is another rule: the work below
/// which its team does not start at all.)
const MIN_UPDATES_PER_THREAD: usize = 1 << 18;

/// Page offsets of the two working arrays and of the rings: the second
/// array half a page from the first, so that one array's stores and the
/// other's loads never meet at equal page offsets ("4K aliasing"), and the
/// rings half-way between them.
const SKEW_A: usize = 0;
const SKEW_B: usize = ALIAS_SKEW_BYTES;
const SKEW_RING: usize = ALIAS_SKEW_BYTES / 2;

/// Fused, time-blocked stencil on all cores (or a given number of threads).
#[derive(Debug)]
pub struct ThreadsStepper {
    threads: usize,
    /// Steps per pass; `None`: [`default_depth`] of the grid.
    depth: Option<usize>,
    /// Use the hand-written AVX-512 row kernel when the CPU has AVX-512.
    intrinsics: bool,
    /// See [`ThreadsStepper::with_min_updates_per_thread`].
    min_updates_per_thread: usize,
    /// The two working arrays (allocated on first use, kept between calls).
    buffers: Option<(AlignedBuf, AlignedBuf)>,
    simd: Simd,
}

impl ThreadsStepper {
    /// A stepper on `threads` threads (see [`runtime::pool`] for what the
    /// count means), with the default depth and kernel.
    pub fn new(threads: Threads) -> Result<Self, DiffusionError> {
        Ok(ThreadsStepper {
            threads: crate::options::team_size(threads)?,
            depth: None,
            min_updates_per_thread: MIN_UPDATES_PER_THREAD,
            intrinsics: true,
            buffers: None,
            simd: Simd::detect(),
        })
    }

    /// The stepper [`crate::make_stepper`] builds: `options.threads`,
    /// `options.depth` and `options.intrinsics`.
    pub fn from_options(options: &StepperOptions) -> Result<Self, DiffusionError> {
        let mut s = ThreadsStepper::new(options.threads)?.with_intrinsics(options.intrinsics);
        if let Some(depth) = options.chosen_depth() {
            s = s.with_depth(depth);
        }
        Ok(s)
    }

    /// Sets the number of steps per pass (1 = the team synchronises after
    /// every step; default: [`default_depth`] of the grid).
    pub fn with_depth(mut self, depth: usize) -> Self {
        self.depth = Some(depth.max(1));
        self
    }

    /// Sets the fewest cell updates per `advance` call worth starting one
    /// more thread for (default 2^18; 0 or 1: always use the whole team, as
    /// the tests do to exercise the multi-threaded path on small grids).
    pub fn with_min_updates_per_thread(mut self, updates: usize) -> Self {
        self.min_updates_per_thread = updates;
        self
    }

    /// Chooses the hand-written AVX-512 row kernel (`true`, the default; used
    /// on CPUs with AVX-512) or the row loop as the compiler vectorised it.
    /// Both give the same bits.
    pub fn with_intrinsics(mut self, intrinsics: bool) -> Self {
        self.intrinsics = intrinsics;
        self
    }

    /// The number of threads in the team.
    pub fn threads(&self) -> usize {
        self.threads
    }
}

impl Stepper for ThreadsStepper {
    fn advance(&mut self, dens: &mut Array2<f64>, k: f64, steps: usize) -> crate::Result<()> {
        let n = dens.nrows();
        if n < 3 || steps == 0 {
            return Ok(());
        }
        let interior = n - 2;
        // Starting a thread costs tens of microseconds: give each one at
        // least `min_updates_per_thread` cell updates of this call, so that
        // short calls (say an output every step) run on the caller's thread.
        let updates = steps.saturating_mul(interior * interior);
        let team = self
            .threads
            .min(interior)
            .min(updates / self.min_updates_per_thread.max(1))
            .max(1);
        let depth = self.depth.unwrap_or_else(|| default_depth(n)).min(steps);
        // A neighbour reads up to `depth` rows into a band: bands must be
        // at least that high, so that it never reads a third thread's rows.
        let team = team.min(interior / depth).max(1);
        let passes = steps.div_ceil(depth);
        let lay = Layout::new(n);
        let len = n * lay.stride;
        if self.buffers.as_ref().is_none_or(|(a, _)| a.len() != len) {
            self.buffers = Some((AlignedBuf::new(len, SKEW_A), AlignedBuf::new(len, SKEW_B)));
        }
        let (buf_a, buf_b) = self.buffers.as_mut().expect("allocated above");
        let (a_slice, b_slice) = (buf_a.as_mut_slice(), buf_b.as_mut_slice());
        for (r, dens_row) in dens.outer_iter().enumerate() {
            a_slice[lay.row(r)].copy_from_slice(dens_row.as_slice().expect("standard layout"));
        }
        let a = Shared(a_slice.as_mut_ptr());
        let b = Shared(b_slice.as_mut_ptr());
        let stages: Vec<Stage> = (0..team).map(|_| Stage::default()).collect();
        let (simd, intrinsics) = (self.simd, self.intrinsics);
        let work = |t: usize| {
            let rows = (1 + interior * t / team, 1 + interior * (t + 1) / team);
            let (r0, r1) = rows;
            let mut band = Band::new(lay, rows, team > 1 && sweeps_up(t), depth, SKEW_RING);
            // The neighbours above and below, and whether their sweeps start
            // at the edge they share with this band.
            let above = (t > 0).then(|| (&stages[t - 1], sweeps_up(t - 1)));
            let below = (t + 1 < team).then(|| (&stages[t + 1], !sweeps_up(t + 1)));
            let mine = &stages[t];
            let mut done = 0;
            for p in 0..passes {
                if p > 0 {
                    // Pass p-1 of each neighbour: its start edge (stage
                    // 2p-1) if that is this side, else all of it (2p).
                    for (theirs, starts_here) in above.iter().chain(below.iter()) {
                        theirs.wait_for(if *starts_here { 2 * p - 1 } else { 2 * p });
                    }
                }
                let (from, to) = if p % 2 == 0 { (a, b) } else { (b, a) };
                let levels = depth.min(steps - done);
                // SAFETY: this thread writes only the row slots r0..r1 of
                // `to`, and reads `from` in its band and up to `levels` rows
                // into each neighbour's. The wait above made those rows of
                // `from` final (the neighbours' previous pass wrote them),
                // and the neighbours no longer read these rows of `to` (the
                // source of their previous pass). Neither may start its next
                // pass, which overwrites `from`'s rows, before this one has
                // published its start edge or its end: the rows it reads.
                let (src, dst) = unsafe {
                    (
                        std::slice::from_raw_parts(from.0 as *const f64, len),
                        std::slice::from_raw_parts_mut(
                            to.0.add(r0 * lay.stride),
                            (r1 - r0) * lay.stride,
                        ),
                    )
                };
                let start_edge_done = || mine.publish(2 * p + 1);
                band.run(
                    simd,
                    intrinsics,
                    Pass {
                        src,
                        dst,
                        levels,
                        k,
                        start_edge_done: &start_edge_done,
                    },
                );
                done += levels;
                mine.publish(2 * p + 2);
            }
        };
        std::thread::scope(|scope| {
            for t in 1..team {
                let work = &work;
                scope.spawn(move || work(t));
            }
            work(0);
        });
        let (buf_a, buf_b) = self.buffers.as_mut().expect("allocated above");
        let result = if passes % 2 == 1 { buf_b } else { buf_a };
        let result = result.as_mut_slice();
        for (r, mut dens_row) in dens.outer_iter_mut().enumerate() {
            dens_row
                .as_slice_mut()
                .expect("standard layout")
                .copy_from_slice(&result[lay.row(r)]);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_depth_keeps_the_rings_within_the_l1_budget() {
        let ring_bytes = |n: usize, depth: usize| 3 * (depth - 1) * Layout::new(n).row_bytes();
        // The course's default grid: 301-cell rows of 304 slots, 7296 bytes
        // per level: 5 steps use 4 levels of rings, 29 KiB.
        assert_eq!(default_depth(301), 5);
        for n in [3, 10, 64, 301, 1000, 4000, 100_000] {
            let d = default_depth(n);
            assert!((1..=MAX_DEFAULT_DEPTH).contains(&d), "n={n}: depth {d}");
            assert!(d == 1 || ring_bytes(n, d) <= RING_BUDGET_BYTES, "n={n}");
            let deeper = d + 1;
            assert!(
                d == MAX_DEFAULT_DEPTH || ring_bytes(n, deeper) > RING_BUDGET_BYTES,
                "n={n}: depth {deeper} would still fit"
            );
        }
    }

    #[test]
    fn too_many_threads_is_an_error() {
        let e = ThreadsStepper::new(Threads::Exactly(runtime::pool::MAX_THREADS + 1)).unwrap_err();
        assert!(e.to_string().contains("threads is more than"), "{e}");
        assert!(ThreadsStepper::new(Threads::AllCores).unwrap().threads() >= 1);
    }
}
