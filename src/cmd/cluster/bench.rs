//! `hpcrs cluster bench`: the cluster's own timings on a running cluster,
//! the same three measurements as `scripts/cluster_bench_ipp.py` makes with
//! ipyparallel: a tiny `apply` round trip on one engine, a load-balanced
//! map of tiny tasks, and scatter plus gather of a vector of f64.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::bail;
use cluster::{NdArray, Targets, Value};

use super::Connect;
use crate::output::outln;

/// Arguments of `cluster bench`.
#[derive(clap::Args)]
pub struct BenchArgs {
    /// What to time.
    #[arg(value_enum)]
    what: What,
    /// Round trips for `apply`, tasks for `map`, megabytes for `scatter`.
    #[arg(short, long, value_parser = crate::args::count::<usize>)]
    n: usize,
    /// Send arrays over the engines' data ports (TCP, the path of engines on other hosts)
    /// even to engines on this host.
    #[arg(long)]
    tcp: bool,
    #[command(flatten)]
    connect: Connect,
}

/// The measurements.
#[derive(clap::ValueEnum, Clone, Copy)]
pub enum What {
    /// N round trips of `apply minus 5 6` on engine 0, one after the other.
    Apply,
    /// A load-balanced map of `minus` over N pairs.
    Map,
    /// Scatter N MB of f64 over all engines, then gather it back.
    Scatter,
}

/// Most megabytes or tasks one bench run takes.
const MAX_N: usize = 100_000_000;

pub fn run(a: BenchArgs) -> anyhow::Result<ExitCode> {
    if a.n == 0 || a.n > MAX_N {
        bail!("-n {}: give 1 to {MAX_N}", a.n);
    }
    let client = if a.tcp {
        let opts = cluster::ClientOptions {
            local: false,
            ..cluster::ClientOptions::default()
        };
        cluster::Client::connect(&a.connect.info()?, &opts)?
    } else {
        a.connect.client()?
    };
    let t = Instant::now();
    match a.what {
        What::Apply => {
            let first = *client
                .ids()?
                .first()
                .ok_or_else(|| anyhow::anyhow!("no engines are registered"))?;
            let view = client.direct_view(&Targets::One(first as i64))?;
            for _ in 0..a.n {
                let v = view
                    .apply("minus", vec![Value::Int(5), Value::Int(6)])?
                    .get()?;
                if v != Value::Int(-1) {
                    bail!("minus(5, 6) gave {v}");
                }
            }
            let s = t.elapsed().as_secs_f64();
            outln!(
                "apply round trip: {} calls in {s:.3} s, {:.1} us each",
                a.n,
                s * 1e6 / a.n as f64
            )?;
        }
        What::Map => {
            let xs = Value::ints((0..a.n as i64).collect());
            let ys = Value::ints((0..a.n as i64).rev().collect());
            let r = client.load_balanced_view().map("minus", &[xs, ys])?.get()?;
            let s = t.elapsed().as_secs_f64();
            let Value::List(v) = r else {
                bail!("map gave {r}")
            };
            let n = a.n as i64;
            let ok = v
                .iter()
                .enumerate()
                .all(|(i, x)| *x == Value::Int(2 * i as i64 - (n - 1)));
            if !ok || v.len() != a.n {
                bail!("the map's results are wrong");
            }
            outln!(
                "load-balanced map: {} tasks in {s:.3} s, {:.0} tasks/s",
                a.n,
                a.n as f64 / s
            )?;
        }
        What::Scatter => {
            let len = a.n * (1 << 20) / 8;
            let data: Vec<f64> = (0..len).map(|i| i as f64).collect();
            let value = Value::Floats(NdArray::vector(data));
            let t = Instant::now();
            let view = client.direct_view(&Targets::All)?;
            view.scatter("a", &value)?.get()?;
            let scattered = t.elapsed().as_secs_f64();
            let back = view.gather("a")?;
            let s = t.elapsed().as_secs_f64();
            if back != value {
                bail!("gather did not give back what was scattered");
            }
            outln!(
                "scatter+gather: {} MB in {s:.3} s, {:.0} MB/s (scatter {scattered:.3} s, gather {:.3} s)",
                a.n,
                a.n as f64 / s,
                s - scattered
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
