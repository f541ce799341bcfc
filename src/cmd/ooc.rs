//! `hpcrs ooc`: out-of-core arrays: create, stats and get on .npy files.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use ooc::{Control, CreateOptions, DType, Fill, IoMode, NpyFile, OocError, Stats};

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
    #[arg(long, value_name = "SIZE")]
    memory_limit: Option<String>,
    /// Worker threads (default: one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// No progress bar and no timing line.
    #[arg(long, short)]
    quiet: bool,
    /// Print the peak resident memory (VmHWM) to stderr at the end.
    #[arg(long, hide = true)]
    report_rss: bool,
}

#[derive(clap::Args)]
struct CreateArgs {
    /// The .npy file to create (replaced only once the new one is complete).
    file: PathBuf,
    /// Shape, e.g. 40000x40000 (or 40000,40000; one number for 1-D).
    #[arg(long)]
    shape: String,
    /// Element type: f64, f32, i64, i32, u8 or bool.
    #[arg(long, default_value = "f64")]
    dtype: String,
    /// zeros, random (uniform [0,1) for floats) or a number.
    #[arg(long, default_value = "zeros", allow_hyphen_values = true)]
    fill: String,
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
    /// How to read: mmap (default: one map, madvise WILLNEED then DONTNEED per chunk),
    /// pread (positioned reads into reused buffers) or mmap-populate (a MAP_POPULATE map per chunk).
    #[arg(long, default_value = "mmap")]
    io: String,
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
}

/// Set by Ctrl-C; checked by the chunk engine before every chunk.
static CANCEL: AtomicBool = AtomicBool::new(false);

/// Runs `hpcrs ooc`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    // A reader that stops early (`| head`) ends the process by SIGPIPE: see `main`.
    match args.command {
        Command::Create(a) => create(a),
        Command::Stats(a) => stats(a),
        Command::Get(a) => get(a),
    }
}

/// Formats a float as Python's repr does.
fn num(v: f64) -> String {
    ooc::dtype::repr(v, v)
}

fn control<'a>(common: &Common, progress: &'a (dyn Fn(u64) + Sync)) -> anyhow::Result<Control<'a>> {
    let memory_limit = match &common.memory_limit {
        Some(s) => ooc::engine::parse_size(s)
            .with_context(|| format!("--memory-limit {s:?}: expected a size such as 512M or 2G"))?,
        None => ooc::engine::default_memory_limit(),
    };
    // Ctrl-C stops at the next chunk so that a partial file can be removed; a second
    // handler cannot be installed, which only matters if this runs twice in one process.
    let _ = ctrlc::set_handler(|| CANCEL.store(true, Ordering::Relaxed));
    Ok(Control {
        memory_limit,
        threads: common.threads,
        progress: Some(progress),
        cancel: Some(&CANCEL),
        ..Control::default()
    })
}

fn progress_bar(common: &Common, total: u64, what: &str) -> ProgressBar {
    if common.quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    pb.set_style(
        ProgressStyle::with_template(
            "{msg} [{bar:30}] {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} eta {eta}",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    pb.set_message(what.to_string());
    pb
}

fn finish(common: &Common, pb: &ProgressBar, verb: &str, bytes: u64, start: Instant) {
    pb.finish_and_clear();
    let secs = start.elapsed().as_secs_f64();
    if !common.quiet {
        eprintln!(
            "{verb} {} in {secs:.3} s ({}/s)",
            human(bytes),
            human((bytes as f64 / secs.max(1e-9)) as u64)
        );
    }
    if common.report_rss {
        if let Some(rss) = ooc::engine::peak_rss() {
            eprintln!("peak RSS {rss} bytes");
        }
    }
}

fn human(bytes: u64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < units.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.2} {}", units[u])
    }
}

fn interrupted(err: &OocError) -> bool {
    matches!(err, OocError::Interrupted { .. })
}

fn parse_shape(text: &str) -> anyhow::Result<Vec<usize>> {
    let t = text.trim();
    if t.is_empty() || t == "()" {
        return Ok(vec![]);
    }
    t.split(['x', 'X', ',', '*'])
        .map(|d| {
            d.trim().parse::<usize>().with_context(|| {
                format!("--shape {text:?}: {d:?} is not a dimension (expected e.g. 40000x40000)")
            })
        })
        .collect()
}

fn parse_fill(text: &str, seed: u64) -> anyhow::Result<Fill> {
    Ok(match text.to_ascii_lowercase().as_str() {
        "zeros" | "zero" => Fill::Zeros,
        "random" | "rand" | "uniform" => Fill::Random { seed },
        "true" => Fill::Value(1.0),
        "false" => Fill::Value(0.0),
        v => Fill::Value(
            v.parse::<f64>()
                .with_context(|| format!("--fill {text:?}: expected zeros, random or a number"))?,
        ),
    })
}

fn create(a: CreateArgs) -> anyhow::Result<ExitCode> {
    let shape = parse_shape(&a.shape)?;
    let dtype = DType::from_name(&a.dtype).with_context(|| {
        format!(
            "--dtype {:?}: expected one of f64, f32, i64, i32, u8, bool",
            a.dtype
        )
    })?;
    let fill = parse_fill(&a.fill, a.seed)?;
    let total = shape
        .iter()
        .try_fold(dtype.size() as u64, |acc, &d| acc.checked_mul(d as u64));
    let total = total.with_context(|| format!("--shape {}: too large", a.shape))?;
    let pb = progress_bar(&a.common, total, "create");
    let inc = |b: u64| pb.inc(b);
    let ctl = control(&a.common, &inc)?;
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
            pb.abandon();
            eprintln!("hpcrs: interrupted; {} was not created", a.file.display());
            return Ok(ExitCode::from(130));
        }
        Err(e) => return Err(e).with_context(|| format!("cannot create {}", a.file.display())),
    }
    finish(&a.common, &pb, "wrote", total, start);
    Ok(ExitCode::SUCCESS)
}

fn describe(file: &NpyFile) -> String {
    let h = file.header();
    format!(
        "{:?} {} {} order, {}",
        h.shape,
        h.dtype.descr(h.byte_order),
        if h.fortran_order { "Fortran" } else { "C" },
        human(file.data_bytes())
    )
}

fn stats_line(out: &mut impl Write, label: &str, s: &Stats) -> std::io::Result<()> {
    writeln!(
        out,
        "{label}\t{}\t{}\t{}\t{}\t{}",
        s.count,
        num(s.mean),
        num(s.std()),
        num(s.min()),
        num(s.max())
    )
}

fn stats(a: StatsArgs) -> anyhow::Result<ExitCode> {
    let io = IoMode::from_name(&a.io)
        .with_context(|| format!("--io {:?}: expected pread, mmap or mmap-populate", a.io))?;
    let file = NpyFile::open(&a.file)?;
    let pb = progress_bar(&a.common, file.data_bytes(), "stats");
    let inc = |b: u64| pb.inc(b);
    let mut ctl = control(&a.common, &inc)?;
    ctl.io = io;
    let start = Instant::now();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let result = match a.axis {
        None => ooc::reduce::stats(&file, &ctl).map(|s| {
            pb.finish_and_clear();
            (s, None)
        }),
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
                .map(|r| (Stats::EMPTY, Some((axis, r))))
        }
    };
    let (whole, along) = match result {
        Ok(r) => r,
        Err(e) if interrupted(&e) => {
            pb.abandon();
            eprintln!("hpcrs: interrupted");
            return Ok(ExitCode::from(130));
        }
        Err(e) => return Err(e).with_context(|| format!("stats of {}", a.file.display())),
    };
    pb.finish_and_clear();
    writeln!(out, "file\t{}", a.file.display())?;
    writeln!(out, "array\t{}", describe(&file))?;
    match along {
        None => {
            writeln!(out, "count\t{}", whole.count)?;
            writeln!(out, "mean\t{}", num(whole.mean))?;
            writeln!(out, "std\t{}", num(whole.std()))?;
            writeln!(out, "min\t{}", num(whole.min()))?;
            writeln!(out, "max\t{}", num(whole.max()))?;
        }
        Some((axis, r)) => {
            writeln!(
                out,
                "axis\t{axis} (one line per index of the other axes, shape {:?})",
                r.shape
            )?;
            writeln!(out, "index\tcount\tmean\tstd\tmin\tmax")?;
            let mut idx = vec![0usize; r.shape.len()];
            for s in &r.stats {
                let label: Vec<String> = idx.iter().map(|i| i.to_string()).collect();
                let label = if label.is_empty() {
                    "()".to_string()
                } else {
                    label.join(",")
                };
                stats_line(&mut out, &label, s)?;
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
    finish(&a.common, &pb, "read", file.data_bytes(), start);
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
    let file = NpyFile::open(&a.file)?;
    let index = resolve(&a.file, file.shape(), &a.index)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if index.len() == file.shape().len() {
        writeln!(out, "{}", file.get(&index)?)?;
    } else {
        for v in file.row(&index)? {
            writeln!(out, "{v}")?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
