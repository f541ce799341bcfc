//! What can go wrong while profiling or writing the reports.

use std::path::PathBuf;

/// An error of the profiler: starting it, stopping it or writing a report.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// A sampling rate outside [`Rate::MIN`](crate::Rate::MIN) to
    /// [`Rate::MAX`](crate::Rate::MAX).
    #[error("sampling rate `{given}` is not a whole number of hertz from {min} to {max}")]
    Rate {
        /// The rate asked for, as given.
        given: String,
        /// The lowest rate accepted.
        min: u32,
        /// The highest rate accepted.
        max: u32,
    },
    /// Another profiler is running in this process (the sampler and the
    /// phase recorder are process-wide: one profiler at a time).
    #[error("a profiler is already running in this process")]
    AlreadyRunning,
    /// The heap view was asked for, but the program's global allocator does
    /// not call the [`crate::memory`] hooks.
    #[error("the memory view needs the program's global allocator to call profile::memory's hooks, and it does not")]
    NoCountingAllocator,
    /// The sampler (its signal handler, timer or table) could not start.
    #[error("the sampler could not start: {0}")]
    Sampler(String),
    /// Building one of the report's files failed.
    #[error("{file}: {why}")]
    Render {
        /// The file being built.
        file: &'static str,
        /// Why.
        why: String,
    },
    /// Writing a report file (or creating its directory) failed.
    #[error(transparent)]
    Write(#[from] runtime::atomic::WriteError),
    /// The output directory could not be created.
    #[error("creating {}: {source}", path.display())]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}
