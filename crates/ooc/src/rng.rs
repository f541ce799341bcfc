//! A counter-based random stream: the value at position `k` depends only on `(seed, k)`.
//!
//! This is SplitMix64 (Steele, Lea and Flood, 2014) used as a seekable generator: its state
//! after `k` steps is `key + k * GAMMA`, so any chunk of a file can be filled without
//! generating what comes before it. The file is therefore identical whatever the chunk size
//! and the number of threads. The seed itself is first mixed so that nearby seeds give
//! unrelated streams.

const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

#[inline]
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The random stream of one seed.
#[derive(Clone, Copy, Debug)]
pub struct Stream {
    key: u64,
}

impl Stream {
    /// The stream of `seed`.
    pub fn new(seed: u64) -> Stream {
        Stream {
            key: mix(seed ^ 0x6A09_E667_F3BC_C909),
        }
    }

    /// The 64 random bits at position `k`.
    #[inline]
    pub fn bits(&self, k: u64) -> u64 {
        mix(self.key.wrapping_add(k.wrapping_add(1).wrapping_mul(GAMMA)))
    }

    /// A uniform `f64` in `[0, 1)` at position `k`: 52 random bits as the mantissa of a
    /// number in `[1, 2)`, minus one. Integer operations only, so the fill loop vectorises.
    #[inline]
    pub fn f64(&self, k: u64) -> f64 {
        f64::from_bits(0x3FF0_0000_0000_0000 | (self.bits(k) >> 12)) - 1.0
    }

    /// Fills `out` with the `f64` values (as bits) of positions `start..start + out.len()`.
    pub fn fill_f64_bits(&self, start: u64, out: &mut [u64]) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx512dq") {
            // SAFETY: the CPU supports AVX-512 F and DQ (64-bit vector multiply), checked above.
            return unsafe { self.fill_f64_bits_avx512(start, out) };
        }
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked above.
            return unsafe { self.fill_f64_bits_avx2(start, out) };
        }
        self.fill_f64_bits_generic(start, out)
    }

    #[inline(always)]
    fn fill_f64_bits_generic(&self, start: u64, out: &mut [u64]) {
        for (i, v) in out.iter_mut().enumerate() {
            *v = self.f64(start + i as u64).to_bits();
        }
    }

    /// # Safety
    /// The CPU must support AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn fill_f64_bits_avx2(&self, start: u64, out: &mut [u64]) {
        self.fill_f64_bits_generic(start, out)
    }

    /// # Safety
    /// The CPU must support AVX-512 F and DQ.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512dq")]
    unsafe fn fill_f64_bits_avx512(&self, start: u64, out: &mut [u64]) {
        self.fill_f64_bits_generic(start, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_moments() {
        let s = Stream::new(42);
        let n = 200_000u64;
        let xs: Vec<f64> = (0..n).map(|k| s.f64(k)).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!((mean - 0.5).abs() < 0.005, "{mean}");
        assert!((var - 1.0 / 12.0).abs() < 0.002, "{var}");
        assert!(xs.iter().all(|&x| (0.0..1.0).contains(&x)));
    }

    #[test]
    fn seeds_differ_and_repeat() {
        assert_eq!(Stream::new(1).bits(5), Stream::new(1).bits(5));
        assert_ne!(Stream::new(1).bits(5), Stream::new(2).bits(5));
    }
}
