//! One module per subcommand: its arguments (clap) and a `run` that calls the
//! matching library crate.

pub mod auc;
pub mod bench;
pub mod cluster;
pub mod diff2d;
pub mod expr;
pub mod mp;
pub mod mpi;
pub mod ooc;
pub mod profile;
pub mod summer;
pub mod wordcount;
