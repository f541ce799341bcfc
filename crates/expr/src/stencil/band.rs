//! One thread's part of an iteration: its band of rows, advanced `depth`
//! steps per pass between two meetings of the team.

use crate::barrier::TeamBarrier;
use crate::exec::serial::Serial;
use crate::exec::space::{Operand, Space, VarOp};
use crate::stencil::layout::{buffer_pair, Rows};
use crate::stencil::plan::{Plan, VarKind};

/// One computation of a pass: the rows it updates (of axis 0) and where
/// it reads and writes them.
pub(crate) struct Level {
    pub rows: (usize, usize),
    pub src: Rows,
    pub dst: Rows,
}

impl Plan<'_> {
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
    pub(crate) unsafe fn run_band(
        &self,
        t: usize,
        team: usize,
        steps: usize,
        barrier: &TeamBarrier,
    ) {
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
            // SAFETY: the grids hold every row of `u`; this thread's rows
            // of `u` are written by no one during the call.
            unsafe { self.copy_rows(own0, own1, g.add(own0 * self.row_bytes), false) };
        }
        // The private buffers need u's border cells too, once.
        let (_mem, bufs) = buffer_pair((b1 - b0) * self.row_bytes, self.out_inner);
        for b in bufs {
            // SAFETY: the buffers hold rows `b0..b1`; `u` is only read here.
            unsafe { self.copy_rows(b0, b1, b, false) };
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
            // SAFETY: the levels read the rows this pass may read and write
            // this thread's own (the caller's contract); `sp` is the band's
            // step space and `rows` the plan's `row_vars`.
            unsafe {
                match &self.row_vars {
                    Some(rows) => self.wavefront(&mut serial, rows, &pass_levels),
                    None => self.sweep(&mut serial, &mut sp, &pass_levels),
                }
            }
            wait();
            done += levels;
            pass += 1;
        }
        let last = grids[pass % 2];
        // SAFETY: the final grid holds every row; rows `r0..r1` of `u` are
        // this thread's alone.
        unsafe { self.copy_rows(r0, r1, last.add(r0 * self.row_bytes), true) };
    }
}
