//! How to build a stepper: the team size, and the tuning knobs of the
//! backends that have them.

use runtime::pool::{PoolError, Threads, MAX_THREADS};

use crate::DiffusionError;

/// What [`crate::make_stepper`] builds a backend with.
/// `StepperOptions::default()` is every backend's own default.
///
/// ```
/// use diffusion::{make_stepper, Backend, StepperOptions};
/// use runtime::pool::Threads;
///
/// let opts = StepperOptions {
///     threads: Threads::Exactly(2),
///     depth: Some(4),
///     ..StepperOptions::default()
/// };
/// let stepper = make_stepper(Backend::Threads, &opts)?;
/// # drop(stepper);
/// # Ok::<(), diffusion::DiffusionError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepperOptions {
    /// The team of the threaded backends (`threads`, `expr`), with the
    /// meaning `--threads` has everywhere (see [`runtime::pool`]): all cores
    /// by default, at most [`MAX_THREADS`]. The serial backends and `mpi`
    /// (one thread per rank) ignore it.
    pub threads: Threads,
    /// Steps advanced between two synchronisations: for `threads` and
    /// `expr` the time-blocking depth (steps per pass of the team), for
    /// `mpi` the halo depth (steps per halo exchange; 1 is the textbook
    /// exchange every step). `None` or 0: each backend's own choice
    /// ([`crate::default_depth`], the expression engine's default,
    /// [`crate::mpi::DEFAULT_HALO_DEPTH`]).
    pub depth: Option<usize>,
    /// Whether `threads` runs its hand-written AVX-512 row kernel on CPUs
    /// that have AVX-512 (the default) rather than the row loop as the
    /// compiler vectorises it. Both give the same bits.
    pub intrinsics: bool,
    /// Test hook: the MPI rank that fails on its first command from rank 0,
    /// as a rank that hits a real error would.
    #[cfg(feature = "testing")]
    pub fail_rank: Option<usize>,
}

impl Default for StepperOptions {
    fn default() -> Self {
        StepperOptions {
            threads: Threads::AllCores,
            depth: None,
            intrinsics: true,
            #[cfg(feature = "testing")]
            fail_rank: None,
        }
    }
}

impl StepperOptions {
    /// The depth asked for, if any (0 counts as none).
    pub(crate) fn chosen_depth(&self) -> Option<usize> {
        self.depth.filter(|&d| d > 0)
    }
}

/// The number of threads `threads` stands for, refusing more than
/// [`MAX_THREADS`].
pub(crate) fn team_size(threads: Threads) -> Result<usize, DiffusionError> {
    match threads {
        Threads::AllCores => Ok(runtime::pool::cores()),
        Threads::Exactly(n) if n > MAX_THREADS => Err(PoolError::TooMany(n).into()),
        Threads::Exactly(n) => Ok(n.max(1)),
    }
}
