//! Streaming statistics that merge: count, mean, variance, min and max, as
//! Spark's `StatCounter` and numpy's reductions give them.
//!
//! Values are added one at a time (Welford's update) and summaries of parts
//! (partitions, chunks, threads) are combined with Chan, Golub and LeVeque's
//! pairwise formula, which is as accurate as one pass over all values.
//!
//! **The rules.** NaN propagates as in numpy: one NaN value makes the mean,
//! variance, min and max NaN. A statistic of no values is NaN (the sum of no
//! values is 0), and the sample variance of fewer than two values is NaN.

/// Count, mean, sum of squared deviations from the mean, min and max.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stats {
    count: u64,
    mean: f64,
    m2: f64,
    min: f64,
    max: f64,
}

impl Default for Stats {
    fn default() -> Self {
        Stats::EMPTY
    }
}

impl Stats {
    /// The statistics of no values.
    pub const EMPTY: Stats = Stats {
        count: 0,
        mean: 0.0,
        m2: 0.0,
        min: f64::INFINITY,
        max: f64::NEG_INFINITY,
    };

    /// The statistics of one value.
    pub fn from_value(x: f64) -> Stats {
        Stats {
            count: 1,
            mean: x,
            m2: 0.0,
            min: x,
            max: x,
        }
    }

    /// Statistics computed elsewhere (a vectorised block kernel): `count`
    /// values with this `mean`, sum of squared deviations `m2`, `min` and `max`.
    /// With `count == 0` the other parts are ignored.
    pub fn from_parts(count: u64, mean: f64, m2: f64, min: f64, max: f64) -> Stats {
        if count == 0 {
            return Stats::EMPTY;
        }
        Stats {
            count,
            mean,
            m2,
            min,
            max,
        }
    }

    /// The statistics of `values`.
    pub fn of(values: impl IntoIterator<Item = f64>) -> Stats {
        let mut s = Stats::EMPTY;
        values.into_iter().for_each(|x| s.push(x));
        s
    }

    /// Adds one value.
    #[inline]
    pub fn push(&mut self, x: f64) {
        self.count += 1;
        let delta = x - self.mean;
        self.mean += delta / self.count as f64;
        self.m2 += delta * (x - self.mean);
        self.min = nan_min(self.min, x);
        self.max = nan_max(self.max, x);
    }

    /// Adds the values `other` summarises (exact in count, min and max).
    pub fn merge(&mut self, other: &Stats) {
        if other.count == 0 {
            return;
        }
        if self.count == 0 {
            *self = *other;
            return;
        }
        let (na, nb) = (self.count as f64, other.count as f64);
        let n = na + nb;
        let delta = other.mean - self.mean;
        self.mean += delta * nb / n;
        self.m2 += other.m2 + delta * delta * na * nb / n;
        self.count += other.count;
        self.min = nan_min(self.min, other.min);
        self.max = nan_max(self.max, other.max);
    }

    /// Both summaries together (see [`merge`](Stats::merge)).
    pub fn merged(mut self, other: &Stats) -> Stats {
        self.merge(other);
        self
    }

    /// The number of values.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The sum of the values (0 for none).
    pub fn sum(&self) -> f64 {
        self.mean * self.count as f64
    }

    /// The mean.
    pub fn mean(&self) -> f64 {
        self.if_any(self.mean)
    }

    /// The sum of squared deviations from the mean.
    pub fn m2(&self) -> f64 {
        self.if_any(self.m2)
    }

    /// The population variance (numpy's `var`, `ddof=0`).
    pub fn variance(&self) -> f64 {
        self.if_any(self.m2 / self.count as f64)
    }

    /// The population standard deviation (numpy's `std`).
    pub fn stdev(&self) -> f64 {
        self.variance().sqrt()
    }

    /// The sample variance (`ddof=1`); NaN for fewer than two values.
    pub fn sample_variance(&self) -> f64 {
        if self.count < 2 {
            f64::NAN
        } else {
            self.m2 / (self.count - 1) as f64
        }
    }

    /// The sample standard deviation; NaN for fewer than two values.
    pub fn sample_stdev(&self) -> f64 {
        self.sample_variance().sqrt()
    }

    /// The smallest value.
    pub fn min(&self) -> f64 {
        self.if_any(self.min)
    }

    /// The largest value.
    pub fn max(&self) -> f64 {
        self.if_any(self.max)
    }

    fn if_any(&self, x: f64) -> f64 {
        if self.count == 0 {
            f64::NAN
        } else {
            x
        }
    }
}

/// The smaller of two values, NaN if either is (numpy's `minimum`).
#[inline]
pub fn nan_min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.min(b)
    }
}

/// The larger of two values, NaN if either is (numpy's `maximum`).
#[inline]
pub fn nan_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn two_pass(xs: &[f64]) -> (f64, f64) {
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        (mean, xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n)
    }

    #[test]
    fn matches_the_two_pass_formula_with_a_large_offset() {
        let xs: Vec<f64> = (0..1000).map(|i| 1e9 + (i % 7) as f64).collect();
        let s = Stats::of(xs.iter().copied());
        let (mean, var) = two_pass(&xs);
        assert_eq!(s.count(), 1000);
        assert!((s.mean() - mean).abs() < 1e-6);
        assert!((s.variance() - var).abs() < 1e-6);
        assert_eq!((s.min(), s.max()), (1e9, 1e9 + 6.0));
    }

    #[test]
    fn empty_and_nan_rules() {
        let e = Stats::EMPTY;
        assert_eq!(e.count(), 0);
        assert_eq!(e.sum(), 0.0);
        for v in [e.mean(), e.variance(), e.min(), e.max(), e.sample_stdev()] {
            assert!(v.is_nan());
        }
        let one = Stats::from_value(3.0);
        assert_eq!((one.variance(), one.min()), (0.0, 3.0));
        assert!(one.sample_variance().is_nan());
        let s = Stats::of([1.0, f64::NAN, 2.0]);
        for v in [s.mean(), s.variance(), s.min(), s.max()] {
            assert!(v.is_nan());
        }
        assert_eq!(Stats::EMPTY.merged(&one), one);
        assert_eq!(one.merged(&Stats::EMPTY), one);
        assert_eq!(Stats::from_parts(0, 9.0, 9.0, 9.0, 9.0), Stats::EMPTY);
    }

    proptest! {
        #[test]
        fn merging_parts_equals_one_pass(
            xs in proptest::collection::vec(-1e6f64..1e6, 0..200),
            cut in 0usize..200,
        ) {
            let cut = cut.min(xs.len());
            let whole = Stats::of(xs.iter().copied());
            let parts = Stats::of(xs[..cut].iter().copied())
                .merged(&Stats::of(xs[cut..].iter().copied()));
            prop_assert_eq!(whole.count(), parts.count());
            if !xs.is_empty() {
                let scale = 1.0 + whole.variance().abs();
                prop_assert!((whole.mean() - parts.mean()).abs() <= 1e-9 * (1.0 + whole.mean().abs()));
                prop_assert!((whole.variance() - parts.variance()).abs() <= 1e-9 * scale);
                prop_assert_eq!(whole.min(), parts.min());
                prop_assert_eq!(whole.max(), parts.max());
            }
        }
    }
}
