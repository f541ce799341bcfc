//! `--backend mpi` in the binary: the stepper of this process's rank of the
//! MPI world (start the program with `mpirun -np P`).

use crate::{DiffusionError, Stepper, StepperOptions};

/// Initialises MPI and returns this rank's stepper: on rank 0 a
/// [`DistributedStepper`](super::DistributedStepper) that drives the run, on
/// every other rank a [`Server`](super::Server) whose run loop serves rank 0
/// and returns [`Outcome::Served`](crate::Outcome::Served).
pub fn world_stepper(options: &StepperOptions) -> Result<Box<dyn Stepper + Send>, DiffusionError> {
    let world = comm::Mpi::init().map_err(|e| DiffusionError::BackendUnavailable {
        backend: "mpi".into(),
        why: e.to_string(),
    })?;
    Ok(Box::new(super::rank_stepper::<comm::Mpi, comm::Mpi>(
        world, options,
    )?))
}
