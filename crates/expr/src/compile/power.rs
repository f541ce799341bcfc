//! `x ** y`, with numexpr's rewriting of constant exponents: a small
//! integral `n` becomes multiplications (`x**3` is `x*x*x`, `x**-2` is
//! `1/(x*x)`), `0.5` becomes `sqrt(x)`.

use crate::compile::check::Checker;
use crate::compile::fold::fold;
use crate::compile::typed::{TKind, TNode};
use crate::dtype::{DType, Scalar};
use crate::error::ExprError;
use crate::vm::ops::Op;

impl Checker<'_> {
    /// `l ** r` in the operands' common type, rewritten when `r` is a
    /// suitable constant.
    pub(super) fn pow(&self, l: TNode, r: TNode, col: usize) -> Result<TNode, ExprError> {
        let t = l.dt.common(r.dt);
        if t == DType::Bool {
            return Err(self.type_err(col, "operator `**` is not defined for bool operands".into()));
        }
        if let TKind::Const(v) = r.kind {
            if v.dtype() != DType::C128 {
                let e = v.as_f64();
                if e.fract() == 0.0 && e.abs() <= 64.0 {
                    let n = e as i64;
                    let x = self.cast(l.clone(), t);
                    if n == 0 {
                        // x**0 is 1 for every x, NaN included (IEEE pow).
                        let one = fold(Op::Cast, t, &[(Scalar::Bool(true), DType::Bool)]);
                        return Ok(TNode {
                            kind: TKind::Const(one),
                            dt: t,
                        });
                    }
                    if n > 0 {
                        return Ok(self.ipow(x, n as u32));
                    }
                    if !t.is_int() {
                        let p = self.ipow(x, n.unsigned_abs() as u32);
                        return Ok(self.make(Op::Recip, vec![p], t));
                    }
                }
                if e == 0.5 && !t.is_int() {
                    let x = self.cast(l, t);
                    return Ok(self.make(Op::Sqrt, vec![x], t));
                }
            }
        }
        Ok(self.make(Op::Pow, vec![self.cast(l, t), self.cast(r, t)], t))
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
