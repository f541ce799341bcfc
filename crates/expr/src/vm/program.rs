//! What the compiler hands the virtual machine: instructions over numbered
//! slots, and the program that holds them with its constants.

use crate::dtype::DType;
use crate::vm::ops::{Op, MAX_ARGS};

/// One instruction: `slots[dst] = op(slots[args[0]], ..., slots[args[arity - 1]])`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Instr {
    pub op: Op,
    /// Type of the (last) operands, which selects the loop.
    pub ty: DType,
    /// Type of the result.
    pub out: DType,
    /// The slot written.
    pub dst: usize,
    /// The slots read; those past the op's arity are unused.
    pub args: [usize; MAX_ARGS],
}

/// A compiled register program.
///
/// Slots are numbered: variables `[0, nvars)`, constants next, temporaries
/// next, and last the destination slot `out` (the output block).
#[derive(Debug, Clone)]
pub(crate) struct Program {
    pub instrs: Vec<Instr>,
    pub nvars: usize,
    /// Constant values, each stored in 16 aligned bytes.
    pub consts: Vec<[u64; 2]>,
    pub ntemps: usize,
    /// The slot holding the result once the program has run.
    pub result: usize,
    /// Type of the result.
    pub result_dt: DType,
}

impl Program {
    /// Total number of slots.
    pub fn nslots(&self) -> usize {
        self.nvars + self.consts.len() + self.ntemps + 1
    }

    /// The destination slot.
    pub fn out_slot(&self) -> usize {
        self.nslots() - 1
    }
}
