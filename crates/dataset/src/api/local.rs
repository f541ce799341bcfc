//! Actions that hand partitions to the caller's code: `foreach_partition`
//! (on the workers) and `to_local_iterator` (one partition at a time on the
//! caller's thread).

use crate::actions::stage_name;
use crate::codec::Codec;
use crate::dataset::{Dataset, Partition};
use crate::error::Result;
use crate::Data;

impl<T: Data> Dataset<T> {
    /// Runs `f` once per partition, on the worker threads, with the
    /// partition's elements (Spark's `foreachPartition`): the place for
    /// per-partition set-up such as a connection.
    #[track_caller]
    pub fn foreach_partition(&self, f: impl Fn(Partition<T>) + Send + Sync) -> Result<()> {
        self.run_all(&stage_name("foreach_partition"), f)?;
        Ok(())
    }

    /// The elements in order, computing one partition per job as the
    /// iterator reaches it, so the caller holds at most one partition
    /// (Spark's `toLocalIterator`). A failed job yields its error once and
    /// ends the iteration.
    pub fn to_local_iterator(&self) -> LocalIterator<T>
    where
        T: Codec,
    {
        LocalIterator {
            dataset: self.clone(),
            next_partition: 0,
            buffer: Vec::new().into_iter(),
            failed: false,
        }
    }
}

/// What [`Dataset::to_local_iterator`] returns: elements, partition after
/// partition, each partition computed when the previous one is used up.
pub struct LocalIterator<T> {
    dataset: Dataset<T>,
    next_partition: usize,
    buffer: std::vec::IntoIter<T>,
    failed: bool,
}

impl<T: Data + Codec> Iterator for LocalIterator<T> {
    type Item = Result<T>;
    fn next(&mut self) -> Option<Result<T>> {
        loop {
            if let Some(x) = self.buffer.next() {
                return Some(Ok(x));
            }
            if self.failed || self.next_partition >= self.dataset.num_partitions() {
                return None;
            }
            let p = self.next_partition;
            self.next_partition += 1;
            match self
                .dataset
                .run_job("to_local_iterator", &[p], |it| it.collect::<Vec<T>>())
            {
                Ok(mut parts) => self.buffer = parts.pop().unwrap_or_default().into_iter(),
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e));
                }
            }
        }
    }
}
