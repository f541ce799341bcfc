//! Message passing for hpcrs, as the course's mpi4py sections teach it.
//!
//! A [`Communicator`] is a group of ranks running the same program. It offers
//! what the course uses — rank, size, processor name, send/recv, sendrecv,
//! non-blocking isend/irecv with wait, bcast, scatter, gather, allgather,
//! reduce and allreduce (sum, prod, min, max), barrier — in two flavours,
//! like mpi4py's lowercase and uppercase methods:
//!
//! - **object**: any `serde` value, serialised with bincode (mpi4py pickles);
//! - **buffer** (`*_buf`): slices of plain numbers ([`Scalar`]), moved as raw
//!   memory into preallocated buffers with no serialisation.
//!
//! The methods are grouped by MPI chapter, as in rsmpi: [`Communicator`]
//! (who the ranks are), [`PointToPoint`] and [`Collectives`]; generic code
//! bounds on `C: Communicator` and gets them all, and [`traits`] imports them
//! at once for code that holds a concrete communicator.
//!
//! Two implementations: [`Local`] runs `n` ranks as threads of one process
//! (for tests and for machines without MPI), and `Mpi` (cargo feature `mpi`)
//! runs over a system MPI through the `mpi` crate (rsmpi), one rank per
//! process under `mpirun`. [`run_on_world`] runs a rank's work and ends the
//! whole job if it fails, so that no rank waits forever for a failed one.
//!
//! ```
//! use comm::traits::*;
//! use comm::{Local, Op};
//!
//! // Four ranks; each sends its rank to its left neighbour (the course's ring).
//! let got = Local::run(4, |comm| {
//!     let (rank, size) = (comm.rank(), comm.size());
//!     let left = (rank + size - 1) % size;
//!     let right = (rank + 1) % size;
//!     let from_right: usize = comm.sendrecv(&rank, left, right, 13).unwrap();
//!     let total = comm.allreduce(&(rank as f64), Op::Sum).unwrap();
//!     (from_right, total)
//! })
//! .unwrap();
//! assert_eq!(got, vec![(1, 6.0), (2, 6.0), (3, 6.0), (0, 6.0)]);
//! ```
#![deny(missing_docs)]

mod communicator;
pub mod conformance;
mod error;
mod launcher;
mod local;
#[cfg(feature = "mpi")]
mod mpi_impl;
mod partition;
mod run_on_world;
mod scalar;

pub use communicator::{
    Collectives, Communicator, ObjectRecv, ObjectSend, PointToPoint, Request, Tag, MAX_TAG,
};
pub use error::{CommError, Result};
pub use launcher::{
    launched_by_mpirun, launcher_local_rank_and_size, launcher_rank_and_size, MPI_LAUNCHER_VARS,
};
pub use local::{Local, LocalRecv, LocalSend, LOCAL_HOST};
#[cfg(feature = "mpi")]
pub use mpi_impl::{Mpi, MpiRecv, MpiSend};
pub use partition::block_range;
pub use run_on_world::{run_on_world, Failure, ABORT_CODE};
pub use scalar::{Op, Operand, Scalar};

/// Whether this build has the MPI backend (the cargo feature `mpi`).
pub const HAS_MPI: bool = cfg!(feature = "mpi");

/// The communicator traits, to import at once (`use comm::traits::*`) where
/// code calls methods on a concrete communicator such as [`Local`].
pub mod traits {
    pub use crate::{Collectives, Communicator, PointToPoint, Request};
}
