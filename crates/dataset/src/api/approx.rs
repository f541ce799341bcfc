//! `count_approx_distinct`: the number of distinct elements estimated with
//! a HyperLogLog sketch (Flajolet et al. 2007, with the small-range
//! correction by linear counting), in memory that does not grow with the
//! data: each task fills a sketch of its partition, the caller merges them.

use std::hash::{BuildHasher, Hash};

use rustc_hash::FxBuildHasher;

use crate::actions::stage_name;
use crate::dataset::Dataset;
use crate::error::{DatasetError, Result};
use crate::Data;

/// The smallest relative standard deviation asked for (Spark's bound: finer
/// would need more than 2^32 registers).
const MIN_RELATIVE_SD: f64 = 0.000017;

/// The most registers a sketch has, 2^20 (1 MiB per partition, a relative
/// standard deviation of 0.001): finer requests get this many.
const MAX_PRECISION: u32 = 20;

/// Registers for a relative standard deviation: 2^p with
/// `p = ceil(2 log2(1.054 / sd))` (Spark's choice), from 2^4 to 2^20.
fn precision(relative_sd: f64) -> u32 {
    ((2.0 * (1.054 / relative_sd).log2()).ceil() as u32).clamp(4, MAX_PRECISION)
}

/// A 64-bit hash with every bit mixed (FxHash, then SplitMix64's finaliser),
/// as the sketch needs uniform leading bits.
fn mixed_hash<T: Hash>(x: &T) -> u64 {
    let mut z = FxBuildHasher.hash_one(x);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Adds a hash to registers of precision `p`.
fn add(registers: &mut [u8], p: u32, h: u64) {
    let index = (h >> (64 - p)) as usize;
    // The rank of the first 1 among the remaining bits (a sentinel bit
    // bounds it).
    let rest = (h << p) | (1 << (p - 1));
    let rank = rest.leading_zeros() as u8 + 1;
    if rank > registers[index] {
        registers[index] = rank;
    }
}

/// The estimate of a merged sketch.
fn estimate(registers: &[u8]) -> f64 {
    let m = registers.len() as f64;
    let alpha = 0.7213 / (1.0 + 1.079 / m);
    let sum: f64 = registers.iter().map(|&r| (-(r as f64)).exp2()).sum();
    let raw = alpha * m * m / sum;
    let zeros = registers.iter().filter(|&&r| r == 0).count();
    if raw <= 2.5 * m && zeros > 0 {
        // Linear counting: exact enough while many registers are empty.
        m * (m / zeros as f64).ln()
    } else {
        raw
    }
}

impl<T: Data + Hash> Dataset<T> {
    /// About how many distinct elements there are, within a relative
    /// standard deviation of `relative_sd` (Spark's `countApproxDistinct`;
    /// 0.05 is Spark's default), using a HyperLogLog sketch of
    /// `2^ceil(2 log2(1.054 / relative_sd))` bytes per partition (at most
    /// 1 MiB: below a relative standard deviation of 0.001 the sketch stops
    /// growing). Elements are equal when their hashes are. Fails for
    /// `relative_sd` below 0.000017 (Spark's bound) or not finite.
    #[track_caller]
    pub fn count_approx_distinct(&self, relative_sd: f64) -> Result<u64> {
        if !(relative_sd.is_finite() && relative_sd >= MIN_RELATIVE_SD) {
            return Err(DatasetError::InvalidArgument(format!(
                "count_approx_distinct: relative_sd {relative_sd} must be at least {MIN_RELATIVE_SD}"
            )));
        }
        let p = precision(relative_sd);
        let parts = self.run_all(&stage_name("count_approx_distinct"), |it| {
            let mut registers = vec![0u8; 1 << p];
            for x in it {
                add(&mut registers, p, mixed_hash(&x));
            }
            registers
        })?;
        let mut merged = vec![0u8; 1 << p];
        for part in parts {
            for (m, r) in merged.iter_mut().zip(part) {
                *m = (*m).max(r);
            }
        }
        Ok(estimate(&merged).round() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precision_follows_sparks_rule() {
        assert_eq!(precision(0.05), 9);
        assert_eq!(precision(0.01), 14);
        assert_eq!(precision(0.5), 4);
        assert_eq!(precision(MIN_RELATIVE_SD), MAX_PRECISION);
    }

    #[test]
    fn sketches_estimate_within_a_few_standard_deviations() {
        for n in [0u64, 1, 10, 1000, 50_000] {
            let mut registers = vec![0u8; 1 << 12];
            for x in 0..n {
                add(&mut registers, 12, mixed_hash(&x));
                add(&mut registers, 12, mixed_hash(&x));
            }
            let e = estimate(&registers);
            let sd = 1.04 / 64.0;
            assert!(
                (e - n as f64).abs() <= 4.0 * sd * n as f64 + 0.5,
                "{n}: {e}"
            );
        }
    }
}
