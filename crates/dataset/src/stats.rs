//! Numeric summaries: `stats`, `mean`, `stdev` and friends, each partition
//! summarised by its task and the summaries merged, with runtime's one
//! streaming-statistics accumulator and its rules (NaN propagates; the
//! variance of no values is NaN, their sum and, as in Spark, their mean 0).

use crate::actions::stage_name;
use crate::dataset::Dataset;
use crate::error::Result;

pub use crate::api::stat_counter::StatCounter;

/// Numbers that `mean`, `stdev`, `stats` and `histogram` accept.
pub trait Numeric: crate::Data + crate::Codec + PartialOrd {
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
    /// assert_eq!((s.count(), s.mean(), s.max()), (4, 3.0, Some(6.0)));
    /// // Integers stay integers.
    /// assert_eq!(ctx.parallelize([3u64, 9, 1], 2).stats()?.min(), Some(1));
    /// assert_eq!(ctx.parallelize(Vec::<f64>::new(), 2).stats()?.min(), None);
    /// # Ok::<(), dataset::DatasetError>(())
    /// ```
    #[track_caller]
    pub fn stats(&self) -> Result<StatCounter<T>> {
        let parts = self.run_all(&stage_name("stats"), StatCounter::of)?;
        Ok(parts.iter().fold(StatCounter::new(), |mut all, part| {
            all.merge(part);
            all
        }))
    }

    /// The mean (0 if empty, as in Spark).
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

    /// The population variance, as Spark's `variance` (NaN if empty).
    #[track_caller]
    pub fn variance(&self) -> Result<f64> {
        Ok(self.stats()?.variance())
    }

    /// The sample variance (divides by n - 1; NaN for fewer than two
    /// elements).
    #[track_caller]
    pub fn sample_variance(&self) -> Result<f64> {
        Ok(self.stats()?.sample_variance())
    }
}
