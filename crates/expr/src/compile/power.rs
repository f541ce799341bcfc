//! `x ** y`, with numexpr's rewriting of constant exponents: a small
//! integral `n` becomes multiplications (`x**3` is `x*x*x`, `x**-2` is
//! `1/(x*x)`), `0.5` becomes `sqrt(x)`; and numexpr's refusal of an
//! integer to a negative integer constant power (`a**-1` for an integer
//! `a`; numbers alone are Python's business: `2**-1` is 0.5).
//!
//! The typed tree is a tree, not a graph, so `x**3` holds three copies of
//! `x`; a power of a power copies the copies. So that nested powers cannot
//! grow the tree exponentially, the copies an expression may make are
//! limited to [`MAX_COPIED_NODES`] nodes: past that, a power is computed
//! by the `pow` instruction instead (the same value for integers, within
//! rounding for floating point).

use crate::compile::check::Checker;
use crate::compile::fold::fold;
use crate::compile::typed::{TKind, TNode};
use crate::dtype::{DType, Scalar};
use crate::error::ExprError;
use crate::vm::ops::Op;

/// How many nodes the rewriting of powers may copy in one expression.
pub(crate) const MAX_COPIED_NODES: usize = 1 << 16;

impl Checker<'_> {
    /// `l ** r` in the operands' common type, rewritten when `r` is a
    /// suitable constant.
    pub(super) fn pow(&self, l: TNode, r: TNode, col: usize) -> Result<TNode, ExprError> {
        let t = l.dt.common(r.dt);
        if t == DType::Bool {
            return Err(self.type_err(col, "operator `**` is not defined for bool operands".into()));
        }
        if let (true, TKind::Const(v)) = (l.dt.is_int(), &r.kind) {
            if v.as_i64().is_some_and(|e| e < 0) && v.dtype().is_int() {
                // numexpr's rule (and its words): an integer result cannot
                // hold a fraction.
                return Err(self.type_err(
                    col,
                    "Integers to negative integer powers are not allowed".into(),
                ));
            }
        }
        if let TKind::Const(v) = r.kind {
            if v.dtype() != DType::C128 {
                let e = v.as_f64();
                let integral = e.fract() == 0.0 && e.abs() <= 64.0;
                let n = e as i64;
                if integral && n == 0 {
                    // x**0 is 1 for every x, NaN included (IEEE pow).
                    let one = fold(Op::Cast, t, &[(Scalar::Bool(true), DType::Bool)]);
                    return Ok(TNode {
                        kind: TKind::Const(one),
                        dt: t,
                    });
                }
                let rewrite = integral && (n > 0 || !t.is_int());
                if rewrite && self.spend_copies(&l, n.unsigned_abs() as u32) {
                    let p = self.ipow(self.cast(l, t), n.unsigned_abs() as u32);
                    if n > 0 {
                        return Ok(p);
                    }
                    return Ok(self.make(Op::Recip, vec![p], t));
                }
                if e == 0.5 && !t.is_int() {
                    let x = self.cast(l, t);
                    return Ok(self.make(Op::Sqrt, vec![x], t));
                }
            }
        }
        Ok(self.make(Op::Pow, vec![self.cast(l, t), self.cast(r, t)], t))
    }

    /// Whether `x ** n` may be rewritten to products within the budget of
    /// copied nodes, which it then spends.
    fn spend_copies(&self, x: &TNode, n: u32) -> bool {
        // Squaring reuses its operand; each set bit past the first copies x.
        let extra = n.count_ones().saturating_sub(1) as usize;
        if extra == 0 || !matches!(x.kind, TKind::Op(..)) {
            return true;
        }
        let left = MAX_COPIED_NODES - self.copied.get();
        match x.size_within(left / extra) {
            Some(size) => {
                self.copied.set(self.copied.get() + size * extra);
                true
            }
            None => false,
        }
    }

    /// `x ** n` by squaring: squares and multiplications.
    fn ipow(&self, x: TNode, n: u32) -> TNode {
        let dt = x.dt;
        match n {
            1 => x,
            2 => self.make(Op::Square, vec![x], dt),
            _ if n & 1 == 0 => {
                let h = self.ipow(x, n / 2);
                self.make(Op::Square, vec![h], dt)
            }
            _ => {
                let rest = self.ipow(x.clone(), n - 1);
                self.make(Op::Mul, vec![rest, x], dt)
            }
        }
    }
}
