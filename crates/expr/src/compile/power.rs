//! `x ** y`, with numexpr's rewriting of constant exponents (at its default
//! optimisation level, `aggressive`; `moderate` rewrites only the exponents
//! -1, 0, 0.5, 1 and 2, `none` none): an integral or half-integral exponent `e`
//! with `|e| <= 50` becomes multiplications by squaring, times `sqrt(x)`
//! for a half, and a reciprocal for a negative `e` (`x**3` is `x*(x*x)`,
//! `x**2.5` is `(x*x)*sqrt(x)`, `x**-2` is `1/(x*x)`, `x**0` is 1); and
//! numexpr's refusal of an integer to a negative integer constant power
//! (`a**-1` for an integer `a`; numbers alone are Python's business:
//! `2**-1` is 0.5).
//!
//! The rewritten power has the base's type, whatever the exponent's, as in
//! numexpr: `x**2.5` of an `f32` is `f32`, `a**3.0` and `a**0.0` of an
//! integer are integers; a half or a negative exponent of an integer is
//! `f64`. Other exponents go to the `pow` instruction in the operands'
//! common type.
//!
//! The typed tree is a tree, not a graph, so `x**3` holds two copies of
//! `x`; a power of a power copies the copies. So that nested powers cannot
//! grow the tree exponentially, the copies an expression may make are
//! limited to [`MAX_COPIED_NODES`] nodes: past that, a power is computed
//! by the `pow` instruction instead (in the type the rewriting would have
//! given: the same value for integers, within rounding for floating point).

use num_complex::Complex64;

use crate::compile::check::Checker;
use crate::compile::fold::fold;
use crate::compile::options::Optimization;
use crate::compile::typed::{TKind, TNode};
use crate::dtype::{DType, Scalar};
use crate::error::ExprError;
use crate::vm::ops::Op;

/// How many nodes the rewriting of powers may copy in one expression.
pub(crate) const MAX_COPIED_NODES: usize = 1 << 16;

/// The largest exponent numexpr rewrites into multiplications (its
/// break-even point with `pow`) at the aggressive level.
const MAX_REWRITTEN: f64 = 50.0;

/// The exponents numexpr rewrites at the moderate level (as `1/x`,
/// `ones_like(x)`, `sqrt(x)`, `x` and `x*x`: what the aggressive rewriting
/// makes of them too).
const MODERATE: [f64; 5] = [-1.0, 0.0, 0.5, 1.0, 2.0];

impl Checker<'_> {
    /// `l ** r`, rewritten as numexpr does when `r` is a suitable constant.
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
            let e = v.as_f64();
            let rewritten = match (self.optimization, v) {
                (Optimization::None, _) => false,
                // numexpr compares the exponent with its five values, and a
                // complex number with no imaginary part equals them.
                (Optimization::Moderate, Scalar::C128(z)) => {
                    z.im == 0.0 && MODERATE.contains(&z.re)
                }
                (Optimization::Moderate, _) => MODERATE.contains(&e),
                (Optimization::Aggressive, Scalar::C128(_)) => false,
                (Optimization::Aggressive, _) => {
                    (2.0 * e).fract() == 0.0 && e.abs() <= MAX_REWRITTEN
                }
            };
            if rewritten && l.dt == DType::Bool {
                return self.bool_pow(l, e, col);
            }
            if rewritten {
                return Ok(self.rewritten_pow(l, e));
            }
        }
        Ok(self.make(Op::Pow, vec![self.cast(l, t), self.cast(r, t)], t))
    }

    /// `b ** e` for a bool `b` and an `e` that numexpr rewrites: its
    /// products of bools are `&`, so a positive integral power is `b`
    /// itself and a negative one `1 / b` (as `f64`); it has no `sqrt` or
    /// `ones_like` of bool, so halves and 0 are type errors.
    fn bool_pow(&self, b: TNode, e: f64, col: usize) -> Result<TNode, ExprError> {
        if e == 0.0 || e.fract() != 0.0 {
            return Err(self.type_err(
                col,
                format!("operator `**` is not defined for a bool base and the exponent {e}"),
            ));
        }
        if e > 0.0 {
            return Ok(b);
        }
        let x = self.cast(b, DType::F64);
        Ok(self.make(Op::Recip, vec![x], DType::F64))
    }

    /// `x ** e` for an integral or half-integral `e` with `|e| <= 50`,
    /// rewritten as numexpr's `pow_op` does, in the base's type.
    fn rewritten_pow(&self, x: TNode, e: f64) -> TNode {
        let base = x.dt;
        let n = e.abs() as u32;
        let half = (2.0 * e.abs()) as u32 % 2 == 1;
        if n == 0 && !half {
            // numexpr's `ones_like(x)`: 1 for every x, NaN included.
            let one = fold(Op::Cast, base, &[(Scalar::Bool(true), DType::Bool)]);
            return TNode {
                kind: TKind::Const(one),
                dt: base,
            };
        }
        // An integer base to a half or negative power is `f64` in numexpr;
        // computing the whole product there (numexpr multiplies the
        // integral part as integers) keeps it from wrapping.
        let ty = if base.is_int() && (half || e < 0.0) {
            DType::F64
        } else {
            base
        };
        let x = self.cast(x, ty);
        let copies = n.count_ones() + u32::from(half);
        if !self.spend_copies(&x, copies) {
            // `e` is a small integer or half, exact in every type it is
            // given in here (a half only in floating point).
            let exponent = match ty {
                DType::I32 => Scalar::I32(e as i32),
                DType::I64 => Scalar::I64(e as i64),
                DType::F32 => Scalar::F32(e as f32),
                DType::C128 => Scalar::C128(Complex64::new(e, 0.0)),
                _ => Scalar::F64(e),
            };
            let exponent = TNode {
                kind: TKind::Const(exponent),
                dt: ty,
            };
            return self.make(Op::Pow, vec![x, exponent], ty);
        }
        let mut p = if half {
            let root = self.make(Op::Sqrt, vec![x.clone()], ty);
            match self.ipow(x, n) {
                Some(r) => self.make(Op::Mul, vec![r, root], ty),
                None => root,
            }
        } else {
            self.ipow(x, n).expect("n > 0 without a half")
        };
        if e < 0.0 {
            p = self.make(Op::Recip, vec![p], ty);
        }
        p
    }

    /// Whether a power making `copies` copies of `x` may be rewritten
    /// within the budget of copied nodes, which it then spends.
    fn spend_copies(&self, x: &TNode, copies: u32) -> bool {
        let extra = copies.saturating_sub(1) as usize;
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

    /// `x ** n` by numexpr's binary method, in its order of operations:
    /// the powers `x`, `x²`, `x⁴`... by squaring, and the product, from the
    /// lowest, of those whose bit `n` has (`x**7` is `(x*x²)*x⁴`), so that
    /// every result rounds as numexpr's does. `None` for `n` = 0.
    fn ipow(&self, x: TNode, n: u32) -> Option<TNode> {
        if n == 0 {
            return None;
        }
        let dt = x.dt;
        let times = |r: Option<TNode>, p: TNode| match r {
            None => p,
            Some(r) => self.make(Op::Mul, vec![r, p], dt),
        };
        let mut product: Option<TNode> = None;
        let mut p = x;
        let mut bit = 1u32;
        loop {
            if bit << 1 > n {
                // The highest bit of `n` (n <= 50 here), which is set.
                return Some(times(product, p));
            }
            if n & bit != 0 {
                product = Some(times(product, p.clone()));
            }
            bit <<= 1;
            p = self.make(Op::Square, vec![p], dt);
        }
    }
}
