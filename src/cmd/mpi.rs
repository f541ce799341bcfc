//! `hpcrs mpi`: mPI examples of the course (hello, ring, halo benchmark).

use std::process::ExitCode;

/// Arguments of `hpcrs mpi`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs `hpcrs mpi`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`hpcrs mpi` is being built in this session")
}
