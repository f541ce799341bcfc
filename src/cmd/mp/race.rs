//! `hpcrs mp race`: the course's multiprocessing_shared.py (and, with
//! `--lock`, its fixed version): processes add 1 to a shared value, each
//! increment a plain load, a sleep and a store. Without the lock, a process
//! that sleeps between its load and its store overwrites what the others
//! stored meanwhile: updates are really lost. With the lock held around the
//! three, the total is exact. The processes wait for each other at a start
//! line, so that they race from the same moment.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use procs::{Func, Lock, Value};

use super::limits::within;
use super::Start;
use crate::output::outln;

/// The most processes `race` starts (each holds a socket until joined).
pub const MAX_PROCS: u64 = 1024;
/// The most increments per process.
pub const MAX_INCREMENTS: u64 = 1_000_000;
/// The longest sleep in an increment: one second.
pub const MAX_SLEEP_US: u64 = 1_000_000;
/// The most sleeping a run may do, in seconds: each process's own sleeps
/// without the lock, all of them one after the other with it.
pub const MAX_SLEEPING_SECONDS: u64 = 600;

/// Arguments of `hpcrs mp race`.
#[derive(clap::Args)]
pub struct Args {
    /// Hold a shared lock around each increment.
    #[arg(long)]
    lock: bool,
    /// Processes.
    #[arg(long, default_value_t = 10, allow_negative_numbers = true, value_parser = crate::args::count::<u64>)]
    procs: u64,
    /// Increments per process.
    #[arg(long, default_value_t = 50, allow_negative_numbers = true, value_parser = crate::args::count::<u64>)]
    increments: u64,
    /// Microseconds of sleep between the load and the store.
    #[arg(long, default_value_t = 1000, allow_negative_numbers = true, value_parser = crate::args::count::<u64>)]
    sleep_us: u64,
    /// How to start the processes.
    #[arg(long, value_enum, default_value_t = Start::Spawn)]
    start: Start,
}

/// What each process of the race gets: the shared value, the lock to hold
/// around each increment (none: the race), the start line, the number of
/// processes, the increments and the sleep in microseconds.
type Racer = (Value<i64>, Option<Lock>, Value<i64>, u64, u64, u64);

/// One process of the race: waits at the start line for the others, then
/// `increments` times loads the value, sleeps and stores it plus one
/// (holding the lock, if any, around the three). `Err` if the lock fails
/// (its holder died).
pub const RACE: Func<Racer, Result<(), String>> = Func::new(
    "mp.race",
    |(v, lock, start_line, procs, increments, sleep_us)| {
        wait_for_all(&start_line, procs);
        for _ in 0..increments {
            let _held = match &lock {
                Some(l) => Some(l.acquire().map_err(|e| e.to_string())?),
                None => None,
            };
            let x = v.get();
            std::thread::sleep(Duration::from_micros(sleep_us));
            v.set(x + 1);
        }
        Ok(())
    },
);

/// Counts this process at `start_line` and waits until all `procs` have
/// arrived, so that they race from the same moment however slowly they
/// were started; at most 10 s, so that one that never arrives does not hold
/// the others for ever.
fn wait_for_all(start_line: &Value<i64>, procs: u64) {
    if let Ok(mut arrived) = start_line.lock() {
        *arrived += 1;
    }
    let begin = Instant::now();
    while (start_line.get() as u64) < procs && begin.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_micros(100));
    }
}

/// Checks the arguments against their bounds.
fn check(args: &Args) -> anyhow::Result<()> {
    within("--procs", args.procs, 1, MAX_PROCS, "one process each")?;
    within(
        "--increments",
        args.increments,
        1,
        MAX_INCREMENTS,
        "the run's length",
    )?;
    within("--sleep-us", args.sleep_us, 0, MAX_SLEEP_US, "one second")?;
    let per_process = u128::from(args.increments) * u128::from(args.sleep_us);
    let (sleeping, how) = if args.lock {
        (
            per_process * u128::from(args.procs),
            "under the lock, one process after the other",
        )
    } else {
        (per_process, "in each process")
    };
    let seconds = sleeping / 1_000_000;
    if seconds > u128::from(MAX_SLEEPING_SECONDS) {
        anyhow::bail!(
            "--increments {} with --sleep-us {} is {seconds} s of sleeping {how}, more than the {MAX_SLEEPING_SECONDS} s allowed",
            args.increments,
            args.sleep_us
        );
    }
    Ok(())
}

/// Runs `hpcrs mp race`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    check(&args)?;
    super::super::summer::allow_open_files(args.procs + 64);
    let ctx = crate::children::context()?.with_start_method(args.start.into());
    let v = Value::new(0i64)?;
    let lock = if args.lock { Some(Lock::new()?) } else { None };
    let start_line = Value::new(0i64)?;
    let started = (0..args.procs)
        .map(|_| {
            let (n, increments, sleep_us) = (args.procs, args.increments, args.sleep_us);
            let racer = (
                v.clone(),
                lock.clone(),
                start_line.clone(),
                n,
                increments,
                sleep_us,
            );
            ctx.start(RACE, racer)
        })
        .collect::<Result<Vec<_>, _>>()?;
    for p in started {
        p.join()?.map_err(anyhow::Error::msg)?;
    }
    report(&args, v.get())
}

/// Prints what was expected, then the final value alone on the last line.
fn report(args: &Args, last: i64) -> anyhow::Result<ExitCode> {
    let expected = args.procs * args.increments;
    outln!(
        "{} processes x {} increments (load, sleep {} us, store) {}: expected {expected}",
        args.procs,
        args.increments,
        args.sleep_us,
        if args.lock {
            "under a lock"
        } else {
            "without a lock"
        },
    )?;
    outln!("{last}")?;
    Ok(ExitCode::SUCCESS)
}
