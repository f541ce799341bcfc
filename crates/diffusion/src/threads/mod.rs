//! The `threads` backend: a fused, vectorised, temporally blocked kernel on
//! a team of threads.
//!
//! Why it is built this way (one step of the default problem, 299×299
//! cells, is only ~90 000 cell updates, so synchronising the team every
//! step would cost as much as the work):
//!
//! * **Few synchronisations.** The interior rows are cut into a few chunks
//!   per thread. A task advances one chunk by `depth` steps in one pass
//!   (`band.rs`), reading `depth` extra rows on each side of it from the
//!   shared array (an overlapped "ghost zone": the cells near the chunk
//!   edges are computed by both neighbours, a few percent of extra work).
//!   There is no barrier: a chunk's next pass waits only for its two
//!   neighbours' previous pass (`team.rs`).
//! * **Fast every time.** No thread owns rows: any thread takes any chunk
//!   whose neighbours are ready (preferring those near its own part of the
//!   grid, for its caches), so a thread that a busy machine deschedules
//!   holds up one chunk, not a share of every step, and the others do the
//!   rest. A thread with nothing to do spins briefly, then parks
//!   (`events.rs`), leaving its core to the thread it waits for; a team
//!   larger than the machine parks at once. A thread that waited while
//!   another was descheduled in a task (the machine has fewer free cores
//!   than the team has threads) leaves the team until the next call, so a
//!   loaded machine runs it as fast as fewer threads would. Each thread's own chunks are as high as it was
//!   fast in the last calls (`split.rs`): a core that runs slower than the
//!   others for a while (a vCPU sharing its physical core) gets fewer rows,
//!   instead of holding up the chunks next to its own.
//! * **Cache reuse.** Within a pass a thread sweeps its band once,
//!   computing every time level as soon as its input rows exist (a
//!   wavefront in row × time). Intermediate levels live in a small ring of
//!   rows per level; the depth is chosen so that rings of three rows per
//!   level fit in [`RING_BUDGET_BYTES`] and stay in L1 (deeper, they spill
//!   to L2 and every step gets slower). The shared arrays are read and
//!   written once per pass rather than once per step.
//! * **SIMD.** On AVX-512 a hand-written kernel (`kernel::rows_avx512`)
//!   balances loads against shuffles in the form that suits the core's
//!   design (`kernel::Avx512Form`): on Intel one row per sweep, on AMD's
//!   Zen 4, whose loads bound it, four rows per sweep (each middle row is
//!   its neighbours' row above or below, so it is loaded once, and the
//!   rings hold six rows per level). It uses one FMA per 8 cells with the
//!   same rounding as the plain expression; elsewhere the row loop is
//!   written so the compiler vectorises it, and the whole pass is compiled
//!   for AVX2 when the CPU has it (picked at run time). Rows are laid out so
//!   that the first updated cell of each starts a cache line (`layout.rs`).
//! * **Same answer.** Each cell gets exactly the arithmetic of the `naive`
//!   backend (`kernel::update`), so results agree bit for bit.

pub(crate) mod band;
mod events;
pub(crate) mod layout;
mod split;
mod team;
mod workers;

use ndarray::Array2;
use runtime::layout::L1_BUDGET_BYTES;
use runtime::pool::Threads;

use crate::kernel::Simd;
use crate::{DiffusionError, Stepper, StepperOptions};
use band::{src_rows, Band, Pass};
use events::SPIN;
use layout::{AlignedBuf, Layout, SKEW_A, SKEW_B, SKEW_RING};
use split::{Speeds, TallyCell};
use std::sync::Arc;
use std::time::{Duration, Instant};
use team::{Claim, Schedule, Shared, LEAVE_AFTER};
use workers::{Job, Workers};

/// Most steps per pass (time-blocking depth) chosen by default: deeper, the
/// ghost rows recomputed at band edges cost more than the synchronisations
/// saved.
pub const MAX_DEFAULT_DEPTH: usize = 8;

/// L1 data cache bytes the per-level row rings may use by default (see
/// [`runtime::layout::L1_BUDGET_BYTES`]); cores with a larger L1 keep the
/// source and destination rows there too.
pub const RING_BUDGET_BYTES: usize = L1_BUDGET_BYTES;

/// The default time-blocking depth for rows of `n` cells: as many steps as
/// keep rings of three rows per intermediate level (one row per sweep)
/// within [`RING_BUDGET_BYTES`], at least 1 and at most
/// [`MAX_DEFAULT_DEPTH`]. With rows grouped (`kernel::Avx512Form`) the
/// rings hold two rows more per level than rows per sweep and reach into
/// L2; the same depth stays, as it ran faster there than one whose rings
/// fit.
pub fn default_depth(n: usize) -> usize {
    let ring_row_bytes = 3 * Layout::new(n).row_bytes();
    (1 + RING_BUDGET_BYTES / ring_row_bytes.max(1)).clamp(1, MAX_DEFAULT_DEPTH)
}

/// Fewest cell updates of one `advance` call worth starting one more thread
/// for: each thread of the team gets at least this much work. (The
/// expression engine's `MIN_PAR_UPDATES` is another rule: the work below
/// which its team does not start at all.)
const MIN_UPDATES_PER_THREAD: usize = 1 << 18;

/// While threads keep leaving the team (the machine has no free core for
/// them), every this many calls runs the whole team again, to see whether
/// the cores are back: often, because a default run is only 30 calls and a
/// vCPU taken by the hypervisor for a few milliseconds (a thread leaves)
/// should not cost a quarter of the run on one thread.
const RETRY_WHOLE_TEAM_EVERY: usize = 3;

/// Chunks of rows per thread of the team: more than one, so that a thread
/// that the machine slows down or deschedules holds up fewer rows and the
/// others take over its share; few, because each task recomputes a few
/// rows of its neighbours (see the module doc).
const CHUNKS_PER_THREAD: usize = 2;

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
    /// Threads that left the team in the last call that had them all (see
    /// [`ThreadsStepper::team_for_call`]).
    left_last_time: usize,
    /// Calls since the last one with the whole team.
    calls_since_whole_team: usize,
    /// The threads' relative speeds, which size their chunks (`split.rs`).
    speeds: Speeds,
    /// The two working arrays (allocated on first use, kept between calls);
    /// each call leaves its result in the first.
    buffers: Option<(AlignedBuf, AlignedBuf)>,
    /// The first working array holds steps that the caller's density has
    /// not seen ([`Stepper::advance_unseen`]): the next call starts from it.
    unseen: bool,
    simd: Simd,
    /// The machine's cores: a larger team does not spin while it waits.
    cores: usize,
    /// The helper threads (started on the first call that needs them).
    workers: Option<Workers>,
}

impl ThreadsStepper {
    /// A stepper on `threads` threads (see [`runtime::pool`] for what the
    /// count means), with the default depth and kernel.
    pub fn new(threads: Threads) -> Result<Self, DiffusionError> {
        Ok(ThreadsStepper {
            threads: crate::options::team_size(threads)?,
            depth: None,
            min_updates_per_thread: MIN_UPDATES_PER_THREAD,
            left_last_time: 0,
            calls_since_whole_team: 0,
            speeds: Speeds::default(),
            intrinsics: true,
            buffers: None,
            unseen: false,
            simd: Simd::detect(),
            cores: runtime::pool::cores(),
            workers: None,
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

    /// The team this call runs with, out of `whole` threads: fewer by
    /// those that left the last whole team for lack of a free core (a busy
    /// machine), except every [`RETRY_WHOLE_TEAM_EVERY`]-th call, which
    /// tries the whole team again.
    fn team_for_call(&mut self, whole: usize) -> usize {
        if self.left_last_time == 0 || self.calls_since_whole_team + 1 >= RETRY_WHOLE_TEAM_EVERY {
            self.calls_since_whole_team = 0;
            return whole;
        }
        self.calls_since_whole_team += 1;
        whole.saturating_sub(self.left_last_time).max(1)
    }

    /// Records how a call with `team` threads ended with `members` of them.
    fn remember(&mut self, team: usize, members: usize) {
        if self.calls_since_whole_team == 0 {
            self.left_last_time = team - members;
        }
    }

    /// The number of threads in the team.
    pub fn threads(&self) -> usize {
        self.threads
    }
}

impl Stepper for ThreadsStepper {
    fn advance(&mut self, dens: &mut Array2<f64>, k: f64, steps: usize) -> crate::Result<()> {
        self.step(dens, k, steps)?;
        if self.unseen {
            let lay = Layout::new(dens.nrows());
            let (current, _) = self
                .buffers
                .as_ref()
                .expect("unseen steps were computed in them");
            let dens = dens.as_slice_mut().expect("standard layout");
            lay.pack(current.as_slice(), 0, dens);
            self.unseen = false;
        }
        Ok(())
    }

    /// Steps without copying the result back into `dens`: the working
    /// arrays keep it for the next call.
    fn advance_unseen(
        &mut self,
        dens: &mut Array2<f64>,
        k: f64,
        steps: usize,
    ) -> crate::Result<()> {
        self.step(dens, k, steps)
    }
}

impl ThreadsStepper {
    /// Advances the state by `steps` steps into the first working array,
    /// starting from `dens` unless the arrays hold
    /// [`ThreadsStepper::unseen`] steps; sets `unseen` when it stepped.
    fn step(&mut self, dens: &Array2<f64>, k: f64, steps: usize) -> crate::Result<()> {
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
        // A task reads up to `depth` rows into each neighbouring chunk:
        // chunks must be at least that high, so that it never reads a third
        // chunk's rows.
        let team = self.team_for_call(team.min(interior / depth).max(1));
        let chunks = if team == 1 {
            1
        } else {
            (CHUNKS_PER_THREAD * team).min(interior / depth).max(team)
        };
        let passes = steps.div_ceil(depth);
        let lay = Layout::new(n);
        let len = n * lay.stride;
        if self.buffers.as_ref().is_none_or(|(a, _)| a.len() != len) {
            self.buffers = Some((AlignedBuf::new(len, SKEW_A), AlignedBuf::new(len, SKEW_B)));
            self.unseen = false;
        }
        let (buf_a, buf_b) = self.buffers.as_mut().expect("allocated above");
        let (a_slice, b_slice) = (buf_a.as_mut_slice(), buf_b.as_mut_slice());
        if !self.unseen {
            lay.unpack(dens.as_slice().expect("standard layout"), a_slice, 0);
        }
        // A team larger than the machine parks at once when it waits: the
        // thread it waits for may be queued behind it on the same core.
        let spin = if team <= self.cores {
            SPIN
        } else {
            Duration::ZERO
        };
        let job = Arc::new(Sweep {
            schedule: Schedule::new(chunks, passes, team, spin, LEAVE_AFTER),
            a: Shared(a_slice.as_mut_ptr()),
            b: Shared(b_slice.as_mut_ptr()),
            lay,
            team,
            bounds: self.speeds.boundaries(interior, chunks, team, depth),
            tallies: (0..team).map(|_| TallyCell::default()).collect(),
            depth,
            steps,
            k,
            simd: self.simd,
            intrinsics: self.intrinsics,
        });
        if team > 1 {
            if self.workers.as_ref().is_none_or(|w| w.count() < team - 1) {
                // Stop the old helpers before starting more.
                self.workers = None;
                self.workers = Some(Workers::start(self.threads - 1)?);
            }
            if let Some(workers) = &self.workers {
                workers.post(job.clone());
            }
        }
        // The caller never leaves: it returns once every chunk has done
        // every pass, and the helpers touch nothing of a finished job.
        job.work(0);
        self.remember(team, job.schedule.members());
        let tallies: Vec<_> = job.tallies.iter().map(TallyCell::get).collect();
        self.speeds.record(&tallies);
        // A helper's panic is the caller's, as a scoped thread's would be.
        assert!(
            !job.schedule.is_abandoned(),
            "a helper thread of the threads backend panicked"
        );
        if passes % 2 == 1 {
            let (buf_a, buf_b) = self.buffers.as_mut().expect("allocated above");
            std::mem::swap(buf_a, buf_b);
        }
        self.unseen = true;
        Ok(())
    }
}

/// One call's work: `steps` steps of the grid laid out as `lay` in the
/// arrays `a` (the current values) and `b`, as tasks of a [`Schedule`].
struct Sweep {
    schedule: Schedule,
    a: Shared,
    b: Shared,
    lay: Layout,
    team: usize,
    /// Chunk `c` is interior rows `bounds[c]..bounds[c+1]` (from 0).
    bounds: Vec<usize>,
    /// What each thread of the team did, for the next call's chunks.
    tallies: Vec<TallyCell>,
    depth: usize,
    steps: usize,
    k: f64,
    simd: Simd,
    intrinsics: bool,
}

impl Sweep {
    /// The rows of chunk `c`.
    fn chunk_rows(&self, c: usize) -> (usize, usize) {
        (1 + self.bounds[c], 1 + self.bounds[c + 1])
    }

    /// The number of chunks.
    fn chunks(&self) -> usize {
        self.bounds.len() - 1
    }
}

impl Job for Sweep {
    fn work(&self, t: usize) {
        if t >= self.team {
            return;
        }
        let (lay, n, depth) = (self.lay, self.lay.n, self.depth);
        let mut band = Band::new(lay, depth, SKEW_RING);
        let chunks = self.chunks();
        let home = t * chunks / self.team..(t + 1) * chunks / self.team;
        while let Claim::Run(task) = self.schedule.claim(home.clone(), t != 0) {
            // From the claim to the finish: the busy time of the speed
            // tally, and how long the schedule saw the task held.
            let started = Instant::now();
            let (r0, r1) = self.chunk_rows(task.chunk);
            let p = task.pass;
            let (from, to) = if p % 2 == 0 {
                (self.a, self.b)
            } else {
                (self.b, self.a)
            };
            let levels = depth.min(self.steps - p * depth);
            let (s0, s1) = src_rows((r0, r1), levels, n);
            // SAFETY: both ranges lie in their arrays (rows below n of
            // n·stride slots), which the stepper keeps alive and in place
            // until the call that made this sweep returns, and that call
            // returns only once every task is done (no task can be claimed
            // after that). `Schedule` gives this thread chunk `task.chunk`
            // for pass p alone: no other thread touches its rows of `to`
            // until it finishes, and none writes the rows `s0..s1` of
            // `from` (this chunk's and the neighbours' nearest `levels` ≤
            // `depth` rows, within the neighbours since chunks are at least
            // `depth` high) before it finishes (see `Schedule`).
            let (src, dst) = unsafe {
                (
                    std::slice::from_raw_parts(
                        from.0.add(s0 * lay.stride) as *const f64,
                        (s1 - s0) * lay.stride,
                    ),
                    std::slice::from_raw_parts_mut(
                        to.0.add(r0 * lay.stride),
                        (r1 - r0) * lay.stride,
                    ),
                )
            };
            band.run(
                self.simd,
                self.intrinsics,
                Pass {
                    grid_rows: n,
                    rows: (r0, r1),
                    src,
                    dst,
                    levels,
                    k: self.k,
                },
            );
            let done = band::updates((r0, r1), levels, n);
            let held = started.elapsed();
            self.tallies[t].add(held, done);
            self.schedule.finish(task, held);
        }
    }

    fn abandon(&self) {
        self.schedule.abandon();
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

    /// A 67×67 grid with a patterned interior, and the `naive` backend's
    /// result after `steps` steps of k = 0.2.
    fn grid_and_naive_after(steps: usize) -> (Array2<f64>, Array2<f64>) {
        use crate::{NaiveStepper, Stepper};
        let n = 67;
        let mut start = Array2::<f64>::zeros((n, n));
        for ((i, j), v) in start.indexed_iter_mut() {
            if i > 0 && j > 0 && i < n - 1 && j < n - 1 {
                *v = ((i * 31 + j * 17) % 11) as f64 / 11.0;
            }
        }
        let mut reference = start.clone();
        NaiveStepper::new()
            .advance(&mut reference, 0.2, steps)
            .unwrap();
        (start, reference)
    }

    #[test]
    fn eight_threads_on_a_small_machine_agree_with_naive_call_after_call() {
        use crate::Stepper;
        let (start, reference) = grid_and_naive_after(3 * 37);
        for threads in [2, 8] {
            let mut s = ThreadsStepper::new(Threads::Exactly(threads))
                .unwrap()
                .with_min_updates_per_thread(0)
                .with_depth(3);
            let mut dens = start.clone();
            // Three calls, the team and its helpers kept between them.
            for _ in 0..3 {
                s.advance(&mut dens, 0.2, 37).unwrap();
            }
            assert_eq!(dens, reference, "{threads} threads");
        }
    }

    #[test]
    fn chunks_cut_for_unequal_speeds_give_naive_bits() {
        use crate::Stepper;
        let (start, reference) = grid_and_naive_after(50);
        let n = start.nrows();
        // Thread 0 sixteen times as fast as the others, or as slow:
        // the slow chunks shrink to the 3 rows a task reads.
        for weights in [vec![16.0, 1.0, 1.0], vec![0.0625, 1.0, 1.0]] {
            let mut s = ThreadsStepper::new(Threads::Exactly(3))
                .unwrap()
                .with_min_updates_per_thread(0)
                .with_depth(3);
            s.speeds = Speeds::with_weights(weights.clone());
            let b = s.speeds.boundaries(n - 2, 6, 3, 3);
            assert!(b[2] != 2 * (n - 2) / 6, "{weights:?}: even chunks {b:?}");
            let mut dens = start.clone();
            s.advance(&mut dens, 0.2, 50).unwrap();
            assert_eq!(dens, reference, "weights {weights:?}");
        }
    }

    #[test]
    fn unseen_steps_reach_the_density_at_the_next_advance() {
        use crate::{NaiveStepper, Stepper};
        let n = 41;
        let mut start = Array2::<f64>::zeros((n, n));
        start[[20, 20]] = 1.0;
        start[[5, 30]] = 0.5;
        let after = |steps| {
            let mut d = start.clone();
            NaiveStepper::new().advance(&mut d, 0.2, steps).unwrap();
            d
        };
        for threads in [1, 2] {
            let mut s = ThreadsStepper::new(Threads::Exactly(threads))
                .unwrap()
                .with_min_updates_per_thread(0)
                .with_depth(3);
            let mut dens = start.clone();
            // 13 passes, then 12: the result lands in either working array.
            s.advance_unseen(&mut dens, 0.2, 37).unwrap();
            s.advance_unseen(&mut dens, 0.2, 36).unwrap();
            assert_eq!(dens, start, "{threads} thread(s): the unseen steps wrote");
            s.advance(&mut dens, 0.2, 0).unwrap();
            assert_eq!(dens, after(73), "{threads} thread(s)");
            s.advance_unseen(&mut dens, 0.2, 4).unwrap();
            s.advance(&mut dens, 0.2, 5).unwrap();
            assert_eq!(dens, after(82), "{threads} thread(s)");
        }
    }

    #[test]
    fn threads_that_left_sit_out_until_the_whole_team_is_tried_again() {
        let mut s = ThreadsStepper::new(Threads::Exactly(4)).unwrap();
        assert_eq!(s.team_for_call(4), 4);
        s.remember(4, 4);
        assert_eq!(s.team_for_call(4), 4, "nobody left: the whole team");
        s.remember(4, 2);
        let teams: Vec<usize> = (0..RETRY_WHOLE_TEAM_EVERY)
            .map(|_| {
                let team = s.team_for_call(4);
                s.remember(team, team);
                team
            })
            .collect();
        let mut want = vec![2; RETRY_WHOLE_TEAM_EVERY - 1];
        want.push(4);
        assert_eq!(teams, want);
        // The whole team stayed together on the retry: all of it again.
        assert_eq!(s.team_for_call(4), 4);
    }

    #[test]
    fn too_many_threads_is_an_error() {
        let e = ThreadsStepper::new(Threads::Exactly(runtime::pool::MAX_THREADS + 1)).unwrap_err();
        assert!(e.to_string().contains("threads is more than"), "{e}");
        assert!(ThreadsStepper::new(Threads::AllCores).unwrap().threads() >= 1);
    }
}
