//! `hpcrs auc`: area under the curve of 0.7x^3 - 2x^2 + 4 on [0,3].

use std::process::ExitCode;

/// Arguments of `hpcrs auc`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs `hpcrs auc`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`hpcrs auc` is being built in this session")
}
