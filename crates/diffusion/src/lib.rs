//! The 2D diffusion solver of the HPC Python course, made fast.
//!
//! It solves `dp/dt = D (p_xx + p_yy)` on `[x1,x2]²` with `p = 0` on the
//! boundary and the course's four-peak initial condition, by explicit finite
//! differences, deriving the grid exactly as the course's `diff2d` programs
//! do ([`Grid`]). Parameters come from the course's `diff2dparams.py` format
//! ([`ParamsBuilder`]). The stepping is done by a [`Stepper`]; [`Backend`]
//! names them (`naive`, `array`, `expr`, `threads`, and `mpi` when built in)
//! and [`make_stepper`] builds one with [`StepperOptions`]. [`Simulation::run`]
//! is the run loop: outputs every `nper` steps to an [`Observer`] (time
//! printing, pictures), atomic checkpoints, and a timing [`RunSummary`].
//!
//! The crate prints nothing and reads no environment: the program chooses
//! the options and shows the results.
//!
//! ```
//! use diffusion::{make_stepper, Backend, NoOutput, Outcome, ParamsBuilder, RunOptions, Simulation, StepperOptions};
//! use runtime::pool::Threads;
//!
//! let mut b = ParamsBuilder::new();
//! b.parse_str("dx = 0.5;  # a coarse grid\nruntime = 1.0;", "example")?;
//! let params = b.build()?;
//! let mut sim = Simulation::new(&params)?;
//! assert_eq!((sim.grid.nrows, sim.grid.nsteps), (40, 16));
//! let options = StepperOptions { threads: Threads::Exactly(2), ..StepperOptions::default() };
//! let mut stepper = make_stepper(Backend::Threads, &options)?;
//! let outcome = sim.run(stepper.as_mut(), &RunOptions::default(), &mut NoOutput)?;
//! assert_eq!(outcome.summary().map(|s| s.steps), Some(16));
//! assert!(sim.dens.iter().all(|&v| (0.0..1.0).contains(&v)));
//! # Ok::<(), diffusion::DiffusionError>(())
//! ```
#![deny(missing_docs)]

mod array;
mod backend;
pub mod checkpoint;
mod compare;
mod error;
pub mod expr_backend;
pub mod graphics;
mod kernel;
pub mod mpi;
mod naive;
mod observer;
mod options;
mod output;
mod params;
mod problem;
mod sim;
mod stepper;
pub mod testing;
mod threads;

pub use array::ArrayStepper;
pub use backend::{make_stepper, Backend};
pub use checkpoint::Checkpoint;
pub use compare::relative_difference;
pub use error::{DiffusionError, Result};
pub use graphics::Pictures;
pub use naive::NaiveStepper;
pub use observer::{Frame, NoOutput, Observer, TimePrinter};
pub use options::StepperOptions;
pub use output::{read_npy, write_npy};
pub use params::{ParamsBuilder, PARAM_NAMES};
pub use problem::{initial_density, Grid, Params};
pub use sim::{
    solve, solve_with, Outcome, RunOptions, RunSummary, Simulation, PHASE_CHECKPOINT, PHASE_OUTPUT,
    PHASE_STEPS,
};
pub use stepper::Stepper;
pub use threads::{default_depth, ThreadsStepper, MAX_DEFAULT_DEPTH, RING_BUDGET_BYTES};
