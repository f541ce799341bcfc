//! Numeric summaries: `mean`, `stdev` and friends, merged across partitions.

use crate::actions::stage_name;
use crate::dataset::Dataset;
use crate::error::Result;

/// Numbers that `mean`, `stdev` and `stats` accept.
pub trait Numeric: crate::Data {
    /// The value as a double.
    fn to_f64(&self) -> f64;
}

macro_rules! numeric {
    ($($t:ty),*) => {$(
        impl Numeric for $t {
            fn to_f64(&self) -> f64 {
                *self as f64
            }
        }
    )*};
}
numeric!(u8, u16, u32, u64, usize, i8, i16, i32, i64, isize, f32, f64);

/// Count, mean, sum of squared deviations, min and max, updated one value at
/// a time (Welford) and merged pairwise (Chan et al.), as Spark's StatCounter.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StatCounter {
    count: u64,
    mean: f64,
    m2: f64,
    min: f64,
    max: f64,
}

impl Default for StatCounter {
    fn default() -> Self {
        StatCounter {
            count: 0,
            mean: 0.0,
            m2: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }
}

impl StatCounter {
    /// Adds one value.
    pub fn push(&mut self, x: f64) {
        self.count += 1;
        let delta = x - self.mean;
        self.mean += delta / self.count as f64;
        self.m2 += delta * (x - self.mean);
        self.min = self.min.min(x);
        self.max = self.max.max(x);
    }

    /// The summary of both sets of values.
    pub fn merge(&self, other: &StatCounter) -> StatCounter {
        if self.count == 0 {
            return *other;
        }
        if other.count == 0 {
            return *self;
        }
        let n = (self.count + other.count) as f64;
        let delta = other.mean - self.mean;
        StatCounter {
            count: self.count + other.count,
            mean: self.mean + delta * other.count as f64 / n,
            m2: self.m2 + other.m2 + delta * delta * self.count as f64 * other.count as f64 / n,
            min: self.min.min(other.min),
            max: self.max.max(other.max),
        }
    }

    /// Number of values.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Mean (NaN if empty).
    pub fn mean(&self) -> f64 {
        if self.count == 0 {
            f64::NAN
        } else {
            self.mean
        }
    }

    /// Sum of the values.
    pub fn sum(&self) -> f64 {
        self.mean * self.count as f64
    }

    /// Population variance (NaN if empty).
    pub fn variance(&self) -> f64 {
        if self.count == 0 {
            f64::NAN
        } else {
            self.m2 / self.count as f64
        }
    }

    /// Population standard deviation (NaN if empty).
    pub fn stdev(&self) -> f64 {
        self.variance().sqrt()
    }

    /// Sample standard deviation (NaN with fewer than two values).
    pub fn sample_stdev(&self) -> f64 {
        if self.count < 2 {
            f64::NAN
        } else {
            (self.m2 / (self.count - 1) as f64).sqrt()
        }
    }

    /// Smallest value (+inf if empty).
    pub fn min(&self) -> f64 {
        self.min
    }

    /// Largest value (-inf if empty).
    pub fn max(&self) -> f64 {
        self.max
    }
}

impl<T: Numeric> Dataset<T> {
    /// Count, mean, variance, min and max in one pass (Spark's `stats`).
    #[track_caller]
    pub fn stats(&self) -> Result<StatCounter> {
        let parts = self.run_all(&stage_name("stats"), |it| {
            let mut s = StatCounter::default();
            for x in it {
                s.push(x.to_f64());
            }
            s
        })?;
        Ok(parts
            .into_iter()
            .fold(StatCounter::default(), |a, b| a.merge(&b)))
    }

    /// The mean (NaN if empty).
    #[track_caller]
    pub fn mean(&self) -> Result<f64> {
        Ok(self.stats()?.mean())
    }

    /// The population standard deviation, as Spark's `stdev` (NaN if empty).
    #[track_caller]
    pub fn stdev(&self) -> Result<f64> {
        Ok(self.stats()?.stdev())
    }

    /// The sample standard deviation (divides by n - 1).
    #[track_caller]
    pub fn sample_stdev(&self) -> Result<f64> {
        Ok(self.stats()?.sample_stdev())
    }
}
