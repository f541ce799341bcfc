//! The one error type of the crate: every failure names the peer, file,
//! engine or argument it is about, in one line.

use std::path::PathBuf;

/// Anything that can go wrong in a cluster.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// Reading or writing a file (the connection file, a log).
    #[error("{}: {source}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The connection file is not what a controller writes.
    #[error("{}: not a cluster connection file: {why}", path.display())]
    ConnectionFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        why: String,
    },
    /// A socket operation with a peer failed.
    #[error("{peer}: {source}")]
    Io {
        /// Who the socket talks to (`controller at 127.0.0.1:4000`, `engine 2`).
        peer: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A frame that is not a valid message: truncated, oversized, badly
    /// signed, or undecodable.
    #[error("{peer}: {why}")]
    Protocol {
        /// Who sent it.
        peer: String,
        /// What is wrong with it.
        why: String,
    },
    /// The controller is gone (closed the connection, or never answered).
    #[error("the controller at {address} is not answering: {why}")]
    ControllerGone {
        /// Its address.
        address: String,
        /// What was seen.
        why: String,
    },
    /// A target specification (`all`, `0`, `1:8:2`) that cannot be parsed
    /// or names no engine.
    #[error("targets `{spec}`: {why}")]
    Targets {
        /// The specification as given.
        spec: String,
        /// What is wrong with it.
        why: String,
    },
    /// A task failed on an engine (the error is the engine's).
    #[error("engine {engine}: {message}")]
    Remote {
        /// The engine that ran (or was running) the task.
        engine: u64,
        /// What went wrong there.
        message: String,
    },
    /// The cluster refused a request before it reached an engine.
    #[error("{0}")]
    Refused(String),
    /// A value or statement that cannot be used as asked.
    #[error("{0}")]
    Value(String),
    /// A wait ran out of time.
    #[error("timed out after {0:.3} s waiting for results")]
    Timeout(f64),
}

/// The crate's result type.
pub type Result<T, E = ClusterError> = std::result::Result<T, E>;

impl ClusterError {
    /// A [`ClusterError::Io`] for `peer`.
    pub fn io(peer: impl Into<String>, source: std::io::Error) -> ClusterError {
        ClusterError::Io {
            peer: peer.into(),
            source,
        }
    }

    /// A [`ClusterError::Protocol`] for `peer`.
    pub fn protocol(peer: impl Into<String>, why: impl Into<String>) -> ClusterError {
        ClusterError::Protocol {
            peer: peer.into(),
            why: why.into(),
        }
    }
}
