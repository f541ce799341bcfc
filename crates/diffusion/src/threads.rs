//! The `threads` backend: a fused, vectorised, temporally blocked kernel on
//! a persistent team of threads.
//!
//! Why it is built this way (the default problem is 299×299 cells for 13410
//! steps, so one step is only ~90 000 cell updates, a few microseconds of work):
//!
//! * **Few synchronisations.** The interior rows are split into one band per
//!   thread. A thread advances its band by `depth` steps in one pass, reading
//!   `depth` extra rows on each side of it from the shared array (an
//!   overlapped "ghost zone": the cells near the band edges are computed by
//!   both neighbours, which costs a few percent of extra work). There is no
//!   barrier: before a pass a thread waits only for the parts of its two
//!   neighbours' previous passes that touch its rows ([`Progress`]), so
//!   threads drift apart by up to a pass instead of waiting on each other's
//!   jitter.
//! * **Cache reuse.** Within a pass a thread sweeps its band once,
//!   computing every time level as soon as its three input rows exist
//!   (a wavefront in row × time). Intermediate levels live in a 3-row ring
//!   per level; the depth is chosen so that the rings fit in
//!   [`RING_BUDGET_BYTES`] and stay in L1 (on the default problem, 5 steps:
//!   at 8 the rings spill to L2 and a step costs a quarter more). The shared
//!   arrays are read and written once per pass rather than once per step.
//! * **SIMD.** On AVX-512 a hand-written row kernel (`kernel::row_avx512`)
//!   balances loads against shuffles and uses one FMA per 8 cells with the
//!   same rounding as the plain expression; elsewhere the row loop is written so the
//!   compiler vectorises it, and the whole pass is compiled for AVX2 when the
//!   CPU has it (picked at run time). Rows are laid out so that the first
//!   updated cell of each starts a cache line.
//! * **Same answer.** Each cell gets exactly the arithmetic of the `naive`
//!   backend (`kernel::update`), so results agree bit for bit.

use std::sync::atomic::{AtomicUsize, Ordering};

use ndarray::Array2;

use crate::kernel::{multiversion, row, Simd};
use crate::Stepper;

/// Most steps per pass (time-blocking depth) chosen by default: past 8 the
/// ghost rows recomputed at band edges cost more than the barriers saved.
pub const MAX_DEFAULT_DEPTH: usize = 8;

/// L1 data cache bytes the per-level row rings may use by default: the
/// smallest L1d of current x86 cores (32 KiB), which leaves room for the
/// source and destination rows on cores with more.
pub const RING_BUDGET_BYTES: usize = 32 << 10;

/// The default time-blocking depth for rows of `n` cells: as many steps as
/// keep the rings (three rows per intermediate level) within
/// [`RING_BUDGET_BYTES`], at least 1 and at most [`MAX_DEFAULT_DEPTH`].
/// Measured on the default problem (301-cell rows) one thread ran depth 5
/// (29 KiB of rings) in 0.30 s, depth 6 in 0.38 s and depth 8 in 0.47 s.
pub fn default_depth(n: usize) -> usize {
    let ring_row_bytes = 3 * Layout::new(n).stride * std::mem::size_of::<f64>();
    (1 + RING_BUDGET_BYTES / ring_row_bytes.max(1)).clamp(1, MAX_DEFAULT_DEPTH)
}

/// Fewest cell updates per call worth starting one more thread for.
const MIN_UPDATES_PER_THREAD: usize = 1 << 18;

/// Fused, time-blocked stencil on all cores (or `threads` of them).
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
    /// A stepper on `threads` threads (`None`: all available cores).
    pub fn new(threads: Option<usize>) -> Self {
        let threads = threads
            .filter(|&t| t > 0)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        let depth = std::env::var("HPCRS_DIFF2D_DEPTH")
            .ok()
            .and_then(|s| s.parse().ok())
            .filter(|&d: &usize| d > 0);
        ThreadsStepper {
            threads,
            depth,
            min_updates_per_thread: MIN_UPDATES_PER_THREAD,
            intrinsics: std::env::var("HPCRS_DIFF2D_KERNEL").map_or(true, |v| v != "auto"),
            buffers: None,
            simd: Simd::detect(),
        }
    }

    /// Sets the number of steps per pass (1 = a barrier after every step;
    /// default: [`default_depth`] of the grid, or `HPCRS_DIFF2D_DEPTH`).
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

    /// Chooses the hand-written AVX-512 row kernel (`true`, the default on
    /// CPUs with AVX-512, unless `HPCRS_DIFF2D_KERNEL=auto`) or the loop as
    /// the compiler vectorised it. Both give the same bits.
    pub fn with_intrinsics(mut self, intrinsics: bool) -> Self {
        self.intrinsics = intrinsics;
        self
    }

    /// The number of threads in the team.
    pub fn threads(&self) -> usize {
        self.threads
    }
}

/// Spins while waiting for a neighbour before yielding the CPU (a `pause`
/// took 17 ns on the Xeon this was measured on: ~70 µs).
const SPINS: usize = 4000;

/// How far one thread of the team has got, for its neighbours.
///
/// Instead of a barrier after every pass, each thread waits only for the
/// two threads whose bands touch its own, and only for as much of their
/// previous pass as it needs. Thread `t` sweeps its band starting from one
/// edge: the neighbour there needs, for its next pass, just the first
/// `levels` rows of `t`'s pass (final values to read, and source rows `t`
/// no longer reads, to overwrite). So `t` publishes two stages per pass
/// `p`: `2p+1` when that start edge is done, `2p+2` at the end. Even
/// threads sweep bottom-up and odd ones top-down, so with two threads both
/// start at their shared edge and each may run up to most of a pass ahead
/// of the other: the per-pass jitter of a shared machine (measured at 10-20
/// µs of barrier wait in a 90 µs pass) is absorbed instead of waited for.
#[repr(align(128))]
#[derive(Default)]
struct Progress(AtomicUsize);

impl Progress {
    /// Publishes `stage` (after this thread's writes that it covers).
    fn publish(&self, stage: usize) {
        self.0.store(stage, Ordering::Release);
    }

    /// Waits until the stage reaches `stage`: spinning, then yielding (so
    /// that a team larger than the machine still makes progress).
    fn wait_for(&self, stage: usize) {
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

/// Whether thread `t` of a team sweeps its band bottom-up (see [`Progress`]).
fn sweeps_up(t: usize) -> bool {
    t.is_multiple_of(2)
}

/// A raw pointer the team shares. Soundness rests on the pass structure:
/// during a pass every thread only reads the source array and writes its own
/// disjoint rows of the destination, and [`Progress`] orders each thread's
/// passes after the parts of its neighbours' previous passes that touch the
/// same rows.
#[derive(Clone, Copy)]
struct Shared(*mut f64);
// SAFETY: see the type's doc; access is ordered by `Progress`.
unsafe impl Send for Shared {}
unsafe impl Sync for Shared {}

/// Where rows live in the team's working arrays: row `r` is
/// `r·stride + PAD .. r·stride + PAD + n`, with `stride` a multiple of 8 and
/// the buffer 64-byte aligned, so column 1 of every row (the first cell
/// updated) starts a cache line and the vector stores never straddle two.
#[derive(Clone, Copy)]
pub(crate) struct Layout {
    n: usize,
    stride: usize,
}

/// Offset of column 0 inside a row's slot (column 1 is then aligned).
const PAD: usize = 7;

impl Layout {
    fn new(n: usize) -> Self {
        Layout {
            n,
            stride: (n + PAD).div_ceil(8) * 8,
        }
    }

    fn row(&self, r: usize) -> std::ops::Range<usize> {
        r * self.stride + PAD..r * self.stride + PAD + self.n
    }
}

/// A zeroed `f64` buffer whose usable part starts on a 64-byte boundary
/// plus `skew` bytes modulo 4 KiB (see [`ThreadsStepper::advance`]).
#[derive(Debug)]
struct AlignedBuf {
    data: Vec<f64>,
    offset: usize,
    len: usize,
}

impl AlignedBuf {
    fn new(len: usize, skew: usize) -> Self {
        const PAGE: usize = 4096 / 8;
        let data = vec![0.0; len + PAGE];
        let base = data.as_ptr() as usize / 8;
        let offset = (skew / 8 + PAGE - base % PAGE) % PAGE;
        AlignedBuf { data, offset, len }
    }
    fn as_mut_slice(&mut self) -> &mut [f64] {
        &mut self.data[self.offset..self.offset + self.len]
    }
}

/// One thread's pass: advances rows `r0..r1` by `levels` steps, reading
/// `src` (rows `r0-levels .. r1+levels`) and writing `dst`, which holds the
/// row slots `r0..r1` of the destination.
///
/// The band is swept top-down, or bottom-up when `mirror` is set: the pass
/// then runs on the grid turned upside down (row `r` read as row `n-1-r`),
/// which gives the same bits because the stencil adds `down + up`, and
/// floating-point addition is commutative.
pub(crate) struct Pass<'a> {
    src: &'a [f64],
    dst: &'a mut [f64],
    /// Row slots of `src`, `dst` and `ring`.
    lay: Layout,
    r0: usize,
    r1: usize,
    levels: usize,
    k: f64,
    /// `3·(levels-1)` row slots for the intermediate levels, zero in
    /// columns 0 and n-1.
    ring: &'a mut [f64],
    /// A row of zeros (the boundary rows of the intermediate levels).
    zero: &'a [f64],
    /// Sweep the band bottom-up.
    mirror: bool,
    /// Called once the band's first `levels` rows (at the edge the sweep
    /// starts from, which the neighbour there reads in the next pass) are
    /// final, and this pass has read its last source row beyond that edge
    /// (the neighbour may then overwrite them): see [`Progress`].
    start_edge_done: &'a dyn Fn(),
}

/// Runs `pass` with `row` as the one-row update.
#[inline(always)]
fn band_pass_with<F: Fn(&mut [f64], &[f64], &[f64], &[f64], f64)>(row: F, pass: Pass<'_>) {
    let Pass {
        src,
        dst,
        lay,
        r0,
        r1,
        levels,
        k,
        ring,
        zero,
        mirror,
        start_edge_done,
    } = pass;
    let n = lay.n;
    // The sweep runs over logical rows; `phys` maps one to its grid row.
    let phys = |r: usize| if mirror { n - 1 - r } else { r };
    // `dst` starts at grid row `band_lo`; the band in logical rows:
    let band_lo = r0;
    let (r0, r1) = if mirror { (n - r1, n - r0) } else { (r0, r1) };
    // Rows computed at level l: lo(l) .. hi(l); level `levels` is r0..r1.
    let lo = |l: usize| r0.saturating_sub(levels - l).max(1);
    let hi = |l: usize| (r1 + (levels - l)).min(n - 1);
    let first = lo(1);
    let last = hi(1) + levels - 1;
    // Level `levels` writes row r in iteration r+levels-1, and level 1 has
    // read the last source row above r0 in iteration r0.
    let edge_iteration = (r0 + 2 * levels - 2).min(last - 1);
    for s in first..last {
        // Level l works on row s+1-l.
        for l in 1..=levels.min(s + 1) {
            let r = s + 1 - l;
            if r < lo(l) || r >= hi(l) {
                continue;
            }
            // Input rows r-1, r, r+1 at level l-1 and the output row.
            let (inputs, outputs) = ring.split_at_mut((l - 1) * 3 * lay.stride);
            let get = |rr: usize| -> &[f64] {
                if l == 1 {
                    &src[lay.row(phys(rr))]
                } else if rr == 0 || rr == n - 1 {
                    zero
                } else {
                    &inputs[lay.row((l - 2) * 3 + rr % 3)]
                }
            };
            let (up, mid, down) = (get(r - 1), get(r), get(r + 1));
            if l == levels {
                row(&mut dst[lay.row(phys(r) - band_lo)], up, mid, down, k);
            } else {
                row(&mut outputs[lay.row(r % 3)], up, mid, down, k);
            }
        }
        if s == edge_iteration {
            start_edge_done();
        }
    }
}

/// [`band_pass_with`] with the portable row loop.
#[inline(always)]
fn band_pass(pass: Pass<'_>) {
    band_pass_with(row, pass)
}

/// [`band_pass_with`] with the AVX-512 row kernel.
///
/// # Safety
/// The CPU must support AVX-512F and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn band_pass_avx512(pass: Pass<'_>) {
    // SAFETY: this function's own precondition.
    let row = |d: &mut [f64], u: &[f64], m: &[f64], w: &[f64], k: f64| unsafe {
        crate::kernel::row_avx512(d, u, m, w, k)
    };
    band_pass_with(row, pass)
}

multiversion!(
    /// [`band_pass`] compiled for the CPU's SIMD level.
    fn band_pass_dispatch(pass: Pass<'_>) => band_pass
);

/// Runs a pass with the best kernel for `simd` (`HPCRS_DIFF2D_KERNEL=auto`
/// as the compiler vectorised it, instead of the hand-written AVX-512 one).
fn run_pass(simd: Simd, intrinsics: bool, pass: Pass<'_>) {
    #[cfg(target_arch = "x86_64")]
    if simd == Simd::Avx512 && intrinsics {
        // SAFETY: `Simd::detect` returned Avx512, so the CPU has AVX-512F and FMA.
        return unsafe { band_pass_avx512(pass) };
    }
    let _ = intrinsics;
    band_pass_dispatch(simd, pass)
}

impl Stepper for ThreadsStepper {
    fn advance(&mut self, dens: &mut Array2<f64>, k: f64, steps: usize) {
        let n = dens.nrows();
        if n < 3 || steps == 0 {
            return;
        }
        let interior = n - 2;
        // Starting a thread costs tens of microseconds: give each one at
        // least MIN_UPDATES_PER_THREAD cell updates of this call, so that
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
        // The rings' row slots use the same aligned layout.
        let lay = Layout::new(n);
        let len = n * lay.stride;
        // The pair of working arrays in the aligned row layout. The second
        // starts half a page after the first modulo 4 KiB: at equal page
        // offsets the CPU's store-to-load check sees false dependencies
        // ("4K aliasing") between one array's stores and the other's loads.
        if self.buffers.as_ref().is_none_or(|(a, _)| a.len != len) {
            self.buffers = Some((AlignedBuf::new(len, 0), AlignedBuf::new(len, 2048)));
        }
        let (buf_a, buf_b) = self.buffers.as_mut().expect("allocated above");
        let (a_slice, b_slice) = (buf_a.as_mut_slice(), buf_b.as_mut_slice());
        for (r, dens_row) in dens.outer_iter().enumerate() {
            a_slice[lay.row(r)].copy_from_slice(dens_row.as_slice().expect("standard layout"));
        }
        let a = Shared(a_slice.as_mut_ptr());
        let b = Shared(b_slice.as_mut_ptr());
        // Progress of each thread (used instead of a barrier per pass).
        let progress: Vec<Progress> = (0..team).map(|_| Progress::default()).collect();
        let simd = self.simd;
        let intrinsics = self.intrinsics;
        let work = |t: usize| {
            let r0 = 1 + interior * t / team;
            let r1 = 1 + interior * (t + 1) / team;
            let mut ring = AlignedBuf::new(3 * depth.saturating_sub(1) * lay.stride, 1024);
            let zero = vec![0.0; n];
            let mirror = team > 1 && sweeps_up(t);
            // The neighbours above and below, and whether their sweeps start
            // at the edge they share with this band.
            let above = (t > 0).then(|| (&progress[t - 1], sweeps_up(t - 1)));
            let below = (t + 1 < team).then(|| (&progress[t + 1], !sweeps_up(t + 1)));
            let mine = &progress[t];
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
                run_pass(
                    simd,
                    intrinsics,
                    Pass {
                        src,
                        dst,
                        lay,
                        r0,
                        r1,
                        levels,
                        k,
                        ring: ring.as_mut_slice(),
                        zero: &zero,
                        mirror,
                        start_edge_done: &|| mine.publish(2 * p + 1),
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_depth_keeps_the_rings_within_the_l1_budget() {
        let ring_bytes = |n: usize, depth: usize| 3 * (depth - 1) * Layout::new(n).stride * 8;
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
}
