//! `hpcrs expr`: evaluate an array expression on random inputs and time it.

use std::process::ExitCode;

/// Arguments of `hpcrs expr`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs `hpcrs expr`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`hpcrs expr` is being built in this session")
}
