//! The per-thread state a program runs in: one block buffer per slot, and
//! the slot pointers and scalar flags the kernels read.

use std::cell::RefCell;

use runtime::Simd;

use crate::exec::geometry::{Geometry, Pos, BLOCK};
use crate::exec::space::{Operand, Space, VarOp};
use crate::vm::dispatch::exec_program;
use crate::vm::program::Program;

/// u64 words per block buffer: room for BLOCK complex values plus padding so
/// that buffers do not all start on the same cache set.
pub(crate) const BUF_WORDS: usize = BLOCK * 2 + 24;

thread_local! {
    /// Block buffers of the current thread, kept between evaluations so that
    /// repeated small evaluations (a stencil step) do not allocate.
    static SCRATCH: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
}

/// Per-block state: slot pointers and scalar flags.
pub(crate) struct Frame {
    pub ptrs: Vec<*mut u8>,
    pub scal: Vec<bool>,
    bufs: *mut u64,
    /// The instruction set the program's loops run with.
    pub simd: Simd,
}

impl Frame {
    /// A frame for `prog` over the scratch `bufs` (one BUF_WORDS buffer per
    /// slot): scalar variables (taken from `vars`), constants and
    /// temporaries point at their storage; array variables are set per block.
    pub(crate) fn new(prog: &Program, vars: &[VarOp], bufs: *mut u64) -> Frame {
        let mut frame = Frame {
            ptrs: vec![std::ptr::null_mut(); prog.nslots()],
            scal: vec![false; prog.nslots()],
            bufs,
            simd: Simd::detect(),
        };
        for (v, var) in vars.iter().enumerate() {
            if let VarOp::Scalar(p) = var {
                frame.ptrs[v] = *p as *mut u8;
                frame.scal[v] = true;
            }
        }
        let nv = prog.nvars;
        for (c, val) in prog.consts.iter().enumerate() {
            frame.ptrs[nv + c] = val.as_ptr() as *mut u8;
            frame.scal[nv + c] = true;
        }
        for t in nv + prog.consts.len()..prog.nslots() {
            frame.ptrs[t] = frame.buf(t);
        }
        frame
    }

    /// Block buffer number `k` of this thread's scratch.
    pub(crate) fn buf(&self, k: usize) -> *mut u8 {
        // SAFETY: the scratch holds one BUF_WORDS buffer per slot.
        unsafe { self.bufs.add(k * BUF_WORDS) as *mut u8 }
    }

    /// Sets the variable slots for one block and runs the program on it.
    ///
    /// # Safety
    /// The operands of `sp` must be valid for the iteration space of `geo`,
    /// and the output slot must point to `n` elements apart from them.
    pub(crate) unsafe fn run_block(
        &mut self,
        prog: &Program,
        sp: &Space,
        geo: &Geometry,
        pos: Pos,
        n: usize,
    ) {
        for (v, var) in sp.vars.iter().enumerate() {
            // SAFETY: the caller's contract; buffer `v` holds a block of
            // any type.
            unsafe {
                match var {
                    VarOp::Array(op) => self.ptrs[v] = op.load(geo, pos, n, self.buf(v)),
                    VarOp::Widened(op, narrow) => {
                        self.ptrs[v] = op.load_widened(*narrow, geo, pos, n, self.buf(v))
                    }
                    VarOp::Test(test) => {
                        test.run(geo, pos, n, self.buf(v) as *mut bool);
                        self.ptrs[v] = self.buf(v);
                    }
                    VarOp::Scalar(_) => {}
                }
            }
        }
        // SAFETY: every slot now points to the block's elements, a scalar or
        // a block buffer; `simd` is the detected level.
        unsafe { exec_program(self.simd, &prog.instrs, n, &self.ptrs, &self.scal) };
    }

    /// Runs the program on one block into `out`: in place where the output
    /// is contiguous along rows, else through the output slot's buffer and
    /// scattered afterwards.
    ///
    /// # Safety
    /// As for [`Frame::run_block`], with `out` valid for the space too and
    /// overlapping no input.
    pub(crate) unsafe fn run_block_into(
        &mut self,
        prog: &Program,
        sp: &Space,
        geo: &Geometry,
        out: &Operand,
        pos: Pos,
        n: usize,
    ) {
        let out_slot = prog.out_slot();
        // SAFETY: the caller's contract.
        unsafe {
            let (d, direct) = out.dest(pos, self.buf(out_slot));
            self.ptrs[out_slot] = d;
            self.run_block(prog, sp, geo, pos, n);
            if !direct {
                out.store(geo, pos, n, d);
            }
        }
    }
}

/// Runs `body` with a frame on this thread's scratch whose slots are set up
/// for `prog` (constants and temporaries point at their storage; variables
/// are set per block).
pub(crate) fn with_frame<R>(prog: &Program, sp: &Space, body: impl FnOnce(&mut Frame) -> R) -> R {
    SCRATCH.with(|cell| {
        let mut scratch = cell.borrow_mut();
        let need = prog.nslots() * BUF_WORDS;
        if scratch.len() < need {
            scratch.resize(need, 0);
        }
        body(&mut Frame::new(prog, &sp.vars, scratch.as_mut_ptr()))
    })
}
