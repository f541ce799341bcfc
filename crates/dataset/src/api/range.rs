//! `Context::range`: the integers of a range as a dataset, computed per
//! partition (nothing is held in memory).

use crate::context::Context;
use crate::dataset::Dataset;
use crate::error::{DatasetError, Result};
use crate::nodes::RangeNode;
use crate::util::or_default;

impl Context {
    /// The integers `range.start, range.start + 1, …` below `range.end` in
    /// `num_slices` partitions of nearly equal length (0:
    /// `default_parallelism()`), as Spark's `sc.range(start, end)`.
    #[track_caller]
    pub fn range(&self, range: std::ops::Range<i64>, num_slices: usize) -> Dataset<i64> {
        self.make_range(range.start, range.end, 1, num_slices)
    }

    /// `start, start + step, …` up to `end` excluded (down to it for a
    /// negative step), as Spark's `sc.range(start, end, step)`; a step of 0
    /// is an error.
    #[track_caller]
    pub fn range_step(
        &self,
        start: i64,
        end: i64,
        step: i64,
        num_slices: usize,
    ) -> Result<Dataset<i64>> {
        if step == 0 {
            return Err(DatasetError::InvalidArgument(
                "range: the step cannot be 0".into(),
            ));
        }
        Ok(self.make_range(start, end, step, num_slices))
    }

    #[track_caller]
    fn make_range(&self, start: i64, end: i64, step: i64, num_slices: usize) -> Dataset<i64> {
        let slices = or_default(num_slices, self.default_parallelism());
        let info = self.node_info("Range", &format!("range({start}, {end}, {step})"));
        Dataset::from_node(self.clone(), RangeNode::new(info, start, end, step, slices))
    }
}
