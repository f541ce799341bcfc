//! A reduction over everything, or along axis 0, run a range of its blocks
//! at a time ([`Stepwise`]), for inputs too big to be in memory at once:
//! each run reads only some rows of axis 0 (which [`Stepwise::rows`] names),
//! so that a caller can map or read those rows, run, and let go of them.
//!
//! The evaluation is [`Expr::eval`]'s, cut: the same blocks, the same
//! partial results combined in the same order, so the answer is bit for bit
//! that of one [`Expr::eval`] on the same arrays, whatever the ranges.

use std::ops::Range;

use crate::api::eval::{axis_last_space, nonempty, norm_axis, space};
use crate::api::{Bound, Expr};
use crate::array::{Arg, Array};
use crate::compile::typed::ReduceKind;
use crate::dtype::Scalar;
use crate::error::ExprError;
use crate::exec::geometry::{Geometry, BLOCK};
use crate::exec::reduce::{identity_scalar, run_reduce_blocks, run_reduce_rows_part};
use crate::exec::space::VarOp;

/// A reduction over everything (`sum(e)`) or along axis 0
/// (`sum(e, axis=0)`) evaluated a range of steps at a time, each step one
/// block of [`Expr::eval`]'s (along axis 0: one block of every result).
///
/// Every [`run`](Stepwise::run) gets the inputs anew, as views of the same
/// shapes and strides as those the reduction was made with (the memory
/// behind them may change between runs: only the rows that
/// [`rows`](Stepwise::rows) names for the steps run are read).
///
/// ```
/// use expr::{evaluate, Expr, DType};
/// use ndarray::Array1;
///
/// let a = Array1::from_iter((0..100_000).map(|i| (i as f64).sqrt()));
/// let e = Expr::compile("sum(a*a + 1)", &[("a", DType::F64)]).unwrap();
/// let inputs = [("a", (&a).into())];
/// let mut r = e.stepwise(&inputs).unwrap();
/// let n = r.steps();
/// for first in (0..n).step_by(7) {
///     let steps = first..(first + 7).min(n);
///     assert!(r.rows(steps.clone()).end <= 100_000);
///     r.run(&inputs, steps).unwrap();
/// }
/// assert_eq!(r.finish().unwrap(), evaluate("sum(a*a + 1)", &inputs).unwrap());
/// ```
#[derive(Debug)]
pub struct Stepwise<'e> {
    expr: &'e Expr,
    kind: ReduceKind,
    /// The reduced axis is 0 (else the reduction is over everything).
    along0: bool,
    /// The inputs' layout at the first binding, which every run must have.
    layout: Layout,
    /// How many steps there are.
    steps: usize,
    /// Steps run so far (runs go in order).
    done: usize,
    /// Which interior rows a step covers.
    map: StepRows,
    /// The result so far.
    acc: Partial,
}

/// What every binding of the inputs must keep: the shapes, and each
/// variable's strides (`None` for a scalar).
#[derive(Debug, PartialEq)]
struct Layout {
    full: Vec<usize>,
    interior: Vec<usize>,
    strides: Vec<Option<Vec<isize>>>,
}

/// How steps map to rows of axis 0.
#[derive(Debug)]
enum StepRows {
    /// No array input: no rows.
    None,
    /// Over everything: step `k` is block `k` of the cut of the (coalesced)
    /// interior, which starts at interior element `row * len + c * chunk`
    /// (rows of `len` cut into `cpr` blocks of `chunk`), or `k * BLOCK`
    /// when blocks run flat. `irow` elements make one interior row.
    Blocks {
        rows_mode: bool,
        len: usize,
        cpr: usize,
        chunk: usize,
        total: usize,
        irow: usize,
        n0: usize,
        reach: usize,
    },
    /// Along axis 0: step `c` is interior rows `c * chunk ..` (at most
    /// `chunk` of them, `len` in all).
    Rows {
        chunk: usize,
        len: usize,
        n0: usize,
        reach: usize,
    },
}

/// The result of the steps run so far.
#[derive(Debug)]
enum Partial {
    /// Over everything: the accumulator (`None` before the first step).
    All(Option<Scalar>),
    /// Along axis 0: one accumulator per result.
    Axis0(Array),
}

impl Expr {
    /// Prepares this reduction (over everything, or along axis 0) to be run
    /// a range of steps at a time over `inputs` (see [`Stepwise`]). Any
    /// other expression is an [`ExprError::Input`] error: elementwise
    /// expressions and reductions along another axis can be evaluated on
    /// pieces of axis 0 with [`Expr::eval`] itself.
    pub fn stepwise(&self, inputs: &[(&str, Arg<'_>)]) -> Result<Stepwise<'_>, ExprError> {
        let Some((kind, axis)) = self.checked.reduce else {
            return Err(ExprError::Input(format!(
                "`{}` is not a reduction: evaluate pieces of it with eval",
                self.text()
            )));
        };
        let b = self.bind(inputs)?;
        if b.stretched {
            return Err(ExprError::Shape(
                "a stepwise reduction needs array inputs of one shape (only 0-d inputs broadcast): the rows a step reads are rows of every input".into(),
            ));
        }
        let nd = b.interior.len();
        let along0 = match axis {
            None => false,
            Some(axis) => {
                if norm_axis(axis, nd)? != 0 {
                    return Err(ExprError::Input(format!(
                        "`{}` reduces along axis {axis}, not axis 0: evaluate pieces of axis 0 with eval",
                        self.text()
                    )));
                }
                true
            }
        };
        // As eval: `min` and `max` of nothing are errors, not a step-less identity.
        if along0 {
            nonempty(kind, b.interior[0], "axis 0 is empty")?;
        } else {
            nonempty(kind, b.interior.iter().product(), "the inputs are empty")?;
        }
        let layout = layout(&b);
        let has_arrays = b.arrays;
        let reach = b.full.first().map_or(0, |n0| n0 - b.interior[0]);
        let n0 = b.full.first().copied().unwrap_or(0);
        let (steps, map, acc) = if along0 {
            let mut shape = b.interior.clone();
            shape.remove(0);
            let acc = Array::zeros(self.prog.result_dt, &shape);
            // The cut of the space eval_reduce_axis runs: axis 0 last.
            let mut moved = b.interior.clone();
            let len = moved.remove(0);
            moved.push(len);
            let geo = Geometry::new(&moved, true);
            let map = StepRows::Rows {
                chunk: geo.chunk,
                len,
                n0,
                reach,
            };
            (geo.chunks_per_row, map, Partial::Axis0(acc))
        } else {
            let mut sp = space(b.interior.clone(), b.vars.clone(), None);
            sp.coalesce();
            let geo = Geometry::new(&sp.shape, false);
            let map = if has_arrays {
                StepRows::Blocks {
                    rows_mode: geo.rows_mode,
                    len: geo.len,
                    cpr: geo.chunks_per_row,
                    chunk: geo.chunk,
                    total: geo.total,
                    irow: b.interior[1..].iter().product(),
                    n0,
                    reach,
                }
            } else {
                StepRows::None
            };
            (geo.nitems, map, Partial::All(None))
        };
        let map = if has_arrays { map } else { StepRows::None };
        Ok(Stepwise {
            expr: self,
            kind,
            along0,
            layout,
            steps,
            done: 0,
            map,
            acc,
        })
    }
}

/// The layout of bound inputs.
fn layout(b: &Bound) -> Layout {
    Layout {
        full: b.full.clone(),
        interior: b.interior.clone(),
        strides: b
            .vars
            .iter()
            .map(|v| match v {
                VarOp::Scalar(_) => None,
                v => Some(
                    v.operands()
                        .iter()
                        .flat_map(|op| op.strides.clone())
                        .collect(),
                ),
            })
            .collect(),
    }
}

impl Stepwise<'_> {
    /// The number of steps (0 when there is nothing to reduce).
    pub fn steps(&self) -> usize {
        self.steps
    }

    /// The steps run so far: the next run starts there.
    pub fn done(&self) -> usize {
        self.done
    }

    /// The rows of axis 0 of the inputs that steps `steps` read (stencil
    /// neighbours included); empty when no input is an array or `steps` is
    /// empty.
    pub fn rows(&self, steps: Range<usize>) -> Range<usize> {
        let steps = steps.start.min(self.steps)..steps.end.min(self.steps);
        if steps.is_empty() {
            return 0..0;
        }
        match self.map {
            StepRows::None => 0..0,
            StepRows::Blocks {
                rows_mode,
                len,
                cpr,
                chunk,
                total,
                irow,
                n0,
                reach,
            } => {
                // The interior elements of a block, in C order.
                let block = |k: usize| {
                    let first = if rows_mode {
                        (k / cpr) * len + (k % cpr) * chunk
                    } else {
                        k * BLOCK
                    };
                    let n = if rows_mode {
                        chunk.min(len - (k % cpr) * chunk)
                    } else {
                        BLOCK.min(total - first)
                    };
                    (first, first + n)
                };
                let lo = block(steps.start).0;
                let hi = block(steps.end - 1).1;
                if irow == 0 || hi <= lo {
                    return 0..0;
                }
                let first = lo / irow;
                let last = (hi - 1) / irow;
                first..(last + 1 + reach).min(n0)
            }
            StepRows::Rows {
                chunk,
                len,
                n0,
                reach,
            } => {
                let first = (steps.start * chunk).min(len);
                let end = (steps.end * chunk).min(len);
                if end <= first {
                    return 0..0;
                }
                first..(end + reach).min(n0)
            }
        }
    }

    /// Runs steps `steps`, which must start where the runs before ended
    /// ([`done`](Stepwise::done)), over `inputs`, views of the shapes and
    /// strides the reduction was made with whose rows
    /// [`rows`](Stepwise::rows)`(steps)` hold the data.
    pub fn run(
        &mut self,
        inputs: &[(&str, Arg<'_>)],
        steps: Range<usize>,
    ) -> Result<(), ExprError> {
        if steps.start != self.done || steps.end < steps.start || steps.end > self.steps {
            return Err(ExprError::Input(format!(
                "steps {steps:?} do not follow the {} run of {}",
                self.done, self.steps
            )));
        }
        let e = self.expr;
        let b = e.bind(inputs)?;
        if layout(&b) != self.layout {
            return Err(ExprError::Input(
                "the inputs' shapes or strides differ from those the reduction was made with"
                    .into(),
            ));
        }
        if steps.is_empty() {
            return Ok(());
        }
        match &mut self.acc {
            Partial::All(acc) => {
                let mut sp = space(b.interior.clone(), b.vars.clone(), None);
                sp.coalesce();
                let geo = Geometry::new(&sp.shape, false);
                *acc = Some(run_reduce_blocks(
                    &e.prog,
                    &sp,
                    &geo,
                    self.kind,
                    steps.clone(),
                    *acc,
                ));
            }
            Partial::Axis0(out) => {
                debug_assert!(self.along0);
                let sp = axis_last_space(&b, 0, &out.view_mut().raw());
                let geo = Geometry::new(&sp.shape, true);
                run_reduce_rows_part(&e.prog, &sp, &geo, self.kind, steps.clone(), self.done > 0);
            }
        }
        self.done = steps.end;
        Ok(())
    }

    /// The result, as [`Expr::eval_new`] gives it, once every step has run;
    /// an [`ExprError::Input`] error before.
    pub fn finish(self) -> Result<Array, ExprError> {
        if self.done != self.steps {
            return Err(ExprError::Input(format!(
                "{} of {} steps were run",
                self.done, self.steps
            )));
        }
        let dt = self.expr.prog.result_dt;
        Ok(match self.acc {
            Partial::Axis0(out) => out,
            Partial::All(acc) => {
                // No step at all (an empty space) reduces to the identity.
                let v = acc.unwrap_or_else(|| identity_scalar(dt, self.kind));
                let mut out = Array::zeros(dt, &[]);
                let o = out.view_mut().raw();
                let mut bytes = [0u64; 2];
                v.store(&mut bytes);
                debug_assert_eq!(v.dtype(), o.dt);
                // SAFETY: `out` holds one element of type `dt`, the
                // accumulator's type, which is `v`'s.
                unsafe {
                    std::ptr::copy_nonoverlapping(bytes.as_ptr() as *const u8, o.ptr, dt.size())
                };
                out
            }
        })
    }
}
