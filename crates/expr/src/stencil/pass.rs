//! The two ways to run a pass's levels over a band: level by level, each
//! level one block-VM run over its rows (any state), or as a wavefront in
//! row × level (2-D states with rows of at most a block).

use crate::exec::serial::Serial;
use crate::exec::space::{Space, VarOp};
use crate::stencil::band::Level;
use crate::stencil::plan::{Plan, RowVar, VarKind};

impl Plan<'_> {
    /// One pass level by level: each level is one block-VM run over its
    /// rows of the band (any dimension, any input strides).
    ///
    /// # Safety
    /// As for [`Plan::run_band`]; `sp` is the band's step space.
    pub(crate) unsafe fn sweep(&self, serial: &mut Serial, sp: &mut Space, levels: &[Level]) {
        let first = self.lo[0];
        let rb = self.row_bytes;
        for lvl in levels {
            let (g0, g1) = lvl.rows;
            sp.shape[0] = g1 - g0;
            // SAFETY: the level's rows are inside its source and destination
            // buffers and inside the interior of the inputs (the plan's
            // layout), and the caller's contract orders the team's accesses.
            unsafe {
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
    pub(crate) unsafe fn wavefront(
        &self,
        serial: &mut Serial,
        rows: &[(usize, RowVar)],
        levels: &[Level],
    ) {
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
                // SAFETY: row `x` is in this level's rows, so it is inside
                // the level's buffers and the inputs' interior, and the
                // lag keeps it apart from the rows other levels write (see
                // above); the caller's contract orders the team's accesses.
                unsafe {
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
}
