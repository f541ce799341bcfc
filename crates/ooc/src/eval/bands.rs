//! Elementwise expressions and reductions along an axis other than 0: bands of rows of
//! axis 0, each evaluated by the engine on views of its rows and of the rows its stencil
//! offsets reach (its halo), its rows of the result written to the output.

use std::ops::Range;
use std::sync::mpsc;

use crate::error::{OocError, Result};
use crate::eval::output::{bytes_of, Sink};
use crate::eval::source::Source;
use crate::eval::{Mode, Run};

/// The geometry of a [`Mode::Bands`] evaluation.
struct Plan<'m> {
    /// The inputs' shape.
    full: &'m [usize],
    /// The result's shape.
    shape: &'m [usize],
    /// Rows of axis 0 the offsets reach below and above.
    lo: usize,
    hi: usize,
    /// The result is a reduction, whose rows are the interior's.
    reduced: bool,
    /// Interior rows per band.
    per_band: usize,
}

impl Run<'_> {
    /// Evaluates a [`Mode::Bands`] expression band by band, writing the result's rows
    /// to `sink` from a thread of its own while the next band is evaluated.
    pub(super) fn bands(
        &self,
        sources: &mut [Source],
        mode: &Mode,
        sink: Option<&mut Sink>,
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
        let (lo, hi) = (*lo, *hi);
        let result_row: u64 = shape.iter().skip(1).map(|&d| d as u64).product();
        // Up to three results are alive with a writer: one being computed, one waiting
        // to be written and one being written.
        let copies = if sink.is_some() { 3 } else { 1 };
        let out_row = result_row * self.expr.dtype().size() as u64 * copies;
        let rows = self.band_rows(sources, out_row, 1 + lo + hi)?;
        let plan = Plan {
            full,
            shape,
            lo,
            hi,
            reduced: *reduced,
            per_band: rows - lo - hi,
        };
        let Some(sink) = sink else {
            return self.band_loop(sources, &plan, &mut Discard(None));
        };
        std::thread::scope(|scope| {
            let (jobs, queue) = mpsc::sync_channel::<Job>(1);
            let (give_back, spares) = mpsc::channel();
            let writer = scope.spawn(move || -> Result<()> {
                for (buf, first, bytes) in queue {
                    sink.write_rows(first, &bytes_of(&buf)[bytes])?;
                    // The loop may be over: then the buffer is dropped.
                    let _ = give_back.send(buf);
                }
                Ok(())
            });
            let mut outlet = Writer {
                jobs,
                spares,
                away: 0,
            };
            let computed = self.band_loop(sources, &plan, &mut outlet);
            // Closing the queue lets the writer finish the bands already computed.
            drop(outlet);
            let written = writer
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            // A write error stops the loop: it is the one to report.
            written.and(computed)
        })
    }

    /// Evaluates the bands of `plan` one after the other, handing each result to `outlet`.
    fn band_loop(
        &self,
        sources: &mut [Source],
        plan: &Plan,
        outlet: &mut dyn Outlet,
    ) -> Result<()> {
        let Plan {
            full,
            shape,
            lo,
            hi,
            reduced,
            per_band,
        } = *plan;
        let n0 = full[0];
        let end = n0 - hi;
        let dt = self.expr.dtype();
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
            // elementwise result, as many as the inputs' (the engine writes the interior,
            // and the border of a new buffer, zeros, stays so in every reuse).
            let (first, other) = if reduced {
                (b - a, &shape[1..])
            } else {
                (rows.len(), &full[1..])
            };
            let out_shape: Vec<usize> = std::iter::once(first)
                .chain(other.iter().copied())
                .collect();
            let mut out = match outlet.spare() {
                Some(x) if x.shape() == out_shape.as_slice() => x,
                _ => expr::Array::zeros(dt, &out_shape),
            };
            {
                let args: Vec<(&str, expr::Arg)> = self
                    .names
                    .iter()
                    .copied()
                    .zip(sources.iter().map(|s| s.band(rows.clone())))
                    .collect();
                self.expr.eval(&args, out.view_mut())?;
            }
            for s in sources.iter_mut() {
                s.release(rows.clone());
            }
            let row = bytes_of(&out).len() / first.max(1);
            if reduced {
                outlet.take(out, a - lo, 0..(b - a) * row)?;
            } else {
                outlet.take(out, a, lo * row..(lo + b - a) * row)?;
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

/// A band's result for the writer: the buffer, the first row of the output its bytes
/// `.2` go to.
type Job = (expr::Array, usize, Range<usize>);

/// Where the results of bands go.
trait Outlet {
    /// A result buffer to reuse, if one is free.
    fn spare(&mut self) -> Option<expr::Array>;
    /// Takes the result `buf` of a band, whose bytes `bytes` are the output's rows from
    /// `first` on.
    fn take(&mut self, buf: expr::Array, first: usize, bytes: Range<usize>) -> Result<()>;
}

/// No output: each result is dropped, its buffer kept for the next band.
struct Discard(Option<expr::Array>);

impl Outlet for Discard {
    fn spare(&mut self) -> Option<expr::Array> {
        self.0.take()
    }

    fn take(&mut self, buf: expr::Array, _: usize, _: Range<usize>) -> Result<()> {
        self.0 = Some(buf);
        Ok(())
    }
}

/// The writer thread's queue, and the buffers it has written.
struct Writer {
    jobs: mpsc::SyncSender<Job>,
    spares: mpsc::Receiver<expr::Array>,
    /// Buffers given to the writer and not back yet: at most two (one queued, one being
    /// written), so that three buffers at most are alive.
    away: usize,
}

impl Outlet for Writer {
    fn spare(&mut self) -> Option<expr::Array> {
        let back = if self.away >= 2 {
            // Waits for the writer rather than allocating (and faulting in) a fourth.
            self.spares.recv().ok()
        } else {
            self.spares.try_recv().ok()
        };
        if back.is_some() {
            self.away -= 1;
        }
        back
    }

    fn take(&mut self, buf: expr::Array, first: usize, bytes: Range<usize>) -> Result<()> {
        self.away += 1;
        self.jobs.send((buf, first, bytes)).map_err(|_| {
            // The writer stopped on an error, which `bands` reports instead.
            OocError::Invalid("the output's writer stopped".into())
        })
    }
}
