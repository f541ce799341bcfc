//! What can go wrong with processes, shared memory, locks, queues and pools.

use std::time::Duration;

use crate::exit::Exit;

/// Every error of this crate. Each is one line naming the process, task,
/// object or system call concerned.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A system call failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A value that could not be encoded for another process.
    #[error("cannot encode {what}: {why}")]
    Encode {
        /// What was being encoded.
        what: String,
        /// Why not.
        why: String,
    },
    /// Bytes from another process that do not decode to the expected type.
    #[error("cannot decode {what}: {why}")]
    Decode {
        /// What was being decoded.
        what: String,
        /// Why not.
        why: String,
    },
    /// `fork` asked for while the process runs more than one thread.
    #[error("cannot fork: this process runs {threads} threads, and a forked child gets a copy of only the calling one (locks held by the others stay locked forever); use the spawn start method")]
    ForkWithThreads {
        /// The number of threads counted.
        threads: usize,
    },
    /// `fork` asked for without a way to count the process's threads.
    #[error("cannot fork: no thread counter was given (Context::with_thread_counter), so a single thread cannot be checked; use the spawn start method")]
    NoThreadCounter,
    /// The child was asked to run a function its registry does not have.
    #[error("no function named `{0}` is registered in the child program")]
    UnknownFunction(String),
    /// A function registered twice under one name.
    #[error("a function named `{0}` is already registered")]
    DuplicateFunction(String),
    /// The function panicked in the child.
    #[error("`{name}` panicked in process {pid}: {message}")]
    Panicked {
        /// The function.
        name: String,
        /// The child's process id.
        pid: u32,
        /// The panic's message.
        message: String,
    },
    /// The child ended without answering (killed by a signal, or exited).
    #[error("process {pid} running `{name}` {exit} before answering")]
    Died {
        /// The function.
        name: String,
        /// The child's process id.
        pid: u32,
        /// How it ended.
        exit: Exit,
    },
    /// The child could not run the function (bad arguments, unknown name).
    #[error("process {pid} could not run `{name}`: {why}")]
    ChildFailed {
        /// The function.
        name: String,
        /// The child's process id.
        pid: u32,
        /// Why.
        why: String,
    },
    /// The process holding a lock died while holding it. The lock has been
    /// released and works again, but what it protected may be half-updated.
    #[error("the {what} was held by a process or thread that died; what it protects may be inconsistent")]
    OwnerDied {
        /// Which kind of object ("lock", "shared value", ...).
        what: &'static str,
    },
    /// A wait that did not end in time.
    #[error("{what}: timed out after {after:?}")]
    Timeout {
        /// What was waited for.
        what: &'static str,
        /// The timeout.
        after: Duration,
    },
    /// The other end of a queue or pipe is closed (or this end was).
    #[error("{0}: closed")]
    Closed(&'static str),
    /// A message larger than a queue or pipe carries.
    #[error("{what}: a message of {bytes} bytes is more than the {max} allowed")]
    TooLarge {
        /// The queue or pipe.
        what: &'static str,
        /// The encoded size.
        bytes: usize,
        /// The limit.
        max: usize,
    },
    /// An argument out of range (zero workers, an empty array...).
    #[error("{0}")]
    Invalid(String),
    /// A pool task that failed: its function panicked, or its worker died.
    #[error("task {task} failed in pool worker {worker} (pid {pid}): {why}")]
    Task {
        /// The task's index in its call (the item for `map`).
        task: usize,
        /// The worker's number in the pool.
        worker: usize,
        /// The worker's process id.
        pid: u32,
        /// What happened.
        why: String,
    },
    /// Work given to a pool after `close` or `terminate`.
    #[error("the pool is {0}: it takes no more work")]
    PoolStopped(&'static str),
}

impl Error {
    /// An [`Error::Io`] from the last OS error.
    pub(crate) fn last_os(what: impl Into<String>) -> Error {
        Error::Io {
            what: what.into(),
            source: std::io::Error::last_os_error(),
        }
    }

    /// An [`Error::Io`] with `source`.
    pub(crate) fn io(what: impl Into<String>, source: std::io::Error) -> Error {
        Error::Io {
            what: what.into(),
            source,
        }
    }
}

/// This crate's results.
pub type Result<T, E = Error> = std::result::Result<T, E>;
