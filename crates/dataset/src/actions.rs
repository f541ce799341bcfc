//! Actions: they run a job and bring a result back to the caller.

use std::collections::HashMap;
use std::hash::Hash;

use crate::codec::Codec;
use crate::dataset::Dataset;
use crate::error::{DatasetError, Result};
use crate::pairs::Key;
use crate::Data;

/// The name of an action's stage: the action and its call site.
#[track_caller]
pub(crate) fn stage_name(op: &str) -> String {
    let loc = std::panic::Location::caller();
    format!("{op} at {}:{}", loc.file(), loc.line())
}

impl<T: Data> Dataset<T> {
    /// All elements, in partition order.
    #[track_caller]
    pub fn collect(&self) -> Result<Vec<T>>
    where
        T: Codec,
    {
        let parts = self.run_all(&stage_name("collect"), |it| it.collect::<Vec<T>>())?;
        Ok(parts.into_iter().flatten().collect())
    }

    /// The number of elements.
    #[track_caller]
    pub fn count(&self) -> Result<u64> {
        let parts = self.run_all(&stage_name("count"), |it| it.count() as u64)?;
        Ok(parts.into_iter().sum())
    }

    /// The first `n` elements, in partition order. Scans one partition first,
    /// then four times as many each round, as Spark does, so `take(5)` of a
    /// huge file reads only its beginning.
    #[track_caller]
    pub fn take(&self, n: usize) -> Result<Vec<T>>
    where
        T: Codec,
    {
        let name = stage_name("take");
        let total = self.num_partitions();
        let mut out = Vec::with_capacity(n.min(1 << 16));
        let mut scanned = 0;
        let mut step = 1;
        while out.len() < n && scanned < total {
            let parts: Vec<usize> = (scanned..(scanned + step).min(total)).collect();
            let left = n - out.len();
            let got = self.run_job(&name, &parts, |it| it.take(left).collect::<Vec<T>>())?;
            for part in got {
                let room = n - out.len();
                out.extend(part.into_iter().take(room));
            }
            scanned += parts.len();
            step *= 4;
        }
        // For a text_file whose path is missing there are no partitions to
        // scan, but the error must still be reported.
        if total == 0 || scanned == 0 {
            crate::scheduler::run_parent_stages(self.lineage.as_ref())?;
        }
        Ok(out)
    }

    /// The first element; [`DatasetError::Empty`](crate::DatasetError::Empty)
    /// if there is none (Spark's "RDD is empty").
    #[track_caller]
    pub fn first(&self) -> Result<T>
    where
        T: Codec,
    {
        self.take(1)?
            .into_iter()
            .next()
            .ok_or(DatasetError::Empty("first"))
    }

    /// Combines all elements with `f` (associative and commutative): first
    /// within each partition, then the partial results;
    /// [`DatasetError::Empty`](crate::DatasetError::Empty) if there are none.
    #[track_caller]
    pub fn reduce(&self, f: impl Fn(T, T) -> T + Send + Sync) -> Result<T>
    where
        T: Codec,
    {
        self.reduce_named("reduce", f)
    }

    /// `reduce` whose empty-dataset error names the action `op`.
    #[track_caller]
    pub(crate) fn reduce_named(
        &self,
        op: &'static str,
        f: impl Fn(T, T) -> T + Send + Sync,
    ) -> Result<T>
    where
        T: Codec,
    {
        let parts = self.run_all(&stage_name(op), |it| it.reduce(&f))?;
        parts
            .into_iter()
            .flatten()
            .reduce(&f)
            .ok_or(DatasetError::Empty(op))
    }

    /// Folds each partition from `zero`, then the partial results from `zero`
    /// (so `zero` must be neutral for `f`).
    #[track_caller]
    pub fn fold(&self, zero: T, f: impl Fn(T, T) -> T + Send + Sync) -> Result<T>
    where
        T: Codec,
    {
        let parts = self.run_all(&stage_name("fold"), |it| it.fold(zero.clone(), &f))?;
        Ok(parts.into_iter().fold(zero, &f))
    }

    /// The `n` smallest elements by `key`, smallest first (Spark's
    /// `takeOrdered(n, key)`); elements with equal keys keep partition order.
    #[track_caller]
    pub fn take_ordered<K: Ord + Send>(
        &self,
        n: usize,
        key: impl Fn(&T) -> K + Send + Sync,
    ) -> Result<Vec<T>>
    where
        T: Codec,
    {
        if n == 0 {
            return Ok(Vec::new());
        }
        // Each task keeps at most 2n candidates, trimming back to n with a
        // stable sort: O(m log n) time and O(n) memory per partition.
        let trim = |buf: &mut Vec<(K, T)>| {
            buf.sort_by(|a, b| a.0.cmp(&b.0));
            buf.truncate(n);
        };
        let parts = self.run_all(&stage_name("take_ordered"), |it| {
            let mut buf: Vec<(K, T)> = Vec::new();
            for x in it {
                buf.push((key(&x), x));
                if buf.len() >= 2 * n {
                    trim(&mut buf);
                }
            }
            trim(&mut buf);
            // Only the elements travel between ranks: the keys are
            // recomputed here (n per partition).
            buf.into_iter().map(|(_, x)| x).collect::<Vec<T>>()
        })?;
        let mut all: Vec<(K, T)> = parts.into_iter().flatten().map(|x| (key(&x), x)).collect();
        trim(&mut all);
        Ok(all.into_iter().map(|(_, x)| x).collect())
    }

    /// The `n` largest elements by `key`, largest first (Spark's `top`).
    #[track_caller]
    pub fn top<K: Ord + Send>(
        &self,
        n: usize,
        key: impl Fn(&T) -> K + Send + Sync,
    ) -> Result<Vec<T>>
    where
        T: Codec,
    {
        self.take_ordered(n, |x| std::cmp::Reverse(key(x)))
    }

    /// The largest element (by `PartialOrd`; incomparable values such as NaN
    /// are skipped); [`DatasetError::Empty`](crate::DatasetError::Empty) if
    /// there is none. [`max_by`](Dataset::max_by) compares by a key.
    #[track_caller]
    pub fn max(&self) -> Result<T>
    where
        T: PartialOrd + Codec,
    {
        self.reduce_named("max", |a, b| if b > a { b } else { a })
    }

    /// The smallest element (by `PartialOrd`); an error if there is none.
    /// [`min_by`](Dataset::min_by) compares by a key.
    #[track_caller]
    pub fn min(&self) -> Result<T>
    where
        T: PartialOrd + Codec,
    {
        self.reduce_named("min", |a, b| if b < a { b } else { a })
    }

    /// The sum of the elements (0 if empty).
    #[track_caller]
    pub fn sum(&self) -> Result<T>
    where
        T: std::iter::Sum<T> + Codec,
    {
        let parts = self.run_all(&stage_name("sum"), |it| it.sum::<T>())?;
        Ok(parts.into_iter().sum())
    }

    /// Runs `f` on every element, on the worker threads.
    #[track_caller]
    pub fn foreach(&self, f: impl Fn(T) + Send + Sync) -> Result<()> {
        self.run_all(&stage_name("foreach"), |it| it.for_each(&f))?;
        Ok(())
    }

    /// The elements of each partition as one vector (Spark's `glom`).
    #[track_caller]
    pub fn glom(&self) -> Dataset<Vec<T>> {
        self.map_partitions(|it| std::iter::once(it.collect::<Vec<T>>()))
    }
}

impl<K: Key, V: Data> Dataset<(K, V)> {
    /// How many elements each key has (through a shuffle with map-side counting).
    #[track_caller]
    pub fn count_by_key(&self) -> Result<HashMap<K, u64>> {
        let counts = self.map_values(|_| 1u64).reduce_by_key(|a, b| a + b);
        Ok(counts.collect()?.into_iter().collect())
    }
}

impl<K: Data + Codec + Hash + Eq, V: Data + Codec> Dataset<(K, V)> {
    /// The pairs as a map (for a repeated key, the last value in partition order wins).
    #[track_caller]
    pub fn collect_as_map(&self) -> Result<HashMap<K, V>> {
        Ok(self.collect()?.into_iter().collect())
    }
}
