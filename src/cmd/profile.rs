//! `hpcrs profile`: run another subcommand in this process under the
//! sampling profiler (crates/profile) and write its reports: functions.txt
//! (cProfile's table), lines.txt (line_profiler's), flamegraph.svg and
//! profile.pb.gz, and with `--memory` memory.txt and memory.png (the heap
//! counted by the program's allocator, src/allocator.rs, and the resident
//! memory read from /proc/self/statm). The subcommand's own output is
//! unchanged; the summary goes to standard error after it.

use std::ffi::OsString;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{CommandFactory, Parser};

use crate::output::{self, noteln};
use crate::{Cli, Command};

/// The most functions `--lines` shows line by line.
const MAX_LINE_FUNCTIONS: usize = 1000;

/// Functions in the summary on standard error.
const SUMMARY_FUNCTIONS: usize = 10;

/// The variables an MPI launcher sets to this process's rank: PMI's
/// (MPICH, Intel MPI), PMIx's and Open MPI's.
const RANK_VARIABLES: &[&str] = &["PMI_RANK", "PMIX_RANK", "OMPI_COMM_WORLD_RANK"];

/// Arguments of `hpcrs profile`.
#[derive(clap::Args)]
pub struct Args {
    /// Directory for the reports (created if needed; under mpirun each rank
    /// writes DIR/rank-N).
    #[arg(long, value_name = "DIR", default_value = "profile-out")]
    out: PathBuf,
    /// Samples per second of CPU time, 1 to 10000 (the kernel gives at most
    /// one per clock tick per busy core).
    #[arg(long, value_name = "HZ", default_value_t = profile::Rate::DEFAULT,
          allow_negative_numbers = true, value_parser = rate)]
    rate: profile::Rate,
    /// How many functions lines.txt shows line by line (those with the most
    /// self time), 1 to 1000.
    #[arg(long, value_name = "N", default_value_t = profile::Options::DEFAULT_LINES,
          allow_negative_numbers = true, value_parser = line_functions)]
    lines: usize,
    /// Also profile memory (memory.txt, memory.png): the heap's peak and
    /// the allocation sites holding it, each named phase's increment, heap
    /// and resident memory over time.
    #[arg(long)]
    memory: bool,
    /// The subcommand to profile and its arguments, after `--`
    /// (e.g. `-- diff2d --backend naive`).
    #[arg(last = true, required = true, value_name = "SUBCOMMAND [ARGS]")]
    command: Vec<OsString>,
}

/// Clap value parser of `--rate`.
fn rate(text: &str) -> Result<profile::Rate, String> {
    text.parse()
        .map_err(|e: profile::ProfileError| e.to_string())
}

/// Clap value parser of `--lines`: a count from 1 to [`MAX_LINE_FUNCTIONS`].
fn line_functions(text: &str) -> Result<usize, String> {
    match crate::args::count::<usize>(text).map_err(|e| e.to_string())? {
        n @ 1..=MAX_LINE_FUNCTIONS => Ok(n),
        _ => Err(format!("must be 1 to {MAX_LINE_FUNCTIONS} functions")),
    }
}

impl Args {
    /// Whether the profiled subcommand uses MPI (false when it does not
    /// parse: [`run`] reports that).
    pub fn uses_mpi(&self) -> bool {
        parse(self.command.clone()).is_ok_and(|cli| cli.command.uses_mpi())
    }
}

/// Runs `hpcrs profile`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let command = subcommand(args.command);
    let out = output_dir(&args.out)?;
    prepare(&out)?;
    if let Some(note) = unprofiled_parts(&command) {
        noteln!("hpcrs profile: {note}");
    }
    let options = profile::Options {
        rate: args.rate,
        lines: args.lines,
        source_roots: source_roots(),
        memory: args.memory.then(|| profile::MemoryOptions {
            rss: Some(profile::RssReader::new(resident_bytes)),
            ..profile::MemoryOptions::default()
        }),
    };
    // A panic is resumed below, once the reports are written: nothing
    // observes what it broke.
    let (outcome, report) =
        profile::run_catching(options, AssertUnwindSafe(|| crate::dispatch(command)))
            .context("profiling")?;
    let written = report
        .write_to(&out)
        .with_context(|| format!("writing the profile to {}", out.display()));
    noteln!(
        "hpcrs profile: {}",
        report.summary(SUMMARY_FUNCTIONS).trim_end()
    );
    if written.is_ok() {
        noteln!("hpcrs profile: reports in {}/", out.display());
    }
    let result = match outcome {
        Ok(result) => result,
        // The panic's message was printed when it happened; the reports of
        // what ran before it are written: now end as the panic would have.
        Err(panic) => panic::resume_unwind(panic),
    };
    match (result, written) {
        (result, Ok(_)) => result,
        (Ok(_), Err(err)) => Err(err),
        // The subcommand's own error is the one main reports (and its exit
        // code is the one returned); the profile's is a note beside it.
        (Err(err), Err(write)) => {
            noteln!("hpcrs: error: {}", output::error_line(&write));
            Err(err)
        }
    }
}

/// The subcommand to profile, parsed as `hpcrs SUBCOMMAND ARGS` would be:
/// clap's usage error (exit 2) if it is not one, and `profile` itself is
/// refused the same way.
fn subcommand(words: Vec<OsString>) -> Command {
    let cli = parse(words).unwrap_or_else(|e| e.exit());
    if let Command::Profile(_) = cli.command {
        Cli::command()
            .error(
                clap::error::ErrorKind::InvalidSubcommand,
                "hpcrs profile cannot profile `profile`: give the subcommand to profile directly \
                 (hpcrs profile -- diff2d ...)",
            )
            .exit();
    }
    cli.command
}

/// `words` parsed as the command line `hpcrs WORDS…`.
fn parse(words: Vec<OsString>) -> Result<Cli, clap::Error> {
    Cli::try_parse_from(std::iter::once(OsString::from("hpcrs")).chain(words))
}

/// `dir`, or `dir/rank-N` in a process an MPI launcher started, so that the
/// ranks do not write over each other.
fn output_dir(dir: &Path) -> anyhow::Result<PathBuf> {
    if !crate::mpi_handoff::launched_by_mpirun() {
        return Ok(dir.to_path_buf());
    }
    for var in RANK_VARIABLES {
        if let Some(value) = std::env::var_os(var) {
            let text = value.to_string_lossy();
            let rank: u32 = text.trim().parse().with_context(|| {
                format!("environment variable {var}: `{text}` is not an MPI rank")
            })?;
            return Ok(dir.join(format!("rank-{rank}")));
        }
    }
    anyhow::bail!(
        "started by an MPI launcher, but none of {} gives this process's rank \
         (needed for the directory DIR/rank-N of its profile)",
        RANK_VARIABLES.join(", ")
    )
}

/// Creates `dir` and checks, before anything runs, that the reports can be
/// written in it: the temporary an atomic write starts with is created and
/// removed.
fn prepare(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    drop(runtime::atomic::AtomicFile::create(
        dir.join(profile::FILES[0]),
    )?);
    Ok(())
}

/// What runs outside this process, and so outside the profile.
fn unprofiled_parts(command: &Command) -> Option<String> {
    let rank = crate::mpi_handoff::launched_by_mpirun();
    match command {
        Command::Summer(args) if args.spawns_workers() => Some(
            "the worker processes of --mode processes are not profiled: the report covers \
             this process only (starting the workers and collecting their totals)"
                .into(),
        ),
        Command::Mp(_) => Some(
            "the processes mp starts (forked or spawned children, a pool's workers) are not \
             profiled: the report covers this process only"
                .into(),
        ),
        Command::Cluster(_) => Some(
            "the controller and the engines of a cluster are processes of their own and are \
             not profiled: the report covers this process only (starting them, or sending \
             work and waiting for the answers)"
                .into(),
        ),
        Command::Bench(_) => Some(
            "the programs bench starts (the C, OpenMP and numpy peers and the summer workers) \
             are not profiled: the report covers this process only"
                .into(),
        ),
        _ if rank => Some(
            "each MPI rank is its own process and profiles itself only: this rank writes \
             its reports to its own DIR/rank-N"
                .into(),
        ),
        _ => None,
    }
}

/// This process's resident memory now: the second field of
/// `/proc/self/statm`, in pages.
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    pages.checked_mul(u64::try_from(page).ok()?)
}

/// Where the sources named by the debug info are looked for: the workspace
/// this program was built from, then the current directory.
fn source_roots() -> Vec<PathBuf> {
    let mut roots = vec![PathBuf::from(env!("CARGO_MANIFEST_DIR"))];
    if let Ok(cwd) = std::env::current_dir() {
        if !roots.contains(&cwd) {
            roots.push(cwd);
        }
    }
    roots
}
