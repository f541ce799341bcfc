//! `sum`, `prod`, `min` and `max`: over the whole space, or along its
//! last axis.
//!
//! Each block is reduced with eight independent lanes, and the partial
//! results of the blocks are combined in block order, so the answer does
//! not depend on the thread count. A reduction may also run a range of its
//! blocks at a time, continuing from the accumulators of the blocks before
//! ([`run_reduce_blocks`], [`run_reduce_rows_part`]): the same combinations
//! in the same order, so the answer does not depend on the ranges either.
//! Each (reduction, accumulator type) pair is a loop of its own (the
//! [`Monoid`] types), chosen once per call.

use std::ops::Range;

use num_complex::Complex64;

use crate::compile::typed::ReduceKind;
use crate::dtype::{DType, Scalar};
use crate::exec::frame::{with_frame, Frame};
use crate::exec::geometry::{Geometry, BLOCK};
use crate::exec::space::Space;
use crate::threads::run_tasks;
use crate::vm::numeric::Arith;
use crate::vm::program::Program;

/// Accumulator types of reductions: `i32` (for `min` and `max`), `i64`
/// (also for sums and products of bool and integers), `f32`, `f64` and
/// complex.
trait Acc: Arith + Send + Sync {
    fn scalar(self) -> Scalar;
    /// The value of `s` if it is of this type.
    fn of_scalar(s: Scalar) -> Option<Self>;
}

macro_rules! acc {
    ($($t:ty => $s:ident),*) => {$(
        impl Acc for $t {
            fn scalar(self) -> Scalar {
                Scalar::$s(self)
            }
            fn of_scalar(s: Scalar) -> Option<Self> {
                match s {
                    Scalar::$s(v) => Some(v),
                    _ => None,
                }
            }
        }
    )*};
}
acc!(i32 => I32, i64 => I64, f32 => F32, f64 => F64, Complex64 => C128);

/// Accumulators that `min` and `max` take: the real types.
trait Ordered: Acc {
    /// The identity of `min` (the largest value, `inf` for floats).
    const HIGHEST: Self;
    /// The identity of `max`.
    const LOWEST: Self;
    /// The smaller of two values, NaN if either is NaN.
    fn min_nan(self, o: Self) -> Self;
    /// The larger of two values, NaN if either is NaN.
    fn max_nan(self, o: Self) -> Self;
}

macro_rules! ordered_int {
    ($($t:ty),*) => {$(
        impl Ordered for $t {
            const HIGHEST: Self = <$t>::MAX;
            const LOWEST: Self = <$t>::MIN;
            #[inline(always)]
            fn min_nan(self, o: Self) -> Self {
                Ord::min(self, o)
            }
            #[inline(always)]
            fn max_nan(self, o: Self) -> Self {
                Ord::max(self, o)
            }
        }
    )*};
}
macro_rules! ordered_float {
    ($($t:ty),*) => {$(
        impl Ordered for $t {
            const HIGHEST: Self = <$t>::INFINITY;
            const LOWEST: Self = <$t>::NEG_INFINITY;
            // Selects, so that the lanes of a block vectorise; a NaN, once
            // in a lane, stays there.
            #[inline(always)]
            fn min_nan(self, o: Self) -> Self {
                if self < o || self.is_nan() { self } else { o }
            }
            #[inline(always)]
            fn max_nan(self, o: Self) -> Self {
                if self > o || self.is_nan() { self } else { o }
            }
        }
    )*};
}
ordered_int!(i32, i64);
ordered_float!(f32, f64);

/// A reduction as a monoid on the accumulator type `A`: its identity (the
/// value a reduction of nothing gives) and the combination of two partial
/// results. One zero-sized type per reduction, so that each (reduction,
/// type) pair is a loop of its own.
trait Monoid<A>: Copy + Send + Sync {
    const IDENTITY: A;
    fn combine(a: A, b: A) -> A;
}

#[derive(Clone, Copy)]
struct SumOf;
#[derive(Clone, Copy)]
struct ProductOf;
#[derive(Clone, Copy)]
struct MinOf;
#[derive(Clone, Copy)]
struct MaxOf;

impl<A: Acc> Monoid<A> for SumOf {
    const IDENTITY: A = A::ZERO;
    #[inline(always)]
    fn combine(a: A, b: A) -> A {
        a.add(b)
    }
}
impl<A: Acc> Monoid<A> for ProductOf {
    const IDENTITY: A = A::ONE;
    #[inline(always)]
    fn combine(a: A, b: A) -> A {
        a.mul(b)
    }
}
impl<A: Ordered> Monoid<A> for MinOf {
    const IDENTITY: A = A::HIGHEST;
    #[inline(always)]
    fn combine(a: A, b: A) -> A {
        a.min_nan(b)
    }
}
impl<A: Ordered> Monoid<A> for MaxOf {
    const IDENTITY: A = A::LOWEST;
    #[inline(always)]
    fn combine(a: A, b: A) -> A {
        a.max_nan(b)
    }
}

/// Reduction of one block with eight independent lanes (vectorisable, and
/// for sums more accurate than one running sum).
#[inline(always)]
fn reduce_block<A: Acc, M: Monoid<A>>(x: &[A]) -> A {
    let f = M::combine;
    let mut lanes = [M::IDENTITY; 8];
    let mut chunks = x.chunks_exact(8);
    for c in &mut chunks {
        for k in 0..8 {
            lanes[k] = f(lanes[k], c[k]);
        }
    }
    let mut tail = M::IDENTITY;
    for &v in chunks.remainder() {
        tail = f(tail, v);
    }
    let a = f(f(lanes[0], lanes[4]), f(lanes[1], lanes[5]));
    let b = f(f(lanes[2], lanes[6]), f(lanes[3], lanes[7]));
    f(f(a, b), tail)
}

/// Reduces the result slot of a block just run.
///
/// # Safety
/// The slot must hold `n` elements of `A` (one if it is a scalar slot), and
/// `scratch` at least `n`.
unsafe fn reduce_slot<A: Acc, M: Monoid<A>>(
    fr: &Frame,
    slot: usize,
    n: usize,
    scratch: &mut [A],
) -> A {
    if fr.scal[slot] {
        // A constant or scalar expression: reduce n copies of it.
        // SAFETY: the caller's contract: one element.
        let v = unsafe { *(fr.ptrs[slot] as *const A) };
        scratch[..n].fill(v);
        return reduce_block::<A, M>(&scratch[..n]);
    }
    // SAFETY: the caller's contract: `n` elements.
    let block = unsafe { std::slice::from_raw_parts(fr.ptrs[slot] as *const A, n) };
    reduce_block::<A, M>(block)
}

/// Calls `f::<A, M>(args)` with `A` the accumulator type `dt` and `M` the
/// monoid of the reduction `kind`.
macro_rules! by_reduction {
    ($kind:expr, $dt:expr, $f:ident($($arg:expr),*)) => {
        match ($kind, $dt) {
            (ReduceKind::Sum, dt) => by_reduction!(@any dt, SumOf, $f($($arg),*)),
            (ReduceKind::Product, dt) => by_reduction!(@any dt, ProductOf, $f($($arg),*)),
            (ReduceKind::Min, dt) => by_reduction!(@real dt, MinOf, $f($($arg),*)),
            (ReduceKind::Max, dt) => by_reduction!(@real dt, MaxOf, $f($($arg),*)),
        }
    };
    (@any $dt:expr, $M:ty, $f:ident($($arg:expr),*)) => {
        match $dt {
            DType::C128 => $f::<Complex64, $M>($($arg),*),
            dt => by_reduction!(@real dt, $M, $f($($arg),*)),
        }
    };
    (@real $dt:expr, $M:ty, $f:ident($($arg:expr),*)) => {
        match $dt {
            DType::I32 => $f::<i32, $M>($($arg),*),
            DType::I64 => $f::<i64, $M>($($arg),*),
            DType::F32 => $f::<f32, $M>($($arg),*),
            DType::F64 => $f::<f64, $M>($($arg),*),
            dt => unreachable!("the checker lets no reduction accumulate in {dt}"),
        }
    };
}

/// The value a reduction of nothing gives, in the accumulator type `dt`
/// (for `min` and `max`, the identity of the combination: the highest or
/// lowest value; the API refuses their reduction of nothing).
pub(crate) fn identity_scalar(dt: DType, kind: ReduceKind) -> Scalar {
    fn go<A: Acc, M: Monoid<A>>() -> Scalar {
        M::IDENTITY.scalar()
    }
    by_reduction!(kind, dt, go())
}

/// Reduces over the whole space.
pub(crate) fn run_reduce_all(prog: &Program, sp: &Space, kind: ReduceKind) -> Scalar {
    let geo = Geometry::new(&sp.shape, false);
    run_reduce_blocks(prog, sp, &geo, kind, 0..geo.nitems, None)
}

/// Reduces blocks `items` of `geo` (the blocks of `sp` cut for a reduction
/// over everything), continuing from `acc`, the result of the blocks before
/// (`None`: there are none).
pub(crate) fn run_reduce_blocks(
    prog: &Program,
    sp: &Space,
    geo: &Geometry,
    kind: ReduceKind,
    items: Range<usize>,
    acc: Option<Scalar>,
) -> Scalar {
    fn go<A: Acc, M: Monoid<A>>(
        prog: &Program,
        sp: &Space,
        geo: &Geometry,
        items: Range<usize>,
        acc: Option<Scalar>,
    ) -> Scalar {
        debug_assert!(acc.is_none_or(|a| A::of_scalar(a).is_some()));
        let acc = acc.and_then(A::of_scalar).unwrap_or(M::IDENTITY);
        reduce_blocks::<A, M>(prog, sp, geo, items, acc).scalar()
    }
    by_reduction!(kind, prog.result_dt, go(prog, sp, geo, items, acc))
}

fn reduce_blocks<A: Acc, M: Monoid<A>>(
    prog: &Program,
    sp: &Space,
    geo: &Geometry,
    items: Range<usize>,
    acc: A,
) -> A {
    let first = items.start;
    let elems = items.len().saturating_mul(geo.chunk).min(geo.total);
    let parts = run_tasks(items.len(), elems, |band: Range<usize>| {
        with_frame(prog, sp, |fr| {
            let mut tmp = vec![M::IDENTITY; BLOCK];
            geo.positions(first + band.start..first + band.end)
                .map(|(pos, n)| {
                    // SAFETY: operands checked against the space by the API;
                    // the result slot holds the block's `n` results.
                    unsafe {
                        fr.run_block(prog, sp, geo, pos, n);
                        reduce_slot::<A, M>(fr, prog.result, n, &mut tmp)
                    }
                })
                .collect::<Vec<A>>()
        })
    });
    parts.into_iter().flatten().fold(acc, M::combine)
}

/// Reduces along the last axis of the space (the API moves the reduced axis
/// there), writing one value per row into `sp.out`, whose strides cover the
/// outer axes.
pub(crate) fn run_reduce_rows(prog: &Program, sp: &Space, kind: ReduceKind) {
    let geo = Geometry::new(&sp.shape, true);
    run_reduce_rows_part(prog, sp, &geo, kind, 0..geo.chunks_per_row, false)
}

/// Reduces blocks `chunks` of every row of `geo` (the blocks of `sp` cut
/// for a reduction along rows) into `sp.out`; with `resume`, each row
/// continues from the value `sp.out` holds (the result of the blocks
/// before), else from the identity.
pub(crate) fn run_reduce_rows_part(
    prog: &Program,
    sp: &Space,
    geo: &Geometry,
    kind: ReduceKind,
    chunks: Range<usize>,
    resume: bool,
) {
    by_reduction!(
        kind,
        prog.result_dt,
        reduce_rows(prog, sp, geo, chunks, resume)
    )
}

fn reduce_rows<A: Acc, M: Monoid<A>>(
    prog: &Program,
    sp: &Space,
    geo: &Geometry,
    chunks: Range<usize>,
    resume: bool,
) {
    let out = sp.out.as_ref().expect("axis reduction has an output");
    let init = M::IDENTITY;
    let rows = geo
        .total
        .checked_div(geo.len)
        .unwrap_or_else(|| geo.total_rows());
    let cpr = geo.chunks_per_row;
    let elems = rows.saturating_mul(chunks.len().saturating_mul(geo.chunk));
    run_tasks(
        rows,
        elems.min(geo.total).max(rows),
        |band: Range<usize>| {
            with_frame(prog, sp, |fr| {
                let mut tmp = vec![init; BLOCK];
                for row in band {
                    let idx = geo.row_index(row);
                    let mut off = 0isize;
                    for (ax, s) in out.strides.iter().enumerate() {
                        off += idx[ax] as isize * s;
                    }
                    // SAFETY: each row owns one output element, of type `A`.
                    let dst = unsafe { out.ptr.offset(off * out.esize as isize) } as *mut A;
                    // SAFETY: as above; with `resume` it holds the row's result so far.
                    let mut acc = if resume { unsafe { *dst } } else { init };
                    if geo.len > 0 {
                        for c in chunks.clone() {
                            let (pos, n) = geo.pos(row * cpr + c);
                            // SAFETY: operands checked against the space by the
                            // API; the result slot holds the block's results.
                            let part = unsafe {
                                fr.run_block(prog, sp, geo, pos, n);
                                reduce_slot::<A, M>(fr, prog.result, n, &mut tmp)
                            };
                            acc = M::combine(acc, part);
                        }
                    }
                    // SAFETY: as above.
                    unsafe { *dst = acc };
                }
            })
        },
    );
}
