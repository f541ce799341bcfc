//! summer's processes mode, like `summer_multiprocessing.py`: one
//! `procs::Process` per job, all started, then all joined, each returning
//! its total.
//!
//! The workers never outlive the run: `procs` ties each to its parent
//! (`PR_SET_PDEATHSIG`), so a run killed by a signal, even while it is
//! still starting workers, leaves none behind; and on any error the workers
//! already started are killed and reaped as their handles drop. Each answer
//! is checked against the closed form, so a worker that returns a wrong
//! total is an error naming it.

use std::time::Instant;

use procs::{Context, Process};

use crate::children::SUMMER_JOB;
use crate::summer::{check, expected_total, Mode, Run, SummerError};

/// Runs `jobs` sums of `0..n`, each in a worker process of `ctx` (whose
/// program registers [`crate::children::register`]'s functions). All
/// workers are started before any is joined, so they run at the same time.
/// Call it from a thread that outlives the run (the main thread, for
/// instance): the workers die with the thread that started them.
pub fn run_processes(jobs: usize, n: u64, ctx: &Context) -> Result<Run, SummerError> {
    check(Mode::Processes, jobs, n)?;
    let want = expected_total(n);
    let begin = Instant::now();
    let mut workers: Vec<Process<u64>> = Vec::with_capacity(jobs);
    for job in 0..jobs {
        let worker = ctx
            .start(SUMMER_JOB, (0, n))
            .map_err(|source| SummerError::Spawn {
                job,
                program: ctx.program().display().to_string(),
                source,
            })?;
        workers.push(worker);
    }
    let mut totals = Vec::with_capacity(jobs);
    for (job, w) in workers.into_iter().enumerate() {
        let total = w
            .join()
            .map_err(|source| SummerError::Worker { job, source })?;
        if total != want {
            return Err(SummerError::WrongTotal {
                job,
                n,
                total,
                want,
            });
        }
        totals.push(total);
    }
    Ok(Run {
        totals,
        elapsed: begin.elapsed(),
    })
}
