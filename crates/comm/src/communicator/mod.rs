//! The communicator traits, one per chapter of MPI as in rsmpi: who the ranks
//! are ([`Communicator`]), messages between two ranks ([`PointToPoint`]) and
//! operations of all ranks together ([`Collectives`]).
//!
//! Each chapter comes in two flavours, like mpi4py's lowercase and uppercase
//! methods: the **object** flavour (`send`, `bcast`, …) moves any `serde`
//! value, serialised into bytes ([`codec`]); the **buffer** flavour
//! (`send_buf`, `bcast_buf`, …) moves slices of a [`crate::Scalar`] type as
//! raw memory into buffers the receiver preallocated. A backend implements the
//! byte and buffer methods; the object methods are provided on top of the
//! bytes.

pub(crate) mod checks;
pub(crate) mod codec;
mod collective;
mod point_to_point;
mod request;

pub use collective::Collectives;
pub use point_to_point::PointToPoint;
pub use request::{ObjectRecv, ObjectSend, Request};

/// A message tag. User tags are `0..=MAX_TAG`.
pub type Tag = i32;

/// The largest user tag (the smallest upper bound every MPI guarantees).
pub const MAX_TAG: Tag = 32767;

/// A group of ranks that exchange messages: rank `0..size`, each running the
/// same program (SPMD), as under `mpirun -np size`.
///
/// This trait says who the ranks are; its supertraits hold the messages:
/// [`PointToPoint`] calls name the peer rank and a tag, [`Collectives`] must be
/// called by every rank, in the same order. Generic code bounds on
/// `C: Communicator` and gets every method; code holding a concrete
/// communicator imports the chapter traits too (`use comm::traits::*`).
pub trait Communicator: PointToPoint + Collectives {
    /// This process's rank, `0..size`.
    fn rank(&self) -> usize;
    /// The number of ranks.
    fn size(&self) -> usize;
    /// The name of the processor (host) this rank runs on.
    fn processor_name(&self) -> String;
    /// Ends the whole job with `code` (MPI_Abort); on [`crate::Local`] ends
    /// this rank's thread, which makes [`crate::Local::run`] report a failure.
    fn abort(&self, code: i32) -> !;
    /// Whether [`abort`](Communicator::abort) ends every rank of the job, as
    /// MPI_Abort ends every process. It does not on [`crate::Local`], whose
    /// ranks are threads that [`crate::Local::run`] collects, so
    /// [`crate::run_on_world`] returns a rank's failure there instead.
    fn abort_ends_job(&self) -> bool;
}
