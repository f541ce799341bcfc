//! `hpcrs mp pool`: `multiprocessing.Pool(N).map(f, range(M))` with
//! `f(x) = x*x`, timed from the pool's start to its last result.

use std::process::ExitCode;
use std::time::Instant;

use procs::{Func, Pool};

use super::limits::within;
use crate::output::outln;

/// The most tasks: their arguments, the arguments' encoding and the
/// results are all in memory at once (about 32 bytes per task).
pub const MAX_TASKS: u64 = 10_000_000;
/// The most chunks (each is a message to a worker and its answer).
pub const MAX_CHUNKS: u64 = 1_000_000;

/// Arguments of `hpcrs mp pool`.
#[derive(clap::Args)]
pub struct Args {
    /// Worker processes (default: one per core).
    #[arg(long, allow_negative_numbers = true, value_parser = crate::args::count::<u64>)]
    workers: Option<u64>,
    /// Tasks: the function is mapped over range(TASKS).
    #[arg(long, default_value_t = 100_000, allow_negative_numbers = true, value_parser = crate::args::count::<u64>)]
    tasks: u64,
    /// Tasks per message to a worker (default: Python's, about four chunks per worker).
    #[arg(long, allow_negative_numbers = true, value_parser = crate::args::count::<u64>)]
    chunksize: Option<u64>,
}

/// The function mapped: `x*x`.
pub const SQUARE: Func<u64, u64> = Func::new("mp.square", |x| x.wrapping_mul(x));

/// Runs `hpcrs mp pool`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let workers = args.workers.unwrap_or(runtime::pool::cores() as u64);
    within(
        "--workers",
        workers,
        1,
        procs::MAX_WORKERS as u64,
        "one process each",
    )?;
    within(
        "--tasks",
        args.tasks,
        1,
        MAX_TASKS,
        "about 32 bytes of memory each",
    )?;
    if let Some(c) = args.chunksize {
        within("--chunksize", c, 1, args.tasks, "no more than the tasks")?;
        let chunks = args.tasks.div_ceil(c);
        if chunks > MAX_CHUNKS {
            anyhow::bail!(
                "--tasks {} in chunks of --chunksize {c} is {chunks} chunks, more than the {MAX_CHUNKS} allowed (one message each)",
                args.tasks
            );
        }
    }
    let ctx = crate::children::context()?;
    let begin = Instant::now();
    let pool = Pool::new(&ctx, workers as usize)?;
    let results = pool.map(SQUARE, 0..args.tasks, args.chunksize.map(|c| c as usize))?;
    drop(pool);
    let seconds = begin.elapsed().as_secs_f64();
    let checksum: u128 = results.iter().map(|&r| u128::from(r)).sum();
    outln!(
        "checksum {checksum} (sum of x*x for x in range({}))",
        args.tasks
    )?;
    outln!(
        "{} tasks on {workers} workers in {seconds:.4} s: {:.3e} tasks/s",
        args.tasks,
        args.tasks as f64 / seconds
    )?;
    Ok(ExitCode::SUCCESS)
}
