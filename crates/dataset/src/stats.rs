//! Numeric summaries: `stats`, `mean`, `stdev` and friends, each partition
//! summarised by its task and the summaries merged, with runtime's one
//! streaming-statistics accumulator and its rules (NaN propagates; the
//! statistics of no values are NaN, their sum 0).

use crate::actions::stage_name;
use crate::dataset::Dataset;
use crate::error::Result;

/// The summary `stats` returns: count, mean, variance, min and max (Spark's
/// name for it; it is runtime's [`Stats`](runtime::stats::Stats)).
pub type StatCounter = runtime::stats::Stats;

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

impl<T: Numeric> Dataset<T> {
    /// Count, mean, variance, min and max in one pass (Spark's `stats`).
    ///
    /// ```
    /// let ctx = dataset::Context::local(2)?;
    /// let s = ctx.parallelize([1.0, 2.0, 3.0, 6.0], 2).stats()?;
    /// assert_eq!((s.count(), s.mean(), s.max()), (4, 3.0, 6.0));
    /// assert!(ctx.parallelize(Vec::<f64>::new(), 2).stats()?.min().is_nan());
    /// # Ok::<(), dataset::DatasetError>(())
    /// ```
    #[track_caller]
    pub fn stats(&self) -> Result<StatCounter> {
        let parts = self.run_all(&stage_name("stats"), |it| {
            StatCounter::of(it.map(|x| x.to_f64()))
        })?;
        Ok(parts
            .iter()
            .fold(StatCounter::EMPTY, |all, part| all.merged(part)))
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

    /// The sample standard deviation (divides by n - 1; NaN for fewer than
    /// two elements).
    #[track_caller]
    pub fn sample_stdev(&self) -> Result<f64> {
        Ok(self.stats()?.sample_stdev())
    }
}
