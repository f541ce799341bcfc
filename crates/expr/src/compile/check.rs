//! Syntax tree to typed tree: name resolution, numexpr's casting rules for
//! operators, and constant folding as each node is built. Powers and
//! function calls have files of their own (`power.rs`, `functions.rs`).

use std::cell::Cell;
use std::collections::HashMap;

use crate::compile::ast::{Ast, AstKind, BinOp, UnOp};
use crate::compile::fold::fold;
use crate::compile::functions::is_function;
use crate::compile::pyconst::{PyConst, PyError};
use crate::compile::typed::{Checked, ReduceKind, TKind, TNode, VarRef};
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
enum Val {
    Py {
        c: PyConst,
        /// The column the constant expression starts at.
        col: usize,
        wrapped: bool,
    },
    Node(TNode),
}

impl Val {
    /// Whether this is a constant numpy computed (a folded typed
    /// constant) of type `dt`.
    fn is_typed_const(&self, dt: DType) -> bool {
        matches!(self, Val::Node(n) if n.dt == dt && matches!(n.kind, TKind::Const(_)))
    }

    /// Whether this is a constant, Python's or numpy's.
    fn is_const(&self) -> bool {
        match self {
            Val::Py { .. } => true,
            Val::Node(n) => matches!(n.kind, TKind::Const(_)),
        }
    }
}

/// The checker's state: the text (for errors), the signature, and the
/// variable references found so far.
pub(crate) struct Checker<'a> {
    text: &'a str,
    sig: &'a [(String, DType)],
    /// Where each input is in the signature, by name.
    inputs: HashMap<&'a str, usize>,
    vars: Vec<VarRef>,
    /// Where each variable reference is in `vars`.
    var_index: HashMap<VarRef, usize>,
    /// How often each variable is read by what is kept of the expression
    /// (the branch a constant `where` drops is not).
    uses: Vec<usize>,
    /// Nodes copied so far by the rewriting of powers (see `power.rs`).
    pub(super) copied: Cell<usize>,
}

impl<'a> Checker<'a> {
    /// A checker of `text` for inputs named and typed by `sig`.
    pub fn new(text: &'a str, sig: &'a [(String, DType)]) -> Checker<'a> {
        Checker {
            text,
            sig,
            inputs: sig
                .iter()
                .enumerate()
                .map(|(i, (n, _))| (n.as_str(), i))
                .collect(),
            vars: Vec::new(),
            var_index: HashMap::new(),
            uses: Vec::new(),
            copied: Cell::new(0),
        }
    }
}

impl Checker<'_> {
    /// A type error at `col`.
    pub(super) fn type_err(&self, col: usize, msg: String) -> ExprError {
        ExprError::Type {
            expr: self.text.to_string(),
            col,
            msg,
        }
    }

    /// Checks a whole expression, allowing one reduction as the outermost call.
    pub fn check_root(mut self, ast: &Ast) -> Result<Checked, ExprError> {
        if let AstKind::Call { func, args, axis } = &ast.kind {
            let kind = match func.as_str() {
                "sum" => Some(ReduceKind::Sum),
                "product" => Some(ReduceKind::Product),
                _ => None,
            };
            if let Some(kind) = kind {
                if args.len() != 1 {
                    return Err(self.type_err(
                        ast.col,
                        format!(
                            "`{func}` takes one expression (and `axis=`), got {} arguments",
                            args.len()
                        ),
                    ));
                }
                let arg = self.node(&args[0])?;
                let acc = match arg.dt {
                    DType::Bool | DType::I32 | DType::I64 => DType::I64,
                    dt => dt,
                };
                let root = self.cast(arg, acc);
                return Ok(self.finish(root, Some((kind, *axis))));
            }
        }
        if let AstKind::Call {
            func,
            axis: Some(_),
            ..
        } = &ast.kind
        {
            return Err(self.type_err(ast.col, format!("`{func}` takes no `axis=` argument")));
        }
        let root = self.node(ast)?;
        Ok(self.finish(root, None))
    }

    /// The checked expression, without the variables that only a branch a
    /// constant `where` dropped reads (numexpr does not see them: they
    /// neither shape the result nor need an input).
    fn finish(self, mut root: TNode, reduce: Option<(ReduceKind, Option<i64>)>) -> Checked {
        if self.uses.iter().all(|&n| n > 0) {
            return Checked {
                root,
                vars: self.vars,
                reduce,
            };
        }
        let mut renumber = vec![usize::MAX; self.vars.len()];
        let mut vars = Vec::new();
        for (i, v) in self.vars.into_iter().enumerate() {
            if self.uses[i] > 0 {
                renumber[i] = vars.len();
                vars.push(v);
            }
        }
        let mut stack = vec![&mut root];
        while let Some(n) = stack.pop() {
            match &mut n.kind {
                TKind::Var(i) => *i = renumber[*i],
                TKind::Const(_) => {}
                TKind::Op(_, args) => stack.extend(args.iter_mut()),
            }
        }
        Checked { root, vars, reduce }
    }

    /// Stops counting the variables `ast` reads as used: its value was
    /// dropped.
    fn forget(&mut self, ast: &Ast) {
        let mut stack = vec![ast];
        while let Some(node) = stack.pop() {
            if let AstKind::Name(name, offsets) = &node.kind {
                let r = VarRef {
                    input: self.inputs[name.as_str()],
                    offsets: offsets.clone(),
                };
                let i = self.var_index[&r];
                self.uses[i] -= 1;
            }
            stack.extend(node.operands());
        }
    }

    /// Casts `node` up to `to` (constants are converted at once).
    pub(super) fn cast(&self, node: TNode, to: DType) -> TNode {
        if node.dt == to {
            return node;
        }
        self.make(Op::Cast, vec![node], to)
    }

    /// Builds an operation node, folding it when every argument is constant.
    pub(super) fn make(&self, op: Op, args: Vec<TNode>, dt: DType) -> TNode {
        if args.iter().all(|a| matches!(a.kind, TKind::Const(_))) {
            let vals: Vec<(Scalar, DType)> = args
                .iter()
                .map(|a| match a.kind {
                    TKind::Const(v) => (v, a.dt),
                    _ => unreachable!("checked constant"),
                })
                .collect();
            return TNode {
                kind: TKind::Const(fold(op, dt, &vals)),
                dt,
            };
        }
        TNode {
            kind: TKind::Op(op, args),
            dt,
        }
    }

    /// Checks a syntax tree into a typed tree (see [`Checker::value`]).
    pub(super) fn node(&mut self, root: &Ast) -> Result<TNode, ExprError> {
        let v = self.value(root)?;
        self.typed(v)
    }

    /// Checks a syntax tree, bottom-up from an explicit stack (a chain of
    /// 100,000 operators is a tree 100,000 levels deep). Errors are found
    /// in the order a left-to-right recursion would find them: a call's
    /// name and arity before its arguments, a left operand before a right
    /// one. Operations on literals alone are computed as Python computes
    /// them (see `pyconst.rs`) and stay Python values until they meet an
    /// array or a function.
    fn value(&mut self, root: &Ast) -> Result<Val, ExprError> {
        /// A node whose operands are to be checked, or whose checked
        /// operands are on the value stack.
        enum Step<'a> {
            Enter(&'a Ast),
            Finish(&'a Ast),
        }
        let mut steps = vec![Step::Enter(root)];
        let mut done: Vec<Val> = Vec::new();
        while let Some(step) = steps.pop() {
            match step {
                Step::Enter(ast) => match &ast.kind {
                    AstKind::Lit(v) => done.push(Val::Py {
                        c: *v,
                        col: ast.col,
                        wrapped: false,
                    }),
                    AstKind::Name(name, offsets) => {
                        done.push(Val::Node(self.name(name, offsets, ast.col)?))
                    }
                    AstKind::Call { func, args, axis } => {
                        self.call_head(func, args.len(), *axis, ast.col)?;
                        steps.push(Step::Finish(ast));
                        steps.extend(ast.operands().rev().map(Step::Enter));
                    }
                    AstKind::Unary(..) | AstKind::Binary(..) => {
                        steps.push(Step::Finish(ast));
                        steps.extend(ast.operands().rev().map(Step::Enter));
                    }
                },
                Step::Finish(ast) => {
                    let v = match &ast.kind {
                        AstKind::Unary(op, _) => {
                            let x = done.pop().expect("the operand was checked");
                            self.unary_value(*op, x, ast.col)?
                        }
                        AstKind::Binary(op, ..) => {
                            let r = done.pop().expect("the right operand was checked");
                            let l = done.pop().expect("the left operand was checked");
                            self.binary_value(*op, l, r, ast.col)?
                        }
                        AstKind::Call { func, args, .. } => {
                            let xs = done.split_off(done.len() - args.len());
                            self.call_value(func, xs, args, ast.col)?
                        }
                        AstKind::Lit(_) | AstKind::Name(..) => {
                            unreachable!("leaves are finished when entered")
                        }
                    };
                    done.push(v);
                }
            }
        }
        Ok(done.pop().expect("the root was checked"))
    }

    /// The typed node of a value: a Python constant becomes a typed
    /// constant by numexpr's rule (`i32` when an integer fits, else `i64`).
    fn typed(&self, v: Val) -> Result<TNode, ExprError> {
        match v {
            Val::Node(n) => Ok(n),
            Val::Py { c, col, .. } => self.constant(c.typed(), col),
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
    fn unary_value(&self, op: UnOp, x: Val, col: usize) -> Result<Val, ExprError> {
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
    fn binary_value(&self, op: BinOp, l: Val, r: Val, col: usize) -> Result<Val, ExprError> {
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
    fn call_value(
        &mut self,
        func: &str,
        mut xs: Vec<Val>,
        args: &[Ast],
        col: usize,
    ) -> Result<Val, ExprError> {
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
        Ok(Val::Node(self.call(func, args, col)?))
    }

    /// A unary operator on its checked operand.
    fn unary(&self, op: UnOp, x: TNode, col: usize) -> Result<TNode, ExprError> {
        match op {
            UnOp::Plus => Ok(x),
            UnOp::Neg => {
                if x.dt == DType::Bool {
                    return Err(self.type_err(
                        col,
                        "unary `-` is not defined for bool (use `~` to negate)".into(),
                    ));
                }
                let dt = x.dt;
                Ok(self.make(Op::Neg, vec![x], dt))
            }
            UnOp::Invert => {
                if !(x.dt == DType::Bool || x.dt.is_int()) {
                    return Err(self.type_err(
                        col,
                        format!("`~` needs a bool or integer operand, got {}", x.dt),
                    ));
                }
                let dt = x.dt;
                Ok(self.make(Op::Not, vec![x], dt))
            }
        }
    }

    /// A variable reference: an input of the signature, with its offsets.
    fn name(
        &mut self,
        name: &str,
        offsets: &Option<Vec<i64>>,
        col: usize,
    ) -> Result<TNode, ExprError> {
        let Some(&input) = self.inputs.get(name) else {
            if is_function(name) {
                return Err(self.type_err(
                    col,
                    format!("`{name}` is a function: call it as `{name}(...)`"),
                ));
            }
            return Err(ExprError::UnknownName {
                expr: self.text.to_string(),
                col,
                name: name.to_string(),
                known: if self.sig.is_empty() {
                    "none".to_string()
                } else {
                    self.sig
                        .iter()
                        .map(|(n, _)| n.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                },
            });
        };
        let r = VarRef {
            input,
            offsets: offsets.clone(),
        };
        let slot = match self.var_index.get(&r) {
            Some(&i) => i,
            None => {
                self.var_index.insert(r.clone(), self.vars.len());
                self.vars.push(r);
                self.uses.push(0);
                self.vars.len() - 1
            }
        };
        self.uses[slot] += 1;
        Ok(TNode {
            kind: TKind::Var(slot),
            dt: self.sig[input].1,
        })
    }

    /// A binary operator: both operands cast to their common type, then the
    /// operator's own rules.
    fn binary(&self, op: BinOp, l: TNode, r: TNode, col: usize) -> Result<TNode, ExprError> {
        let sym = op.symbol();
        let t = l.dt.common(r.dt);
        let both = |s: &Self, l: TNode, r: TNode, t: DType| vec![s.cast(l, t), s.cast(r, t)];
        let (lt, rt) = (l.dt, r.dt);
        let kop = Op::operator(sym, 2).expect("the opcode table has every binary operator");
        match op {
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Mod => {
                if t == DType::Bool {
                    return Err(self.type_err(
                        col,
                        format!("operator `{sym}` is not defined for bool operands"),
                    ));
                }
                if op == BinOp::Mod && t == DType::C128 {
                    return Err(
                        self.type_err(col, "operator `%` is not defined for complex".into())
                    );
                }
                Ok(self.make(kop, both(self, l, r, t), t))
            }
            BinOp::Div => {
                if t == DType::Bool {
                    return Err(
                        self.type_err(col, "operator `/` is not defined for bool operands".into())
                    );
                }
                // True division, as numexpr on Python 3: integers divide as f64.
                let t = if t.is_int() { DType::F64 } else { t };
                Ok(self.make(kop, both(self, l, r, t), t))
            }
            BinOp::Pow => self.pow(l, r, col),
            BinOp::Shl | BinOp::Shr => {
                if !lt.is_int() || !rt.is_int() {
                    return Err(self.type_err(
                        col,
                        format!("operator `{sym}` needs integer operands, got {lt} and {rt}"),
                    ));
                }
                Ok(self.make(kop, both(self, l, r, t), t))
            }
            BinOp::And | BinOp::Or => {
                let ok = |d: DType| d == DType::Bool || d.is_int();
                if !ok(lt) || !ok(rt) {
                    return Err(self.type_err(
                        col,
                        format!(
                            "operator `{sym}` needs bool or integer operands, got {lt} and {rt}"
                        ),
                    ));
                }
                Ok(self.make(kop, both(self, l, r, t), t))
            }
            BinOp::Lt | BinOp::Le | BinOp::Eq | BinOp::Ne | BinOp::Ge | BinOp::Gt => {
                if t == DType::C128 && !matches!(kop, Op::Eq | Op::Ne) {
                    return Err(self.type_err(
                        col,
                        format!("ordering comparison `{sym}` is not defined for complex"),
                    ));
                }
                Ok(self.make(kop, both(self, l, r, t), DType::Bool))
            }
        }
    }
}
