//! `--backend expr`: the whole update as one expression with stencil offsets,
//! evaluated by the expression engine (`crates/expr`) — what the course's
//! `diff2d_numexpr.py` needed flat-view tricks for.

use expr::{DType, Expr};
use ndarray::{arr0, Array2};

use crate::Stepper;

/// The update, written in the order of the other backends'
/// `c + k·((((down + up) + right) + left) - 4·c)` so that all of them agree
/// bit for bit.
pub const UPDATE: &str = "u + k*(u[1,0] + u[-1,0] + u[0,1] + u[0,-1] - 4*u)";

/// Steps by evaluating [`UPDATE`] from the density into a second array
/// (whose zero border the stencil never writes) and swapping the two.
pub struct ExprStepper {
    update: Expr,
    next: Array2<f64>,
    threads: Option<usize>,
}

impl ExprStepper {
    /// A stepper using `threads` threads (`None`: all cores).
    pub fn new(threads: Option<usize>) -> ExprStepper {
        let update = Expr::compile(UPDATE, &[("u", DType::F64), ("k", DType::F64)])
            .expect("the built-in update expression compiles");
        ExprStepper {
            update,
            next: Array2::zeros((0, 0)),
            threads,
        }
    }
}

impl Stepper for ExprStepper {
    fn advance(&mut self, dens: &mut Array2<f64>, k: f64, steps: usize) {
        let (r, c) = dens.dim();
        if r < 3 || c < 3 {
            return; // no interior cell: nothing ever changes
        }
        if self.next.dim() != dens.dim() {
            self.next = Array2::zeros(dens.dim());
        }
        let previous = self.threads.map(expr::set_num_threads);
        let k = arr0(k);
        for _ in 0..steps {
            self.update
                .eval(
                    &[("u", (&*dens).into()), ("k", (&k).into())],
                    &mut self.next,
                )
                .expect("shapes fixed above: the update cannot fail");
            std::mem::swap(dens, &mut self.next);
        }
        if let Some(p) = previous {
            expr::set_num_threads(p);
        }
    }
}
