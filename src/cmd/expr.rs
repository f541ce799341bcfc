//! `hpcrs expr`: evaluate an array expression on random inputs and time it, or
//! once on the arrays of `.npy` files of any size (`--input`, in `expr/files.rs`).

use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context};
use expr::{Arg, Array, DType, Expr, ExprError};
use ndarray::{ArrayD, IxDyn};
use runtime::pool::Threads;
use runtime::rng::RngCore;
use runtime::timing::Timing;

use crate::output::outln;

mod files;

/// Arguments of `hpcrs expr`.
#[derive(clap::Args)]
pub struct Args {
    /// The expression, e.g. `a**2 + b**2 + 2*a*b` or `u[-1,0] + u[1,0] - 2*u`.
    #[arg(value_name = "EXPR", allow_hyphen_values = true)]
    text: String,
    /// Elements per input (with stencil offsets on d axes: a d-D array of about N elements).
    #[arg(long, default_value_t = 1_000_000, allow_negative_numbers = true, value_parser = crate::args::count::<usize>, conflicts_with = "input")]
    n: usize,
    /// Element type of the inputs.
    #[arg(long, value_enum, default_value_t = DType::F64, conflicts_with = "input")]
    dtype: DType,
    /// Threads to evaluate on (0 or absent: all cores; at most 1024).
    #[arg(long, allow_negative_numbers = true, value_parser = crate::args::threads)]
    threads: Option<Threads>,
    /// Timed evaluations; their median, spread and best are reported.
    #[arg(long, default_value_t = 10, allow_negative_numbers = true, value_parser = crate::args::count::<usize>, conflicts_with = "input")]
    repeat: usize,
    /// Evaluate once on the array of a .npy file (any size: read a band of rows at a
    /// time) instead of random numbers; once per name the expression reads.
    #[arg(long, value_name = "NAME=FILE", value_parser = files::parse_input)]
    input: Vec<(String, std::path::PathBuf)>,
    /// Write the result to this .npy file (replaced only once the new one is complete).
    #[arg(long, value_name = "FILE", requires = "input")]
    out: Option<std::path::PathBuf>,
    /// Most file data held in memory at once (e.g. 512M, 2G). Default: a quarter of RAM.
    #[arg(
        long,
        value_name = "SIZE",
        alias = "memory",
        allow_hyphen_values = true,
        requires = "input"
    )]
    memory_limit: Option<String>,
    /// How to read the --input files (default: mmap).
    #[arg(long, value_enum, requires = "input")]
    io: Option<ooc::IoMode>,
    /// Do not fsync --out before the rename (faster; the file may be lost on power failure).
    #[arg(long, requires = "out")]
    no_sync: bool,
    /// With --input: no progress bar and no summary line.
    #[arg(long, short, requires = "input")]
    quiet: bool,
}

/// Fills an array with seeded pseudo-random values: floats in [0, 1),
/// integers in [0, 100), fair booleans.
fn random(dt: DType, shape: &[usize], seed: u64) -> Array {
    let mut rng = runtime::rng::seeded(seed);
    let mut next = move || rng.next_u64();
    let unit = |x: u64| (x >> 11) as f64 / (1u64 << 53) as f64;
    match dt {
        DType::Bool => Array::Bool(filled(shape, || next() & 1 == 1)),
        DType::I32 => Array::I32(filled(shape, || (next() % 100) as i32)),
        DType::I64 => Array::I64(filled(shape, || (next() % 100) as i64)),
        DType::F32 => Array::F32(filled(shape, || unit(next()) as f32)),
        DType::F64 => Array::F64(filled(shape, || unit(next()))),
        DType::C128 => Array::C128(filled(shape, || {
            expr::Complex64::new(unit(next()), unit(next()))
        })),
    }
}

/// An array of `shape` filled with `f()`, on transparent huge pages where the
/// kernel allows them, as numpy allocates every large array: with 4 KiB pages
/// a streaming expression over 1e7 elements misses the TLB at every page of
/// every operand and runs well below the memory bandwidth.
fn filled<T>(shape: &[usize], mut f: impl FnMut() -> T) -> ArrayD<T> {
    let len = shape.iter().product();
    let mut v = Vec::with_capacity(len);
    advise_huge_pages(v.as_ptr() as usize, len * std::mem::size_of::<T>());
    v.extend(std::iter::repeat_with(&mut f).take(len));
    ArrayD::from_shape_vec(IxDyn(shape), v).expect("len is the product of shape")
}

/// Asks for huge pages on the whole 2 MiB pages inside `len` bytes at `addr`,
/// before they are first touched (madvise mode of transparent huge pages);
/// a refusal only costs speed.
fn advise_huge_pages(addr: usize, len: usize) {
    const HUGE: usize = 2 << 20;
    let (lo, hi) = (addr.next_multiple_of(HUGE), (addr + len) / HUGE * HUGE);
    #[cfg(target_os = "linux")]
    if hi > lo {
        // SAFETY: the range lies inside one live allocation; MADV_HUGEPAGE
        // changes no contents.
        unsafe {
            libc::madvise(lo as *mut libc::c_void, hi - lo, libc::MADV_HUGEPAGE);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (lo, hi);
}

/// Applies `--threads` to the engine.
fn set_threads(threads: Option<Threads>) {
    if let Some(threads) = threads {
        // expr's setting 0 is one thread per core.
        expr::set_num_threads(match threads {
            Threads::AllCores => 0,
            Threads::Exactly(n) => n,
        });
    }
}

/// An expression error on one line: its first, which has the column and
/// the reason; the lines after it draw the expression with a caret under
/// that column, which the context (the expression itself) replaces.
fn one_line(err: ExprError) -> anyhow::Error {
    let text = err.to_string();
    anyhow::anyhow!("{}", text.lines().next().unwrap_or_default())
}

/// The number of elements of an array of `shape`, if it fits in 64 bits.
fn count_elements(shape: &[usize]) -> Option<u64> {
    shape
        .iter()
        .try_fold(1u64, |n, &side| n.checked_mul(side as u64))
}

/// Runs `hpcrs expr`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if !args.input.is_empty() {
        return files::run(args);
    }
    let dt = args.dtype;
    if args.n == 0 {
        bail!("--n must be at least 1");
    }
    if args.repeat == 0 {
        bail!("--repeat must be at least 1");
    }
    set_threads(args.threads);
    let vars = expr::variables(&args.text)
        .map_err(one_line)
        .with_context(|| format!("parsing the expression `{}`", args.text))?;
    let ndim = vars.iter().map(|v| v.1).max().unwrap_or(0).max(1);
    let side = (args.n as f64).powf(1.0 / ndim as f64).round().max(1.0) as usize;
    let shape: Vec<usize> = if ndim == 1 {
        vec![args.n]
    } else {
        vec![side; ndim]
    };
    let sig: Vec<(&str, DType)> = vars.iter().map(|(n, _)| (n.as_str(), dt)).collect();
    let e = Expr::compile(&args.text, &sig)
        .map_err(one_line)
        .with_context(|| format!("compiling the expression `{}`", args.text))?;
    // The inputs and the result eval_new allocates, before any is made.
    let elems = count_elements(&shape);
    let needed = elems.and_then(|n| {
        let inputs = n
            .checked_mul(dt.size() as u64)?
            .checked_mul(vars.len() as u64)?;
        inputs.checked_add(n.checked_mul(e.dtype().size() as u64)?)
    });
    let what = format!(
        "--n {} ({} {dt} input(s) of {shape:?} and the {} result)",
        args.n,
        vars.len(),
        e.dtype()
    );
    crate::memory::check_fits(needed, &what)?;
    let arrays: Vec<Array> = (0..vars.len())
        .map(|i| random(dt, &shape, i as u64 + 1))
        .collect();
    let inputs: Vec<(&str, Arg)> = vars
        .iter()
        .zip(&arrays)
        .map(|((n, _), a)| (n.as_str(), Arg::from(a)))
        .collect();
    // eval_new gives the result's shape and type; the timed evaluations write
    // into an array allocated like the inputs.
    let first = e
        .eval_new(&inputs)
        .map_err(one_line)
        .context("evaluating")?;
    let out_bytes =
        count_elements(first.shape()).and_then(|n| n.checked_mul(e.dtype().size() as u64));
    crate::memory::check_fits(
        out_bytes,
        &format!("--n {}: the timed {} result", args.n, e.dtype()),
    )?;
    let mut out = random(e.dtype(), first.shape(), 0);
    let elems = shape.iter().product::<usize>() as f64;
    let out_elems = out.shape().iter().product::<usize>() as f64;
    let bytes = vars.len() as f64 * elems * dt.size() as f64 + out_elems * e.dtype().size() as f64;
    let mut timing = Timing::default();
    for _ in 0..args.repeat {
        let t = Instant::now();
        e.eval(&inputs, out.view_mut())
            .map_err(one_line)
            .context("evaluating")?;
        timing.push(t.elapsed().as_secs_f64());
    }
    let ms = |s: Option<f64>| s.unwrap_or(f64::NAN) * 1e3;
    let (best, median) = (ms(timing.best()), ms(timing.median()));
    outln!("expression: {}", args.text)?;
    outln!(
        "inputs: {} x {:?} {dt}; result {}; {} VM instruction(s); {} thread(s)",
        vars.len(),
        shape,
        e.dtype(),
        e.num_instructions(),
        expr::num_threads()
    )?;
    if let Some(value) = out.single() {
        outln!("result: {value}")?;
    }
    outln!(
        "bytes moved: {:.1} MB, {:.2} GB/s, {:.1} M elements/s (median run)",
        bytes / 1e6,
        bytes / median / 1e6,
        elems / median / 1e3
    )?;
    outln!(
        "median: {median:.4} ms over {} run(s), {best:.4}–{:.4} ms",
        timing.runs(),
        ms(timing.slowest())
    )?;
    outln!("best: {best:.4} ms")?;
    Ok(ExitCode::SUCCESS)
}
