//! The `array` backend: whole-array slicing with temporaries, exactly what
//! the course's `diff2d_numpy.py` does with numpy, written with ndarray.

use ndarray::{s, Array2};

use crate::Stepper;

/// Whole-array operations, one temporary per operation (like numpy).
#[derive(Debug, Default)]
pub struct ArrayStepper;

impl Stepper for ArrayStepper {
    fn advance(&mut self, dens: &mut Array2<f64>, k: f64, steps: usize) -> crate::Result<()> {
        let n = dens.nrows();
        if n < 3 {
            return Ok(());
        }
        let r = n - 2;
        let mut lapl = Array2::<f64>::zeros((n, n));
        for _ in 0..steps {
            // lapl[1:nrows+1,1:nrows+1] = (dens1[2:nrows+2,1:nrows+1] + dens1[0:nrows+0,1:nrows+1]
            //   + dens1[1:nrows+1,2:nrows+2] + dens1[1:nrows+1,0:nrows+0] - 4*dens1[1:nrows+1,1:nrows+1])
            let inner = &dens.slice(s![2..r + 2, 1..r + 1])
                + &dens.slice(s![0..r, 1..r + 1])
                + dens.slice(s![1..r + 1, 2..r + 2])
                + dens.slice(s![1..r + 1, 0..r])
                - &(dens.slice(s![1..r + 1, 1..r + 1]).to_owned() * 4.0);
            lapl.slice_mut(s![1..r + 1, 1..r + 1]).assign(&inner);
            // dens2[:,:] = dens1 + D/dx**2*dt*lapl
            let next = &*dens + &(&lapl * k);
            *dens = next;
        }
        Ok(())
    }
}
