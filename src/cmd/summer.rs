//! `hpcrs summer`: sum range(0, n) several times: serial, threads or processes.

use std::process::{Command, ExitCode};

use anyhow::Context;
use workloads::summer::{self, Mode};

use crate::output::outln;

/// Arguments of `hpcrs summer`.
#[derive(clap::Args)]
pub struct Args {
    /// How to run the jobs (worker processes send their totals through pipes).
    #[arg(long, value_enum, default_value_t = Mode::Threads)]
    mode: Mode,
    /// Number of jobs.
    #[arg(long, default_value_t = 10, allow_negative_numbers = true, value_parser = crate::args::count::<usize>)]
    jobs: usize,
    /// Each job sums range(0, n).
    #[arg(long, default_value_t = 5_000_000, allow_negative_numbers = true, value_parser = crate::args::count::<u64>)]
    n: u64,
    /// Internal: be one worker process, print the sum of START..STOP and exit.
    #[arg(long, hide = true, num_args = 2, value_names = ["START", "STOP"],
          value_parser = crate::args::count::<u64>)]
    worker: Option<Vec<u64>>,
}

/// Runs `hpcrs summer`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if let Some(range) = &args.worker {
        outln!("{}", summer::worker_main(range[0], range[1]))?;
        return Ok(ExitCode::SUCCESS);
    }
    let exe = std::env::current_exe().context("finding this program to start workers")?;
    let run = summer::run(args.mode, args.jobs, args.n, |start, stop| {
        let mut cmd = Command::new(&exe);
        cmd.args(["summer", "--worker", &start.to_string(), &stop.to_string()]);
        cmd
    })?;
    let first = run.totals[0];
    if run.totals.iter().all(|&t| t == first) {
        outln!(
            "{} jobs ({}): each sum(range(0, {})) = {first}",
            args.jobs,
            args.mode,
            args.n
        )?;
    } else {
        outln!(
            "{} jobs ({}): totals {:?}",
            args.jobs,
            args.mode,
            run.totals
        )?;
    }
    // The course prints "Elapsed: %f seconds".
    outln!("Elapsed: {:.6} seconds", run.elapsed.as_secs_f64())?;
    Ok(ExitCode::SUCCESS)
}
