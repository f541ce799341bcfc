//! Creating a `.npy` file: what it holds, and writing it whole or not at all.

use std::path::Path;

use crate::control::Control;
use crate::dtype::DType;
use crate::error::{OocError, Result};
use crate::header::Header;
use crate::new_file::NewNpy;
use crate::scalar::Scalar;
use crate::shape::check_shape;
use crate::write::write_chunks;

/// What a new array is filled with.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Fill {
    /// Zeros. The data is left as a hole in the file (as `numpy.memmap` does), so this is
    /// instant and takes no disk space until written.
    Zeros,
    /// One value everywhere; it must fit the dtype (see [`Scalar::cast`]): integers are
    /// stored exactly.
    Value(Scalar),
    /// Uniform random values: `[0, 1)` for floats, all bit patterns for integers, 0 or 1
    /// for bool. Element `k` (in storage order) depends only on `(seed, k)`, so the file is
    /// the same whatever the number of threads or the memory limit.
    Random {
        /// The seed.
        seed: u64,
    },
}

/// How to create an array.
#[derive(Clone, Copy, Debug)]
pub struct CreateOptions {
    /// Element type.
    pub dtype: DType,
    /// Store in Fortran (column-major) order instead of C order.
    pub fortran_order: bool,
    /// Contents.
    pub fill: Fill,
    /// `fsync` the data before the rename and the directory after it, so that the file is
    /// on disk, not only in the page cache, when `create` returns.
    pub sync: bool,
}

impl Default for CreateOptions {
    fn default() -> Self {
        CreateOptions {
            dtype: DType::F64,
            fortran_order: false,
            fill: Fill::Zeros,
            sync: true,
        }
    }
}

/// Creates the `.npy` file `path` holding an array of `shape`, filled as `opts` says.
///
/// The data is written to a uniquely named temporary file in the same directory, which is
/// renamed to `path` only once everything is written (and synced, if `opts.sync`). If
/// anything fails or `ctl.cancel` is set, even during the final sync, the temporary file is
/// removed and `path` is left untouched: an existing file under that name is replaced only
/// by a complete one. Temporaries left by earlier creations of `path` whose process is gone
/// (killed with SIGKILL) are removed.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("a.npy");
/// let opts = ooc::CreateOptions { fill: ooc::Fill::Value(2.5.into()), ..Default::default() };
/// ooc::create(&path, &[3, 4], &opts, &ooc::Control::default())?;
/// let a = ooc::NpyFile::open(&path)?;
/// assert_eq!(a.get(&[2, 3])?.to_f64(), 2.5);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn create(path: &Path, shape: &[usize], opts: &CreateOptions, ctl: &Control) -> Result<Header> {
    let data_bytes = check_shape(opts.dtype, shape)?;
    let header = Header::new(opts.dtype, shape.to_vec(), opts.fortran_order);
    let fill = match opts.fill {
        Fill::Value(v) => match v.cast(opts.dtype) {
            None => {
                return Err(OocError::Invalid(format!(
                    "fill value {v} does not fit dtype {}",
                    opts.dtype
                )))
            }
            // A value whose bytes are all zero is the hole left by a zero fill.
            Some(v) if v.is_zero_bits() => Fill::Zeros,
            Some(v) => Fill::Value(v),
        },
        f => f,
    };
    let out = NewNpy::begin(path, &header)?;
    let _task = ctl.task("create", data_bytes);
    // Zeros are the hole `finish` leaves by extending the file. Other fills are written
    // without extending first: on ext4, writing into a hole is several times slower than
    // appending.
    if fill != Fill::Zeros {
        write_chunks(out.file(), path, &header, fill, ctl)?;
    } else {
        ctl.progress.advance(data_bytes);
    }
    out.finish(opts.sync, ctl)?;
    Ok(header)
}
