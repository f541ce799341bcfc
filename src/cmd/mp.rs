//! `hpcrs mp`: the course's fork and multiprocessing programs on
//! `crates/procs`: `fork` (firstfork.py), `exec` (secondfork.py), `race`
//! (multiprocessing_shared.py and its fixed version), `array`
//! (multiprocessing_shared_array.py) and `pool` (Pool.map).

use std::process::ExitCode;

use procs::Registry;

mod array;
mod exec;
mod fork;
mod limits;
mod pool;
mod race;

/// Arguments of `hpcrs mp`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Fork: the parent and the child each say who they are (firstfork.py).
    Fork(fork::Args),
    /// Fork and run another program in the child; the parent waits for it
    /// and reports its exit status (secondfork.py). Default program: `ls -l`.
    Exec(exec::Args),
    /// Processes add 1 to a shared value: without --lock updates are lost
    /// (a real race), with --lock the total is exact. The last line is the
    /// final value.
    Race(race::Args),
    /// Each of N processes negates its element of a shared array
    /// (multiprocessing_shared_array.py).
    Array(array::Args),
    /// Map x*x over range(TASKS) on a pool of worker processes; prints the
    /// checksum of the results and the tasks per second.
    Pool(pool::Args),
}

/// How `race` and `array` start their processes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Start {
    /// Start this program again (safe whatever threads run).
    Spawn,
    /// fork() (only while hpcrs runs a single thread).
    Fork,
}

impl From<Start> for procs::StartMethod {
    fn from(s: Start) -> Self {
        match s {
            Start::Spawn => procs::StartMethod::Spawn,
            Start::Fork => procs::StartMethod::Fork,
        }
    }
}

/// Runs `hpcrs mp`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::Fork(a) => fork::run(a),
        Command::Exec(a) => exec::run(a),
        Command::Race(a) => race::run(a),
        Command::Array(a) => array::run(a),
        Command::Pool(a) => pool::run(a),
    }
}

/// Registers the functions `hpcrs mp` runs in child processes.
pub fn register(registry: &mut Registry) -> procs::Result<()> {
    registry
        .add(fork::HELLO)?
        .add(race::RACE)?
        .add(array::NEGATE)?
        .add(pool::SQUARE)?;
    Ok(())
}
