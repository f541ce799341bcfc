//! The typed tree the checker builds: every node has its type, and every
//! operand already has the type its operation expects (casts are explicit
//! nodes).

use std::fmt;

use crate::dtype::{DType, Scalar};
use crate::vm::ops::Op;

/// A node of the typed tree: every operand already has the type its
/// operation expects (casts are explicit nodes).
///
/// A long operator chain is a tree as deep as the chain is long, so
/// dropping, cloning and printing a tree (below), checking it
/// (`check.rs`) and lowering it (`lower.rs`) are loops over an explicit
/// stack, never recursions.
pub(crate) struct TNode {
    pub kind: TKind,
    pub dt: DType,
}

/// What a typed node is.
pub(crate) enum TKind {
    Const(Scalar),
    /// Index into [`Checked::vars`].
    Var(usize),
    Op(Op, Vec<TNode>),
}

impl TNode {
    /// Whether `self` and `other` are the same leaf (constant or
    /// variable) of the same type; operations are never the same.
    pub(crate) fn same_leaf(&self, other: &TNode) -> bool {
        self.dt == other.dt
            && match (&self.kind, &other.kind) {
                (TKind::Const(a), TKind::Const(b)) => a == b,
                (TKind::Var(a), TKind::Var(b)) => a == b,
                _ => false,
            }
    }
}

impl TNode {
    /// The number of nodes in the tree if it is at most `limit` (counted
    /// from an explicit stack, and only as far as `limit`).
    pub(crate) fn size_within(&self, limit: usize) -> Option<usize> {
        let mut n = 0;
        let mut stack = vec![self];
        while let Some(node) = stack.pop() {
            n += 1;
            if n > limit {
                return None;
            }
            if let TKind::Op(_, args) = &node.kind {
                stack.extend(args);
            }
        }
        Some(n)
    }
}

impl Drop for TNode {
    /// Drops the operands one node at a time (the derived drop would
    /// recurse once per level).
    fn drop(&mut self) {
        let TKind::Op(_, args) = &mut self.kind else {
            return;
        };
        let mut orphans = std::mem::take(args);
        while let Some(mut node) = orphans.pop() {
            if let TKind::Op(_, args) = &mut node.kind {
                orphans.append(args);
            }
        }
    }
}

impl Clone for TNode {
    /// A copy built bottom-up from an explicit stack.
    fn clone(&self) -> TNode {
        /// A node to copy the operands of, or to build from its copied
        /// operands.
        enum Step<'a> {
            Enter(&'a TNode),
            Build(&'a TNode),
        }
        let mut steps = vec![Step::Enter(self)];
        let mut built: Vec<TNode> = Vec::new();
        while let Some(step) = steps.pop() {
            match step {
                Step::Enter(n) => match &n.kind {
                    TKind::Op(_, args) => {
                        steps.push(Step::Build(n));
                        steps.extend(args.iter().rev().map(Step::Enter));
                    }
                    TKind::Const(v) => built.push(TNode {
                        kind: TKind::Const(*v),
                        dt: n.dt,
                    }),
                    TKind::Var(i) => built.push(TNode {
                        kind: TKind::Var(*i),
                        dt: n.dt,
                    }),
                },
                Step::Build(n) => {
                    let TKind::Op(op, args) = &n.kind else {
                        unreachable!("only operations are built")
                    };
                    let operands = built.split_off(built.len() - args.len());
                    built.push(TNode {
                        kind: TKind::Op(*op, operands),
                        dt: n.dt,
                    });
                }
            }
        }
        built.pop().expect("the root is built last")
    }
}

impl fmt::Debug for TNode {
    /// The tree in prefix form, `Mul:f64(Var:f64(0), Const:f64(2))`,
    /// written from an explicit stack.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        /// A node to write, or text to write after its operands.
        enum Item<'a> {
            Node(&'a TNode),
            Text(&'static str),
        }
        let mut items = vec![Item::Node(self)];
        while let Some(item) = items.pop() {
            let n = match item {
                Item::Text(t) => {
                    f.write_str(t)?;
                    continue;
                }
                Item::Node(n) => n,
            };
            match &n.kind {
                TKind::Const(v) => write!(f, "Const:{}({v})", n.dt)?,
                TKind::Var(i) => write!(f, "Var:{}({i})", n.dt)?,
                TKind::Op(op, args) => {
                    write!(f, "{op:?}:{}(", n.dt)?;
                    items.push(Item::Text(")"));
                    for (k, a) in args.iter().enumerate().rev() {
                        items.push(Item::Node(a));
                        if k > 0 {
                            items.push(Item::Text(", "));
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// One distinct variable reference: an input, possibly shifted by offsets.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
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
    /// `prod(...)`, also spelled `product(...)`.
    Product,
    /// `min(...)`: NaN if any element is NaN, as numpy's.
    Min,
    /// `max(...)`: NaN if any element is NaN, as numpy's.
    Max,
}

impl ReduceKind {
    /// The reduction a function name calls for, if it is one.
    pub(crate) fn named(name: &str) -> Option<ReduceKind> {
        Some(match name {
            "sum" => ReduceKind::Sum,
            "prod" | "product" => ReduceKind::Product,
            "min" => ReduceKind::Min,
            "max" => ReduceKind::Max,
            _ => return None,
        })
    }

    /// How the language writes it.
    pub fn name(self) -> &'static str {
        match self {
            ReduceKind::Sum => "sum",
            ReduceKind::Product => "prod",
            ReduceKind::Min => "min",
            ReduceKind::Max => "max",
        }
    }
}

/// What a test of byte strings asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum BytesOp {
    Lt,
    Le,
    Eq,
    Ne,
    Ge,
    Gt,
    /// `contains(haystack, needle)`.
    Contains,
}

/// An operand of a test of byte strings.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum BytesSide {
    /// The input at this index of the signature.
    Input(usize),
    /// A literal (`b'abc'`, or `'abc'` in ASCII).
    Lit(Vec<u8>),
}

/// A comparison or search of byte strings (`s == b'x'`,
/// `contains(s, t)`): a `bool` variable of the program, computed as a
/// block's variables are read (the virtual machine computes numbers only).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct BytesTest {
    pub op: BytesOp,
    pub a: BytesSide,
    pub b: BytesSide,
}

/// A type-checked expression. The program's variables are `vars` (slots
/// `0..vars.len()`), then `tests` (the slots after them).
#[derive(Debug, Clone)]
pub(crate) struct Checked {
    pub root: TNode,
    pub vars: Vec<VarRef>,
    pub tests: Vec<BytesTest>,
    pub reduce: Option<(ReduceKind, Option<i64>)>,
}

impl Checked {
    /// The number of variable slots of the program.
    pub(crate) fn nvars(&self) -> usize {
        self.vars.len() + self.tests.len()
    }
}
