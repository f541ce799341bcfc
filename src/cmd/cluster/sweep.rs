//! `hpcrs cluster sweep`: a parameter sweep of a workload across the
//! engines, one load-balanced task per combination of the `--set` values,
//! printed as a table with the engine that ran each.

use std::process::ExitCode;

use anyhow::bail;
use cluster::Value;

use super::Connect;
use crate::output::outln;

/// The workloads a sweep runs.
#[derive(clap::ValueEnum, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// The 2D diffusion solver; --set takes its parameters (D, dx, runtime, ...).
    Diff2d,
    /// The area under the curve; --set ntot=1000,100000.
    Auc,
}

/// Arguments of `cluster sweep`.
#[derive(clap::Args)]
pub struct SweepArgs {
    /// The workload.
    #[arg(value_enum)]
    workload: Workload,
    /// NAME=V1,V2,... : the values of one parameter (repeat for a grid of every combination).
    #[arg(long = "set", value_name = "NAME=VALUES", required = true)]
    sets: Vec<String>,
    /// Give each run to whichever engine is free (the default and only mode: runs vary in length).
    #[arg(long)]
    balanced: bool,
    #[command(flatten)]
    connect: Connect,
}

/// Most runs one sweep submits.
const MAX_RUNS: usize = 100_000;

pub fn run(a: SweepArgs) -> anyhow::Result<ExitCode> {
    let mut axes: Vec<(String, Vec<String>)> = Vec::new();
    for s in &a.sets {
        let Some((name, values)) = s.split_once('=') else {
            bail!("--set `{s}`: give NAME=V1,V2,...");
        };
        let values: Vec<String> = values
            .split(',')
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect();
        if name.trim().is_empty() || values.is_empty() {
            bail!("--set `{s}`: give NAME=V1,V2,...");
        }
        if a.workload == Workload::Auc && name.trim() != "ntot" {
            bail!("--set `{s}`: auc takes only ntot");
        }
        axes.push((name.trim().to_string(), values));
    }
    let mut runs: Vec<Vec<(String, String)>> = vec![Vec::new()];
    for (name, values) in &axes {
        let mut next = Vec::with_capacity(runs.len() * values.len());
        for r in &runs {
            for v in values {
                let mut r = r.clone();
                r.push((name.clone(), v.clone()));
                next.push(r);
            }
        }
        if next.len() > MAX_RUNS {
            bail!("the --set values make more than {MAX_RUNS} runs");
        }
        runs = next;
    }
    let (func, calls): (&str, Vec<Vec<Value>>) = match a.workload {
        // diff2d takes each setting as one argument, `D=0.5`.
        Workload::Diff2d => (
            "diff2d",
            runs.iter()
                .map(|r| {
                    r.iter()
                        .map(|(n, v)| Value::Str(format!("{n}={v}")))
                        .collect()
                })
                .collect(),
        ),
        Workload::Auc => (
            "auc",
            runs.iter().map(|r| vec![Value::parse(&r[0].1)]).collect(),
        ),
    };
    let client = a.connect.client()?;
    let mut result = client.load_balanced_view().apply_each(func, calls)?;
    let meta = {
        result.wait(a.connect.wait()?);
        result.metadata()
    };
    let results = result.results(a.connect.wait()?)?;
    let mut header: Vec<String> = axes.iter().map(|(n, _)| n.clone()).collect();
    let fields: Vec<&str> = match a.workload {
        Workload::Diff2d => vec!["grid", "steps", "max", "seconds"],
        Workload::Auc => vec!["area"],
    };
    header.extend(fields.iter().map(|s| s.to_string()));
    header.push("engine".into());
    let mut rows = vec![header];
    for ((run, r), m) in runs.iter().zip(results).zip(meta) {
        let mut row: Vec<String> = run.iter().map(|(_, v)| v.clone()).collect();
        let v = r.value.map_err(|e| {
            anyhow::anyhow!(
                "run {}: {}{}",
                run.iter()
                    .map(|(n, v)| format!("{n}={v}"))
                    .collect::<Vec<_>>()
                    .join(" "),
                e.engine
                    .map_or(String::new(), |id| format!("engine {id}: ")),
                e.message
            )
        })?;
        match (&v, a.workload) {
            (Value::Record(rec), Workload::Diff2d) => {
                for f in &fields {
                    let cell = rec.iter().find(|(k, _)| k == f).map_or(
                        "-".to_string(),
                        |(_, x)| match x {
                            Value::Float(x) if *f == "seconds" => format!("{x:.3}"),
                            Value::Float(x) => format!("{x:.6}"),
                            other => other.to_string(),
                        },
                    );
                    row.push(cell);
                }
            }
            (Value::Float(x), Workload::Auc) => row.push(format!("{x:.9}")),
            (other, _) => row.push(other.to_string()),
        }
        row.push(m.map_or("-".into(), |m| m.engine.to_string()));
        rows.push(row);
    }
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|c| rows.iter().map(|r| r[c].len()).max().unwrap_or(0))
        .collect();
    for r in rows {
        let cells: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:>w$}"))
            .collect();
        outln!("{}", cells.join("  "))?;
    }
    Ok(ExitCode::SUCCESS)
}
