//! The run loop: advance to each output or checkpoint, tell the observer,
//! write checkpoints, and time it.

use std::fmt;
use std::path::PathBuf;
use std::time::Instant;

use ndarray::Array2;

use crate::checkpoint::{self, Checkpoint};
use crate::{
    initial_density, DiffusionError, Frame, Grid, NoOutput, Observer, Params, Stepper,
    StepperOptions,
};

/// The phase (`runtime::phase`) of one batch of steps: those up to the next
/// output or checkpoint.
pub const PHASE_STEPS: &str = "diff2d steps";
/// The phase of one output (the time line, a picture).
pub const PHASE_OUTPUT: &str = "diff2d output";
/// The phase of writing one checkpoint.
pub const PHASE_CHECKPOINT: &str = "diff2d checkpoint";

/// How to run: when and where to checkpoint.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Write a checkpoint every this many steps (`None` or 0: never).
    pub checkpoint_every: Option<usize>,
    /// Where to write checkpoints (required when `checkpoint_every` is set).
    pub checkpoint_path: Option<PathBuf>,
    /// Test hook: abort the process half-way through writing the N-th
    /// checkpoint of this run (1-based), as a crash or `kill -9` would.
    #[cfg(feature = "testing")]
    pub abort_in_checkpoint: Option<usize>,
}

/// What a run did, for the summary line.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSummary {
    /// Interior points per side.
    pub nrows: usize,
    /// Steps advanced in this run (not counting those before a resume).
    pub steps: usize,
    /// Wall time of the whole run loop, outputs included.
    pub seconds: f64,
    /// Wall time spent inside the stepper only.
    pub step_seconds: f64,
}

impl RunSummary {
    /// Interior cell updates per second of stepping.
    pub fn updates_per_second(&self) -> f64 {
        let updates = (self.nrows * self.nrows) as f64 * self.steps as f64;
        if self.step_seconds > 0.0 {
            updates / self.step_seconds
        } else {
            0.0
        }
    }
}

impl fmt::Display for RunSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "grid {n}x{n}, {} steps, {:.3} s ({:.3} s stepping), {:.3e} cell updates/s",
            self.steps,
            self.seconds,
            self.step_seconds,
            self.updates_per_second(),
            n = self.nrows
        )
    }
}

/// What [`Simulation::run`] did in this process.
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub enum Outcome {
    /// It ran the loop to the last step: the density is in the simulation.
    Ran(RunSummary),
    /// It served a run driven by another process (an MPI rank other than
    /// 0): the density, the outputs and the timing are that process's, and
    /// this one has nothing to report.
    Served,
}

impl Outcome {
    /// The summary of a run this process drove.
    pub fn summary(&self) -> Option<&RunSummary> {
        match self {
            Outcome::Ran(s) => Some(s),
            Outcome::Served => None,
        }
    }
}

/// A diffusion problem in progress: parameters, grid, density and step count.
#[derive(Debug, Clone)]
pub struct Simulation {
    /// The parameters.
    pub params: Params,
    /// The grid derived from them.
    pub grid: Grid,
    /// The density field (`npnts × npnts`, zero boundary).
    pub dens: Array2<f64>,
    /// Steps done since time 0.
    pub step: usize,
}

impl Simulation {
    /// The problem at time 0 with the course's initial condition.
    pub fn new(params: &Params) -> Result<Self, DiffusionError> {
        let grid = Grid::new(params)?;
        let dens = initial_density(&grid, params);
        Ok(Simulation {
            params: params.clone(),
            grid,
            dens,
            step: 0,
        })
    }

    /// Continues from a checkpoint file. `params` must describe the same
    /// problem (D, x1, x2, dx); `runtime`, `outtime` and `graphics` may differ,
    /// so a run can be extended. `None` takes the checkpoint's parameters.
    pub fn resume(
        path: impl Into<PathBuf>,
        params: Option<&Params>,
    ) -> Result<Self, DiffusionError> {
        let path = path.into();
        let ck = Checkpoint::read(&path)?;
        let params = match params {
            None => ck.params.clone(),
            Some(p) => {
                checkpoint::check_compatible(&path, &ck.params, p)?;
                p.clone()
            }
        };
        let grid = Grid::new(&params)?;
        let refuse = |why: String| {
            Err(DiffusionError::Checkpoint {
                path: path.clone(),
                why,
            })
        };
        if ck.dens.nrows() != grid.npnts {
            return refuse(format!(
                "holds a {0}x{0} grid, these parameters give {1}x{1}",
                ck.dens.nrows(),
                grid.npnts
            ));
        }
        if ck.step > grid.nsteps {
            return refuse(format!(
                "is at step {}, past the last step {} of runtime = {}",
                ck.step, grid.nsteps, params.runtime
            ));
        }
        Ok(Simulation {
            params,
            grid,
            dens: ck.dens,
            step: ck.step,
        })
    }

    /// Simulated time, `step · dt`.
    pub fn time(&self) -> f64 {
        self.step as f64 * self.grid.dt
    }

    fn frame(&self) -> Frame<'_> {
        Frame {
            step: self.step,
            time: self.time(),
            dens: &self.dens,
            grid: &self.grid,
        }
    }

    /// Runs to the last step: outputs at step 0 (unless resumed) and every
    /// `nper` steps, checkpoints every `checkpoint_every` steps. A stepper
    /// that serves a run driven elsewhere ([`Stepper::serve`]) serves it
    /// instead, and the result is [`Outcome::Served`].
    pub fn run(
        &mut self,
        stepper: &mut dyn Stepper,
        opts: &RunOptions,
        observer: &mut dyn Observer,
    ) -> Result<Outcome, DiffusionError> {
        let every = opts.checkpoint_every.filter(|&c| c > 0);
        let ck_path = match (every, &opts.checkpoint_path) {
            (Some(_), None) => {
                return Err(DiffusionError::BadParameter {
                    name: "checkpoint-every",
                    why: "needs a checkpoint file to write to".into(),
                })
            }
            (Some(c), Some(p)) => Some((c, p)),
            (None, _) => None,
        };
        if stepper.serve()? {
            return Ok(Outcome::Served);
        }
        let start = Instant::now();
        let mut stepping = 0.0;
        let first_step = self.step;
        let nper = self.grid.nper;
        let k = self.grid.coefficient();
        #[cfg(feature = "testing")]
        let mut checkpoints = 0;
        if self.step == 0 {
            let _phase = runtime::phase::enter(PHASE_OUTPUT);
            observer.output(&self.frame())?;
        }
        while self.step < self.grid.nsteps {
            let next_out = (self.step / nper + 1) * nper;
            let next_ck = every.map_or(usize::MAX, |c| (self.step / c + 1) * c);
            let target = next_out.min(next_ck).min(self.grid.nsteps);
            // The density is read at the end, by a checkpoint, or by an
            // observer that draws it; printing the time does not need it.
            let seen = target == self.grid.nsteps
                || target == next_ck
                || (target == next_out && observer.reads_density());
            let steps = target - self.step;
            let t0 = Instant::now();
            {
                let _phase = runtime::phase::enter(PHASE_STEPS);
                if seen {
                    stepper.advance(&mut self.dens, k, steps)?;
                } else {
                    stepper.advance_unseen(&mut self.dens, k, steps)?;
                }
            }
            stepping += t0.elapsed().as_secs_f64();
            self.step = target;
            if self.step.is_multiple_of(nper) {
                let _phase = runtime::phase::enter(PHASE_OUTPUT);
                observer.output(&self.frame())?;
            }
            if let Some((c, path)) = ck_path {
                if self.step.is_multiple_of(c) {
                    #[cfg(feature = "testing")]
                    {
                        checkpoints += 1;
                        if opts.abort_in_checkpoint == Some(checkpoints) {
                            checkpoint::write_half_and_abort(
                                path,
                                &self.params,
                                self.step,
                                &self.dens,
                            );
                        }
                    }
                    let _phase = runtime::phase::enter(PHASE_CHECKPOINT);
                    checkpoint::write(path, &self.params, self.step, &self.dens)?;
                }
            }
        }
        observer.finish(&self.frame())?;
        Ok(Outcome::Ran(RunSummary {
            nrows: self.grid.nrows,
            steps: self.step - first_step,
            seconds: start.elapsed().as_secs_f64(),
            step_seconds: stepping,
        }))
    }
}

/// Solves `params` from time 0 to the end with `backend` on `threads`
/// threads (`None` or 0: all cores), without output: the final density and
/// the timing. What `hpcrs bench` calls.
///
/// ```
/// use diffusion::{solve, Backend, Params};
/// let p = Params { dx: 1.0, runtime: 2.0, ..Params::default() };
/// let (dens, summary) = solve(&p, Backend::Naive, None)?;
/// assert_eq!(dens.dim(), (22, 22));
/// assert_eq!(summary.steps, 8);
/// # Ok::<(), diffusion::DiffusionError>(())
/// ```
pub fn solve(
    params: &Params,
    backend: crate::Backend,
    threads: Option<usize>,
) -> Result<(Array2<f64>, RunSummary), DiffusionError> {
    let options = StepperOptions {
        threads: runtime::pool::Threads::from_option(threads)?,
        ..StepperOptions::default()
    };
    solve_with(params, backend, &options)
}

/// [`solve`] with every option of the stepper. On an MPI rank that served
/// rank 0's run the result is [`DiffusionError::Served`].
pub fn solve_with(
    params: &Params,
    backend: crate::Backend,
    options: &StepperOptions,
) -> Result<(Array2<f64>, RunSummary), DiffusionError> {
    let mut sim = Simulation::new(params)?;
    let mut stepper = crate::make_stepper(backend, options)?;
    match sim.run(stepper.as_mut(), &RunOptions::default(), &mut NoOutput)? {
        Outcome::Ran(summary) => Ok((sim.dens, summary)),
        Outcome::Served => Err(DiffusionError::Served),
    }
}
