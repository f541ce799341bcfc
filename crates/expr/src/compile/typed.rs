//! The typed tree the checker builds: every node has its type, and every
//! operand already has the type its operation expects (casts are explicit
//! nodes).

use crate::dtype::{DType, Scalar};
use crate::vm::ops::Op;

/// A node of the typed tree: every operand already has the type its
/// operation expects (casts are explicit nodes).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TNode {
    pub kind: TKind,
    pub dt: DType,
}

/// What a typed node is.
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
