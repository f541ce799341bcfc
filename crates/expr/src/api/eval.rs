//! The three kinds of evaluation once the inputs are bound: elementwise
//! into an output, a reduction over everything, a reduction along one axis.

use crate::api::{Bound, Expr};
use crate::array::Raw;
use crate::compile::typed::ReduceKind;
use crate::compile::{fold, lower, Target};
use crate::error::ExprError;
use crate::exec::elementwise::run_elementwise;
use crate::exec::reduce::{run_reduce_all, run_reduce_rows};
use crate::exec::space::{Operand, Space, VarOp};
use crate::vm::ops::Op;

impl Expr {
    /// Elementwise into `o`, cast on the way out when `o` is of a higher
    /// kind; with offsets, only `o`'s interior is written.
    pub(super) fn eval_elementwise(&self, b: &Bound, o: Raw) -> Result<(), ExprError> {
        let rdt = self.prog.result_dt;
        if !rdt.casts_safely_to(o.dt) {
            return Err(ExprError::Output(format!(
                "the result is {rdt} but `out` holds {}; only upward casts bool < i32 < i64 < f32 < f64 < complex are allowed",
                o.dt
            )));
        }
        if o.shape.len() > 3 {
            return Err(ExprError::Output(format!(
                "`out` has {} dimensions; arrays of 1 to 3 dimensions are supported",
                o.shape.len()
            )));
        }
        let stretched;
        let b = if o.shape == b.full {
            b
        } else {
            // The inputs broadcast to `out`'s shape (numpy's and numexpr's
            // `out=`); with offsets the shapes must be equal.
            let fits = if self.has_offsets() {
                None
            } else {
                b.stretched_to(&o.shape)
            };
            let Some(s) = fits else {
                return Err(ExprError::Output(format!(
                    "`out` has shape {:?} but the inputs have shape {:?}",
                    o.shape, b.full
                )));
            };
            stretched = s;
            &stretched
        };
        let (shape, lo) = (b.interior.clone(), b.lo.clone());
        let es = o.dt.size() as isize;
        let off: isize = lo
            .iter()
            .zip(&o.strides)
            .map(|(&l, &s)| l as isize * s)
            .sum();
        let out = Operand {
            // SAFETY: lo is inside the output, whose shape is the inputs'.
            ptr: unsafe { o.ptr.offset(off * es) },
            strides: o.strides.clone(),
            esize: o.dt.size(),
        };
        let cast;
        let prog = if o.dt == rdt {
            &self.prog
        } else {
            cast = lower(
                &self.checked.root,
                self.checked.nvars(),
                Target::OutAs(o.dt),
            );
            &cast
        };
        let mut sp = space(shape, b.vars.clone(), Some(out));
        sp.coalesce();
        run_elementwise(prog, &sp);
        Ok(())
    }

    /// A reduction over everything into the one element of `o`.
    pub(super) fn eval_reduce_all(
        &self,
        b: &Bound,
        o: Raw,
        kind: ReduceKind,
    ) -> Result<(), ExprError> {
        let acc = self.prog.result_dt;
        if !acc.casts_safely_to(o.dt) {
            return Err(ExprError::Output(format!(
                "the reduction gives {acc} but `out` holds {}",
                o.dt
            )));
        }
        if o.shape.iter().product::<usize>() != 1 {
            return Err(ExprError::Output(format!(
                "a reduction over everything gives one value, but `out` has shape {:?}",
                o.shape
            )));
        }
        nonempty(kind, b.interior.iter().product(), "the inputs are empty")?;
        let mut sp = space(b.interior.clone(), b.vars.clone(), None);
        sp.coalesce();
        let v = run_reduce_all(&self.prog, &sp, kind);
        let v = if o.dt == acc {
            v
        } else {
            fold(Op::Cast, o.dt, &[(v, acc)])
        };
        let mut bytes = [0u64; 2];
        v.store(&mut bytes);
        // SAFETY: `out` holds exactly one element of type o.dt.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr() as *const u8, o.ptr, o.dt.size()) };
        Ok(())
    }

    /// A reduction along `axis` into `o`, which has the interior's shape
    /// without that axis.
    pub(super) fn eval_reduce_axis(
        &self,
        b: &Bound,
        o: Raw,
        kind: ReduceKind,
        axis: i64,
    ) -> Result<(), ExprError> {
        let nd = b.interior.len();
        let ax = norm_axis(axis, nd)?;
        let acc = self.prog.result_dt;
        if o.dt != acc {
            return Err(ExprError::Output(format!(
                "the reduction gives {acc} but `out` holds {}",
                o.dt
            )));
        }
        let mut reduced = b.interior.clone();
        reduced.remove(ax);
        if o.shape != reduced {
            return Err(ExprError::Output(format!(
                "reducing axis {ax} gives shape {reduced:?} but `out` has shape {:?}",
                o.shape
            )));
        }
        nonempty(kind, b.interior[ax], &format!("axis {ax} is empty"))?;
        let sp = axis_last_space(b, ax, &o);
        run_reduce_rows(&self.prog, &sp, kind);
        Ok(())
    }
}

/// Refuses `min` and `max` of `len` = 0 elements, as numpy does (they have
/// no identity); `why` says what is empty.
pub(super) fn nonempty(kind: ReduceKind, len: usize, why: &str) -> Result<(), ExprError> {
    if len == 0 && matches!(kind, ReduceKind::Min | ReduceKind::Max) {
        return Err(ExprError::Shape(format!(
            "`{}` of no elements: {why}, and `{0}` has no identity",
            kind.name()
        )));
    }
    Ok(())
}

/// The space of a reduction along `ax` into `o`: the interior with the
/// reduced axis moved last, so that each output element is one row.
pub(super) fn axis_last_space(b: &Bound, ax: usize, o: &Raw) -> Space {
    let mut shape = b.interior.clone();
    let len = shape.remove(ax);
    shape.push(len);
    let vars = b
        .vars
        .iter()
        .map(|v| {
            let mut v = v.clone();
            for op in v.operands_mut() {
                let s = op.strides.remove(ax);
                op.strides.push(s);
            }
            v
        })
        .collect();
    let out = Operand {
        ptr: o.ptr,
        strides: o.strides.clone(),
        esize: o.dt.size(),
    };
    space(shape, vars, Some(out))
}

/// A space over `shape`; a 0-d space becomes one element.
pub(super) fn space(
    mut shape: Vec<usize>,
    mut vars: Vec<VarOp>,
    mut out: Option<Operand>,
) -> Space {
    if shape.is_empty() {
        shape.push(1);
        for v in &mut vars {
            for op in v.operands_mut() {
                op.strides = vec![0];
            }
        }
        if let Some(o) = &mut out {
            o.strides = vec![0];
        }
    }
    Space { shape, vars, out }
}

/// Axis `axis` of `nd` (negative counts from the end), checked.
pub(super) fn norm_axis(axis: i64, nd: usize) -> Result<usize, ExprError> {
    let a = if axis < 0 { axis + nd as i64 } else { axis };
    if a < 0 || a >= nd as i64 {
        return Err(ExprError::Shape(format!(
            "axis={axis} is out of range for {nd}-D inputs"
        )));
    }
    Ok(a as usize)
}
