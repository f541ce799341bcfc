//! Choosing a backend by name. Adding one is a file with a [`Stepper`] and
//! one arm in [`make_stepper`].

use std::fmt;
use std::str::FromStr;

use crate::{ArrayStepper, DiffusionError, NaiveStepper, Stepper, ThreadsStepper};

/// The ways to run the solver; names are shared with the other workloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Backend {
    /// Scalar double loop, one thread (the course's `diff2d.cpp`).
    Naive,
    /// Whole-array operations with temporaries (the course's `diff2d_numpy.py`).
    Array,
    /// The expression engine (`crates/expr`), like the course's numexpr version.
    Expr,
    /// Fused, time-blocked, vectorised kernel on all cores (the default).
    #[default]
    Threads,
    /// Distributed over MPI ranks (needs the `mpi` feature and `mpirun`).
    Mpi,
}

impl Backend {
    /// Every backend, in the order a benchmark table lists them.
    pub const ALL: [Backend; 5] = [
        Backend::Naive,
        Backend::Array,
        Backend::Expr,
        Backend::Threads,
        Backend::Mpi,
    ];

    /// The backend's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Naive => "naive",
            Backend::Array => "array",
            Backend::Expr => "expr",
            Backend::Threads => "threads",
            Backend::Mpi => "mpi",
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Backend {
    type Err = DiffusionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Backend::ALL
            .into_iter()
            .find(|b| b.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| DiffusionError::UnknownBackend(s.to_string()))
    }
}

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
