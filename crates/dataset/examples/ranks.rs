//! One dataset program on any number of ranks: as threads of this process
//! (`--local N`) or as the processes of an MPI job (under `mpirun`, built
//! with `--features mpi`). Only the line that makes the `Context` differs.
//!
//! It checks that pipelines of every kind (narrow, shuffles, joins, sorts,
//! caching, every action) give on the ranks what one process gives, and
//! with `--shuffle MIB` measures the exchange of a shuffle of that many MiB
//! of `(u64, u64)` records between the ranks.
//!
//! ```console
//! $ cargo run --release -p hpcrs-dataset --example ranks -- --local 4
//! $ cargo build --release -p hpcrs-dataset --features mpi --example ranks
//! $ mpirun -np 4 target/release/examples/ranks
//! $ mpirun -np 2 target/release/examples/ranks --shuffle 512
//! ```

use std::cmp::Reverse;
use std::process::ExitCode;

use dataset::{Context, ContextBuilder, Result};

/// The program every rank runs, whatever the ranks are.
fn program(ctx: &Context, shuffle_mib: Option<u64>) -> Result<String> {
    if let Some(mib) = shuffle_mib {
        return shuffle(ctx, mib);
    }
    let alone = Context::local(1)?;
    let mut checks = 0;
    for (seed, parts, reducers) in [(1u64, 1, 1), (2, 7, 3), (3, 64, 64), (4, 5, 9), (5, 3, 2)] {
        let items: Vec<u64> = (0..2000u64)
            .map(|i| (i * 7919 + seed * 104_729) % 1013)
            .collect();
        let here = pipelines(ctx, &items, parts, reducers)?;
        let there = pipelines(&alone, &items, parts, reducers)?;
        if here != there {
            return Err(dataset::DatasetError::InvalidArgument(format!(
                "rank {}: {parts} -> {reducers} partitions differ from one process",
                ctx.rank()
            )));
        }
        checks += here.len();
    }
    Ok(format!(
        "ranks: {checks} checks passed on {} rank(s)",
        ctx.ranks()
    ))
}

/// Every kind of transformation and action, as text to compare.
fn pipelines(ctx: &Context, items: &[u64], parts: usize, reducers: usize) -> Result<Vec<String>> {
    let data = ctx.parallelize(items.to_vec(), parts).cache();
    let pairs = data.map(|x| (x % 31, x));
    let mut sums = pairs
        .reduce_by_key_partitions(|a, b| a + b, reducers)
        .collect()?;
    sums.sort_unstable();
    let groups = pairs
        .group_by_key_partitions(reducers)
        .sort_by_key(true)
        .collect()?;
    let other = ctx.parallelize((0..40u64).map(|k| (k, k * k)).collect::<Vec<_>>(), 3);
    let joined = pairs
        .join(&other)
        .sort_by(|(k, (v, w))| (*k, *v, *w), true)
        .collect()?;
    let sorted = data.sort_by(|x| *x, false).take(25)?;
    let distinct = data.distinct().count()?;
    let union = data
        .union(&data.filter(|x| x % 3 == 0))
        .fold(0, |a, b| a + b)?;
    Ok(vec![
        format!("{sums:?}"),
        format!("{groups:?}"),
        format!("{joined:?}"),
        format!("{sorted:?}"),
        format!("{distinct}"),
        format!("{union}"),
        format!("{:?}", data.take_ordered(9, |x| Reverse(*x))?),
        format!("{:?}", data.collect()?),
        format!("{}", data.map(|x| x * 2).sum()?),
    ])
}

/// A shuffle of `mib` MiB of `(u64, u64)` records between the ranks: the
/// bytes each rank sent and received, and the rate of its exchange.
fn shuffle(ctx: &Context, mib: u64) -> Result<String> {
    let records = mib << 20 >> 4;
    let parts = 4 * ctx.default_parallelism();
    let data = ctx
        .parallelize(0..records, parts)
        .map(|i| (i.wrapping_mul(0x9E37_79B9_7F4A_7C15), i));
    // The only shuffle of this context: its metrics are this exchange's.
    let n = data.repartition(parts).count()?;
    let mut lines = vec![format!(
        "{n} records of 16 bytes repartitioned over {} rank(s)",
        ctx.ranks()
    )];
    for (rank, m) in ctx.metrics_of_ranks()?.iter().enumerate() {
        let seconds = m.shuffle_exchange_nanos as f64 / 1e9;
        let bytes = m.shuffle_bytes_sent + m.shuffle_bytes_received;
        lines.push(format!(
            "rank {rank}: sent {} B, received {} B of serialised buckets in {seconds:.3} s of exchange: {:.2} GB/s",
            m.shuffle_bytes_sent,
            m.shuffle_bytes_received,
            bytes as f64 / 1e9 / seconds.max(1e-9),
        ));
    }
    Ok(lines.join("\n"))
}

fn settings(_rank: usize) -> ContextBuilder {
    Context::builder().threads(1)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .map(|v| v.parse::<u64>().expect("a number after the flag"))
    };
    let (local, shuffle_mib) = (value("--local"), value("--shuffle"));
    let outcome = match local {
        Some(n) => {
            dataset::run_on_local_ranks(n as usize, settings, |ctx| program(ctx, shuffle_mib))
                .map(|mut out| Some(out.swap_remove(0)))
        }
        None => on_world(shuffle_mib),
    };
    match outcome {
        Ok(Some(text)) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Ok(None) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ranks: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The MPI world's context when launched by `mpirun`, else one process.
/// Rank 0's text, `None` on the others.
fn on_world(shuffle_mib: Option<u64>) -> Result<Option<String>> {
    #[cfg(feature = "mpi")]
    if comm::launched_by_mpirun(|v| std::env::var_os(v).is_some()) {
        let world = comm::Mpi::init().map_err(|e| dataset::DatasetError::Comm(e.to_string()))?;
        let ctx = settings(0).build_on(world)?;
        let text = program(&ctx, shuffle_mib)?;
        return Ok((ctx.rank() == 0).then_some(text));
    }
    let ctx = settings(0).build()?;
    program(&ctx, shuffle_mib).map(Some)
}
