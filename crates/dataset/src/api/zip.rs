//! `zip` (two datasets element by element), `zip_with_index` (consecutive
//! indices, after a job that counts each partition) and `zip_with_unique_id`
//! (unique, not consecutive, indices with no job).

use std::sync::Arc;

use crate::actions::stage_name;
use crate::dataset::Dataset;
use crate::error::Result;
use crate::nodes::ZipNode;
use crate::Data;

impl<T: Data> Dataset<T> {
    /// Pairs the i-th element of `self` with the i-th of `other` (Spark's
    /// `zip`). Both must have as many partitions and as many elements in each
    /// partition; otherwise the action fails saying which.
    #[track_caller]
    pub fn zip<U: Data>(&self, other: &Dataset<U>) -> Dataset<(T, U)> {
        let info = self.ctx.node_info("Zipped", "zip");
        Dataset::from_node(
            self.ctx.clone(),
            ZipNode::new(info, self.clone(), other.clone()),
        )
    }

    /// Every element with its index in the dataset's order, 0, 1, 2, …
    /// (Spark's `zipWithIndex`). Runs a job counting the elements of each
    /// partition when there is more than one partition.
    #[track_caller]
    pub fn zip_with_index(&self) -> Result<Dataset<(T, u64)>> {
        let n = self.num_partitions();
        let mut starts = vec![0u64; n];
        if n > 1 {
            let counts = self.run_job(
                &stage_name("zip_with_index"),
                &self.all_partitions()[..n - 1],
                |it| it.count() as u64,
            )?;
            for (i, c) in counts.into_iter().enumerate() {
                starts[i + 1] = starts[i] + c;
            }
        }
        let starts = Arc::new(starts);
        Ok(self.map_partitions_with_index(move |p, it| {
            let start = starts[p];
            it.zip(start..)
        }))
    }

    /// Every element with a unique index: the k-th element of partition p of
    /// n gets `k * n + p` (Spark's `zipWithUniqueId`; no job runs, and the
    /// indices have gaps when partitions differ in size).
    #[track_caller]
    pub fn zip_with_unique_id(&self) -> Dataset<(T, u64)> {
        let n = self.num_partitions() as u64;
        self.map_partitions_with_index(move |p, it| {
            it.enumerate()
                .map(move |(k, x)| (x, k as u64 * n + p as u64))
        })
    }
}
