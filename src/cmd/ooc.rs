//! `hpcrs ooc`: out-of-core arrays: create, stats and get on .npy files.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context};
use clap::ValueEnum;
use ooc::{
    AxisStats, Control, CreateOptions, DType, Fill, IntRange, IoMode, NpyFile, OocError, Scalar,
    Stats, Summary,
};
use runtime::pool::Threads;
use runtime::progress::Progress;
use runtime::size::human_bytes;

use crate::progress::Bar;

/// Arguments of `hpcrs ooc`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Create a .npy array of any size, chunk by chunk (written to a temporary name, then renamed).
    Create(CreateArgs),
    /// Count, mean, std, min and max of a .npy array, whole or along one axis.
    Stats(StatsArgs),
    /// Print one element (one index per axis) or a row / sub-array (fewer indices).
    Get(GetArgs),
}

/// Options shared by the subcommands that stream through a whole file.
#[derive(clap::Args)]
struct Common {
    /// Most file data held in memory at once (e.g. 512M, 2G). Default: a quarter of RAM.
    #[arg(long, value_name = "SIZE", allow_hyphen_values = true)]
    memory_limit: Option<String>,
    /// Worker threads (0 or absent: one per core; at most 1024).
    #[arg(long, allow_negative_numbers = true, value_parser = crate::args::threads)]
    threads: Option<Threads>,
    /// No progress bar and no timing line.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(clap::Args)]
struct CreateArgs {
    /// The .npy file to create (replaced only once the new one is complete).
    file: PathBuf,
    /// Shape, e.g. 40000x40000 (or 40000,40000; one number for 1-D).
    #[arg(long)]
    shape: String,
    /// Element type (numpy's names, such as float32 or uint8, are accepted too).
    #[arg(long, value_enum, default_value_t = DType::F64, ignore_case = true)]
    dtype: DType,
    /// zeros, random (uniform [0,1) for floats, all bit patterns for integers) or a number.
    #[arg(long, default_value = "zeros", allow_hyphen_values = true, value_parser = parse_fill)]
    fill: FillArg,
    /// Seed of --fill random; the same seed gives the same file whatever the thread count.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Store in Fortran (column-major) order.
    #[arg(long)]
    fortran: bool,
    /// Do not fsync before the rename (faster; the file may be lost on power failure).
    #[arg(long)]
    no_sync: bool,
    #[command(flatten)]
    common: Common,
}

#[derive(clap::Args)]
struct StatsArgs {
    /// The .npy file.
    file: PathBuf,
    /// Reduce along this axis only (numpy's axis=; negative counts from the end).
    #[arg(long, allow_hyphen_values = true)]
    axis: Option<i64>,
    /// How to read the chunks.
    #[arg(long, value_enum, default_value_t = IoMode::Mmap)]
    io: IoMode,
    #[command(flatten)]
    common: Common,
}

#[derive(clap::Args)]
struct GetArgs {
    /// The .npy file.
    file: PathBuf,
    /// Indices, one per axis for an element, fewer for a row or sub-array (negative counts from the end).
    #[arg(allow_hyphen_values = true)]
    index: Vec<i64>,
    /// How to read the elements (both map modes use one map of the file).
    #[arg(long, value_enum, default_value_t = IoMode::Mmap)]
    io: IoMode,
}

/// Runs `hpcrs ooc`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    // A reader that stops early (`| head`) ends the process by SIGPIPE, and a file-size
    // limit is an error: see `crate::signals`.
    // A page of a mapped file that cannot be read is an error naming the file, not a crash.
    crate::sigbus::install(crate::sigbus::PREAD_HINT);
    match args.command {
        Command::Create(a) => create(a),
        Command::Stats(a) => stats(a),
        Command::Get(a) => get(a),
    }
}

/// Formats a float as Python's repr does.
fn num(v: f64) -> String {
    ooc::scalar::repr(v, v)
}

/// Reads `--memory-limit`: a size from [`ooc::memory::MIN_LIMIT`] up to this machine's
/// memory (a limit beyond it bounds nothing and is most likely a mistyped unit).
pub(crate) fn memory_limit(text: &str) -> anyhow::Result<u64> {
    let arg = format!("--memory-limit {text:?}");
    let limit = ooc::memory::parse_size(text).with_context(|| arg.clone())?;
    if limit < ooc::memory::MIN_LIMIT {
        bail!(
            "{arg}: at least {} is needed",
            human_bytes(ooc::memory::MIN_LIMIT)
        );
    }
    if let Some(ram) = crate::memory::physical().filter(|&ram| limit > ram) {
        bail!(
            "{arg}: more than this machine's memory ({})",
            human_bytes(ram)
        );
    }
    Ok(limit)
}

fn control<'a>(common: &Common, progress: &'a dyn Progress) -> anyhow::Result<Control<'a>> {
    let memory_limit = match &common.memory_limit {
        Some(s) => memory_limit(s)?,
        None => ooc::memory::default_memory_limit(crate::memory::physical()),
    };
    let threads = common.threads.unwrap_or_default();
    // Ctrl-C (or SIGTERM, SIGHUP) stops at the next chunk, so that a partial file is
    // removed and reported; a second one ends the process at once (`crate::signals`).
    let cancel = crate::signals::cancel_on_signals();
    Ok(Control {
        memory_limit,
        threads,
        progress,
        cancel: Some(cancel),
        ..Control::default()
    })
}

fn finish(common: &Common, verb: &str, bytes: u64, start: Instant) {
    let secs = start.elapsed().as_secs_f64();
    if !common.quiet {
        eprintln!(
            "{verb} {} in {secs:.3} s ({}/s)",
            human_bytes(bytes),
            human_bytes((bytes as f64 / secs.max(1e-9)) as u64)
        );
    }
}

fn interrupted(err: &OocError) -> bool {
    matches!(err, OocError::Interrupted { .. })
}

/// `--shape TEXT` as error messages quote it: at most 40 characters.
fn shape_arg(text: &str) -> String {
    let mut t: String = text.chars().take(40).collect();
    if text.chars().nth(40).is_some() {
        t.push_str("...");
    }
    format!("--shape {t:?}")
}

/// The named fills of `--fill`; any other value is a number.
#[derive(Clone, Copy, ValueEnum)]
enum FillKind {
    /// Zeros (a hole in the file: instant, no disk space until written).
    #[value(alias = "zero")]
    Zeros,
    /// Uniform random values from --seed.
    #[value(alias = "rand", alias = "uniform")]
    Random,
}

/// What `--fill` says: a named fill or one value, read once the dtype is known.
#[derive(Clone)]
enum FillArg {
    Named(FillKind),
    Value(String),
}

impl FillArg {
    /// The fill for arrays of `dtype`: a value is read in that type, so that integers stay
    /// exact and out-of-range values are refused.
    fn fill(&self, dtype: DType, seed: u64) -> anyhow::Result<Fill> {
        Ok(match self {
            FillArg::Named(FillKind::Zeros) => Fill::Zeros,
            FillArg::Named(FillKind::Random) => Fill::Random { seed },
            FillArg::Value(text) => {
                Fill::Value(Scalar::parse(dtype, text).with_context(|| format!("--fill {text}"))?)
            }
        })
    }
}

/// Parses `--fill`: a [`FillKind`] name, `true` or `false` (for bool arrays), or a number
/// (kept as text: its type is the array's).
fn parse_fill(text: &str) -> Result<FillArg, String> {
    if let Ok(kind) = FillKind::from_str(text, true) {
        return Ok(FillArg::Named(kind));
    }
    let word = matches!(text.trim().to_ascii_lowercase().as_str(), "true" | "false");
    if word || text.trim().parse::<f64>().is_ok() {
        return Ok(FillArg::Value(text.to_string()));
    }
    let names: Vec<String> = FillKind::value_variants()
        .iter()
        .filter_map(|k| k.to_possible_value())
        .map(|v| v.get_name().to_string())
        .collect();
    Err(format!("expected {} or a number", names.join(", ")))
}

fn create(a: CreateArgs) -> anyhow::Result<ExitCode> {
    let shape_error = |e: &dyn std::fmt::Display| anyhow::anyhow!("{}: {e}", shape_arg(&a.shape));
    let shape = ooc::shape::parse_shape(&a.shape).map_err(|e| shape_error(&e))?;
    let dtype = a.dtype;
    // Checked before anything else: a shape numpy cannot read or no file can hold.
    let total = ooc::shape::check_shape(dtype, &shape).map_err(|e| shape_error(&e))?;
    let fill = a.fill.fill(dtype, a.seed)?;
    let progress = Bar::shared(a.common.quiet);
    let ctl = control(&a.common, &*progress)?;
    let opts = CreateOptions {
        dtype,
        fortran_order: a.fortran,
        fill,
        sync: !a.no_sync,
    };
    let start = Instant::now();
    match ooc::create(&a.file, &shape, &opts, &ctl) {
        Ok(_) => {}
        Err(e) if interrupted(&e) => {
            eprintln!("hpcrs: interrupted; {} was not created", a.file.display());
            return Ok(ExitCode::from(130));
        }
        Err(e @ OocError::FileTooLarge { .. }) => return Err(shape_error(&e)),
        Err(e) => return Err(e).with_context(|| format!("cannot create {}", a.file.display())),
    }
    finish(&a.common, "wrote", total, start);
    Ok(ExitCode::SUCCESS)
}

fn describe(file: &NpyFile) -> String {
    let h = file.header();
    format!(
        "{:?} {} {} order, {}",
        h.shape,
        h.dtype.descr(h.byte_order),
        if h.fortran_order { "Fortran" } else { "C" },
        human_bytes(file.data_bytes())
    )
}

/// The min and max of one result: integers exactly (bools as 0 and 1, the numbers their
/// mean and std are computed from), floats as Python prints them.
fn extremes(s: &Stats, range: Option<&IntRange>) -> (String, String) {
    match range {
        Some(r) if !r.is_empty() => (r.min.to_string(), r.max.to_string()),
        _ => (num(s.min()), num(s.max())),
    }
}

fn stats_line(
    out: &mut impl Write,
    label: &str,
    s: &Stats,
    range: Option<&IntRange>,
) -> std::io::Result<()> {
    let (min, max) = extremes(s, range);
    writeln!(
        out,
        "{label}\t{}\t{}\t{}\t{min}\t{max}",
        s.count(),
        num(s.mean()),
        num(s.stdev()),
    )
}

/// What `ooc stats` computed: the whole array's statistics, or one per position along an axis.
enum Reduced {
    Whole(Summary),
    Along(usize, AxisStats),
}

fn stats(a: StatsArgs) -> anyhow::Result<ExitCode> {
    let file = NpyFile::open(&a.file)?;
    let progress = Bar::shared(a.common.quiet);
    let mut ctl = control(&a.common, &*progress)?;
    ctl.io = a.io;
    let start = Instant::now();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let result = match a.axis {
        None => ooc::reduce::stats(&file, &ctl).map(Reduced::Whole),
        Some(k) => {
            let ndim = file.shape().len() as i64;
            let axis = if k < 0 { k + ndim } else { k };
            if !(0..ndim).contains(&axis) {
                bail!(
                    "--axis {k} is out of bounds for {} with shape {:?}",
                    a.file.display(),
                    file.shape()
                );
            }
            ooc::reduce::stats_axis(&file, axis as usize, &ctl)
                .map(|r| Reduced::Along(axis as usize, r))
        }
    };
    let reduced = match result {
        Ok(r) => r,
        Err(e) if interrupted(&e) => {
            eprintln!("hpcrs: interrupted");
            return Ok(ExitCode::from(130));
        }
        Err(e) => return Err(e).with_context(|| format!("stats of {}", a.file.display())),
    };
    writeln!(out, "file\t{}", a.file.display())?;
    writeln!(out, "array\t{}", describe(&file))?;
    match reduced {
        Reduced::Whole(Summary {
            stats: whole,
            range,
        }) => {
            let (min, max) = extremes(&whole, range.as_ref());
            writeln!(out, "count\t{}", whole.count())?;
            writeln!(out, "mean\t{}", num(whole.mean()))?;
            writeln!(out, "std\t{}", num(whole.stdev()))?;
            writeln!(out, "min\t{min}")?;
            writeln!(out, "max\t{max}")?;
        }
        Reduced::Along(axis, r) => {
            writeln!(
                out,
                "axis\t{axis} (one line per index of the other axes, shape {:?})",
                r.shape
            )?;
            writeln!(out, "index\tcount\tmean\tstd\tmin\tmax")?;
            let mut idx = vec![0usize; r.shape.len()];
            for (k, s) in r.stats.iter().enumerate() {
                let label: Vec<String> = idx.iter().map(|i| i.to_string()).collect();
                let label = if label.is_empty() {
                    "()".to_string()
                } else {
                    label.join(",")
                };
                let range = r.ranges.as_ref().map(|v| &v[k]);
                stats_line(&mut out, &label, s, range)?;
                for d in (0..idx.len()).rev() {
                    idx[d] += 1;
                    if idx[d] < r.shape[d] {
                        break;
                    }
                    idx[d] = 0;
                }
            }
        }
    }
    out.flush()?;
    finish(&a.common, "read", file.data_bytes(), start);
    Ok(ExitCode::SUCCESS)
}

fn resolve(path: &Path, shape: &[usize], index: &[i64]) -> anyhow::Result<Vec<usize>> {
    if index.len() > shape.len() {
        bail!(
            "{}: {} indices given for an array of dimension {} (shape {:?})",
            path.display(),
            index.len(),
            shape.len(),
            shape
        );
    }
    index
        .iter()
        .zip(shape)
        .enumerate()
        .map(|(axis, (&i, &d))| {
            let j = if i < 0 { i + d as i64 } else { i };
            if j < 0 || j >= d as i64 {
                bail!("{}: index {i} is out of bounds for axis {axis} with size {d} (shape {shape:?})", path.display());
            }
            Ok(j as usize)
        })
        .collect()
}

fn get(a: GetArgs) -> anyhow::Result<ExitCode> {
    let file = NpyFile::open(&a.file)?.read_with(a.io);
    let index = resolve(&a.file, file.shape(), &a.index)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if index.len() == file.shape().len() {
        writeln!(out, "{}", file.get(&index)?)?;
    } else {
        // One element at a time: a large sub-array is printed in constant memory.
        for v in file.elements(&index)? {
            writeln!(out, "{}", v?)?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
