//! Typed tree to register program: each node becomes an instruction (after
//! fusion), constants are stored once, and a temporary register is freed as
//! soon as its last reader has run, so an expression needs few block
//! buffers.

use std::collections::HashMap;

use crate::compile::fuse::fuse;
use crate::compile::typed::{TKind, TNode};
use crate::dtype::{DType, Scalar};
use crate::vm::ops::{Op, MAX_ARGS};
use crate::vm::program::{Instr, Program};

/// A slot before numbering: the numbers of constants and temporaries
/// depend on how many variables and constants there are in the end.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Slot {
    Var(usize),
    Const(usize),
    Temp(usize),
    Out,
}

/// The lowering's state: instructions so far, constants, temporaries in
/// use and free.
struct Lower {
    instrs: Vec<(Op, DType, DType, Slot, [Slot; MAX_ARGS])>,
    consts: Vec<Scalar>,
    /// Where each constant stored so far is, by type and bytes.
    const_index: HashMap<(DType, [u64; 2]), usize>,
    ntemps: usize,
    free: Vec<usize>,
}

impl Lower {
    /// The slot of constant `v`, stored once (NaNs are never merged: they
    /// print alike but may differ in payload). Two non-NaN constants of a
    /// type are the same value exactly when their bytes are the same
    /// (`0.0` and `-0.0` differ, as they should).
    fn konst(&mut self, v: Scalar) -> Slot {
        let mut bytes = [0u64; 2];
        v.store(&mut bytes);
        let key = (v.dtype(), bytes);
        if !is_nan(&v) {
            if let Some(&i) = self.const_index.get(&key) {
                return Slot::Const(i);
            }
            self.const_index.insert(key, self.consts.len());
        }
        self.consts.push(v);
        Slot::Const(self.consts.len() - 1)
    }

    /// A free temporary, or a new one.
    fn alloc(&mut self) -> Slot {
        Slot::Temp(self.free.pop().unwrap_or_else(|| {
            self.ntemps += 1;
            self.ntemps - 1
        }))
    }

    /// Frees `s` if it is a temporary.
    fn release(&mut self, s: Slot) {
        if let Slot::Temp(i) = s {
            self.free.push(i);
        }
    }

    /// Appends the instruction `dst = op(slots)` and frees the temporaries
    /// it read.
    fn emit(&mut self, op: Op, ty: DType, out: DType, dst: Slot, slots: &[Slot]) {
        let mut a = [slots[0]; MAX_ARGS];
        a[..slots.len()].copy_from_slice(slots);
        self.instrs.push((op, ty, out, dst, a));
        for &s in slots {
            self.release(s);
        }
    }

    /// Lowers `root`; `to_out` asks for the result in the destination
    /// slot. The tree is walked from an explicit stack (a long chain is a
    /// deep tree), in the order a recursion would take: each operation's
    /// operands left to right, then the operation, whose temporaries are
    /// freed as soon as it has read them.
    fn lower(&mut self, root: &TNode, to_out: bool) -> Slot {
        /// A node to lower (into the destination slot or not), or a fused
        /// operation whose operands' slots are on the slot stack.
        enum Step<'a> {
            Enter(&'a TNode, bool),
            Emit {
                op: Op,
                ty: DType,
                out: DType,
                nargs: usize,
                to_out: bool,
            },
        }
        let mut steps = vec![Step::Enter(root, to_out)];
        let mut slots: Vec<Slot> = Vec::new();
        while let Some(step) = steps.pop() {
            match step {
                Step::Enter(n, to_out) => {
                    let (op, args) = match &n.kind {
                        TKind::Var(i) if !to_out => {
                            slots.push(Slot::Var(*i));
                            continue;
                        }
                        TKind::Const(v) if !to_out => {
                            let s = self.konst(*v);
                            slots.push(s);
                            continue;
                        }
                        TKind::Var(_) | TKind::Const(_) => (Op::Copy, std::slice::from_ref(n)),
                        TKind::Op(op, args) => (*op, args.as_slice()),
                    };
                    let (op, args) = fuse(op, args);
                    let ty = args.last().map(|a| a.dt).unwrap_or(n.dt);
                    debug_assert_eq!(args.len(), op.arity(), "{op:?}");
                    debug_assert!(op.types().accepts(ty), "{op:?} on {ty}");
                    steps.push(Step::Emit {
                        op,
                        ty,
                        out: n.dt,
                        nargs: args.len(),
                        to_out,
                    });
                    steps.extend(args.iter().rev().map(|a| Step::Enter(a, false)));
                }
                Step::Emit {
                    op,
                    ty,
                    out,
                    nargs,
                    to_out,
                } => {
                    let first = slots.len() - nargs;
                    let mut operands = [Slot::Out; MAX_ARGS];
                    operands[..nargs].copy_from_slice(&slots[first..]);
                    slots.truncate(first);
                    let dst = if to_out { Slot::Out } else { self.alloc() };
                    self.emit(op, ty, out, dst, &operands[..nargs]);
                    slots.push(dst);
                }
            }
        }
        slots.pop().expect("the root was lowered")
    }
}

/// Whether a constant is a NaN (or has a NaN part).
fn is_nan(s: &Scalar) -> bool {
    match s {
        Scalar::F32(v) => v.is_nan(),
        Scalar::F64(v) => v.is_nan(),
        Scalar::C128(v) => v.re.is_nan() || v.im.is_nan(),
        _ => false,
    }
}

/// Where a lowered program leaves its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// Wherever it is cheapest (a reduction reads an input directly).
    Anywhere,
    /// In the destination slot.
    Out,
    /// In the destination slot, cast to a type of a higher kind.
    OutAs(DType),
}

/// Lowers a typed tree to a program that leaves its result at `target`.
pub(crate) fn lower(root: &TNode, nvars: usize, target: Target) -> Program {
    let mut l = Lower {
        instrs: Vec::new(),
        consts: Vec::new(),
        const_index: HashMap::new(),
        ntemps: 0,
        free: Vec::new(),
    };
    let (res, result_dt) = match target {
        Target::OutAs(dt) if dt != root.dt => {
            // One more instruction: the cast of the result into `out`.
            let s = l.lower(root, false);
            l.emit(Op::Cast, root.dt, dt, Slot::Out, &[s]);
            (Slot::Out, dt)
        }
        Target::Anywhere => (l.lower(root, false), root.dt),
        Target::Out | Target::OutAs(_) => (l.lower(root, true), root.dt),
    };
    let nc = l.consts.len();
    let out = nvars + nc + l.ntemps;
    let num = |s: Slot| match s {
        Slot::Var(i) => i,
        Slot::Const(i) => nvars + i,
        Slot::Temp(i) => nvars + nc + i,
        Slot::Out => out,
    };
    let instrs = l
        .instrs
        .iter()
        .map(|&(op, ty, out_dt, dst, a)| Instr {
            op,
            ty,
            out: out_dt,
            dst: num(dst),
            args: a.map(num),
        })
        .collect();
    let consts = l
        .consts
        .iter()
        .map(|c| {
            let mut b = [0u64; 2];
            c.store(&mut b);
            b
        })
        .collect();
    Program {
        instrs,
        nvars,
        consts,
        ntemps: l.ntemps,
        result: num(res),
        result_dt,
    }
}
