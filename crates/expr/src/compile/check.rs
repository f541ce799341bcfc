//! Syntax tree to typed tree: the walk over the tree, name resolution,
//! numexpr's casting rules for operators, and constant folding as each
//! node is built. Python constants (`constants.rs`), powers (`power.rs`)
//! and function calls (`functions.rs`) have files of their own.

use std::cell::Cell;
use std::collections::{HashMap, HashSet};

use crate::compile::ast::{Ast, AstKind, Axis, BinOp, UnOp};
use crate::compile::constants::Val;
use crate::compile::fold::fold;
use crate::compile::functions::is_function;
use crate::compile::functions::CONTAINS;
use crate::compile::options::Optimization;
use crate::compile::typed::{BytesSide, BytesTest, Checked, ReduceKind, TKind, TNode, VarRef};
use crate::dtype::{DType, InputType, Scalar};
use crate::error::ExprError;
use crate::vm::ops::Op;

/// A variable of the program being checked: an input (with its offsets)
/// or a test of byte strings.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(super) enum Slot {
    Input(VarRef),
    Test(BytesTest),
}

/// The checker's state: the text (for errors), the signature, and the
/// variables found so far.
pub(crate) struct Checker<'a> {
    pub(super) text: &'a str,
    pub(super) sig: &'a [(String, InputType)],
    /// Where each input is in the signature, by name.
    pub(super) inputs: HashMap<&'a str, usize>,
    vars: Vec<Slot>,
    /// Where each variable is in `vars`.
    pub(super) var_index: HashMap<Slot, usize>,
    /// How often each variable is read by what is kept of the expression
    /// (the branch a constant `where` drops is not).
    pub(super) uses: Vec<usize>,
    /// The subtrees whose values were dropped (by address; the tree
    /// outlives the checker), so that their variables are uncounted once.
    pub(super) dropped: HashSet<*const Ast>,
    /// Nodes copied so far by the rewriting of powers (see `power.rs`).
    pub(super) copied: Cell<usize>,
    /// Which powers are rewritten (see `power.rs`).
    pub(super) optimization: Optimization,
}

impl<'a> Checker<'a> {
    /// A checker of `text` for inputs named and typed by `sig`, rewriting
    /// powers as `optimization` asks.
    pub fn new(
        text: &'a str,
        sig: &'a [(String, InputType)],
        optimization: Optimization,
    ) -> Checker<'a> {
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
            dropped: HashSet::new(),
            copied: Cell::new(0),
            optimization,
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
            if let Some(kind) = ReduceKind::named(func) {
                if args.len() != 1 {
                    return Err(self.type_err(
                        ast.col,
                        format!(
                            "`{func}` takes one expression and an axis (an integer or None), got {} arguments",
                            args.len()
                        ),
                    ));
                }
                let arg = self.node(&args[0])?;
                let acc = match (kind, arg.dt) {
                    // numexpr has no min or max of these (and numpy orders
                    // complex numbers lexicographically).
                    (ReduceKind::Min | ReduceKind::Max, DType::Bool | DType::C128) => {
                        return Err(self
                            .type_err(ast.col, format!("`{func}` is not defined for {}", arg.dt)))
                    }
                    (ReduceKind::Min | ReduceKind::Max, dt) => dt,
                    // numpy's accumulator (numexpr's is the operand type,
                    // and it has no sum of bool).
                    (_, DType::Bool | DType::I32 | DType::I64) => DType::I64,
                    (_, dt) => dt,
                };
                let root = self.cast(arg, acc);
                return Ok(self.finish(root, Some((kind, Axis::index(*axis)))));
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
        let root = self.value(ast)?;
        if let Val::Bytes { col, .. } = root {
            return Err(self.type_err(
                col,
                "the result would be byte strings: expressions give numbers (compare strings, or search them with `contains`)".into(),
            ));
        }
        let root = self.typed(root)?;
        Ok(self.finish(root, None))
    }

    /// The checked expression, without the variables that only a branch a
    /// constant `where` dropped reads (numexpr does not see them: they
    /// neither shape the result nor need an input), its inputs' variables
    /// numbered before its tests'.
    fn finish(self, mut root: TNode, reduce: Option<(ReduceKind, Option<i64>)>) -> Checked {
        let mut renumber = vec![usize::MAX; self.vars.len()];
        let mut vars = Vec::new();
        let mut tests = Vec::new();
        let mut test_slots = Vec::new();
        for (i, v) in self.vars.into_iter().enumerate() {
            match v {
                _ if self.uses[i] == 0 => {}
                Slot::Input(r) => {
                    renumber[i] = vars.len();
                    vars.push(r);
                }
                Slot::Test(t) => {
                    test_slots.push(i);
                    tests.push(t);
                }
            }
        }
        for (k, &i) in test_slots.iter().enumerate() {
            renumber[i] = vars.len() + k;
        }
        if renumber.iter().enumerate().any(|(i, &j)| i != j) {
            let mut stack = vec![&mut root];
            while let Some(n) = stack.pop() {
                match &mut n.kind {
                    TKind::Var(i) => *i = renumber[*i],
                    TKind::Const(_) => {}
                    TKind::Op(_, args) => stack.extend(args.iter_mut()),
                }
            }
        }
        Checked {
            root,
            vars,
            tests,
            reduce,
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
                    AstKind::Bytes(b) => done.push(Val::Bytes {
                        side: BytesSide::Lit(b.clone()),
                        col: ast.col,
                    }),
                    AstKind::Name(name, offsets) => done.push(self.name(name, offsets, ast.col)?),
                    AstKind::Call { func, args, axis } => {
                        if func == CONTAINS {
                            self.contains_head(args.len(), axis.is_some(), ast.col)?;
                        } else {
                            self.call_head(func, args.len(), *axis, ast.col)?;
                        }
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
                        AstKind::Lit(_) | AstKind::Bytes(_) | AstKind::Name(..) => {
                            unreachable!("leaves are finished when entered")
                        }
                    };
                    done.push(v);
                }
            }
        }
        Ok(done.pop().expect("the root was checked"))
    }

    /// A unary operator on its checked operand.
    pub(super) fn unary(&self, op: UnOp, x: TNode, col: usize) -> Result<TNode, ExprError> {
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

    /// A variable reference: an input of the signature, with its offsets
    /// (byte strings, which have none, are operands of tests).
    fn name(
        &mut self,
        name: &str,
        offsets: &Option<Vec<i64>>,
        col: usize,
    ) -> Result<Val, ExprError> {
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
        let dt = match self.sig[input].1 {
            InputType::Number(dt) => dt,
            InputType::Bytes if offsets.is_some() => {
                return Err(self.type_err(
                    col,
                    format!("`{name}` holds byte strings, which take no stencil offsets"),
                ))
            }
            InputType::Bytes => {
                return Ok(Val::Bytes {
                    side: BytesSide::Input(input),
                    col,
                })
            }
        };
        let slot = self.slot(Slot::Input(VarRef {
            input,
            offsets: offsets.clone(),
        }));
        Ok(Val::Node(TNode {
            kind: TKind::Var(slot),
            dt,
        }))
    }

    /// The variable slot of `s`, a new one the first time; counts a use.
    pub(super) fn slot(&mut self, s: Slot) -> usize {
        let slot = match self.var_index.get(&s) {
            Some(&i) => i,
            None => {
                self.var_index.insert(s.clone(), self.vars.len());
                self.vars.push(s);
                self.uses.push(0);
                self.vars.len() - 1
            }
        };
        self.uses[slot] += 1;
        slot
    }

    /// A binary operator: both operands cast to their common type, then the
    /// operator's own rules.
    pub(super) fn binary(
        &self,
        op: BinOp,
        l: TNode,
        r: TNode,
        col: usize,
    ) -> Result<TNode, ExprError> {
        let sym = op.symbol();
        let t = l.dt.common(r.dt);
        let both = |s: &Self, l: TNode, r: TNode, t: DType| vec![s.cast(l, t), s.cast(r, t)];
        let (lt, rt) = (l.dt, r.dt);
        let kop = Op::operator(sym, 2).expect("the opcode table has every binary operator");
        match op {
            BinOp::Add | BinOp::Mul if t == DType::Bool => {
                // numexpr's (and numpy's) reading of bool arithmetic.
                let logical = if op == BinOp::Add {
                    Op::BitOr
                } else {
                    Op::BitAnd
                };
                Ok(self.make(logical, both(self, l, r, t), t))
            }
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Mod | BinOp::FloorDiv => {
                if t == DType::Bool {
                    return Err(self.type_err(
                        col,
                        format!("operator `{sym}` is not defined for bool operands"),
                    ));
                }
                if matches!(op, BinOp::Mod | BinOp::FloorDiv) && t == DType::C128 {
                    return Err(
                        self.type_err(col, format!("operator `{sym}` is not defined for complex"))
                    );
                }
                Ok(self.make(kop, both(self, l, r, t), t))
            }
            BinOp::Div => {
                // True division, as numexpr on Python 3: bools and integers
                // divide as f64.
                let t = if t == DType::Bool || t.is_int() {
                    DType::F64
                } else {
                    t
                };
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
            BinOp::And | BinOp::Or | BinOp::Xor => {
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
