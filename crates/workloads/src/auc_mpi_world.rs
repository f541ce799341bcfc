//! The registered `auc --backend mpi`: [`crate::auc_mpi::area_on`] on the MPI
//! world (needs the `mpi` feature; start it with `mpirun -np P`).

use comm::Communicator;

use crate::auc::{AucError, AucJob};
use crate::Backend;

/// Initialises MPI and computes the area over all ranks: `Some` on rank 0.
/// A rank that fails prints its rank and the reason and aborts the whole job
/// (the other ranks would otherwise wait for it in the reduce forever).
pub fn area(job: &AucJob) -> Result<Option<f64>, AucError> {
    let world = comm::Mpi::init().map_err(|e| AucError::Backend {
        backend: Backend::Mpi,
        source: Box::new(e),
    })?;
    match crate::auc_mpi::area_on(&world, job) {
        Ok(area) => Ok(area),
        Err(e) => {
            eprintln!(
                "hpcrs: error: auc --backend mpi: rank {} of {}: {e}",
                world.rank(),
                world.size()
            );
            world.abort(1)
        }
    }
}
