//! `hpcrs auc`: area under the curve of 0.7x^3 - 2x^2 + 4 for x from 0 to 3.

use std::process::ExitCode;
use std::time::Instant;

use crate::output::{noteln, outln};
use anyhow::Context;
use runtime::pool::Threads;
use workloads::auc::{self, AucJob};
use workloads::{Backend, Flavour};

/// Arguments of `hpcrs auc`.
#[derive(clap::Args)]
pub struct Args {
    /// Number of sample points (like `auc.py NTOT`; 3e8 and 300_000_000 are accepted).
    #[arg(value_name = "NTOT", allow_hyphen_values = true, value_parser = crate::args::count::<u64>)]
    ntot: Option<u64>,
    /// How to compute (`array` is not an auc backend; `mpi` needs a build
    /// with MPI).
    #[arg(long, value_enum, default_value_t = Backend::Threads)]
    backend: Backend,
    /// Number of threads for the threads and expr backends, of worker
    /// processes for processes (0 or absent: all cores; at most 1024
    /// threads, 256 processes).
    #[arg(long, allow_negative_numbers = true, value_parser = crate::args::threads)]
    threads: Option<Threads>,
    /// MPI message flavour, for --backend mpi (default: object).
    #[arg(long, value_enum)]
    flavour: Option<Flavour>,
}

impl Args {
    /// Whether this run uses MPI (`--backend mpi`).
    pub fn uses_mpi(&self) -> bool {
        self.backend == Backend::Mpi
    }
}

/// Runs `hpcrs auc`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let ntot = args.ntot.unwrap_or(auc::DEFAULT_NTOT);
    let mut job = AucJob::new(ntot)?;
    job.threads = args.threads.unwrap_or_default();
    job.flavour = args.flavour;
    if args.backend == Backend::Processes {
        job.processes = Some(crate::children::context()?);
    }
    job.on_rank_failure = |failure, rank, size| {
        noteln!("hpcrs: error: auc --backend mpi: rank {rank} of {size}: {failure}")
    };
    let begin = Instant::now();
    let area = auc::area(args.backend, &job)
        .with_context(|| format!("computing the area with {} points", ntot))?;
    let seconds = begin.elapsed().as_secs_f64();
    if let Some(area) = area {
        // The course prints "The area is 8.175000".
        outln!("The area is {area:.6}")?;
        noteln!(
            "error against exact {}: {:.3e}; backend {}{}, {} points in {:.3} s ({:.3e} points/s)",
            auc::EXACT,
            area - auc::EXACT,
            args.backend,
            match args.backend {
                Backend::Naive => " (scalar)".to_string(),
                Backend::Threads => format!(" ({})", auc::simd_level()),
                _ => String::new(),
            },
            ntot,
            seconds,
            ntot as f64 / seconds
        );
    }
    Ok(ExitCode::SUCCESS)
}
