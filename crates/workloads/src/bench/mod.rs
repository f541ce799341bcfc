//! `hpcrs bench`: every backend of every workload against its peers, in one
//! run on one machine.
//!
//! The cases are the course's problems — diff2d with the default parameters
//! (299×299 interior, 13410 steps), auc with 300 000 000 points, summer with
//! 10 jobs of `range(0, 5000000)` — or small versions of them (`quick`). Each
//! case runs `runs` times, round-robin (every case once, then every case
//! again...), so that a burst of load on a shared machine hits all of them
//! alike; the table keeps the best time. Every answer is checked: diff2d
//! backends against `naive` (1e-12), the C and numpy peers against `naive`'s
//! sum and maximum (1e-10), auc against the closed form of its Riemann sum,
//! summer against `n(n-1)/2`.
//!
//! Backends a build does not have (`expr`, `mpi`) are skipped with a note.

mod peers;
mod table;

use std::process::Command;
use std::time::Instant;

use ndarray::Array2;

pub use table::{Report, Row, Status, Target};

use crate::auc::{self, AucJob};
use crate::summer;

/// What to run and how.
pub struct BenchOptions {
    /// Small problems (a test, a smoke check) instead of the course's.
    pub quick: bool,
    /// Runs per case; the best is kept.
    pub runs: usize,
    /// Threads of the threaded backends and OpenMP (`None`: all cores).
    pub threads: Option<usize>,
    /// The C compiler (`$CC`, default `cc`).
    pub cc: String,
    /// The Python interpreter for the numpy peer (`$PYTHON`, default `python3`).
    pub python: String,
    /// Builds the command of a summer worker process (see
    /// [`summer::run_processes`]); `None` skips the `processes` row.
    pub summer_worker: Option<Box<dyn Fn(u64, u64) -> Command>>,
    /// Print one line per timed run on stderr.
    pub progress: bool,
    /// Only these workloads (names from [`WORKLOADS`]); `None`: all.
    pub only: Option<Vec<String>>,
}

/// The workloads the bench times, in table order.
pub const WORKLOADS: [&str; 3] = ["diff2d", "auc", "summer"];

impl BenchOptions {
    /// Defaults: the course's problems, 3 runs, all cores, `$CC`/`cc`,
    /// `$PYTHON`/`python3`, no summer worker, progress on.
    pub fn new(quick: bool) -> Self {
        BenchOptions {
            quick,
            runs: if quick { 1 } else { 3 },
            threads: None,
            cc: std::env::var("CC").unwrap_or_else(|_| "cc".to_string()),
            python: std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_string()),
            summer_worker: None,
            progress: true,
            only: None,
        }
    }
}

/// What can stop the bench as a whole (a single failing case does not: it
/// is reported in its row).
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// `--runs 0`.
    #[error("--runs must be at least 1, got 0")]
    NoRuns,
    /// `--threads 0`.
    #[error("--threads must be at least 1, got 0")]
    NoThreads,
    /// `--only` with a name that is not a workload.
    #[error("unknown workload `{0}` in --only (expected some of: diff2d, auc, summer)")]
    UnknownWorkload(String),
    /// The temporary directory for the C peers.
    #[error("cannot create a temporary directory for the C peers: {0}")]
    TempDir(std::io::Error),
    /// The problem itself could not be set up.
    #[error("diff2d problem: {0}")]
    Problem(#[from] diffusion::DiffusionError),
}

/// What one timed run produced, to be checked once all runs are done.
enum Answer {
    Density(Array2<f64>),
    Stats { sum: f64, max: f64 },
    Area(f64),
    Totals(Vec<u64>),
}

/// A timed case: a row of the table.
struct Case {
    workload: &'static str,
    name: String,
    peer: bool,
    work: f64,
    unit: &'static str,
    run: Box<dyn FnMut() -> Result<(f64, Answer), String>>,
    best: Option<f64>,
    answer: Option<Answer>,
    error: Option<String>,
    /// A peer that cannot run on this machine: why (shown in its row).
    skipped: Option<String>,
}

impl Case {
    fn new(
        workload: &'static str,
        name: impl Into<String>,
        peer: bool,
        work: f64,
        unit: &'static str,
        run: impl FnMut() -> Result<(f64, Answer), String> + 'static,
    ) -> Case {
        Case {
            workload,
            name: name.into(),
            peer,
            work,
            unit,
            run: Box::new(run),
            best: None,
            answer: None,
            error: None,
            skipped: None,
        }
    }

    /// The row of a peer that cannot run here (no compiler, no OpenMP, no numpy).
    fn skipped(workload: &'static str, name: &str, unit: &'static str, why: &str) -> Case {
        let mut c = Case::new(workload, name, true, 0.0, unit, || {
            Err("skipped".to_string())
        });
        c.skipped = Some(why.to_string());
        c
    }
}

/// The diff2d problem: the course's, or a small one for `quick`.
fn diff2d_params(quick: bool) -> diffusion::Params {
    let mut p = diffusion::Params::default();
    if quick {
        // 100×100 interior, 399 steps: 4e6 cell updates.
        p.dx = 0.2;
        p.runtime = 4.0;
    }
    p
}

/// Runs the whole bench and returns the table.
pub fn run(mut opts: BenchOptions) -> Result<Report, BenchError> {
    if opts.runs == 0 {
        return Err(BenchError::NoRuns);
    }
    if opts.threads == Some(0) {
        return Err(BenchError::NoThreads);
    }
    if let Some(bad) = opts
        .only
        .iter()
        .flatten()
        .find(|w| !WORKLOADS.contains(&w.as_str()))
    {
        return Err(BenchError::UnknownWorkload(bad.clone()));
    }
    let mut report = Report::new(opts.quick, opts.runs);
    let tmp = tempfile::Builder::new()
        .prefix("hpcrs-bench-")
        .tempdir()
        .map_err(BenchError::TempDir)?;
    let mut cases = Vec::new();

    // ---- diff2d: every backend of the diffusion crate, then the peers.
    let params = diff2d_params(opts.quick);
    let grid = diffusion::Grid::new(&params)?;
    let updates = grid.cell_updates();
    report.problems.push(format!(
        "diff2d: {n}×{n} interior, {} steps ({:.3e} cell updates), D={} on [{}, {}]², dx={}",
        grid.nsteps,
        updates,
        params.d,
        params.x1,
        params.x2,
        grid.dx,
        n = grid.nrows
    ));
    for backend in diffusion::Backend::ALL {
        if let Err(e) = diffusion::make_stepper(backend, opts.threads) {
            report
                .notes
                .push(format!("diff2d {backend}: skipped ({e})"));
            continue;
        }
        let (p, threads) = (params.clone(), opts.threads);
        cases.push(Case::new(
            "diff2d",
            backend.name(),
            false,
            updates,
            "cell updates/s",
            move || {
                let (dens, summary) =
                    diffusion::solve(&p, backend, threads).map_err(|e| e.to_string())?;
                Ok((summary.step_seconds, Answer::Density(dens)))
            },
        ));
    }
    let diff2d_args: Vec<String> = [
        params.d,
        params.x1,
        params.x2,
        params.runtime,
        params.dx,
        params.outtime,
    ]
    .iter()
    .map(|v| format!("{v:?}"))
    .collect();
    let omp_env: Vec<(&str, String)> = opts
        .threads
        .map(|t| vec![("OMP_NUM_THREADS", t.to_string())])
        .unwrap_or_default();

    let c = peers::build_c(&opts.cc, tmp.path());
    report.machine.push(format!(
        "C peers: {} {}",
        c.compiler,
        peers::CFLAGS.join(" ")
    ));
    let c_variants = [
        ("C serial", c.serial.as_ref(), Vec::new()),
        ("C OpenMP", c.openmp.as_ref(), omp_env.clone()),
    ];
    for (label, built, env) in &c_variants {
        match built {
            Ok((prog, _)) => {
                let (prog, args, env) = (prog.clone(), diff2d_args.clone(), env.clone());
                cases.push(Case::new(
                    "diff2d",
                    *label,
                    true,
                    updates,
                    "cell updates/s",
                    move || {
                        let r = peers::run(&prog, &args, &env)?;
                        let stats = Answer::Stats {
                            sum: peers::number(&r, "sum")?,
                            max: peers::number(&r, "max")?,
                        };
                        Ok((peers::number(&r, "seconds")?, stats))
                    },
                ));
            }
            Err(why) => cases.push(Case::skipped("diff2d", label, "cell updates/s", why)),
        }
    }
    match peers::numpy_peer(&opts.python, tmp.path()) {
        Ok((prog, versions)) => {
            report.machine.push(format!("numpy peer: {versions}"));
            let args = diff2d_args.clone();
            cases.push(Case::new(
                "diff2d",
                "numpy",
                true,
                updates,
                "cell updates/s",
                move || {
                    let r = peers::run(&prog, &args, &[])?;
                    let stats = Answer::Stats {
                        sum: peers::number(&r, "sum")?,
                        max: peers::number(&r, "max")?,
                    };
                    Ok((peers::number(&r, "seconds")?, stats))
                },
            ));
        }
        Err(why) => cases.push(Case::skipped("diff2d", "numpy", "cell updates/s", &why)),
    }

    // ---- auc: every registered backend, then the C peers.
    let ntot: u64 = if opts.quick {
        3_000_000
    } else {
        auc::DEFAULT_NTOT
    };
    report.problems.push(format!(
        "auc: NTOT = {ntot} points of 0.7x³ - 2x² + 4 on [0, 3] (vector kernel: {})",
        auc::simd_level()
    ));
    for backend in crate::Backend::ALL {
        let f = match auc::lookup(backend) {
            Ok(f) => f,
            Err(e) => {
                if matches!(backend, crate::Backend::Expr | crate::Backend::Mpi) {
                    report.notes.push(format!("auc {backend}: skipped ({e})"));
                }
                continue;
            }
        };
        let mut job = AucJob::new(ntot).expect("a valid NTOT");
        if backend != crate::Backend::Naive {
            job.threads = opts.threads;
        }
        cases.push(Case::new(
            "auc",
            backend.name(),
            false,
            ntot as f64,
            "points/s",
            move || {
                let t0 = Instant::now();
                let area = f(&job).map_err(|e| e.to_string())?;
                let seconds = t0.elapsed().as_secs_f64();
                let area = area.ok_or("this process is not the reporting MPI rank")?;
                Ok((seconds, Answer::Area(area)))
            },
        ));
    }
    for (label, built, env) in &c_variants {
        match built {
            Ok((_, prog)) => {
                let (prog, env) = (prog.clone(), env.clone());
                let args = vec![ntot.to_string()];
                cases.push(Case::new(
                    "auc",
                    *label,
                    true,
                    ntot as f64,
                    "points/s",
                    move || {
                        let r = peers::run(&prog, &args, &env)?;
                        let area = peers::number(&r, "area")?;
                        Ok((peers::number(&r, "seconds")?, Answer::Area(area)))
                    },
                ));
            }
            Err(why) => cases.push(Case::skipped("auc", label, "points/s", why)),
        }
    }

    // ---- summer: serial, threads, processes.
    let (jobs, n): (usize, u64) = if opts.quick {
        (4, 2_000_000)
    } else {
        (10, 5_000_000)
    };
    report.problems.push(format!(
        "summer: {jobs} jobs of sum(range(0, {n})), one OS thread or process per job"
    ));
    let additions = jobs as f64 * n as f64;
    let worker = opts.summer_worker.take().map(std::rc::Rc::new);
    for mode in summer::Mode::ALL {
        let worker = match (mode, &worker) {
            (summer::Mode::Processes, None) => {
                report
                    .notes
                    .push("summer processes: skipped (no worker command given)".into());
                continue;
            }
            (_, w) => w.clone(),
        };
        cases.push(Case::new(
            "summer",
            mode.name(),
            false,
            additions,
            "additions/s",
            move || {
                let build = |s: u64, e: u64| match &worker {
                    Some(w) => w(s, e),
                    None => Command::new("false"),
                };
                let r = summer::run(mode, jobs, n, build).map_err(|e| e.to_string())?;
                Ok((r.elapsed.as_secs_f64(), Answer::Totals(r.totals)))
            },
        ));
    }

    // ---- keep what --only asks for.
    if let Some(only) = &opts.only {
        let wanted = |line: &str| {
            only.iter()
                .any(|w| line.starts_with(&format!("{w} ")) || line.starts_with(&format!("{w}:")))
        };
        cases.retain(|c| only.iter().any(|w| w == c.workload));
        report.problems.retain(|l| wanted(l));
        report.notes.retain(|l| wanted(l));
    }

    // ---- time everything, round-robin.
    for round in 1..=opts.runs {
        for case in cases.iter_mut() {
            if case.error.is_some() || case.skipped.is_some() {
                continue;
            }
            match (case.run)() {
                Ok((seconds, answer)) => {
                    if opts.progress {
                        eprintln!(
                            "bench: run {round}/{}: {} {}: {seconds:.4} s",
                            opts.runs, case.workload, case.name
                        );
                    }
                    if case.best.is_none_or(|b| seconds < b) {
                        case.best = Some(seconds);
                    }
                    case.answer = Some(answer);
                }
                Err(e) => case.error = Some(e),
            }
        }
    }

    // ---- check the answers and build the rows.
    let reference = cases
        .iter()
        .find(|c| c.workload == "diff2d" && c.name == "naive")
        .and_then(|c| match &c.answer {
            Some(Answer::Density(d)) => Some(d.clone()),
            _ => None,
        });
    let exact_area = auc::riemann_closed_form(ntot);
    let want_total = summer::expected_total(n);
    for case in cases {
        let status = match (&case.error, &case.answer) {
            _ if case.skipped.is_some() => {
                Status::Skipped(case.skipped.clone().unwrap_or_default())
            }
            (Some(e), _) => Status::Failed(e.clone()),
            (None, None) => Status::Failed("no answer".into()),
            // diff2d naive is the reference the others are checked against.
            (None, Some(Answer::Density(_))) if case.name == "naive" => {
                Status::Agrees("reference".into())
            }
            (None, Some(answer)) => check(
                answer,
                reference.as_ref(),
                exact_area,
                jobs,
                want_total,
                case.peer,
            ),
        };
        report.rows.push(Row {
            workload: case.workload,
            name: case.name,
            peer: case.peer,
            seconds: case.best,
            work: case.work,
            unit: case.unit,
            status,
        });
    }
    report.compute_targets();
    Ok(report)
}

/// Checks one answer against the reference of its workload.
fn check(
    answer: &Answer,
    reference: Option<&Array2<f64>>,
    exact_area: f64,
    jobs: usize,
    want_total: u64,
    peer: bool,
) -> Status {
    let rel = |a: f64, b: f64| (a - b).abs() / b.abs().max(f64::MIN_POSITIVE);
    let verdict = |err: f64, tol: f64, what: &str| {
        if err <= tol {
            Status::Agrees(format!("{err:.1e}"))
        } else {
            Status::Differs(format!("{what} off by {err:.1e} (tolerance {tol:.0e})"))
        }
    };
    match answer {
        Answer::Density(d) => match reference {
            None => Status::Unchecked("no naive result to compare with".into()),
            Some(r) => {
                if d.dim() != r.dim() {
                    Status::Differs(format!("shape {:?} vs {:?}", d.dim(), r.dim()))
                } else {
                    verdict(diffusion::relative_difference(d, r), 1e-12, "density")
                }
            }
        },
        Answer::Stats { sum, max } => match reference {
            None => Status::Unchecked("no naive result to compare with".into()),
            Some(r) => {
                let rsum: f64 = r.sum();
                let rmax = r.iter().fold(0.0f64, |m, &v| m.max(v));
                verdict(rel(*sum, rsum).max(rel(*max, rmax)), 1e-10, "sum/max")
            }
        },
        Answer::Area(a) => {
            // The peers add 3e8 terms one by one: looser.
            let tol = if peer { 1e-9 } else { 1e-12 };
            verdict(rel(*a, exact_area), tol, "area")
        }
        Answer::Totals(t) => {
            if t.len() == jobs && t.iter().all(|&x| x == want_total) {
                Status::Agrees("exact".into())
            } else {
                Status::Differs(format!("totals {t:?}, want {want_total} each"))
            }
        }
    }
}
