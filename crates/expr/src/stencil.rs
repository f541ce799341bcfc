//! Time stepping, `u <- expr(u, ...)` many times ([`Expr::iterate`]), with
//! temporal blocking on a persistent team of threads.
//!
//! One step of a stencil on a mid-sized grid is little work (the course's
//! diffusion: 90 000 cells, some tens of microseconds), so evaluating step
//! by step pays a thread hand-off and a pass over memory per step. Here the
//! team is started once per call and the rows (axis 0) are split into one
//! band per thread. The state lives in two shared grids, copied from `u`
//! once per call, with rows padded so that each row's interior starts a
//! cache line (64-byte vector accesses that cross a line cost two). A
//! *pass* advances every band `depth` steps from one grid into the other:
//! each thread reads its band plus `depth` steps' reach of neighbour rows
//! (an overlapped ghost zone, computed by both neighbours: a few percent of
//! extra work) and keeps the levels in between in two private buffers. The
//! team meets at a barrier once per pass instead of once per step.
//!
//! A 2-D state whose rows fit a VM block is swept as a *wavefront* in row ×
//! level: each level computes a row as soon as the rows it reads exist, so
//! the rows in flight stay in L1 (see [`Plan::wavefront`]); other states go
//! level by level, each level one block-VM run over the band.
//!
//! Each cell gets the very arithmetic of [`Expr::eval`], so the result is
//! bit-identical to that many evaluations.

use crate::api::Bound;
use crate::array::{ArgMut, Raw};
use crate::error::ExprError;
use crate::exec::{copy_strided, Operand, Serial, Space, VarOp, BLOCK};
use crate::threads::{num_threads, TeamBarrier};
use crate::{Arg, Expr};

/// How [`Expr::iterate_with`] runs: the size of the team and the temporal
/// blocking depth. `Iterate::default()` is what [`Expr::iterate`] uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Iterate {
    /// Threads in the team; 0 means the [`crate::set_num_threads`] setting.
    pub threads: usize,
    /// Steps a thread advances its band between two meetings of the team
    /// (the temporal-blocking depth); 0 chooses one: for a wavefront (2-D
    /// rows of at most a VM block) as many steps as keep the rows in flight
    /// within [`Iterate::L1_BUDGET_BYTES`], at least
    /// [`Iterate::MIN_WAVEFRONT_DEPTH`]; otherwise [`Iterate::DEFAULT_DEPTH`].
    pub depth: usize,
}

impl Iterate {
    /// The default depth of a level-by-level sweep: the ghost zones then
    /// cost ~10% of extra work on a band of ~150 rows, and the team meets
    /// 1/16 as often (on the course's diffusion with 2 threads, 16 measured
    /// ~5% faster than 8 and on par with 32).
    pub const DEFAULT_DEPTH: usize = 16;

    /// L1 data cache bytes a wavefront's rows in flight may fill: the
    /// smallest L1d of current x86 cores.
    pub const L1_BUDGET_BYTES: usize = 32 << 10;

    /// The shallowest default wavefront: below it the team's meetings cost
    /// more than the spilled rows. On the course's diffusion (301-cell
    /// rows, 4 by the budget), one thread took 0.45-0.47 s at depth 4 and
    /// 6, 0.50-0.54 s at 8 and 16; two threads 0.34 s at 4 and 6.
    pub const MIN_WAVEFRONT_DEPTH: usize = 4;
}

/// Below this many cell updates per call, one thread does all the work:
/// starting a thread costs tens of microseconds.
const MIN_PAR_UPDATES: usize = 1 << 16;

/// Bytes in a cache line. The rows of the grids and band buffers are padded
/// to whole lines and placed so that each row's interior starts one: the
/// stencil's centre, row-above and row-below loads and its stores are then
/// aligned, and a 64-byte AVX-512 access that crosses a line costs two.
const CACHE_LINE: usize = 64;

/// Extra bytes between the team's two buffers modulo 4 KiB: loads from one
/// and stores to the other at equal page offsets make the CPU see false
/// store-to-load dependencies ("4K aliasing").
const SKEW_BYTES: usize = 2048;

/// Spins at the team's barrier before sleeping: ~0.9 ms at the 17 ns a
/// `pause` takes on the Xeon this was measured on (libgomp spins for a
/// similar time by default). Measured when a pass of the course's diffusion
/// was 16 steps, ~0.8 ms: the threads' finishing times often differed by
/// more than the 35 µs of the 2000 spins used before, and each wake-up from
/// sleep then cost tens of microseconds. With 50000: best of 8 interleaved
/// runs 0.403 -> 0.379 s, median 0.443 -> 0.409 s. The price is CPU burnt while waiting, which
/// only matters when the team has more threads than the machine has cores.
const BARRIER_SPINS: usize = 50000;

impl Expr {
    /// Runs `state <- expr(state, inputs)` `steps` times, in place: each
    /// step evaluates the expression with the array `u` as the input named
    /// `state` and writes the result into `u` (for an expression with
    /// stencil offsets only its interior; the border stays as it is).
    ///
    /// The result is bit-identical to `steps` calls of [`Expr::eval`] into a
    /// second array with `u`'s border, swapping the two after each call;
    /// but the steps run with temporal blocking on a team of threads (see
    /// [`Iterate`] and the crate doc), so there is one synchronisation per
    /// [`Iterate::depth`] steps rather than a thread hand-off per step.
    ///
    /// Memory: two copies of `u` (the grids the passes alternate between)
    /// and, per thread, two buffers of its band and ghost rows.
    ///
    /// The expression must be elementwise (no reduction), must read `state`,
    /// and its result type must be `state`'s type; the other `inputs` (arrays
    /// of `u`'s shape or 0-d scalars) stay fixed during the iteration.
    pub fn iterate<'u>(
        &self,
        state: &str,
        u: impl Into<ArgMut<'u>>,
        inputs: &[(&str, Arg<'_>)],
        steps: usize,
    ) -> Result<(), ExprError> {
        self.iterate_with(state, u, inputs, steps, Iterate::default())
    }

    /// [`Expr::iterate`] with the team size and blocking depth chosen by `opts`.
    pub fn iterate_with<'u>(
        &self,
        state: &str,
        u: impl Into<ArgMut<'u>>,
        inputs: &[(&str, Arg<'_>)],
        steps: usize,
        opts: Iterate,
    ) -> Result<(), ExprError> {
        if self.is_reduction() {
            return Err(ExprError::Input(format!(
                "iterate needs an elementwise expression, but `{}` is a reduction",
                self.text()
            )));
        }
        let Some(si) = self.sig.iter().position(|(n, _)| n == state) else {
            return Err(ExprError::Input(format!(
                "the state `{state}` is not in the signature ({})",
                self.signature_names()
            )));
        };
        if !self.checked.vars.iter().any(|v| v.input == si) {
            return Err(ExprError::Input(format!(
                "`{}` does not read the state `{state}`: nothing to iterate",
                self.text()
            )));
        }
        if inputs.iter().any(|(name, _)| *name == state) {
            return Err(ExprError::Input(format!(
                "`{state}` is the state: pass it as `u`, not among the inputs"
            )));
        }
        self.check_input_names(inputs)?;
        let mut u = u.into();
        let uraw = u.raw();
        if uraw.shape.is_empty() {
            return Err(ExprError::Input(format!(
                "the state `{state}` must be an array, not a 0-d scalar"
            )));
        }
        let rdt = self.prog.result_dt;
        let sdt = self.sig[si].1;
        if rdt != sdt {
            return Err(ExprError::Output(format!(
                "the result is {rdt} but the state `{state}` is {sdt}: iterate needs the same type"
            )));
        }
        let bound = self.bind_raw(&|name| {
            if name == state {
                Some(uraw.clone())
            } else {
                inputs
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, a)| a.raw())
            }
        })?;
        if steps == 0 || bound.interior.contains(&0) {
            return Ok(());
        }
        let threads = if opts.threads == 0 {
            num_threads()
        } else {
            opts.threads
        };
        let plan = Plan::new(self, si, &uraw, &bound, opts.depth, steps);
        let updates = bound
            .interior
            .iter()
            .product::<usize>()
            .saturating_mul(steps);
        let team = if updates < MIN_PAR_UPDATES {
            1
        } else {
            threads.clamp(1, bound.interior[0])
        };
        let barrier = TeamBarrier::new(team, BARRIER_SPINS);
        let work = |t: usize| {
            // SAFETY: see `Plan::run_band`: bands write disjoint rows of the
            // grids between barriers, and read them only when nobody writes.
            unsafe { plan.run_band(t, team, steps, &barrier) }
        };
        if team == 1 {
            work(0);
        } else {
            std::thread::scope(|scope| {
                for t in 1..team {
                    let work = &work;
                    scope.spawn(move || work(t));
                }
                work(0);
            });
        }
        Ok(())
    }
}

/// What a band needs to know about the iteration.
struct Plan<'a> {
    expr: &'a Expr,
    /// The state array.
    u: Raw,
    /// Its shape.
    full: Vec<usize>,
    /// The interior's shape and start.
    interior: Vec<usize>,
    lo: Vec<usize>,
    /// Reach of the stencil along axis 0, below and above.
    reach_lo: usize,
    reach_hi: usize,
    depth: usize,
    /// Bytes from one row of axis 0 to the next in the grids and band
    /// buffers: the row's elements, padded for 2-D and 3-D to whole cache
    /// lines (see [`CACHE_LINE`]).
    row_bytes: usize,
    /// The same in elements, and the C strides of the rest of a row: the
    /// buffers' strides.
    bstrides: Vec<isize>,
    esize: usize,
    /// Per variable: a scalar, an input read in place, or the state at an
    /// offset (byte offset within a buffer row block, row offset along axis 0).
    vars: Vec<VarKind>,
    /// Byte offset of the interior's first element within its buffer row.
    out_inner: isize,
    /// The array variables as a wavefront row finds them, when the band can
    /// be swept as a wavefront (see [`Plan::wavefront`]).
    row_vars: Option<Vec<(usize, RowVar)>>,
    /// The two shared grids the passes alternate between (buffer layout,
    /// whole rows of `u`), and the memory that holds them.
    grids: [*mut u8; 2],
    _grid_mem: Vec<u64>,
}

// SAFETY: the raw pointers are borrowed by `iterate` for the whole call, or
// point into the plan's own grids; `run_band` documents how the team shares
// them.
unsafe impl Sync for Plan<'_> {}

enum VarKind {
    Fixed(VarOp),
    State { inner: isize, row: isize },
}

/// Where an array variable's row `x` is, for one step of the wavefront.
#[derive(Clone, Copy)]
enum RowVar {
    /// The state: this many bytes from the start of row `x` in the buffer
    /// of the level the step reads (offsets along both axes included).
    State(isize),
    /// An input read in place: its element for the interior's first row
    /// (and first column), and the bytes from one row to the next.
    Fixed { first: *mut u8, stride: isize },
}

impl<'a> Plan<'a> {
    /// The plan for `steps` steps of `depth` (0: the default) per pass.
    fn new(expr: &'a Expr, si: usize, u: &Raw, b: &Bound, depth: usize, steps: usize) -> Plan<'a> {
        let nd = b.full.len();
        let esize = u.dt.size();
        let hi0 = b.full[0] - b.interior[0] - b.lo[0];
        // Strides (elements) of a buffer holding whole rows of `u`: C order
        // within a row, rows padded to whole cache lines.
        let mut bstrides = c_strides(&b.full);
        let row_bytes = if nd == 1 {
            esize
        } else {
            let packed = b.full[1..].iter().product::<usize>() * esize;
            packed.next_multiple_of(CACHE_LINE)
        };
        bstrides[0] = (row_bytes / esize) as isize;
        let vars: Vec<VarKind> = expr
            .checked
            .vars
            .iter()
            .zip(&b.vars)
            .map(|(v, op)| {
                if v.input != si {
                    return VarKind::Fixed(op.clone());
                }
                let o = |ax: usize| v.offsets.as_ref().map_or(0, |o| o[ax] as isize);
                let inner: isize = (1..nd)
                    .map(|ax| (b.lo[ax] as isize + o(ax)) * bstrides[ax])
                    .sum();
                VarKind::State {
                    inner: inner * esize as isize,
                    row: o(0),
                }
            })
            .collect();
        let out_inner: isize = (1..nd).map(|ax| b.lo[ax] as isize * bstrides[ax]).sum();
        let row_vars = if nd == 2 && b.interior[1] <= BLOCK {
            wavefront_vars(&vars, row_bytes)
        } else {
            None
        };
        let lag = b.lo[0].max(hi0);
        let depth = match (depth, &row_vars) {
            (0, Some(_)) => {
                // Rows in flight: 2 buffers x (depth * lag + 2) rows.
                let rows = Iterate::L1_BUDGET_BYTES / (2 * row_bytes);
                (rows.saturating_sub(2) / lag.max(1))
                    .clamp(Iterate::MIN_WAVEFRONT_DEPTH, Iterate::DEFAULT_DEPTH)
            }
            (0, None) => Iterate::DEFAULT_DEPTH,
            (d, _) => d,
        }
        .min(steps);
        let out_inner = out_inner * esize as isize;
        let (grid_mem, grids) = buffer_pair(b.full[0] * row_bytes, out_inner);
        Plan {
            expr,
            u: u.clone(),
            full: b.full.clone(),
            interior: b.interior.clone(),
            lo: b.lo.clone(),
            reach_lo: b.lo[0],
            reach_hi: hi0,
            depth,
            row_bytes,
            bstrides,
            esize,
            vars,
            out_inner,
            row_vars,
            grids,
            _grid_mem: grid_mem,
        }
    }

    /// Copies rows `r0..r1` of `u` to (or, with `back`, from) the packed
    /// rows at `buf`.
    ///
    /// # Safety
    /// `buf` must hold `r1 - r0` buffer rows; no other thread may
    /// write those rows of `u` (or, with `back`, read or write them).
    unsafe fn copy_rows(&self, r0: usize, r1: usize, buf: *mut u8, back: bool) {
        let u = &self.u;
        let es = self.esize;
        let at = |off: isize| u.ptr.offset(off * es as isize);
        let go = |src_off: isize, stride: isize, packed: *mut u8, n: usize| {
            if back {
                copy_strided(packed, 1, at(src_off), stride, n, es)
            } else {
                copy_strided(at(src_off), stride, packed, 1, n, es)
            }
        };
        let s = &u.strides;
        match self.full.len() {
            1 => go(r0 as isize * s[0], s[0], buf, r1 - r0),
            2 => {
                for r in r0..r1 {
                    let packed = buf.add((r - r0) * self.row_bytes);
                    go(r as isize * s[0], s[1], packed, self.full[1]);
                }
            }
            _ => {
                let (n1, n2) = (self.full[1], self.full[2]);
                for r in r0..r1 {
                    for j in 0..n1 {
                        let packed = buf.add((r - r0) * self.row_bytes + j * n2 * es);
                        go(r as isize * s[0] + j as isize * s[1], s[2], packed, n2);
                    }
                }
            }
        }
    }

    /// Thread `t` of `team`: advances its band of interior rows `steps`
    /// steps, `depth` at a time, meeting the team at `barrier` once per pass.
    ///
    /// The state lives in the two shared grids (buffer layout), which
    /// pass `p` reads from `grids[p % 2]` and writes to `grids[(p + 1) % 2]`;
    /// the levels in between stay in two private band buffers. The thread
    /// first copies its rows of `u` into both grids (the first and last
    /// thread also the border rows) and at the end copies its rows of the
    /// final grid back.
    ///
    /// # Safety
    /// Every thread of the team must run this with the same arguments. A
    /// thread writes only its own rows of either grid (and of `u`, at the
    /// end); it reads its neighbours' rows of a grid only in the pass after
    /// a barrier that follows their writes, and the barrier after that pass
    /// keeps them from overwriting those rows while it reads.
    unsafe fn run_band(&self, t: usize, team: usize, steps: usize, barrier: &TeamBarrier) {
        let grids = self.grids;
        let n_int = self.interior[0];
        let first = self.lo[0];
        let r0 = first + n_int * t / team;
        let r1 = first + n_int * (t + 1) / team;
        let b0 = r0.saturating_sub(self.depth * self.reach_lo);
        let b1 = (r1 + self.depth * self.reach_hi).min(self.full[0]);
        let wait = || {
            if team > 1 {
                barrier.wait()
            }
        };

        // This band's rows of u into both grids: the border cells, which no
        // step writes, must be in both.
        let own0 = if t == 0 { 0 } else { r0 };
        let own1 = if t + 1 == team { self.full[0] } else { r1 };
        for g in grids {
            self.copy_rows(own0, own1, g.add(own0 * self.row_bytes), false);
        }
        // The private buffers need u's border cells too, once.
        let (_mem, bufs) = buffer_pair((b1 - b0) * self.row_bytes, self.out_inner);
        for b in bufs {
            self.copy_rows(b0, b1, b, false);
        }
        wait();

        // The step's space of the general sweep: shape[0] and the pointers
        // change per level.
        let es = self.esize;
        let mut sp = Space {
            shape: self.interior.clone(),
            vars: self
                .vars
                .iter()
                .map(|v| match v {
                    VarKind::Fixed(op) => op.clone(),
                    VarKind::State { .. } => VarOp::Array(Operand {
                        ptr: std::ptr::null_mut(),
                        strides: self.bstrides.clone(),
                        esize: es,
                    }),
                })
                .collect(),
            out: Some(Operand {
                ptr: std::ptr::null_mut(),
                strides: self.bstrides.clone(),
                esize: es,
            }),
        };
        let mut serial = Serial::new(&self.expr.prog, &sp.vars);

        let mut done = 0;
        let mut pass = 0;
        while done < steps {
            let levels = self.depth.min(steps - done);
            // Computation s reads time level s and writes level s + 1, over
            // the rows still valid at level s + 1: the band plus the reach
            // of the steps left in this pass, inside the interior. Levels 0
            // and `levels` are the shared grids, the others alternate
            // between the private buffers.
            let src = Rows::grid(grids[pass % 2]);
            let dst = Rows::grid(grids[(pass + 1) % 2]);
            let private = |lvl: usize| Rows {
                base: bufs[lvl % 2],
                origin: b0,
            };
            let pass_levels: Vec<Level> = (0..levels)
                .map(|s| {
                    let left = levels - 1 - s;
                    Level {
                        rows: (
                            r0.saturating_sub(left * self.reach_lo).max(first),
                            (r1 + left * self.reach_hi).min(first + n_int),
                        ),
                        src: if s == 0 { src } else { private(s) },
                        dst: if s + 1 == levels { dst } else { private(s + 1) },
                    }
                })
                .collect();
            match &self.row_vars {
                Some(rows) => self.wavefront(&mut serial, rows, &pass_levels),
                None => self.sweep(&mut serial, &mut sp, &pass_levels),
            }
            wait();
            done += levels;
            pass += 1;
        }
        let last = grids[pass % 2];
        self.copy_rows(r0, r1, last.add(r0 * self.row_bytes), true);
    }
}

/// Two buffers of `bytes` each in buffer layout, placed so that byte
/// `out_inner` of each row (the interior's first element) starts a cache
/// line (see [`CACHE_LINE`]), in one allocation that the first value owns;
/// the second buffer starts [`SKEW_BYTES`] off the first's page offset.
fn buffer_pair(bytes: usize, out_inner: isize) -> (Vec<u64>, [*mut u8; 2]) {
    let words_a = bytes.div_ceil(4096) * 512;
    let skew = SKEW_BYTES / 8;
    let line_words = CACHE_LINE / 8;
    let mut mem = vec![0u64; words_a + skew + bytes.div_ceil(8) + 1 + line_words];
    let start = mem.as_mut_ptr() as *mut u8;
    let misalign = (start as usize + out_inner as usize) % CACHE_LINE;
    // SAFETY: the allocation has a cache line to spare.
    let base = unsafe { start.add((CACHE_LINE - misalign) % CACHE_LINE) };
    // SAFETY: the second buffer ends inside the allocation.
    let second = unsafe { base.add((words_a + skew) * 8) };
    (mem, [base, second])
}

/// The array variables as a wavefront row finds them (see [`RowVar`]), or
/// `None` when an input is not contiguous along rows (the level-by-level
/// sweep then gathers it). Scalars are left out: the VM frame holds them.
fn wavefront_vars(vars: &[VarKind], row_bytes: usize) -> Option<Vec<(usize, RowVar)>> {
    let mut rows = Vec::new();
    for (v, kind) in vars.iter().enumerate() {
        match kind {
            VarKind::State { inner, row } => {
                rows.push((v, RowVar::State(inner + row * row_bytes as isize)));
            }
            VarKind::Fixed(VarOp::Array(op)) if op.strides[1] == 1 => {
                let stride = op.strides[0] * op.esize as isize;
                rows.push((
                    v,
                    RowVar::Fixed {
                        first: op.ptr,
                        stride,
                    },
                ));
            }
            VarKind::Fixed(VarOp::Array(_)) => return None,
            VarKind::Fixed(VarOp::Scalar(_)) => {}
        }
    }
    Some(rows)
}

/// The rows of one time level: a buffer in buffer layout, and the row of
/// `u` its first row holds.
#[derive(Clone, Copy)]
struct Rows {
    base: *mut u8,
    origin: usize,
}

impl Rows {
    /// A whole grid.
    fn grid(base: *mut u8) -> Rows {
        Rows { base, origin: 0 }
    }

    /// Address of row `x` plus `off` bytes.
    ///
    /// # Safety
    /// The buffer must hold row `x` (`off` may reach into its neighbours).
    unsafe fn at(self, x: usize, row_bytes: usize, off: isize) -> *mut u8 {
        let row = (x as isize - self.origin as isize) * row_bytes as isize;
        self.base.offset(row + off)
    }
}

/// One computation of a pass: the rows it updates (of axis 0) and where
/// it reads and writes them.
struct Level {
    rows: (usize, usize),
    src: Rows,
    dst: Rows,
}

impl Plan<'_> {
    /// One pass level by level: each level is one block-VM run over its
    /// rows of the band (any dimension, any input strides).
    ///
    /// # Safety
    /// As for [`Plan::run_band`]; `sp` is the band's step space.
    unsafe fn sweep(&self, serial: &mut Serial, sp: &mut Space, levels: &[Level]) {
        let first = self.lo[0];
        let rb = self.row_bytes;
        for lvl in levels {
            let (g0, g1) = lvl.rows;
            sp.shape[0] = g1 - g0;
            for (op, kind) in sp.vars.iter_mut().zip(&self.vars) {
                match (op, kind) {
                    (VarOp::Array(op), VarKind::State { inner, row }) => {
                        op.ptr = lvl.src.at(g0, rb, row * rb as isize + inner);
                    }
                    (VarOp::Array(op), VarKind::Fixed(VarOp::Array(orig))) => {
                        // Inputs read in place, from the level's first row.
                        let rows = (g0 - first) as isize * orig.strides[0];
                        op.ptr = orig.ptr.offset(rows * orig.esize as isize);
                    }
                    _ => {}
                }
            }
            if let Some(out) = &mut sp.out {
                out.ptr = lvl.dst.at(g0, rb, self.out_inner);
            }
            serial.run(sp);
        }
    }

    /// One pass as a wavefront in row x level: the band is swept once, and
    /// each level computes row `x` as soon as the level below has computed
    /// the rows `x` reads, so the rows in flight stay in L1 instead of each
    /// level streaming the whole band through L2. Level `s` trails level
    /// `s - 1` by `lag` rows, the stencil's reach along axis 0: then level
    /// `s - 1` has produced every row that row `x` of level `s` reads, and
    /// has read for the last time the row `x` of level `s - 2` that level
    /// `s` overwrites in their shared buffer. Each (level, row) is one run
    /// of the VM over a row; only 2-D states with rows of at most a block.
    ///
    /// # Safety
    /// As for [`Plan::run_band`]; `rows` are this plan's `row_vars`.
    unsafe fn wavefront(&self, serial: &mut Serial, rows: &[(usize, RowVar)], levels: &[Level]) {
        let rb = self.row_bytes;
        let n = self.interior[1];
        let first = self.lo[0];
        let lag = self.reach_lo.max(self.reach_hi);
        let last = levels.len() - 1;
        for w in levels[0].rows.0..levels[last].rows.1 + last * lag {
            for (s, lvl) in levels.iter().enumerate() {
                let (g0, g1) = lvl.rows;
                // Levels start further down the band as `s` grows.
                let Some(x) = w.checked_sub(s * lag).filter(|&x| x >= g0) else {
                    break;
                };
                if x >= g1 {
                    continue;
                }
                let arrays = rows.iter().map(|&(v, kind)| match kind {
                    RowVar::State(off) => (v, lvl.src.at(x, rb, off)),
                    RowVar::Fixed { first: p, stride } => {
                        (v, p.offset((x - first) as isize * stride))
                    }
                });
                serial.run_span(n, arrays, lvl.dst.at(x, rb, self.out_inner));
            }
        }
    }
}

/// C-order strides (elements) of `shape`.
fn c_strides(shape: &[usize]) -> Vec<isize> {
    let mut s = vec![1isize; shape.len()];
    for ax in (0..shape.len().saturating_sub(1)).rev() {
        s[ax] = s[ax + 1] * shape[ax + 1] as isize;
    }
    s
}
