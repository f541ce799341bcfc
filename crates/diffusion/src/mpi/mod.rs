//! The `mpi` backend: the grid's interior rows split across the ranks of a
//! [`Communicator`](comm::Communicator), ghost rows exchanged every few
//! steps.
//!
//! **Decomposition** (`block.rs`). Each rank owns a contiguous block of
//! interior rows plus a halo of `d` rows on each side, refreshed by one
//! non-blocking exchange every `d` steps (`d` = [`DEFAULT_HALO_DEPTH`] or
//! [`StepperOptions::depth`](crate::StepperOptions::depth); 1 is the
//! textbook exchange every step), overlapped with the rows that need no
//! halo. Why deep halos: a step of the default problem is little work per
//! rank, so a message exchange (and a chance for a busy machine to
//! deschedule a rank) every step costs more than the few rows computed
//! twice. Every cell gets exactly the arithmetic of the `naive` and
//! `threads` backends, so the result is the same to the last bit for any
//! number of ranks.
//!
//! **Protocol** (`protocol.rs`). The run loop ([`crate::Simulation::run`])
//! runs on rank 0 with a [`DistributedStepper`]: each `advance` broadcasts
//! the number of steps to the other ranks, steps together with them, and
//! gathers the blocks into rank 0's density, so that the loop's outputs,
//! pictures and checkpoints see the whole field. Outputs that only print the
//! time do not read it ([`crate::Observer::reads_density`]): their stretches
//! run as [`Stepper::advance_unseen`](crate::Stepper::advance_unseen), which
//! steps without gathering, so the ranks do not stop to send their blocks
//! at every output. The other ranks' steppers
//! ([`Server`]) serve in [`Stepper::serve`](crate::Stepper::serve) until
//! rank 0's stepper is dropped, and their run loop returns
//! [`Outcome::Served`](crate::Outcome::Served).
//!
//! **Waiting.** Every wait for a message — a halo, a command, a block —
//! polls with pauses (comm's MPI waits, on `runtime::backoff`): a rank that
//! waits gives its core away instead of spinning, so that on a loaded
//! machine the rank it waits for can run there.
//!
//! **Failures.** Errors are returned on the rank that meets them. The other
//! ranks may then wait for it forever, so a program runs a distributed job
//! under something that aborts the whole job when a rank fails (`hpcrs`
//! uses comm's); a failed [`DistributedStepper`] does not release the
//! servers.

mod balance;
mod block;
mod protocol;
#[cfg(feature = "mpi")]
mod world;

pub use protocol::{rank_stepper, DistributedStepper, RankStepper, Server};
#[cfg(feature = "mpi")]
pub use world::world_stepper;

/// Steps per halo exchange unless [`StepperOptions::depth`](crate::StepperOptions::depth)
/// says otherwise. Each exchange is a meeting of neighbours, where a rank
/// that the scheduler has set aside (a busy machine) stalls the others:
/// 16 steps of the default problem (about 0.7 ms of work per rank on two
/// ranks) make few meetings, for 7.5 rows per side per step computed twice
/// (5% of a rank's 150 rows).
pub const DEFAULT_HALO_DEPTH: usize = 16;
