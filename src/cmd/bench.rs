//! `hpcrs bench`: time every backend against its peers and print a table.

use std::process::ExitCode;

/// Arguments of `hpcrs bench`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs `hpcrs bench`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`hpcrs bench` is being built in this session")
}
