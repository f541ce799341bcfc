//! hpcrs's side of the RDD benchmark against PySpark
//! (scripts/rdd_bench_pyspark.py, the same data, partitions and summary), on
//! two threads as PySpark's local[2]:
//!
//! - `rdd_bench sort [N]`: N (default 2,000,000) `(u64, u64)` pairs with
//!   random 63-bit keys, `sort_by_key` into 8 partitions; each partition
//!   reports its size, first and last key and whether it is sorted.
//! - `rdd_bench join [N]`: two datasets of N (default 1,000,000) distinct
//!   keys, `(k, k)` and `(k, 2k)` in different orders, joined into 8
//!   partitions; each partition reports its size and the sum of its values.
//!
//! Prints `count C check X`, then `seconds S`: the job's time from
//! `parallelize` to the summary (the inputs already built), as the PySpark
//! script does. Run: `cargo run --release -p hpcrs-dataset --example
//! rdd_bench -- sort`.

use std::time::Instant;

use dataset::{Context, DatasetError};

const PARTITIONS: usize = 8;

fn main() -> Result<(), DatasetError> {
    let args: Vec<String> = std::env::args().collect();
    let what = args.get(1).map(String::as_str).unwrap_or("");
    let n: Option<u64> =
        match args.get(2) {
            Some(a) => Some(a.parse().map_err(|_| {
                DatasetError::InvalidArgument(format!("N must be a count, not {a:?}"))
            })?),
            None => None,
        };
    let sc = Context::local(2)?;
    match what {
        "sort" => {
            let n = n.unwrap_or(2_000_000);
            // SplitMix64, a fixed seed: random keys below 2^63.
            let mut state = 7u64;
            let data: Vec<(u64, u64)> = (0..n)
                .map(|i| {
                    state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
                    let mut z = state;
                    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                    ((z ^ (z >> 31)) >> 1, i)
                })
                .collect();
            let start = Instant::now();
            let parts = sc
                .parallelize(data, PARTITIONS)
                .sort_by_key_partitions(true, PARTITIONS)
                .map_partitions(|it| {
                    let (mut n, mut first, mut last, mut ok) = (0u64, None, None, true);
                    for (k, _) in it {
                        if last.is_some_and(|l| k < l) {
                            ok = false;
                        }
                        first.get_or_insert(k);
                        last = Some(k);
                        n += 1;
                    }
                    [(n, first, last, ok)]
                })
                .collect()?;
            let seconds = start.elapsed().as_secs_f64();
            let bounds: Vec<(u64, u64)> = parts.iter().filter_map(|p| Some((p.1?, p.2?))).collect();
            let ordered = parts.iter().all(|p| p.3) && bounds.windows(2).all(|w| w[0].1 <= w[1].0);
            let count: u64 = parts.iter().map(|p| p.0).sum();
            println!(
                "count {count} check {}",
                if ordered { "sorted" } else { "UNSORTED" }
            );
            println!("seconds {seconds:.3}");
        }
        "join" => {
            let n = n.unwrap_or(1_000_000);
            let left: Vec<(u64, u64)> = (0..n).map(|k| (k, k)).collect();
            let right: Vec<(u64, u64)> = (0..n)
                .map(|k| {
                    let j = (k * 7919) % n.max(1);
                    (j, 2 * j)
                })
                .collect();
            let start = Instant::now();
            let joined = sc
                .parallelize(left, PARTITIONS)
                .join_partitions(&sc.parallelize(right, PARTITIONS), PARTITIONS);
            let parts = joined
                .map_partitions(|it| {
                    let (mut n, mut total) = (0u64, 0u64);
                    for (_, (v, w)) in it {
                        n += 1;
                        total += v + w;
                    }
                    [(n, total)]
                })
                .collect()?;
            let seconds = start.elapsed().as_secs_f64();
            let count: u64 = parts.iter().map(|p| p.0).sum();
            let check: u64 = parts.iter().map(|p| p.1).sum();
            println!("count {count} check {check}");
            println!("seconds {seconds:.3}");
        }
        _ => {
            return Err(DatasetError::InvalidArgument(
                "usage: rdd_bench sort|join [N]".into(),
            ))
        }
    }
    Ok(())
}
