//! Errors of the out-of-core crate.

use std::path::PathBuf;

/// Everything that can go wrong when opening, creating or reducing a `.npy` file.
///
/// Every variant that concerns a file names it, so that a message printed on its
/// own tells the user which file is at fault and what is wrong with it.
#[derive(Debug, thiserror::Error)]
pub enum OocError {
    /// An operating-system error while touching `path`.
    #[error("{}: {op}: {err}", path.display())]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// What was being done ("open", "read", "write", "rename"...).
        op: &'static str,
        /// The underlying error (part of the message, so not also a `source()`, which would
        /// print it twice in an error chain).
        err: std::io::Error,
    },
    /// The file does not start with the `.npy` magic string.
    #[error("{}: not a .npy file: bad magic (expected \"\\x93NUMPY\", found \"{found}\")", path.display())]
    BadMagic {
        /// The file concerned.
        path: PathBuf,
        /// The first bytes actually found, escaped.
        found: String,
    },
    /// The header is malformed or uses a feature this crate does not support.
    #[error("{}: bad .npy header: {reason}", path.display())]
    BadHeader {
        /// The file concerned.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The header's dtype is not one of f64, f32, i64, i32, u8, bool.
    #[error("{}: unsupported dtype {descr:?} (supported: f64, f32, i64, i32, u8, bool)", path.display())]
    UnsupportedDtype {
        /// The file concerned.
        path: PathBuf,
        /// The `descr` value of the header.
        descr: String,
    },
    /// The file size does not match what the header announces (truncated or padded file).
    #[error(
        "{}: file size does not match header: shape {shape:?} of {dtype} needs {expected} bytes \
         after the {offset}-byte header, but the file has {actual} (truncated or corrupt)",
        path.display()
    )]
    SizeMismatch {
        /// The file concerned.
        path: PathBuf,
        /// The shape announced by the header.
        shape: Vec<usize>,
        /// The dtype announced by the header.
        dtype: String,
        /// Header length in bytes.
        offset: u64,
        /// Data bytes the header implies.
        expected: u64,
        /// Data bytes the file actually has.
        actual: u64,
    },
    /// An index is outside the array.
    #[error("index {index:?} is out of bounds for shape {shape:?}")]
    OutOfBounds {
        /// The index asked for.
        index: Vec<usize>,
        /// The array's shape.
        shape: Vec<usize>,
    },
    /// An argument does not make sense (bad axis, bad shape, value out of range...).
    #[error("{0}")]
    Invalid(String),
    /// The shape asked for cannot be created.
    #[error("shape: {0}")]
    Shape(#[from] crate::shape::ShapeError),
    /// The file system cannot hold a file that large.
    #[error(
        "{}: the array needs a file of {bytes} bytes ({}), more than this file system (or the \
         process's file-size limit) allows",
        path.display(),
        runtime::size::human_bytes(*bytes)
    )]
    FileTooLarge {
        /// The file that was being created.
        path: PathBuf,
        /// The file's size: header and data.
        bytes: u64,
    },
    /// The worker threads asked for cannot be had (too many, or the system refused them).
    #[error(transparent)]
    Pool(#[from] runtime::pool::PoolError),
    /// An expression that does not compile or does not fit its inputs (the message's
    /// first line says what; a syntax error draws the expression on the lines after).
    #[error("{0}")]
    Expr(#[from] expr::ExprError),
    /// The operation was cancelled (for example by Ctrl-C); nothing was left under the final name.
    #[error("{}: interrupted; no file was created", path.display())]
    Interrupted {
        /// The file that was being created.
        path: PathBuf,
    },
}

/// Result type of this crate.
pub type Result<T> = std::result::Result<T, OocError>;

impl OocError {
    /// Wraps an I/O error with the file and the operation.
    pub fn io(path: impl Into<PathBuf>, op: &'static str, source: std::io::Error) -> Self {
        OocError::Io {
            path: path.into(),
            op,
            err: source,
        }
    }
}
