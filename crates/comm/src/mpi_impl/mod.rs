//! [`Mpi`]: the [`Communicator`] over a system MPI library, through rsmpi.
//!
//! The buffer flavour maps one-to-one onto MPI calls on typed buffers
//! (`MPI_Send`, `MPI_Sendrecv`, `MPI_Bcast`, `MPI_Reduce`…), so numbers move
//! with no copy beyond what MPI itself does. The object flavour sends
//! serialised bytes: a receive first probes the message to learn its size
//! (`MPI_Mprobe`), then receives exactly that many bytes; collectives of
//! objects exchange the sizes first and then use the `v` variants
//! (`MPI_Gatherv`, `MPI_Scatterv`, `MPI_Allgatherv`).
//!
//! Object sends are buffered: the bytes are posted with `MPI_Isend` and kept
//! alive in a pending list until MPI is done with them, so an object send
//! never waits for its receiver (as on [`crate::Local`]). The pending list is
//! drained as sends complete, and waited for when the `Mpi` is dropped.
//!
//! Every call that waits is started non-blocking and completed by polling
//! with pauses (`wait.rs`), so that a waiting rank does not hold its core.

use std::cell::RefCell;

use mpi::topology::SimpleCommunicator;
use mpi::traits::Communicator as _;
use mpi::Count;

use crate::communicator::Communicator;
use crate::error::{CommError, Result};

mod collective;
mod environment;
mod point_to_point;
mod request;
mod wait;

pub use request::{MpiRecv, MpiSend};

/// This process's rank in `MPI_COMM_WORLD`, over a system MPI library:
/// buffers move as typed MPI buffers, objects as serialised bytes, and every
/// wait polls with pauses so that a waiting rank does not hold its core.
///
/// Make one with [`Mpi::init`]. MPI is finalised when the process exits.
pub struct Mpi {
    world: SimpleCommunicator,
    /// Object sends still in flight: the bytes must live until MPI is done.
    pending: RefCell<Vec<(Vec<u8>, mpi::ffi::MPI_Request)>>,
}

// SAFETY: MPI runs with MPI_THREAD_SERIALIZED (see `Mpi::init`), which allows
// MPI calls from any thread as long as they are not concurrent; `Mpi` is not
// `Sync` (its `RefCell`), so only one thread at a time can use it.
unsafe impl Send for Mpi {}

impl Mpi {
    /// Forgets object sends that MPI has finished with.
    fn progress(&self) {
        let mut pending = self.pending.borrow_mut();
        pending.retain_mut(|(_, req)| {
            let mut done = 0;
            // SAFETY: `req` is a live request from MPI_Isend; MPI_Test frees
            // it when done, and then it is dropped from the list.
            unsafe { mpi::ffi::MPI_Test(req, &mut done, mpi::ffi::RSMPI_STATUS_IGNORE) };
            done == 0
        });
    }
}

impl Drop for Mpi {
    fn drop(&mut self) {
        for (bytes, req) in self.pending.get_mut().iter_mut() {
            // A live request from MPI_Isend whose buffer is still alive
            // beside it in the list.
            wait::wait(req, bytes.len());
        }
    }
}

/// An element count as MPI's `int`, or an error if it does not fit.
fn count(n: usize) -> Result<Count> {
    Count::try_from(n).map_err(|_| CommError::TooLarge(n))
}

impl Communicator for Mpi {
    fn rank(&self) -> usize {
        self.world.rank() as usize
    }

    fn size(&self) -> usize {
        self.world.size() as usize
    }

    fn processor_name(&self) -> String {
        // MPI_Get_processor_name; a name that is not UTF-8 keeps its bytes
        // as well as a String can.
        mpi::environment::processor_name()
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }

    fn abort(&self, code: i32) -> ! {
        // MPI_Abort makes the launcher kill every rank at once, and with them
        // the output still on its way through the launcher: flush, and give
        // the message a moment to reach the user before pulling the plug.
        use std::io::Write;
        let _ = std::io::stdout().flush();
        let _ = std::io::stderr().flush();
        std::thread::sleep(std::time::Duration::from_millis(300));
        self.world.abort(code)
    }

    fn abort_ends_job(&self) -> bool {
        true
    }
}
