//! Array expressions over `.npy` files of any size: numexpr over `numpy.memmap`, in
//! bounded memory.
//!
//! [`evaluate`] compiles an expression of the [`expr`] engine (`a*b + 1`,
//! `u[-1,0] + u[1,0] - 2*u`, `sum(a*b)`, `sum(a, axis=1)`...) for the arrays of some
//! `.npy` files, and evaluates it in **bands of rows of axis 0**, each as large as half
//! the [memory limit](Control::memory_limit) allows (and a few MiB at most, so that a
//! band's output is still in the cache when it is written). Only the rows of the band
//! being evaluated are resident: an input's pages are mapped and prefetched
//! ([`IoMode::Mmap`](crate::IoMode::Mmap)) or populated
//! ([`IoMode::MmapPopulate`](crate::IoMode::MmapPopulate)) for the band, read by the
//! engine in place, and released with `MADV_DONTNEED` afterwards; with
//! [`IoMode::Pread`](crate::IoMode::Pread) they are read into an anonymous map that is
//! released the same way. The result is written band by band (`pwrite` of the band's
//! rows, from a thread of its own while the next band is evaluated) into a new `.npy`
//! file under a temporary name, renamed into place once complete ([`Output`]); an error
//! or a cancellation removes it.
//!
//! - **Types**: `f64`, `f32`, `i64`, `i32` and `bool` inputs are the engine's types; `u8`
//!   is read in place too and computed as `i32` (numexpr's rule for small integers).
//!   Inputs of the other byte order are byte-swapped band by band, as are unaligned ones
//!   copied; bools are always copied, as 0 or 1. Results are stored in their own type; a
//!   complex result cannot be written (this crate's files hold no complex numbers) and is
//!   refused before anything is computed.
//! - **Shapes**: array inputs of 1 to 3 dimensions (the engine's), broadcast by numpy's
//!   rule (`a[N, M] + c[M]`, `a * w[N, 1]`); 0-d inputs are scalars. An input without
//!   axis 0, or of length 1 along it, is read whole once; the others a band at a time.
//!   Reductions over everything or along axis 0 need array inputs of one shape (their
//!   steps read the same rows of every input). Fortran-order inputs are read through
//!   strided views, in place when native (a band of rows is then a run of every column:
//!   the band is sized for the pages that touches).
//! - **Stencils**: a band of an expression with offsets reads its rows plus the rows the
//!   offsets reach (its halo), and, as [`expr::evaluate`] does, writes the interior; the
//!   border of the result is zeros.
//! - **Reductions** (`sum`, `prod`, `min`, `max`): along an axis other than 0, every band
//!   gives its rows of the result. Over everything or along axis 0, the engine runs its
//!   own blocks a range at a time ([`expr::Stepwise`]), so the result is bit for bit that
//!   of one evaluation in memory, whatever the bands.
//!
//! Results do not depend on the memory limit: they are bit for bit those of
//! [`expr::evaluate`] on the same arrays in memory (in their storage order). The engine's
//! threads are [`expr`]'s setting ([`expr::set_num_threads`]); converting and reading
//! inputs use [`Control::threads`].
//!
//! ```
//! use ooc::{create, eval, Control, CreateOptions, Fill, NpyFile};
//! let dir = tempfile::tempdir()?;
//! let (a, b, r) = (dir.path().join("a.npy"), dir.path().join("b.npy"), dir.path().join("r.npy"));
//! let ctl = Control { memory_limit: 1 << 20, ..Control::default() }; // 1 MiB at a time
//! let random = |seed| CreateOptions { fill: Fill::Random { seed }, ..Default::default() };
//! create(&a, &[500, 300], &random(1), &ctl)?;
//! create(&b, &[500, 300], &random(2), &ctl)?;
//! let (fa, fb) = (NpyFile::open(&a)?, NpyFile::open(&b)?);
//! let inputs = [("a", &fa), ("b", &fb)];
//! let out = eval::Output { path: &r, sync: false };
//! let done = eval::evaluate("a*b + 1", &inputs, Some(out), &ctl)?;
//! assert_eq!((done.shape.as_slice(), done.dtype), (&[500, 300][..], expr::DType::F64));
//! let x = |f: &NpyFile| f.get(&[499, 299]).unwrap().to_f64();
//! assert_eq!(x(&NpyFile::open(&r)?), x(&fa) * x(&fb) + 1.0);
//! let total = eval::evaluate("sum(a*b)", &inputs, None, &ctl)?.value.unwrap();
//! assert!((total.as_f64() / 150_000.0 - 0.25).abs() < 0.01);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod bands;
mod convert;
mod output;
mod source;
mod steps;
mod types;

use std::path::Path;

use expr::Expr;
use runtime::size::human_bytes;

use crate::array::NpyFile;
use crate::control::Control;
use crate::error::{OocError, Result};
use crate::eval::output::{bytes_of, Sink};
use crate::eval::source::Source;
use crate::eval::types::file_type;

/// Where to write the result.
#[derive(Clone, Copy, Debug)]
pub struct Output<'p> {
    /// The `.npy` file to create (replaced only once the new one is complete).
    pub path: &'p Path,
    /// `fsync` the data before the rename and the directory after it (see
    /// [`CreateOptions::sync`](crate::CreateOptions::sync)).
    pub sync: bool,
}

/// What an evaluation gave.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluated {
    /// The result's shape (empty for a reduction over everything).
    pub shape: Vec<usize>,
    /// The result's element type.
    pub dtype: expr::DType,
    /// The value of a 0-d result.
    pub value: Option<expr::Scalar>,
    /// Data bytes of the inputs (each read once, but for the halo rows of a stencil).
    pub bytes_read: u64,
    /// Data bytes written to the output file (0 without one).
    pub bytes_written: u64,
}

/// At most this much input data per band: a band's output then stays in the cache
/// between the engine writing it and `pwrite` copying it to the file.
const MAX_BAND_BYTES: u64 = 16 << 20;

/// Evaluates `text` over the arrays of the `.npy` files `inputs` (one name each), in
/// bands of rows within the memory limit of `ctl` (see the [module](self) documentation),
/// and writes the result to `out` when given.
///
/// Every input must be read by the expression and every name it reads given. Errors name
/// the file or the input; nothing is left under `out.path` or as a temporary on an error
/// or when `ctl.cancel` is set ([`OocError::Interrupted`]).
pub fn evaluate(
    text: &str,
    inputs: &[(&str, &NpyFile)],
    out: Option<Output<'_>>,
    ctl: &Control,
) -> Result<Evaluated> {
    let sources: Vec<Source> = check_inputs(text, inputs, ctl)?;
    let sig: Vec<(&str, expr::DType)> = inputs
        .iter()
        .zip(&sources)
        .map(|((n, _), s)| (*n, s.dtype()))
        .collect();
    let e = Expr::compile(text, &sig)?;
    let shape = broadcast_shape(inputs)?;
    let mode = Mode::of(&e, text, shape.as_deref(), inputs)?;
    let result_shape = mode.result_shape();
    let sink = match out {
        None => None,
        Some(o) => {
            let Some(dtype) = file_type(e.dtype()) else {
                return Err(OocError::Invalid(format!(
                    "{}: the result of `{text}` is complex, which cannot be stored (this crate \
                     writes .npy files of f64, f32, i64, i32, u8 and bool)",
                    o.path.display()
                )));
            };
            Some((Sink::begin(o.path, dtype, &result_shape)?, o.sync))
        }
    };
    let bytes_read: u64 = inputs.iter().map(|(_, f)| f.data_bytes()).sum();
    let _task = ctl.task("expr", bytes_read);
    // What an interruption names: the output, else the first input.
    let interrupted = match (out, inputs.first()) {
        (Some(o), _) => o.path,
        (None, Some((_, f))) => f.path(),
        (None, None) => Path::new("the expression"),
    };
    let mut sources = sources;
    // An input broadcast along axis 0 is read whole, once: its rows are not the bands'.
    if let Some(full) = &shape {
        for s in sources.iter_mut() {
            let own = s.file().shape();
            if !own.is_empty() && (own.len() < full.len() || own[0] != full[0]) {
                s.hold_whole(ctl)?;
                ctl.progress.advance(s.file().data_bytes());
            }
        }
    }
    let names: Vec<&str> = inputs.iter().map(|(n, _)| *n).collect();
    let mut sink = sink;
    let run = Run {
        expr: &e,
        names: &names,
        ctl,
        interrupted,
    };
    let value = match &mode {
        Mode::Scalars => {
            let args = run.views(&sources);
            let a = e.eval_new(&args)?;
            drop(args);
            if let Some((s, _)) = &mut sink {
                s.write_rows(0, bytes_of(&a))?;
            }
            ctl.progress.advance(bytes_read);
            a.single()
        }
        Mode::Steps { .. } => {
            let a = run.steps(&mut sources)?;
            if let Some((s, _)) = &mut sink {
                s.write_rows(0, bytes_of(&a))?;
            }
            if result_shape.is_empty() {
                a.single()
            } else {
                None
            }
        }
        Mode::Bands { .. } => {
            run.bands(&mut sources, &mode, sink.as_mut().map(|(s, _)| s))?;
            None
        }
    };
    drop(sources);
    let bytes_written = match sink {
        Some((s, sync)) => s.finish(sync, ctl)?,
        None => 0,
    };
    Ok(Evaluated {
        shape: result_shape,
        dtype: e.dtype(),
        value,
        bytes_read,
        bytes_written,
    })
}

/// Checks that the names of `inputs` are the names `text` reads, each once, and opens
/// each input for the engine.
fn check_inputs<'f>(
    text: &str,
    inputs: &[(&str, &'f NpyFile)],
    ctl: &Control,
) -> Result<Vec<Source<'f>>> {
    let read = expr::variables(text)?;
    for (k, (name, file)) in inputs.iter().enumerate() {
        if inputs[..k].iter().any(|(n, _)| n == name) {
            return Err(OocError::Invalid(format!("input `{name}` is given twice")));
        }
        if !read.iter().any(|(n, _)| n == name) {
            return Err(OocError::Invalid(format!(
                "input `{name}` ({}) is not read by `{text}`",
                file.path().display()
            )));
        }
    }
    for (name, _) in &read {
        if !inputs.iter().any(|(n, _)| n == name) {
            return Err(OocError::Invalid(format!(
                "`{text}` reads `{name}`, which is not an input"
            )));
        }
    }
    for (name, file) in inputs {
        let nd = file.shape().len();
        if nd > 3 {
            return Err(OocError::Invalid(format!(
                "{}: input `{name}` has {nd} dimensions; expressions take arrays of 1 to 3 \
                 (or 0-d scalars)",
                file.path().display()
            )));
        }
        let offsets = read.iter().find(|(n, _)| n == name).map_or(0, |r| r.1);
        if offsets > 0 && offsets != nd {
            return Err(OocError::Invalid(format!(
                "{}: `{text}` gives {offsets} offset(s) on `{name}`, which has {nd} \
                 dimension(s) (one offset per axis is needed)",
                file.path().display()
            )));
        }
    }
    inputs.iter().map(|(_, f)| Source::open(f, ctl)).collect()
}

/// The shape the array inputs make together by numpy's broadcasting (`None`: only 0-d
/// inputs): aligned on their last axis, along each axis the lengths are equal or 1.
fn broadcast_shape(inputs: &[(&str, &NpyFile)]) -> Result<Option<Vec<usize>>> {
    let mut full: Option<(Vec<usize>, usize)> = None;
    for (k, (_, f)) in inputs.iter().enumerate() {
        let shape = f.shape();
        if shape.is_empty() {
            continue;
        }
        let Some((have, by)) = &mut full else {
            full = Some((shape.to_vec(), k));
            continue;
        };
        if shape.len() > have.len() {
            have.splice(0..0, std::iter::repeat_n(1, shape.len() - have.len()));
        }
        let skip = have.len() - shape.len();
        for (ax, &n) in shape.iter().enumerate() {
            let h = &mut have[skip + ax];
            if n == *h || n == 1 {
                continue;
            }
            if *h != 1 {
                let (first, f0) = inputs[*by];
                let (name, _) = inputs[k];
                return Err(OocError::Invalid(format!(
                    "{}: input `{name}` has shape {shape:?}, which does not broadcast with \
                     `{first}` ({}, shape {:?}): along each axis (counted from the last) the \
                     lengths must be equal or 1",
                    f.path().display(),
                    f0.path().display(),
                    f0.shape()
                )));
            }
            *h = n;
            *by = k;
        }
    }
    Ok(full.map(|(s, _)| s))
}

/// How an expression is evaluated.
enum Mode {
    /// Only 0-d inputs: evaluated at once.
    Scalars,
    /// A reduction over everything or along axis 0: the engine's blocks a range at a time.
    Steps {
        /// The result's shape.
        shape: Vec<usize>,
    },
    /// Elementwise, or a reduction along another axis: bands of rows.
    Bands {
        /// The inputs' shape.
        full: Vec<usize>,
        /// Rows of axis 0 the offsets reach below and above.
        reach: (usize, usize),
        /// The result's shape.
        shape: Vec<usize>,
        /// The result is a reduction, whose rows are the interior's.
        reduced: bool,
    },
}

impl Mode {
    /// The mode of `e` (the text `text`) over array inputs broadcast to `full` (`None`:
    /// only 0-d inputs), checking that the offsets leave an interior and that a
    /// reduction's axis exists.
    fn of(
        e: &Expr,
        text: &str,
        full: Option<&[usize]>,
        inputs: &[(&str, &NpyFile)],
    ) -> Result<Mode> {
        let Some(full) = full else {
            return Ok(Mode::Scalars);
        };
        let stretched = inputs
            .iter()
            .find(|(_, f)| !f.shape().is_empty() && f.shape() != full);
        let reach = e.reach();
        let mut interior = Vec::with_capacity(full.len());
        for (ax, &n) in full.iter().enumerate() {
            let (lo, hi) = reach.get(ax).copied().unwrap_or_default();
            if e.has_offsets() && lo + hi >= n {
                let f = inputs
                    .iter()
                    .find(|(_, f)| !f.shape().is_empty())
                    .map(|x| x.1);
                return Err(OocError::Invalid(format!(
                    "{}: the offsets reach {lo} below and {hi} above along axis {ax}, which \
                     has {n} element(s): no interior is left",
                    f.map_or(Path::new("?"), |f| f.path()).display()
                )));
            }
            interior.push(n.saturating_sub(lo + hi));
        }
        let reach0 = reach.first().copied().unwrap_or_default();
        Ok(match e.reduction() {
            None => Mode::Bands {
                full: full.to_vec(),
                reach: reach0,
                shape: full.to_vec(),
                reduced: false,
            },
            Some((_, None)) | Some((_, Some(_)))
                if stretched.is_some() && reduces_axis0(e, full) =>
            {
                let (name, f) = stretched.expect("checked");
                return Err(OocError::Invalid(format!(
                    "{}: `{text}` reduces along axis 0, which needs array inputs of one \
                     shape, but `{name}` has shape {:?} and the result {full:?} (inputs are \
                     broadcast only elementwise and along another axis)",
                    f.path().display(),
                    f.shape()
                )));
            }
            Some((_, None)) => Mode::Steps { shape: vec![] },
            Some((_, Some(axis))) => {
                let nd = interior.len() as i64;
                let ax = if axis < 0 { axis + nd } else { axis };
                if !(0..nd).contains(&ax) {
                    return Err(OocError::Expr(expr::ExprError::Shape(format!(
                        "axis={axis} is out of range for {nd}-D inputs"
                    ))));
                }
                let mut shape = interior.clone();
                shape.remove(ax as usize);
                if ax == 0 {
                    Mode::Steps { shape }
                } else {
                    Mode::Bands {
                        full: full.to_vec(),
                        reach: reach0,
                        shape,
                        reduced: true,
                    }
                }
            }
        })
    }

    /// The result's shape.
    fn result_shape(&self) -> Vec<usize> {
        match self {
            Mode::Scalars => vec![],
            Mode::Steps { shape } | Mode::Bands { shape, .. } => shape.clone(),
        }
    }
}

/// Whether `e` is a reduction over everything or along axis 0 of `full`.
fn reduces_axis0(e: &Expr, full: &[usize]) -> bool {
    match e.reduction() {
        Some((_, None)) => true,
        Some((_, Some(axis))) => axis == 0 || axis + full.len() as i64 == 0,
        None => false,
    }
}

/// What every band of an evaluation shares.
struct Run<'r> {
    expr: &'r Expr,
    names: &'r [&'r str],
    ctl: &'r Control<'r>,
    /// The file an interruption names.
    interrupted: &'r Path,
}

impl Run<'_> {
    /// The inputs as whole arrays, named.
    fn views<'s>(&'s self, sources: &'s [Source]) -> Vec<(&'s str, expr::Arg<'s>)> {
        self.names
            .iter()
            .copied()
            .zip(sources.iter().map(Source::view))
            .collect()
    }

    /// Stops if the evaluation was cancelled.
    fn check_cancel(&self) -> Result<()> {
        if self.ctl.cancelled() {
            return Err(OocError::Interrupted {
                path: self.interrupted.into(),
            });
        }
        Ok(())
    }

    /// Rows of axis 0 per band for inputs `sources` and `out_row` bytes of result per row,
    /// at least `min_rows`: as many as half the memory limit holds, at most
    /// [`MAX_BAND_BYTES`] of data. A band of `min_rows` that does not fit in the whole
    /// limit is an error.
    fn band_rows(&self, sources: &[Source], out_row: u64, min_rows: usize) -> Result<usize> {
        let arrays = || sources.iter().filter(|s| s.banded());
        let per_row: u64 = arrays().map(Source::row_bytes).sum::<u64>() + out_row;
        // Inputs read whole stay resident through every band.
        let whole: u64 = sources
            .iter()
            .filter(|s| !s.banded())
            .map(Source::whole_bytes)
            .sum();
        let edges: u64 = arrays().map(Source::edge_bytes).sum::<u64>() + whole;
        let limit = self.ctl.memory_limit;
        let budget = (limit / 2).min(MAX_BAND_BYTES + edges);
        let rows = budget.saturating_sub(edges) / per_row.max(1);
        let rows = (rows.min(usize::MAX as u64) as usize).max(min_rows);
        let need = edges.saturating_add(per_row.saturating_mul(min_rows as u64));
        if need > limit {
            let first = sources
                .iter()
                .find(|s| !s.file().shape().is_empty())
                .map_or(Path::new("?"), |s| s.file().path());
            return Err(OocError::Invalid(format!(
                "{}: a band of {min_rows} row(s) of axis 0 needs {} ({} per row of the inputs \
                 and result), more than the memory limit of {}",
                first.display(),
                human_bytes(need),
                human_bytes(per_row),
                human_bytes(limit)
            )));
        }
        Ok(rows)
    }

    /// Advances the progress by the data bytes of input rows `rows`.
    fn advance(&self, sources: &[Source], rows: usize) {
        let bytes: u64 = sources
            .iter()
            .filter(|s| s.banded())
            .map(|s| {
                let f = s.file();
                let n0 = f.shape()[0].max(1) as u64;
                f.data_bytes() / n0 * rows as u64
            })
            .sum();
        self.ctl.progress.advance(bytes);
    }
}
