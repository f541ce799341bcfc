//! Where Python's constants meet numexpr's typed rules: the checked
//! operand ([`Val`]), and the operators and calls that take it — Python's
//! arithmetic (`pyconst.rs`) while every operand is a Python constant,
//! the typed rules (`check.rs`, `power.rs`, `functions.rs`) once one is
//! not, with each constant typed the way numexpr or numpy would type it.

use crate::compile::ast::{Ast, AstKind, BinOp, UnOp};
use crate::compile::check::{Checker, Slot};
use crate::compile::functions::CONTAINS;
use crate::compile::pyconst::{PyConst, PyError};
use crate::compile::typed::{BytesSide, TKind, TNode, VarRef};
use crate::dtype::{DType, Scalar};
use crate::error::ExprError;
use crate::vm::ops::Op;

/// A checked operand: a Python constant, or a typed node.
///
/// numexpr lets Python evaluate the text, so an operation on literals
/// alone is Python's. Some of its constructs wrap a Python value in a
/// constant node of its own (`wrapped`): the branch a `where` with a
/// constant condition picks, `real`/`imag` of a constant, and anything
/// computed from such a node. A wrapped value still follows Python for
/// `+ - * % << >> & |`, comparisons and unary operators, but `/` and a
/// wrapped base's `**` go through numexpr's typed rules (`where(True, 7,
/// 1) / 0` is `inf`, `where(True, 2, 1) ** -1` an error).
pub(super) enum Val {
    Py {
        c: PyConst,
        /// The column the constant expression starts at.
        col: usize,
        wrapped: bool,
    },
    Node(TNode),
    /// Byte strings (a literal or an input), which only comparisons and
    /// `contains` take (see `strings.rs`).
    Bytes {
        side: BytesSide,
        col: usize,
    },
}

impl Val {
    /// Whether this is a constant numpy computed (a folded typed
    /// constant) of type `dt`.
    pub(super) fn is_typed_const(&self, dt: DType) -> bool {
        matches!(self, Val::Node(n) if n.dt == dt && matches!(n.kind, TKind::Const(_)))
    }

    /// Whether this is a constant, Python's or numpy's.
    pub(super) fn is_const(&self) -> bool {
        match self {
            Val::Py { .. } => true,
            Val::Node(n) => matches!(n.kind, TKind::Const(_)),
            Val::Bytes { side, .. } => matches!(side, BytesSide::Lit(_)),
        }
    }
}

impl Checker<'_> {
    /// The typed node of a value: a Python constant becomes a typed
    /// constant by numexpr's rule (`i32` when an integer fits, else `i64`).
    pub(super) fn typed(&self, v: Val) -> Result<TNode, ExprError> {
        match v {
            Val::Node(n) => Ok(n),
            Val::Py { c, col, .. } => self.constant(c.typed(), col),
            Val::Bytes { col, .. } => Err(self.type_err(
                col,
                "byte strings are only compared (`==` `!=` `<` `<=` `>` `>=`) with byte strings, or searched with `contains`".into(),
            )),
        }
    }

    /// A typed constant node, or the error of a constant that has none.
    fn constant(&self, s: Result<Scalar, String>, col: usize) -> Result<TNode, ExprError> {
        let v = s.map_err(|msg| self.arithmetic_err(col, msg))?;
        Ok(TNode {
            kind: TKind::Const(v),
            dt: v.dtype(),
        })
    }

    /// An arithmetic error at `col`.
    fn arithmetic_err(&self, col: usize, msg: String) -> ExprError {
        ExprError::Arithmetic {
            expr: self.text.to_string(),
            col,
            msg,
        }
    }

    /// A Python error on constants at `col`: an arithmetic error, or (for
    /// a `TypeError`) the typed rules' error for `typed`, which gives it.
    fn py_err(
        &self,
        e: PyError,
        col: usize,
        typed: impl FnOnce() -> Result<TNode, ExprError>,
    ) -> Result<Val, ExprError> {
        match e {
            PyError::Value(msg) => Err(self.arithmetic_err(col, msg)),
            PyError::Type => typed().map(Val::Node),
        }
    }

    /// The typed node of `v` as an operand beside a numpy `bool` constant
    /// or not: a Python integer beside one is `i64`, numpy's default
    /// integer (numpy's rule for a Python scalar beside a numpy one);
    /// otherwise numexpr's rule applies.
    fn typed_beside(&self, v: Val, beside_bool: bool) -> Result<TNode, ExprError> {
        match v {
            Val::Py {
                c: c @ PyConst::Int(_),
                col,
                ..
            } if beside_bool => self.constant(c.numpy(), col),
            v => self.typed(v),
        }
    }

    /// A unary operator: Python's on a constant, else the typed rules.
    pub(super) fn unary_value(&self, op: UnOp, x: Val, col: usize) -> Result<Val, ExprError> {
        if let Val::Py { c, wrapped, .. } = x {
            if wrapped && op == UnOp::Plus {
                // numexpr's constant node returns itself for unary `+`.
                return Ok(x);
            }
            return match c.unary(op) {
                Ok(c) => Ok(Val::Py { c, col, wrapped }),
                Err(e) => self.py_err(e, col, || self.unary(op, self.typed(x)?, col)),
            };
        }
        Ok(Val::Node(self.unary(op, self.typed(x)?, col)?))
    }

    /// A binary operator: Python's on two constants (unless numexpr types
    /// it, see [`Val`]), else the typed rules.
    pub(super) fn binary_value(
        &mut self,
        op: BinOp,
        l: Val,
        r: Val,
        col: usize,
    ) -> Result<Val, ExprError> {
        if matches!(l, Val::Bytes { .. }) || matches!(r, Val::Bytes { .. }) {
            return self.bytes_binary(op, l, r, col);
        }
        if let (
            Val::Py {
                c: a, wrapped: wa, ..
            },
            Val::Py {
                c: b, wrapped: wb, ..
            },
        ) = (&l, &r)
        {
            let typed = match op {
                BinOp::Div => *wa || *wb,
                BinOp::Pow => *wa,
                _ => false,
            };
            if !typed {
                let wrapped = *wa || *wb;
                return match PyConst::binary(op, *a, *b) {
                    Ok(c) => Ok(Val::Py { c, col, wrapped }),
                    Err(e) => self.py_err(e, col, || {
                        self.binary(op, self.typed(l)?, self.typed(r)?, col)
                    }),
                };
            }
        }
        let (l_bool, r_bool) = (l.is_typed_const(DType::Bool), r.is_typed_const(DType::Bool));
        let l = self.typed_beside(l, r_bool)?;
        let r = self.typed_beside(r, l_bool)?;
        Ok(Val::Node(self.binary(op, l, r, col)?))
    }

    /// A call of an elementwise function. A `where` with a constant
    /// condition is the branch it picks, untouched, and `real`/`imag` of a
    /// Python constant is Python's attribute (numexpr's). When every
    /// argument is constant the call is folded, and Python constants reach
    /// it as numpy would take them (an integer is `i64`); otherwise they
    /// are typed by numexpr's rule.
    pub(super) fn call_value(
        &mut self,
        func: &str,
        mut xs: Vec<Val>,
        args: &[Ast],
        col: usize,
    ) -> Result<Val, ExprError> {
        if func == CONTAINS {
            return self.contains_value(xs, col);
        }
        let op = Op::math(func).or_else(|| Op::call(func));
        if op == Some(Op::Where) {
            let cond = match &xs[0] {
                Val::Py {
                    c: PyConst::Bool(b),
                    ..
                } => Some(*b),
                Val::Node(TNode {
                    kind: TKind::Const(Scalar::Bool(b)),
                    ..
                }) => Some(*b),
                _ => None,
            };
            if let Some(b) = cond {
                let (kept, dropped) = if b { (1, 2) } else { (2, 1) };
                self.forget(&args[dropped]);
                return Ok(match xs.swap_remove(kept) {
                    Val::Py { c, col, .. } => Val::Py {
                        c,
                        col,
                        wrapped: true,
                    },
                    node => node,
                });
            }
        }
        if let (Some(part @ (Op::Real | Op::Imag)), [Val::Py { c, .. }]) = (op, xs.as_slice()) {
            return Ok(Val::Py {
                c: c.part(part == Op::Real),
                col,
                wrapped: true,
            });
        }
        let folded = xs.iter().all(Val::is_const);
        let mut args = Vec::with_capacity(xs.len());
        for x in xs {
            args.push(match x {
                Val::Py { c, col: at, .. } if folded => self.constant(c.numpy(), at)?,
                x => self.typed(x)?,
            });
        }
        Ok(Val::Node(self.call(func, args, folded, col)?))
    }

    /// Stops counting the variables `ast` reads as used: its value was
    /// dropped. Subtrees dropped before (a constant `where` inside it) are
    /// not counted twice.
    fn forget(&mut self, ast: &Ast) {
        let mut stack = vec![ast];
        while let Some(node) = stack.pop() {
            if self.dropped.contains(&(node as *const Ast)) {
                continue;
            }
            if let AstKind::Name(name, offsets) = &node.kind {
                let r = Slot::Input(VarRef {
                    input: self.inputs[name.as_str()],
                    offsets: offsets.clone(),
                });
                // Byte-string inputs are no variables (their tests are, and
                // stay: a test the dropped branch made is still computed).
                if let Some(&i) = self.var_index.get(&r) {
                    self.uses[i] -= 1;
                }
            }
            stack.extend(node.operands());
        }
        self.dropped.insert(ast as *const Ast);
    }
}
