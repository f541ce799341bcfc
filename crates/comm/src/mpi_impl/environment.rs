//! Initialising and finalising MPI (MPI's chapter 11): the first
//! [`Mpi::init`] initialises it, the process's exit finalises it, so that any
//! number of [`Mpi`] handles can be made one after another (MPI itself can be
//! initialised only once per process).

use std::cell::RefCell;
use std::sync::Mutex;

use mpi::topology::SimpleCommunicator;

use super::wait::complete;
use super::Mpi;
use crate::error::{CommError, Result};

/// The MPI environment of this process, held until the process exits.
struct Universe {
    /// Held only to be dropped at exit, which finalises MPI.
    _held: mpi::environment::Universe,
}

// SAFETY: MPI runs with MPI_THREAD_SERIALIZED (see `Mpi::init`), which allows
// MPI calls from any thread; the universe is only touched under the mutex
// below, so never from two threads at once.
unsafe impl Send for Universe {}

static UNIVERSE: Mutex<Option<Universe>> = Mutex::new(None);

extern "C" {
    fn atexit(f: extern "C" fn()) -> std::os::raw::c_int;
}

/// Finalises MPI (rsmpi's `Universe` drop) when the process exits, after
/// meeting the other ranks in a barrier whose wait gives the core away:
/// `MPI_Finalize` waits for them too, but polling without pause, which
/// would hold a core while a rank still at work needs it.
extern "C" fn finalize_at_exit() {
    let mut universe = UNIVERSE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(held) = universe.take() {
        // SAFETY: MPI is initialised (the universe is held); no buffers.
        unsafe {
            complete(0, |req| {
                mpi::ffi::MPI_Ibarrier(mpi::ffi::RSMPI_COMM_WORLD, req);
            })
        };
        drop(held);
    }
}

impl Mpi {
    /// Initialises MPI on first use and returns the world communicator.
    ///
    /// MPI is initialised with `MPI_THREAD_SERIALIZED`, so an `Mpi` may move
    /// to another thread (it is `Send`, not `Sync`).
    pub fn init() -> Result<Mpi> {
        let mut universe = UNIVERSE.lock().unwrap_or_else(|e| e.into_inner());
        if universe.is_none() {
            let (u, _) = mpi::initialize_with_threading(mpi::Threading::Serialized)
                .ok_or(CommError::AlreadyInitialized)?;
            *universe = Some(Universe { _held: u });
            // SAFETY: registers a plain `extern "C" fn` that takes no
            // arguments with the C library, as `atexit` expects.
            unsafe { atexit(finalize_at_exit) };
        }
        Ok(Mpi {
            world: SimpleCommunicator::world(),
            pending: RefCell::new(Vec::new()),
        })
    }
}
