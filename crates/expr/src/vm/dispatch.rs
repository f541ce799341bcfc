//! Runs instructions with the loops compiled for the CPU's SIMD level.
//!
//! Each level has exactly one copy of the VM's loops (every operation ×
//! type × scalar/block mix), in a function of its own built with that
//! level's `target_feature`s and never inlined: inlining them into every
//! caller would multiply the crate's code and build time, while the call
//! costs little (once per instruction and block of up to
//! [`crate::exec::geometry::BLOCK`] elements). No FMA contraction happens in
//! Rust, so every level gives the same bits.

use runtime::Simd;

use crate::dtype::DType;
use crate::vm::kernels::{boolean, cast, complex, float, int};
use crate::vm::ops::Op;
use crate::vm::program::Instr;

/// Runs one instruction on a block with the baseline loops (constant
/// folding uses it, with `n` = 1).
///
/// # Safety
/// As for [`exec_program`].
pub(crate) unsafe fn exec(ins: &Instr, n: usize, ptrs: &[*mut u8], scal: &[bool]) {
    // SAFETY: the caller's contract; every CPU runs the baseline level.
    unsafe { exec_program(Simd::Base, std::slice::from_ref(ins), n, ptrs, scal) }
}

/// Runs a whole program on one block with the loops compiled for `simd`.
///
/// # Safety
/// Every instruction's slots must point to `n` valid elements of its types
/// (one for a scalar slot), the destination of each must not overlap its
/// operands, and the CPU must support `simd`.
pub(crate) unsafe fn exec_program(
    simd: Simd,
    prog: &[Instr],
    n: usize,
    ptrs: &[*mut u8],
    scal: &[bool],
) {
    // The loop over instructions stays out here, one call per instruction:
    // inside a per-level function LLVM would hoist what every op's loop
    // derives from `n` (trip counts, masks, constants) out of a loop over
    // instructions, and each call would pay a prologue computing and
    // spilling all of them, a large share of the short rows that
    // `Expr::iterate` runs.
    for ins in prog {
        // SAFETY: the caller's contract, which includes CPU support for
        // `simd`.
        unsafe {
            match simd {
                #[cfg(target_arch = "x86_64")]
                Simd::Avx512 => exec_avx512(ins, n, ptrs, scal),
                #[cfg(target_arch = "x86_64")]
                Simd::Avx2 => exec_avx2(ins, n, ptrs, scal),
                _ => exec_base(ins, n, ptrs, scal),
            }
        }
    }
}

/// The VM's loops for baseline x86-64 (SSE2) or a non-x86 target.
///
/// # Safety
/// As for [`exec_program`], for one instruction.
#[inline(never)]
unsafe fn exec_base(ins: &Instr, n: usize, ptrs: &[*mut u8], scal: &[bool]) {
    // SAFETY: the caller's contract.
    unsafe { exec_any(ins, n, ptrs, scal) }
}

/// The VM's loops compiled for AVX2 (4 doubles per instruction).
///
/// # Safety
/// As for [`exec_program`], for one instruction, on a CPU with AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline(never)]
unsafe fn exec_avx2(ins: &Instr, n: usize, ptrs: &[*mut u8], scal: &[bool]) {
    // SAFETY: the caller's contract.
    unsafe { exec_any(ins, n, ptrs, scal) }
}

/// The VM's loops compiled for AVX-512 (8 doubles per instruction).
///
/// # Safety
/// As for [`exec_program`], for one instruction, on a CPU with AVX-512F and
/// FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
#[inline(never)]
unsafe fn exec_avx512(ins: &Instr, n: usize, ptrs: &[*mut u8], scal: &[bool]) {
    // SAFETY: the caller's contract.
    unsafe { exec_any(ins, n, ptrs, scal) }
}

/// One instruction: the body of the three functions above, inlined into
/// each so that it is compiled for its level.
///
/// # Safety
/// As for [`exec_program`], for one instruction.
#[inline(always)]
unsafe fn exec_any(ins: &Instr, n: usize, ptrs: &[*mut u8], scal: &[bool]) {
    // SAFETY: the kernels' contract is the caller's.
    unsafe {
        if ins.op == Op::Cast {
            return cast(ins, n, ptrs, scal);
        }
        match ins.ty {
            DType::F64 => float::<f64>(ins, n, ptrs, scal),
            DType::F32 => float::<f32>(ins, n, ptrs, scal),
            DType::I64 => int::<i64>(ins, n, ptrs, scal),
            DType::I32 => int::<i32>(ins, n, ptrs, scal),
            DType::Bool => boolean(ins, n, ptrs, scal),
            DType::C128 => complex(ins, n, ptrs, scal),
        }
    }
}
