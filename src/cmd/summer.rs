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

impl Args {
    /// Whether this run starts worker processes (`--mode processes`).
    pub fn spawns_workers(&self) -> bool {
        self.mode == Mode::Processes && self.worker.is_none()
    }
}

/// Runs `hpcrs summer`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if let Some(range) = &args.worker {
        let answer = summer::worker_main(range[0], range[1]);
        workloads::with_test_hooks! {
            // A worker that answers a wrong total (tests/cli/hostile.rs).
            let answer = match std::env::var_os("HPCRS_SUMMER_WRONG_TOTAL") {
                Some(_) => format!("{answer}1"),
                None => answer,
            };
        }
        outln!("{answer}")?;
        return Ok(ExitCode::SUCCESS);
    }
    let exe = std::env::current_exe().context("finding this program to start workers")?;
    if args.mode == Mode::Processes {
        allow_open_files(args.jobs.min(summer::MAX_PROCESSES) as u64 + 64);
    }
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

/// Raises this process's soft limit on open files towards its hard limit
/// when it is below `wanted`: the processes mode holds one pipe per worker
/// until the worker answers, and a common soft limit (1024) is lower than
/// [`summer::MAX_PROCESSES`] plus the descriptors already open. If the
/// limit stays too low, starting a worker fails with "Too many open files",
/// an error naming that worker.
fn allow_open_files(wanted: u64) {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: `limit` is a valid rlimit to write to.
        if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
            return;
        }
        let wanted = wanted as libc::rlim_t;
        if limit.rlim_cur < wanted {
            limit.rlim_cur = wanted.min(limit.rlim_max);
            // SAFETY: `limit` is a valid rlimit, no higher than the hard
            // limit; a refusal leaves the limit as it was.
            unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) };
        }
    }
    #[cfg(not(unix))]
    let _ = wanted;
}
