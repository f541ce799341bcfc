//! The crate's error type.

use std::path::PathBuf;

/// The crate's results: `Result<T>` is `Result<T, DiffusionError>`.
pub type Result<T, E = DiffusionError> = std::result::Result<T, E>;

/// What can go wrong when setting up, running or saving a diffusion problem.
///
/// Every variant that comes from a file names the file (and the line, for the
/// parameters file), so the binary can print it as is.
#[derive(Debug, thiserror::Error)]
pub enum DiffusionError {
    /// A parameter value that makes no sense for the problem.
    #[error("parameter {name} {why}")]
    BadParameter {
        /// The parameter's name as written in the parameters file.
        name: &'static str,
        /// Why the value was refused.
        why: String,
    },
    /// A parameter value that makes no sense, with where it was set
    /// (`file:line`, `--set name=value`).
    #[error("{at}: parameter {name} {why}")]
    BadParameterAt {
        /// Where the value came from.
        at: String,
        /// The parameter's name.
        name: &'static str,
        /// Why the value was refused.
        why: String,
    },
    /// A line of a parameters file (or a `--set` override) that cannot be read.
    #[error("{at}: {why}")]
    Syntax {
        /// `file:line` or `--set ...`.
        at: String,
        /// What is wrong with it.
        why: String,
    },
    /// A file that cannot be read or written.
    // The OS error is part of the message rather than a `source`, so that
    // `anyhow`'s `{:#}` does not print it twice.
    #[error("{path}: {error}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        error: std::io::Error,
    },
    /// A checkpoint file that is damaged or does not belong to this run.
    #[error("checkpoint {path}: {why}")]
    Checkpoint {
        /// The checkpoint file.
        path: PathBuf,
        /// What is wrong with it.
        why: String,
    },
    /// A backend that cannot run here: not in this build, not a backend of
    /// this workload, or not startable (MPI that fails to start).
    #[error("backend `{backend}` is not available: {why}")]
    BackendUnavailable {
        /// The backend's name.
        backend: String,
        /// Why, and how to get it.
        why: String,
    },
    /// A backend name that does not exist.
    #[error(transparent)]
    UnknownBackend(#[from] runtime::UnknownName),
    /// A thread count that cannot be used.
    #[error(transparent)]
    Threads(#[from] runtime::pool::PoolError),
    /// The expression engine refused the update (the `expr` backend).
    #[error(transparent)]
    Expr(#[from] expr::ExprError),
    /// A message between MPI ranks failed (the `mpi` backend).
    #[error(transparent)]
    Comm(#[from] comm::CommError),
    /// The ranks of a distributed run cannot go on: a grid too small for
    /// them, or a rank that does not follow the protocol.
    #[error("diff2d --backend mpi: {why}")]
    Distributed {
        /// What went wrong.
        why: String,
    },
    /// [`crate::solve`] ran on an MPI rank that served rank 0's run, so the
    /// result is on rank 0, not here.
    #[error("this MPI rank served the run of rank 0, which holds the result")]
    Served,
    /// Writing a picture failed.
    #[error("graphics {path}: {why}")]
    Graphics {
        /// The picture file.
        path: PathBuf,
        /// What went wrong.
        why: String,
    },
}

impl From<runtime::atomic::WriteError> for DiffusionError {
    fn from(e: runtime::atomic::WriteError) -> Self {
        DiffusionError::Io {
            path: e.path,
            error: e.source,
        }
    }
}

impl DiffusionError {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, error: std::io::Error) -> Self {
        DiffusionError::Io {
            path: path.into(),
            error,
        }
    }
}
