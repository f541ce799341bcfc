//! Running one rank's work so that a failure on any rank ends the whole job:
//! on MPI the other ranks would otherwise wait forever for the one that
//! failed, in its next collective or receive.

use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};

use runtime::panic::panic_message;

use crate::communicator::Communicator;
use crate::error::{CommError, Result};

/// The exit status of an MPI job that [`run_on_world`] aborted.
pub const ABORT_CODE: i32 = 1;

/// Why a rank's work failed in [`run_on_world`]: the error it returned, or
/// the message of a panic.
///
/// It displays as the error itself (passing on the formatter's flags, so that
/// `{:#}` shows an `anyhow` error's causes) or as `panicked: <message>`.
#[derive(Debug)]
pub enum Failure<E> {
    /// The work returned this error.
    Error(E),
    /// The work panicked with this message.
    Panic(String),
}

impl<E: fmt::Display> fmt::Display for Failure<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Error(e) => e.fmt(f),
            Failure::Panic(message) => write!(f, "panicked: {message}"),
        }
    }
}

/// Runs `work` on this rank of `world`; if it fails — returns an error or
/// panics — calls `on_error(&failure, rank, size)` and then ends the job.
///
/// - On a communicator whose [`abort`](Communicator::abort) ends the whole
///   job (the MPI world), it aborts with [`ABORT_CODE`] (`MPI_Abort`), so no
///   rank is left waiting for the failed one; it does not return.
/// - On [`crate::Local`] ranks (threads of one process) it returns
///   [`CommError::RankFailed`] naming this rank and the failure (its `{:#}`
///   form), and the process goes on.
///
/// `on_error` is where the caller reports the failure — the command line
/// prints it; a library passes on the `on_error` its caller gave it, as
/// libraries do not print. It runs on the failed rank only, before the
/// abort. A panic inside `work` is caught (the panic hook has already run)
/// and becomes [`Failure::Panic`]; on MPI the job is aborted right after, so
/// no state the panic left half-changed is used again.
///
/// ```
/// use comm::{run_on_world, CommError, Communicator, Failure, Local, Op};
///
/// // One rank's work: rank 1 fails; the others would wait for it in the sum.
/// fn work<C: Communicator>(world: &C) -> Result<f64, String> {
///     if world.rank() == 1 {
///         return Err("disk full".into());
///     }
///     world.allreduce(&1.0, Op::Sum).map_err(|e| e.to_string())
/// }
///
/// // What the command line passes: print, with the rank.
/// let report = |failure: &Failure<String>, rank: usize, size: usize| {
///     eprintln!("hpcrs: error: rank {rank} of {size}: {failure:#}")
/// };
///
/// // On the MPI world (`comm::Mpi::init()?`) a failure aborts the job; on
/// // threads it comes back as an error naming the rank.
/// let results = Local::run(3, |world| run_on_world(world, work, report)).unwrap();
/// assert_eq!(
///     results[1],
///     Err(CommError::RankFailed { rank: 1, reason: "disk full".into() })
/// );
/// ```
pub fn run_on_world<C, R, E, F, H>(world: &C, work: F, on_error: H) -> Result<R>
where
    C: Communicator,
    E: fmt::Display,
    F: FnOnce(&C) -> std::result::Result<R, E>,
    H: FnOnce(&Failure<E>, usize, usize),
{
    let (rank, size) = (world.rank(), world.size());
    let failure = match catch_unwind(AssertUnwindSafe(|| work(world))) {
        Ok(Ok(r)) => return Ok(r),
        Ok(Err(e)) => Failure::Error(e),
        Err(payload) => Failure::Panic(panic_message(&*payload)),
    };
    on_error(&failure, rank, size);
    if world.abort_ends_job() {
        world.abort(ABORT_CODE)
    }
    Err(CommError::RankFailed {
        rank,
        reason: format!("{failure:#}"),
    })
}
