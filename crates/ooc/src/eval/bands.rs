//! Elementwise expressions and reductions along an axis other than 0: bands of rows of
//! axis 0, each evaluated by the engine on views of its rows and of the rows its stencil
//! offsets reach (its halo), its rows of the result written to the output.

use std::ops::Range;

use ndarray::{Axis, Slice};

use crate::error::Result;
use crate::eval::output::{bytes_of, Sink};
use crate::eval::source::Source;
use crate::eval::{Mode, Run};

impl Run<'_> {
    /// Evaluates a [`Mode::Bands`] expression band by band, writing the result's rows
    /// to `sink`.
    pub(super) fn bands(
        &self,
        sources: &mut [Source],
        mode: &Mode,
        mut sink: Option<&mut Sink>,
    ) -> Result<()> {
        let Mode::Bands {
            full,
            reach: (lo, hi),
            shape,
            reduced,
        } = mode
        else {
            unreachable!("bands evaluate Mode::Bands")
        };
        let (lo, hi, reduced) = (*lo, *hi, *reduced);
        let n0 = full[0];
        let dt = self.expr.dtype();
        let result_row: u64 = shape.iter().skip(1).map(|&d| d as u64).product();
        let rows = self.band_rows(sources, result_row * dt.size() as u64, 1 + lo + hi)?;
        let per_band = rows - lo - hi;
        let end = n0 - hi;
        let mut buf: Option<expr::Array> = None;
        let mut counted = 0;
        let mut a = lo;
        while a < end {
            self.check_cancel()?;
            let b = (a + per_band).min(end);
            let rows = a - lo..b + hi;
            for s in sources.iter_mut() {
                s.prepare(rows.clone(), self.ctl)?;
            }
            // The result's rows: those of the interior for a reduction; for an
            // elementwise result, as many as the inputs' (the engine writes the interior).
            let (first, other) = if reduced {
                (b - a, &shape[1..])
            } else {
                (rows.len(), &full[1..])
            };
            let out_shape: Vec<usize> = std::iter::once(first)
                .chain(other.iter().copied())
                .collect();
            let out = match buf.take() {
                Some(x) if x.shape() == out_shape.as_slice() => buf.insert(x),
                _ => buf.insert(expr::Array::zeros(dt, &out_shape)),
            };
            {
                let args: Vec<(&str, expr::Arg)> = self
                    .names
                    .iter()
                    .copied()
                    .zip(sources.iter().map(|s| band(s.view(), rows.clone())))
                    .collect();
                self.expr.eval(&args, out.view_mut())?;
            }
            for s in sources.iter_mut() {
                s.release(rows.clone());
            }
            if let Some(sink) = sink.as_deref_mut() {
                let bytes = bytes_of(out);
                if reduced {
                    sink.write_rows(a - lo, bytes)?;
                } else {
                    let row = bytes.len() / rows.len();
                    sink.write_rows(a, &bytes[lo * row..(lo + b - a) * row])?;
                }
            }
            // The input rows read for the first time: the border rows go with the first
            // and last bands.
            let upto = if b == end { n0 } else { b + hi };
            self.advance(sources, upto.saturating_sub(counted));
            counted = counted.max(upto);
            a = b;
        }
        Ok(())
    }
}

/// Rows `rows` of axis 0 of an input (a 0-d input as it is).
fn band(arg: expr::Arg<'_>, rows: Range<usize>) -> expr::Arg<'_> {
    macro_rules! rows {
        ($v:expr, $variant:ident) => {
            if $v.ndim() == 0 {
                expr::Arg::$variant($v)
            } else {
                expr::Arg::$variant($v.slice_axis_move(Axis(0), Slice::from(rows)))
            }
        };
    }
    match arg {
        expr::Arg::Bool(v) => rows!(v, Bool),
        expr::Arg::I32(v) => rows!(v, I32),
        expr::Arg::I64(v) => rows!(v, I64),
        expr::Arg::F32(v) => rows!(v, F32),
        expr::Arg::F64(v) => rows!(v, F64),
        expr::Arg::C128(v) => rows!(v, C128),
    }
}
