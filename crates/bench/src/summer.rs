//! The summer rows: the serial, threads and processes modes.

use workloads::summer::{self, Mode};

use crate::case::{Case, Plan};
use crate::check::{Answer, Check};
use crate::{BenchOptions, Runner, Workload};

/// The summer rows: the course's 10 jobs of `range(0, 5000000)`, or 4 of
/// `range(0, 2000000)` for `quick`. Without a program to start workers of
/// there is no `processes` row (a note says so).
pub(crate) fn plan(opts: &BenchOptions) -> Plan {
    let (jobs, n): (usize, u64) = if opts.quick {
        (4, 2_000_000)
    } else {
        (10, 5_000_000)
    };
    let mut plan = Plan::new(format!(
        "summer: {jobs} jobs of sum(range(0, {n})), one OS thread or process per job"
    ));
    let additions = jobs as f64 * n as f64;
    for mode in Mode::ALL {
        let processes = opts.processes.clone();
        if mode == Mode::Processes && processes.is_none() {
            plan.notes
                .push("summer processes: skipped (no program to start workers of)".into());
            continue;
        }
        let check = Check::Totals {
            jobs,
            each: summer::expected_total(n),
        };
        plan.cases.push(Case::new(
            Workload::Summer,
            Runner::Mode(mode),
            additions,
            check,
            move || {
                let r =
                    summer::run(mode, jobs, n, processes.as_ref()).map_err(|e| e.to_string())?;
                Ok((r.elapsed.as_secs_f64(), Answer::Totals(r.totals)))
            },
        ));
    }
    plan
}
