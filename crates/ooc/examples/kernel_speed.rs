//! Throughput of the statistics kernel on data already in cache (no I/O):
//! `cargo run --release -p hpcrs-ooc --example kernel_speed`.

use std::time::Instant;

fn main() {
    let xs: Vec<f64> = (0..(1 << 17)).map(|i| (i as f64 * 0.37).sin()).collect();
    let reps = 2000;
    let t = Instant::now();
    let mut acc = 0.0;
    for _ in 0..reps {
        acc += ooc::stats::of_slice(std::hint::black_box(&xs)).mean();
    }
    let secs = t.elapsed().as_secs_f64();
    let bytes = (xs.len() * 8 * reps) as f64;
    println!("{:.2} GiB/s ({acc})", bytes / secs / (1u64 << 30) as f64);
}
