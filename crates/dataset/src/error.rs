//! The one error type of the crate.

use std::path::PathBuf;

/// Everything an action can fail with.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    /// A file or directory could not be read or written.
    #[error("{}: {error}", path.display())]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// What the operating system said (part of the message, so not
        /// repeated as a `source()`).
        error: std::io::Error,
    },
    /// A task failed on every attempt; `cause` is the last failure.
    #[error("stage {stage} ({stage_name}), partition {partition}: task failed {attempts} time(s); last cause: {cause}")]
    TaskFailed {
        /// Stage id (numbered per context, in the order stages run).
        stage: usize,
        /// What the stage computes, with the call site that created it.
        stage_name: String,
        /// The partition whose task failed.
        partition: usize,
        /// How many attempts were made.
        attempts: usize,
        /// The last failure: a panic message or an error.
        cause: String,
    },
    /// Shuffle data written to disk could not be read back.
    #[error("corrupt spill file {}: {reason}", path.display())]
    CorruptSpill {
        /// The spill file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// A thread count that cannot be used (see `runtime::pool`).
    #[error(transparent)]
    Threads(#[from] runtime::pool::PoolError),
    /// An argument that makes no sense (zero partitions, say).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// An action that needs at least one element (`first`, `reduce`, `max`,
    /// …) ran on an empty dataset, as Spark's "RDD is empty".
    #[error("{0}: dataset is empty")]
    Empty(&'static str),
    /// `pipe`'s command could not run or exited unsuccessfully.
    #[error("pipe through `{command}`: {reason}")]
    Pipe {
        /// The command line as given.
        command: String,
        /// What went wrong: the exit status, or why it could not start.
        reason: String,
    },
    /// A rank of a distributed context failed; every rank reports this same
    /// error, with the failed rank's own message (which names the stage and
    /// the cause).
    #[error("rank {rank} of {ranks}: {cause}")]
    RankFailed {
        /// The failed rank (the lowest one, if several failed).
        rank: usize,
        /// The number of ranks.
        ranks: usize,
        /// What went wrong there.
        cause: String,
    },
    /// The ranks of a distributed context could not exchange data.
    #[error("message passing between ranks failed: {0}")]
    Comm(String),
    /// `save_as_text_file` refuses to overwrite an existing output, as Spark does.
    #[error("output directory {} already exists", .0.display())]
    OutputExists(PathBuf),
}

/// Result of every fallible operation of the crate.
pub type Result<T, E = DatasetError> = std::result::Result<T, E>;

impl From<runtime::atomic::WriteError> for DatasetError {
    fn from(e: runtime::atomic::WriteError) -> Self {
        DatasetError::io(e.path, e.source)
    }
}

impl DatasetError {
    /// An I/O error about `path`.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        DatasetError::Io {
            path: path.into(),
            error: source,
        }
    }
}
