//! `hpcrs ooc`: out-of-core arrays: create, stats and get on .npy files.

use std::process::ExitCode;

/// Arguments of `hpcrs ooc`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs `hpcrs ooc`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`hpcrs ooc` is being built in this session")
}
