//! The syntax tree the parser builds: literals, names with optional
//! stencil offsets, unary and binary operators, calls.

use crate::dtype::Scalar;

/// Binary operators of the language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinOp {
    Or,
    And,
    Lt,
    Le,
    Eq,
    Ne,
    Ge,
    Gt,
    Shl,
    Shr,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
}

impl BinOp {
    /// How the operator is written.
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            BinOp::Or => "|",
            BinOp::And => "&",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Ge => ">=",
            BinOp::Gt => ">",
            BinOp::Shl => "<<",
            BinOp::Shr => ">>",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Mod => "%",
            BinOp::Pow => "**",
        }
    }
}

/// Unary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UnOp {
    Neg,
    Plus,
    Invert,
}

/// A syntax tree node with the 1-based column where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Ast {
    pub col: usize,
    pub kind: AstKind,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum AstKind {
    Lit(Scalar),
    /// A variable, with stencil offsets when written `u[-1,0]`.
    Name(String, Option<Vec<i64>>),
    Unary(UnOp, Box<Ast>),
    Binary(BinOp, Box<Ast>, Box<Ast>),
    /// A call; `axis` is the `axis=N` keyword (reductions only).
    Call {
        func: String,
        args: Vec<Ast>,
        axis: Option<i64>,
    },
}

/// Names of the variables `ast` reads, in order of first use, with the
/// number of offsets written on them (0 for a plain name).
pub(crate) fn free_names(ast: &Ast, out: &mut Vec<(String, usize)>) {
    match &ast.kind {
        AstKind::Lit(_) => {}
        AstKind::Name(n, offs) => {
            let nd = offs.as_ref().map_or(0, |o| o.len());
            match out.iter_mut().find(|(m, _)| m == n) {
                Some(entry) => entry.1 = entry.1.max(nd),
                None => out.push((n.clone(), nd)),
            }
        }
        AstKind::Unary(_, a) => free_names(a, out),
        AstKind::Binary(_, l, r) => {
            free_names(l, out);
            free_names(r, out);
        }
        AstKind::Call { args, .. } => args.iter().for_each(|a| free_names(a, out)),
    }
}
