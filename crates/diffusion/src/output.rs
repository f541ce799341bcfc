//! Writing the density as a `.npy` file that `numpy.load` reads, atomically.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use ndarray::Array2;
use ndarray_npy::WriteNpyExt;

use crate::DiffusionError;

/// Writes `dens` to `path` in numpy's `.npy` format (little-endian `f64`,
/// C order), through a temporary file renamed into place.
pub fn write_npy(path: &Path, dens: &Array2<f64>) -> Result<(), DiffusionError> {
    let tmp = crate::checkpoint::temp_name(path);
    let io = |e| DiffusionError::io(&tmp, e);
    let file = File::create(&tmp).map_err(io)?;
    let mut out = BufWriter::new(file);
    dens.write_npy(&mut out)
        .map_err(|e| io(std::io::Error::other(e.to_string())))?;
    let file = out.into_inner().map_err(|e| io(e.into_error()))?;
    file.sync_all().map_err(io)?;
    std::fs::rename(&tmp, path).map_err(|e| DiffusionError::io(path, e))
}

/// Reads a `.npy` file of `f64` written by [`write_npy`] or numpy.
pub fn read_npy(path: &Path) -> Result<Array2<f64>, DiffusionError> {
    ndarray_npy::read_npy(path)
        .map_err(|e| DiffusionError::io(path, std::io::Error::other(e.to_string())))
}
