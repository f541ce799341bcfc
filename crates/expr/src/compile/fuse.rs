//! Fusion: common shapes of the typed tree become one instruction each
//! (see the fused operations of the opcode table), which saves a pass over
//! the block buffers per fused node. Fusing never changes the rounding:
//! each product and sum is rounded as in the unfused form.

use crate::compile::typed::{TKind, TNode};
use crate::dtype::DType;
use crate::vm::ops::Op;

/// The instruction for `op(args)`: where the operands' shape allows, one
/// fused operation instead of several — the explicit update `x + k*(t -
/// c*x)` (with a four-term `t`, the whole 5-point stencil), `(p*q)*y + z`,
/// `x*y ± z*w`, `x*y ± z` and `z - x*y` (a square of a leaf stands for
/// `x*x`), or a chain of three or four additions. Returns the operation and
/// its operands.
pub(super) fn fuse(op: Op, args: &[TNode]) -> (Op, Vec<&TNode>) {
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
        // x*y ± z, and z ± x*y (as x*y + z or -(x*y) + z).
        let sides = [
            (&args[0], &args[1], Op::MulSub),
            (&args[1], &args[0], Op::NegMulAdd),
        ];
        for (m, z, minus) in sides {
            if let Some((x, y)) = as_mul(m) {
                let fused = if op == Op::Add { Op::MulAdd } else { minus };
                return (fused, vec![x, y, z]);
            }
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
    let c = if cx[1].same_leaf(x) {
        &cx[0]
    } else if cx[0].same_leaf(x) {
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

/// Whether `n` is an addition of two operands of the same type.
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
