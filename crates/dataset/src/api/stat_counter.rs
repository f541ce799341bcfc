//! `StatCounter<T>`: the summary `stats` returns, with the moments as
//! doubles and the extremes in the element type (so integers stay integers).

use runtime::stats::Stats;

use crate::codec::Codec;
use crate::stats::Numeric;

/// Count, mean, variance, min and max of numbers `T` (Spark's
/// `StatCounter`). The moments are runtime's
/// [`Stats`](runtime::stats::Stats); `min` and `max` are elements, `None`
/// when there were none. A NaN among floats makes both NaN, as it does the
/// moments.
#[derive(Clone, Debug, PartialEq)]
pub struct StatCounter<T> {
    moments: Stats,
    min: Option<T>,
    max: Option<T>,
}

impl<T: Numeric> Default for StatCounter<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// Whether `x` replaces `current` as the extreme `better` asks for: when it
/// is better, or when it is not comparable even with itself (NaN), so that a
/// NaN, once in, stays.
fn replaces<T: PartialOrd>(x: &T, current: &Option<T>, better: fn(&T, &T) -> bool) -> bool {
    match current {
        None => true,
        Some(c) => better(x, c) || x.partial_cmp(x).is_none(),
    }
}

impl<T: Numeric> StatCounter<T> {
    /// The summary of no values.
    pub fn new() -> Self {
        StatCounter {
            moments: Stats::EMPTY,
            min: None,
            max: None,
        }
    }

    /// The summary of `values`.
    pub fn of(values: impl IntoIterator<Item = T>) -> Self {
        let mut s = Self::new();
        for x in values {
            s.push(x);
        }
        s
    }

    /// Adds one value.
    pub fn push(&mut self, x: T) {
        self.moments.push(x.to_f64());
        if replaces(&x, &self.min, |a, b| a < b) {
            self.min = Some(x.clone());
        }
        if replaces(&x, &self.max, |a, b| a > b) {
            self.max = Some(x);
        }
    }

    /// Adds the values `other` summarises.
    pub fn merge(&mut self, other: &StatCounter<T>) {
        self.moments.merge(&other.moments);
        if let Some(m) = &other.min {
            if replaces(m, &self.min, |a, b| a < b) {
                self.min = Some(m.clone());
            }
        }
        if let Some(m) = &other.max {
            if replaces(m, &self.max, |a, b| a > b) {
                self.max = Some(m.clone());
            }
        }
    }

    /// The moments as runtime's accumulator holds them.
    pub fn moments(&self) -> &Stats {
        &self.moments
    }

    /// How many values.
    pub fn count(&self) -> u64 {
        self.moments.count()
    }

    /// Their sum (0 for none).
    pub fn sum(&self) -> f64 {
        self.moments.sum()
    }

    /// Their mean (0 for none, as Spark's `StatCounter`).
    pub fn mean(&self) -> f64 {
        if self.count() == 0 {
            0.0
        } else {
            self.moments.mean()
        }
    }

    /// The population variance (NaN for none).
    pub fn variance(&self) -> f64 {
        self.moments.variance()
    }

    /// The population standard deviation (NaN for none).
    pub fn stdev(&self) -> f64 {
        self.moments.stdev()
    }

    /// The sample variance (NaN for fewer than two values).
    pub fn sample_variance(&self) -> f64 {
        self.moments.sample_variance()
    }

    /// The sample standard deviation (NaN for fewer than two values).
    pub fn sample_stdev(&self) -> f64 {
        self.moments.sample_stdev()
    }

    /// The smallest value, `None` for none.
    pub fn min(&self) -> Option<T> {
        self.min.clone()
    }

    /// The largest value, `None` for none.
    pub fn max(&self) -> Option<T> {
        self.max.clone()
    }
}

/// Summaries travel between ranks: the moments as doubles, the extremes
/// with their own codec.
impl<T: Codec> Codec for StatCounter<T> {
    fn encode(&self, out: &mut Vec<u8>) {
        let m = &self.moments;
        m.count().encode(out);
        for x in [m.mean(), m.m2(), m.min(), m.max()] {
            x.encode(out);
        }
        self.min.encode(out);
        self.max.encode(out);
    }
    fn decode(input: &mut &[u8]) -> Option<Self> {
        let count = u64::decode(input)?;
        let mean = f64::decode(input)?;
        let m2 = f64::decode(input)?;
        let lo = f64::decode(input)?;
        let hi = f64::decode(input)?;
        Some(StatCounter {
            moments: Stats::from_parts(count, mean, m2, lo, hi),
            min: Option::decode(input)?,
            max: Option::decode(input)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_keep_their_type_and_merging_equals_one_pass() {
        let all = StatCounter::of([5i64, -3, 9, 0]);
        let mut halves = StatCounter::of([5i64, -3]);
        halves.merge(&StatCounter::of([9, 0]));
        assert_eq!((all.min(), all.max()), (Some(-3), Some(9)));
        assert_eq!(
            (halves.min(), halves.max(), halves.count()),
            (Some(-3), Some(9), 4)
        );
        assert_eq!(all.mean(), 2.75);
        assert_eq!(StatCounter::<u8>::new().mean(), 0.0);
        assert_eq!(StatCounter::<u8>::new().max(), None);
        let mut bytes = Vec::new();
        all.encode(&mut bytes);
        assert_eq!(StatCounter::decode(&mut &bytes[..]), Some(all));
    }

    #[test]
    fn nan_propagates_to_the_extremes() {
        let s = StatCounter::of([1.0, f64::NAN, 3.0]);
        assert!(s.min().unwrap().is_nan() && s.max().unwrap().is_nan());
        let mut m = StatCounter::of([1.0]);
        m.merge(&StatCounter::of([f64::NAN]));
        m.merge(&StatCounter::of([0.5]));
        assert!(m.min().unwrap().is_nan());
    }
}
