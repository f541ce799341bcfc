//! The virtual machine: the opcode table, the program format, the
//! element types' arithmetic and the per-type kernels, and the dispatch to
//! the build of those kernels for the CPU's SIMD level.
//!
//! Every instruction works on one block of `n` elements. Its operands are
//! slots: a pointer to `n` elements (a block buffer, or straight into an
//! input array when that part of it is contiguous) or a pointer to a single
//! broadcast scalar. Each (operation, type) pair is a separate monomorphised
//! loop over slices with no branches inside, so LLVM vectorises them.

mod cmath;
pub(crate) mod dispatch;
mod kernels;
mod loops;
pub(crate) mod numeric;
pub(crate) mod ops;
pub(crate) mod program;
mod slots;
mod vmath;
