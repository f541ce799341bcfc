//! What the run loop reports to: an [`Observer`] gets every output, as a
//! [`Frame`] (time printing, pictures).

use ndarray::Array2;

use crate::{DiffusionError, Grid};

/// A state of the run handed to an [`Observer`].
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    /// Steps done since the start of the simulation.
    pub step: usize,
    /// Simulated time, `step · dt`.
    pub time: f64,
    /// The density field, `npnts × npnts` including the zero boundary: the
    /// current one, unless the observer said it does not read it
    /// ([`Observer::reads_density`]).
    pub dens: &'a Array2<f64>,
    /// The grid.
    pub grid: &'a Grid,
}

/// Receives the simulation's outputs: at the start (step 0) and after
/// every `nper` steps, like the course's program.
pub trait Observer {
    /// One output.
    fn output(&mut self, frame: &Frame<'_>) -> Result<(), DiffusionError>;

    /// Called once when the run has reached its last step.
    fn finish(&mut self, _frame: &Frame<'_>) -> Result<(), DiffusionError> {
        Ok(())
    }

    /// Whether [`Observer::output`] reads the frame's density (true by
    /// default). When it does not, and no checkpoint is due, the run loop
    /// lets the stepper skip bringing the density up to date for it
    /// ([`crate::Stepper::advance_unseen`]): the MPI ranks then do not
    /// gather the field at every output.
    fn reads_density(&self) -> bool {
        true
    }
}

/// An observer that does nothing (for benchmarks).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoOutput;

impl Observer for NoOutput {
    fn output(&mut self, _frame: &Frame<'_>) -> Result<(), DiffusionError> {
        Ok(())
    }

    fn reads_density(&self) -> bool {
        false
    }
}

/// Prints the simulation time of every output on its own line, like the
/// course's `print(simtime)`.
#[derive(Debug)]
pub struct TimePrinter<W: std::io::Write>(pub W);

impl<W: std::io::Write> Observer for TimePrinter<W> {
    fn output(&mut self, frame: &Frame<'_>) -> Result<(), DiffusionError> {
        writeln!(self.0, "{}", frame.time)
            .and_then(|_| self.0.flush())
            .map_err(|e| DiffusionError::io("standard output", e))
    }

    fn reads_density(&self) -> bool {
        false
    }
}

impl<A: Observer, B: Observer> Observer for (A, B) {
    fn output(&mut self, frame: &Frame<'_>) -> Result<(), DiffusionError> {
        self.0.output(frame)?;
        self.1.output(frame)
    }

    fn finish(&mut self, frame: &Frame<'_>) -> Result<(), DiffusionError> {
        self.0.finish(frame)?;
        self.1.finish(frame)
    }

    fn reads_density(&self) -> bool {
        self.0.reads_density() || self.1.reads_density()
    }
}

impl<T: Observer + ?Sized> Observer for Box<T> {
    fn output(&mut self, frame: &Frame<'_>) -> Result<(), DiffusionError> {
        (**self).output(frame)
    }

    fn finish(&mut self, frame: &Frame<'_>) -> Result<(), DiffusionError> {
        (**self).finish(frame)
    }

    fn reads_density(&self) -> bool {
        (**self).reads_density()
    }
}

impl<T: Observer> Observer for Option<T> {
    fn output(&mut self, frame: &Frame<'_>) -> Result<(), DiffusionError> {
        self.as_mut().map_or(Ok(()), |o| o.output(frame))
    }

    fn finish(&mut self, frame: &Frame<'_>) -> Result<(), DiffusionError> {
        self.as_mut().map_or(Ok(()), |o| o.finish(frame))
    }

    fn reads_density(&self) -> bool {
        self.as_ref().is_some_and(|o| o.reads_density())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An observer that keeps the default: it reads the density.
    struct Drawing;

    impl Observer for Drawing {
        fn output(&mut self, _frame: &Frame<'_>) -> Result<(), DiffusionError> {
            Ok(())
        }
    }

    #[test]
    fn only_observers_that_draw_read_the_density() {
        let printer = || TimePrinter(std::io::sink());
        assert!(!NoOutput.reads_density());
        assert!(!printer().reads_density());
        assert!(Drawing.reads_density());
        assert!(!(printer(), None::<Drawing>).reads_density());
        assert!((printer(), Some(Drawing)).reads_density());
        assert!(Box::new(Drawing).reads_density());
        assert!(!(Box::new(NoOutput) as Box<dyn Observer>).reads_density());
    }
}
