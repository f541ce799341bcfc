//! A single-threaded evaluator for many runs of one program (the steps of
//! [`crate::Expr::iterate`]): its block buffers are set up once, and a run
//! costs no allocation, no thread hand-off and no instruction-set check.

use crate::exec::frame::{Frame, BUF_WORDS};
use crate::exec::geometry::BLOCK;
use crate::exec::space::{Operand, Space, VarOp};
use crate::vm::dispatch::exec_program;
use crate::vm::program::Program;

/// Variables the fast row path tracks (an array on the stack).
const MAX_FAST_VARS: usize = 16;

/// A single-threaded evaluator with its own block buffers, set up once and
/// run on many spaces of the same program.
pub(crate) struct Serial<'p> {
    prog: &'p Program,
    frame: Frame,
    /// Owns the memory `frame.bufs` points to.
    _scratch: Vec<u64>,
}

// SAFETY: the frame's pointers are the runner's own scratch, constants of
// the program and scalars borrowed by the caller for the runner's life.
unsafe impl Send for Serial<'_> {}

impl<'p> Serial<'p> {
    /// A runner for `prog`; the scalar variables are taken from `vars`
    /// (array variables are set per block from each run's space).
    pub(crate) fn new(prog: &'p Program, vars: &[VarOp]) -> Serial<'p> {
        let mut scratch = vec![0u64; prog.nslots() * BUF_WORDS];
        let frame = Frame::new(prog, vars, scratch.as_mut_ptr());
        Serial {
            prog,
            frame,
            _scratch: scratch,
        }
    }

    /// Evaluates the program over all of `sp` into `sp.out` on this thread.
    ///
    /// A 2-D space of whole-row blocks whose operands are all contiguous
    /// along rows (a stencil over a C-ordered array) takes a fast path:
    /// each operand's row pointer just advances by its row stride, so a row
    /// costs the instructions and a few additions.
    ///
    /// # Safety
    /// The operands of `sp` must be valid for its shape, the output must not
    /// overlap any input, and the scalar variables given to [`Serial::new`]
    /// must still be alive.
    pub(crate) unsafe fn run(&mut self, sp: &Space) {
        let Some((out, geo)) = sp.elementwise() else {
            return;
        };
        let (prog, fr) = (self.prog, &mut self.frame);
        let unit = |o: &Operand| o.strides.len() == 2 && o.strides[1] == 1;
        let fast = sp.shape.len() == 2
            && geo.rows_mode
            && geo.chunks_per_row == 1
            && sp.vars.len() <= MAX_FAST_VARS
            && unit(out)
            && sp.vars.iter().all(|v| match v {
                VarOp::Array(o) => unit(o),
                VarOp::Scalar(_) => true,
                VarOp::Widened(..) | VarOp::Test(_) => false,
            });
        if !fast {
            for (pos, n) in geo.positions(0..geo.nitems) {
                // SAFETY: the caller's contract.
                unsafe { fr.run_block_into(prog, sp, &geo, out, pos, n) };
            }
            return;
        }
        let out_slot = prog.out_slot();
        let n = geo.len;
        let nv = sp.vars.len();
        let mut step = [0isize; MAX_FAST_VARS];
        for (v, var) in sp.vars.iter().enumerate() {
            if let VarOp::Array(o) = var {
                fr.ptrs[v] = o.ptr;
                step[v] = o.strides[0] * o.esize as isize;
            }
        }
        fr.ptrs[out_slot] = out.ptr;
        let ostep = out.strides[0] * out.esize as isize;
        for _ in 0..sp.shape[0] {
            // SAFETY: the caller's contract: each pointer is at the current
            // row of its operand, `n` contiguous elements.
            unsafe { exec_program(fr.simd, &prog.instrs, n, &fr.ptrs, &fr.scal) };
            for (v, s) in step[..nv].iter().enumerate() {
                // Scalars have a step of 0 and stay put.
                fr.ptrs[v] = fr.ptrs[v].wrapping_offset(*s);
            }
            fr.ptrs[out_slot] = fr.ptrs[out_slot].wrapping_offset(ostep);
        }
    }

    /// Runs the program once over `n` (at most [`BLOCK`]) contiguous
    /// elements: each `(slot, ptr)` of `arrays` points array variable `slot`
    /// at its first element (scalar variables keep what [`Serial::new`]
    /// gave them) and the results go to `out`. This is the whole cost of a
    /// row of the stencil wavefront: no geometry, no allocation.
    ///
    /// # Safety
    /// Each pointer must be valid for `n` elements of its variable's type,
    /// `out` for `n` of the result's, and `out` must not overlap an input.
    pub(crate) unsafe fn run_span(
        &mut self,
        n: usize,
        arrays: impl IntoIterator<Item = (usize, *mut u8)>,
        out: *mut u8,
    ) {
        debug_assert!(n <= BLOCK);
        let fr = &mut self.frame;
        for (slot, p) in arrays {
            fr.ptrs[slot] = p;
        }
        fr.ptrs[self.prog.out_slot()] = out;
        // SAFETY: the caller's contract; the other slots are the frame's.
        unsafe { exec_program(fr.simd, &self.prog.instrs, n, &fr.ptrs, &fr.scal) };
    }
}
