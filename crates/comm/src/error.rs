//! What can go wrong when passing messages.

/// An error from a communication call.
///
/// Collective calls report an error on the rank that detected it; the other
/// ranks of the collective may then wait forever on a real MPI job, which is
/// why a rank's work runs under [`crate::run_on_world`], which aborts the
/// whole job as soon as any rank fails.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CommError {
    /// A peer rank outside `0..size`.
    #[error("rank {rank} does not exist in a communicator of {size} rank(s)")]
    BadRank {
        /// The rank asked for.
        rank: usize,
        /// The communicator's size.
        size: usize,
    },
    /// A user tag outside `0..=MAX_TAG`.
    #[error("tag {tag} is out of range: user tags are 0..={max}", max = crate::MAX_TAG)]
    BadTag {
        /// The tag given.
        tag: i32,
    },
    /// A message longer than the buffer posted to receive it.
    #[error(
        "message from rank {from} (tag {tag}) holds {got} element(s) but the receive buffer holds only {capacity}"
    )]
    Truncated {
        /// The sending rank.
        from: usize,
        /// The message's tag.
        tag: i32,
        /// Elements in the message.
        got: usize,
        /// Elements the receive buffer holds.
        capacity: usize,
    },
    /// Buffers whose lengths do not fit the operation.
    #[error("{op}: {why}")]
    Length {
        /// The operation, e.g. `scatter_buf`.
        op: &'static str,
        /// What did not fit.
        why: String,
    },
    /// A message of a different element type or flavour than the receive expects.
    #[error("message from rank {from} (tag {tag}) carries {got}, but {expected} was expected")]
    TypeMismatch {
        /// The sending rank.
        from: usize,
        /// The message's tag.
        tag: i32,
        /// What the message carries.
        got: String,
        /// What the receive expected.
        expected: String,
    },
    /// An object that could not be serialised.
    #[error("could not serialise a message: {0}")]
    Encode(String),
    /// Bytes that could not be deserialised into the requested type.
    #[error("could not deserialise the message from rank {from} as {ty}: {why}")]
    Decode {
        /// The sending rank.
        from: usize,
        /// The requested type.
        ty: &'static str,
        /// The decoder's message.
        why: String,
    },
    /// The root of a collective did not provide the data only it can provide.
    #[error("{op}: the root rank {root} must provide the data")]
    MissingRootData {
        /// The operation.
        op: &'static str,
        /// The root rank.
        root: usize,
    },
    /// A peer of a [`crate::Local`] group exited (failed, or returned early)
    /// while this rank waited for it.
    #[error("rank {rank} waited for rank {peer} in {op}, but rank {peer} has exited")]
    PeerGone {
        /// The waiting rank.
        rank: usize,
        /// The rank that is gone.
        peer: usize,
        /// The operation that waited.
        op: &'static str,
    },
    /// A rank of a [`crate::Local`] group failed (returned an error or panicked).
    #[error("rank {rank} failed: {reason}")]
    RankFailed {
        /// The first rank to fail.
        rank: usize,
        /// Its error or panic message.
        reason: String,
    },
    /// A message too large for MPI's `int` counts.
    #[error("a message of {0} elements is too large for MPI (at most 2^31-1 per call)")]
    TooLarge(usize),
    /// The ranks of a [`crate::Local`] group could not all be started (no
    /// memory for their mailboxes, or the system refused a thread); none of
    /// them ran.
    #[error("cannot start {ranks} local rank(s): {why}")]
    CannotStart {
        /// The size of the group asked for.
        ranks: usize,
        /// What the system refused.
        why: String,
    },
    /// A group of zero ranks was asked for.
    #[error("a communicator needs at least one rank, got {0}")]
    NoRanks(usize),
    /// MPI was initialised by other code than `Mpi::init`.
    #[error("MPI was already initialised in this process by other code")]
    AlreadyInitialized,
}

/// Shorthand for results of communication calls.
pub type Result<T, E = CommError> = std::result::Result<T, E>;
