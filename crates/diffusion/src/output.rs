//! Writing the density as a `.npy` file that `numpy.load` reads, atomically.

use std::path::Path;

use ndarray::Array2;
use ndarray_npy::WriteNpyExt;
use runtime::atomic::write_atomically;

use crate::DiffusionError;

/// Writes `dens` to `path` in numpy's `.npy` format (little-endian `f64`,
/// C order), atomically ([`runtime::atomic`]).
pub fn write_npy(path: &Path, dens: &Array2<f64>) -> Result<(), DiffusionError> {
    write_atomically(path, |w| dens.write_npy(w).map_err(std::io::Error::other))?;
    Ok(())
}

/// Reads a `.npy` file of `f64` written by [`write_npy`] or numpy.
pub fn read_npy(path: &Path) -> Result<Array2<f64>, DiffusionError> {
    ndarray_npy::read_npy(path)
        .map_err(|e| DiffusionError::io(path, std::io::Error::other(e.to_string())))
}
