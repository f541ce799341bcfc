//! The `naive` backend: the scalar double loop a C or Fortran programmer
//! writes first (the course's `diff2d.cpp`), one thread, two arrays swapped
//! after every step.

use ndarray::Array2;

use crate::kernel::{multiversion, update, Simd};
use crate::Stepper;

/// Scalar double loop over the grid, one step at a time.
#[derive(Debug)]
pub struct NaiveStepper {
    scratch: Array2<f64>,
    simd: Simd,
}

impl Default for NaiveStepper {
    fn default() -> Self {
        Self::new()
    }
}

impl NaiveStepper {
    /// A stepper with no scratch space yet (allocated on first use).
    pub fn new() -> Self {
        NaiveStepper {
            scratch: Array2::zeros((0, 0)),
            simd: Simd::detect(),
        }
    }
}

/// One step: `new[i][j] = old[i][j] + k·laplacian`, written as the plain
/// double loop over `i` and `j` (the compiler may still vectorise the inner
/// loop, as a C compiler does with `-O3`).
#[inline(always)]
fn step(old: &[f64], new: &mut [f64], n: usize, k: f64) {
    for i in 1..n - 1 {
        let up = &old[(i - 1) * n..i * n];
        let mid = &old[i * n..(i + 1) * n];
        let down = &old[(i + 1) * n..(i + 2) * n];
        let out = &mut new[i * n..(i + 1) * n];
        for j in 1..n - 1 {
            out[j] = update(mid[j], up[j], down[j], mid[j - 1], mid[j + 1], k);
        }
    }
}

multiversion!(
    /// [`step`] compiled for the CPU's SIMD level.
    fn step_dispatch(old: &[f64], new: &mut [f64], n: usize, k: f64) => step
);

impl Stepper for NaiveStepper {
    fn advance(&mut self, dens: &mut Array2<f64>, k: f64, steps: usize) -> crate::Result<()> {
        let n = dens.nrows();
        if n < 3 || steps == 0 {
            return Ok(());
        }
        if self.scratch.dim() != dens.dim() {
            self.scratch = Array2::zeros(dens.dim());
        }
        for _ in 0..steps {
            let old = dens.as_slice().expect("density is a standard-layout array");
            let new = self
                .scratch
                .as_slice_mut()
                .expect("scratch is standard layout");
            step_dispatch(self.simd, old, new, n, k);
            std::mem::swap(dens, &mut self.scratch);
        }
        Ok(())
    }
}
