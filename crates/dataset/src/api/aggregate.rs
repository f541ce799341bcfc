//! Aggregations: `aggregate`, `tree_aggregate`, `tree_reduce` (actions),
//! `aggregate_by_key`, `fold_by_key` (per key, through a shuffle),
//! `count_by_value`, `reduce_by_key_locally`, `max_by`/`min_by`, `is_empty`.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::actions::stage_name;
use crate::codec::Codec;
use crate::dataset::Dataset;
use crate::error::{DatasetError, Result};
use crate::pairs::Key;
use crate::Data;

impl<T: Data> Dataset<T> {
    /// Folds each partition from `zero` with `seq_op`, then merges the
    /// partial results, from `zero`, with `comb_op` (Spark's `aggregate`):
    /// the result type `U` may differ from the elements'.
    #[track_caller]
    pub fn aggregate<U: Data + Codec>(
        &self,
        zero: U,
        seq_op: impl Fn(U, T) -> U + Send + Sync,
        comb_op: impl Fn(U, U) -> U + Send + Sync,
    ) -> Result<U> {
        let parts = self.run_all(&stage_name("aggregate"), |it| {
            it.fold(zero.clone(), &seq_op)
        })?;
        Ok(parts.into_iter().fold(zero, comb_op))
    }

    /// `aggregate` whose partial results are merged in a tree of `depth`
    /// levels (at least 1) through shuffles, so the caller receives a few
    /// results instead of one per partition (Spark's `treeAggregate`).
    #[track_caller]
    pub fn tree_aggregate<U: Data + Codec>(
        &self,
        zero: U,
        seq_op: impl Fn(U, T) -> U + Send + Sync + 'static,
        comb_op: impl Fn(U, U) -> U + Send + Sync + 'static,
        depth: usize,
    ) -> Result<U> {
        if depth < 1 {
            return Err(DatasetError::InvalidArgument(format!(
                "tree_aggregate: depth must be at least 1, not {depth}"
            )));
        }
        let mut parts = self.num_partitions();
        if parts == 0 {
            return Ok(zero);
        }
        let comb_op = Arc::new(comb_op);
        let z = zero.clone();
        let mut partial: Dataset<U> =
            self.map_partitions(move |it| std::iter::once(it.fold(z.clone(), &seq_op)));
        let scale = ((parts as f64).powf(1.0 / depth as f64).ceil() as usize).max(2);
        // Each level merges `scale` partial results per partition, while that
        // saves more than it costs (Spark's rule).
        while parts > scale + parts.div_ceil(scale) {
            parts /= scale;
            let level = parts;
            let comb = comb_op.clone();
            partial = partial
                .map_partitions_with_index(move |i, it| it.map(move |u| (i % level, u)))
                .reduce_by_key_partitions(move |a, b| comb(a, b), level)
                .values();
        }
        let last = partial.run_all(&stage_name("tree_aggregate"), |it| {
            it.reduce(|a, b| comb_op(a, b))
        })?;
        Ok(last.into_iter().flatten().fold(zero, |a, b| comb_op(a, b)))
    }

    /// `reduce` whose partial results are merged in a tree of `depth` levels
    /// (Spark's `treeReduce`); [`DatasetError::Empty`] for an empty dataset.
    #[track_caller]
    pub fn tree_reduce(
        &self,
        f: impl Fn(T, T) -> T + Send + Sync + 'static,
        depth: usize,
    ) -> Result<T>
    where
        T: Codec,
    {
        let f = Arc::new(f);
        let g = f.clone();
        let merge = move |a: Option<T>, b: Option<T>| match (a, b) {
            (Some(a), Some(b)) => Some(g(a, b)),
            (a, None) => a,
            (None, b) => b,
        };
        let seq = move |acc: Option<T>, x: T| {
            Some(match acc {
                Some(a) => f(a, x),
                None => x,
            })
        };
        self.tree_aggregate(None, seq, merge, depth)?
            .ok_or(DatasetError::Empty("tree_reduce"))
    }

    /// The element whose `key` is largest (the first such in partition
    /// order), as Spark's `max(key=…)`; [`DatasetError::Empty`] if none.
    #[track_caller]
    pub fn max_by<K: PartialOrd>(&self, key: impl Fn(&T) -> K + Send + Sync) -> Result<T>
    where
        T: Codec,
    {
        self.reduce_named("max_by", |a, b| if key(&b) > key(&a) { b } else { a })
    }

    /// The element whose `key` is smallest (the first such in partition
    /// order), as Spark's `min(key=…)`; [`DatasetError::Empty`] if none.
    #[track_caller]
    pub fn min_by<K: PartialOrd>(&self, key: impl Fn(&T) -> K + Send + Sync) -> Result<T>
    where
        T: Codec,
    {
        self.reduce_named("min_by", |a, b| if key(&b) < key(&a) { b } else { a })
    }

    /// Whether the dataset has no elements; scans partitions only until it
    /// finds one (Spark's `isEmpty`).
    #[track_caller]
    pub fn is_empty(&self) -> Result<bool>
    where
        T: Codec,
    {
        Ok(self.num_partitions() == 0 || self.take(1)?.is_empty())
    }

    /// How many times each distinct element occurs, counted per partition
    /// and merged by the caller (Spark's `countByValue`).
    #[track_caller]
    pub fn count_by_value(&self) -> Result<HashMap<T, u64>>
    where
        T: Hash + Eq + Codec,
    {
        let parts = self.run_all(&stage_name("count_by_value"), |it| {
            let mut counts: FxHashMap<T, u64> = FxHashMap::default();
            for x in it {
                *counts.entry(x).or_default() += 1;
            }
            counts.into_iter().collect::<Vec<_>>()
        })?;
        let mut all: HashMap<T, u64> = HashMap::new();
        for part in parts {
            for (x, c) in part {
                *all.entry(x).or_default() += c;
            }
        }
        Ok(all)
    }
}

impl<K: Data + Codec + Hash + Eq, V: Data + Codec> Dataset<(K, V)> {
    /// Merges the values of each key with `f` within each partition, then
    /// the partitions' maps, returning one map to the caller with no shuffle
    /// (Spark's `reduceByKeyLocally`).
    #[track_caller]
    pub fn reduce_by_key_locally(
        &self,
        f: impl Fn(V, V) -> V + Send + Sync,
    ) -> Result<HashMap<K, V>> {
        let merge_into = |map: &mut HashMap<K, V>, k: K, v: V| {
            let merged = match map.remove(&k) {
                Some(old) => f(old, v),
                None => v,
            };
            map.insert(k, merged);
        };
        let parts = self.run_all(&stage_name("reduce_by_key_locally"), |it| {
            let mut map = HashMap::new();
            for (k, v) in it {
                merge_into(&mut map, k, v);
            }
            map.into_iter().collect::<Vec<_>>()
        })?;
        let mut all = HashMap::new();
        for part in parts {
            for (k, v) in part {
                merge_into(&mut all, k, v);
            }
        }
        Ok(all)
    }
}

impl<K: Key, V: Data> Dataset<(K, V)> {
    /// Per key, folds the values from `zero` with `seq_op` (on the map side)
    /// and merges the partial results with `comb_op` (Spark's
    /// `aggregateByKey`); `num_partitions` 0 keeps the parent's count.
    #[track_caller]
    pub fn aggregate_by_key<U: Data + Codec>(
        &self,
        zero: U,
        seq_op: impl Fn(U, V) -> U + Send + Sync + 'static,
        comb_op: impl Fn(U, U) -> U + Send + Sync + 'static,
        num_partitions: usize,
    ) -> Dataset<(K, U)> {
        let seq_op = Arc::new(seq_op);
        let first = seq_op.clone();
        self.combine_by_key(
            move |v| first(zero.clone(), v),
            move |u, v| seq_op(u, v),
            comb_op,
            num_partitions,
        )
    }

    /// Per key, folds the values from `zero` with `f` (Spark's `foldByKey`);
    /// `zero` must be neutral for `f`.
    #[track_caller]
    pub fn fold_by_key(
        &self,
        zero: V,
        f: impl Fn(V, V) -> V + Send + Sync + 'static,
        num_partitions: usize,
    ) -> Dataset<(K, V)>
    where
        V: Codec,
    {
        let f = Arc::new(f);
        let g = f.clone();
        self.aggregate_by_key(
            zero,
            move |a, b| f(a, b),
            move |a, b| g(a, b),
            num_partitions,
        )
    }
}
