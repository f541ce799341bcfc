//! Byte strings in expressions, as numexpr takes them: they can only be
//! compared with byte strings (`==` `!=` `<` `<=` `>` `>=`) and searched
//! (`contains(haystack, needle)`), each giving `bool`. Such a test becomes
//! a `bool` variable of the program ([`BytesTest`], computed as a block's
//! variables are read); a test of two literals is Python's (numexpr lets
//! Python compare them: `b'a' == b'a\0'` is false), and `contains` of two
//! literals is folded as the engine computes it.

use crate::compile::ast::BinOp;
use crate::compile::check::{Checker, Slot};
use crate::compile::constants::Val;
use crate::compile::functions::CONTAINS;
use crate::compile::pyconst::PyConst;
use crate::compile::typed::{BytesOp, BytesSide, BytesTest, TKind, TNode};
use crate::dtype::{DType, Scalar};
use crate::error::ExprError;

impl Checker<'_> {
    /// A binary operator with a byte-string operand.
    pub(super) fn bytes_binary(
        &mut self,
        op: BinOp,
        l: Val,
        r: Val,
        col: usize,
    ) -> Result<Val, ExprError> {
        let sym = op.symbol();
        let bop = match op {
            BinOp::Lt => BytesOp::Lt,
            BinOp::Le => BytesOp::Le,
            BinOp::Eq => BytesOp::Eq,
            BinOp::Ne => BytesOp::Ne,
            BinOp::Ge => BytesOp::Ge,
            BinOp::Gt => BytesOp::Gt,
            _ => {
                return Err(self.type_err(
                    col,
                    format!(
                        "operator `{sym}` is not defined for byte strings (they are only compared, or searched with `contains`)"
                    ),
                ))
            }
        };
        let (Val::Bytes { side: a, .. }, Val::Bytes { side: b, .. }) = (l, r) else {
            return Err(self.type_err(
                col,
                format!("`{sym}` compares byte strings with byte strings only"),
            ));
        };
        if let (BytesSide::Lit(x), BytesSide::Lit(y)) = (&a, &b) {
            // Python's comparison of bytes objects.
            let c = match bop {
                BytesOp::Lt => x < y,
                BytesOp::Le => x <= y,
                BytesOp::Eq => x == y,
                BytesOp::Ne => x != y,
                BytesOp::Ge => x >= y,
                BytesOp::Gt => x > y,
                BytesOp::Contains => unreachable!("not an operator"),
            };
            return Ok(Val::Py {
                c: PyConst::Bool(c),
                col,
                wrapped: false,
            });
        }
        Ok(Val::Node(self.test(bop, a, b)))
    }

    /// What can be checked of a `contains` call before its arguments.
    pub(super) fn contains_head(
        &self,
        nargs: usize,
        axis: bool,
        col: usize,
    ) -> Result<(), ExprError> {
        if axis {
            return Err(self.type_err(col, format!("`{CONTAINS}` takes no `axis=` argument")));
        }
        if nargs != 2 {
            return Err(self.type_err(
                col,
                format!("`{CONTAINS}` takes 2 argument(s), got {nargs}"),
            ));
        }
        Ok(())
    }

    /// `contains(haystack, needle)` on its checked arguments.
    pub(super) fn contains_value(&mut self, xs: Vec<Val>, col: usize) -> Result<Val, ExprError> {
        let [Val::Bytes { side: h, .. }, Val::Bytes { side: n, .. }] = <[Val; 2]>::try_from(xs)
            .map_err(|_| self.type_err(col, format!("`{CONTAINS}` takes 2 argument(s)")))?
        else {
            return Err(self.type_err(
                col,
                format!("`{CONTAINS}` searches byte strings for byte strings only"),
            ));
        };
        if let (BytesSide::Lit(x), BytesSide::Lit(y)) = (&h, &n) {
            let found = BytesOp::Contains.holds(x, y);
            return Ok(Val::Node(TNode {
                kind: TKind::Const(Scalar::Bool(found)),
                dt: DType::Bool,
            }));
        }
        Ok(Val::Node(self.test(BytesOp::Contains, h, n)))
    }

    /// The `bool` variable of the test `op(a, b)`.
    fn test(&mut self, op: BytesOp, a: BytesSide, b: BytesSide) -> TNode {
        let slot = self.slot(Slot::Test(BytesTest { op, a, b }));
        TNode {
            kind: TKind::Var(slot),
            dt: DType::Bool,
        }
    }
}
