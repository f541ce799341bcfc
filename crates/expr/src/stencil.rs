//! Time stepping, `u <- expr(u, ...)` many times ([`Expr::iterate`]), with
//! temporal blocking on a persistent team of threads.
//!
//! One step of a stencil on a mid-sized grid is little work (the course's
//! diffusion: 90 000 cells), so evaluating step
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
//! the rows in flight stay in L1 (see `stencil/pass.rs`); other states go
//! level by level, each level one block-VM run over the band.
//!
//! Each cell gets the very arithmetic of [`Expr::eval`], so the result is
//! bit-identical to that many evaluations.
//!
//! The files: `plan.rs` (what every thread needs to know: the grids'
//! layout, the variables, the depth), `layout.rs` (the row-padded buffer
//! layout and copies in and out of it), `band.rs` (one thread's passes),
//! `pass.rs` (the two ways to run a pass: level by level or as a
//! wavefront).

mod band;
mod layout;
mod pass;
mod plan;

use std::collections::HashMap;

use crate::array::ArgMut;
use crate::barrier::TeamBarrier;
use crate::dtype::InputType;
use crate::error::ExprError;
use crate::exec::space::VarOp;
use crate::threads::num_threads;
use crate::{Arg, Expr};
use plan::Plan;
use runtime::pool::MAX_THREADS;

/// How [`Expr::iterate_with`] runs: the size of the team and the temporal
/// blocking depth. `Iterate::default()` is what [`Expr::iterate`] uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Iterate {
    /// Threads in the team; 0 means the [`crate::set_num_threads`] setting.
    /// Counts above [`runtime::pool::MAX_THREADS`] are clamped to it, as
    /// by `set_num_threads`, and the team never has more threads than the
    /// interior has rows.
    pub threads: usize,
    /// Steps a thread advances its band between two meetings of the team
    /// (the temporal-blocking depth); 0 chooses one: for a wavefront (2-D
    /// rows of at most a VM block) as many steps as keep the rows in flight
    /// within [`Iterate::L1_BUDGET_BYTES`], at least
    /// [`Iterate::MIN_WAVEFRONT_DEPTH`]; otherwise [`Iterate::DEFAULT_DEPTH`].
    pub depth: usize,
}

impl Iterate {
    /// The default depth of a level-by-level sweep: deep enough that the
    /// team meets rarely, shallow enough that the ghost zones (rows
    /// computed by both neighbours) stay a small part of the work on bands
    /// of a hundred rows or more.
    pub const DEFAULT_DEPTH: usize = 16;

    /// L1 data cache bytes a wavefront's rows in flight may fill
    /// ([`runtime::layout::L1_BUDGET_BYTES`], the smallest L1d of current
    /// x86 cores).
    pub const L1_BUDGET_BYTES: usize = runtime::layout::L1_BUDGET_BYTES;

    /// The shallowest default wavefront: below it the team's meetings cost
    /// more than the rows that spill out of L1.
    pub const MIN_WAVEFRONT_DEPTH: usize = 4;
}

/// Below this many cell updates per call, one thread does all the work:
/// starting a thread costs more than such a call's work. (The diffusion
/// solver's `threads` backend counts its minimum per additional thread, as
/// its team grows with the work; this team is all threads or one.)
const MIN_PAR_UPDATES: usize = 1 << 16;

/// Spins at the team's barrier before a waiter sleeps, far more than the
/// diffusion solver's `threads` backend spins before yielding: there a
/// thread waits for one neighbour's progress within a pass and then yields,
/// staying runnable, so giving up early costs little; here the whole team
/// meets once per pass of up to [`Iterate::DEFAULT_DEPTH`] steps, the
/// threads' finishing times can differ by a good part of a pass, and a
/// waiter that gives up sleeps on a condition variable, whose wake-up is
/// slow next to a spin. So a waiter spins for about as long as a pass
/// takes. The price is CPU burnt while waiting, which only matters when the
/// team has more threads than the machine has cores.
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
        let InputType::Number(sdt) = self.sig[si].1 else {
            return Err(ExprError::Input(format!(
                "the state `{state}` holds byte strings: iterate needs numbers"
            )));
        };
        if rdt != sdt {
            return Err(ExprError::Output(format!(
                "the result is {rdt} but the state `{state}` is {sdt}: iterate needs the same type"
            )));
        }
        let by_name: HashMap<&str, &Arg<'_>> = inputs.iter().map(|(n, a)| (*n, a)).collect();
        let bound = self.bind_raw(&|name| {
            if name == state {
                Some(uraw.clone())
            } else {
                by_name.get(name).map(|a| a.raw())
            }
        })?;
        if bound
            .vars
            .iter()
            .any(|v| matches!(v, VarOp::Widened(..) | VarOp::Test(_)))
        {
            return Err(ExprError::Input(
                "iterate takes inputs of the engine's types (bool, i32, i64, f32, f64, complex), not narrower ones or byte strings".into(),
            ));
        }
        if bound.stretched {
            return Err(ExprError::Shape(format!(
                "iterate needs array inputs of the state's shape {:?} (only 0-d inputs broadcast)",
                uraw.shape
            )));
        }
        if steps == 0 || bound.interior.contains(&0) {
            return Ok(());
        }
        let threads = if opts.threads == 0 {
            num_threads()
        } else {
            opts.threads.min(MAX_THREADS)
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
