//! Typed tree to register program: fusion of common patterns into single
//! instructions and register allocation (a register is freed as soon as its
//! last reader has run, so an expression needs few block buffers).

use crate::check::{TKind, TNode};
use crate::dtype::{DType, Scalar};
use crate::kernels::{exec, Instr, Op, MAX_ARGS};

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
    instrs: Vec<(Op, DType, DType, Slot, [Slot; MAX_ARGS])>,
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

fn is_nan(s: &Scalar) -> bool {
    match s {
        Scalar::F32(v) => v.is_nan(),
        Scalar::F64(v) => v.is_nan(),
        Scalar::C128(v) => v.re.is_nan() || v.im.is_nan(),
        _ => false,
    }
}

/// Fuses `x*y + z`, `z + x*y`, `x*y - z`, `z - x*y` (and squares standing
/// for `x*x`) into one three-operand instruction, and `x*y ± z*w` into one
/// four-operand one.
fn fuse(op: Op, args: &[TNode]) -> (Op, Vec<&TNode>) {
    fn as_mul(n: &TNode) -> Option<(&TNode, &TNode)> {
        match &n.kind {
            TKind::Op(Op::Mul, a) => Some((&a[0], &a[1])),
            // Only squares of leaves: fusing would compute a subtree twice.
            TKind::Op(Op::Square, a) if !matches!(a[0].kind, TKind::Op(..)) => Some((&a[0], &a[0])),
            _ => None,
        }
    }
    if op == Op::Add {
        for (x, other) in [(&args[0], &args[1]), (&args[1], &args[0])] {
            if let Some(terms) = relax(x, other) {
                // With a four-term sum inside: the whole 5-point update.
                if let TKind::Op(Op::Add, sum) = &terms[1].kind {
                    if let (Op::Add4, four) = fuse(Op::Add, sum) {
                        let mut all = vec![terms[0]];
                        all.extend(four);
                        all.extend([terms[2], terms[3]]);
                        return (Op::RelaxSum4, all);
                    }
                }
                return (Op::Relax, terms);
            }
        }
    }
    if matches!(op, Op::Add | Op::Sub) && args[0].dt == args[1].dt {
        // (p*q)*y + z, e.g. the `2*a*b` of `a**2 + b**2 + 2*a*b`.
        if op == Op::Add {
            for (m, z) in [(&args[0], &args[1]), (&args[1], &args[0])] {
                if let TKind::Op(Op::Mul, xy) = &m.kind {
                    if let TKind::Op(Op::Mul, pq) = &xy[0].kind {
                        if pq[0].dt == m.dt && pq[1].dt == m.dt && xy[1].dt == m.dt {
                            return (Op::Mul3Add, vec![&pq[0], &pq[1], &xy[1], z]);
                        }
                    }
                }
            }
        }
        if let (Some((x, y)), Some((z, w))) = (as_mul(&args[0]), as_mul(&args[1])) {
            let fused = if op == Op::Add {
                Op::MulMulAdd
            } else {
                Op::MulMulSub
            };
            return (fused, vec![x, y, z, w]);
        }
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
    // Chains of additions, summed in the order written: ((a+b)+c)+d.
    if op == Op::Add && args[0].dt == args[1].dt && args[0].dt != DType::Bool {
        // `z + (x + y)` equals `(x + y) + z` bit for bit (IEEE addition commutes).
        for (inner, other) in [(&args[0], &args[1]), (&args[1], &args[0])] {
            if is_add(inner) {
                let mut terms = Vec::with_capacity(4);
                flatten_add(inner, 3, &mut terms);
                terms.push(other);
                let fused = if terms.len() == 3 { Op::Add3 } else { Op::Add4 };
                return (fused, terms);
            }
        }
    }
    (op, args.iter().collect())
}

/// `x + k*(t - c*x)` (an explicit update step, like diffusion's) with `x`
/// a leaf: one instruction that reads `x` once. Returns `[k, t, c, x]`.
fn relax<'a>(x: &'a TNode, other: &'a TNode) -> Option<Vec<&'a TNode>> {
    if matches!(x.kind, TKind::Op(..)) || x.dt == DType::Bool {
        return None;
    }
    let TKind::Op(Op::Mul, m) = &other.kind else {
        return None;
    };
    let (k, diff) = match (&m[0].kind, &m[1].kind) {
        (_, TKind::Op(Op::Sub, _)) => (&m[0], &m[1]),
        (TKind::Op(Op::Sub, _), _) => (&m[1], &m[0]),
        _ => return None,
    };
    let TKind::Op(Op::Sub, d) = &diff.kind else {
        return None;
    };
    let TKind::Op(Op::Mul, cx) = &d[1].kind else {
        return None;
    };
    let c = if cx[1] == *x {
        &cx[0]
    } else if cx[0] == *x {
        &cx[1]
    } else {
        return None;
    };
    let all = [k, &d[0], c, x];
    if all.iter().any(|n| n.dt != x.dt) {
        return None;
    }
    Some(all.to_vec())
}

fn is_add(n: &TNode) -> bool {
    matches!(&n.kind, TKind::Op(Op::Add, a) if a[0].dt == a[1].dt)
}

/// The terms of a left-nested sum `((a+b)+c)`, at most `budget` of them
/// (a longer chain keeps its inner part as one term).
fn flatten_add<'a>(n: &'a TNode, budget: usize, out: &mut Vec<&'a TNode>) {
    match &n.kind {
        TKind::Op(Op::Add, a) if budget > 1 && is_add(n) => {
            flatten_add(&a[0], budget - 1, out);
            out.push(&a[1]);
        }
        _ => out.push(n),
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
