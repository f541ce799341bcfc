//! Typed tree to register program: each node becomes an instruction (after
//! fusion), constants are stored once, and a temporary register is freed as
//! soon as its last reader has run, so an expression needs few block
//! buffers.

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
    ntemps: usize,
    free: Vec<usize>,
}

impl Lower {
    /// The slot of constant `v`, stored once (NaNs are never merged: they
    /// print alike but may differ in payload).
    fn konst(&mut self, v: Scalar) -> Slot {
        let i =
            match self.consts.iter().position(|c| {
                c.dtype() == v.dtype() && c.to_string() == v.to_string() && !is_nan(c)
            }) {
                Some(i) => i,
                None => {
                    self.consts.push(v);
                    self.consts.len() - 1
                }
            };
        Slot::Const(i)
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

    /// Lowers `n`; `to_out` asks for the result in the destination slot.
    fn lower(&mut self, n: &TNode, to_out: bool) -> Slot {
        let (op, args) = match &n.kind {
            TKind::Var(i) if !to_out => return Slot::Var(*i),
            TKind::Const(v) if !to_out => return self.konst(*v),
            TKind::Var(_) | TKind::Const(_) => (Op::Copy, std::slice::from_ref(n)),
            TKind::Op(op, args) => (*op, args.as_slice()),
        };
        let (op, args) = fuse(op, args);
        let ty = args.last().map(|a| a.dt).unwrap_or(n.dt);
        debug_assert_eq!(args.len(), op.arity(), "{op:?}");
        debug_assert!(op.types().accepts(ty), "{op:?} on {ty}");
        let slots: Vec<Slot> = args.iter().map(|a| self.lower(a, false)).collect();
        let dst = if to_out { Slot::Out } else { self.alloc() };
        let mut a = [slots[0]; MAX_ARGS];
        for (k, s) in slots.iter().enumerate() {
            a[k] = *s;
        }
        self.instrs.push((op, ty, n.dt, dst, a));
        for s in slots {
            self.release(s);
        }
        dst
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

/// Lowers a typed tree; with `to_out` the result is written to the
/// destination slot, else it stays wherever it is cheapest (a reduction
/// reads an input directly).
pub(crate) fn lower(root: &TNode, nvars: usize, to_out: bool) -> Program {
    let mut l = Lower {
        instrs: Vec::new(),
        consts: Vec::new(),
        ntemps: 0,
        free: Vec::new(),
    };
    let res = l.lower(root, to_out);
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
        result_dt: root.dt,
    }
}
