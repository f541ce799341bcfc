//! The diff2d rows: every backend of the diffusion crate, then the C and
//! numpy peers, on the course's problem or a small one.

use diffusion::{Grid, Params, StepperOptions};
use runtime::Backend;

use runtime::pool::Threads;

use crate::case::{Case, Measured, Plan};
use crate::check::{Answer, Check};
use crate::peers::{Peers, Program};
use crate::process::whole_run;
use crate::{BenchError, BenchOptions, Peer, Runner, Workload};

/// The problem: the course's, or 100×100 interior and 399 steps (4e6 cell
/// updates) for `quick`.
fn params(quick: bool) -> Params {
    let mut p = Params::default();
    if quick {
        p.dx = 0.2;
        p.runtime = 4.0;
    }
    p
}

/// The diff2d rows.
pub(crate) fn plan(opts: &BenchOptions, peers: &Peers) -> Result<Plan, BenchError> {
    let params = params(opts.quick);
    let grid = Grid::new(&params)?;
    let updates = grid.cell_updates();
    let mut plan = Plan::new(problem_line(&params, &grid));
    let stepper = StepperOptions {
        threads: opts.threads,
        ..StepperOptions::default()
    };
    for backend in Backend::ALL {
        if let Err(e) = diffusion::make_stepper(backend, &stepper) {
            plan.notes.push(format!("diff2d {backend}: skipped ({e})"));
            continue;
        }
        let check = if backend == Backend::Naive {
            Check::Reference
        } else {
            Check::AgainstReference
        };
        let p = params.clone();
        let mut case = Case::new(
            Workload::Diff2d,
            Runner::Backend(backend),
            updates,
            check,
            move || {
                let (dens, summary) =
                    diffusion::solve_with(&p, backend, &stepper).map_err(|e| e.to_string())?;
                Ok((summary.step_seconds, Answer::Density(dens)))
            },
        );
        if let Some(hpcrs) = &opts.hpcrs {
            let args = cli_args(backend, opts, &params);
            case = case.with_process(whole_run(hpcrs.clone(), args));
        }
        plan.cases.push(case);
    }
    let args = peer_args(&params);
    for (peer, built) in peers.c_variants() {
        plan.cases.push(match built {
            Ok(programs) => peer_case(peer, programs.diff2d.clone(), args.clone(), updates),
            Err(why) => Case::skipped(Workload::Diff2d, Runner::Peer(peer), why),
        });
    }
    if let Some(numpy) = &peers.numpy {
        plan.cases.push(match numpy {
            Ok(program) => peer_case(Peer::Numpy, program.clone(), args, updates),
            Err(why) => Case::skipped(Workload::Diff2d, Runner::Peer(Peer::Numpy), why),
        });
    }
    Ok(plan)
}

/// `hpcrs diff2d` arguments that run `backend` on the problem `p`.
fn cli_args(backend: Backend, opts: &BenchOptions, p: &Params) -> Vec<String> {
    let mut args: Vec<String> = vec!["diff2d".into(), "--backend".into(), backend.name().into()];
    if let Threads::Exactly(n) = opts.threads {
        args.extend(["--threads".into(), n.to_string()]);
    }
    for (name, value) in [
        ("D", p.d),
        ("x1", p.x1),
        ("x2", p.x2),
        ("runtime", p.runtime),
        ("dx", p.dx),
        ("outtime", p.outtime),
    ] {
        args.extend(["--set".into(), format!("{name}={value:?}")]);
    }
    args
}

/// The problem, in one line.
fn problem_line(p: &Params, grid: &Grid) -> String {
    format!(
        "diff2d: {n}×{n} interior, {} steps ({:.3e} cell updates), D={} on [{}, {}]², dx={}",
        grid.nsteps,
        grid.cell_updates(),
        p.d,
        p.x1,
        p.x2,
        grid.dx,
        n = grid.nrows
    )
}

/// The peers' arguments: `D x1 x2 runtime dx outtime`, exactly.
fn peer_args(p: &Params) -> Vec<String> {
    [p.d, p.x1, p.x2, p.runtime, p.dx, p.outtime]
        .iter()
        .map(|v| format!("{v:?}"))
        .collect()
}

/// A peer's row: it reports the seconds of its time loop, and the sum and
/// maximum of its final density.
fn peer_case(peer: Peer, program: Program, args: Vec<String>, updates: f64) -> Case {
    Case::new(
        Workload::Diff2d,
        Runner::Peer(peer),
        updates,
        Check::AgainstReference,
        move || {
            let (r, wall) = program.run_timed(&args)?;
            let answer = Answer::DensityStats {
                sum: r.number("sum")?,
                max: r.number("max")?,
            };
            Ok(Measured {
                seconds: r.number("seconds")?,
                process_seconds: Some(wall),
                answer,
            })
        },
    )
}
