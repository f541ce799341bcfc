//! Choosing a backend by name. Adding one is a file with a [`Stepper`] and
//! one arm in [`make_stepper`].

use crate::{ArrayStepper, DiffusionError, NaiveStepper, Stepper, ThreadsStepper};

pub use runtime::Backend;

/// Builds the stepper of `backend`; `threads` is the team size of the
/// threaded backends (`None`: all cores) and is ignored by the serial ones.
///
/// ```
/// use diffusion::{make_stepper, Backend};
/// let stepper = make_stepper("threads".parse()?, Some(2))?;
/// assert!(make_stepper(Backend::Mpi, None).is_err() || cfg!(feature = "mpi"));
/// # drop(stepper);
/// # Ok::<(), diffusion::DiffusionError>(())
/// ```
pub fn make_stepper(
    backend: Backend,
    threads: Option<usize>,
) -> Result<Box<dyn Stepper + Send>, DiffusionError> {
    match backend {
        Backend::Naive => Ok(Box::new(NaiveStepper::new())),
        Backend::Array => Ok(Box::new(ArrayStepper)),
        Backend::Threads => Ok(Box::new(ThreadsStepper::new(threads))),
        Backend::Expr => Ok(Box::new(crate::expr_backend::ExprStepper::new(threads))),
        #[cfg(feature = "mpi")]
        Backend::Mpi => crate::mpi::world_stepper(),
        #[cfg(not(feature = "mpi"))]
        Backend::Mpi => Err(DiffusionError::BackendUnavailable {
            backend: "mpi".into(),
            why: "this hpcrs was built without MPI; install MPI with scripts/setup-mpi.sh, build with `cargo build --release --features mpi` and run with `mpirun -np 4 target/release/hpcrs diff2d --backend mpi`".into(),
        }),
    }
}
