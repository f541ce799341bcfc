//! `hpcrs`: the command-line front end. It parses arguments, calls a library
//! crate and prints; the algorithms live in `crates/`.

#[cfg_attr(not(feature = "mpi"), allow(dead_code))]
mod affinity;
mod allocator;
mod args;
mod children;
mod cmd;
mod machine;
mod memory;
mod mpi_handoff;
#[cfg(feature = "mpi")]
mod mpi_start;
mod output;
mod progress;
mod sigbus;
mod signals;

use clap::{Parser, Subcommand};

#[global_allocator]
static ALLOCATOR: allocator::Counting = allocator::Counting;

/// High-performance computing in Rust: the HPC Python course's workloads,
/// serial, on every core, out of core and on a cluster through MPI.
#[derive(Parser)]
#[command(name = "hpcrs", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Print the peak resident memory (VmHWM) to stderr at the end: what
    /// the tests read, since a parent's `wait4` counts the memory of the
    /// process it forked from (the test harness) into the child's peak.
    #[arg(long, global = true, hide = true)]
    report_rss: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Solve the 2D diffusion equation (the course's running example).
    Diff2d(cmd::diff2d::Args),
    /// Area under the curve of 0.7x^3 - 2x^2 + 4 for x from 0 to 3.
    Auc(cmd::auc::Args),
    /// Sum range(0, n) several times: serial, threads or processes.
    Summer(cmd::summer::Args),
    /// Time every backend against its peers and print a table.
    Bench(cmd::bench::Args),
    /// Evaluate an array expression on random inputs and time it, or on .npy files (--input).
    Expr(cmd::expr::Args),
    /// MPI examples of the course (hello, ring, halo benchmark).
    Mpi(cmd::mpi::Args),
    /// Count words with the dataset engine (Moby Dick by default).
    Wordcount(cmd::wordcount::Args),
    /// Out-of-core arrays: create, stats and get on .npy files.
    Ooc(cmd::ooc::Args),
    /// Processes: fork, exec, a shared-value race, a shared array, a pool (multiprocessing).
    Mp(cmd::mp::Args),
    /// Run a subcommand under the profiler: functions by cumulative time,
    /// hot lines, a flame graph, memory with --memory (`hpcrs profile -- diff2d`).
    Profile(cmd::profile::Args),
    /// IPython Parallel: start a controller and engines, drive them with
    /// direct and load-balanced views (`hpcrs cluster start -n 4`).
    Cluster(cmd::cluster::Args),
}

fn main() -> std::process::ExitCode {
    // First, while this is the only thread.
    #[cfg(feature = "mpi")]
    {
        mpi_handoff::arrived();
        mpi_start::prepare();
    }
    signals::die_quietly_on_closed_pipe();
    signals::file_size_limits_are_errors();
    // A spawned child process (procs) is this program started again with a
    // hidden argument: it runs its function and exits, before any parsing.
    match procs::child::run_if_child(std::env::args_os(), &children::registry()) {
        Some(Ok(code)) => return code,
        Some(Err(e)) => {
            output::noteln!("hpcrs: error: {e}");
            return std::process::ExitCode::from(2);
        }
        None => {}
    }
    let cli = match parse_or_hand_over() {
        Ok(cli) => cli,
        Err(err) => {
            report(&err);
            return std::process::ExitCode::FAILURE;
        }
    };
    if let Err(err) = apply_simd_cap() {
        report(&err);
        return std::process::ExitCode::FAILURE;
    }
    // Before any command writes a temporary: a signal that ends it removes them.
    if let Err(err) = signals::end_cleanly_on_signals() {
        report(&anyhow::Error::new(err).context("cannot set up signal handling"));
        return std::process::ExitCode::FAILURE;
    }
    let result = dispatch(cli.command);
    if cli.report_rss {
        if let Some(rss) = memory::peak_rss() {
            output::noteln!("peak RSS {rss} bytes");
        }
    }
    // Lines are flushed as they are written; this is for a last line
    // without a newline, whose failure would otherwise go unnoticed.
    match result.and_then(|code| output::flush().map(|()| code)) {
        Ok(code) => code,
        Err(err) => {
            report(&err);
            std::process::ExitCode::FAILURE
        }
    }
}

/// Parses the command line. A build without MPI first becomes the
/// `hpcrs-mpi` beside it, if there is one, as a rank an MPI launcher
/// started, or after parsing, for a command that uses MPI
/// ([`mpi_handoff`]).
fn parse_or_hand_over() -> anyhow::Result<Cli> {
    mpi_handoff::to_mpi_build_if(mpi_handoff::launched_by_mpirun())?;
    let cli = Cli::parse();
    mpi_handoff::to_mpi_build_if(cli.command.uses_mpi())?;
    Ok(cli)
}

impl Command {
    /// Whether this command uses MPI (a build without it hands such
    /// commands to `hpcrs-mpi`, [`mpi_handoff`]).
    fn uses_mpi(&self) -> bool {
        match self {
            Command::Diff2d(args) => args.uses_mpi(),
            Command::Auc(args) => args.uses_mpi(),
            Command::Mpi(args) => args.uses_mpi(),
            Command::Cluster(args) => args.uses_mpi(),
            Command::Profile(args) => args.uses_mpi(),
            // The bench times the MPI backends too where the build has them.
            Command::Bench(_) => true,
            // Wordcount uses MPI only as a launched rank (checked before parsing).
            Command::Summer(_)
            | Command::Expr(_)
            | Command::Wordcount(_)
            | Command::Ooc(_)
            | Command::Mp(_) => false,
        }
    }
}

/// Runs one subcommand (what `hpcrs profile` runs under the profiler).
fn dispatch(command: Command) -> anyhow::Result<std::process::ExitCode> {
    match command {
        Command::Diff2d(args) => cmd::diff2d::run(args),
        Command::Auc(args) => cmd::auc::run(args),
        Command::Summer(args) => cmd::summer::run(args),
        Command::Bench(args) => cmd::bench::run(args),
        Command::Expr(args) => cmd::expr::run(args),
        Command::Mpi(args) => cmd::mpi::run(args),
        Command::Wordcount(args) => cmd::wordcount::run(args),
        Command::Ooc(args) => cmd::ooc::run(args),
        Command::Mp(args) => cmd::mp::run(args),
        Command::Profile(args) => cmd::profile::run(args),
        Command::Cluster(args) => cmd::cluster::run(args),
    }
}

/// Prints `hpcrs: error: ` and the error with its causes, on one line.
fn report(err: &anyhow::Error) {
    output::noteln!("hpcrs: error: {}", output::error_line(err));
}

/// `HPCRS_SIMD=base|avx2|avx512` caps the SIMD level every kernel uses
/// (to compare levels, or to check that they agree).
fn apply_simd_cap() -> anyhow::Result<()> {
    if let Some(level) = std::env::var_os("HPCRS_SIMD") {
        let level = level.to_string_lossy();
        let level: runtime::Simd = level
            .parse()
            .map_err(|e| anyhow::anyhow!("environment variable HPCRS_SIMD: {e}"))?;
        runtime::simd::limit(level);
    }
    Ok(())
}
