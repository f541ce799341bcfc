//! The auc rows: every registered auc backend, then the C peers.

use std::time::Instant;

use runtime::Backend;
use workloads::auc::{self, AucJob};

use runtime::pool::Threads;

use crate::case::{Case, Measured, Plan};
use crate::check::{Answer, Check};
use crate::peers::{Peers, Program};
use crate::process::whole_run;
use crate::{BenchOptions, Peer, Runner, Workload};

/// hpcrs's area is checked to this relative tolerance.
const TOLERANCE: f64 = 1e-12;

/// The peers add the terms one by one: a looser tolerance.
const PEER_TOLERANCE: f64 = 1e-9;

/// The auc rows: the course's 300 000 000 points, or 3 000 000 for `quick`.
pub(crate) fn plan(opts: &BenchOptions, peers: &Peers) -> Plan {
    let ntot: u64 = if opts.quick {
        3_000_000
    } else {
        auc::DEFAULT_NTOT
    };
    let mut plan = Plan::new(format!(
        "auc: NTOT = {ntot} points of 0.7x³ - 2x² + 4 on [0, 3] (vector kernel: {})",
        auc::simd_level()
    ));
    let exact = auc::riemann_closed_form(ntot);
    for backend in Backend::ALL {
        let area = match auc::lookup(backend) {
            Ok(f) => f,
            Err(e) => {
                // `array` is not an auc backend; the others are missing from this build.
                if matches!(backend, Backend::Expr | Backend::Mpi) {
                    plan.notes.push(format!("auc {backend}: skipped ({e})"));
                }
                continue;
            }
        };
        let mut job = AucJob::new(ntot).expect("a valid NTOT");
        if backend != Backend::Naive {
            job.threads = opts.threads;
        }
        if backend == Backend::Processes {
            if opts.processes.is_none() {
                plan.notes
                    .push("auc processes: skipped (no program to start workers of)".into());
                continue;
            }
            job.processes = opts.processes.clone();
        }
        let check = Check::Area {
            exact,
            tolerance: TOLERANCE,
        };
        let mut case = Case::new(
            Workload::Auc,
            Runner::Backend(backend),
            ntot as f64,
            check,
            move || {
                let t0 = Instant::now();
                let area = area(&job).map_err(|e| e.to_string())?;
                let seconds = t0.elapsed().as_secs_f64();
                let area = area.ok_or("this process is not the reporting MPI rank")?;
                Ok((seconds, Answer::Area(area)))
            },
        );
        if let Some(hpcrs) = opts
            .hpcrs
            .as_ref()
            .filter(|_| backend != Backend::Processes)
        {
            let mut args = vec!["auc".into(), ntot.to_string(), "--backend".into()];
            args.push(backend.name().into());
            if let (Threads::Exactly(n), false) = (opts.threads, backend == Backend::Naive) {
                args.extend(["--threads".into(), n.to_string()]);
            }
            case = case.with_process(whole_run(hpcrs.clone(), args));
        }
        plan.cases.push(case);
    }
    for (peer, built) in peers.c_variants() {
        plan.cases.push(match built {
            Ok(programs) => peer_case(peer, programs.auc.clone(), ntot, exact),
            Err(why) => Case::skipped(Workload::Auc, Runner::Peer(peer), why),
        });
    }
    plan
}

/// A C peer's row: it reports the seconds of its loop and the area.
fn peer_case(peer: Peer, program: Program, ntot: u64, exact: f64) -> Case {
    let args = vec![ntot.to_string()];
    let check = Check::Area {
        exact,
        tolerance: PEER_TOLERANCE,
    };
    Case::new(
        Workload::Auc,
        Runner::Peer(peer),
        ntot as f64,
        check,
        move || {
            let (r, wall) = program.run_timed(&args)?;
            Ok(Measured {
                seconds: r.number("seconds")?,
                process_seconds: Some(wall),
                answer: Answer::Area(r.number("area")?),
            })
        },
    )
}
