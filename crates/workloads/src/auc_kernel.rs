//! The inner loops of `auc`: sums of `f(i·dx)` over index ranges.
//!
//! Accuracy comes from the shape of the sum, not from compensation: the range
//! is cut into blocks of [`BLOCK`] points; inside a block [`LANES`] independent
//! accumulators each add every `LANES`-th point (so no accumulator sees more
//! than `BLOCK / LANES` terms), and the blocks are added pairwise. The rounding
//! error therefore grows like `log2(n)` instead of `n`, at no cost in speed —
//! the independent accumulators are exactly what lets the loop run in SIMD
//! registers instead of waiting on one chain of additions.
//!
//! `x` is always `i·dx` with `i` an exact integer held in an `f64` (exact below
//! 2⁵³), never `x += dx`, so there is no drift. The vector kernel is written on
//! plain `[f64; LANES]` arrays with separate multiplies and adds (no fused
//! multiply-add), and compiled three times (AVX-512, AVX2, baseline SSE2) with
//! the widest one the CPU has picked at run time: every variant performs the
//! same IEEE operations in the same order, so the result is bit-for-bit the
//! same on every x86-64 machine.

use std::ops::Range;
use std::sync::OnceLock;

/// Independent partial sums per block (4 AVX2 vectors, 2 AVX-512 vectors).
pub(crate) const LANES: usize = 16;

/// Points per block: the unit of the pairwise tree (a multiple of [`LANES`]).
pub(crate) const BLOCK: u64 = 4096;

/// The course's integrand `0.7x³ - 2x² + 4`, in Horner form.
#[inline(always)]
pub(crate) fn integrand(x: f64) -> f64 {
    (0.7 * x - 2.0) * x * x + 4.0
}

/// Sum of `f(i·dx)` for `i` in `start..start+len`, one scalar accumulator per
/// block: the loop a C programmer writes (the `naive` backend).
pub(crate) fn block_sum_scalar(start: u64, len: usize, dx: f64) -> f64 {
    let mut acc = 0.0;
    for i in start..start + len as u64 {
        acc += integrand(i as i64 as f64 * dx);
    }
    acc
}

/// The vector kernel on plain arrays: the baseline variant, and the
/// operations every x86-64 variant performs in the same order.
#[inline(always)]
fn block_sum_lanes(start: u64, len: usize, dx: f64) -> f64 {
    let mut acc = [0.0f64; LANES];
    let mut idx = [0.0f64; LANES];
    for (l, v) in idx.iter_mut().enumerate() {
        *v = (start + l as u64) as i64 as f64;
    }
    let chunks = len / LANES;
    for _ in 0..chunks {
        for l in 0..LANES {
            acc[l] += integrand(idx[l] * dx);
            idx[l] += LANES as f64;
        }
    }
    finish_block(acc, start, len, dx)
}

/// The end of every vector kernel: the [`LANES`] partial sums added
/// pairwise, then the scalar tail of the block (the `len % LANES` points
/// after the last full round).
#[inline(always)]
fn finish_block(mut lanes: [f64; LANES], start: u64, len: usize, dx: f64) -> f64 {
    let mut width = LANES;
    while width > 1 {
        width /= 2;
        for l in 0..width {
            lanes[l] += lanes[l + width];
        }
    }
    let done = len / LANES * LANES;
    lanes[0] + block_sum_scalar(start + done as u64, len - done, dx)
}

/// The vector kernel with explicit x86-64 vectors of `W` lanes, `LANES / W`
/// of them: the same operations, in the same order, on the same lanes as
/// [`block_sum_lanes`], which LLVM's auto-vectoriser does not keep in wide
/// registers.
#[cfg(target_arch = "x86_64")]
macro_rules! x86_kernel {
    ($name:ident, $feature:literal, $vec:ty, $w:literal, $set1:ident, $setr:expr,
     $add:ident, $mul:ident, $sub:ident) => {
        #[target_feature(enable = $feature)]
        fn $name(start: u64, len: usize, dx: f64) -> f64 {
            use std::arch::x86_64::*;
            const V: usize = LANES / $w;
            let zero = $set1(0.0);
            let mut acc: [$vec; V] = [zero; V];
            let mut idx: [$vec; V] = [zero; V];
            for (v, slot) in idx.iter_mut().enumerate() {
                let base = (start + (v * $w) as u64) as i64 as f64;
                *slot = $add($set1(base), $setr);
            }
            let (vdx, c07, c2, c4, step) = (
                $set1(dx),
                $set1(0.7),
                $set1(2.0),
                $set1(4.0),
                $set1(LANES as f64),
            );
            let chunks = len / LANES;
            for _ in 0..chunks {
                for v in 0..V {
                    let x = $mul(idx[v], vdx);
                    // (0.7x - 2)·x·x + 4, as in `integrand`.
                    let y = $add($mul($mul($sub($mul(c07, x), c2), x), x), c4);
                    acc[v] = $add(acc[v], y);
                    idx[v] = $add(idx[v], step);
                }
            }
            // SAFETY: V vectors of $w f64 lanes are exactly LANES f64s.
            let lanes: [f64; LANES] = unsafe { std::mem::transmute(acc) };
            finish_block(lanes, start, len, dx)
        }
    };
}

#[cfg(target_arch = "x86_64")]
x86_kernel!(
    block_sum_avx512,
    "avx512f",
    __m512d,
    8,
    _mm512_set1_pd,
    _mm512_setr_pd(0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0),
    _mm512_add_pd,
    _mm512_mul_pd,
    _mm512_sub_pd
);

#[cfg(target_arch = "x86_64")]
x86_kernel!(
    block_sum_avx2,
    "avx2",
    __m256d,
    4,
    _mm256_set1_pd,
    _mm256_setr_pd(0.0, 1.0, 2.0, 3.0),
    _mm256_add_pd,
    _mm256_mul_pd,
    _mm256_sub_pd
);

fn block_sum_baseline(start: u64, len: usize, dx: f64) -> f64 {
    block_sum_lanes(start, len, dx)
}

/// A block kernel: `(start, len, dx) -> Σ f(i·dx)`.
pub(crate) type BlockFn = fn(u64, usize, f64) -> f64;

/// The widest vector kernel this CPU runs, and its instruction set's name.
pub(crate) fn vector_kernel() -> (BlockFn, &'static str) {
    static CHOICE: OnceLock<(BlockFn, &'static str)> = OnceLock::new();
    *CHOICE.get_or_init(|| match runtime::Simd::detect() {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the CPU has AVX-512F, the only feature the variant enables.
        runtime::Simd::Avx512 => (|s, l, dx| unsafe { block_sum_avx512(s, l, dx) }, "avx512"),
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the CPU has AVX2, the only feature the variant enables.
        runtime::Simd::Avx2 => (|s, l, dx| unsafe { block_sum_avx2(s, l, dx) }, "avx2"),
        _ => (block_sum_baseline, "baseline"),
    })
}

/// Pairwise sum over the blocks of `range`, serially. The tree depends only
/// on the range, so [`sum_range_parallel`] gives the identical result.
pub(crate) fn sum_range(range: Range<u64>, dx: f64, kernel: BlockFn) -> f64 {
    let n = range.end - range.start;
    if n <= BLOCK {
        return kernel(range.start, n as usize, dx);
    }
    let mid = split(&range);
    sum_range(range.start..mid, dx, kernel) + sum_range(mid..range.end, dx, kernel)
}

/// Ranges at most this long are summed on one thread (about 100 µs of work,
/// so that the splitting overhead stays below 1%).
const GRAIN: u64 = 64 * BLOCK;

/// [`sum_range`] with the two halves of every split above a grain size run
/// in parallel on the current rayon pool.
pub(crate) fn sum_range_parallel(range: Range<u64>, dx: f64, kernel: BlockFn) -> f64 {
    let n = range.end - range.start;
    if n <= GRAIN {
        return sum_range(range, dx, kernel);
    }
    let mid = split(&range);
    let (a, b) = rayon::join(
        || sum_range_parallel(range.start..mid, dx, kernel),
        || sum_range_parallel(mid..range.end, dx, kernel),
    );
    a + b
}

/// Where the pairwise tree splits a range longer than one block: after half
/// of its blocks, so that every leaf but the last is a whole block.
fn split(range: &Range<u64>) -> u64 {
    let blocks = (range.end - range.start).div_ceil(BLOCK);
    range.start + blocks / 2 * BLOCK
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kernel_variant_gives_the_same_bits() {
        let dx = 3.0 / 1_000_003.0;
        let base = sum_range(0..1_000_003, dx, block_sum_baseline);
        let (best, _) = vector_kernel();
        assert_eq!(sum_range(0..1_000_003, dx, best).to_bits(), base.to_bits());
        assert_eq!(
            sum_range_parallel(0..1_000_003, dx, best).to_bits(),
            base.to_bits()
        );
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2.
            let avx2: BlockFn = |s, l, dx| unsafe { block_sum_avx2(s, l, dx) };
            assert_eq!(sum_range(0..1_000_003, dx, avx2).to_bits(), base.to_bits());
        }
    }

    #[test]
    fn short_blocks_and_tails_match_the_scalar_loop() {
        let dx = 0.01;
        for len in [0usize, 1, 15, 16, 17, 100, 4096] {
            let v = block_sum_baseline(37, len, dx);
            let s = block_sum_scalar(37, len, dx);
            assert!((v - s).abs() <= 1e-12 * s.abs().max(1.0), "len {len}");
        }
    }
}
