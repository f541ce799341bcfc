//! `sum` and `product`: over the whole space, or along its last axis.
//!
//! Each block is reduced with eight independent lanes, and the partial
//! results of the blocks are combined in block order, so the answer does
//! not depend on the thread count.

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
}

macro_rules! acc {
    ($($t:ty => $s:ident),*) => {$(
        impl Acc for $t {
            fn scalar(self) -> Scalar {
                Scalar::$s(self)
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

/// Reduces over the whole space.
pub(crate) fn run_reduce_all(prog: &Program, sp: &Space, kind: ReduceKind) -> Scalar {
    fn go<A: Acc>(prog: &Program, sp: &Space, kind: ReduceKind) -> Scalar {
        reduce_all::<A>(prog, sp, kind).scalar()
    }
    by_accumulator!(prog.result_dt, go(prog, sp, kind))
}

fn reduce_all<A: Acc>(prog: &Program, sp: &Space, kind: ReduceKind) -> A {
    let geo = Geometry::new(&sp.shape, false);
    let init = identity::<A>(kind);
    let parts = run_tasks(geo.nitems, geo.total, |items: Range<usize>| {
        with_frame(prog, sp, |fr| {
            let mut tmp = vec![init; BLOCK];
            geo.positions(items)
                .map(|(pos, n)| {
                    // SAFETY: operands checked against the space by the API;
                    // the result slot holds the block's `n` results.
                    unsafe {
                        fr.run_block(prog, sp, &geo, pos, n);
                        reduce_slot::<A>(fr, prog.result, n, kind, &mut tmp)
                    }
                })
                .collect::<Vec<A>>()
        })
    });
    parts
        .into_iter()
        .flatten()
        .fold(init, |a, b| combine(a, b, kind))
}

/// Reduces along the last axis of the space (the API moves the reduced axis
/// there), writing one value per row into `sp.out`, whose strides cover the
/// outer axes.
pub(crate) fn run_reduce_rows(prog: &Program, sp: &Space, kind: ReduceKind) {
    by_accumulator!(prog.result_dt, reduce_rows(prog, sp, kind))
}

fn reduce_rows<A: Acc>(prog: &Program, sp: &Space, kind: ReduceKind) {
    let out = sp.out.as_ref().expect("axis reduction has an output");
    let geo = Geometry::new(&sp.shape, true);
    let init = identity::<A>(kind);
    let rows = geo
        .total
        .checked_div(geo.len)
        .unwrap_or_else(|| geo.total_rows());
    let cpr = geo.chunks_per_row;
    run_tasks(rows, geo.total.max(rows), |band: Range<usize>| {
        with_frame(prog, sp, |fr| {
            let mut tmp = vec![init; BLOCK];
            for row in band {
                let mut acc = init;
                if geo.len > 0 {
                    for c in 0..cpr {
                        let (pos, n) = geo.pos(row * cpr + c);
                        // SAFETY: operands checked against the space by the
                        // API; the result slot holds the block's results.
                        let part = unsafe {
                            fr.run_block(prog, sp, &geo, pos, n);
                            reduce_slot::<A>(fr, prog.result, n, kind, &mut tmp)
                        };
                        acc = combine(acc, part, kind);
                    }
                }
                let idx = geo.row_index(row);
                let mut off = 0isize;
                for (ax, s) in out.strides.iter().enumerate() {
                    off += idx[ax] as isize * s;
                }
                // SAFETY: each row owns one output element.
                unsafe { *(out.ptr.offset(off * out.esize as isize) as *mut A) = acc };
            }
        })
    });
}
