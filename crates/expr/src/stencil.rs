//! Time stepping, `u <- expr(u, ...)` many times ([`Expr::iterate`]), with
//! temporal blocking on a persistent team of threads.
//!
//! One step of a stencil on a mid-sized grid is little work (the course's
//! diffusion: 90 000 cells, some tens of microseconds), so evaluating step
//! by step pays a thread hand-off and a pass over memory per step. Here the
//! team is started once per call, the rows (axis 0) are split into one band
//! per thread, and each thread copies its band plus `depth` steps' reach of
//! neighbour rows on each side (an overlapped ghost zone) into two private
//! buffers, then advances the band `depth` steps alone, ping-ponging between
//! them: each step is one single-threaded block-VM run over the rows still
//! valid, which shrink by the stencil's reach per step. Then the band is
//! written back, and the team meets at a barrier — once per `depth` steps
//! instead of once per step. The ghost rows are computed by both
//! neighbours (a few percent of extra work); the buffers of a band stay in
//! the core's L2 cache.
//!
//! Each cell gets the very arithmetic of [`Expr::eval`], so the result is
//! bit-identical to that many evaluations.

use crate::api::Bound;
use crate::array::{ArgMut, Raw};
use crate::error::ExprError;
use crate::exec::{copy_strided, Operand, Serial, Space, VarOp};
use crate::threads::{num_threads, TeamBarrier};
use crate::{Arg, Expr};

/// How [`Expr::iterate_with`] runs: the size of the team and the temporal
/// blocking depth. `Iterate::default()` is what [`Expr::iterate`] uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Iterate {
    /// Threads in the team; 0 means the [`crate::set_num_threads`] setting.
    pub threads: usize,
    /// Steps a thread advances its band between two meetings of the team
    /// (the temporal-blocking depth); 0 means [`Iterate::DEFAULT_DEPTH`].
    pub depth: usize,
}

impl Iterate {
    /// The default depth: the ghost zones then cost ~10% of extra work on
    /// a band of ~150 rows, and the team meets 1/16 as often (on the
    /// course's diffusion with 2 threads, 16 measured ~5% faster than 8 and
    /// on par with 32).
    pub const DEFAULT_DEPTH: usize = 16;
}

/// Below this many cell updates per call, one thread does all the work:
/// starting a thread costs tens of microseconds.
const MIN_PAR_UPDATES: usize = 1 << 16;

/// Extra bytes between the team's two buffers modulo 4 KiB: loads from one
/// and stores to the other at equal page offsets make the CPU see false
/// store-to-load dependencies ("4K aliasing").
const SKEW_BYTES: usize = 2048;

/// Spins at the team's barrier before sleeping: ~0.9 ms at the 17 ns a
/// `pause` takes on the Xeon this was measured on (libgomp spins for a
/// similar time by default). A pass of the course's diffusion is ~0.8 ms,
/// and the threads' finishing times often differ by more than the 35 µs of
/// the 2000 spins used before; each wake-up from sleep then cost tens of
/// microseconds. With 50000: best of 8 interleaved runs 0.403 -> 0.379 s,
/// median 0.443 -> 0.409 s. The price is CPU burnt while waiting, which
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
    /// [`Iterate::DEFAULT_DEPTH`] steps rather than a thread hand-off per step.
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
        let depth = if opts.depth == 0 {
            Iterate::DEFAULT_DEPTH
        } else {
            opts.depth
        }
        .min(steps);
        let plan = Plan::new(self, si, &uraw, &bound, depth);
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
            // SAFETY: see `Plan::run_band`: bands write disjoint rows of `u`
            // between barriers, and read it only when nobody writes.
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
    /// Elements per row of axis 0 (1 for 1-D).
    row_elems: usize,
    esize: usize,
    /// Per variable: a scalar, an input read in place, or the state at an
    /// offset (byte offset within a buffer row block, row offset along axis 0).
    vars: Vec<VarKind>,
    /// Byte offset of the interior's first element within its buffer row.
    out_inner: isize,
}

// SAFETY: the raw pointers are borrowed by `iterate` for the whole call;
// `run_band` documents how the team shares them.
unsafe impl Sync for Plan<'_> {}

enum VarKind {
    Fixed(VarOp),
    State { inner: isize, row: isize },
}

impl<'a> Plan<'a> {
    fn new(expr: &'a Expr, si: usize, u: &Raw, b: &Bound, depth: usize) -> Plan<'a> {
        let nd = b.full.len();
        let esize = u.dt.size();
        let hi0 = b.full[0] - b.interior[0] - b.lo[0];
        // C strides (elements) of a buffer holding whole rows of `u`.
        let bstrides = c_strides(&b.full);
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
        Plan {
            expr,
            u: u.clone(),
            full: b.full.clone(),
            interior: b.interior.clone(),
            lo: b.lo.clone(),
            reach_lo: b.lo[0],
            reach_hi: hi0,
            depth,
            row_elems: b.full[1..].iter().product(),
            esize,
            vars,
            out_inner: out_inner * esize as isize,
        }
    }

    /// Copies rows `r0..r1` of `u` to (or, with `back`, from) the packed
    /// rows at `buf`.
    ///
    /// # Safety
    /// `buf` must hold `(r1 - r0) * row_elems` elements; no other thread may
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
                    let packed = buf.add((r - r0) * self.row_elems * es);
                    go(r as isize * s[0], s[1], packed, self.full[1]);
                }
            }
            _ => {
                let (n1, n2) = (self.full[1], self.full[2]);
                for r in r0..r1 {
                    for j in 0..n1 {
                        let packed = buf.add(((r - r0) * self.row_elems + j * n2) * es);
                        go(r as isize * s[0] + j as isize * s[1], s[2], packed, n2);
                    }
                }
            }
        }
    }

    /// Thread `t` of `team`: advances its band of interior rows `steps`
    /// steps, `depth` at a time, meeting the team at `barrier` twice per
    /// pass (after computing, and after writing back).
    ///
    /// # Safety
    /// Every thread of the team must run this with the same arguments. In a
    /// pass, all threads first read `u` (copying their bands in), compute
    /// in private buffers, wait, write their own disjoint rows back, and
    /// wait again before the next pass reads `u`.
    unsafe fn run_band(&self, t: usize, team: usize, steps: usize, barrier: &TeamBarrier) {
        let n_int = self.interior[0];
        let first = self.lo[0];
        let r0 = first + n_int * t / team;
        let r1 = first + n_int * (t + 1) / team;
        let b0 = r0.saturating_sub(self.depth * self.reach_lo);
        let b1 = (r1 + self.depth * self.reach_hi).min(self.full[0]);
        let es = self.esize;
        let row_bytes = self.row_elems * es;
        let band_bytes = (b1 - b0) * row_bytes;
        // Two buffers in one allocation, the second 2 KiB off the first's
        // page offset.
        let words_a = band_bytes.div_ceil(4096) * 512;
        let skew = SKEW_BYTES / 8;
        let mut mem = vec![0u64; words_a + skew + band_bytes.div_ceil(8) + 1];
        let base = mem.as_mut_ptr() as *mut u8;
        let bufs = [base, base.add((words_a + skew) * 8)];

        // The step's space: shape[0] and the pointers change per step.
        let bstrides = c_strides(&self.full);
        let mut shape = self.interior.clone();
        let vars: Vec<VarOp> = self
            .vars
            .iter()
            .map(|v| match v {
                VarKind::Fixed(op) => op.clone(),
                VarKind::State { .. } => VarOp::Array(Operand {
                    ptr: std::ptr::null_mut(),
                    strides: bstrides.clone(),
                    esize: es,
                }),
            })
            .collect();
        let mut sp = Space {
            shape: std::mem::take(&mut shape),
            vars,
            out: Some(Operand {
                ptr: std::ptr::null_mut(),
                strides: bstrides.clone(),
                esize: es,
            }),
        };
        let mut serial = Serial::new(&self.expr.prog, &sp.vars);

        let mut done = 0;
        let mut pass = 0;
        while done < steps {
            let levels = self.depth.min(steps - done);
            // Level 0 (the band and its ghost rows) into buffer 0; buffer 1
            // needs u's border cells, which no step writes, only once.
            self.copy_rows(b0, b1, bufs[0], false);
            if pass == 0 {
                self.copy_rows(b0, b1, bufs[1], false);
            }
            // Rows still valid at level s: the band plus the reach of the
            // steps left in this pass, inside the interior.
            let ranges: Vec<(usize, usize)> = (1..=levels)
                .map(|s| {
                    let left = levels - s;
                    let g0 = r0.saturating_sub(left * self.reach_lo).max(first);
                    let g1 = (r1 + left * self.reach_hi).min(first + n_int);
                    (g0, g1)
                })
                .collect();
            self.sweep(&mut serial, &mut sp, &ranges, bufs, b0);
            if team > 1 {
                barrier.wait();
            }
            let last = bufs[levels % 2];
            self.copy_rows(r0, r1, last.add((r0 - b0) * row_bytes), true);
            if team > 1 {
                barrier.wait();
            }
            done += levels;
            pass += 1;
        }
        drop(mem);
    }
}

impl Plan<'_> {
    /// One pass level by level: each level is one block-VM run over its
    /// rows of the band (any dimension, any input strides).
    ///
    /// # Safety
    /// As for [`Plan::run_band`]; `sp` is the band's step space.
    unsafe fn sweep(
        &self,
        serial: &mut Serial,
        sp: &mut Space,
        ranges: &[(usize, usize)],
        bufs: [*mut u8; 2],
        b0: usize,
    ) {
        let first = self.lo[0];
        let row_bytes = (self.row_elems * self.esize) as isize;
        for (s, &(g0, g1)) in ranges.iter().enumerate() {
            let (src, dst) = (bufs[s % 2], bufs[(s + 1) % 2]);
            sp.shape[0] = g1 - g0;
            let row0 = (g0 - b0) as isize * row_bytes;
            for (op, kind) in sp.vars.iter_mut().zip(&self.vars) {
                match (op, kind) {
                    (VarOp::Array(op), VarKind::State { inner, row }) => {
                        op.ptr = src.offset(row0 + row * row_bytes + inner);
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
                out.ptr = dst.offset(row0 + self.out_inner);
            }
            serial.run(sp);
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
