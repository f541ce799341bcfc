//! The course's threads-versus-processes demo (`summer*.py`): sum
//! `range(0, n)` `jobs` times, serially, on threads or in worker processes.
//!
//! In Python the threaded version is no faster than the serial one (the GIL
//! lets one thread run at a time); Rust threads run in parallel, so `threads`
//! takes about `serial / cores`. `processes` runs each job in a
//! `procs::Process` of the calling program (the caller gives the
//! `procs::Context`, see [`run_processes`]) and collects each total, like
//! `multiprocessing`.
//!
//! **A real loop.** Left alone, LLVM replaces `for i in start..stop { tot += i }`
//! by the closed form `n(n-1)/2` (its scalar-evolution pass recognises the
//! sum) and the "loop" takes nanoseconds whatever `n` is. [`my_summer`] passes
//! every `i` through [`std::hint::black_box`], which the optimiser must treat
//! as an unknown value: the closed form and the vectorisation of the loop
//! become impossible, and each of the `n` additions really happens, one per
//! element, as in the course's Python loop.

use std::hint::black_box;
use std::time::{Duration, Instant};

use runtime::UnknownName;

pub use crate::summer_processes::run_processes;

/// How `summer` runs its jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Mode {
    /// One job after the other on the calling thread (`summer_serial.py`).
    Serial,
    /// One thread per job (`summer_threaded.py`).
    Threads,
    /// One worker process per job (`summer_multiprocessing.py`).
    Processes,
}

impl Mode {
    /// Every mode, in table order.
    pub const ALL: [Mode; 3] = [Mode::Serial, Mode::Threads, Mode::Processes];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Serial => "serial",
            Mode::Threads => "threads",
            Mode::Processes => "processes",
        }
    }

    /// The most jobs this mode runs: [`MAX_SERIAL_JOBS`], the thread cap
    /// [`runtime::pool::MAX_THREADS`] or [`MAX_PROCESSES`].
    pub fn max_jobs(self) -> usize {
        match self {
            Mode::Serial => MAX_SERIAL_JOBS,
            Mode::Threads => runtime::pool::MAX_THREADS,
            Mode::Processes => MAX_PROCESSES,
        }
    }

    /// What each job costs in this mode, the reason for [`Mode::max_jobs`].
    fn job_cost(self) -> &'static str {
        match self {
            Mode::Serial => "each job's total is kept",
            Mode::Threads => "one OS thread per job",
            Mode::Processes => "one worker process per job",
        }
    }
}

/// The most jobs [`Mode::Serial`] runs: every total is kept, and a run of
/// more would take hours at the course's `n`.
pub const MAX_SERIAL_JOBS: usize = 100_000;

/// The most jobs [`Mode::Processes`] runs. Each is a whole process of the
/// calling program (about 1 MiB of private memory, a socket held open by the
/// caller until it answers), all started before any is waited for; a
/// thousand already shows the start-up cost the demo is about.
pub const MAX_PROCESSES: usize = 1024;

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Mode {
    type Err = UnknownName;

    /// Parses a name, ignoring case and surrounding white space.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Mode::ALL
            .into_iter()
            .find(|m| m.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownName::new("mode", s, Mode::ALL.map(Mode::name)))
    }
}

/// What can go wrong running `summer`.
#[derive(Debug, thiserror::Error)]
pub enum SummerError {
    /// `--jobs 0`.
    #[error("--jobs must be at least 1, got 0")]
    NoJobs,
    /// More jobs than the mode allows (see [`Mode::max_jobs`]).
    #[error("--jobs {jobs} is more than the {max} allowed in {mode} mode ({})", .mode.job_cost())]
    TooManyJobs {
        /// The mode asked for.
        mode: Mode,
        /// The jobs asked for.
        jobs: usize,
        /// The most the mode allows.
        max: usize,
    },
    /// An `n` whose sum `n(n-1)/2` does not fit in 64 bits.
    #[error("--n {0} is too large: the sum n(n-1)/2 must fit in 64 bits (n <= {MAX_N})")]
    TooLarge(u64),
    /// A thread that could not be started (too many jobs for the system).
    #[error("cannot start thread for job {job}: {source}")]
    Thread {
        /// Which job.
        job: usize,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A worker process that could not be started.
    #[error("cannot start worker process {job} (`{program}`): {source}")]
    Spawn {
        /// Which job.
        job: usize,
        /// The program that was run.
        program: String,
        /// Why it could not start.
        source: procs::Error,
    },
    /// A worker process that failed (panicked, was killed, exited early).
    #[error("worker process {job} failed: {source}")]
    Worker {
        /// Which job.
        job: usize,
        /// What happened to it.
        source: procs::Error,
    },
    /// `--mode processes` without a program to start workers of.
    #[error("the processes mode needs a program to start workers of (a procs::Context)")]
    NoProgram,
    /// A worker process whose total is not the closed form `n(n-1)/2`.
    #[error("worker process {job} answered {total}, but sum(range(0, {n})) is {want}")]
    WrongTotal {
        /// Which job.
        job: usize,
        /// The `n` of the run.
        n: u64,
        /// What the worker answered.
        total: u64,
        /// The closed form.
        want: u64,
    },
}

/// Largest `n` for which `n(n-1)/2` fits in a `u64`.
pub const MAX_N: u64 = 6_074_001_000;

/// The course's `my_summer(start, stop)`: the sum of `start..stop`, one
/// addition per element (see the module doc for why it is not folded).
///
/// ```
/// assert_eq!(workloads::summer::my_summer(0, 5), 10);
/// ```
pub fn my_summer(start: u64, stop: u64) -> u64 {
    let mut tot: u64 = 0;
    for i in start..stop {
        tot = tot.wrapping_add(black_box(i));
    }
    tot
}

/// The total each job must return: `n(n-1)/2`.
pub fn expected_total(n: u64) -> u64 {
    if n == 0 {
        0
    } else {
        ((n as u128 * (n as u128 - 1)) / 2) as u64
    }
}

/// The result of a run: each job's total and the wall-clock time of the
/// whole run (start-up of threads or processes included, as in the course).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// The total of every job, in job order.
    pub totals: Vec<u64>,
    /// Elapsed wall-clock time.
    pub elapsed: Duration,
}

/// Checks `1 <= jobs <= mode.max_jobs()` and that the sum fits in 64 bits.
pub fn check(mode: Mode, jobs: usize, n: u64) -> Result<(), SummerError> {
    if jobs == 0 {
        return Err(SummerError::NoJobs);
    }
    if jobs > mode.max_jobs() {
        return Err(SummerError::TooManyJobs {
            mode,
            jobs,
            max: mode.max_jobs(),
        });
    }
    if n > MAX_N {
        return Err(SummerError::TooLarge(n));
    }
    Ok(())
}

/// Runs `jobs` sums of `0..n` one after the other.
pub fn run_serial(jobs: usize, n: u64) -> Result<Run, SummerError> {
    check(Mode::Serial, jobs, n)?;
    let begin = Instant::now();
    let totals = (0..jobs).map(|_| my_summer(0, black_box(n))).collect();
    Ok(Run {
        totals,
        elapsed: begin.elapsed(),
    })
}

/// Runs `jobs` sums of `0..n`, each on its own OS thread (like the course's
/// `threading.Thread` per job; no pool, so thread creation is timed too).
pub fn run_threads(jobs: usize, n: u64) -> Result<Run, SummerError> {
    check(Mode::Threads, jobs, n)?;
    let begin = Instant::now();
    let totals = std::thread::scope(|s| {
        let mut handles = Vec::with_capacity(jobs);
        for job in 0..jobs {
            let h = std::thread::Builder::new()
                .name(format!("summer-{job}"))
                .spawn_scoped(s, move || my_summer(0, black_box(n)))
                .map_err(|source| SummerError::Thread { job, source })?;
            handles.push(h);
        }
        // my_summer cannot panic; a panic would be a bug worth propagating.
        Ok::<Vec<u64>, SummerError>(
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect(),
        )
    })?;
    Ok(Run {
        totals,
        elapsed: begin.elapsed(),
    })
}

/// Runs `jobs` sums in `mode`; `processes` starts the workers of
/// [`Mode::Processes`] (unused by the other modes; `None` makes that mode
/// an error).
pub fn run(
    mode: Mode,
    jobs: usize,
    n: u64,
    processes: Option<&procs::Context>,
) -> Result<Run, SummerError> {
    match mode {
        Mode::Serial => run_serial(jobs, n),
        Mode::Threads => run_threads(jobs, n),
        Mode::Processes => {
            check(mode, jobs, n)?;
            run_processes(jobs, n, processes.ok_or(SummerError::NoProgram)?)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_and_threads_return_the_closed_form() {
        for n in [0u64, 1, 2, 1000, 123_457] {
            let want = vec![expected_total(n); 3];
            assert_eq!(run_serial(3, n).unwrap().totals, want);
            assert_eq!(run_threads(3, n).unwrap().totals, want);
        }
    }

    #[test]
    fn mode_names_round_trip() {
        for m in Mode::ALL {
            assert_eq!(m.name().parse::<Mode>().unwrap(), m);
        }
        assert_eq!(
            "fork".parse::<Mode>().unwrap_err().to_string(),
            "unknown mode `fork` (expected one of: serial, threads, processes)"
        );
    }

    #[test]
    fn bad_inputs_are_refused() {
        assert_eq!(
            run_serial(0, 10).unwrap_err().to_string(),
            "--jobs must be at least 1, got 0"
        );
        assert!(run_threads(1, MAX_N + 1)
            .unwrap_err()
            .to_string()
            .contains("too large"));
        let sum = |n: u64| n as u128 * (n as u128 - 1) / 2;
        assert!(sum(MAX_N) <= u64::MAX as u128 && sum(MAX_N + 1) > u64::MAX as u128);
    }

    #[test]
    fn each_mode_caps_its_jobs_before_starting_any() {
        let too_many = |mode: Mode, jobs: usize| run(mode, jobs, 10, None).unwrap_err().to_string();
        assert_eq!(
            too_many(Mode::Serial, usize::MAX),
            format!(
                "--jobs {} is more than the 100000 allowed in serial mode (each job's total is kept)",
                usize::MAX
            )
        );
        assert_eq!(
            too_many(Mode::Threads, 100_000_000_000),
            "--jobs 100000000000 is more than the 1024 allowed in threads mode (one OS thread per job)"
        );
        assert_eq!(
            too_many(Mode::Processes, MAX_PROCESSES + 1),
            "--jobs 1025 is more than the 1024 allowed in processes mode (one worker process per job)"
        );
        assert_eq!(
            run_serial(MAX_SERIAL_JOBS, 3).unwrap().totals.len(),
            MAX_SERIAL_JOBS
        );
        assert_eq!(
            run_threads(runtime::pool::MAX_THREADS, 3)
                .unwrap()
                .totals
                .len(),
            runtime::pool::MAX_THREADS
        );
    }
}
