//! `--backend expr`: the whole update as one expression with stencil offsets,
//! evaluated by the expression engine (`crates/expr`) — what the course's
//! `diff2d_numexpr.py` needed flat-view tricks for.
//!
//! The steps run through [`Expr::iterate_with`], the engine's time-stepping
//! call: one team of threads per call and temporal blocking (each thread
//! advances its band of rows several steps between meetings), instead of
//! one evaluation, and one thread hand-off, per step. One step of the
//! default problem is little work, so a hand-off per step would cost as
//! much as the step.

use expr::{DType, Expr, Iterate};
use ndarray::{arr0, Array2};
use runtime::pool::Threads;

use crate::{DiffusionError, Stepper, StepperOptions};

/// The update, written in the order of the other backends'
/// `c + k·((((down + up) + right) + left) - 4·c)`, and rounded like numpy
/// (the multiply and the add separately): it agrees with the `array`
/// backend bit for bit, and with the compiled ones, which fuse the last
/// multiply-add, to ~1e-15 relative.
pub const UPDATE: &str = "u + k*(u[1,0] + u[-1,0] + u[0,1] + u[0,-1] - 4*u)";

/// Steps by iterating [`UPDATE`] on the density in place (its border, which
/// the stencil never writes, stays as it is).
pub struct ExprStepper {
    update: Expr,
    /// The engine's team size; 0: its default (all cores).
    threads: usize,
    /// Steps per pass of the team; 0: the engine's default.
    depth: usize,
}

impl ExprStepper {
    /// A stepper on `threads` threads, passing the engine its own default
    /// depth.
    pub fn new(threads: Threads) -> Result<ExprStepper, DiffusionError> {
        let threads = match threads {
            Threads::AllCores => 0,
            Threads::Exactly(_) => crate::options::team_size(threads)?,
        };
        let update = Expr::compile(UPDATE, &[("u", DType::F64), ("k", DType::F64)])?;
        Ok(ExprStepper {
            update,
            threads,
            depth: 0,
        })
    }

    /// The stepper [`crate::make_stepper`] builds: `options.threads` and
    /// `options.depth`.
    pub fn from_options(options: &StepperOptions) -> Result<ExprStepper, DiffusionError> {
        Ok(ExprStepper::new(options.threads)?.with_depth(options.chosen_depth().unwrap_or(0)))
    }

    /// Sets the steps per pass of the team (0: the engine's default).
    pub fn with_depth(mut self, depth: usize) -> Self {
        self.depth = depth;
        self
    }
}

impl Stepper for ExprStepper {
    fn advance(&mut self, dens: &mut Array2<f64>, k: f64, steps: usize) -> crate::Result<()> {
        let (r, c) = dens.dim();
        if r < 3 || c < 3 {
            return Ok(()); // no interior cell: nothing ever changes
        }
        let k = arr0(k);
        let opts = Iterate {
            threads: self.threads,
            depth: self.depth,
        };
        self.update
            .iterate_with("u", &mut *dens, &[("k", (&k).into())], steps, opts)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::array::ArrayStepper;

    /// A bump in a zero-bordered grid, big enough for the team to split.
    fn start() -> Array2<f64> {
        Array2::from_shape_fn((71, 71), |(i, j)| {
            if i == 0 || j == 0 || i == 70 || j == 70 {
                0.0
            } else {
                ((i * 31 + j * 17) % 13) as f64 / 13.0
            }
        })
    }

    #[test]
    fn equals_array_bit_for_bit_in_split_calls() {
        let k = 0.23;
        let mut want = start();
        ArrayStepper.advance(&mut want, k, 60).unwrap();
        for threads in [1, 2, 3] {
            let mut s = ExprStepper::new(Threads::Exactly(threads)).unwrap();
            let mut got = start();
            for chunk in [1, 20, 7, 32] {
                s.advance(&mut got, k, chunk).unwrap();
            }
            assert_eq!(got, want, "{threads} thread(s)");
        }
    }

    #[test]
    fn a_depth_changes_no_bit() {
        let k = 0.23;
        let mut want = start();
        ArrayStepper.advance(&mut want, k, 30).unwrap();
        let mut s = ExprStepper::new(Threads::Exactly(2)).unwrap().with_depth(3);
        let mut got = start();
        s.advance(&mut got, k, 30).unwrap();
        assert_eq!(got, want);
    }
}
