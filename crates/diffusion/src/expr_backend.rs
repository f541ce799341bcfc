//! `--backend expr`: the whole update as one expression with stencil offsets,
//! evaluated by the expression engine (`crates/expr`) — what the course's
//! `diff2d_numexpr.py` needed flat-view tricks for.
//!
//! The steps run through [`Expr::iterate_with`], the engine's time-stepping
//! call: one team of threads per call, temporal blocking (each thread
//! advances its band of rows several steps between meetings), instead of
//! one evaluation — and one thread hand-off — per step. One step of the
//! default problem is only ~90 000 cells, so the hand-off used to cost as
//! much as the work.

use expr::{DType, Expr, Iterate};
use ndarray::{arr0, Array2};

use crate::Stepper;

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
    threads: Option<usize>,
}

impl ExprStepper {
    /// A stepper using `threads` threads (`None`: all cores).
    pub fn new(threads: Option<usize>) -> ExprStepper {
        let update = Expr::compile(UPDATE, &[("u", DType::F64), ("k", DType::F64)])
            .expect("the built-in update expression compiles");
        ExprStepper { update, threads }
    }
}

impl Stepper for ExprStepper {
    fn advance(&mut self, dens: &mut Array2<f64>, k: f64, steps: usize) {
        let (r, c) = dens.dim();
        if r < 3 || c < 3 {
            return; // no interior cell: nothing ever changes
        }
        let k = arr0(k);
        let opts = Iterate {
            threads: self.threads.unwrap_or(0),
            depth: depth(),
        };
        self.update
            .iterate_with("u", &mut *dens, &[("k", (&k).into())], steps, opts)
            .expect("the grid has an interior: the update cannot fail");
    }
}

/// Steps per pass of the team: `HPCRS_EXPR_DEPTH` (for measuring), else the
/// engine's default.
fn depth() -> usize {
    std::env::var("HPCRS_EXPR_DEPTH")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
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
        ArrayStepper.advance(&mut want, k, 60);
        for threads in [1, 2, 3] {
            let mut s = ExprStepper::new(Some(threads));
            let mut got = start();
            for chunk in [1, 20, 7, 32] {
                s.advance(&mut got, k, chunk);
            }
            assert_eq!(got, want, "{threads} thread(s)");
        }
    }
}
