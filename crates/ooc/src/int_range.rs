//! The exact smallest and largest element of integer data.
//!
//! The statistics kernels work in `f64`, which holds every `i32`, `u8` and bool exactly but
//! not every `i64` (2^53 + 1 has no `f64`): the min and max of an `i64` array are found on
//! the integers themselves, as numpy's are.

use runtime::stats::Stats;

use crate::dtype::ByteOrder;

/// The smallest and largest of some integers; [`IntRange::EMPTY`] for none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IntRange {
    /// The smallest value (`i64::MAX` when empty).
    pub min: i64,
    /// The largest value (`i64::MIN` when empty).
    pub max: i64,
}

impl IntRange {
    /// The range of no values: merging it changes nothing.
    pub const EMPTY: IntRange = IntRange {
        min: i64::MAX,
        max: i64::MIN,
    };

    /// Whether this is the range of no values.
    pub fn is_empty(&self) -> bool {
        self.min > self.max
    }

    /// Widens this range to cover `other` too.
    #[inline]
    pub fn merge(&mut self, other: &IntRange) {
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// The range of `i64` values stored as `bytes` (a whole number of them) in `order`.
    ///
    /// ```
    /// use ooc::{ByteOrder, IntRange};
    /// let bytes: Vec<u8> = [9007199254740993i64, -4].iter().flat_map(|v| v.to_be_bytes()).collect();
    /// let r = IntRange::of_i64_bytes(ByteOrder::Big, &bytes);
    /// assert_eq!((r.min, r.max), (-4, 9007199254740993));
    /// ```
    pub fn of_i64_bytes(order: ByteOrder, bytes: &[u8]) -> IntRange {
        if order == ByteOrder::NATIVE {
            if let Ok(xs) = bytemuck::try_cast_slice::<u8, i64>(bytes) {
                return of_i64(xs);
            }
        }
        let mut r = IntRange::EMPTY;
        let words = bytes.chunks_exact(8).map(|b| {
            let b: [u8; 8] = b.try_into().expect("chunks of 8");
            match order {
                ByteOrder::Little => i64::from_le_bytes(b),
                ByteOrder::Big => i64::from_be_bytes(b),
            }
        });
        for v in words {
            r.min = r.min.min(v);
            r.max = r.max.max(v);
        }
        r
    }

    /// The range of integers whose statistics are `s`, for element types that `f64` holds
    /// exactly (`i32`, `u8`, bool): their `f64` min and max are the integers themselves.
    pub fn of_exact_stats(s: &Stats) -> IntRange {
        if s.count() == 0 {
            IntRange::EMPTY
        } else {
            IntRange {
                min: s.min() as i64,
                max: s.max() as i64,
            }
        }
    }
}

/// The range of `xs`, compiled for the widest SIMD level the CPU has: AVX-512 has 64-bit
/// integer min and max instructions, AVX2 compares and blends four lanes at a time.
fn of_i64(xs: &[i64]) -> IntRange {
    #[cfg(target_arch = "x86_64")]
    match runtime::Simd::detect() {
        // SAFETY: Simd::Avx512 means the CPU has AVX-512 F.
        runtime::Simd::Avx512 => return unsafe { of_i64_avx512(xs) },
        // SAFETY: Simd::Avx2 means the CPU has AVX2.
        runtime::Simd::Avx2 => return unsafe { of_i64_avx2(xs) },
        runtime::Simd::Base => {}
    }
    of_i64_lanes(xs)
}

/// The range loop, with independent lanes so that the compiler can vectorise it.
#[inline(always)]
fn of_i64_lanes(xs: &[i64]) -> IntRange {
    const L: usize = 8;
    let mut lo = [i64::MAX; L];
    let mut hi = [i64::MIN; L];
    let chunks = xs.chunks_exact(L);
    let rest = chunks.remainder();
    for c in chunks {
        for k in 0..L {
            lo[k] = if c[k] < lo[k] { c[k] } else { lo[k] };
            hi[k] = if c[k] > hi[k] { c[k] } else { hi[k] };
        }
    }
    for (k, &x) in rest.iter().enumerate() {
        lo[k] = lo[k].min(x);
        hi[k] = hi[k].max(x);
    }
    IntRange {
        min: lo.into_iter().min().unwrap_or(i64::MAX),
        max: hi.into_iter().max().unwrap_or(i64::MIN),
    }
}

/// [`of_i64_lanes`] compiled for AVX2.
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn of_i64_avx2(xs: &[i64]) -> IntRange {
    of_i64_lanes(xs)
}

/// [`of_i64_lanes`] compiled for AVX-512.
///
/// # Safety
/// The CPU must support AVX-512 F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn of_i64_avx512(xs: &[i64]) -> IntRange {
    of_i64_lanes(xs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_beyond_two_to_the_53() {
        let vals = [9007199254740993i64, 9007199254740992, i64::MIN, i64::MAX];
        let le: Vec<u8> = vals.iter().flat_map(|v| v.to_le_bytes()).collect();
        let r = IntRange::of_i64_bytes(ByteOrder::Little, &le);
        assert_eq!((r.min, r.max), (i64::MIN, i64::MAX));
        let r = IntRange::of_i64_bytes(ByteOrder::Little, &le[..16]);
        assert_eq!((r.min, r.max), (9007199254740992, 9007199254740993));
        assert!(IntRange::of_i64_bytes(ByteOrder::Little, &[]).is_empty());
        let mut m = IntRange::EMPTY;
        m.merge(&r);
        assert_eq!(m, r);
        // The vectorised path (aligned, native order) against the byte-by-byte one.
        let xs: Vec<i64> = (0..1001)
            .map(|i| (i * 7919 % 1013) - 500 + (i << 40))
            .collect();
        let bytes: &[u8] = bytemuck::cast_slice(&xs);
        let fast = IntRange::of_i64_bytes(ByteOrder::NATIVE, bytes);
        assert_eq!(fast, of_i64_lanes(&xs));
        let mut be = Vec::new();
        for v in &xs {
            be.extend_from_slice(&v.to_be_bytes());
        }
        assert_eq!(IntRange::of_i64_bytes(ByteOrder::Big, &be), fast);
        assert_eq!(fast.min, *xs.iter().min().unwrap());
        assert_eq!(fast.max, *xs.iter().max().unwrap());
    }
}
