//! The ranks a distributed context runs on: a [`Communicator`] behind an
//! object-safe interface with the collectives the engine needs (gather to
//! all, all-to-all, sharing checks, abort), and where partitions live.
//!
//! Every rank runs the same program (SPMD): the same datasets, the same
//! actions, in the same order, so the collectives of one rank always meet
//! the same collectives on the others.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};

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
    /// Sends the messages `parts[r]` to rank `r` and returns the messages
    /// each rank sent to this one, in rank order. Each message travels as
    /// it is (no copy into one buffer); this rank's own are moved.
    fn alltoall(&self, parts: Vec<Vec<Vec<u8>>>) -> Result<Vec<Vec<Vec<u8>>>>;
    /// Shares the outcome of this rank's checks before a job (a missing
    /// input): an error at once, with every rank, which then all return
    /// the error of the lowest rank that failed; success in front of the
    /// next collective, so a job's first stage runs before any rank waits
    /// for another (or for its communicator). Every rank meets the others
    /// at the same point either way: its first collective after the checks.
    fn checked(&self, outcome: Result<()>) -> Result<()>;
    /// Ends the whole job (MPI_Abort); on threads, ends this rank's thread.
    fn abort(&self, code: i32) -> !;
}

impl<R: Ranks + ?Sized> Ranks for Arc<R> {
    fn rank(&self) -> usize {
        (**self).rank()
    }
    fn size(&self) -> usize {
        (**self).size()
    }
    fn allgather(&self, bytes: Vec<u8>) -> Result<Vec<Vec<u8>>> {
        (**self).allgather(bytes)
    }
    fn alltoall(&self, parts: Vec<Vec<Vec<u8>>>) -> Result<Vec<Vec<Vec<u8>>>> {
        (**self).alltoall(parts)
    }
    fn checked(&self, outcome: Result<()>) -> Result<()> {
        (**self).checked(outcome)
    }
    fn abort(&self, code: i32) -> ! {
        (**self).abort(code)
    }
}

/// Where a rank's communicator is.
enum Link<C> {
    /// Not yet handed over (see [`Connector`]).
    Waiting,
    Ready(C),
    /// It never will be: why.
    Failed(String),
}

/// A communicator used by one thread at a time (the one running actions),
/// present from the start or handed over later by a [`Connector`]: the
/// rank's work runs until its first collective, which waits for it.
pub(crate) struct OnComm<C> {
    link: Mutex<Link<C>>,
    arrived: Condvar,
    /// Checks passed that the other ranks have not heard of yet.
    unshared_check: AtomicBool,
    rank: usize,
    size: usize,
}

impl<C: Communicator> OnComm<C> {
    pub(crate) fn new(comm: C) -> Self {
        let (rank, size) = (comm.rank(), comm.size());
        OnComm {
            link: Mutex::new(Link::Ready(comm)),
            arrived: Condvar::new(),
            unshared_check: AtomicBool::new(false),
            rank,
            size,
        }
    }

    /// Rank `rank` of `size`, whose communicator comes later.
    fn waiting(rank: usize, size: usize) -> Self {
        OnComm {
            link: Mutex::new(Link::Waiting),
            arrived: Condvar::new(),
            unshared_check: AtomicBool::new(false),
            rank,
            size,
        }
    }

    /// Puts the communicator (or why there is none) in place.
    fn arrive(&self, link: Link<C>) {
        *self.link.lock().unwrap_or_else(|e| e.into_inner()) = link;
        self.arrived.notify_all();
    }

    /// Runs `f` on the communicator once it is there, after sharing any
    /// checks this rank passed.
    fn with<R>(&self, f: impl FnOnce(&C) -> comm::Result<R>) -> Result<R> {
        let mut link = self.link.lock().unwrap_or_else(|e| e.into_inner());
        while let Link::Waiting = *link {
            link = self.arrived.wait(link).unwrap_or_else(|e| e.into_inner());
        }
        let comm = match &*link {
            Link::Ready(comm) => comm,
            Link::Failed(why) => return Err(DatasetError::Comm(why.clone())),
            Link::Waiting => unreachable!("waited for above"),
        };
        if self.unshared_check.swap(false, Ordering::Relaxed) {
            let all = comm.allgather_bytes(frame(Ok(Vec::new())));
            unframe(all.map_err(comm_error)?, self.size)?;
        }
        f(comm).map_err(comm_error)
    }
}

/// A communicator's error as the engine's.
fn comm_error(e: comm::CommError) -> DatasetError {
    DatasetError::Comm(e.to_string())
}

impl<C: Communicator + Send> Ranks for OnComm<C> {
    fn rank(&self) -> usize {
        self.rank
    }

    fn size(&self) -> usize {
        self.size
    }

    fn checked(&self, outcome: Result<()>) -> Result<()> {
        match outcome {
            Ok(()) => {
                self.unshared_check.store(true, Ordering::Relaxed);
                Ok(())
            }
            Err(e) => {
                // Replaces the success not yet shared, if any: one
                // collective either way.
                self.unshared_check.store(false, Ordering::Relaxed);
                let all = self.with(|c| c.allgather_bytes(frame(Err(e))))?;
                unframe(all, self.size).map(|_| ())
            }
        }
    }

    fn allgather(&self, bytes: Vec<u8>) -> Result<Vec<Vec<u8>>> {
        self.with(|c| c.allgather_bytes(bytes))
    }

    fn alltoall(&self, parts: Vec<Vec<Vec<u8>>>) -> Result<Vec<Vec<Vec<u8>>>> {
        let (rank, size) = (self.rank, self.size);
        debug_assert_eq!(parts.len(), size);
        self.with(|c| {
            let mut mine = Vec::new();
            // Sends are buffered on both backends: post every send, then
            // receive, and no pair of ranks can wait on each other. Each
            // rank's messages follow their count.
            for (dest, messages) in parts.into_iter().enumerate() {
                if dest == rank {
                    mine = messages;
                    continue;
                }
                c.send_bytes(
                    (messages.len() as u64).to_le_bytes().to_vec(),
                    dest,
                    EXCHANGE_TAG,
                )?;
                for message in messages {
                    c.send_bytes(message, dest, EXCHANGE_TAG)?;
                }
            }
            let mut got = Vec::with_capacity(size);
            for source in 0..size {
                if source == rank {
                    got.push(std::mem::take(&mut mine));
                    continue;
                }
                let count = c.recv_bytes(source, EXCHANGE_TAG)?;
                let count =
                    <[u8; 8]>::try_from(&count[..]).map_err(|_| comm::CommError::Decode {
                        from: source,
                        ty: "u64",
                        why: format!("a message count of {} bytes", count.len()),
                    })?;
                let count = u64::from_le_bytes(count) as usize;
                let mut messages = Vec::with_capacity(count.min(1 << 16));
                for _ in 0..count {
                    messages.push(c.recv_bytes(source, EXCHANGE_TAG)?);
                }
                got.push(messages);
            }
            Ok(got)
        })
    }

    fn abort(&self, code: i32) -> ! {
        let mut link = self.link.lock().unwrap_or_else(|e| e.into_inner());
        while let Link::Waiting = *link {
            link = self.arrived.wait(link).unwrap_or_else(|e| e.into_inner());
        }
        match &*link {
            Link::Ready(comm) => comm.abort(code),
            _ => panic!(
                "rank {} ends the job (code {code}) without a communicator",
                self.rank
            ),
        }
    }
}

/// Hands a context made by
/// [`ContextBuilder::build_pending`](crate::ContextBuilder::build_pending)
/// its communicator once it exists (MPI_Init done), so that the rank's first
/// stage runs while MPI starts. The context's first collective waits for
/// it; dropped without [`connect`](Connector::connect), the collectives
/// fail instead of waiting.
pub struct Connector<C: Communicator + Send + 'static> {
    /// `None` for a context of one rank, which needs no communicator.
    target: Option<Arc<OnComm<C>>>,
    rank: usize,
    size: usize,
}

impl<C: Communicator + Send + 'static> Connector<C> {
    /// Rank `rank` of `size` and the context side it will connect.
    pub(crate) fn new(rank: usize, size: usize) -> (Self, Option<Arc<OnComm<C>>>) {
        let target = (size > 1).then(|| Arc::new(OnComm::waiting(rank, size)));
        let connector = Connector {
            target: target.clone(),
            rank,
            size,
        };
        (connector, target)
    }

    /// Gives the context `comm`, which must be rank `rank` of `size` as the
    /// context was built for; otherwise an error, and the context's
    /// collectives fail with it.
    pub fn connect(mut self, comm: C) -> Result<()> {
        let (rank, size) = (comm.rank(), comm.size());
        if (rank, size) != (self.rank, self.size) {
            let why = format!(
                "the context was built for rank {} of {}, but the communicator is rank {rank} of {size}",
                self.rank, self.size
            );
            if let Some(target) = self.target.take() {
                target.arrive(Link::Failed(why.clone()));
            }
            return Err(DatasetError::Comm(why));
        }
        if let Some(target) = self.target.take() {
            target.arrive(Link::Ready(comm));
        }
        Ok(())
    }

    /// There will be no communicator: the context's collectives fail with
    /// `why` (the communicator's own error, say).
    pub fn fail(mut self, why: &str) {
        if let Some(target) = self.target.take() {
            target.arrive(Link::Failed(why.to_string()));
        }
    }
}

impl<C: Communicator + Send + 'static> Drop for Connector<C> {
    fn drop(&mut self) {
        if let Some(target) = self.target.take() {
            target.arrive(Link::Failed(format!(
                "rank {} of {}: no communicator was connected",
                self.rank, self.size
            )));
        }
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

/// The all-to-all form of [`share`]: `Ok` with the messages for each rank,
/// or this rank's error (which every rank then gets). Returns the messages
/// each rank sent this one, in rank order, or the error of the lowest rank
/// that failed. Each rank's outcome travels in a small first message of
/// its own, so the messages themselves go as they are.
pub(crate) fn share_each(
    ranks: &dyn Ranks,
    mine: Result<Vec<Vec<Vec<u8>>>>,
) -> Result<Vec<Vec<Vec<u8>>>> {
    let size = ranks.size();
    let parts = match mine {
        Ok(parts) => parts
            .into_iter()
            .map(|messages| {
                let mut with_status = Vec::with_capacity(messages.len() + 1);
                with_status.push(frame(Ok(Vec::new())));
                with_status.extend(messages);
                with_status
            })
            .collect(),
        Err(e) => vec![vec![frame(Err(e))]; size],
    };
    let mut all = ranks.alltoall(parts)?;
    let statuses = all
        .iter_mut()
        .enumerate()
        .map(|(rank, messages)| match messages.is_empty() {
            true => Err(DatasetError::Comm(format!(
                "rank {rank} sent no shuffle status"
            ))),
            false => Ok(messages.remove(0)),
        })
        .collect::<Result<Vec<_>>>()?;
    unframe(statuses, size)?;
    Ok(all)
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
