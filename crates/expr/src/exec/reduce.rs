//! `sum` and `product`: over the whole space, or along its last axis.
//!
//! Each block is reduced with eight independent lanes, and the partial
//! results of the blocks are combined in block order, so the answer does
//! not depend on the thread count. A reduction may also run a range of its
//! blocks at a time, continuing from the accumulators of the blocks before
//! ([`run_reduce_blocks`], [`run_reduce_rows_part`]): the same combinations
//! in the same order, so the answer does not depend on the ranges either.

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

/// Accumulator types of reductions: `i64` (for bool and integers), `f32`,
/// `f64` and complex.
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
acc!(i64 => I64, f32 => F32, f64 => F64, Complex64 => C128);

/// The value a reduction of nothing gives.
fn identity<A: Acc>(kind: ReduceKind) -> A {
    match kind {
        ReduceKind::Sum => A::ZERO,
        ReduceKind::Product => A::ONE,
    }
}

/// Combines two partial results.
#[inline(always)]
fn combine<A: Acc>(a: A, b: A, kind: ReduceKind) -> A {
    match kind {
        ReduceKind::Sum => a.add(b),
        ReduceKind::Product => a.mul(b),
    }
}

/// Sum or product of one block with eight independent lanes (vectorisable,
/// and more accurate than one running sum).
#[inline(always)]
fn reduce_block<A: Acc>(x: &[A], kind: ReduceKind) -> A {
    let (init, f): (A, fn(A, A) -> A) = match kind {
        ReduceKind::Sum => (A::ZERO, A::add),
        ReduceKind::Product => (A::ONE, A::mul),
    };
    let mut lanes = [init; 8];
    let mut chunks = x.chunks_exact(8);
    for c in &mut chunks {
        for k in 0..8 {
            lanes[k] = f(lanes[k], c[k]);
        }
    }
    let mut tail = init;
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
unsafe fn reduce_slot<A: Acc>(
    fr: &Frame,
    slot: usize,
    n: usize,
    kind: ReduceKind,
    scratch: &mut [A],
) -> A {
    if fr.scal[slot] {
        // A constant or scalar expression: reduce n copies of it.
        // SAFETY: the caller's contract: one element.
        let v = unsafe { *(fr.ptrs[slot] as *const A) };
        scratch[..n].fill(v);
        return reduce_block(&scratch[..n], kind);
    }
    // SAFETY: the caller's contract: `n` elements.
    let block = unsafe { std::slice::from_raw_parts(fr.ptrs[slot] as *const A, n) };
    reduce_block(block, kind)
}

/// Calls `f::<A>` with `A` the accumulator type `dt`.
macro_rules! by_accumulator {
    ($dt:expr, $f:ident($($arg:expr),*)) => {
        match $dt {
            DType::I64 => $f::<i64>($($arg),*),
            DType::F32 => $f::<f32>($($arg),*),
            DType::F64 => $f::<f64>($($arg),*),
            DType::C128 => $f::<Complex64>($($arg),*),
            dt => unreachable!("reductions accumulate in i64/f32/f64/complex, not {dt}"),
        }
    };
}

/// The value a reduction of nothing gives, in the accumulator type `dt`.
pub(crate) fn identity_scalar(dt: DType, kind: ReduceKind) -> Scalar {
    fn go<A: Acc>(kind: ReduceKind) -> Scalar {
        identity::<A>(kind).scalar()
    }
    by_accumulator!(dt, go(kind))
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
    fn go<A: Acc>(
        prog: &Program,
        sp: &Space,
        geo: &Geometry,
        kind: ReduceKind,
        items: Range<usize>,
        acc: Option<Scalar>,
    ) -> Scalar {
        debug_assert!(acc.is_none_or(|a| A::of_scalar(a).is_some()));
        let acc = acc.and_then(A::of_scalar).unwrap_or(identity(kind));
        reduce_blocks::<A>(prog, sp, geo, kind, items, acc).scalar()
    }
    by_accumulator!(prog.result_dt, go(prog, sp, geo, kind, items, acc))
}

fn reduce_blocks<A: Acc>(
    prog: &Program,
    sp: &Space,
    geo: &Geometry,
    kind: ReduceKind,
    items: Range<usize>,
    acc: A,
) -> A {
    let init = identity::<A>(kind);
    let first = items.start;
    let elems = items.len().saturating_mul(geo.chunk).min(geo.total);
    let parts = run_tasks(items.len(), elems, |band: Range<usize>| {
        with_frame(prog, sp, |fr| {
            let mut tmp = vec![init; BLOCK];
            geo.positions(first + band.start..first + band.end)
                .map(|(pos, n)| {
                    // SAFETY: operands checked against the space by the API;
                    // the result slot holds the block's `n` results.
                    unsafe {
                        fr.run_block(prog, sp, geo, pos, n);
                        reduce_slot::<A>(fr, prog.result, n, kind, &mut tmp)
                    }
                })
                .collect::<Vec<A>>()
        })
    });
    parts
        .into_iter()
        .flatten()
        .fold(acc, |a, b| combine(a, b, kind))
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
    by_accumulator!(
        prog.result_dt,
        reduce_rows(prog, sp, geo, kind, chunks, resume)
    )
}

fn reduce_rows<A: Acc>(
    prog: &Program,
    sp: &Space,
    geo: &Geometry,
    kind: ReduceKind,
    chunks: Range<usize>,
    resume: bool,
) {
    let out = sp.out.as_ref().expect("axis reduction has an output");
    let init = identity::<A>(kind);
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
                                reduce_slot::<A>(fr, prog.result, n, kind, &mut tmp)
                            };
                            acc = combine(acc, part, kind);
                        }
                    }
                    // SAFETY: as above.
                    unsafe { *dst = acc };
                }
            })
        },
    );
}
