//! `hpcrs mp array`: the course's multiprocessing_shared_array.py: a shared
//! array of 0, 1, ..., n-1; process i negates element i; the parent prints
//! the array.

use std::process::ExitCode;

use procs::{Array, Func};

use super::limits::within;
use super::Start;
use crate::output::outln;

/// The most elements (one process each).
pub const MAX_N: u64 = 1024;

/// Arguments of `hpcrs mp array`.
#[derive(clap::Args)]
pub struct Args {
    /// Elements, and processes.
    #[arg(long, default_value_t = 10, allow_negative_numbers = true, value_parser = crate::args::count::<u64>)]
    n: u64,
    /// How to start the processes.
    #[arg(long, value_enum, default_value_t = Start::Spawn)]
    start: Start,
}

/// Process i's work: `a[i] = -a[i]`.
pub const NEGATE: Func<(Array<f64>, usize), Result<(), String>> =
    Func::new("mp.negate", |(a, i)| {
        let x = a.get(i).ok_or_else(|| format!("no element {i}"))?;
        a.set(i, -x).map_err(|e| e.to_string())
    });

/// Runs `hpcrs mp array`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    within("--n", args.n, 1, MAX_N, "one process per element")?;
    super::super::summer::allow_open_files(args.n + 64);
    let ctx = crate::children::context()?.with_start_method(args.start.into());
    let n = args.n as usize;
    let a = Array::from_slice(&(0..n).map(|i| i as f64).collect::<Vec<_>>())?;
    let started = (0..n)
        .map(|i| ctx.start(NEGATE, (a.clone(), i)))
        .collect::<Result<Vec<_>, _>>()?;
    for p in started {
        p.join()?.map_err(anyhow::Error::msg)?;
    }
    // Python prints `arr[:]` as a list: [-0.0, -1.0, -2.0, ...].
    outln!("{:?}", a.to_vec()?)?;
    Ok(ExitCode::SUCCESS)
}
