//! Constant folding: one operation on constant arguments, computed by the
//! virtual machine's own kernel on one-element blocks, so that a folded
//! value cannot differ from an evaluated one.

use crate::dtype::{DType, Scalar};
use crate::vm::dispatch::exec;
use crate::vm::ops::{Op, MAX_ARGS};
use crate::vm::program::Instr;

/// Folds one operation on constant arguments by running its kernel on
/// one-element blocks, so folding can never disagree with evaluation.
pub(crate) fn fold(op: Op, out: DType, args: &[(Scalar, DType)]) -> Scalar {
    let k = args.len();
    let mut bufs = vec![[0u64; 2]; k + 1];
    for (b, (v, _)) in bufs.iter_mut().zip(args) {
        v.store(b);
    }
    let mut ptrs: Vec<*mut u8> = bufs.iter_mut().map(|b| b.as_mut_ptr() as *mut u8).collect();
    let mut scal = vec![true; k + 1];
    scal[k] = false;
    let mut a = [0usize; MAX_ARGS];
    for (i, slot) in a.iter_mut().enumerate() {
        *slot = i.min(k.saturating_sub(1));
    }
    let ins = Instr {
        op,
        ty: args.last().map(|a| a.1).unwrap_or(out),
        out,
        dst: k,
        args: a,
    };
    // SAFETY: every slot points to 16 aligned bytes holding one value of the
    // argument's type, and the destination is separate.
    unsafe {
        exec(&ins, 1, &ptrs, &scal);
        ptrs.truncate(k + 1);
        Scalar::load(out, ptrs[k])
    }
}
