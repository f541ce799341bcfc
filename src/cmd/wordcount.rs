//! `hpcrs wordcount`: count words with the dataset engine (Moby Dick by default).

use std::process::ExitCode;

/// Arguments of `hpcrs wordcount`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs `hpcrs wordcount`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`hpcrs wordcount` is being built in this session")
}
