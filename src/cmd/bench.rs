//! `hpcrs bench`: time every backend against its peers and print a table.

use std::process::ExitCode;

use anyhow::bail;
use bench::{BenchOptions, Workload};
use runtime::pool::Threads;

/// Arguments of `hpcrs bench`.
#[derive(clap::Args)]
pub struct Args {
    /// Small problems (seconds, not minutes): a smoke test, not the targets.
    #[arg(long)]
    quick: bool,
    /// Print a Markdown table (to paste into BENCHMARKS.md).
    #[arg(long)]
    markdown: bool,
    /// Interleaved runs per row: the table shows their median and spread
    /// (default 5, or 1 with --quick).
    #[arg(long, allow_negative_numbers = true, value_parser = crate::args::count::<usize>)]
    runs: Option<usize>,
    /// Threads for the threaded backends and OpenMP (0 or absent: all cores;
    /// at most 1024).
    #[arg(long, allow_negative_numbers = true, value_parser = crate::args::threads)]
    threads: Option<Threads>,
    /// Only these workloads (comma separated).
    #[arg(long, value_enum, value_delimiter = ',')]
    only: Option<Vec<Workload>>,
    /// No progress on stderr.
    #[arg(long, short)]
    quiet: bool,
}

/// Runs `hpcrs bench`. The C compiler is `$CC` (default `cc`), the Python of
/// the numpy peer `$PYTHON` (default `python3`); the report names the CPU
/// model of `/proc/cpuinfo`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut opts = BenchOptions::new(args.quick);
    if let Some(runs) = args.runs {
        opts.runs = runs;
    }
    opts.threads = args.threads.unwrap_or_default();
    // hpcrs rows also run as whole processes of this program, or of the
    // `hpcrs` without MPI that handed it over: the program users start.
    opts.hpcrs = crate::mpi_handoff::program().ok();
    opts.machine = bench::machine_line(crate::machine::cpu_model().as_deref());
    if let Ok(cc) = std::env::var("CC") {
        opts.cc = cc;
    }
    if let Ok(python) = std::env::var("PYTHON") {
        opts.python = python;
    }
    opts.progress = crate::progress::Bar::shared(args.quiet);
    if let Some(only) = args.only {
        opts.workloads = only;
    }
    opts.processes = Some(crate::children::context()?);
    let report = bench::run(&opts)?;
    crate::output::write_str(&if args.markdown {
        report.to_markdown()
    } else {
        report.to_text()
    })?;
    if !report.all_agree() {
        bail!("some rows failed or disagree with their reference (see the check column)");
    }
    Ok(ExitCode::SUCCESS)
}
