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

    /// A uniform `f64` in `[0, 1)` (53 random bits) at position `k`.
    #[inline]
    pub fn f64(&self, k: u64) -> f64 {
        (self.bits(k) >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
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
