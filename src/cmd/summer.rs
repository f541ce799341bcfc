//! `hpcrs summer`: sum range(0, n) several times: serial, threads or processes.

use std::process::ExitCode;

use workloads::summer::{self, Mode};

use crate::output::outln;

/// Arguments of `hpcrs summer`.
#[derive(clap::Args)]
pub struct Args {
    /// How to run the jobs (worker processes return their totals through sockets).
    #[arg(long, value_enum, default_value_t = Mode::Threads)]
    mode: Mode,
    /// Number of jobs.
    #[arg(long, default_value_t = 10, allow_negative_numbers = true, value_parser = crate::args::count::<usize>)]
    jobs: usize,
    /// Each job sums range(0, n).
    #[arg(long, default_value_t = 5_000_000, allow_negative_numbers = true, value_parser = crate::args::count::<u64>)]
    n: u64,
}

impl Args {
    /// Whether this run starts worker processes (`--mode processes`).
    pub fn spawns_workers(&self) -> bool {
        self.mode == Mode::Processes
    }
}

/// Runs `hpcrs summer`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let processes = match args.mode {
        Mode::Processes => {
            allow_open_files(args.jobs.min(summer::MAX_PROCESSES) as u64 + 64);
            Some(crate::children::context()?)
        }
        _ => None,
    };
    let run = summer::run(args.mode, args.jobs, args.n, processes.as_ref())?;
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
/// when it is below `wanted`: the processes mode holds one socket per worker
/// until the worker answers, and a common soft limit (1024) is lower than
/// [`summer::MAX_PROCESSES`] plus the descriptors already open. If the
/// limit stays too low, starting a worker fails with "Too many open files",
/// an error naming that worker.
pub(crate) fn allow_open_files(wanted: u64) {
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
