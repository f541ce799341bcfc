//! End-to-end tests of the `hpcrs` binary, one module per subcommand.
//!
//! Tests that need numpy are `#[ignore]`d with the reason: run them with
//! `PYTHON=/path/to/python cargo test --test cli -- --ignored numpy`. The
//! runs under `mpirun` are compiled only with `--features mpi`
//! (`scripts/ci-mpi.sh`).

mod util;

mod auc;
mod bench;
mod cluster;
mod diff2d;
mod expr;
mod expr_files;
mod help;
mod hostile;
mod mp;
mod mpi;
#[cfg(not(feature = "mpi"))]
mod mpi_handoff;
mod mpi_hostile;
#[cfg(feature = "mpi")]
mod mpirun;
mod ooc;
mod ooc_crash;
mod ooc_hostile;
mod ooc_memory;
mod ooc_numpy;
mod profile;
mod signals;
mod summer;
mod wordcount;
