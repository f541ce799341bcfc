//! Statistics over a whole array or along one axis, chunk by chunk, on all threads.

use runtime::stats::Stats;

use crate::array::{strides, NpyFile};
use crate::control::Control;
use crate::decode::native_f64;
use crate::dtype::{ByteOrder, DType};
use crate::engine::fold_chunks;
use crate::error::{OocError, Result};
use crate::int_range::IntRange;
use crate::stats::of_slice;

/// The statistics of a whole array.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    /// Count, mean and variance (in `f64` for every dtype, as numpy's mean and std are), and
    /// min and max as `f64`.
    pub stats: Stats,
    /// The exact min and max of an integer or bool array; `None` for a float array, whose
    /// min and max are those of `stats`.
    pub range: Option<IntRange>,
}

/// Count, mean, variance, min and max of every element of `file`.
///
/// ```no_run
/// let file = ooc::NpyFile::open("big.npy")?;
/// let s = ooc::reduce::stats(&file, &ooc::Control::default())?;
/// println!("mean {} std {}", s.stats.mean(), s.stats.stdev());
/// # Ok::<(), ooc::OocError>(())
/// ```
pub fn stats(file: &NpyFile, ctl: &Control) -> Result<Summary> {
    let _task = ctl.task("stats", file.data_bytes());
    let h = file.header();
    let chunk = ctl.chunk_elems(h.dtype.size(), decode_bytes(file));
    let ints = exact_ints(h.dtype, h.byte_order);
    let mut acc = (Stats::EMPTY, IntRange::EMPTY);
    // One Stats (40 bytes) per chunk: all chunks can be in flight in a single batch.
    fold_chunks(
        file,
        ctl,
        chunk,
        usize::MAX,
        |_, xs, bytes| {
            let range = match ints {
                Some(order) => IntRange::of_i64_bytes(order, bytes),
                None => IntRange::EMPTY,
            };
            (of_slice(xs), range)
        },
        &mut acc,
        |(a, r), (s, sr)| {
            a.merge(&s);
            r.merge(&sr);
        },
    )?;
    let (stats, range) = acc;
    let range = integer_ranges(h.dtype, &[stats], vec![range]).map(|r| r[0]);
    Ok(Summary { stats, range })
}

/// `Some(order)` when the min and max must be found on the stored integers: `i64`, the
/// one dtype `f64` does not hold exactly.
fn exact_ints(dtype: DType, order: ByteOrder) -> Option<ByteOrder> {
    (dtype == DType::I64).then_some(order)
}

/// The exact ranges of an integer or bool array's results (`None` for floats): those found
/// on the integers (`i64`), or the `f64` min and max of the statistics, exact for the
/// other integer types.
fn integer_ranges(dtype: DType, stats: &[Stats], found: Vec<IntRange>) -> Option<Vec<IntRange>> {
    match dtype {
        DType::F64 | DType::F32 => None,
        DType::I64 => Some(found),
        DType::I32 | DType::U8 | DType::Bool => {
            Some(stats.iter().map(IntRange::of_exact_stats).collect())
        }
    }
}

/// Bytes of decode buffer per element, when the data is not native f64.
fn decode_bytes(file: &NpyFile) -> usize {
    let h = file.header();
    if native_f64(h.dtype, h.byte_order) {
        0
    } else {
        8
    }
}

/// Statistics along one axis: one [`Stats`] per position of the other axes.
#[derive(Clone, Debug, PartialEq)]
pub struct AxisStats {
    /// Shape of the result: the array's shape without the reduced axis.
    pub shape: Vec<usize>,
    /// One entry per element of `shape`, in C (row-major) order.
    pub stats: Vec<Stats>,
    /// For an integer or bool array, the exact min and max of each entry of `stats`
    /// (see [`Summary::range`]); `None` for a float array.
    pub ranges: Option<Vec<IntRange>>,
}

/// The array seen in storage order as `(outer, n, inner)`, with `n` the reduced axis.
struct Split {
    n: usize,
    inner: usize,
}

/// What one chunk contributes.
enum Partial {
    /// `inner == 1`: contiguous runs, each inside one result.
    Runs(Vec<(usize, Stats, IntRange)>),
    /// `inner > 1`: a dense block of results starting at result index `.0`, with their
    /// integer ranges when they are found on the integers.
    Dense(usize, Vec<Stats>, Option<Vec<IntRange>>),
}

/// Statistics along `axis` (numpy's `axis=` semantics: the axis that disappears).
///
/// For a 2-D array, axis 0 gives one result per column and axis 1 one per row. The
/// accumulators for all results are kept in memory, so their size (48 bytes per result,
/// 64 for `i64` arrays) must fit within half the memory limit.
pub fn stats_axis(file: &NpyFile, axis: usize, ctl: &Control) -> Result<AxisStats> {
    let h = file.header();
    let ndim = h.shape.len();
    if axis >= ndim {
        return Err(OocError::Invalid(format!(
            "axis {axis} is out of bounds for an array of dimension {ndim} (shape {:?})",
            h.shape
        )));
    }
    // Storage order: C order as is, Fortran order as the reversed shape in C order.
    let (mem_shape, mem_axis): (Vec<usize>, usize) = if h.fortran_order {
        (h.shape.iter().rev().copied().collect(), ndim - 1 - axis)
    } else {
        (h.shape.clone(), axis)
    };
    let outer: usize = mem_shape[..mem_axis].iter().product();
    let n = mem_shape[mem_axis];
    let inner: usize = mem_shape[mem_axis + 1..].iter().product();
    let results = outer * inner;
    let ints = exact_ints(h.dtype, h.byte_order);
    let per_result = std::mem::size_of::<Stats>()
        + if ints.is_some() {
            std::mem::size_of::<IntRange>()
        } else {
            0
        };
    let need = results as u64 * per_result as u64;
    if need > ctl.memory_limit / 2 {
        return Err(OocError::Invalid(format!(
            "stats along axis {axis} have {results} results ({need} bytes of accumulators), \
             more than half the memory limit ({} bytes); raise --memory-limit",
            ctl.memory_limit
        )));
    }
    let _task = ctl.task("stats", file.data_bytes());
    let mut acc = (
        vec![Stats::EMPTY; results],
        vec![IntRange::EMPTY; if ints.is_some() { results } else { 0 }],
    );
    let split = Split { n, inner };
    // Dense partials need up to a chunk's worth of accumulators per thread, so chunks are
    // sized as if each element cost 48 more bytes when reducing along an outer axis.
    let extra = if inner > 1 { 48 } else { 0 };
    let chunk = ctl
        .chunk_elems(h.dtype.size(), decode_bytes(file) + extra)
        .max(1);
    // A dense partial can be as large as its chunk: a few chunks per thread at a time.
    let batch = ctl.thread_count() * 4;
    fold_chunks(
        file,
        ctl,
        chunk,
        batch,
        |start, xs, bytes| chunk_partial(&split, start, xs, ints.map(|o| (o, bytes))),
        &mut acc,
        |(acc, ranges), p| match p {
            Partial::Runs(runs) => {
                for (r, s, range) in runs {
                    acc[r].merge(&s);
                    if let Some(a) = ranges.get_mut(r) {
                        a.merge(&range);
                    }
                }
            }
            Partial::Dense(r0, stats, found) => {
                for (a, s) in acc[r0..].iter_mut().zip(&stats) {
                    a.merge(s);
                }
                if let Some(found) = found {
                    for (a, r) in ranges[r0..].iter_mut().zip(&found) {
                        a.merge(r);
                    }
                }
            }
        },
    )?;
    let (acc, found) = acc;
    let mut shape = h.shape.clone();
    shape.remove(axis);
    let fortran = h.fortran_order;
    let stats = c_order(fortran, &shape, acc);
    // Ranges found on the integers are in storage order; those derived from `stats` are
    // in C order already.
    let found = c_order(fortran && ints.is_some(), &shape, found);
    let ranges = integer_ranges(h.dtype, &stats, found);
    Ok(AxisStats {
        shape,
        stats,
        ranges,
    })
}

/// Results in C order: `v` itself, or reordered from Fortran order of `shape` if `fortran`.
fn c_order<T: Copy>(fortran: bool, shape: &[usize], v: Vec<T>) -> Vec<T> {
    if fortran && shape.len() > 1 {
        fortran_to_c(shape, &v)
    } else {
        v
    }
}

/// Reorders results stored in Fortran order of `shape` into C order.
fn fortran_to_c<T: Copy>(shape: &[usize], f: &[T]) -> Vec<T> {
    let fst = strides(shape, true);
    let mut out = Vec::with_capacity(f.len());
    let mut idx = vec![0usize; shape.len()];
    for _ in 0..f.len() {
        out.push(f[idx.iter().zip(&fst).map(|(i, s)| i * s).sum::<usize>()]);
        for d in (0..shape.len()).rev() {
            idx[d] += 1;
            if idx[d] < shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    out
}

/// The contribution of elements `start..start + xs.len()` (storage order) to the results;
/// `ints`, for `i64` data, is the byte order and the stored bytes of the same elements, on
/// which the exact integer ranges are found.
fn chunk_partial(
    split: &Split,
    start: usize,
    xs: &[f64],
    ints: Option<(ByteOrder, &[u8])>,
) -> Partial {
    let Split { n, inner } = *split;
    let end = start + xs.len();
    if inner == 1 {
        // Reducing the fastest axis: each run of up to n elements belongs to one result.
        let mut runs = Vec::new();
        let mut e = start;
        while e < end {
            let o = e / n;
            let run_end = ((o + 1) * n).min(end);
            let range = match ints {
                Some((order, b)) => {
                    IntRange::of_i64_bytes(order, &b[(e - start) * 8..(run_end - start) * 8])
                }
                None => IntRange::EMPTY,
            };
            runs.push((o, of_slice(&xs[e - start..run_end - start]), range));
            e = run_end;
        }
        return Partial::Runs(runs);
    }
    // Reducing a slower axis: each row of `inner` elements updates `inner` results.
    // Two passes over the chunk (already in cache): sums, counts, min and max, then squared
    // deviations from the chunk-local means; the chunk's results are then merged with Chan's
    // formula like everything else.
    let result_of = |e: usize| (e / (n * inner)) * inner + e % inner;
    let r0 = (start / (n * inner)) * inner;
    let r1 = ((end - 1) / (n * inner)) * inner + inner;
    let width = r1 - r0;
    let mut sum = vec![0.0f64; width];
    let mut cnt = vec![0u64; width];
    let mut lo = vec![f64::INFINITY; width];
    let mut hi = vec![f64::NEG_INFINITY; width];
    // Segments: maximal runs inside one row, as (offset in xs, first result - r0, length).
    let mut segments = Vec::new();
    let mut e = start;
    while e < end {
        let c = e % inner;
        let seg_end = (e - c + inner).min(end);
        segments.push((e - start, result_of(e) - r0, seg_end - e));
        e = seg_end;
    }
    for &(off, r, l) in &segments {
        let x = &xs[off..off + l];
        for (((s, k), (mn, mx)), &v) in sum[r..r + l]
            .iter_mut()
            .zip(&mut cnt[r..r + l])
            .zip(lo[r..r + l].iter_mut().zip(&mut hi[r..r + l]))
            .zip(x)
        {
            *s += v;
            *k += 1;
            *mn = if v < *mn { v } else { *mn };
            *mx = if v > *mx { v } else { *mx };
        }
    }
    let mean: Vec<f64> = sum
        .iter()
        .zip(&cnt)
        .map(|(&s, &k)| if k == 0 { f64::NAN } else { s / k as f64 })
        .collect();
    let mut m2 = vec![0.0f64; width];
    for &(off, r, l) in &segments {
        let x = &xs[off..off + l];
        for ((m, &mu), &v) in m2[r..r + l].iter_mut().zip(&mean[r..r + l]).zip(x) {
            let d = v - mu;
            *m += d * d;
        }
    }
    // NaN poisons min and max as in numpy; only look for it where the sum says it may be.
    if sum.iter().any(|s| s.is_nan()) {
        for &(off, r, l) in &segments {
            for (i, v) in xs[off..off + l].iter().enumerate() {
                if v.is_nan() {
                    lo[r + i] = f64::NAN;
                    hi[r + i] = f64::NAN;
                }
            }
        }
    }
    let stats = (0..width)
        .map(|i| Stats::from_parts(cnt[i], mean[i], m2[i], lo[i], hi[i]))
        .collect();
    let ranges = ints.map(|(order, b)| {
        let mut ranges = vec![IntRange::EMPTY; width];
        for &(off, r, l) in &segments {
            let found = ranges[r..r + l].iter_mut();
            for (k, range) in found.enumerate() {
                let at = (off + k) * 8;
                range.merge(&IntRange::of_i64_bytes(order, &b[at..at + 8]));
            }
        }
        ranges
    });
    Partial::Dense(r0, stats, ranges)
}
