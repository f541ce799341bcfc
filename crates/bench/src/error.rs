//! What can stop the bench as a whole (a failing row does not: its error is
//! in its row).

use runtime::pool::PoolError;

/// What can stop the bench as a whole.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// No runs asked for.
    #[error("--runs must be at least 1, got 0")]
    NoRuns,
    /// A thread count that cannot be used.
    #[error(transparent)]
    Threads(#[from] PoolError),
    /// The temporary directory for the peers.
    #[error("cannot create a temporary directory for the peers: {0}")]
    TempDir(std::io::Error),
    /// The diff2d problem could not be set up.
    #[error("diff2d problem: {0}")]
    Problem(#[from] diffusion::DiffusionError),
}
