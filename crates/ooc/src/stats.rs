//! The statistics kernel: count, mean, variance, min and max of a slice of values, as a
//! [`Stats`] that merges with others.
//!
//! Each block of up to [`BLOCK`] values is reduced with two passes over data that is
//! already in L1 cache (sum, min and max, then the sum of squared deviations from the
//! block mean), which is as stable as Welford's method and vectorises. Blocks, chunks and
//! threads are then combined with Chan, Golub and LeVeque's pairwise formula
//! ([`Stats::merge`]).
//!
//! The rules are [`runtime::stats`]'s: one NaN makes the mean, variance, min and max NaN
//! (as in numpy), and the statistics of no values (an empty array, or an empty row of
//! [`stats_axis`](crate::reduce::stats_axis)) are NaN with a count of 0.

use runtime::stats::Stats;
use runtime::Simd;

/// Values reduced at once by [`of_slice`]: 8 KiB of `f64`, well inside L1.
pub const BLOCK: usize = 1024;

/// How far ahead of the first pass the block loop prefetches, in values: 6 KiB, past the
/// next 4 KiB page boundary. Page-cache pages are scattered in physical memory and the
/// hardware prefetcher stops at each page boundary, so without this every page of a mapped
/// file starts with a cold miss.
const PREFETCH_AHEAD: usize = 768;

/// Asks for the cache lines holding `xs[at..at + len]` (`len` values), if mapped; never
/// faults, whatever the address.
#[inline(always)]
fn prefetch(xs: &[f64], at: usize, len: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let p = xs.as_ptr().wrapping_add(at) as *const i8;
        for line in (0..len * 8).step_by(runtime::layout::CACHE_LINE) {
            // SAFETY: a prefetch is only a hint: it never faults, even outside `xs`.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(line)) };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (xs, at, len);
}

/// Statistics of a slice of any length, block by block.
///
/// At [`Simd::Avx2`] and above (see [`Simd::detect`]) a copy of the kernel compiled for
/// AVX2 is used; the portable build only assumes SSE2.
///
/// ```
/// let s = ooc::stats::of_slice(&[1.0, 2.0, 3.0, 4.0]);
/// assert_eq!((s.count(), s.mean(), s.variance()), (4, 2.5, 1.25));
/// ```
pub fn of_slice(xs: &[f64]) -> Stats {
    #[cfg(target_arch = "x86_64")]
    if Simd::detect() >= Simd::Avx2 {
        // SAFETY: the CPU supports AVX2 (Simd::Avx2 and wider include it).
        return unsafe { of_slice_avx2(xs) };
    }
    of_slice_lanes::<4>(xs)
}

/// Statistics of one block, with two passes: the block should fit in L1 cache.
#[inline(always)]
fn block<const L: usize>(xs: &[f64]) -> Stats {
    if xs.is_empty() {
        return Stats::EMPTY;
    }
    // L independent lanes let the compiler use SIMD and hide add latency.
    let mut sum = [0.0f64; L];
    let mut lo = [f64::INFINITY; L];
    let mut hi = [f64::NEG_INFINITY; L];
    let chunks = xs.chunks_exact(L);
    let rest = chunks.remainder();
    for c in chunks {
        prefetch(c, PREFETCH_AHEAD, L);
        for k in 0..L {
            sum[k] += c[k];
            // `if x < m` (not f64::min) compiles to minpd; NaN is handled below.
            lo[k] = if c[k] < lo[k] { c[k] } else { lo[k] };
            hi[k] = if c[k] > hi[k] { c[k] } else { hi[k] };
        }
    }
    for (k, &x) in rest.iter().enumerate() {
        sum[k] += x;
        lo[k] = if x < lo[k] { x } else { lo[k] };
        hi[k] = if x > hi[k] { x } else { hi[k] };
    }
    let total = sum.iter().sum::<f64>();
    let n = xs.len() as f64;
    let mean = total / n;
    let mut min = lo.iter().fold(f64::INFINITY, |a, &b| a.min(b));
    let mut max = hi.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b));
    if total.is_nan() && xs.iter().any(|x| x.is_nan()) {
        // Rare path: a NaN poisons everything, as in numpy.
        min = f64::NAN;
        max = f64::NAN;
    }
    let mut dev = [0.0f64; L];
    let chunks = xs.chunks_exact(L);
    let rest = chunks.remainder();
    for c in chunks {
        for k in 0..L {
            let d = c[k] - mean;
            dev[k] += d * d;
        }
    }
    for (k, &x) in rest.iter().enumerate() {
        let d = x - mean;
        dev[k] += d * d;
    }
    Stats::from_parts(xs.len() as u64, mean, dev.iter().sum::<f64>(), min, max)
}

/// The block loop, inlined into each instruction-set variant.
#[inline(always)]
fn of_slice_lanes<const L: usize>(xs: &[f64]) -> Stats {
    let mut s = Stats::EMPTY;
    for b in xs.chunks(BLOCK) {
        s.merge(&block::<L>(b));
    }
    s
}

/// [`of_slice_lanes`] compiled for AVX2, with more lanes to fill the wider registers.
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn of_slice_avx2(xs: &[f64]) -> Stats {
    of_slice_lanes::<16>(xs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(xs: &[f64]) -> (f64, f64, f64, f64) {
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
        let min = xs.iter().cloned().fold(f64::INFINITY, f64::min);
        let max = xs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        (mean, var, min, max)
    }

    #[test]
    fn matches_two_pass_reference() {
        let xs: Vec<f64> = (0..10_007)
            .map(|i| ((i * 7919) % 1000) as f64 * 0.37 - 50.0)
            .collect();
        let s = of_slice(&xs);
        let (mean, var, min, max) = naive(&xs);
        assert_eq!(s.count(), 10_007);
        assert!((s.mean() - mean).abs() < 1e-12 * mean.abs().max(1.0));
        assert!((s.variance() - var).abs() < 1e-10 * var);
        assert_eq!((s.min(), s.max()), (min, max));
        assert_eq!(of_slice_lanes::<4>(&xs).count(), 10_007);
    }

    #[test]
    fn stable_with_large_offset() {
        // Values 1e9 + {0,1,2,3}: the naive sum-of-squares formula loses everything here.
        let xs: Vec<f64> = (0..100_000).map(|i| 1e9 + (i % 4) as f64).collect();
        let s = of_slice(&xs);
        assert!((s.variance() - 1.25).abs() < 1e-6, "{}", s.variance());
    }

    #[test]
    fn merge_is_order_independent_in_value() {
        let xs: Vec<f64> = (0..5000).map(|i| (i as f64).sin()).collect();
        let whole = of_slice(&xs);
        let mut parts = Stats::EMPTY;
        for c in xs.chunks(333).rev() {
            parts.merge(&of_slice(c));
        }
        assert_eq!(parts.count(), whole.count());
        assert!((parts.mean() - whole.mean()).abs() < 1e-14);
        assert!((parts.m2() - whole.m2()).abs() < 1e-10);
    }

    #[test]
    fn nan_and_empty() {
        let s = of_slice(&[1.0, f64::NAN, 3.0]);
        assert!(s.mean().is_nan() && s.min().is_nan() && s.max().is_nan());
        let e = of_slice(&[]);
        assert_eq!((e.count(), e.sum()), (0, 0.0));
        assert!(e.mean().is_nan() && e.min().is_nan() && e.stdev().is_nan());
        let inf = of_slice(&[f64::INFINITY, f64::NEG_INFINITY]);
        assert_eq!((inf.min(), inf.max()), (f64::NEG_INFINITY, f64::INFINITY));
    }
}
