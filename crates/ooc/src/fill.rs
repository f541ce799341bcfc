//! The contents of one chunk of a new array: values of the seeded random stream, or copies
//! of one value, in native byte order.
//!
//! Element `k` (in storage order) of a random fill is a function of `(seed, k)` alone
//! ([`Stream`] is counter-based), so a file is the same whatever the number of threads or
//! the chunk size. The loops use integer operations only and are compiled once per SIMD
//! level, so that the 64-bit multiplies of the stream vectorise.

use runtime::rng::Stream;

use crate::dtype::DType;

/// Fills the first `n` elements of `dtype` in `buf` with the random values of positions
/// `start..start + n`: `[0, 1)` for floats, all bit patterns for integers, 0 or 1 for bool.
/// `buf` must hold `n` elements.
pub(crate) fn random(dtype: DType, stream: &Stream, start: u64, buf: &mut [u64], n: usize) {
    #[cfg(target_arch = "x86_64")]
    match runtime::Simd::detect() {
        // SAFETY: Simd::Avx512 means the CPU has AVX-512 F and DQ (and FMA).
        runtime::Simd::Avx512 => return unsafe { random_avx512(dtype, stream, start, buf, n) },
        // SAFETY: Simd::Avx2 means the CPU has AVX2 (and FMA).
        runtime::Simd::Avx2 => return unsafe { random_avx2(dtype, stream, start, buf, n) },
        runtime::Simd::Base => {}
    }
    random_lanes(dtype, stream, start, buf, n)
}

/// The fill loops, inlined into each instruction-set variant.
#[inline(always)]
fn random_lanes(dtype: DType, stream: &Stream, start: u64, buf: &mut [u64], n: usize) {
    let at = |i: usize| start + i as u64;
    match dtype {
        DType::F64 => {
            let out = &mut bytemuck::cast_slice_mut::<u64, f64>(buf)[..n];
            for (i, v) in out.iter_mut().enumerate() {
                *v = stream.f64(at(i));
            }
        }
        DType::I64 => {
            for (i, v) in buf[..n].iter_mut().enumerate() {
                *v = stream.bits(at(i));
            }
        }
        DType::F32 => {
            let out = &mut bytemuck::cast_slice_mut::<u64, f32>(buf)[..n];
            for (i, v) in out.iter_mut().enumerate() {
                // The top 24 bits, the whole mantissa of an f32 in [0, 1).
                *v = (stream.bits(at(i)) >> 40) as f32 * (1.0 / (1u32 << 24) as f32);
            }
        }
        DType::I32 => {
            let out = &mut bytemuck::cast_slice_mut::<u64, u32>(buf)[..n];
            for (i, v) in out.iter_mut().enumerate() {
                *v = (stream.bits(at(i)) >> 32) as u32;
            }
        }
        DType::U8 => {
            let out = &mut bytemuck::cast_slice_mut::<u64, u8>(buf)[..n];
            for (i, v) in out.iter_mut().enumerate() {
                *v = (stream.bits(at(i)) >> 56) as u8;
            }
        }
        DType::Bool => {
            let out = &mut bytemuck::cast_slice_mut::<u64, u8>(buf)[..n];
            for (i, v) in out.iter_mut().enumerate() {
                *v = (stream.bits(at(i)) >> 63) as u8;
            }
        }
    }
}

/// [`random_lanes`] compiled for AVX2.
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn random_avx2(dtype: DType, stream: &Stream, start: u64, buf: &mut [u64], n: usize) {
    random_lanes(dtype, stream, start, buf, n)
}

/// [`random_lanes`] compiled for AVX-512, whose DQ extension multiplies 64-bit lanes.
///
/// # Safety
/// The CPU must support AVX-512 F and DQ.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq")]
unsafe fn random_avx512(dtype: DType, stream: &Stream, start: u64, buf: &mut [u64], n: usize) {
    random_lanes(dtype, stream, start, buf, n)
}

/// Fills `buf` with `n` copies of the element whose native bytes are `pattern`.
pub(crate) fn constant(pattern: &[u8], buf: &mut [u64], n: usize) {
    let bytes = bytemuck::cast_slice_mut::<u64, u8>(buf);
    for b in bytes.chunks_exact_mut(pattern.len()).take(n) {
        b.copy_from_slice(pattern);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_level_fills_the_same_values() {
        let s = Stream::new(5);
        for dtype in DType::ALL {
            let n = 37;
            let mut a = vec![0u64; 40];
            let mut b = vec![0u64; 40];
            random(dtype, &s, 100, &mut a, n);
            random_lanes(dtype, &s, 100, &mut b, n);
            assert_eq!(a, b, "{dtype}");
        }
        let mut f = vec![0u64; 2];
        random(DType::F64, &s, 7, &mut f, 2);
        assert_eq!(f64::from_bits(f[1]), s.f64(8));
    }

    #[test]
    fn constant_repeats_the_pattern() {
        let mut buf = vec![0u64; 2];
        constant(&(-2.5f32).to_ne_bytes(), &mut buf, 3);
        let vals: &[f32] = bytemuck::cast_slice(&buf);
        assert_eq!(vals, [-2.5, -2.5, -2.5, 0.0]);
    }
}
