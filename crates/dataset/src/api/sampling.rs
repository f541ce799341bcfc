//! Random subsets: `sample`, `sample_by_key`, `take_sample`,
//! `random_split`. Every partition draws from its own generator, seeded by
//! the caller's seed and the partition index, so a sample is the same on
//! every run and every recomputation of a partition.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;

use rand_core::RngCore;

use crate::dataset::Dataset;
use crate::error::{DatasetError, Result};
use crate::Data;

/// The generator of partition `partition` for `seed`.
fn partition_rng(seed: u64, partition: usize) -> impl RngCore {
    runtime::rng::seeded(seed ^ (partition as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// A uniform double in [0, 1).
fn uniform(rng: &mut impl RngCore) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A Poisson-distributed count of mean `lambda`: Knuth's product of
/// uniforms, in pieces of mean at most 16 so `exp(-piece)` stays accurate.
fn poisson(rng: &mut impl RngCore, mut lambda: f64) -> u64 {
    let mut k = 0;
    while lambda > 0.0 {
        let piece = lambda.min(16.0);
        lambda -= piece;
        let limit = (-piece).exp();
        let mut p = uniform(rng);
        while p > limit {
            k += 1;
            p *= uniform(rng);
        }
    }
    k
}

/// How many copies of one element a sample keeps: 0 or 1 with probability
/// `fraction` (Bernoulli), or Poisson of mean `fraction` with replacement.
fn copies(rng: &mut impl RngCore, with_replacement: bool, fraction: f64) -> u64 {
    if with_replacement {
        poisson(rng, fraction)
    } else {
        (uniform(rng) < fraction) as u64
    }
}

/// Checks a sampling fraction: finite and non-negative; at most 1 without
/// replacement.
fn check_fraction(op: &str, with_replacement: bool, fraction: f64) -> Result<()> {
    let ok = fraction.is_finite() && fraction >= 0.0 && (with_replacement || fraction <= 1.0);
    if ok {
        return Ok(());
    }
    let range = if with_replacement {
        "≥ 0"
    } else {
        "in [0, 1]"
    };
    Err(DatasetError::InvalidArgument(format!(
        "{op}: fraction {fraction} must be {range}"
    )))
}

/// Shuffles `items` in place (Fisher–Yates).
fn shuffle<T>(items: &mut [T], rng: &mut impl RngCore) {
    for i in (1..items.len()).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
}

/// The largest `take_sample` size: Spark's bound (the largest signed
/// integer less ten standard deviations), which keeps the sampling fraction
/// meaningful.
const MAX_SAMPLE_SIZE: u64 = i64::MAX as u64 - 10 * 3_037_000_499;

/// A sampling fraction that yields at least `num` of `total` elements with
/// probability 0.9999 (Spark's `computeFractionForSampleSize`).
fn fraction_for_sample_size(num: u64, total: u64, with_replacement: bool) -> f64 {
    let fraction = num as f64 / total as f64;
    if with_replacement {
        let stdevs = if num < 12 { 9.0 } else { 5.0 };
        fraction + stdevs * (fraction / total as f64).sqrt()
    } else {
        let delta: f64 = 1e-4;
        let gamma = -delta.ln() / total as f64;
        (fraction + gamma + (gamma * gamma + 2.0 * gamma * fraction).sqrt()).min(1.0)
    }
}

impl<T: Data> Dataset<T> {
    /// Each element kept with probability `fraction` (or, with replacement,
    /// a Poisson-distributed number of times, `fraction` on average), by a
    /// generator seeded from `seed` (Spark's `sample`). The size is random:
    /// use `take_sample` for an exact size.
    #[track_caller]
    pub fn sample(&self, with_replacement: bool, fraction: f64, seed: u64) -> Result<Dataset<T>> {
        check_fraction("sample", with_replacement, fraction)?;
        Ok(self.map_partitions_with_index(move |p, it| {
            let mut rng = partition_rng(seed, p);
            it.flat_map(move |x| {
                let n = copies(&mut rng, with_replacement, fraction);
                std::iter::repeat_n(x, n as usize)
            })
        }))
    }

    /// Exactly `num` elements drawn at random (fewer if the dataset is
    /// smaller and `with_replacement` is false), in random order (Spark's
    /// `takeSample`): samples with a fraction that yields enough with
    /// probability 0.9999, again if it did not, then shuffles and cuts.
    #[track_caller]
    pub fn take_sample(&self, with_replacement: bool, num: usize, seed: u64) -> Result<Vec<T>>
    where
        T: crate::Codec,
    {
        if num as u64 > MAX_SAMPLE_SIZE {
            return Err(DatasetError::InvalidArgument(format!(
                "take_sample: sample size cannot be greater than {MAX_SAMPLE_SIZE}"
            )));
        }
        if num == 0 {
            return Ok(Vec::new());
        }
        let total = self.count()?;
        if total == 0 {
            return Ok(Vec::new());
        }
        let mut rng = runtime::rng::seeded(seed);
        if !with_replacement && num as u64 >= total {
            let mut all = self.collect()?;
            shuffle(&mut all, &mut rng);
            return Ok(all);
        }
        let fraction = fraction_for_sample_size(num as u64, total, with_replacement);
        let mut samples = self.sample(with_replacement, fraction, seed)?.collect()?;
        while samples.len() < num {
            samples = self
                .sample(with_replacement, fraction, rng.next_u64())?
                .collect()?;
        }
        shuffle(&mut samples, &mut rng);
        samples.truncate(num);
        Ok(samples)
    }

    /// Splits the dataset at random into parts whose sizes follow `weights`
    /// (normalised to sum 1; Spark's `randomSplit`): each element goes to
    /// exactly one part, the same on every run for the same `seed`.
    #[track_caller]
    pub fn random_split(&self, weights: &[f64], seed: u64) -> Result<Vec<Dataset<T>>> {
        let total: f64 = weights.iter().sum();
        if weights.is_empty() || weights.iter().any(|w| !w.is_finite() || *w < 0.0) || total <= 0.0
        {
            return Err(DatasetError::InvalidArgument(format!(
                "random_split: weights {weights:?} must be non-negative with a positive sum"
            )));
        }
        let mut bounds = Vec::with_capacity(weights.len() + 1);
        let mut acc = 0.0;
        bounds.push(0.0);
        for w in weights {
            acc += w / total;
            bounds.push(acc);
        }
        // Values of 1 or more fall in the last part, whatever rounding did.
        *bounds.last_mut().expect("at least two bounds") = f64::INFINITY;
        Ok(bounds
            .windows(2)
            .map(|b| {
                let (lo, hi) = (b[0], b[1]);
                self.map_partitions_with_index(move |p, it| {
                    let mut rng = partition_rng(seed, p);
                    it.filter(move |_| {
                        let u = uniform(&mut rng);
                        lo <= u && u < hi
                    })
                })
            })
            .collect())
    }
}

impl<K: Data + Hash + Eq, V: Data> Dataset<(K, V)> {
    /// Each pair kept with the probability its key has in `fractions` (or a
    /// Poisson number of times with replacement); keys without a fraction
    /// are dropped (Spark's `sampleByKey`, a stratified sample).
    #[track_caller]
    pub fn sample_by_key(
        &self,
        with_replacement: bool,
        fractions: HashMap<K, f64>,
        seed: u64,
    ) -> Result<Dataset<(K, V)>> {
        for &f in fractions.values() {
            check_fraction("sample_by_key", with_replacement, f)?;
        }
        let fractions = Arc::new(fractions);
        Ok(self.map_partitions_with_index(move |p, it| {
            let mut rng = partition_rng(seed, p);
            let fractions = fractions.clone();
            it.flat_map(move |(k, v)| {
                let f = fractions.get(&k).copied().unwrap_or(0.0);
                let n = copies(&mut rng, with_replacement, f);
                std::iter::repeat_n((k, v), n as usize)
            })
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poisson_has_the_right_mean_and_variance() {
        let mut rng = runtime::rng::seeded(7);
        for lambda in [0.1, 2.5, 40.0] {
            let n = 20_000;
            let xs: Vec<f64> = (0..n).map(|_| poisson(&mut rng, lambda) as f64).collect();
            let mean = xs.iter().sum::<f64>() / n as f64;
            let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
            let tol = 5.0 * (lambda / n as f64).sqrt();
            assert!((mean - lambda).abs() < tol, "{lambda}: mean {mean}");
            assert!((var - lambda).abs() < 0.1 * lambda, "{lambda}: var {var}");
        }
    }

    #[test]
    fn fractions_for_sample_size_exceed_the_plain_ratio() {
        assert!(fraction_for_sample_size(5, 10, false) > 0.5);
        assert!(fraction_for_sample_size(20, 10, true) > 2.0);
        assert_eq!(fraction_for_sample_size(10, 10, false), 1.0);
    }
}
