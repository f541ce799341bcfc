//! Creating a `.npy` file: what it holds, and writing it whole or not at all.

use std::os::unix::fs::FileExt;
use std::path::Path;

use crate::control::Control;
use crate::dtype::DType;
use crate::error::{OocError, Result};
use crate::header::Header;
use crate::scalar::Scalar;
use crate::shape::check_shape;
use crate::stale::{create_locked, remove_stale_temporaries};
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
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.is_dir() {
            return Err(OocError::io(
                dir,
                "cannot create a file in it",
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such directory"),
            ));
        }
    }
    remove_stale_temporaries(path);
    let out = create_locked(path)?;
    let _task = ctl.task("create", data_bytes);
    let file = out.file();
    let total = header.data_offset + data_bytes;
    probe_size(file, path, total)?;
    file.write_all_at(&header.to_bytes(), 0)
        .map_err(|e| OocError::io(path, "write", e))?;
    // Zeros are a hole made by extending the file. Other fills are written without
    // extending first: on ext4, writing into a hole is several times slower than appending.
    if fill != Fill::Zeros {
        write_chunks(file, path, &header, fill, ctl)?;
    }
    file.set_len(total)
        .map_err(|e| OocError::io(path, "resize", e))?;
    if fill == Fill::Zeros {
        ctl.progress.advance(data_bytes);
    }
    let interrupted = || OocError::Interrupted { path: path.into() };
    if ctl.cancelled() {
        return Err(interrupted());
    }
    let committed = if opts.sync {
        file.sync_all()
            .map_err(|e| OocError::io(path, "fsync", e))?;
        // The flush of a large file takes seconds: a Ctrl-C during it still cancels.
        if ctl.cancelled() {
            return Err(interrupted());
        }
        out.commit()
    } else {
        out.commit_unsynced()
    };
    committed.map_err(|e| OocError::io(e.path, "rename into place", e.source))?;
    Ok(header)
}

/// Checks, before anything is written, that the file system lets a file grow to `total`
/// bytes: the still empty temporary is extended (a hole, no disk space) and cut back.
fn probe_size(file: &std::fs::File, path: &Path, total: u64) -> Result<()> {
    match file.set_len(total) {
        Err(e) if e.kind() == std::io::ErrorKind::FileTooLarge => Err(OocError::FileTooLarge {
            path: path.into(),
            bytes: total,
        }),
        Err(e) => Err(OocError::io(path, "resize", e)),
        Ok(()) => file.set_len(0).map_err(|e| OocError::io(path, "resize", e)),
    }
}
