//! The registered `auc --backend mpi`: [`crate::auc_mpi::area_on`] on the MPI
//! world (needs the `mpi` feature; start it with `mpirun -np P`).

use crate::auc::{AucError, AucJob};
use crate::Backend;

/// Initialises MPI and computes the area over all ranks: `Some` on rank 0.
/// A rank that fails hands its reason to [`AucJob::on_rank_failure`] and
/// aborts the whole job, through [`comm::run_on_world`]: the other ranks
/// would otherwise wait for it in the reduce forever.
pub fn area(job: &AucJob) -> Result<Option<f64>, AucError> {
    let world = comm::Mpi::init().map_err(mpi_error)?;
    let report = job.on_rank_failure;
    comm::run_on_world(
        &world,
        |world| crate::auc_mpi::area_on(world, job),
        |failure, rank, size| report(&failure.to_string(), rank, size),
    )
    .map_err(mpi_error)
}

/// An MPI error as the backend's error.
fn mpi_error(e: comm::CommError) -> AucError {
    AucError::Backend {
        backend: Backend::Mpi,
        source: Box::new(e),
    }
}
