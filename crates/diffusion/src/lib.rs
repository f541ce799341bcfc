//! (crate doc to be written with the crate)

mod problem;
mod stepper;

pub use problem::{initial_density, Grid, Params};
pub use stepper::Stepper;

/// What can go wrong when setting up or running a diffusion problem.
#[derive(Debug, thiserror::Error)]
pub enum DiffusionError {
    /// A parameter value that makes no sense for the problem.
    #[error("parameter {name} {why}")]
    BadParameter {
        /// The parameter's name as written in the parameters file.
        name: &'static str,
        /// Why the value was refused.
        why: String,
    },
}
