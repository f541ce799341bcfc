//! Syntax tree to typed tree: name resolution, numexpr's casting rules,
//! constant folding and the rewriting of integer powers into multiplications.

use crate::dtype::{DType, Scalar};
use crate::error::ExprError;
use crate::kernels::Op;
use crate::parse::{Ast, AstKind, BinOp, UnOp};
use crate::program::fold;

/// A node of the typed tree: every operand already has the type its
/// operation expects (casts are explicit nodes).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TNode {
    pub kind: TKind,
    pub dt: DType,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TKind {
    Const(Scalar),
    /// Index into [`Checked::vars`].
    Var(usize),
    Op(Op, Vec<TNode>),
}

/// One distinct variable reference: an input, possibly shifted by offsets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VarRef {
    /// Index of the input in the signature.
    pub input: usize,
    /// Stencil offsets as written (`u[-1,0]`), `None` for a plain `u`.
    pub offsets: Option<Vec<i64>>,
}

/// Reductions allowed as the outermost call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReduceKind {
    /// `sum(...)`.
    Sum,
    /// `product(...)`.
    Product,
}

/// A type-checked expression.
#[derive(Debug, Clone)]
pub(crate) struct Checked {
    pub root: TNode,
    pub vars: Vec<VarRef>,
    pub reduce: Option<(ReduceKind, Option<i64>)>,
}

/// Functions of one argument that map to one VM operation.
const MATH1: [(&str, Op); 18] = [
    ("sin", Op::Sin),
    ("cos", Op::Cos),
    ("tan", Op::Tan),
    ("arcsin", Op::Asin),
    ("arccos", Op::Acos),
    ("arctan", Op::Atan),
    ("sinh", Op::Sinh),
    ("cosh", Op::Cosh),
    ("tanh", Op::Tanh),
    ("arcsinh", Op::Asinh),
    ("arccosh", Op::Acosh),
    ("arctanh", Op::Atanh),
    ("log", Op::Log),
    ("log10", Op::Log10),
    ("log1p", Op::Log1p),
    ("exp", Op::Exp),
    ("expm1", Op::Expm1),
    ("sqrt", Op::Sqrt),
];

const OTHER_FUNCS: [&str; 9] = [
    "where", "abs", "conj", "real", "imag", "arctan2", "complex", "sum", "product",
];

pub(crate) struct Checker<'a> {
    pub text: &'a str,
    pub sig: &'a [(String, DType)],
    pub vars: Vec<VarRef>,
}

impl Checker<'_> {
    fn type_err(&self, col: usize, msg: String) -> ExprError {
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
                return Ok(Checked {
                    root,
                    vars: self.vars,
                    reduce: Some((kind, *axis)),
                });
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
        Ok(Checked {
            root,
            vars: self.vars,
            reduce: None,
        })
    }

    /// Casts `node` up to `to` (constants are converted at once).
    fn cast(&self, node: TNode, to: DType) -> TNode {
        if node.dt == to {
            return node;
        }
        self.make(Op::Cast, vec![node], to)
    }

    /// Builds an operation node, folding it when every argument is constant.
    fn make(&self, op: Op, args: Vec<TNode>, dt: DType) -> TNode {
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

    fn node(&mut self, ast: &Ast) -> Result<TNode, ExprError> {
        match &ast.kind {
            AstKind::Lit(v) => Ok(TNode {
                kind: TKind::Const(*v),
                dt: v.dtype(),
            }),
            AstKind::Name(name, offsets) => {
                let Some(input) = self.sig.iter().position(|(n, _)| n == name) else {
                    if MATH1.iter().any(|(f, _)| f == name) || OTHER_FUNCS.contains(&name.as_str())
                    {
                        return Err(self.type_err(
                            ast.col,
                            format!("`{name}` is a function: call it as `{name}(...)`"),
                        ));
                    }
                    return Err(ExprError::UnknownName {
                        expr: self.text.to_string(),
                        col: ast.col,
                        name: name.clone(),
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
                let slot = match self.vars.iter().position(|v| *v == r) {
                    Some(i) => i,
                    None => {
                        self.vars.push(r);
                        self.vars.len() - 1
                    }
                };
                Ok(TNode {
                    kind: TKind::Var(slot),
                    dt: self.sig[input].1,
                })
            }
            AstKind::Unary(op, arg) => {
                let x = self.node(arg)?;
                match op {
                    UnOp::Plus => Ok(x),
                    UnOp::Neg => {
                        if x.dt == DType::Bool {
                            return Err(self.type_err(
                                ast.col,
                                "unary `-` is not defined for bool (use `~` to negate)".into(),
                            ));
                        }
                        let dt = x.dt;
                        Ok(self.make(Op::Neg, vec![x], dt))
                    }
                    UnOp::Invert => {
                        if !(x.dt == DType::Bool || x.dt.is_int()) {
                            return Err(self.type_err(
                                ast.col,
                                format!("`~` needs a bool or integer operand, got {}", x.dt),
                            ));
                        }
                        let dt = x.dt;
                        Ok(self.make(Op::Not, vec![x], dt))
                    }
                }
            }
            AstKind::Binary(op, l, r) => {
                let (l, r) = (self.node(l)?, self.node(r)?);
                self.binary(*op, l, r, ast.col)
            }
            AstKind::Call { func, args, axis } => self.call(func, args, *axis, ast.col),
        }
    }

    fn binary(&self, op: BinOp, l: TNode, r: TNode, col: usize) -> Result<TNode, ExprError> {
        let sym = op.symbol();
        let t = l.dt.common(r.dt);
        let both = |s: &Self, l: TNode, r: TNode, t: DType| vec![s.cast(l, t), s.cast(r, t)];
        let (lt, rt) = (l.dt, r.dt);
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
                let kop = match op {
                    BinOp::Add => Op::Add,
                    BinOp::Sub => Op::Sub,
                    BinOp::Mul => Op::Mul,
                    _ => Op::Mod,
                };
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
                Ok(self.make(Op::Div, both(self, l, r, t), t))
            }
            BinOp::Pow => self.pow(l, r, col),
            BinOp::Shl | BinOp::Shr => {
                if !lt.is_int() || !rt.is_int() {
                    return Err(self.type_err(
                        col,
                        format!("operator `{sym}` needs integer operands, got {lt} and {rt}"),
                    ));
                }
                let kop = if op == BinOp::Shl { Op::Shl } else { Op::Shr };
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
                let kop = if op == BinOp::And {
                    Op::BitAnd
                } else {
                    Op::BitOr
                };
                Ok(self.make(kop, both(self, l, r, t), t))
            }
            BinOp::Lt | BinOp::Le | BinOp::Eq | BinOp::Ne | BinOp::Ge | BinOp::Gt => {
                let kop = match op {
                    BinOp::Lt => Op::Lt,
                    BinOp::Le => Op::Le,
                    BinOp::Eq => Op::Eq,
                    BinOp::Ne => Op::Ne,
                    BinOp::Ge => Op::Ge,
                    _ => Op::Gt,
                };
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

    /// `x ** n` with a small integral constant `n` becomes multiplications
    /// (and a reciprocal for negative `n`); `x ** 0.5` becomes `sqrt(x)`.
    fn pow(&self, l: TNode, r: TNode, col: usize) -> Result<TNode, ExprError> {
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

    fn call(
        &mut self,
        func: &str,
        args: &[Ast],
        axis: Option<i64>,
        col: usize,
    ) -> Result<TNode, ExprError> {
        if func == "sum" || func == "product" {
            return Err(self.type_err(
                col,
                format!("`{func}` is only allowed as the outermost call of the expression"),
            ));
        }
        if axis.is_some() {
            return Err(self.type_err(col, format!("`{func}` takes no `axis=` argument")));
        }
        let math1 = MATH1.iter().find(|(f, _)| *f == func).map(|(_, op)| *op);
        let arity = match func {
            "where" => 3,
            "arctan2" | "complex" => 2,
            "abs" | "conj" | "real" | "imag" => 1,
            _ if math1.is_some() => 1,
            _ => {
                return Err(self.type_err(
                    col,
                    format!(
                        "unknown function `{func}` (known: {}, {})",
                        MATH1.iter().map(|(f, _)| *f).collect::<Vec<_>>().join(", "),
                        OTHER_FUNCS.join(", ")
                    ),
                ))
            }
        };
        if args.len() != arity {
            return Err(self.type_err(
                col,
                format!("`{func}` takes {arity} argument(s), got {}", args.len()),
            ));
        }
        let mut xs = Vec::with_capacity(arity);
        for a in args {
            xs.push(self.node(a)?);
        }
        let x = xs.remove(0);
        let dt = x.dt;
        if let Some(op) = math1 {
            let t = match dt {
                DType::Bool => {
                    return Err(self.type_err(col, format!("`{func}` is not defined for bool")))
                }
                DType::I32 | DType::I64 => DType::F64,
                d => d,
            };
            let x = self.cast(x, t);
            return Ok(self.make(op, vec![x], t));
        }
        match func {
            "where" => {
                if dt != DType::Bool {
                    return Err(self.type_err(
                        col,
                        format!("`where` needs a bool condition, got {dt} (compare it: `x != 0`)"),
                    ));
                }
                let (a, b) = (xs.remove(0), xs.remove(0));
                let t = a.dt.common(b.dt);
                let (a, b) = (self.cast(a, t), self.cast(b, t));
                Ok(self.make(Op::Where, vec![x, a, b], t))
            }
            "abs" => match dt {
                DType::Bool => Err(self.type_err(col, "`abs` is not defined for bool".into())),
                DType::C128 => Ok(self.make(Op::Abs, vec![x], DType::F64)),
                d => Ok(self.make(Op::Abs, vec![x], d)),
            },
            "conj" => match dt {
                DType::Bool => Err(self.type_err(col, "`conj` is not defined for bool".into())),
                d => Ok(self.make(Op::Conj, vec![x], d)),
            },
            "real" | "imag" => {
                if dt != DType::C128 {
                    return Err(
                        self.type_err(col, format!("`{func}` needs a complex argument, got {dt}"))
                    );
                }
                let op = if func == "real" { Op::Real } else { Op::Imag };
                Ok(self.make(op, vec![x], DType::F64))
            }
            "arctan2" => {
                let y = xs.remove(0);
                let t = dt.common(y.dt);
                let t = match t {
                    DType::Bool | DType::C128 => {
                        return Err(self.type_err(
                            col,
                            format!("`arctan2` needs real operands, got {dt} and {}", y.dt),
                        ))
                    }
                    DType::I32 | DType::I64 => DType::F64,
                    t => t,
                };
                let (x, y) = (self.cast(x, t), self.cast(y, t));
                Ok(self.make(Op::Atan2, vec![x, y], t))
            }
            "complex" => {
                let y = xs.remove(0);
                for d in [dt, y.dt] {
                    if matches!(d, DType::Bool | DType::C128) {
                        return Err(self.type_err(
                            col,
                            format!("`complex` needs real operands, got {dt} and {}", y.dt),
                        ));
                    }
                }
                let (x, y) = (self.cast(x, DType::F64), self.cast(y, DType::F64));
                Ok(self.make(Op::Complex, vec![x, y], DType::C128))
            }
            _ => unreachable!("arity table covers every function"),
        }
    }
}
