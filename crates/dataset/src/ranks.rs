//! The ranks a distributed context runs on: a [`Communicator`] behind an
//! object-safe interface with the three collectives the engine needs
//! (gather to all, all-to-all, abort), and where partitions live.
//!
//! Every rank runs the same program (SPMD): the same datasets, the same
//! actions, in the same order, so the collectives of one rank always meet
//! the same collectives on the others.

use std::sync::Mutex;

use comm::Communicator;

use crate::error::{DatasetError, Result};

/// The tag of the engine's point-to-point messages (all-to-all): the
/// context owns its communicator, and messages between two ranks arrive in
/// the order sent, so one tag suffices.
const EXCHANGE_TAG: comm::Tag = 7;

/// The collectives of a group of ranks, as the engine uses them.
pub(crate) trait Ranks: Send + Sync {
    /// This rank, `0..size`.
    fn rank(&self) -> usize;
    /// The number of ranks.
    fn size(&self) -> usize;
    /// Every rank's `bytes`, in rank order, on every rank.
    fn allgather(&self, bytes: Vec<u8>) -> Result<Vec<Vec<u8>>>;
    /// Sends `parts[r]` to rank `r` and returns what each rank sent to this
    /// one, in rank order (this rank's own part is moved, not copied).
    fn alltoall(&self, parts: Vec<Vec<u8>>) -> Result<Vec<Vec<u8>>>;
    /// Ends the whole job (MPI_Abort); on threads, ends this rank's thread.
    fn abort(&self, code: i32) -> !;
}

/// A communicator used by one thread at a time (the one running actions).
pub(crate) struct OnComm<C> {
    comm: Mutex<C>,
    rank: usize,
    size: usize,
}

impl<C: Communicator> OnComm<C> {
    pub(crate) fn new(comm: C) -> Self {
        let (rank, size) = (comm.rank(), comm.size());
        OnComm {
            comm: Mutex::new(comm),
            rank,
            size,
        }
    }

    fn with<R>(&self, f: impl FnOnce(&C) -> comm::Result<R>) -> Result<R> {
        let comm = self.comm.lock().unwrap_or_else(|e| e.into_inner());
        f(&comm).map_err(|e| DatasetError::Comm(e.to_string()))
    }
}

impl<C: Communicator + Send> Ranks for OnComm<C> {
    fn rank(&self) -> usize {
        self.rank
    }

    fn size(&self) -> usize {
        self.size
    }

    fn allgather(&self, bytes: Vec<u8>) -> Result<Vec<Vec<u8>>> {
        self.with(|c| c.allgather_bytes(bytes))
    }

    fn alltoall(&self, parts: Vec<Vec<u8>>) -> Result<Vec<Vec<u8>>> {
        let (rank, size) = (self.rank, self.size);
        debug_assert_eq!(parts.len(), size);
        self.with(|c| {
            let mut mine = Vec::new();
            // Sends are buffered on both backends: post every send, then
            // receive, and no pair of ranks can wait on each other.
            for (dest, part) in parts.into_iter().enumerate() {
                if dest == rank {
                    mine = part;
                } else {
                    c.send_bytes(part, dest, EXCHANGE_TAG)?;
                }
            }
            let mut got = Vec::with_capacity(size);
            for source in 0..size {
                if source == rank {
                    got.push(std::mem::take(&mut mine));
                } else {
                    got.push(c.recv_bytes(source, EXCHANGE_TAG)?);
                }
            }
            Ok(got)
        })
    }

    fn abort(&self, code: i32) -> ! {
        let comm = self.comm.lock().unwrap_or_else(|e| e.into_inner());
        comm.abort(code)
    }
}

/// The rank that holds partition `partition` of a shuffle's output (and so
/// runs its reduce task), out of `ranks`: partitions are dealt round-robin.
pub(crate) fn reducer_home(partition: usize, ranks: usize) -> usize {
    partition % ranks
}

/// Shares how this rank's part of a step went, `Ok` with its bytes or its
/// error, with every rank. Returns every rank's bytes in rank order, or, the
/// same on every rank, the error of the lowest rank that failed.
pub(crate) fn share(ranks: &dyn Ranks, mine: Result<Vec<u8>>) -> Result<Vec<Vec<u8>>> {
    unframe(ranks.allgather(frame(mine))?, ranks.size())
}

/// The all-to-all form of [`share`]: `Ok` with one part per rank, or this
/// rank's error (which every rank then gets). Returns the part each rank
/// sent this one, in rank order, or the error of the lowest rank that failed.
pub(crate) fn share_each(ranks: &dyn Ranks, mine: Result<Vec<Vec<u8>>>) -> Result<Vec<Vec<u8>>> {
    let size = ranks.size();
    let parts = match mine {
        Ok(parts) => parts.into_iter().map(|p| frame(Ok(p))).collect(),
        Err(e) => vec![frame(Err(e)); size],
    };
    unframe(ranks.alltoall(parts)?, size)
}

/// What a rank's bytes end with: whether they are its result or its error.
const OK: u8 = 0;
const FAILED: u8 = 1;

/// Bytes followed by [`OK`], or the error's message followed by [`FAILED`].
fn frame(outcome: Result<Vec<u8>>) -> Vec<u8> {
    match outcome {
        Ok(mut bytes) => {
            bytes.push(OK);
            bytes
        }
        Err(e) => {
            let mut bytes = e.to_string().into_bytes();
            bytes.push(FAILED);
            bytes
        }
    }
}

/// Every rank's bytes without their status byte, or the first failure.
fn unframe(all: Vec<Vec<u8>>, size: usize) -> Result<Vec<Vec<u8>>> {
    let mut out = Vec::with_capacity(all.len());
    for (rank, mut bytes) in all.into_iter().enumerate() {
        match bytes.pop() {
            Some(OK) => out.push(bytes),
            Some(FAILED) => {
                return Err(DatasetError::RankFailed {
                    rank,
                    ranks: size,
                    cause: String::from_utf8_lossy(&bytes).into_owned(),
                })
            }
            _ => {
                return Err(DatasetError::Comm(format!(
                    "rank {rank} sent a malformed message"
                )))
            }
        }
    }
    Ok(out)
}
