//! Choosing a backend by name. Adding one is a file with a [`Stepper`] and
//! one arm in [`make_stepper`].

use crate::{ArrayStepper, DiffusionError, NaiveStepper, Stepper, StepperOptions, ThreadsStepper};

pub use runtime::Backend;

/// Builds the stepper of `backend` with `options` (each backend takes the
/// options it has and ignores the others).
///
/// With `mpi` this initialises MPI: on rank 0 the stepper drives the run,
/// on every other rank it serves rank 0 (see [`Stepper::serve`]).
///
/// ```
/// use diffusion::{make_stepper, Backend, StepperOptions};
/// let stepper = make_stepper("threads".parse()?, &StepperOptions::default())?;
/// assert!(make_stepper(Backend::Mpi, &StepperOptions::default()).is_err() || cfg!(feature = "mpi"));
/// # drop(stepper);
/// # Ok::<(), diffusion::DiffusionError>(())
/// ```
pub fn make_stepper(
    backend: Backend,
    options: &StepperOptions,
) -> Result<Box<dyn Stepper + Send>, DiffusionError> {
    match backend {
        Backend::Naive => Ok(Box::new(NaiveStepper::new())),
        Backend::Array => Ok(Box::new(ArrayStepper)),
        Backend::Threads => Ok(Box::new(ThreadsStepper::from_options(options)?)),
        Backend::Expr => Ok(Box::new(crate::expr_backend::ExprStepper::from_options(
            options,
        )?)),
        #[cfg(feature = "mpi")]
        Backend::Mpi => crate::mpi::world_stepper(options),
        #[cfg(not(feature = "mpi"))]
        Backend::Mpi => Err(DiffusionError::BackendUnavailable {
            backend: "mpi".into(),
            why: "this hpcrs was built without MPI; install MPI with scripts/setup-mpi.sh, build with `cargo build --release --features mpi` and run with `mpirun -np 4 target/release/hpcrs diff2d --backend mpi`".into(),
        }),
        Backend::Processes => Err(DiffusionError::BackendUnavailable {
            backend: "processes".into(),
            why: "diff2d has no process-pool backend (its halo exchange every step would go through pipes); use threads, or mpi for several machines".into(),
        }),
    }
}
