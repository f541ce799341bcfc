//! The iteration space of one evaluation: its shape, and every variable and
//! the output as a strided operand over it.

use crate::array::Narrow;
use crate::exec::bytes::TestOp;
use crate::exec::geometry::Geometry;

/// A strided operand over the iteration space.
#[derive(Debug, Clone)]
pub(crate) struct Operand {
    /// Address of the element at index (0, 0, ...).
    pub ptr: *mut u8,
    /// Strides in elements, one per axis of the iteration space.
    pub strides: Vec<isize>,
    /// Element size in bytes.
    pub esize: usize,
}

/// A variable of the program: a broadcast scalar, an array operand read as
/// it is, one of a narrower type widened as it is read, or a test of byte
/// strings computed as it is read.
#[derive(Debug, Clone)]
pub(crate) enum VarOp {
    Scalar(*const u8),
    Array(Operand),
    Widened(Operand, Narrow),
    Test(TestOp),
}

impl VarOp {
    /// The strided operands the variable reads.
    pub fn operands(&self) -> Vec<&Operand> {
        match self {
            VarOp::Scalar(_) => vec![],
            VarOp::Array(o) | VarOp::Widened(o, _) => vec![o],
            VarOp::Test(t) => vec![&t.a.at, &t.b.at],
        }
    }

    /// The strided operands the variable reads, to be changed.
    pub fn operands_mut(&mut self) -> Vec<&mut Operand> {
        match self {
            VarOp::Scalar(_) => vec![],
            VarOp::Array(o) | VarOp::Widened(o, _) => vec![o],
            VarOp::Test(t) => vec![&mut t.a.at, &mut t.b.at],
        }
    }
}

/// Everything one evaluation works on. Raw pointers: the caller (the public
/// API) holds the borrows of the arrays for the whole evaluation.
pub(crate) struct Space {
    pub shape: Vec<usize>,
    pub vars: Vec<VarOp>,
    pub out: Option<Operand>,
}

// SAFETY: the pointers refer to arrays borrowed by the caller for the whole
// evaluation; blocks write disjoint parts of the output.
unsafe impl Sync for Space {}
// SAFETY: as for `Sync`.
unsafe impl Send for Space {}
// SAFETY: as for Space.
unsafe impl Sync for Operand {}
// SAFETY: as for Space.
unsafe impl Send for Operand {}

impl Space {
    /// Merges axes that are contiguous with each other in every operand and
    /// drops axes of length 1, so that contiguous arrays become one row.
    pub fn coalesce(&mut self) {
        let mut ops: Vec<&mut Vec<isize>> = Vec::new();
        for v in &mut self.vars {
            ops.extend(v.operands_mut().into_iter().map(|o| &mut o.strides));
        }
        if let Some(o) = &mut self.out {
            ops.push(&mut o.strides);
        }
        let shape = &mut self.shape;
        let mut ax = 0;
        while ax < shape.len() {
            if shape[ax] == 1 && shape.len() > 1 {
                shape.remove(ax);
                for s in ops.iter_mut() {
                    s.remove(ax);
                }
            } else {
                ax += 1;
            }
        }
        let mut ax = shape.len();
        while ax > 1 {
            let (i, j) = (ax - 2, ax - 1);
            let inner = shape[j] as isize;
            if ops.iter().all(|s| s[i] == s[j] * inner) {
                // The merged axis steps like the inner one.
                shape[j] *= shape[i];
                shape.remove(i);
                for s in ops.iter_mut() {
                    s.remove(i);
                }
            }
            ax -= 1;
        }
    }

    /// The output and the blocks of an elementwise evaluation, or `None`
    /// when the space is empty.
    pub fn elementwise(&self) -> Option<(&Operand, Geometry)> {
        let out = self
            .out
            .as_ref()
            .expect("elementwise evaluation has an output");
        let geo = Geometry::new(&self.shape, false);
        (geo.total > 0).then_some((out, geo))
    }
}
