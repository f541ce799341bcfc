//! Typed tree to register program: fusion of common patterns into single
//! instructions and register allocation (a register is freed as soon as its
//! last reader has run, so an expression needs few block buffers).

use crate::check::{TKind, TNode};
use crate::dtype::{DType, Scalar};
use crate::kernels::{exec, Instr, Op};

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

#[derive(Debug, Clone, Copy, PartialEq)]
enum Slot {
    Var(usize),
    Const(usize),
    Temp(usize),
    Out,
}

struct Lower {
    instrs: Vec<(Op, DType, DType, Slot, [Slot; 3])>,
    consts: Vec<Scalar>,
    ntemps: usize,
    free: Vec<usize>,
}

impl Lower {
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

    fn alloc(&mut self) -> Slot {
        Slot::Temp(self.free.pop().unwrap_or_else(|| {
            self.ntemps += 1;
            self.ntemps - 1
        }))
    }

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
        let slots: Vec<Slot> = args.iter().map(|a| self.lower(a, false)).collect();
        let dst = if to_out { Slot::Out } else { self.alloc() };
        let mut a = [slots[0]; 3];
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

fn is_nan(s: &Scalar) -> bool {
    match s {
        Scalar::F32(v) => v.is_nan(),
        Scalar::F64(v) => v.is_nan(),
        Scalar::C128(v) => v.re.is_nan() || v.im.is_nan(),
        _ => false,
    }
}

/// Fuses `x*y + z`, `z + x*y`, `x*y - z`, `z - x*y` (and squares standing
/// for `x*x`) into one three-operand instruction.
fn fuse(op: Op, args: &[TNode]) -> (Op, Vec<&TNode>) {
    fn as_mul(n: &TNode) -> Option<(&TNode, &TNode)> {
        match &n.kind {
            TKind::Op(Op::Mul, a) => Some((&a[0], &a[1])),
            // Only squares of leaves: fusing would compute a subtree twice.
            TKind::Op(Op::Square, a) if !matches!(a[0].kind, TKind::Op(..)) => Some((&a[0], &a[0])),
            _ => None,
        }
    }
    if matches!(op, Op::Add | Op::Sub) && args[0].dt == args[1].dt {
        if let Some((x, y)) = as_mul(&args[0]) {
            let fused = if op == Op::Add {
                Op::MulAdd
            } else {
                Op::MulSub
            };
            return (fused, vec![x, y, &args[1]]);
        }
        if let Some((x, y)) = as_mul(&args[1]) {
            let fused = if op == Op::Add {
                Op::MulAdd
            } else {
                Op::NegMulAdd
            };
            return (fused, vec![x, y, &args[0]]);
        }
    }
    (op, args.iter().collect())
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
            args: [num(a[0]), num(a[1]), num(a[2])],
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
    let mut a = [0usize; 3];
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
