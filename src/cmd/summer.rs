//! `hpcrs summer`: sum range(0, n) several times: serial, threads or processes.

use std::process::ExitCode;

/// Arguments of `hpcrs summer`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs `hpcrs summer`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`hpcrs summer` is being built in this session")
}
