//! `Context::range`: arithmetic progressions, sliced as `parallelize` slices
//! a collection, each element computed when its partition is read.

use crate::error::Result;
use crate::lineage::{Dependency, Lineage, Node, NodeInfo, PartitionIter};
use crate::task::TaskContext;

/// `start + i * step` for `i` in `0..len`, in `slices` partitions.
pub(crate) struct RangeNode {
    info: NodeInfo,
    start: i64,
    step: i64,
    len: u64,
    slices: usize,
}

impl RangeNode {
    /// The range from `start` up to (or, for a negative `step`, down to)
    /// `end` excluded; `step` is not 0.
    pub(crate) fn new(info: NodeInfo, start: i64, end: i64, step: i64, slices: usize) -> Self {
        let span = end as i128 - start as i128;
        let step128 = step as i128;
        let len = if step128 == 0 || span == 0 || (span > 0) != (step128 > 0) {
            0
        } else {
            (span.abs() + step128.abs() - 1) / step128.abs()
        };
        RangeNode {
            info,
            start,
            step,
            len: len as u64,
            slices: slices.max(1),
        }
    }
}

impl Lineage for RangeNode {
    fn info(&self) -> &NodeInfo {
        &self.info
    }
    fn num_partitions(&self) -> usize {
        self.slices
    }
    fn deps(&self) -> Vec<Dependency> {
        Vec::new()
    }
}

impl Node<i64> for RangeNode {
    fn compute(&self, partition: usize, _tc: &TaskContext) -> Result<PartitionIter<i64>> {
        // The slicing of `parallelize`: partition i holds [i*len/n, (i+1)*len/n).
        let (len, n) = (self.len as u128, self.slices as u128);
        let lo = (partition as u128 * len / n) as u64;
        let hi = ((partition as u128 + 1) * len / n) as u64;
        let (start, step) = (self.start as i128, self.step as i128);
        Ok(Box::new(
            (lo..hi).map(move |i| (start + i as i128 * step) as i64),
        ))
    }
}
