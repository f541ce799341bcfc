//! `hpcrs bench`: every backend of every workload timed against its peers
//! (plain C, serial and OpenMP, and the course's numpy), in one run on one
//! machine, with every answer checked.
//!
//! The problems are the course's — diff2d with the default parameters
//! (299×299 interior, 13410 steps), auc with 300 000 000 points, summer with
//! 10 jobs of `range(0, 5000000)` — or small versions of them
//! ([`BenchOptions::quick`]). Each row runs [`BenchOptions::runs`] times,
//! round-robin (every row once, then every row again), so that a burst of
//! load on a shared machine hits all of them alike; the table shows the
//! best time, and the spread of the runs follows it. Every answer is
//! checked: diff2d backends against `naive` (1e-12), the C and numpy peers
//! against `naive`'s sum and maximum (1e-10), auc against the closed form of
//! its Riemann sum, summer against `n(n-1)/2`. The speed targets are data
//! ([`TARGETS`]), judged on medians: of the whole-process runs when both
//! rows have them, else of the in-process runs.
//!
//! Backends a build does not have (`expr`, `mpi`) are left out with a note;
//! peers a machine lacks (no C compiler, no OpenMP, no numpy) get a
//! `skipped` row that says why.
//!
//! ```
//! use bench::{BenchOptions, Workload};
//!
//! let mut opts = BenchOptions::new(true);
//! opts.workloads = vec![Workload::Summer];
//! opts.machine = bench::machine_line(Some("Example CPU @ 3.00GHz"));
//! let report = bench::run(&opts)?;
//! assert!(report.all_agree());
//! assert!(report.machine[0].ends_with(" cores, Example CPU @ 3.00GHz"));
//! // No worker command was given, so no `processes` row (a note says so).
//! let rows: Vec<&str> = report.rows.iter().map(|r| r.runner.name()).collect();
//! assert_eq!(rows, ["serial", "threads"]);
//! print!("{}", report.to_text());
//! # Ok::<(), bench::BenchError>(())
//! ```

#![deny(missing_docs)]

mod auc;
mod case;
mod check;
mod diff2d;
mod error;
mod options;
mod peers;
mod process;
mod render;
mod report;
mod rounds;
mod runner;
mod summer;
mod targets;
mod workload;

pub use error::BenchError;
pub use options::{machine_line, BenchOptions};
pub use report::{Report, Row, Status};
pub use runner::{Peer, Runner};
pub use runtime::timing::{median, Timing};
pub use targets::{Goal, Target, TargetSpec, TARGETS};
pub use workload::Workload;

use runtime::pool::Threads;

use case::{Case, Plan};
use peers::Peers;

/// Runs the bench and returns its report.
pub fn run(opts: &BenchOptions) -> Result<Report, BenchError> {
    check_options(opts)?;
    let selected = opts.selected();
    let tmp =
        runtime::temporaries::ScratchDir::new("hpcrs-bench-", None).map_err(BenchError::TempDir)?;
    let peers = Peers::prepare(opts, &selected, tmp.path());
    let mut report = Report::new(opts.quick, opts.runs);
    report.machine.push(opts.machine.clone());
    report.machine.extend(peers.machine.iter().cloned());
    let mut cases = Vec::new();
    for workload in selected {
        let plan = plan(workload, opts, &peers)?;
        report.problems.push(plan.problem);
        report.notes.extend(plan.notes);
        cases.extend(plan.cases);
    }
    rounds::time_round_robin(&mut cases, opts.runs, opts.progress.as_ref());
    report.rows = rows(cases);
    report.targets = targets::measure_all(&report);
    Ok(report)
}

/// Refuses options no run can use.
fn check_options(opts: &BenchOptions) -> Result<(), BenchError> {
    if opts.runs == 0 {
        return Err(BenchError::NoRuns);
    }
    if let Threads::Exactly(n) = opts.threads {
        Threads::from_count(n)?;
    }
    Ok(())
}

/// The rows of one workload.
fn plan(workload: Workload, opts: &BenchOptions, peers: &Peers) -> Result<Plan, BenchError> {
    Ok(match workload {
        Workload::Diff2d => diff2d::plan(opts, peers)?,
        Workload::Auc => auc::plan(opts, peers),
        Workload::Summer => summer::plan(opts),
    })
}

/// Checks every case's answer against the reference of its workload and
/// makes it a row.
fn rows(cases: Vec<Case>) -> Vec<Row> {
    let reference = |w: Workload| {
        cases.iter().find_map(|c| match (&c.check, &c.answer) {
            (check::Check::Reference, Some(check::Answer::Density(d))) if c.workload == w => {
                Some(d)
            }
            _ => None,
        })
    };
    cases
        .iter()
        .map(|c| Row {
            workload: c.workload,
            runner: c.runner,
            timing: c.timing.clone(),
            process_timing: c.process_timing.clone(),
            work: c.work,
            status: c.status(reference(c.workload)),
        })
        .collect()
}
