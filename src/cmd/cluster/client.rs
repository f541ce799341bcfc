//! The client subcommands of `hpcrs cluster`: each connects, sends its
//! tasks, waits and prints the result as the course shows it.

use std::process::ExitCode;

use anyhow::{bail, Context};
use cluster::{Targets, Value};

use super::Connect;
use crate::output::outln;

/// Where a direct call goes.
#[derive(clap::Args, Clone)]
pub struct TargetArgs {
    /// Engines: all, an id (3), a slice of the ids (1:8:2, ::2) or a list (0,2).
    #[arg(long, short, default_value = "all", allow_hyphen_values = true, value_parser = parse_targets)]
    targets: Targets,
}

fn parse_targets(s: &str) -> Result<Targets, String> {
    s.parse().map_err(|e: cluster::ClusterError| e.to_string())
}

/// Arguments of `cluster apply`.
#[derive(clap::Args)]
pub struct ApplyArgs {
    /// The function (minus, sum, getpid, hostname, diff2d, auc, wordcount, stats, ...).
    func: String,
    /// Its arguments: numbers, lists (1,2,3), strings.
    #[arg(allow_negative_numbers = true)]
    args: Vec<String>,
    #[command(flatten)]
    targets: TargetArgs,
    /// Give the call to one free engine instead.
    #[arg(long, conflicts_with = "targets")]
    balanced: bool,
    #[command(flatten)]
    connect: Connect,
}

/// Arguments of `cluster map`.
#[derive(clap::Args)]
pub struct MapArgs {
    /// The function.
    func: String,
    /// One list per argument (11,10,9,8); call i takes element i of each.
    #[arg(required = true, allow_negative_numbers = true)]
    lists: Vec<String>,
    /// One task per call, each to whichever engine is free (otherwise the
    /// calls are split in blocks among the --targets engines).
    #[arg(long)]
    balanced: bool,
    /// How many other engines a load-balanced task may be tried on if its engine dies.
    #[arg(long, default_value_t = cluster::view::DEFAULT_RETRIES)]
    retries: u32,
    #[command(flatten)]
    targets: TargetArgs,
    #[command(flatten)]
    connect: Connect,
}

/// Arguments of `cluster execute`.
#[derive(clap::Args)]
pub struct ExecuteArgs {
    /// Statements, separated by `;` or newlines: `x = getpid()`, `c = a**2 + b`.
    code: String,
    #[command(flatten)]
    targets: TargetArgs,
    #[command(flatten)]
    connect: Connect,
}

/// Arguments of `cluster run`.
#[derive(clap::Args)]
pub struct RunArgs {
    /// A file of statements, one per line (`#` starts a comment line).
    file: std::path::PathBuf,
    #[command(flatten)]
    targets: TargetArgs,
    #[command(flatten)]
    connect: Connect,
}

/// Largest script `run` sends (a script of statements is a few lines).
const MAX_SCRIPT_BYTES: u64 = 1 << 20;

/// Arguments of `cluster push`.
#[derive(clap::Args)]
pub struct PushArgs {
    /// NAME=VALUE pairs (a=1,2,3 b=2.5 s='text').
    #[arg(required = true)]
    values: Vec<String>,
    #[command(flatten)]
    targets: TargetArgs,
    #[command(flatten)]
    connect: Connect,
}

/// Arguments of `cluster pull` and `cluster gather`.
#[derive(clap::Args)]
pub struct PullArgs {
    /// The name.
    name: String,
    #[command(flatten)]
    targets: TargetArgs,
    #[command(flatten)]
    connect: Connect,
}

/// Arguments of `cluster scatter`.
#[derive(clap::Args)]
pub struct ScatterArgs {
    /// The name each engine stores its block under.
    name: String,
    /// Scatter 0, 1, ..., N-1.
    #[arg(long, value_name = "N", conflicts_with = "values")]
    arange: Option<usize>,
    /// Scatter this list (1,2,3).
    #[arg(long, allow_hyphen_values = true)]
    values: Option<String>,
    #[command(flatten)]
    targets: TargetArgs,
    #[command(flatten)]
    connect: Connect,
}

/// Largest `--arange`: 2^31 elements (16 GiB of i64) is certainly a mistake.
const MAX_ARANGE: usize = 1 << 31;

fn print(v: &Value) -> anyhow::Result<ExitCode> {
    outln!("{v}")?;
    Ok(ExitCode::SUCCESS)
}

fn name_ok(name: &str) -> anyhow::Result<()> {
    let mut c = name.chars();
    let ok = matches!(c.next(), Some(ch) if ch.is_ascii_alphabetic() || ch == '_')
        && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_');
    if !ok {
        bail!("`{name}` is not a name (letters, digits and _, not starting with a digit)");
    }
    Ok(())
}

pub fn apply(a: ApplyArgs) -> anyhow::Result<ExitCode> {
    let client = a.connect.client()?;
    let args: Vec<Value> = a.args.iter().map(|s| Value::parse(s)).collect();
    let r = if a.balanced {
        client.load_balanced_view().apply(&a.func, args)?
    } else {
        client
            .direct_view(&a.targets.targets)?
            .apply(&a.func, args)?
    };
    print(&r.get_timeout(a.connect.wait()?)?)
}

pub fn map(a: MapArgs) -> anyhow::Result<ExitCode> {
    let client = a.connect.client()?;
    let lists: Vec<Value> = a.lists.iter().map(|s| Value::parse(s)).collect();
    let v = if a.balanced {
        let r = client
            .load_balanced_view()
            .retries(a.retries)
            .map(&a.func, &lists)?;
        r.get_timeout(a.connect.wait()?)?
    } else {
        Value::List(
            client
                .direct_view(&a.targets.targets)?
                .map(&a.func, &lists)?,
        )
    };
    print(&v)
}

pub fn execute(a: ExecuteArgs) -> anyhow::Result<ExitCode> {
    let client = a.connect.client()?;
    let v = client
        .direct_view(&a.targets.targets)?
        .execute(&a.code)?
        .get_timeout(a.connect.wait()?)?;
    // Assignments give nothing to print, as in ipyparallel's blocking execute.
    let nothing = match &v {
        Value::None => true,
        Value::List(vs) => vs.iter().all(|x| *x == Value::None),
        _ => false,
    };
    if nothing {
        Ok(ExitCode::SUCCESS)
    } else {
        print(&v)
    }
}

pub fn run(a: RunArgs) -> anyhow::Result<ExitCode> {
    use std::io::Read;
    let name = a.file.display();
    let f = std::fs::File::open(&a.file).with_context(|| format!("cannot open {name}"))?;
    let mut code = String::new();
    f.take(MAX_SCRIPT_BYTES + 1)
        .read_to_string(&mut code)
        .with_context(|| format!("cannot read {name} (a text file of statements)"))?;
    if code.len() as u64 > MAX_SCRIPT_BYTES {
        bail!("{name}: larger than {MAX_SCRIPT_BYTES} bytes; a script is a few statements");
    }
    execute(ExecuteArgs {
        code,
        targets: a.targets,
        connect: a.connect,
    })
}

pub fn push(a: PushArgs) -> anyhow::Result<ExitCode> {
    let mut values = Vec::new();
    for pair in &a.values {
        let Some((name, value)) = pair.split_once('=') else {
            bail!("`{pair}`: give NAME=VALUE");
        };
        name_ok(name.trim())?;
        values.push((name.trim().to_string(), Value::parse(value)));
    }
    let client = a.connect.client()?;
    let view = client.direct_view(&a.targets.targets)?;
    let wait = a.connect.wait()?;
    for (name, value) in values {
        view.push(&name, value)?.get_timeout(wait)?;
    }
    Ok(ExitCode::SUCCESS)
}

pub fn pull(a: PullArgs) -> anyhow::Result<ExitCode> {
    name_ok(&a.name)?;
    let client = a.connect.client()?;
    let v = client
        .direct_view(&a.targets.targets)?
        .pull(&a.name)?
        .get_timeout(a.connect.wait()?)?;
    print(&v)
}

pub fn scatter(a: ScatterArgs) -> anyhow::Result<ExitCode> {
    name_ok(&a.name)?;
    let value = match (a.arange, &a.values) {
        (Some(n), _) if n > MAX_ARANGE => bail!("--arange {n}: at most {MAX_ARANGE}"),
        (Some(n), _) => Value::arange(n),
        (None, Some(v)) => match Value::parse(v) {
            v @ (Value::Ints(_) | Value::Floats(_)) => v,
            _ => bail!("--values `{v}`: give a list of numbers such as 1,2,3"),
        },
        (None, None) => bail!("give --arange N or --values LIST"),
    };
    let client = a.connect.client()?;
    client
        .direct_view(&a.targets.targets)?
        .scatter(&a.name, &value)?
        .get_timeout(a.connect.wait()?)?;
    Ok(ExitCode::SUCCESS)
}

pub fn gather(a: PullArgs) -> anyhow::Result<ExitCode> {
    name_ok(&a.name)?;
    let client = a.connect.client()?;
    let v = client
        .direct_view(&a.targets.targets)?
        .gather_timeout(&a.name, a.connect.wait()?)?;
    print(&v)
}
