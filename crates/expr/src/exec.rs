//! Blocked execution of a [`crate::vm::program::Program`] over an iteration
//! space of strided operands: the work is cut into blocks of at most
//! [`geometry::BLOCK`] elements, each block runs every instruction on
//! per-thread block buffers, and blocks are spread over threads in
//! contiguous bands.
//!
//! Axes that are contiguous with each other in every operand are merged
//! first ([`space::Space::coalesce`]), so a C-contiguous array of any shape
//! is one long row. Operands contiguous along rows are read and written in
//! place; the others are gathered into block buffers and scattered back
//! (inputs of narrower types widened on the way, `strided.rs`), and tests
//! of byte strings are computed into block buffers (`bytes.rs`).

pub(crate) mod bytes;
pub(crate) mod elementwise;
pub(crate) mod frame;
pub(crate) mod geometry;
pub(crate) mod reduce;
pub(crate) mod serial;
pub(crate) mod space;
mod stores;
pub(crate) mod strided;
