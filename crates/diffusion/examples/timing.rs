//! Times the diffusion backends on the course's default problem (or one set
//! with `name=value` arguments), best of `REPEAT` runs (default 3):
//!
//! ```text
//! cargo run --release -p hpcrs-diffusion --example timing -- naive threads dx=0.1
//! ```
//!
//! `THREADS=N` sets the team size and `DEPTH=N` the time-blocking depth
//! (halo depth for mpi). `hpcrs bench` is the full side-by-side benchmark;
//! this is the quick loop used while optimising a backend.

use diffusion::{solve_with, Backend, ParamsBuilder, StepperOptions};
use runtime::pool::Threads;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut builder = ParamsBuilder::new();
    let mut backends = Vec::new();
    for arg in std::env::args().skip(1) {
        if arg.contains('=') {
            builder.set(&arg)?;
        } else {
            backends.push(arg.parse::<Backend>()?);
        }
    }
    if backends.is_empty() {
        backends = vec![Backend::Naive, Backend::Threads];
    }
    let params = builder.build()?;
    let repeat: usize = std::env::var("REPEAT")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let number = |name: &str| std::env::var(name).ok().and_then(|s| s.parse().ok());
    let options = StepperOptions {
        threads: Threads::from_option(number("THREADS"))?,
        depth: number("DEPTH"),
        ..StepperOptions::default()
    };
    let mut reference = None;
    for backend in backends {
        let mut best = f64::INFINITY;
        let mut last = None;
        for _ in 0..repeat {
            let (dens, summary) = solve_with(&params, backend, &options)?;
            best = best.min(summary.step_seconds);
            last = Some((dens, summary));
        }
        let (dens, summary) = last.expect("at least one run");
        let same = match &reference {
            None => {
                reference = Some(dens);
                "reference".to_string()
            }
            Some(r) => {
                if *r == dens {
                    "bitwise equal".to_string()
                } else {
                    "DIFFERENT".to_string()
                }
            }
        };
        let updates = (summary.nrows * summary.nrows) as f64 * summary.steps as f64;
        println!(
            "{backend:>8}: best {best:.4} s  {:.3e} cell updates/s  ({same})",
            updates / best
        );
    }
    Ok(())
}
