//! The interface every backend implements.

use ndarray::Array2;

/// Advances the density field by whole explicit time steps,
/// `p ← p + k·(p[i-1,j] + p[i+1,j] + p[i,j-1] + p[i,j+1] - 4p[i,j])` on the
/// interior, keeping the boundary ring at zero.
///
/// The driver calls [`Stepper::advance`] once per stretch of steps between
/// outputs (snapshots, checkpoints), so a backend may keep scratch buffers and
/// threads between calls and may fuse several steps per pass over memory.
pub trait Stepper {
    /// Advances the `npnts × npnts` field `dens` by `steps` steps with update
    /// coefficient `k` (see [`crate::Grid::coefficient`]).
    fn advance(&mut self, dens: &mut Array2<f64>, k: f64, steps: usize) -> crate::Result<()>;

    /// Advances like [`Stepper::advance`] when nothing reads or changes
    /// `dens` before the next call (the run loop's outputs that only print
    /// the time): a stepper that holds the field elsewhere (the MPI ranks'
    /// blocks, the threads backend's padded working arrays) may leave `dens`
    /// behind and go on from its own copy; the next [`Stepper::advance`]
    /// brings `dens` up to date, with every step taken since. By default,
    /// `advance`.
    fn advance_unseen(
        &mut self,
        dens: &mut Array2<f64>,
        k: f64,
        steps: usize,
    ) -> crate::Result<()> {
        self.advance(dens, k, steps)
    }

    /// Takes this process's part in a run driven by another process (an MPI
    /// rank other than 0, serving rank 0): serves until the driver is done
    /// and returns `true`; the caller then skips its run loop and reports
    /// nothing. A stepper that drives its own run returns `false` at once
    /// (the default).
    fn serve(&mut self) -> crate::Result<bool> {
        Ok(false)
    }

    /// A line saying how the stepper splits a grid of `npnts` points per
    /// side (for the program to show), if that is worth showing.
    fn describe(&self, npnts: usize) -> Option<String> {
        let _ = npnts;
        None
    }
}
