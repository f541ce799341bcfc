//! The syntax tree the parser builds: literals (numbers and byte strings), names with optional
//! stencil offsets, unary and binary operators, calls.

use std::collections::HashMap;

use crate::compile::pyconst::PyConst;

/// Binary operators of the language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinOp {
    Or,
    Xor,
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
    FloorDiv,
    Mod,
    Pow,
}

impl BinOp {
    /// How the operator is written.
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            BinOp::Or => "|",
            BinOp::Xor => "^",
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
            BinOp::FloorDiv => "//",
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
///
/// Left-associative operator chains make trees as deep as they are long
/// (`a+b+...+b` with 100,000 terms is 100,000 levels), so no pass over a
/// tree recurses: dropping ([`Drop`] below), [`free_names`] and the
/// checker (`check.rs`) are loops over an explicit stack.
pub(crate) struct Ast {
    pub col: usize,
    pub kind: AstKind,
}

pub(crate) enum AstKind {
    /// A literal, with Python's value (typed where it meets an array).
    Lit(PyConst),
    /// A string literal's bytes.
    Bytes(Vec<u8>),
    /// A variable, with stencil offsets when written `u[-1,0]`.
    Name(String, Option<Vec<i64>>),
    Unary(UnOp, Box<Ast>),
    Binary(BinOp, Box<Ast>, Box<Ast>),
    /// A call; `axis` is the `axis=` keyword (reductions only), or the
    /// second argument of a reduction when it is an integer or `None`.
    Call {
        func: String,
        args: Vec<Ast>,
        axis: Option<Axis>,
    },
}

/// The axis argument of a reduction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Axis {
    /// `axis=None`: over everything, as without an axis.
    All,
    /// `axis=k` (negative counts from the end).
    Index(i64),
}

impl Axis {
    /// The axis reduced along, `None` for a reduction over everything.
    pub(crate) fn index(axis: Option<Axis>) -> Option<i64> {
        match axis {
            Some(Axis::Index(k)) => Some(k),
            Some(Axis::All) | None => None,
        }
    }
}

impl std::fmt::Display for Axis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Axis::All => write!(f, "None"),
            Axis::Index(k) => write!(f, "{k}"),
        }
    }
}

impl Ast {
    /// This node's operands, in the order they are written.
    pub(crate) fn operands(&self) -> impl DoubleEndedIterator<Item = &Ast> {
        let (boxed, list): ([Option<&Ast>; 2], &[Ast]) = match &self.kind {
            AstKind::Lit(_) | AstKind::Bytes(_) | AstKind::Name(..) => ([None, None], &[]),
            AstKind::Unary(_, a) => ([Some(a), None], &[]),
            AstKind::Binary(_, l, r) => ([Some(l), Some(r)], &[]),
            AstKind::Call { args, .. } => ([None, None], args),
        };
        boxed.into_iter().flatten().chain(list)
    }
}

impl Drop for Ast {
    /// Drops the subtrees one node at a time: the derived drop would
    /// recurse once per level of a long chain.
    fn drop(&mut self) {
        let mut orphans: Vec<Ast> = Vec::new();
        take_children(&mut self.kind, &mut orphans);
        while let Some(mut node) = orphans.pop() {
            take_children(&mut node.kind, &mut orphans);
        }
    }
}

/// Moves the operands of `kind` to `out`, leaving leaves in their place.
fn take_children(kind: &mut AstKind, out: &mut Vec<Ast>) {
    let mut take = |b: &mut Box<Ast>| {
        if !matches!(
            b.kind,
            AstKind::Lit(_) | AstKind::Bytes(_) | AstKind::Name(..)
        ) {
            out.push(std::mem::replace(&mut **b, Ast::placeholder()));
        }
    };
    match kind {
        AstKind::Lit(_) | AstKind::Bytes(_) | AstKind::Name(..) => {}
        AstKind::Unary(_, a) => take(a),
        AstKind::Binary(_, l, r) => {
            take(l);
            take(r);
        }
        AstKind::Call { args, .. } => out.append(args),
    }
}

impl Ast {
    /// A leaf that holds nothing, put where a subtree was moved out.
    fn placeholder() -> Ast {
        Ast {
            col: 0,
            kind: AstKind::Lit(PyConst::Bool(false)),
        }
    }
}

impl std::fmt::Debug for Ast {
    /// The node's column and kind, without its subtrees (printing those
    /// would recurse once per level).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match &self.kind {
            AstKind::Lit(v) => format!("Lit({v})"),
            AstKind::Bytes(b) => format!("Bytes(b'{}')", b.escape_ascii()),
            AstKind::Name(n, o) => format!("Name({n}, {o:?})"),
            AstKind::Unary(op, _) => format!("Unary({op:?}, ..)"),
            AstKind::Binary(op, ..) => format!("Binary({op:?}, ..)"),
            AstKind::Call { func, args, axis } => {
                format!("Call({func}, {} args, axis {axis:?})", args.len())
            }
        };
        write!(f, "Ast {{ col: {}, kind: {kind} }}", self.col)
    }
}

/// Names of the variables `ast` reads, in order of first use, with the
/// number of offsets written on them (0 for a plain name).
pub(crate) fn free_names(ast: &Ast) -> Vec<(String, usize)> {
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut found: Vec<(&str, usize)> = Vec::new();
    let mut stack = vec![ast];
    while let Some(node) = stack.pop() {
        if let AstKind::Name(n, offs) = &node.kind {
            let nd = offs.as_ref().map_or(0, |o| o.len());
            match index.get(n.as_str()) {
                Some(&i) => found[i].1 = found[i].1.max(nd),
                None => {
                    index.insert(n, found.len());
                    found.push((n, nd));
                }
            }
        }
        // Last operand first, so that they are visited as written.
        stack.extend(node.operands().rev());
    }
    found
        .into_iter()
        .map(|(n, nd)| (n.to_string(), nd))
        .collect()
}
